import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { scaleCapture, SCALE_SHAPES } from '../../src/synth/index.ts';
import type { ScaleShape } from '../../src/synth/index.ts';
import { SCALE_CASES } from '../../scripts/fuzz-scale.ts';
import { analyzeBytes } from '../support/analyze.ts';
import { readTsv } from '../support/shared.ts';

// The hostile-scale shapes at a small size, against tshark's reading of the same bytes
// (test/fixtures/hostile/scale, README.md there): what each shape writes is what it says it writes,
// the engine reads it as tshark does, and the findings the fuzz run counts at scale are the ones
// these captures hold.

const DIR = join(import.meta.dirname, '../fixtures/hostile/scale');
const unitsOf = (shape: ScaleShape): number => (shape === 'long-text-keys' ? 2 : 40);
const fileOf = (shape: ScaleShape): string => `${shape}-${unitsOf(shape)}.${shape === 'pcapng-interfaces' ? 'pcapng' : 'pcap'}`;
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** Frames, TCP streams and flags as tshark read them. */
function frames(shape: ScaleShape): Array<{ frame: number; iface: string; stream: number; flags: number; len: number }> {
  return readTsv(join(DIR, `${fileOf(shape)}.tshark-frames.tsv`)).map((r) => ({
    frame: Number(r['frame.number']), iface: r['frame.interface_id'], stream: Number(r['tcp.stream']), flags: Number(r['tcp.flags']), len: Number(r['tcp.len']),
  }));
}

/** iSCSI PDUs as tshark decoded them. */
function tsharkPdus(shape: ScaleShape): Array<{ frame: number; opcode: number; itt: number; dataSegmentLength: number }> {
  return readTsv(join(DIR, `${fileOf(shape)}.tshark.tsv`)).map((r) => ({
    frame: Number(r['frame.number']), opcode: Number(r['iscsi.opcode']), itt: Number(r['iscsi.initiatortasktag']), dataSegmentLength: Number(r['iscsi.datasegmentlength']),
  }));
}

const SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, FIN = 0x01;

/** What each shape's unit is on the wire, by construction (src/synth/scale.ts). */
const WIRE: Record<ScaleShape, { streams: (n: number) => number; frames: (n: number) => number }> = {
  midstream: { streams: (n) => n, frames: (n) => n },
  'syn-scan': { streams: (n) => n, frames: (n) => n + Math.ceil(n / 2) },
  'silent-logins': { streams: (n) => n, frames: (n) => 8 * n },
  'relogin-loop': { streams: (n) => n, frames: (n) => 8 * n },
  'unanswered-pings': { streams: () => 1, frames: (n) => 5 + 2 * n + 1 },
  'login-dsl-claim': { streams: (n) => n, frames: (n) => 5 * n },
  'long-text-keys': { streams: (n) => n, frames: () => Number.NaN },
  'pcapng-interfaces': { streams: () => 1, frames: () => 8 },
  'tmf-storm': { streams: () => 1, frames: (n) => 5 + 7 * n + 1 },
};

describe.each(SCALE_SHAPES.map((s) => s.shape))('%s', (shape) => {
  const n = unitsOf(shape);
  const bytes = new Uint8Array(readFileSync(join(DIR, fileOf(shape))));

  test('the generator writes these bytes, in chunks of at most 1 MiB', () => {
    const parts = [...scaleCapture(shape, n)];
    expect(concat(parts)).toEqual(bytes);
    // A packet record larger than the chunk gets a chunk of its own; these have none.
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1 << 20);
  });

  test('its units are on the wire as it says (tshark)', () => {
    const f = frames(shape);
    expect(new Set(f.map((x) => x.stream)).size).toBe(WIRE[shape].streams(n));
    const want = WIRE[shape].frames(n);
    if (!Number.isNaN(want)) expect(f.length).toBe(want);
    if (shape === 'syn-scan') {
      expect(f.filter((x) => x.flags === SYN).length).toBe(n);
      expect(f.filter((x) => x.flags === (RST | ACK)).length).toBe(n / 2);
    }
    if (shape === 'midstream') for (const x of f) expect([x.flags, x.len]).toEqual([ACK | PSH, 64]);
    if (shape === 'login-dsl-claim') expect(f.filter((x) => x.len === 48).length).toBe(n);
    if (shape === 'pcapng-interfaces') expect(f.map((x) => Number(x.iface))).toEqual([39, 38, 37, 36, 35, 34, 33, 32]);
    if (shape === 'silent-logins' || shape === 'relogin-loop') expect(f.filter((x) => (x.flags & FIN) !== 0).length).toBe(2 * n);
  });

  test('the engine reads the PDUs tshark reads', () => {
    const { pdus } = analyzeBytes(bytes);
    const ours = pdus.map((p) => ({ frame: p.frame, opcode: p.opcode, itt: p.itt as number, dataSegmentLength: p.dataSegmentLength as number }));
    if (shape === 'login-dsl-claim') {
      // tshark waits for the 65,535 bytes the BHS claims and decodes nothing; we report each Login
      // Request, truncated, in the frame of its 48 bytes.
      expect(tsharkPdus(shape)).toEqual([]);
      expect(ours.map((p) => p.frame)).toEqual(frames(shape).filter((x) => x.len === 48).map((x) => x.frame));
      for (const p of pdus) expect([p.opcode, p.dataSegmentLength, p.truncated]).toEqual([0x03, 65535, true]);
    } else {
      expect(ours).toEqual(tsharkPdus(shape));
    }
  });

  test('the findings the fuzz run expects at scale', () => {
    const c = SCALE_CASES.find((x) => x.shape === shape);
    if (!c) throw new Error(`no scale case for ${shape}`);
    const { analysis } = analyzeBytes(bytes);
    const got: Record<string, number> = {};
    for (const f of analysis.findings) got[f.kind] = (got[f.kind] ?? 0) + 1;
    const want = c.findings(n);
    for (const kind of new Set([...Object.keys(want), ...Object.keys(got)])) {
      const w = want[kind] ?? 0;
      if (w === 'any') continue;
      if (w === 'some') expect(got[kind] ?? 0, kind).toBeGreaterThan(0);
      else expect(got[kind] ?? 0, kind).toBe(w);
    }
  });
});

test('a shape of any size is written as it is read: the first chunk comes before the rest is made', () => {
  // A billion SYNs would be ~100 GB: only a generator that makes them as asked gets here.
  const it = scaleCapture('syn-scan', 1e9);
  const first = it.next();
  expect(first.done).toBe(false);
  expect((first.value as Uint8Array).length).toBeGreaterThan(24);
  it.return(undefined);
});
