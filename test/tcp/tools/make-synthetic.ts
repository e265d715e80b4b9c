/** Writes the synthetic TCP cases (test/tcp/synth.ts) to test/fixtures/tcp/synthetic/ and runs
 *  tshark on them (../../fixtures/tcp/tshark-ref.sh). usage: node --import tsx test/tcp/tools/make-synthetic.ts */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYNTHETIC } from '../synth.ts';

const dir = join(import.meta.dirname, '../../fixtures/tcp/synthetic');
const files: string[] = [];
for (const [name, make] of Object.entries(SYNTHETIC)) {
  const f = join(dir, `${name}.pcap`);
  writeFileSync(f, make());
  files.push(f);
}
execFileSync(join(import.meta.dirname, '../../fixtures/tcp/tshark-ref.sh'), files, { stdio: ['ignore', 'inherit', 'ignore'] });
console.log(`wrote ${files.length} captures and their tshark reading to ${dir}`);
