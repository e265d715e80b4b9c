/** gzip-compressed captures, through the platform's DecompressionStream and through fflate (the browsers' path). */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { CaptureError, CaptureReader, maybeGunzip, readCapture, type PacketRecord } from '../../src/capture/index.ts';
import { MAX_GUNZIP_PIECE } from '../../src/capture/gzip.ts';
import { CAPTURES, chunksOf, digest, readOk, type Packet } from './helpers.ts';
import { CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM } from '../e2e/support.ts';

const plain = new Uint8Array(readFileSync(`${CAPTURES}/basic-io.pcap`));
const plainDigest = digest(readOk(plain));

function copy(p: PacketRecord): Packet {
  return { frame: p.frame, hasTime: p.hasTime, tsSec: p.tsSec, tsNsec: p.tsNsec, capLen: p.capLen, origLen: p.origLen,
    interfaceId: p.interfaceId, linkType: p.linkType, fileOffset: p.fileOffset, bytes: p.data.slice(p.dataOffset, p.dataOffset + p.capLen) };
}

/** readCapture with a copying sink; CaptureErrors are returned. */
async function readAsync(chunks: AsyncIterable<Uint8Array>): Promise<{ packets: Packet[]; error: CaptureError | null; compression: string | null }> {
  const packets: Packet[] = [];
  let compression: string | null = null;
  let error: CaptureError | null = null;
  try {
    compression = (await readCapture(chunks, { packet: (p) => { packets.push(copy(p)); } })).compression;
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
  }
  return { packets, error, compression };
}

test('maybeGunzip + CaptureReader read a gzipped capture exactly like the plain file', async () => {
  const gz = new Uint8Array(gzipSync(plain));
  for (const size of [1 << 20, 4096, 777]) {
    const packets: Packet[] = [];
    const reader = new CaptureReader({ packet: (p) => { packets.push(copy(p)); } });
    let gzipSeen = false;
    for await (const c of maybeGunzip(chunksOf(gz, size), { onGzip: () => { gzipSeen = true; } })) reader.push(c);
    reader.end();
    expect(gzipSeen).toBe(true);
    expect(digest({ packets, nonPackets: [] })).toBe(plainDigest);
  }
});

test('readCapture: gzip in, same packets out, info says gzip', async () => {
  const r = await readAsync(chunksOf(new Uint8Array(gzipSync(plain)), 65536));
  expect(r.error).toBeNull();
  expect(r.compression).toBe('gzip');
  expect(digest({ packets: r.packets, nonPackets: [] })).toBe(plainDigest);
});

test('a stream that is not gzip passes through untouched (same chunk objects)', async () => {
  const chunks = [plain.subarray(0, 1), plain.subarray(1, 5000), plain.subarray(5000)];
  async function* src() { yield* chunks; }
  const seen: Uint8Array[] = [];
  for await (const c of maybeGunzip(src())) seen.push(c);
  expect(seen.length).toBe(3);
  seen.forEach((c, i) => expect(c).toBe(chunks[i]));
  const r = await readAsync(chunksOf(plain, 100_000));
  expect(r.compression).toBeNull();
  expect(digest({ packets: r.packets, nonPackets: [] })).toBe(plainDigest);
});

test('concatenated gzip members (cat a.gz b.gz): Node 20 decodes all of them', async () => {
  // Browsers follow the Compression Streams spec (one member only) and fail after the first; see gzip.ts.
  const cut = 1_000_003; // inside a packet record
  const gz = new Uint8Array(Buffer.concat([gzipSync(plain.subarray(0, cut)), gzipSync(plain.subarray(cut))]));
  const r = await readAsync(chunksOf(gz, 65536));
  expect(r.error).toBeNull();
  expect(digest({ packets: r.packets, nonPackets: [] })).toBe(plainDigest);
});

