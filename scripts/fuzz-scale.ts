/**
 * The hostile-scale cases of `npm run fuzz` (issue 16): captures built to exhaust memory — many
 * mid-stream connections, a SYN scan, silent logins, a login loop, a million unanswered pings, a
 * Login claiming a data segment that never comes, text keys past 64 KiB, many pcapng interfaces —
 * written by src/synth/scale.ts at a size CI can afford, each read by the real CLI
 * (`iscsi-inspect findings FILE --json`) in a child process whose peak RSS must stay within
 * `floor + perUnit × units`: memory must follow what is live, not what a capture claims. The
 * findings it prints are counted by kind against what each capture holds by construction.
 *
 *   npm run fuzz -- --scale-only [--shape NAME] [--scale K]   (K multiplies every case's size)
 *   npm run fuzz -- --measure [--shape NAME]                  (peak RSS at 1× and 4×: bytes per unit)
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { scaleCapture } from '../src/synth/index.ts';
import type { ScaleOptions, ScaleShape } from '../src/synth/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const MB = 1 << 20;

export interface ScaleCase {
  shape: ScaleShape;
  units: number;
  options?: ScaleOptions;
  /** Peak RSS allowed per unit, in bytes (measured, with room: see the README's table). */
  perUnit: number;
  /** Peak RSS allowed whatever the size: node, the CLI, its buffers. */
  floor: number;
  /** The findings by kind the capture holds by construction (kinds not named: none; 'some': at
   *  least one; 'any': not checked). */
  findings: (units: number) => Record<string, number | 'some' | 'any'>;
}

/** Node and the CLI reading a small capture peak at ~55 MB; the rest is what the capture makes live. */
const FLOOR = 96 * MB;

// perUnit: the peak's growth per unit measured with `--measure` (runs at 1× and 4×, README
// "Hostile scale"), with about a third more room; each note says what the unit still costs.
export const SCALE_CASES: readonly ScaleCase[] = [
  // Measured 11.8 KB a connection: the TCP connection and its analysis (~5 KB), the engine's and the
  // framer's per-connection state, the connection's summary and model (it stays open).
  { shape: 'midstream', units: 20_000, perUnit: 16_000, floor: FLOOR, findings: () => ({}) },
  // Measured 46 B a SYN (195 B before connections that carry nothing were listed only up to a
  // bound) past a plateau of ~450 MB: up to 16,384 connections open in the TCP layer (~4 KB each)
  // and the attempts table (262,144 rows), in a heap V8 lets grow while its limit is far (with
  // --max-old-space-size=128 the 400,000-SYN scan completes). Every other SYN is refused (RST):
  // connect-refused comes per run of refusals up to a bound, then one counts the rest.
  { shape: 'syn-scan', units: 100_000, perUnit: 100, floor: 640 * MB, findings: () => ({ 'connect-refused': 'some', 'connect-unanswered': 'any' }) },
  // Measured 12.3 KB a login (15.4 KB before ended connections were closed once idle): its
  // summary, model, finding and details, and the reading state of the last 16,384 ended ones.
  { shape: 'silent-logins', units: 20_000, perUnit: 18_000, floor: FLOOR, findings: (n) => ({ 'login-unanswered': n }) },
  // Measured 11.7 KB a login (19.5 KB before ended connections were closed once idle): its PDUs'
  // details, its session, its finding. ISIDs repeat after 65,536 logins (then
  // session-reinstatement): the sizes here stay below.
  { shape: 'relogin-loop', units: 10_000, perUnit: 16_000, floor: FLOOR, findings: (n) => ({ 'closed-without-logout': n, 'login-churn': 1 }) },
  // Measured 0.87 KB a ping (1.8 KB before its finding was derived): its PDU row, ACK watch, ping
  // record and relation with their moments, and a finding that holds two references.
  { shape: 'unanswered-pings', units: 100_000, perUnit: 1_300, floor: FLOOR, findings: (n) => ({ 'nop-ping-unanswered': n, 'closed-without-logout': 1 }) },
  // Measured 11.0 KB a connection (16.4 KB before ended connections were closed once idle): the
  // claimed 64 KiB is not among it.
  { shape: 'login-dsl-claim', units: 20_000, perUnit: 18_000, floor: FLOOR, findings: (n) => ({ 'data-segment-over-limit': n }) },
  // Measured 284 KB a connection: its 64 KiB of keys kept for the detail view, the ~330 keys parsed
  // into the connection's key table, its summary and its model.
  { shape: 'long-text-keys', units: 300, perUnit: 360_000, floor: FLOOR, findings: (n) => ({ 'data-segment-over-limit': n, 'closed-without-logout': n }) },
  // Measured 954 B an interface (the capture reader's interface table).
  // Measured 11.1 KB a unit (7 PDUs, 4 findings, 3 TMF records, 4 relations, 2 incidents with
  // their chains, the TMFs' headers kept for the detail view). Every TMF used to scan all that
  // waited (the TMFs before it, the commands outstanding, their findings): 80,000 units took
  // minutes; now 200,000 take ~30 s. By construction each unit is one unanswered command, two
  // answered TMFs and one unanswered.
  { shape: 'tmf-storm', units: 50_000, perUnit: 15_000, floor: FLOOR, findings: (n) => ({ 'command-unanswered': n, tmf: 2 * n, 'tmf-unanswered': n, 'closed-without-logout': 1 }) },
  { shape: 'pcapng-interfaces', units: 100_000, perUnit: 1_300, floor: FLOOR, findings: () => ({ 'nop-ping': 1, 'closed-without-logout': 1 }) },
];

