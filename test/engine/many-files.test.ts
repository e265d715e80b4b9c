// Several captures read as one: a ring of files cut from one capture reads exactly as the capture
// (frames numbered across the files, connections spanning them one connection); files that overlap
// in time are merged by time. The files are cut and interleaved here, record by record, from the
// classic pcap layout (24-byte file header, 16-byte record headers) — not with our own reader.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeCaptures } from '../../src/engine/index.ts';
import type { Analysis } from '../../src/engine/index.ts';
import { unpackFileOffset } from '../../src/capture/index.ts';
import { CAPTURES } from '../support/shared.ts';

interface Rec { bytes: Uint8Array; time: number }

function records(pcap: Uint8Array): { header: Uint8Array; recs: Rec[] } {
  const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const le = dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d;
  const nano = dv.getUint32(0, le) === 0xa1b23c4d;
  const recs: Rec[] = [];
  for (let o = 24; o + 16 <= pcap.length;) {
    const len = dv.getUint32(o + 8, le);
    recs.push({ bytes: pcap.subarray(o, o + 16 + len), time: dv.getUint32(o, le) + dv.getUint32(o + 4, le) / (nano ? 1e9 : 1e6) });
    o += 16 + len;
  }
  return { header: pcap.subarray(0, 24), recs };
}

function file(header: Uint8Array, recs: Rec[]): Uint8Array {
  const out = new Uint8Array(24 + recs.reduce((n, r) => n + r.bytes.length, 0));
  out.set(header);
  let o = 24;
  for (const r of recs) { out.set(r.bytes, o); o += r.bytes.length; }
  return out;
}

async function* chunks(b: Uint8Array, size = 4096): AsyncIterable<Uint8Array> {
  for (let o = 0; o < b.length; o += size) yield b.subarray(o, Math.min(b.length, o + size));
}

function view(a: Analysis) {
  const c = a.pdus;
  const pdus = Array.from({ length: c.count }, (_, i) => [c.frame[i], c.conn[i], c.b0[i], c.itt[i], c.time[i]]);
  return {
    pdus,
    connections: a.connections.map((x) => [x.conn, x.initiator.port, x.firstFrame, x.lastFrame, x.pdus, x.end.kind]),
    findings: a.findings.map((f) => [f.kind, f.frame, f.frames, f.message]),
    packets: a.capture.packets,
  };
}

describe('several files read as one capture', () => {
  test.each(['initiator-ping-timeout.pcap', 'slow-target-abort.pcap', 'basic-io.pcap', 'target-killed.pcap'])('%s cut into a ring of 5 reads as the whole', async (name) => {
    const whole = new Uint8Array(readFileSync(join(CAPTURES, name)));
    const { header, recs } = records(whole);
    const n = 5;
    const parts: Uint8Array[] = [];
    for (let k = 0; k < n; k++) parts.push(file(header, recs.slice(Math.floor((k * recs.length) / n), Math.floor(((k + 1) * recs.length) / n))));
    let notice: string | undefined;
    const one = await analyzeCaptures([{ name, chunks: chunks(whole) }]);
    const ring = await analyzeCaptures(parts.map((p, k) => ({ name: `${name}${k}`, chunks: chunks(p) })), { onMerged: (m) => { notice = m; } });
    expect(notice).toBeUndefined();
    expect(ring.error).toBeUndefined();
    expect(view(ring)).toEqual(view(one));
    // Each PDU's offset names its file, and the offset within it.
    const sizes = parts.map((p) => p.length);
    for (let i = 0; i < ring.pdus.count; i++) {
      const { file: f, offset } = unpackFileOffset(ring.pdus.fileOffset[i]);
      expect(offset).toBeLessThan(sizes[f]);
    }
  });

  test('two captures overlapping in time are merged by time, and said so', async () => {
    const a = records(new Uint8Array(readFileSync(join(CAPTURES, 'target-nopin-answered.pcap'))));
    const b = records(new Uint8Array(readFileSync(join(CAPTURES, 'target-nopin-unanswered.pcap'))));
    // Shift b's clock into a's time span: both captures' packets interleave.
    const shift = Math.floor(a.recs[2].time) - Math.floor(b.recs[0].time);
    const bRecs = b.recs.map((r) => {
      const bytes = r.bytes.slice();
      const dv = new DataView(bytes.buffer);
      const le = new DataView(b.header.buffer, b.header.byteOffset).getUint32(0, true) === 0xa1b2c3d4 || new DataView(b.header.buffer, b.header.byteOffset).getUint32(0, true) === 0xa1b23c4d;
      dv.setUint32(0, dv.getUint32(0, le) + shift, le);
      return { bytes, time: r.time + shift };
    });
    const fa = file(a.header, a.recs);
    const fb = file(b.header, bRecs);
    let notice = '';
    const m = await analyzeCaptures([{ name: 'a.pcap', chunks: chunks(fa) }, { name: 'b.pcap', chunks: chunks(fb) }], { onMerged: (s) => { notice = s; } });
    expect(notice).toMatch(/b\.pcap .* overlap in time/);
    // The merged frames are every record of both, in time order (a stable merge: a's first on a tie).
    const expected = [...a.recs.map((r) => r.time), ...bRecs.map((r) => r.time)].sort((x, y) => x - y);
    expect(m.capture.packets).toBe(expected.length);
    const times = Array.from(m.pdus.time);
    for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThanOrEqual(times[k - 1] - 1e-9);
    // Both captures' connections, each whole: a's target pings answered, b's unanswered.
    expect(m.findings.filter((f) => f.kind === 'target-ping')).toHaveLength(6);
    expect(m.findings.filter((f) => f.kind === 'target-ping-unanswered')).toHaveLength(3);
  });

  test('a broken file in the ring is named, and the others are still read', async () => {
    const whole = new Uint8Array(readFileSync(join(CAPTURES, 'basic-io.pcap')));
    const { header, recs } = records(whole);
    const first = file(header, recs.slice(0, 100));
    const cut = file(header, recs.slice(100, 200)).subarray(0, 1000);
    const third = file(header, recs.slice(200));
    const m = await analyzeCaptures([
      { name: 'ring0.pcap', chunks: chunks(first) }, { name: 'ring1.pcap', chunks: chunks(cut) }, { name: 'ring2.pcap', chunks: chunks(third) },
    ]);
    expect(m.error?.message).toMatch(/^ring1\.pcap: /);
    expect(m.capture.packets).toBeGreaterThan(100 + (recs.length - 200) - 1);
  });
});
