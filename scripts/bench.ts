/**
 * npm run bench [-- --size-mb 1024] [--capture FILE] [--json] [--keep] [--no-browser] [--no-tshark]
 *
 * Measures, in one run on one file: the floor (chunked read + pcap record walk, in Node), the engine's
 * full analysis (Node), tshark's `-Y iscsi -T fields -e iscsi.opcode`, each with its peak memory; and,
 * where Chromium is installed, the page's worker on a 256 MB capture against that browser's own Blob
 * read rate, and the ladder's cost for a 1,000,000-PDU connection against a 1,000-PDU one; and the
 * CLI's start-up: `iscsi-inspect summary` of a 7 KB capture against `node -e 0` (the bundle is built first).
 * Ratios matter, not absolute times: the machine is small and shared.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBulkCapture } from '../src/synth/bulk.ts';

interface Args { sizeMb: number; capture?: string; json: boolean; keep: boolean; browser: boolean; tshark: boolean; runs: number }

function parse(argv: string[]): Args {
  const a: Args = { sizeMb: 1024, json: false, keep: false, browser: true, tshark: true, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--size-mb': a.sizeMb = Number(argv[++i]); break;
      case '--capture': a.capture = argv[++i]; break;
      case '--json': a.json = true; break;
      case '--keep': a.keep = true; break;
      case '--no-browser': a.browser = false; break;
      case '--no-tshark': a.tshark = false; break;
      case '--runs': a.runs = Number(argv[++i]); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

interface Measured { seconds: number; peakRssMB: number; output: string }

/** Run a command, timing it and sampling its peak RSS (VmHWM) from /proc until it exits. */
function measure(cmd: string, args: string[]): Promise<Measured> {
  return new Promise((resolveP, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { if (out.length < 1 << 20) out += d.toString(); });
    let peak = 0;
    const sample = (): void => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch { /* exited */ }
    };
    const timer = setInterval(sample, 20);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`${cmd} exited with ${code}`));
      else resolveP({ seconds, peakRssMB: peak, output: out });
    });
  });
}

