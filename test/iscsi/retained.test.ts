import { describe, expect, test } from 'vitest';
import { encodePdu } from '../../src/codec/index.ts';
import { ConnectionFraming, DirectionFramer } from '../../src/iscsi/index.ts';
import type { FramedPdu, FramerSink } from '../../src/iscsi/index.ts';

// What a framer holds is what is live: the bytes it has and must keep, never what a length field
// claims. These feed one DirectionFramer directly; every byte and frame is made here.

interface Seen { opcode: number; frame: number; dataLength: number; dataComplete: boolean; truncated: boolean }

function framer(fromTarget: boolean, atStreamStart: boolean): { f: DirectionFramer; seen: Seen[]; unframed: number[] } {
  const seen: Seen[] = [];
  const unframed: number[] = [];
  const sink: FramerSink = {
    pdu: (p: FramedPdu) => { seen.push({ opcode: p.header[0] & 0x3f, frame: p.frame, dataLength: p.dataLength, dataComplete: p.dataComplete, truncated: p.truncated }); },
    unframed: (_t, bytes) => { unframed.push(bytes); },
  };
  const conn = new ConnectionFraming();
  if (atStreamStart && !fromTarget) conn.startsWithLogin();
  return { f: new DirectionFramer(fromTarget, conn, sink, atStreamStart), seen, unframed };
}

const loginBhs = (dsl: number): Uint8Array => {
  const b = encodePdu({ opcode: 0x03, immediate: true, itt: 1, isid: '80:00:00:00:00:01', transit: true, csg: 1, nsg: 3, cmdSN: 1 }).slice(0, 48);
  b[5] = (dsl >> 16) & 255; b[6] = (dsl >> 8) & 255; b[7] = dsl & 255;
  return b;
};

describe('a Login whose BHS claims a data segment', () => {
  test('reserves nothing for it: what it holds grows with the bytes that come', () => {
    const { f, seen } = framer(false, true);
    f.data(loginBhs(65535), 0, 48, 1, 1, 0);
    // The framer's fixed state, no 64 KiB: the claim is only a number.
    expect(f.retainedBytes()).toBeLessThan(1024);
    const keys = new TextEncoder().encode('InitiatorName=iqn.2026-01.test:one\0'.padEnd(1000, '\0'));
    f.data(keys, 0, keys.length, 2, 2, 100);
    expect(f.retainedBytes()).toBeGreaterThanOrEqual(1000);
    expect(f.retainedBytes()).toBeLessThan(1000 + 1024 + 1024);
    expect(seen).toEqual([]);
    // The rest never comes: the PDU is told truncated with the 1,000 bytes that came, and the
    // framer lets its buffers go.
    f.end();
    expect(seen).toEqual([{ opcode: 0x03, frame: 2, dataLength: 1000, dataComplete: false, truncated: true }]);
    expect(f.retainedBytes()).toBe(0);
  });
});

describe('a connection whose capture starts mid-PDU', () => {
  // The tail of a data segment (0xff never begins a BHS), then the first half of a SCSI Command BHS.
  const cmd = encodePdu({ opcode: 0x01, itt: 7, read: true, cdb: new Uint8Array([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]), expectedDataTransferLength: 4096, cmdSN: 9, expStatSN: 3 });
  const bytes = new Uint8Array(64);
  bytes.fill(0xff, 0, 40);
  bytes.set(cmd.subarray(0, 24), 40);

  test('holds a window the size of what came, and nothing once the stream ends', () => {
    const { f, seen, unframed } = framer(false, false);
    f.data(bytes, 0, bytes.length, 1, 1, 0);
    expect(f.retainedBytes()).toBeGreaterThanOrEqual(64);
    expect(f.retainedBytes()).toBeLessThan(1024);
    f.end();
    expect(seen).toEqual([]);
    expect(unframed).toEqual([64]);
    expect(f.retainedBytes()).toBe(0);
  });

  test('bytes after the end are framed again from scratch', () => {
    const { f, seen } = framer(false, false);
    f.data(bytes, 0, bytes.length, 1, 1, 0);
    f.end();
    // Two whole SCSI Commands: a boundary confirmed by the second.
    const two = new Uint8Array(cmd.length * 2);
    two.set(cmd); two.set(cmd, cmd.length);
    f.data(two, 0, two.length, 2, 2, 100);
    f.end();
    expect(seen.map((s) => [s.opcode, s.frame])).toEqual([[0x01, 2], [0x01, 2]]);
  });
});

test('a resync window spans a bounded number of segments: a candidate never confirmed stops holding the stream back', () => {
  // A Data-In BHS claiming 3 MiB of data, then 1-byte segments: the candidate waits for the BHS that
  // would follow 3 MiB later. Each segment is a frame of its own; the window cannot hold them all.
  const { f } = framer(true, false);
  const din = encodePdu({ opcode: 0x25, itt: 5, ttt: 0xffffffff, statSN: 1, expCmdSN: 1, maxCmdSN: 8, dataSN: 0, bufferOffset: 0 }).slice(0, 48);
  const dsl = 3 << 20;
  din[5] = (dsl >> 16) & 255; din[6] = (dsl >> 8) & 255; din[7] = dsl & 255;
  f.data(din, 0, 48, 1, 1, 0);
  expect(f.pendingFrame()).toBe(1);
  const one = new Uint8Array(1);
  const last = 40_000;
  for (let frame = 2; frame <= last; frame++) f.data(one, 0, 1, frame, frame, frame * 100);
  // Without the bound frame 1 would stay pending until 3 MiB had come (or the stream ended).
  expect(f.pendingFrame()).toBeGreaterThan(last - 20_000);
  f.end();
  expect(f.retainedBytes()).toBe(0);
});

test('text keys past the 64 KiB kept are not complete', () => {
  const { f, seen } = framer(false, true);
  const dsl = 70_000;
  const keys = new Uint8Array(dsl);
  keys.fill(0x41);
  keys.set(new TextEncoder().encode('X-Pad='));
  const pdu = new Uint8Array(48 + ((dsl + 3) & ~3));
  pdu.set(loginBhs(dsl));
  pdu.set(keys, 48);
  f.data(pdu, 0, pdu.length, 1, 1, 0);
  expect(seen).toEqual([{ opcode: 0x03, frame: 1, dataLength: 65536, dataComplete: false, truncated: false }]);
  // Its kept 64 KiB are let go once the PDU is out.
  expect(f.retainedBytes()).toBeLessThan(1024);
});
