/**
 * npm run fuzz [-- --cases 100000] [--seed N] [--workers N] [--first K]
 * Mutation-fuzzes the engine over the shared captures; exits 1 on any failure, printing how to replay
 * it (case K of seed N: --seed N --first K --cases 1). Each case is derived from (seed, case index)
 * alone, so splitting the cases over worker processes changes nothing but the time.
 *
 * Then the hostile-scale cases (scripts/fuzz-scale.ts): captures built to exhaust memory, each read
 * by the CLI in a child process held to a peak-RSS limit. `--no-scale` skips them, `--scale-only`
 * runs only them (`--shape NAME` one of them, `--scale K` at K times their size), `--measure`
 * prints each one's bytes per unit from runs at 1× and 4×.
 */
import { execFileSync, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fuzz } from './fuzz-core.ts';
import type { FuzzReport } from './fuzz-core.ts';
import { describeResult, measure, runScaleCase, SCALE_CASES } from './fuzz-scale.ts';

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
const flag = (name: string): boolean => argv.includes(name);
const shapeArg = argv.includes('--shape') ? argv[argv.indexOf('--shape') + 1] : undefined;

function inputs(): Array<{ name: string; bytes: Uint8Array }> {
  const dir = resolve(import.meta.dirname, '../../shared/captures');
  return readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

if (child) {
  const report = fuzz(inputs(), { cases, seed, first, onProgress: (done, failed) => process.send?.({ done, failed }) });
  process.send?.({ report });
} else {
  let failed = 0;
  if (!flag('--scale-only') && !flag('--measure')) failed += await mutationCases();
  if (!flag('--no-scale')) failed += await scaleCases();
  process.exit(failed ? 1 : 0);
}

async function mutationCases(): Promise<number> {
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
  let slowest = 0;
  for (const r of reports) slowest = Math.max(slowest, r.slowestMs);
  console.log(`${cases} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s, slowest case ${slowest.toFixed(0)} ms; outcomes: ${JSON.stringify(outcomes)}`);
  console.log(`${cases - failures.length} passed, ${failures.length} failed`);
  return failures.length;
}

async function scaleCases(): Promise<number> {
  const list = SCALE_CASES.filter((c) => shapeArg === undefined || c.shape === shapeArg);
  if (list.length === 0) {
    console.log(`no scale case named ${shapeArg}; there are: ${SCALE_CASES.map((c) => c.shape).join(', ')}`);
    return 1;
  }
  // The limits are for the CLI as it ships: the bundle, not the sources through tsx.
  execFileSync(process.execPath, [join(import.meta.dirname, 'build-cli.mjs')], { stdio: 'ignore' });
  const k = opt('--scale', 1);
  console.log(`hostile-scale cases: ${list.length}, each read by \`iscsi-inspect findings --json\` in a child process${k === 1 ? '' : ` at ${k}× their size`}`);
  let failed = 0;
  for (const c of list) {
    if (flag('--measure')) {
      console.log(await measure(c));
      continue;
    }
    const r = await runScaleCase(c, Math.max(1, Math.round(c.units * k)));
    console.log(describeResult(r));
    if (r.failure) failed++;
  }
  if (!flag('--measure')) console.log(`${list.length - failed} scale cases passed, ${failed} failed`);
  return failed;
}
