/**
 * npm run fuzz [-- --cases 100000] [--seed N] [--replay CASE]
 * Mutation-fuzzes the engine over the shared captures; exits 1 on any failure, printing how to replay it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fuzz } from './fuzz-core.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const cases = opt('--cases', 100_000);
const seed = opt('--seed', 1);
const dir = resolve(import.meta.dirname, '../../shared/captures');
const inputs = readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }));
console.log(`fuzzing the engine: ${cases} cases, seed ${seed}, ${inputs.length} base captures`);
const report = fuzz(inputs, {
  cases, seed,
  onProgress: (done, failed) => { if (done % 10000 === 0) console.log(`  ${done} cases, ${failed} failures`); },
});
for (const f of report.failures.slice(0, 20)) {
  console.log(`FAIL case ${f.caseIndex} (${f.input}; ${f.mutations.join(', ')}): ${f.reason}`);
}
console.log(`${report.cases} cases in ${report.seconds.toFixed(1)} s, slowest ${report.slowestMs.toFixed(0)} ms; outcomes: ${JSON.stringify(report.errorsByKind)}`);
console.log(`${report.cases - report.failures.length} passed, ${report.failures.length} failed`);
process.exit(report.failures.length ? 1 : 0);
