import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { crc32c, putU32le } from '../../src/codec/index.ts';
import { readTsv, walkCapture } from './helpers/capture.ts';

const wire = (v: number): string => {
  const b = new Uint8Array(4);
  putU32le(b, 0, v);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
};

describe('CRC32C', () => {
  // RFC 3720 Appendix B.4 / RFC 7143: the digest as it appears on the wire (LSB first).
  test('RFC test vectors', () => {
    expect(wire(crc32c(new Uint8Array(32)))).toBe('aa 36 91 8a');
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(wire(crc32c(new Uint8Array(32).fill(0xff)))).toBe('43 ab a8 62');
    expect(wire(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)))).toBe('4e 79 dd 46');
    expect(wire(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe('5c db 3f 11');
  });

  test('the classic check value: "123456789" → 0xe3069283', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  test('empty input is 0; offset and length select a window', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const b = new Uint8Array(40);
    b.set(Uint8Array.from({ length: 32 }, (_, i) => i), 5);
    expect(crc32c(b, 5, 32)).toBe(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)));
  });

  test('incremental equals one-shot, for any split into pieces', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 5 }),
      (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let crc = 0;
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          crc = crc32c(bytes, prev, p - prev, crc);
          prev = p;
        }
        expect(crc).toBe(crc32c(bytes));
      },
    ), { numRuns: 500 });
  });

  test('slicing-by-8 agrees with a bitwise reference at every length and alignment', () => {
    const bitwise = (b: Uint8Array): number => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const data = Uint8Array.from({ length: 80 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let off = 0; off < 9; off++) {
      for (let len = 0; len + off <= data.length; len++) {
        expect(crc32c(data, off, len)).toBe(bitwise(data.subarray(off, off + len)));
      }
    }
  });

  test('header digests of header-digest.pcap recompute over the real headers (tsv iscsi.headerdigest32)', () => {
    const rows = readTsv('header-digest.pcap.tshark.tsv').filter((r) => r['iscsi.headerdigest32'] !== '');
    const walked = new Map(walkCapture('header-digest.pcap').map((w) => [`${w.frame}/${w.pduInFrame}`, w]));
    expect(rows.length).toBeGreaterThan(200);
    for (const row of rows) {
      const w = walked.get(`${row['frame.number']}/${row.pdu_in_frame}`);
      expect(w).toBeDefined();
      if (w === undefined) continue;
      const b = w.stream.bytes;
      const hlen = 48 + b[w.offset + 4] * 4;
      // Wireshark prints the 4 digest bytes read big-endian; on the wire they are the CRC, LSB first.
      const onWire = Array.from(b.subarray(w.offset + hlen, w.offset + hlen + 4), (x) => x.toString(16).padStart(2, '0')).join('');
      expect(`0x${onWire}`).toBe(row['iscsi.headerdigest32']);
      expect(wire(crc32c(b, w.offset, hlen)).replace(/ /g, '')).toBe(onWire);
    }
  });
});
