/** Byte order and timestamp precision of classic pcap (and pcapng sections) do not change what is read. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { PcapWriter, PcapngWriter } from '../../src/capture/index.ts';
import { CAPTURES, digest, epoch, readOk } from './helpers.ts';

/** Rewrite a little-endian classic pcap as big-endian: every header field swapped, packet bytes kept. */
function toBigEndian(le: Uint8Array): Uint8Array {
  const out = new Uint8Array(le);
  const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
  const dst = new DataView(out.buffer);
  const u32 = (o: number) => dst.setUint32(o, src.getUint32(o, true), false);
  const u16 = (o: number) => dst.setUint16(o, src.getUint16(o, true), false);
  u32(0); u16(4); u16(6); u32(8); u32(12); u32(16); u32(20);
  let p = 24;
  while (p + 16 <= le.length) {
    const capLen = src.getUint32(p + 8, true);
    u32(p); u32(p + 4); u32(p + 8); u32(p + 12);
    p += 16 + capLen;
  }
  expect(p).toBe(le.length);
  return out;
}

test('a real capture rewritten big-endian reads identically (µs and ns files)', () => {
  for (const name of ['basic-io.pcap', 'pcapng-nano.pcap']) {
    const le = new Uint8Array(readFileSync(`${CAPTURES}/${name}`));
    const be = toBigEndian(le);
    expect(be[0]).toBe(0xa1);
    const a = readOk(le);
    const b = readOk(be);
    expect(a.info.byteOrder).toBe('little-endian');
    expect(b.info.byteOrder).toBe('big-endian');
    expect(b.info.timePrecision).toBe(a.info.timePrecision);
    expect(b.packets.length).toBe(a.packets.length);
    expect(digest(b)).toBe(digest(a));
  }
});

function samplePackets(): { sec: number; nsec: number; data: Uint8Array; orig: number }[] {
  const out = [];
  for (let i = 0; i < 50; i++) {
    const data = new Uint8Array(60 + ((i * 37) % 1400)).map((_, k) => (k * 7 + i) & 0xff);
    out.push({ sec: 1_700_000_000 + i * 3, nsec: (i * 123_456_789) % 1_000_000_000, data, orig: data.length + (i % 3) * 10 });
  }
  out.push({ sec: 0xffffffff, nsec: 999_999_999, data: new Uint8Array(0), orig: 0 });
  return out;
}

test('PcapWriter µs / ns, little / big endian: all four read back the packets written', () => {
  const pkts = samplePackets();
  for (const nanosecond of [false, true]) {
    const digests: string[] = [];
    for (const bigEndian of [false, true]) {
      const w = new PcapWriter({ nanosecond, bigEndian, linkType: 113, snaplen: 65535 });
      for (const p of pkts) w.addPacket(p.sec, p.nsec, p.data, p.orig);
      const r = readOk(w.toBytes());
      expect(r.info).toMatchObject({ format: 'pcap', version: '2.4', byteOrder: bigEndian ? 'big-endian' : 'little-endian', timePrecision: nanosecond ? 'ns' : 'us' });
      expect(r.info.interfaces[0]).toMatchObject({ linkType: 113, linkTypeName: 'Linux cooked (SLL)', snaplen: 65535 });
      expect(r.packets.map((p) => [p.tsSec, p.tsNsec, p.capLen, p.origLen, p.linkType, Array.from(p.bytes)]))
        .toEqual(pkts.map((p) => [p.sec, nanosecond ? p.nsec : Math.floor(p.nsec / 1000) * 1000, p.data.length, p.orig, 113, Array.from(p.data)]));
      digests.push(digest(r));
    }
    expect(digests[1]).toBe(digests[0]);
  }
});

test('PcapngWriter: both byte orders, and a file mixing them section by section', () => {
  const pkts = samplePackets();
  const write = (order: (i: number) => boolean) => {
    const w = new PcapngWriter({ bigEndian: order(0) });
    w.addInterface({ linkType: 1, tsresol: 9 });
    pkts.forEach((p, i) => {
      if (i > 0 && i % 10 === 0) {
        w.newSection(order(i / 10));
        w.addInterface({ linkType: 1, tsresol: 9 });
      }
      w.addPacket(0, p.sec, p.nsec, p.data, p.orig);
    });
    return w.toBytes();
  };
  const le = readOk(write(() => false));
  const be = readOk(write(() => true));
  const mixed = readOk(write((s) => s % 2 === 1));
  expect(le.info.sections.every((s) => s.byteOrder === 'little-endian')).toBe(true);
  expect(be.info.sections.every((s) => s.byteOrder === 'big-endian')).toBe(true);
  expect(mixed.info.sections.map((s) => s.byteOrder)).toEqual(['little-endian', 'big-endian', 'little-endian', 'big-endian', 'little-endian', 'big-endian']);
  expect(le.packets.map(epoch)).toEqual(pkts.map((p) => `${p.sec}.${String(p.nsec).padStart(9, '0')}`));
  expect(digest(be)).toBe(digest(le));
  expect(digest(mixed)).toBe(digest(le));
});
