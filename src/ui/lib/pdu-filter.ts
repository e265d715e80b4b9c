// The ladder's PDU filter: a few words a reviewer types — "op:nop itt:0x191ae5b9", "scsi:read lun:1",
// "cmdsn:1263057948", "frame:20-40", "conn:1" — matched against the PDU table's columns through
// its accessors (nothing is parsed from the capture). Terms are ANDed; a bare word matches any part
// of an opcode name or the start of a SCSI opcode name ("read" is READ(10), not TEST UNIT READY), a
// number a frame or a tag. Field names are the RFC's, as `iscsi-inspect pdus` prints them, in any case.

import {
  OP_DATA_IN, OP_DATA_OUT, OP_NOP_IN, OP_NOP_OUT, OP_R2T, OP_SCSI_COMMAND, OP_TEXT_REQUEST, OP_TEXT_RESPONSE, opcodeName, scsiOpcodeName,
} from '../../codec/index.ts';
import type { Analysis } from '../../engine/index.ts';
import {
  carriesExpStatSN, carriesStatSN, cmdSN, expStatSN, itt, lunIndexOf, lunValue, NO_LUN, numberedByCmdSN, opcode, scsiOpcode,
  statSN, ttt,
} from '../../iscsi/index.ts';
import { shortName } from './fields.ts';

export type FilterKey = 'op' | 'itt' | 'ttt' | 'lun' | 'cmdsn' | 'statsn' | 'expstatsn' | 'scsi' | 'frame' | 'conn' | 'task' | 'word';

export interface FilterTerm {
  key: FilterKey;
  /** The value as typed. */
  text: string;
  /** Numbers: the value, or [low, high] for a frame range. */
  num?: number;
  range?: [number, number];
}

export interface PduQuery {
  terms: FilterTerm[];
  /** Why a term was not understood (the rest still applies). */
  problems: string[];
}

const KEYS: Record<string, FilterKey> = {
  op: 'op', opcode: 'op', itt: 'itt', ttt: 'ttt', lun: 'lun', cmdsn: 'cmdsn', statsn: 'statsn', expstatsn: 'expstatsn',
  scsi: 'scsi', cdb: 'scsi', frame: 'frame', conn: 'conn', task: 'task',
};

/** "0x1a" or "26" → 26; undefined when it is not a whole number in 0..2^32-1. */
function number(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  const v = /^0x[0-9a-f]{1,8}$/.test(t) ? parseInt(t.slice(2), 16) : /^\d{1,10}$/.test(t) ? Number(t) : Number.NaN;
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : undefined;
}

/** Words, with "quoted phrases" kept whole. */
function words(q: string): string[] {
  const out: string[] = [];
  for (const m of q.matchAll(/(\S+?[:=])?"([^"]*)"|\S+/g)) out.push(m[2] !== undefined ? `${m[1] ?? ''}${m[2]}` : m[0]);
  return out;
}

export function parsePduQuery(q: string): PduQuery {
  const terms: FilterTerm[] = [];
  const problems: string[] = [];
  for (const w of words(q.slice(0, 2000))) {
    const m = /^([a-z]+)[:=](.*)$/i.exec(w);
    const key = m ? KEYS[m[1].toLowerCase()] : undefined;
    if (m && !key) {
      problems.push(`"${m[1]}" is not a field the filter knows (op, itt, ttt, lun, cmdsn, statsn, expstatsn, scsi, frame, conn)`);
      continue;
    }
    const text = (m ? m[2] : w).trim();
    if (text === '') continue;
    const k: FilterKey = key ?? 'word';
    if (k === 'frame') {
      const r = /^(\w+)\s*[-…]\s*(\w+)$/.exec(text);
      const lo = r ? number(r[1]) : number(text);
      const hi = r ? number(r[2]) : lo;
      if (lo === undefined || hi === undefined) problems.push(`frame "${text}" is not a frame number or range (20-40)`);
      else terms.push({ key: k, text, range: [Math.min(lo, hi), Math.max(lo, hi)] });
      continue;
    }
    if (k === 'op' || k === 'scsi' || k === 'word') {
      terms.push({ key: k, text, num: number(text) });
      continue;
    }
    const n = number(text);
    if (n === undefined) problems.push(`${m?.[1] ?? k} "${text}" is not a number (decimal or 0x hex)`);
    else terms.push({ key: k, text, num: n });
  }
  return { terms, problems };
}

