/**
 * npm run fuzz [-- --cases 100000] [--seed N] [--workers N] [--first K]
 * Mutation-fuzzes the engine over the shared captures; exits 1 on any failure, printing how to replay
 * it (case K of seed N: --seed N --first K --cases 1). Each case is derived from (seed, case index)
 * alone, so splitting the cases over worker processes changes nothing but the time.
 */
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fuzz } from './fuzz-core.ts';
import type { FuzzReport } from './fuzz-core.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const cases = opt('--cases', 100_000);
const seed = opt('--seed', 1);
const first = opt('--first', 0);
const workers = Math.max(1, Math.min(opt('--workers', cpus().length), cases));
const child = process.env.FUZZ_CHILD === '1';

function inputs(): Array<{ name: string; bytes: Uint8Array }> {
  const dir = resolve(import.meta.dirname, '../../shared/captures');
  return readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

if (child) {
  const report = fuzz(inputs(), { cases, seed, first, onProgress: (done, failed) => process.send?.({ done, failed }) });
  process.send?.({ report });
} else {
  console.log(`fuzzing the engine: ${cases} cases from case ${first}, seed ${seed}, ${workers} worker process(es)`);
  const t0 = performance.now();
  const per = Math.ceil(cases / workers);
  const progress = new Array<number>(workers).fill(0);
  let lastPrinted = 0;
  const reports = await Promise.all(Array.from({ length: workers }, (_, w) => new Promise<FuzzReport>((done, fail) => {
    const n = Math.max(0, Math.min(per, cases - w * per));
    const p = fork(import.meta.filename, ['--cases', String(n), '--seed', String(seed), '--first', String(first + w * per)], {
      env: { ...process.env, FUZZ_CHILD: '1' }, execArgv: process.execArgv,
    });
    p.on('message', (m: { done?: number; failed?: number; report?: FuzzReport }) => {
      if (m.report) done(m.report);
      else if (m.done !== undefined) {
        progress[w] = m.done;
        const total = progress.reduce((a, b) => a + b, 0);
        if (total - lastPrinted >= 50_000) {
          lastPrinted = total;
          console.log(`  ${total} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
        }
      }
    });
    p.on('exit', (code) => { if (code !== 0) fail(new Error(`fuzz worker ${w} exited with ${code}`)); });
  })));
  const failures = reports.flatMap((r) => r.failures);
  const outcomes: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.errorsByKind)) outcomes[k] = (outcomes[k] ?? 0) + v;
  for (const f of failures.slice(0, 20)) {
    console.log(`FAIL case ${f.caseIndex} (${f.input}; ${f.mutations.join(', ')}): ${f.reason}`);
    console.log(`  replay: npm run fuzz -- --seed ${seed} --first ${f.caseIndex} --cases 1 --workers 1`);
  }
  const slowest = Math.max(...reports.map((r) => r.slowestMs));
  console.log(`${cases} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s, slowest case ${slowest.toFixed(0)} ms; outcomes: ${JSON.stringify(outcomes)}`);
  console.log(`${cases - failures.length} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}
