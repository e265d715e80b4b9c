/** Captures from a path, standard input (`-`), a FIFO and a character device: each read once, the same way. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { captureChunks } from '../../src/cli/sources.ts';
import { CAPTURES, readTsv } from '../support/shared.ts';
import { jsonLines, runCli } from './run.ts';

const BIN = resolve('bin/iscsi-inspect.js');
const BASIC = join(CAPTURES, 'basic-io.pcap');
const NANO = join(CAPTURES, 'pcapng-nano.pcapng');

/** Frame numbers of the PDUs tshark decoded (one row per PDU). */
function tsharkPduFrames(capture: string): number[] {
  return readTsv(`${capture}.tshark.tsv`).map((r) => Number(r['frame.number']));
}

function cli(args: string[], input?: Uint8Array): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('captureChunks', () => {
  test('a regular file comes out byte for byte, in chunks of the size asked for', async () => {
    const want = readFileSync(BASIC);
    const parts: Uint8Array[] = [];
    for await (const c of captureChunks(BASIC, { chunkSize: 1 << 20 })) parts.push(c.slice());
    expect(parts.slice(0, -1).every((p) => p.length === 1 << 20)).toBe(true);
    expect(Buffer.concat(parts).equals(want)).toBe(true);
  });
});

describe('standard input: -', () => {
  test('pcap on stdin: every PDU tshark decoded, in its frame', () => {
    const r = cli(['pdus', '-'], readFileSync(BASIC));
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((p) => p.frame)).toEqual(tsharkPduFrames(BASIC));
  });

  test('pcapng and gzip-compressed pcapng on stdin', () => {
    const want = tsharkPduFrames(NANO);
    for (const input of [readFileSync(NANO), gzipSync(readFileSync(NANO))]) {
      const r = cli(['pdus', '-'], input);
      expect(r.code).toBe(0);
      expect(jsonLines(r.stdout).map((p) => p.frame)).toEqual(want);
    }
  });

  test('a live capture on stdin streams: its PDUs come out while the input is still open', async () => {
    // A small capture (its listing is far below the 64 KiB a file's output gathers before a write):
    // from a pipe, each chunk's settled PDUs are written at once, as `tcpdump -w - | … pdus -` needs.
    const capture = join(CAPTURES, 'target-nopin-answered.pcap');
    const want = tsharkPduFrames(capture);
    const child = spawn(process.execPath, [BIN, 'pdus', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    child.stdin.write(readFileSync(capture));
    const lines = (): number => out.split('\n').length - 1;
    for (let i = 0; i < 200 && lines() < want.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(lines()).toBe(want.length);
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(jsonLines(out).map((p) => p.frame)).toEqual(want);
  });

  test('summary of stdin names it; empty stdin is exit 1 with one line', () => {
    const s = cli(['summary', '-', '--json'], readFileSync(join(CAPTURES, 'target-nopin-answered.pcap')));
    expect(s.code).toBe(0);
    // tshark's decode beside it: 20 PDUs.
    expect(JSON.parse(s.stdout)).toMatchObject({ format: 'pcap', pdus: tsharkPduFrames(join(CAPTURES, 'target-nopin-answered.pcap')).length });
    const e = cli(['summary', '-'], new Uint8Array(0));
    expect(e.code).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/empty|0 bytes/i);
  });
});

describe('FIFOs and character devices', () => {
  test('a FIFO is opened once and read to the end, every time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iscsi-fifo-'));
    const fifo = join(dir, 'capture.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const want = tsharkPduFrames(BASIC);
    // The old reader opened the FIFO twice (stat, then read) and hung or read "empty" at random:
    // a few rounds make that visible.
    for (let round = 0; round < 4; round++) {
      const writer = spawn('sh', ['-c', `cat "$0" > "$1"`, BASIC, fifo], { stdio: 'ignore' });
      const done = new Promise<number | null>((res) => writer.on('exit', res));
      const r = await runCli(['pdus', fifo]);
      expect(await done).toBe(0);
      expect(r.code).toBe(0);
      expect(jsonLines(r.stdout).map((p) => p.frame)).toEqual(want);
    }
  });

  test('/dev/null is an empty capture: exit 1 with one line', async () => {
    const empty = await runCli(['summary', '/dev/null']);
    expect(empty.code).toBe(1);
    expect(empty.stderr.trim().split('\n')).toHaveLength(1);
    expect(empty.stderr).toMatch(/empty|0 bytes/i);
  });

  test('/dev/stdin by name reads the pipe once', () => {
    // A real pipe (spawnSync's own stdin is a socket, which /dev/stdin cannot be opened on).
    const r = spawnSync('sh', ['-c', 'cat "$0" | "$1" "$2" pdus /dev/stdin', BASIC, process.execPath, BIN], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    expect(jsonLines(r.stdout).map((p) => p.frame)).toEqual(tsharkPduFrames(BASIC));
  });

  test('a directory is exit 1 with a one-line reason', async () => {
    const r = await runCli(['summary', tmpdir()]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/directory/);
  });
});
