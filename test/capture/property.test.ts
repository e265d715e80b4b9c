/** Property: whatever is written (random packets, formats, byte orders) reads back the same, however chunked. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { CaptureReader, PcapngWriter, PcapWriter, type PacketRecord } from '../../src/capture/index.ts';

interface Row { frame: number; hasTime: boolean; tsSec: number; tsNsec: number; capLen: number; origLen: number; interfaceId: number; linkType: number; bytes: number[] }

/** Push `bytes` in pieces of the given sizes (cycled), collecting copies of the packets. */
function readSplit(bytes: Uint8Array, sizes: number[]): { rows: Row[]; custom: number[] } {
  const rows: Row[] = [];
  const custom: number[] = [];
  const reader = new CaptureReader({
    packet(p: PacketRecord) {
      rows.push({ frame: p.frame, hasTime: p.hasTime, tsSec: p.tsSec, tsNsec: p.tsNsec, capLen: p.capLen, origLen: p.origLen,
        interfaceId: p.interfaceId, linkType: p.linkType, bytes: Array.from(p.data.subarray(p.dataOffset, p.dataOffset + p.capLen)) });
    },
  }, { onNonPacketRecord: (r) => custom.push(r.frame) });
  let k = 0;
  for (let o = 0; o < bytes.length; k++) {
    const n = sizes[k % sizes.length];
    reader.push(bytes.subarray(o, o + n));
    o += n;
  }
  reader.end();
  return { rows, custom };
}

const packet = fc.record({
  sec: fc.integer({ min: 0, max: 0xffffffff }),
  nsec: fc.integer({ min: 0, max: 999_999_999 }),
  data: fc.uint8Array({ maxLength: 300 }),
  extra: fc.integer({ min: 0, max: 1000 }),
});
const splits = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 });

test('PcapWriter → CaptureReader, random chunking', () => {
  fc.assert(fc.property(
    fc.array(packet, { maxLength: 60 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 0xffff }), splits,
    fc.integer({ min: 64, max: 5000 }),
    (pkts, bigEndian, nanosecond, linkType, sizes, chunkSize) => {
      const streamed: Uint8Array[] = [];
      const w = new PcapWriter({ bigEndian, nanosecond, linkType, chunkSize, onChunk: (c) => streamed.push(c) });
      for (const p of pkts) w.addPacket(p.sec, p.nsec, p.data, p.data.length + p.extra);
      w.flush();
      const bytes = new Uint8Array(Buffer.concat(streamed));
      expect(bytes.length).toBe(w.bytesWritten);
      const { rows } = readSplit(bytes, sizes);
      expect(rows).toEqual(pkts.map((p, i) => ({
        frame: i + 1, hasTime: true, tsSec: p.sec, tsNsec: nanosecond ? p.nsec : p.nsec - (p.nsec % 1000),
        capLen: p.data.length, origLen: p.data.length + p.extra, interfaceId: 0, linkType, bytes: Array.from(p.data),
      })));
    },
  ), { numRuns: 300 });
});

type Item =
  | { kind: 'epb'; iface: number; p: { sec: number; nsec: number; data: Uint8Array; extra: number } }
  | { kind: 'spb'; p: { data: Uint8Array; extra: number } }
  | { kind: 'custom'; data: Uint8Array }
  | { kind: 'section'; bigEndian: boolean }
  | { kind: 'iface'; linkType: number; tsresol: number };

test('PcapngWriter (sections, interfaces, EPB, SPB, custom blocks) → CaptureReader, random chunking', () => {
  const item: fc.Arbitrary<Item> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('epb' as const), iface: fc.nat(3), p: packet }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('spb' as const), p: fc.record({ data: fc.uint8Array({ maxLength: 200 }), extra: fc.constant(0) }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('custom' as const), data: fc.uint8Array({ maxLength: 50 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('section' as const), bigEndian: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('iface' as const), linkType: fc.integer({ min: 0, max: 300 }), tsresol: fc.constantFrom(6, 9) }) },
  );
  fc.assert(fc.property(fc.array(item, { maxLength: 60 }), fc.boolean(), splits, (items, bigEndian, sizes) => {
    const w = new PcapngWriter({ bigEndian, chunkSize: 256 });
    const expectedRows: Row[] = [];
    const expectedCustom: number[] = [];
    let ifaces: { linkType: number; tsresol: number }[] = [];
    let frame = 0;
    for (const it of items) {
      if (it.kind === 'section') { w.newSection(it.bigEndian); ifaces = []; continue; }
      if (it.kind === 'iface') { w.addInterface({ linkType: it.linkType, tsresol: it.tsresol }); ifaces.push(it); continue; }
      if (it.kind === 'custom') { w.addCustomBlock(32473, it.data); expectedCustom.push(++frame); continue; }
      if (ifaces.length === 0) continue; // packets need an interface
      if (it.kind === 'spb') {
        // snaplen 0 (no limit): the SPB holds the whole packet
        w.addSimplePacket(it.p.data);
        expectedRows.push({ frame: ++frame, hasTime: false, tsSec: 0, tsNsec: 0, capLen: it.p.data.length, origLen: it.p.data.length,
          interfaceId: 0, linkType: ifaces[0].linkType, bytes: Array.from(it.p.data) });
        continue;
      }
      const id = it.iface % ifaces.length;
      const { sec, nsec, data, extra } = it.p;
      w.addPacket(id, sec, nsec, data, data.length + extra);
      expectedRows.push({ frame: ++frame, hasTime: true, tsSec: sec, tsNsec: ifaces[id].tsresol === 9 ? nsec : nsec - (nsec % 1000),
        capLen: data.length, origLen: data.length + extra, interfaceId: id, linkType: ifaces[id].linkType, bytes: Array.from(data) });
    }
    const { rows, custom } = readSplit(w.toBytes(), sizes);
    expect(rows).toEqual(expectedRows);
    expect(custom).toEqual(expectedCustom);
  }), { numRuns: 300 });
});