export interface ScaleResult {
  shape: ScaleShape;
  units: number;
  fileBytes: number;
  peakBytes: number;
  limitBytes: number;
  seconds: number;
  exit: number | null;
  findings: Record<string, number>;
  stderr: string;
  /** Why the case failed; undefined when it passed. */
  failure: string | undefined;
}

/** Writes the capture of `units` units of the case's shape into `dir`, chunk by chunk. */
function writeCapture(c: ScaleCase, units: number, dir: string): string {
  const path = join(dir, `${c.shape}-${units}.${c.shape === 'pcapng-interfaces' ? 'pcapng' : 'pcap'}`);
  const fd = openSync(path, 'w');
  try {
    for (const chunk of scaleCapture(c.shape, units, c.options)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return path;
}

// Told by the child itself as it exits: its own peak resident size (getrusage, KiB on Linux).
const PEAK_HOOK = `data:text/javascript,${encodeURIComponent(
  "import{writeSync}from'node:fs';process.on('exit',()=>{try{writeSync(2,'\\nPEAK_RSS_KB '+process.resourceUsage().maxRSS+'\\n')}catch{}})",
)}`;

/** Runs `iscsi-inspect findings FILE --json` in a child: its peak RSS and the findings it printed, by kind. */
function runCli(file: string): Promise<{ peakBytes: number; exit: number | null; findings: Record<string, number>; stderr: string; seconds: number }> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', PEAK_HOOK, join(ROOT, 'bin/iscsi-inspect.js'), 'findings', file, '--json'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const findings: Record<string, number> = {};
    let rest = '';
    // `findings --json` is JSON.stringify(list, null, 2): each finding's kind is a line of its own.
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^ {4}"kind": "([a-z-]+)",$/.exec(l);
        if (m) findings[m[1]] = (findings[m[1]] ?? 0) + 1;
      }
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => { stderr += t; });
    child.on('error', fail);
    child.on('close', (exit) => {
      const m = /\nPEAK_RSS_KB (\d+)\n/.exec(stderr);
      done({ peakBytes: m ? Number(m[1]) * 1024 : Number.NaN, exit, findings, stderr: stderr.replace(/\n?PEAK_RSS_KB \d+\n/, '').trim(), seconds: (performance.now() - t0) / 1000 });
    });
  });
}

export async function runScaleCase(c: ScaleCase, units = c.units, dir?: string): Promise<ScaleResult> {
  const tmp = dir ?? mkdtempSync(join(tmpdir(), 'iscsi-scale-'));
  try {
    const file = writeCapture(c, units, tmp);
    const fileBytes = statSync(file).size;
    const r = await runCli(file);
    rmSync(file, { force: true });
    const limitBytes = c.floor + c.perUnit * units;
    const problems: string[] = [];
    if (r.exit !== 0) problems.push(`exit ${r.exit}`);
    if (r.stderr) problems.push(`stderr: ${r.stderr.slice(0, 300)}`);
    if (!(r.peakBytes <= limitBytes)) problems.push(`peak RSS ${(r.peakBytes / MB).toFixed(0)} MB over the ${(limitBytes / MB).toFixed(0)} MB allowed`);
    const want = c.findings(units);
    for (const kind of new Set([...Object.keys(want), ...Object.keys(r.findings)])) {
      const w = want[kind] ?? 0;
      const got = r.findings[kind] ?? 0;
      if (w === 'any') continue;
      if (w === 'some' ? got < 1 : got !== w) problems.push(`${got} ${kind} findings, expected ${w}`);
    }
    return {
      shape: c.shape, units, fileBytes, peakBytes: r.peakBytes, limitBytes, seconds: r.seconds, exit: r.exit, findings: r.findings, stderr: r.stderr,
      failure: problems.length ? problems.join('; ') : undefined,
    };
  } finally {
    if (dir === undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

/** One line per case: what it read, its peak, its limit. */
export function describeResult(r: ScaleResult): string {
  return `${r.failure ? 'FAIL' : 'ok  '} ${r.shape.padEnd(18)} ${String(r.units).padStart(8)} units  ${(r.fileBytes / MB).toFixed(1).padStart(7)} MB file  `
    + `peak ${(r.peakBytes / MB).toFixed(0).padStart(5)} MB of ${(r.limitBytes / MB).toFixed(0)} MB  ${r.seconds.toFixed(1)} s${r.failure ? `  — ${r.failure}` : ''}`;
}

/** Peak RSS at the case's size and 4×: the slope is the bytes per unit the limits are set from. */
export async function measure(c: ScaleCase): Promise<string> {
  const a = await runScaleCase(c, c.units);
  const b = await runScaleCase(c, c.units * 4);
  const perUnit = (b.peakBytes - a.peakBytes) / (b.units - a.units);
  return `${describeResult(a)}\n${describeResult(b)}\n  ${c.shape}: ${perUnit.toFixed(0)} bytes per ${c.shape === 'pcapng-interfaces' ? 'interface' : 'unit'} `
    + `(file ${((b.fileBytes - a.fileBytes) / (b.units - a.units)).toFixed(0)} bytes per unit); allowed ${c.perUnit}`;
}
