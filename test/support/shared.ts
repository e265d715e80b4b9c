import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared beside the repo: real captures and Wireshark's reading of them. Never written to. */
export const SHARED = resolve(import.meta.dirname, '../../../shared');
export const CAPTURES = join(SHARED, 'captures');

export function sharedCaptures(): string[] {
  return readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
}

export type TsvRow = Record<string, string>;

/** A tab-separated file with a header line, as tshark -T fields -E header=y writes it. */
export function readTsv(path: string): TsvRow[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const row: TsvRow = {};
    head.forEach((h, i) => { row[h] = cells[i] ?? ''; });
    return row;
  });
}

/** The independent PDU count (lab/pducount.py) beside a capture: total and per opcode name. */
export function pduCount(capture: string): { total: number; byName: Record<string, number>; notes: string } | undefined {
  return readPduCount(join(CAPTURES, `${capture}.pducount.txt`));
}

/** lab/pducount.py's line (its independent walk of a capture), read from file `p`. */
export function readPduCount(p: string): { total: number; byName: Record<string, number>; notes: string } | undefined {
  if (!existsSync(p)) return undefined;
  const text = readFileSync(p, 'utf8').trim();
  const m = /: (\d+) PDUs \(independent walk\) \|([^|]*)(\|.*)?$/.exec(text);
  if (!m) throw new Error(`unexpected pducount line: ${text}`);
  const byName: Record<string, number> = {};
  for (const part of m[2].trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = part.split('=');
    byName[k] = Number(v);
  }
  return { total: Number(m[1]), byName, notes: m[3] ?? '' };
}
