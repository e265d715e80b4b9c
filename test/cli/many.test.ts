// `iscsi-inspect findings ring.pcap0 ring.pcap1 …`: a capture cut into a ring of files (cut here,
// record by record) gives the whole capture's findings and PDUs; frames number on across the files.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CAPTURES } from '../support/shared.ts';
import { jsonLines, runCli } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'iscsi-ring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ring(name: string, n: number): string[] {
  const b = readFileSync(join(CAPTURES, name));
  const recs: Buffer[] = [];
  for (let o = 24; o + 16 <= b.length;) {
    const len = b.readUInt32LE(o + 8);
    recs.push(b.subarray(o, o + 16 + len));
    o += 16 + len;
  }
  return Array.from({ length: n }, (_, k) => {
    const p = join(dir, `${name}${k}`);
    writeFileSync(p, Buffer.concat([b.subarray(0, 24), ...recs.slice(Math.floor((k * recs.length) / n), Math.floor(((k + 1) * recs.length) / n))]));
    return p;
  });
}

describe('several captures as one', () => {
  test('a ring of 4 files: the same findings, PDUs and frames as the capture', async () => {
    const whole = join(CAPTURES, 'initiator-ping-timeout.pcap');
    const parts = ring('initiator-ping-timeout.pcap', 4);
    const a = await runCli(['findings', whole, '--json']);
    const b = await runCli(['findings', ...parts, '--json']);
    expect(b.code).toBe(0);
    expect(b.stderr).toBe('');
    expect(JSON.parse(b.stdout)).toEqual(JSON.parse(a.stdout));
    const pa = jsonLines((await runCli(['pdus', whole])).stdout);
    const pb = jsonLines((await runCli(['pdus', ...parts])).stdout);
    expect(pb).toEqual(pa);
    const fb = jsonLines((await runCli(['frames', ...parts])).stdout);
    expect(fb.map((f) => f.frame)).toEqual(fb.map((_, k) => k + 1));
  });

  test('files out of time order are merged by time, said on stderr', async () => {
    const parts = ring('slow-target-abort.pcap', 3);
    const r = await runCli(['incidents', parts[2], parts[0], parts[1], '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/overlap in time, so their packets are merged by time/);
    const whole = await runCli(['incidents', join(CAPTURES, 'slow-target-abort.pcap'), '--json']);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(whole.stdout));
  });
});