test('corrupt gzip: CaptureError corrupt, after the packets decompressed before the fault', async () => {
  const whole = readOk(plain).packets.length;
  // A wrong CRC in the trailer: the data decompresses, then the check fails. (Node's stream drops
  // the output still buffered when it fails, so the last few KB, and their packets, are not seen.)
  const badCrc = new Uint8Array(gzipSync(plain));
  badCrc[badCrc.length - 8] ^= 0xff;
  const a = await readAsync(chunksOf(badCrc, 65536));
  expect(a.error?.kind).toBe('corrupt');
  expect(a.error?.message).toMatch(/^The gzip stream is corrupt within its first [\d,]+ compressed bytes \([\d,]+ bytes decompressed before the fault\): .+; [\d,]+ packets read$/);
  expect(a.packets.length).toBeGreaterThan(whole - 20);
  expect(a.packets.length).toBeLessThanOrEqual(whole);
  expect(a.error?.packetsRead).toBe(a.packets.length);

  // Damage in the middle of the deflate data: corrupt either way (the gzip layer or, if garbage came
  // out first, the capture layer), with the earlier packets kept.
  const mid = new Uint8Array(gzipSync(plain));
  for (let i = 0; i < 64; i++) mid[Math.floor(mid.length / 2) + i] ^= 0x5a;
  const b = await readAsync(chunksOf(mid, 65536));
  expect(b.error?.kind).toBe('corrupt');
  expect(b.packets.length).toBeGreaterThan(0);
  expect(b.packets.length).toBeLessThan(whole);
  expect(b.error?.packetsRead).toBe(b.packets.length);
  expect(b.error?.message).not.toContain('\n');
});

test('gzip cut short: CaptureError truncated, earlier packets kept', async () => {
  const gz = new Uint8Array(gzipSync(plain));
  const r = await readAsync(chunksOf(gz.subarray(0, Math.floor(gz.length / 2)), 65536));
  expect(r.error?.kind).toBe('truncated');
  expect(r.error?.message).toMatch(/^The gzip stream ends early, after [\d,]+ compressed bytes \([\d,]+ bytes decompressed\): .+; [\d,]+ packets read$/);
  expect(r.packets.length).toBeGreaterThan(0);
  expect(r.error?.packetsRead).toBe(r.packets.length);
});

test('gzip of something that is not a capture says both', async () => {
  const r = await readAsync(chunksOf(new Uint8Array(gzipSync('frame.number\tframe.time\n1\t0.0\n'.repeat(50))), 100));
  expect(r.error?.kind).toBe('not-a-capture');
  expect(r.error?.message).toBe('Not a capture file: it is gzip-compressed, and what it holds looks like a text file (tcpdump or tshark text output? write the capture itself with -w)');
  const e = await readAsync(chunksOf(new Uint8Array(gzipSync(new Uint8Array(0))), 100));
  expect(e.error?.kind).toBe('empty');
  expect(e.error?.message).toBe('The gzip file decompresses to nothing (0 bytes)');
});

test('gzip bytes pushed straight into CaptureReader are recognised as gzip', () => {
  const reader = new CaptureReader({ packet() {} });
  expect(() => { reader.push(new Uint8Array(gzipSync(plain))); }).toThrow(
    'Not a capture file (pcap or pcapng): it looks like gzip-compressed data (decompress it first)');
});

test('a source that fails mid-way rejects with its own error, gzip or not', async () => {
  const gz = new Uint8Array(gzipSync(plain));
  for (const data of [gz, plain]) {
    async function* failing() {
      yield data.subarray(0, 5000);
      throw new Error('disk gone');
    }
    await expect(readCapture(failing(), { packet() {} })).rejects.toThrow('disk gone');
  }
});

