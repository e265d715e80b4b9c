import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../support/shared.ts';

/** The findings tables of docs/findings.md: kind, severity, detail keys; `added` for the kinds written
 *  in backticks, new in this revision of the contract (raised as the issues that introduce them land). */
export function contract(): Array<{ kind: string; severity: string; keys: string[]; added: boolean }> {
  const text = readFileSync(join(SHARED, 'docs/findings.md'), 'utf8');
  const rows: Array<{ kind: string; severity: string; keys: string[]; added: boolean }> = [];
  for (const line of text.split('\n')) {
    const m = /^\| (`?)([a-z-]+)\1 \| (info|warning|error) \| [^|]* \| (.*) \|$/.exec(line);
    if (!m) continue;
    // "itt, waitedMs, then (\"initiator-fin\", …), answeredLateMs (where …)" → the key names.
    const keys = m[4].replace(/\([^)]*\)/g, '').split(',').map((k) => k.trim()).filter(Boolean);
    rows.push({ kind: m[2], severity: m[3], keys, added: m[1] === '`' });
  }
  return rows;
}
