/** Chunk-size invariance: however the bytes are cut, the same packets come out. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CaptureReader, PcapWriter } from '../../src/capture/index.ts';
import { CAPTURES, CONFORMANCE, digest, glob, readOk } from './helpers.ts';

const SIZES = [1, 7, 4096, 1 << 20];
const conformance = glob(CONFORMANCE, /^test\d+\.pcapng$/);
// Real captures, classic µs / ns and pcapng, small enough for 1-byte pushes.
const captures = ['login-churn.pcap', 'pcapng-nano.pcap', 'pcapng-nano.pcapng', 'snaplen-128.pcap', 'test-suite.pcap']
  .map((f) => `${CAPTURES}/${f}`);

describe.each([...conformance, ...captures].map((f) => [f.startsWith(CONFORMANCE) ? f.slice(CONFORMANCE.length + 1) : basename(f), f]))('%s', (_name, file) => {
  test(`chunk sizes ${SIZES.join(', ')} give identical packets`, () => {
    const bytes = new Uint8Array(readFileSync(file));
    const whole = readOk(bytes);
    const want = digest(whole);
    for (const size of SIZES) {
      const r = readOk(bytes, size);
      expect(r.packets.length, `chunk size ${size}`).toBe(whole.packets.length);
      expect(digest(r), `chunk size ${size}`).toBe(want);
      expect(r.info.bytesConsumed).toBe(bytes.length);
    }
  });
});

test('basic-io.pcap in 3 MB, 64 KiB and 1,499-byte chunks', () => {
  const bytes = new Uint8Array(readFileSync(`${CAPTURES}/basic-io.pcap`));
  const want = digest(readOk(bytes));
  for (const size of [3 << 20, 65536, 1499]) expect(digest(readOk(bytes, size))).toBe(want);
});

test('data is a view of the pushed chunk when the record lies inside it, else of a carry buffer', () => {
  const bytes = new Uint8Array(readFileSync(`${CAPTURES}/basic-io.pcap`));
  let inChunk = 0;
  let carried = 0;
  let current: Uint8Array = bytes;
  const reader = new CaptureReader({
    packet(p) {
      if (p.data === current) inChunk++;
      else carried++;
      // Either way the bytes are those of the file at fileOffset.
      expect(p.data[p.dataOffset]).toBe(bytes[p.fileOffset]);
      expect(p.data[p.dataOffset + p.capLen - 1]).toBe(bytes[p.fileOffset + p.capLen - 1]);
    },
  });
  for (let o = 0; o < bytes.length; o += 100_000) {
    current = bytes.subarray(o, o + 100_000);
    reader.push(current);
  }
  reader.end();
  expect(inChunk).toBeGreaterThan(0);
  expect(carried).toBeGreaterThan(0);
  expect(inChunk + carried).toBe(reader.info.packets);
});

test('a 20 MB packet across 1 MiB chunks (and the big carry buffer is let go afterwards)', () => {
  const w = new PcapWriter({ snaplen: 1 << 30 });
  const big = new Uint8Array(20_000_000).map((_, i) => i & 0xff);
  w.addPacket(1, 0, new Uint8Array(60));
  w.addPacket(2, 0, big);
  w.addPacket(3, 0, new Uint8Array(60).fill(9));
  const bytes = w.toBytes();
  const seen: number[] = [];
  const reader = new CaptureReader({
    packet(p) {
      seen.push(p.capLen);
      if (p.capLen === big.length) {
        expect(Buffer.compare(p.data.subarray(p.dataOffset, p.dataOffset + p.capLen), big)).toBe(0);
      }
    },
  });
  for (let o = 0; o < bytes.length; o += 1 << 20) reader.push(bytes.subarray(o, o + (1 << 20)));
  reader.end();
  expect(seen).toEqual([60, 20_000_000, 60]);
  expect((reader as unknown as { carry: Uint8Array }).carry.length).toBeLessThan(1 << 20);
});
