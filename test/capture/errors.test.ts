/** Every CaptureError kind, its message, and that packets before the problem were delivered. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CaptureError, CaptureReader, fmtInt, PcapngWriter, PcapWriter } from '../../src/capture/index.ts';
import { CAPTURES, CONFORMANCE, readBytes } from './helpers.ts';

const basicIo = new Uint8Array(readFileSync(`${CAPTURES}/basic-io.pcap`));
const nano = new Uint8Array(readFileSync(`${CAPTURES}/pcapng-nano.pcapng`));
const test001 = new Uint8Array(readFileSync(`${CONFORMANCE}/output_le/basic/test001.pcapng`));

/** Record starts of a little-endian classic pcap, walked here independently of the reader. */
function pcapRecords(b: Uint8Array): { offset: number; length: number }[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [];
  for (let p = 24; p + 16 <= b.length;) {
    const length = 16 + dv.getUint32(p + 8, true);
    out.push({ offset: p, length });
    p += length;
  }
  return out;
}

/** Blocks of a little-endian pcapng. */
function pcapngBlocks(b: Uint8Array): { offset: number; type: number; length: number }[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [];
  for (let p = 0; p + 8 <= b.length;) {
    const length = dv.getUint32(p + 4, true);
    out.push({ offset: p, type: dv.getUint32(p, true), length });
    p += length;
  }
  return out;
}

function expectError(bytes: Uint8Array, kind: string, message: string | RegExp, packets: number, chunkSize?: number): CaptureError {
  for (const size of chunkSize === undefined ? [bytes.length || 1, 1000, 7] : [chunkSize]) {
    const r = readBytes(bytes, size);
    expect(r.error, `chunk size ${size}`).not.toBeNull();
    const e = r.error as CaptureError;
    expect(e).toBeInstanceOf(CaptureError);
    expect(e).toBeInstanceOf(Error);
    expect(e.kind).toBe(kind);
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/\n/);
    expect(e.packetsRead).toBe(packets);
    expect(r.packets.length, 'packets delivered before the error').toBe(packets);
  }
  return readBytes(bytes).error as CaptureError;
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe('empty', () => {
  test('nothing pushed', () => {
    const r = new CaptureReader({ packet() {} });
    expect(() => r.end()).toThrow(new CaptureError('empty', 'The file is empty (0 bytes)', 0, 0));
    const r2 = new CaptureReader({ packet() {} });
    r2.push(new Uint8Array(0));
    expect(() => r2.end()).toThrow('The file is empty (0 bytes)');
    try { r2.end(); } catch (e) { expect((e as CaptureError).kind).toBe('empty'); }
  });
});

describe('not-a-capture', () => {
  const cases: [string, Uint8Array, string][] = [
    ['text (a README)', new Uint8Array(readFileSync(`${CAPTURES}/README.md`)), 'a text file (tcpdump or tshark text output? write the capture itself with -w)'],
    ['tshark text output', ascii('    1 0.000000000    127.0.0.1 → 127.0.0.1    TCP 74 52770 → 3260 [SYN]\n'), 'a text file (tcpdump or tshark text output? write the capture itself with -w)'],
    ['HTML', ascii('\n  <!DOCTYPE html><html><head><title>Download</title></head><body>…</body></html>\n'), 'an HTML page (a web page saved instead of the capture?)'],
    ['JSON', ascii('[{"_index": "packets-2024", "_source": {"layers": {}}}]'), 'JSON text'],
    ['PNG', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, ...new Array(600).fill(0)]), 'a PNG image'],
    ['zip', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0, ...new Array(100).fill(1)]), 'a ZIP archive (extract the capture from it first)'],
    ['JPEG', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]), 'a JPEG image'],
    ['PDF', ascii('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n'), 'a PDF document'],
    ['ELF', new Uint8Array(readFileSync('/bin/sh')).subarray(0, 4096), 'an ELF executable'],
    ['unknown binary', new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff).map((v, i) => (i < 4 ? [0x00, 0x01, 0xfe, 0x80][i] : v)), 'unknown binary data starting with 00 01 fe 80'],
    ['3 bytes of text', ascii('hi\n'), 'a text file (tcpdump or tshark text output? write the capture itself with -w)'],
  ];
  test.each(cases)('%s', (_name, bytes, what) => {
    expectError(bytes, 'not-a-capture', `Not a capture file (pcap or pcapng): it looks like ${what}`, 0);
  });
});

