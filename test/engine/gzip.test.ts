import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { analyze } from '../../src/engine/index.ts';
import { CAPTURES } from '../support/shared.ts';

async function* chunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.slice(o, Math.min(bytes.length, o + size));
}

test('a gzip capture reads as the plain one, and says it was compressed', async () => {
  const plain = new Uint8Array(readFileSync(join(CAPTURES, 'basic-io.pcap')));
  const a = await analyze(chunks(gzipSync(plain), 65536));
  expect(a.error).toBeUndefined();
  expect(a.pdus.count).toBe(368); // as Wireshark and the independent walk count them
  expect(a.capture.compression).toBe('gzip');
  expect((await analyze(chunks(plain, 65536))).capture.compression).toBeUndefined();
});

test('a gzip capture cut short keeps what was read, with the reason', async () => {
  const gz = gzipSync(new Uint8Array(readFileSync(join(CAPTURES, 'basic-io.pcap'))));
  const a = await analyze(chunks(gz.subarray(0, Math.floor(gz.length * 0.6)), 65536));
  expect(a.error?.kind).toMatch(/truncated|corrupt/);
  expect(a.pdus.count).toBeGreaterThan(10);
  expect(a.pdus.count).toBeLessThan(368);
});
