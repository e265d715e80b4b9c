/**
 * npm run agree -- DIR
 * Our decode of every capture in DIR against Wireshark's (DIR/X.tshark.tsv, as ../shared/lab/reference.sh
 * writes it) and the lab's independent walk (X.pducount.txt): for fresh runs of the lab
 * (../shared/lab/make-captures.sh DIR). Exits 1 on any disagreement.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFile } from '../test/support/analyze.ts';
import { readTsv } from '../test/support/shared.ts';
import { compare, countByName } from '../test/support/wireshark.ts';
import { readFileSync } from 'node:fs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npm run agree -- DIR');
  process.exit(2);
}
let bad = 0;
for (const f of readdirSync(dir).filter((x) => /\.(pcap|pcapng)$/.test(x)).sort()) {
  const tsv = join(dir, `${f}.tshark.tsv`);
  if (!existsSync(tsv)) { console.log(`${f}: no .tshark.tsv beside it, skipped`); continue; }
  const rows = readTsv(tsv);
  const { pdus, analysis } = analyzeFile(join(dir, f));
  const a = compare(f, pdus, rows);
  const countFile = join(dir, `${f}.pducount.txt`);
  let walk = '';
  if (existsSync(countFile)) {
    const m = /: (\d+) PDUs \(independent walk\) \|([^|]*)/.exec(readFileSync(countFile, 'utf8'));
    if (m) {
      const byName: Record<string, number> = {};
      for (const part of m[2].trim().split(/\s+/).filter(Boolean)) { const [k, v] = part.split('='); byName[k] = Number(v); }
      const same = Number(m[1]) === pdus.length && JSON.stringify(Object.entries(byName).sort()) === JSON.stringify(Object.entries(countByName(pdus)).sort());
      const cut = analysis.capture.truncatedPackets > 0;
      walk = same ? `, independent walk ${m[1]} = ours` : cut ? `, independent walk ${m[1]} (cannot follow snaplen cuts)` : `, independent walk ${m[1]} ≠ ours ${pdus.length}`;
      if (!same && !cut) bad++;
    }
  }
  const missed = a.missedByWireshark.length;
  const kinds: Record<string, number> = {};
  for (const x of analysis.findings) kinds[x.kind] = (kinds[x.kind] ?? 0) + 1;
  console.log(`${f}: Wireshark ${rows.length} PDUs, ${a.matched} agree, ${a.mismatches.length} disagree; ours ${pdus.length} (${missed} Wireshark missed)${walk}`);
  console.log(`  findings: ${Object.entries(kinds).map(([k, v]) => `${k}×${v}`).join(' ') || 'none'}`);
  for (const m of a.mismatches.slice(0, 5)) console.log(`  ${m}`);
  if (a.mismatches.length) bad++;
}
process.exit(bad ? 1 : 0);