describe('truncated', () => {
  test('classic pcap cut 1,204 bytes into a packet record', () => {
    const recs = pcapRecords(basicIo);
    const i = recs.findIndex((r, k) => k >= 100 && r.length > 2000);
    const cut = basicIo.subarray(0, recs[i].offset + 1204);
    const e = expectError(cut, 'truncated', `File ends 1,204 bytes into a packet record; ${fmtInt(i)} packets read`, i);
    expect(e.offset).toBe(recs[i].offset);
  });

  test('classic pcap cut inside a record header, and inside the file header', () => {
    const recs = pcapRecords(basicIo);
    expectError(basicIo.subarray(0, recs[3].offset + 5), 'truncated', 'File ends 5 bytes into a packet record; 3 packets read', 3);
    expectError(basicIo.subarray(0, 10), 'truncated', 'File ends 10 bytes into the 24-byte pcap file header; 0 packets read', 0);
    expectError(basicIo.subarray(0, 2), 'truncated', 'File ends 2 bytes into the file header; 0 packets read', 0);
  });

  test('pcapng cut inside an Enhanced Packet Block, and inside a block header', () => {
    const blocks = pcapngBlocks(nano);
    const epbs = blocks.filter((b) => b.type === 6);
    const k = 40;
    const target = epbs[k];
    expectError(nano.subarray(0, target.offset + 77), 'truncated',
      `File ends 77 bytes into a packet record (pcapng Enhanced Packet Block); ${k} packets read`, k);
    expectError(nano.subarray(0, target.offset + 3), 'truncated',
      `File ends 3 bytes into a pcapng block header; ${k} packets read`, k);
    const idb = blocks.find((b) => b.type === 1)!;
    expectError(nano.subarray(0, idb.offset + 20), 'truncated', 'File ends 20 bytes into a pcapng Interface Description Block; 0 packets read', 0);
  });

  test('a record claiming 200 MB in a cut file costs no 200 MB buffer', () => {
    const w = new PcapWriter();
    w.addPacket(1, 0, new Uint8Array(100));
    const bytes = w.toBytes();
    const header = new Uint8Array(16);
    new DataView(header.buffer).setUint32(8, 200_000_000, true);
    new DataView(header.buffer).setUint32(12, 200_000_000, true);
    const reader = new CaptureReader({ packet() {} });
    reader.push(bytes);
    reader.push(header);
    for (let i = 0; i < 10; i++) reader.push(new Uint8Array(1000));
    expect((reader as unknown as { carry: Uint8Array }).carry.length).toBeLessThan(1 << 16);
    expect(() => reader.end()).toThrow('File ends 10,016 bytes into a packet record; 1 packet read');
  });
});

