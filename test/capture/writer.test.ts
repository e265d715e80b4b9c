/** The writers stream bounded chunks; plus linkTypeName. */
import { expect, test } from 'vitest';
import { linkTypeName, PcapngWriter, PcapWriter } from '../../src/capture/index.ts';
import { readOk } from './helpers.ts';

test('PcapWriter streams chunks of the requested size and never touches a chunk once handed out', () => {
  const chunks: Uint8Array[] = [];
  const copies: number[][] = [];
  const w = new PcapWriter({ chunkSize: 4096, onChunk: (c) => { chunks.push(c); copies.push(Array.from(c)); } });
  const big = new Uint8Array(10_000).fill(0xab); // larger than a chunk: gets one of its own
  for (let i = 0; i < 100; i++) w.addPacket(i, i * 1000, i === 50 ? big : new Uint8Array(100 + i).fill(i));
  w.flush();
  expect(w.takeChunks()).toEqual([]); // everything went to onChunk
  chunks.forEach((c, i) => expect(Array.from(c)).toEqual(copies[i]));
  expect(chunks.filter((c) => c.length > 4096).map((c) => c.length)).toEqual([16 + 10_000]);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  expect(total).toBe(w.bytesWritten);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { bytes.set(c, o); o += c.length; }
  const r = readOk(bytes);
  expect(r.packets.length).toBe(100);
  expect(r.packets[50].capLen).toBe(10_000);
  expect(r.packets[99].tsNsec).toBe(99_000);
});

test('takeChunks hands out finished chunks while writing continues', () => {
  const w = new PcapngWriter({ chunkSize: 1000 });
  w.addInterface({ tsresol: 9 });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    w.addPacket(0, 1_700_000_000, i, new Uint8Array(200));
    parts.push(...w.takeChunks());
  }
  expect(parts.length).toBeGreaterThan(5);
  parts.push(...w.finish());
  const bytes = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of parts) { bytes.set(c, o); o += c.length; }
  const r = readOk(bytes);
  expect(r.packets.map((p) => p.tsNsec)).toEqual(Array.from({ length: 50 }, (_, i) => i));
});

test('linkTypeName', () => {
  expect(linkTypeName(1)).toBe('Ethernet');
  expect(linkTypeName(0)).toBe('BSD loopback (NULL)');
  expect(linkTypeName(101)).toBe('raw IP');
  expect(linkTypeName(113)).toBe('Linux cooked (SLL)');
  expect(linkTypeName(276)).toBe('Linux cooked v2 (SLL2)');
  expect(linkTypeName(127)).toBe('IEEE 802.11 radiotap');
  expect(linkTypeName(150)).toBe('user-defined (USER3)');
  expect(linkTypeName(65000)).toBe('unknown link type 65000');
});

test('classic pcap link-type field: LINKTYPE in the low 16 bits, FCS length in bits 28-31', () => {
  const b = new PcapWriter().toBytes();
  new DataView(b.buffer).setUint32(20, (2 << 28) | 0x04000000 | 1, true); // Ethernet, FCS of 2 x 16 bits
  const info = readOk(b).info;
  expect(info.interfaces[0]).toMatchObject({ linkType: 1, fcsLength: 4 });
});
