/** The exit contract under pressure (full disk, closed pipe, memory), --help per command, streamed JSON. */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { COMMAND_HELP, EXIT } from '../../src/cli/args.ts';
import { MemoryGuard, OutOfMemoryError } from '../../src/cli/exit.ts';
import type { MemoryStats } from '../../src/cli/exit.ts';
import { Output, writeJsonArray } from '../../src/cli/io.ts';
import { CAPTURES } from '../support/shared.ts';
import { runCli } from './run.ts';

const BIN = resolve('bin/iscsi-inspect.js');
const BASIC = join(CAPTURES, 'basic-io.pcap');

/** Run the CLI with stdout sent to `stdoutPath` (e.g. /dev/full). */
function cliTo(stdoutPath: string, args: string[]): { code: number | null; stderr: string } {
  const fd = openSync(stdoutPath, 'w');
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    return { code: r.status, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

describe('output that cannot be written', () => {
  test('stdout on a full disk (/dev/full): exit 4, one line, no trace', () => {
    for (const args of [['pdus', BASIC], ['summary', BASIC, '--json'], ['findings', BASIC, '--json']]) {
      const r = cliTo('/dev/full', args);
      expect(r.code).toBe(EXIT.outputFailed);
      expect(r.stderr).toBe('iscsi-inspect: cannot write the output: no space left on the device (ENOSPC)\n');
    }
  });

  test('a Parquet file on a full disk, or in a missing directory: exit 4, one line', async () => {
    const full = await runCli(['pdus', BASIC, '--format', 'parquet', '-o', '/dev/full']);
    expect(full.code).toBe(EXIT.outputFailed);
    expect(full.stderr).toBe('iscsi-inspect: cannot write /dev/full: no space left on the device (ENOSPC)\n');
    const missing = await runCli(['findings', BASIC, '--format', 'parquet', '-o', '/nonexistent-dir/x.parquet']);
    expect(missing.code).toBe(EXIT.outputFailed);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a reader that goes away (| head -1) is not an error', () => {
    const bash = spawnSync('bash', ['-c', '"$0" "$1" pdus "$2" | head -1 >/dev/null; exit ${PIPESTATUS[0]}', process.execPath, BIN, BASIC], { encoding: 'utf8' });
    expect(bash.status).toBe(EXIT.analysed);
    expect(bash.stderr).toBe('');
  });
});

describe('memory guard', () => {
  const GB = 2 ** 30;
  const stats = (s: Partial<MemoryStats>) => (): MemoryStats => ({ heapUsed: 0.1 * GB, heapLimit: 4 * GB, rss: 0.5 * GB, memoryLimit: 24 * GB, ...s });

  test('quiet while the heap and the resident size are well below their limits', () => {
    expect(() => new MemoryGuard(stats({ heapUsed: 1.9 * GB })).check(1000)).not.toThrow();
    expect(() => new MemoryGuard(stats({ rss: 20 * GB })).check(1000)).not.toThrow();
  });

  test('stops the analysis (a CaptureError the engine keeps results for) once, with how far it got', () => {
    const g = new MemoryGuard(stats({ heapUsed: 2.1 * GB }));
    let thrown: unknown;
    try { g.check(123_456); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(OutOfMemoryError);
    expect(g.tripped).toBe(thrown);
    expect((thrown as Error).message).toBe('Out of memory after 123,456 packets: the JavaScript heap holds 2,150 MB of its 4,096 MB limit (node --max-old-space-size=… raises it); the analysis stopped there, and what was read is reported');
    expect((thrown as OutOfMemoryError).packetsRead).toBe(123_456);
    expect(() => g.check(200_000)).not.toThrow();
    const rss = new MemoryGuard(stats({ rss: 21 * GB }));
    expect(() => rss.check(1)).toThrow(/the process uses 21,504 MB of the 24,576 MB it may have/);
  });

  test('weighs what finishing will still need: reading and finishing together below 85% of the heap', () => {
    // 1 GB held + 2.4 GB to come = 3.4 GB of 4 GB (83%): room; 1 GB + 2.5 GB (85.4%): none.
    expect(() => new MemoryGuard(stats({ heapUsed: 1 * GB })).check(10, 2.4 * GB)).not.toThrow();
    expect(() => new MemoryGuard(stats({ heapUsed: 1 * GB })).check(10, 2.5 * GB))
      .toThrow('Out of memory after 10 packets: the JavaScript heap holds 1,024 MB of its 4,096 MB limit, and finishing what was read needs about 2,560 MB more (node --max-old-space-size=… raises it)');
    // The resident size the same way, against the memory the process may have.
    expect(() => new MemoryGuard(stats({ rss: 19 * GB })).check(10, 2 * GB)).toThrow(/the process uses 19,456 MB of the 24,576 MB it may have, and finishing what was read needs about 2,048 MB more/);
  });
});

describe('memory guard and garbage', () => {
  const GB = 2 ** 30;
  const guard = (used: { v: number }, after: () => number, counter: { n: number }): MemoryGuard =>
    new MemoryGuard(() => ({ heapUsed: used.v, heapLimit: 4 * GB, rss: 1 * GB, memoryLimit: 24 * GB }), 0.5, 0.85, () => {
      counter.n++;
      used.v = after();
    });

  test('collects before it calls memory short, and judges what is live after', () => {
    // 2.1 GB "used" of 4 GB is over the line (half); after the collection 1.5 GB is live: no stop.
    const used = { v: 2.1 * GB }, c = { n: 0 };
    const g = guard(used, () => 1.5 * GB, c);
    expect(() => g.check(10)).not.toThrow();
    expect(c.n).toBe(1);
    // Over the line again once the heap grew by more than a tenth of its limit (0.4 GB): again.
    used.v = 2.1 * GB;
    expect(() => g.check(20)).not.toThrow();
    expect(c.n).toBe(2);
  });

  test('does not collect at every look while the heap stays near the line', () => {
    // Live at 1.95 GB after the collection, then 2.2 GB: grown 0.25 GB, less than a tenth of the
    // limit, so no second collection — the guard stops the analysis instead.
    const used = { v: 2.1 * GB }, c = { n: 0 };
    const g = guard(used, () => 1.95 * GB, c);
    expect(() => g.check(10)).not.toThrow();
    used.v = 2.2 * GB;
    expect(() => g.check(20)).toThrow(OutOfMemoryError);
    expect(c.n).toBe(1);
  });

  test('live data over the line still stops the analysis', () => {
    let collections = 0;
    const g = new MemoryGuard(() => ({ heapUsed: 2.1 * GB, heapLimit: 4 * GB, rss: 1 * GB, memoryLimit: 24 * GB }), 0.5, 0.85, () => { collections++; });
    expect(() => g.check(10)).toThrow(OutOfMemoryError);
    expect(collections).toBe(1);
  });
});

describe('running out of memory for real', () => {
  test('a heap too small for the capture: exit 3, one line, the summary of what was read', async () => {
    const { SynthCapture } = await import('../../src/synth/index.ts');
    const { gzipSync } = await import('node:zlib');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    // 30,000 connections, each a handshake and an unanswered NOP-Out ping: about 200 MB of
    // JavaScript heap to analyse, run with a 64 MB heap. gzip makes the chunks small, so the
    // guard looks often.
    const cap = new SynthCapture();
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      const c = cap.connection(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${40000 + (i % 20000)}`, '10.255.0.1:3260');
      c.handshake();
      c.send('initiator', { opcode: 0x00, immediate: true, final: true, itt: i + 1, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1 } as never);
      cap.wait(0.001);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'iscsi-oom-')), 'many.pcap.gz');
    writeFileSync(file, gzipSync(cap.bytes()));
    const r = spawnSync(process.execPath, ['--max-old-space-size=64', BIN, 'summary', file, '--json'], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/^iscsi-inspect: Out of memory after [\d,]+ packets: the JavaScript heap holds [\d,]+ MB of its 64 MB limit.*what was read is reported\n$/);
    expect(r.status).toBe(EXIT.outOfMemory);
    const summary = JSON.parse(r.stdout) as { packets: number; connections: number; error: string };
    // Four packets a connection (SYN, SYN-ACK, ACK, the ping): it stopped part-way, at a whole number of them.
    expect(summary.packets).toBeGreaterThan(1000);
    expect(summary.packets).toBeLessThan(4 * n);
    expect(summary.error).toMatch(/^Out of memory/);
  });
});

describe('running out of memory where the old guard let V8 abort', () => {
  // Each was "FATAL ERROR: Reached heap limit", exit 134 and a native trace, before the guard
  // weighed what finishing would need (Analyzer.finishBytes) and looked every 512 KiB.
  const cases: Array<{ shape: 'unanswered-pings' | 'midstream' | 'tmf-storm' | 'pcapng-interfaces'; units: number; why: string }> = [
    // Reading holds ~100 B a ping, finishing makes a record, a relation and a finding of each.
    { shape: 'unanswered-pings', units: 200_000, why: 'finishing what was read needs about' },
    // Reading holds ~1 KB a unit, finishing ~5 KB (findings for the commands and TMFs, incidents):
    // V8 aborted before the guard weighed TMFs and waiting commands too.
    { shape: 'tmf-storm', units: 20_000, why: 'finishing what was read needs about' },
    // Out of memory among the interface blocks, before the first packet: still "[]", not nothing.
    { shape: 'pcapng-interfaces', units: 400_000, why: 'the JavaScript heap holds' },
    // 4 MiB of this shape is 30,000 connections, ~7 KB each while read: over the heap within one chunk.
    { shape: 'midstream', units: 40_000, why: 'the JavaScript heap holds' },
  ];
  for (const c of cases) {
    test(`${c.shape} × ${c.units} in a 96 MB heap: exit 3, one line, the findings of what was read as JSON`, async () => {
      const { scaleCapture } = await import('../../src/synth/index.ts');
      const { mkdtempSync, openSync, writeSync, closeSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const file = join(mkdtempSync(join(tmpdir(), 'iscsi-oom-')), `${c.shape}.pcap`);
      const fd = openSync(file, 'w');
      for (const chunk of scaleCapture(c.shape, c.units)) writeSync(fd, chunk);
      closeSync(fd);
      const r = spawnSync(process.execPath, ['--max-old-space-size=96', BIN, 'findings', file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
      expect(r.stderr).toMatch(/^iscsi-inspect: Out of memory after [\d,]+ packets: .*what was read is reported\n$/);
      expect(r.stderr).toContain(c.why);
      expect(r.status).toBe(EXIT.outOfMemory);
      const findings = JSON.parse(r.stdout) as Array<{ kind: string }>;
      expect(Array.isArray(findings)).toBe(true);
      if (c.shape === 'unanswered-pings') {
        // Pings are sent a second apart and the guard stopped part-way: some, not all, reported.
        const n = findings.filter((f) => f.kind === 'nop-ping-unanswered').length;
        expect(n).toBeGreaterThan(1000);
        expect(n).toBeLessThan(c.units);
      }
    });
  }
});

describe('--help for each command', () => {
  test('each command has its own help, with the exit statuses; exit 0', async () => {
    for (const command of ['summary', 'frames', 'connections', 'pdus', 'findings', 'explain']) {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(`iscsi-inspect ${command} `)).toBe(true);
      expect(r.stdout).toContain(COMMAND_HELP[command]);
      expect(r.stdout).toMatch(/exit status: 0 analysed.*; 1 .*; 2 usage error; 3 out of memory.*; 4 the output could not be written/s);
    }
    const overview = await runCli(['--help']);
    expect(overview.stdout).toMatch(/^usage:/);
    expect(overview.stdout).toContain('- reads it from standard input');
  });
});

describe('streamed JSON arrays', () => {
  async function streamed(items: unknown[]): Promise<string> {
    let text = '';
    const out = new Output(new Writable({ write(c: Buffer, _e, done) { text += c.toString(); done(); } }));
    await writeJsonArray(out, items);
    await out.flush();
    return text;
  }

  test('text for text what JSON.stringify(items, null, 2) writes', async () => {
    const items = [
      { kind: 'a', frames: [1, 2], nested: { deep: [{ x: 'line\nbreak "quoted"' }] }, empty: {}, none: [] },
      { kind: 'b', message: '\u0000\u001b[31m<img src=x>', n: -0.5, u: undefined },
      [1, [2, [3]]], 'text', 7, null,
    ];
    expect(await streamed(items)).toBe(`${JSON.stringify(items, null, 2)}\n`);
    expect(await streamed([])).toBe(`${JSON.stringify([], null, 2)}\n`);
    expect(await streamed([{}])).toBe(`${JSON.stringify([{}], null, 2)}\n`);
  });

  test('never one string: the output goes out in pieces of about 64 KiB, however many items', async () => {
    let largest = 0;
    let total = 0;
    const out = new Output(new Writable({ write(c: Buffer, _e, done) { largest = Math.max(largest, c.length); total += c.length; done(); } }));
    const item = { kind: 'nop-ping-unanswered', message: 'x'.repeat(900), frames: [1, 2, 3] };
    const n = 20_000;
    await writeJsonArray(out, (function* () { for (let i = 0; i < n; i++) yield item; })());
    await out.flush();
    const one = JSON.stringify(item, null, 2).length;
    expect(total).toBeGreaterThan(n * one);
    expect(largest).toBeLessThan((64 << 10) + 2 * one);
  });

  test('findings --json equals the JSON of the same findings', async () => {
    const file = join(CAPTURES, 'slow-target-abort.pcap');
    const r = await runCli(['findings', file, '--json']);
    const parsed = JSON.parse(r.stdout) as unknown[];
    expect(parsed.length).toBeGreaterThan(0);
    expect(r.stdout).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
  });
});