describe('corrupt', () => {
  const blocks = pcapngBlocks(test001);
  const epb2 = blocks.filter((b) => b.type === 6)[1];

  test('pcapng block length not a multiple of 4', () => {
    const b = new Uint8Array(test001);
    new DataView(b.buffer).setUint32(epb2.offset + 4, 13, true);
    const e = expectError(b, 'corrupt',
      `Corrupt pcapng Enhanced Packet Block for packet 2 at file offset ${fmtInt(epb2.offset)}: block length 13 is impossible (not a multiple of 4); 1 packet read`, 1);
    expect(e.offset).toBe(epb2.offset);
  });

  test('pcapng block length below the minimum, over the limit, or different at the end', () => {
    const short = new Uint8Array(test001);
    new DataView(short.buffer).setUint32(epb2.offset + 4, 8, true);
    expectError(short, 'corrupt', /block length 8 is impossible \(less than the 12-byte minimum\); 1 packet read$/, 1);
    const huge = new Uint8Array(test001);
    new DataView(huge.buffer).setUint32(epb2.offset + 4, 0xfffffff0, true);
    expectError(huge, 'corrupt', /block length 4,294,967,280 is impossible \(over the 269,484,032-byte limit\); 1 packet read$/, 1);
    const trailer = new Uint8Array(test001);
    new DataView(trailer.buffer).setUint32(epb2.offset + epb2.length - 4, epb2.length + 4, true);
    expectError(trailer, 'corrupt',
      `Corrupt pcapng Enhanced Packet Block for packet 2 at file offset ${fmtInt(epb2.offset)}: block length ${epb2.length} at its start but ${epb2.length + 4} at its end; 1 packet read`, 1);
  });

  test('EPB captured length larger than its block', () => {
    const b = new Uint8Array(test001);
    new DataView(b.buffer).setUint32(epb2.offset + 20, 100_000, true);
    expectError(b, 'corrupt', `Corrupt pcapng Enhanced Packet Block for packet 2 at file offset ${fmtInt(epb2.offset)}: captured length 100,000 does not fit in a block of ${epb2.length} bytes; 1 packet read`, 1);
  });

  test('EPB naming an interface its section does not have; SPB before any IDB', () => {
    const b = new Uint8Array(test001);
    new DataView(b.buffer).setUint32(epb2.offset + 8, 3, true);
    expectError(b, 'corrupt', /for packet 2 at file offset [\d,]+: it names interface 3, but its section has only interface 0; 1 packet read$/, 1);
    const w = new PcapngWriter();
    w.addSimplePacket(new Uint8Array(10));
    expectError(w.toBytes(), 'corrupt', 'Corrupt pcapng Simple Packet Block for packet 1 at file offset 28: it comes before any Interface Description Block in its section; 0 packets read', 0);
  });

  test('classic pcap record with a huge captured length', () => {
    const recs = pcapRecords(basicIo);
    const b = new Uint8Array(basicIo);
    new DataView(b.buffer).setUint32(recs[5].offset + 8, 0xfffffff0, true);
    expectError(b, 'corrupt', `Corrupt packet record for packet 6 at file offset ${fmtInt(recs[5].offset)}: captured length 4,294,967,280 bytes is over the 268,435,456-byte limit (the file's snaplen is 262,144); 5 packets read`, 5);
  });
});

describe('unsupported-version', () => {
  test('pcap 3.0', () => {
    const b = new PcapWriter().toBytes();
    new DataView(b.buffer).setUint16(4, 3, true);
    new DataView(b.buffer).setUint16(6, 0, true);
    expectError(b, 'unsupported-version', 'Unsupported pcap file version 3.0 (this reader knows version 2.x)', 0);
  });
  test('pcapng 2.0 in a second section, after packets', () => {
    const w = new PcapngWriter();
    w.addInterface();
    w.addPacket(0, 1, 0, new Uint8Array(60));
    w.newSection();
    const b = w.toBytes();
    new DataView(b.buffer).setUint16(b.length - 28 + 12, 2, true);
    expectError(b, 'unsupported-version', `Unsupported pcapng version 2.0 in the section starting at file offset ${b.length - 28} (this reader knows version 1.x); 1 packet read`, 1);
  });
});

test('after an error the reader keeps failing the same way', () => {
  const reader = new CaptureReader({ packet() {} });
  expect(() => reader.push(ascii('hello world, this is not a capture\n'.repeat(20)))).toThrow(CaptureError);
  let first: unknown;
  try { reader.push(new Uint8Array(4)); } catch (e) { first = e; }
  expect(first).toBeInstanceOf(CaptureError);
  expect(() => reader.end()).toThrow(first as Error);
});

test('a sink that throws stops the reader with its own error', () => {
  const w = new PcapWriter();
  for (let i = 0; i < 5; i++) w.addPacket(i, 0, new Uint8Array(10));
  let n = 0;
  const reader = new CaptureReader({ packet() { if (++n === 3) throw new RangeError('sink full'); } });
  expect(() => reader.push(w.toBytes())).toThrow('sink full');
  expect(() => reader.end()).toThrow('sink full');
});