/** PDUs whose bytes 20-23 are a Target Transfer Tag (RFC 7143 §11.18-11.20, 11.7-11.8, 11.10-11.11);
 *  elsewhere they hold a CID, a RefTaskTag, a SNACK tag or the expected transfer length. */
const TTT_OPCODES = (() => {
  const t = new Uint8Array(64);
  for (const op of [OP_NOP_OUT, OP_NOP_IN, OP_DATA_OUT, OP_DATA_IN, OP_R2T, OP_TEXT_REQUEST, OP_TEXT_RESPONSE]) t[op] = 1;
  return t;
})();

const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

/**
 * A predicate over PDU rows for a query (undefined: the query has no terms, everything matches).
 * Tables of names are built once per call (64 opcodes, 256 SCSI opcodes, the LUN table), so a
 * million rows are matched with array lookups.
 */
export function pduMatcher(a: Analysis, q: PduQuery): ((row: number) => boolean) | undefined {
  if (q.terms.length === 0) return undefined;
  const c = a.pdus;
  const opNames = Array.from({ length: 64 }, (_, op) => `${norm(opcodeName(op))} ${norm(shortName(op))}`);
  const scsiNames = Array.from({ length: 256 }, (_, op) => norm(scsiOpcodeName(op)));
  const lunNums = a.luns.map((_, i) => lunValue(a.luns, i));
  const rowTask = a.model.rowTask;
  const tests = q.terms.map((t): ((r: number) => boolean) => {
    const want = t.num;
    const text = norm(t.text);
    switch (t.key) {
      case 'op': {
        if (want !== undefined && want < 64) return (r) => opcode(c, r) === want;
        const ops = new Uint8Array(64);
        opNames.forEach((n, op) => { if (n.includes(text)) ops[op] = 1; });
        return (r) => ops[opcode(c, r)] === 1;
      }
      case 'scsi': {
        const ops = new Uint8Array(256);
        if (want !== undefined && want < 256) ops[want] = 1;
        else scsiNames.forEach((n, op) => { if (n.startsWith(text)) ops[op] = 1; });
        return (r) => opcode(c, r) === OP_SCSI_COMMAND && ops[scsiOpcode(c, r)] === 1;
      }
      case 'itt': return (r) => itt(c, r) === want;
      case 'ttt': return (r) => TTT_OPCODES[opcode(c, r)] === 1 && ttt(c, r) === want;
      case 'lun': return (r) => { const k = lunIndexOf(c, r); return k !== NO_LUN && lunNums[k] === want; };
      case 'cmdsn': return (r) => numberedByCmdSN(c, r) && cmdSN(c, r) === want;
      case 'statsn': return (r) => carriesStatSN(c, r) && statSN(c, r) === want;
      case 'expstatsn': return (r) => carriesExpStatSN(c, r) && expStatSN(c, r) === want;
      case 'frame': { const [lo, hi] = t.range!; return (r) => c.frame[r] >= lo && c.frame[r] <= hi; }
      case 'conn': return (r) => c.conn[r] === want;
      case 'task': return (r) => rowTask[r] === want;
      case 'word': {
        const ops = new Uint8Array(64);
        const scsi = new Uint8Array(256);
        // A number is a frame or a tag, never part of a name ("1" is not "Unknown opcode 0x11").
        if (want === undefined) {
          opNames.forEach((n, op) => { if (n.includes(text)) ops[op] = 1; });
          scsiNames.forEach((n, op) => { if (n.startsWith(text)) scsi[op] = 1; });
        }
        return (r) => ops[opcode(c, r)] === 1 || (opcode(c, r) === OP_SCSI_COMMAND && scsi[scsiOpcode(c, r)] === 1)
          || (want !== undefined && (c.frame[r] === want || itt(c, r) === want));
      }
    }
  });
  return (r) => {
    for (const t of tests) if (!t(r)) return false;
    return true;
  };
}

/** The rows of `rows` a matcher keeps (all of them, unfiltered). */
export function filterRows(rows: Uint32Array, match: ((row: number) => boolean) | undefined): Uint32Array {
  if (!match) return rows;
  let n = 0;
  const out = new Uint32Array(rows.length);
  for (let p = 0; p < rows.length; p++) if (match(rows[p])) out[n++] = rows[p];
  return out.slice(0, n);
}