function best(runs: Measured[]): Measured {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const log = (s: string): void => { if (!args.json) console.log(s); else console.error(s); };
  const dir = mkdtempSync(join(tmpdir(), 'iscsi-bench-'));
  let file = args.capture ? resolve(args.capture) : join(dir, `bulk-${args.sizeMb}mb.pcap`);
  try {
    if (!args.capture) {
      log(`writing a ${args.sizeMb} MB capture to ${file} …`);
      const fd = openSync(file, 'w');
      const stats = writeBulkCapture({ targetBytes: args.sizeMb * 1e6, onChunk: (c) => writeSync(fd, c) });
      closeSync(fd);
      log(`  ${stats.packets} packets, ${stats.pdus} PDUs`);
    }
    const captureBytes = statSync(file).size;
    const node = process.execPath;
    const worker = resolve(import.meta.dirname, 'bench-node.ts');
    const floorRuns: Measured[] = [];
    const engineRuns: Measured[] = [];
    for (let r = 0; r < args.runs; r++) {
      floorRuns.push(await measure(node, ['--import', 'tsx', worker, 'floor', file]));
      engineRuns.push(await measure(node, ['--import', 'tsx', worker, 'engine', file]));
    }
    const modelRun = JSON.parse((await measure(node, ['--import', 'tsx', worker, 'model'])).output) as { pdus: number; seconds: number };
    const floor = best(floorRuns);
    const engine = best(engineRuns);
    const floorInfo = JSON.parse(floor.output) as { packets: number; seconds: number };
    const engineInfo = JSON.parse(engine.output) as { packets: number; pdus: number; seconds: number; retainedBytes: number; peakTableBytes: number };
    // In-process times exclude Node's start-up, which is not the engine's work.
    const floorMBps = captureBytes / 1e6 / floorInfo.seconds;
    const engineMBps = captureBytes / 1e6 / engineInfo.seconds;
    const result: Record<string, number | string | null> = {
      captureBytes,
      packets: engineInfo.packets,
      pdus: engineInfo.pdus,
      floorMBps: round(floorMBps),
      engineMBps: round(engineMBps),
      engineToFloor: round(engineMBps / floorMBps, 3),
      enginePeakRssMB: round(engine.peakRssMB),
      floorPeakRssMB: round(floor.peakRssMB),
      bytesPerPdu: round(engineInfo.retainedBytes / Math.max(1, engineInfo.pdus)),
      // The PDU table's most bytes at once (while growing or trimming) per PDU, and its ratio to what it keeps.
      peakBytesPerPdu: round(engineInfo.peakTableBytes / Math.max(1, engineInfo.pdus)),
      modelAndChecksMsPerMillionPdus: round((modelRun.seconds * 1000 * 1e6) / modelRun.pdus),
      tsharkMBps: null,
      engineToTshark: null,
      tsharkPeakRssMB: null,
      engineRssToTshark: null,
      browserMBps: null,
      browserBlobMBps: null,
      browserToFloor: null,
    };
    const tshark = spawnSync('which', ['tshark']).status === 0;
    if (args.tshark && tshark) {
      log('tshark -r FILE -Y iscsi -T fields -e iscsi.opcode …');
      const t = await measure('tshark', ['-r', file, '-Y', 'iscsi', '-T', 'fields', '-e', 'iscsi.opcode']);
      result.tsharkMBps = round(captureBytes / 1e6 / t.seconds);
      result.engineToTshark = round(engineMBps / (captureBytes / 1e6 / t.seconds), 2);
      result.tsharkPeakRssMB = round(t.peakRssMB);
      result.engineRssToTshark = round(engine.peakRssMB / t.peakRssMB, 3);
    } else log(args.tshark ? 'tshark not installed: skipped (apt-get install tshark)' : 'tshark skipped');
    if (args.browser && existsSync('/usr/bin/chromium') && existsSync(resolve(import.meta.dirname, 'bench-browser.ts'))) {
      log('browser: a 256 MB capture through the page, and the ladder at 1k and 1M PDUs …');
      const b = await measure(node, ['--import', 'tsx', resolve(import.meta.dirname, 'bench-browser.ts')]);
      const info = JSON.parse(b.output) as Record<string, number>;
      Object.assign(result, info);
      // The browser's floor is its own Blob read rate of the same file.
      result.browserToFloor = info.browserToBlob;
    } else if (args.browser) log('browser part skipped (needs /usr/bin/chromium and scripts/bench-browser.ts)');
    log('start-up: iscsi-inspect summary of a 7 KB capture vs node -e 0 …');
    Object.assign(result, await measureStartup(args.runs));
    if (args.json) console.log(JSON.stringify(result));
    else {
      console.log('');
      for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(20)} ${v === null ? '—' : v}`);
    }
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${file}`);
  }
}

/**
 * Median wall time of `node -e 0` and of the CLI's `summary` of a small capture, as a user on a
 * server meets it (`startupToNode`, target ≤ 4). Built first, so the launcher runs the bundle.
 */
async function measureStartup(runs: number): Promise<Record<string, number>> {
  const root = resolve(import.meta.dirname, '..');
  const built = spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error('npm run build:cli failed');
  const capture = resolve(root, '../shared/captures/initiator-ping-timeout.pcap');
  const n = Math.max(5, runs * 3);
  const median = async (args: string[]): Promise<number> => {
    const t: number[] = [];
    for (let i = 0; i < n; i++) t.push((await measure(process.execPath, args)).seconds);
    t.sort((a, b) => a - b);
    return t[n >> 1];
  };
  const nodeS = await median(['-e', '0']);
  const cliS = await median([join(root, 'bin/iscsi-inspect.js'), 'summary', capture]);
  return { nodeStartMs: round(nodeS * 1000), cliSummaryMs: round(cliS * 1000), startupToNode: round(cliS / nodeS, 2) };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
