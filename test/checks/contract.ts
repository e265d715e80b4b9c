import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../support/shared.ts';

/** The findings table of docs/findings.md: kind, severity, detail keys. */
export function contract(): Array<{ kind: string; severity: string; keys: string[] }> {
  const text = readFileSync(join(SHARED, 'docs/findings.md'), 'utf8');
  const rows: Array<{ kind: string; severity: string; keys: string[] }> = [];
  for (const line of text.split('\n')) {
    const m = /^\| ([a-z-]+) \| (info|warning|error) \| [^|]* \| (.*) \|$/.exec(line);
    if (!m) continue;
    // "itt, waitedMs, then (\"initiator-fin\", …), answeredLateMs (where …)" → the key names.
    const keys = m[3].replace(/\([^)]*\)/g, '').split(',').map((k) => k.trim()).filter(Boolean);
    rows.push({ kind: m[1], severity: m[2], keys });
  }
  return rows;
}