describe('both inflaters (platform DecompressionStream, fflate for browsers)', () => {
  const INFLATERS = ['platform', 'fflate'] as const;
  const members = new Uint8Array(Buffer.concat([
    gzipSync(plain.subarray(0, 1_000_003)), gzipSync(plain.subarray(1_000_003, 1_000_100)), gzipSync(plain.subarray(1_000_100)),
  ]));

  async function inflate(gz: Uint8Array, inflater: typeof INFLATERS[number], size: number): Promise<{ bytes: Uint8Array; largest: number; error?: CaptureError }> {
    const parts: Uint8Array[] = [];
    let largest = 0;
    try {
      for await (const c of maybeGunzip(chunksOf(gz, size), { inflater })) {
        parts.push(c.slice());
        largest = Math.max(largest, c.length);
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      return { bytes: new Uint8Array(Buffer.concat(parts)), largest, error: e };
    }
    return { bytes: new Uint8Array(Buffer.concat(parts)), largest };
  }

  for (const inflater of INFLATERS) {
    test(`${inflater}: every member of a multi-member file, in any chunk size`, async () => {
      for (const size of [777, 65536, 4 << 20]) {
        const r = await inflate(members, inflater, size);
        expect(r.error).toBeUndefined();
        expect(Buffer.from(r.bytes).equals(plain)).toBe(true);
      }
      const packets: Packet[] = [];
      const reader = new CaptureReader({ packet: (p) => { packets.push(copy(p)); } });
      for await (const c of maybeGunzip(chunksOf(members, 4096), { inflater })) reader.push(c);
      reader.end();
      expect(digest({ packets, nonPackets: [] })).toBe(plainDigest);
    });

    test(`${inflater}: a gzip bomb comes out in pieces of at most 1 MiB, only as fast as it is read`, async () => {
      const size = 256 << 20;
      const bomb = new Uint8Array(gzipSync(new Uint8Array(size), { level: 9 }));
      // The whole 256 KB bomb in one chunk, as the page's 4 MiB slices would hand it over.
      let pulled = 0;
      async function* counted() { pulled++; yield bomb; }
      let out = 0;
      let largest = 0;
      let pieces = 0;
      for await (const c of maybeGunzip(counted(), { inflater })) {
        largest = Math.max(largest, c.length);
        out += c.length;
        if (++pieces === 3) {
          // Read slowly: nothing inflates ahead of the reader while it waits (the whole bomb
          // would be 256 MiB more ArrayBuffer memory).
          const before = process.memoryUsage().arrayBuffers;
          await new Promise((r) => setTimeout(r, 100));
          expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
        }
      }
      expect(pulled).toBe(1);
      expect(out).toBe(size);
      expect(largest).toBeLessThanOrEqual(MAX_GUNZIP_PIECE);
    });

    test(`${inflater}: cut short is truncated, with what came before it`, async () => {
      const gz = new Uint8Array(gzipSync(plain));
      const r = await inflate(gz.subarray(0, gz.length >> 1), inflater, 4096);
      expect(r.error?.kind).toBe('truncated');
      expect(r.error?.message).toMatch(/^The gzip stream ends early, after [\d,]+ compressed bytes \([\d,]+ bytes decompressed\)/);
      expect(r.bytes.length).toBeGreaterThan(0);
      expect(Buffer.from(r.bytes).equals(plain.subarray(0, r.bytes.length))).toBe(true);
    });

    test(`${inflater}: bytes after the last member that are not gzip: corrupt, after all the data`, async () => {
      const gz = new Uint8Array(Buffer.concat([gzipSync(plain), Buffer.from('not gzip at all, trailing junk')]));
      const r = await inflate(gz, inflater, 65536);
      expect(r.error?.kind).toBe('corrupt');
      // zlib drops the output it still held when the fault comes; fflate hands it all on.
      expect(Buffer.from(r.bytes).equals(plain.subarray(0, r.bytes.length))).toBe(true);
      expect(r.bytes.length).toBeGreaterThan(plain.length - (64 << 10));
    });
  }
});

describe('CRC-32 and ISIZE of every member are checked', () => {
  for (const inflater of ['platform', 'fflate'] as const) {
    test(`${inflater}: a wrong CRC or length in the first or the last member's trailer is corrupt`, async () => {
      const a = gzipSync(plain.subarray(0, 2_000_000));
      const b = gzipSync(plain.subarray(2_000_000));
      for (const [member, at] of [[0, a.length - 8], [0, a.length - 2], [1, a.length + b.length - 7], [1, a.length + b.length - 1]] as const) {
        const bad = new Uint8Array(Buffer.concat([a, b]));
        bad[at] ^= 0x01;
        let error: unknown;
        let out = 0;
        try {
          for await (const c of maybeGunzip(chunksOf(bad, 5000), { inflater })) out += c.length;
        } catch (e) { error = e; }
        expect(error, `member ${member}, byte ${at}`).toBeInstanceOf(CaptureError);
        expect((error as CaptureError).kind).toBe('corrupt');
        expect((error as CaptureError).message).toMatch(/incorrect (data|length) check/);
        expect(out).toBeLessThanOrEqual(plain.length);
      }
    });
  }
});

describe('in a real browser (Debian\'s Chromium): the page\'s gzip path', () => {
  test.skipIf(!HAVE_CHROMIUM)('every member of a multi-member file, bounded pieces, CRC checked', async () => {
    const { build } = await import('esbuild');
    const { chromium } = await import('playwright-core');
    // gzip.ts as the page gets it: bundled for the browser (fflate's browser build, no Node globals).
    const bundle = await build({
      entryPoints: [new URL('../../src/capture/gzip.ts', import.meta.url).pathname], bundle: true, write: false,
      format: 'iife', globalName: 'gz', platform: 'browser', target: 'es2022', logLevel: 'silent',
    });
    const code = bundle.outputFiles[0].text;
    const a = gzipSync(plain.subarray(0, 1_000_003));
    const b = gzipSync(plain.subarray(1_000_003));
    const members = Buffer.concat([a, b]);
    const badCrc = Buffer.from(members);
    badCrc[members.length - 8] ^= 1;
    const bomb = gzipSync(new Uint8Array(64 << 20), { level: 9 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ content: code });
      const run = (bytes: Buffer): Promise<{ out: number; largest: number; sum: number; error?: string }> => page.evaluate(async (b64) => {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        async function* chunks() { for (let o = 0; o < data.length; o += 4 << 20) yield data.slice(o, o + (4 << 20)); }
        let out = 0, largest = 0, sum = 0;
        try {
          for await (const c of (globalThis as any).gz.maybeGunzip(chunks()) as AsyncIterable<Uint8Array>) {
            for (let i = (997 - (out % 997)) % 997; i < c.length; i += 997) sum = (sum + c[i] * ((out + i) % 65521 + 1)) % 1_000_000_007;
            out += c.length;
            largest = Math.max(largest, c.length);
          }
        } catch (e) {
          return { out, largest, sum, error: String(e) };
        }
        return { out, largest, sum };
      }, bytes.toString('base64'));
      // A checksum of every 997th byte by its position, the same as over the plain file here.
      let want = 0;
      for (let p = 0; p < plain.length; p += 997) want = (want + plain[p] * (p % 65521 + 1)) % 1_000_000_007;
      const r = await run(members);
      expect(r.error).toBeUndefined();
      expect(r.out).toBe(plain.length);
      expect(r.sum).toBe(want);
      expect(r.largest).toBeLessThanOrEqual(MAX_GUNZIP_PIECE);
      const bad = await run(badCrc);
      expect(bad.error).toMatch(/corrupt.*incorrect data check/);
      const boom = await run(bomb);
      expect(boom.error).toBeUndefined();
      expect(boom.out).toBe(64 << 20);
      expect(boom.largest).toBeLessThanOrEqual(MAX_GUNZIP_PIECE);
    } finally {
      await browser.close();
    }
  });
});
