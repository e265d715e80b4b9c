// decodePdu never throws, whatever the bytes, offsets and lengths; text keys are tolerant.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodePdu, encodePdu, parseTextKeys, textKeyProblems } from '../../src/codec/index.ts';

describe('decodePdu on garbage', () => {
  test('arbitrary bytes, offsets, lengths and digest options', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 400 }), fc.integer({ min: -10, max: 420 }), fc.integer({ min: -10, max: 1 << 25 }),
      fc.boolean(), fc.boolean(),
      (bytes, off, len, hd, dd) => {
        const p = decodePdu(bytes, off, len, { headerDigest: hd, dataDigest: dd });
        expect(p.opcode).toBeGreaterThanOrEqual(0);
        expect(p.opcode).toBeLessThan(64);
        expect(p.data.length).toBeLessThanOrEqual(p.dataSegmentLength);
        expect(Array.isArray(p.problems)).toBe(true);
      },
    ), { numRuns: 3000 });
  });

  test('headers with every opcode and random fields after them (lengths far beyond the bytes)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 47, maxLength: 200 }), (b0, rest) => {
      const bytes = new Uint8Array(1 + rest.length);
      bytes[0] = b0;
      bytes.set(rest, 1);
      const p = decodePdu(bytes, 0, bytes.length, { headerDigest: true, dataDigest: true });
      expect(p.truncated || p.length <= bytes.length).toBe(true);
    }), { numRuns: 3000 });
  });

  test('short and huge declared lengths are reported, not allocated', () => {
    const b = encodePdu({ opcode: 0x24, itt: 1, keys: [['A', 'B']] });
    b.set([0xff, 0xff, 0xff], 5); // DataSegmentLength 16 MiB − 1
    const p = decodePdu(b, 0, b.length);
    expect(p.truncated).toBe(true);
    expect(p.dataSegmentLength).toBe(0xffffff);
    expect(p.data.length).toBe(b.length - 48);
    const q = decodePdu(b, 0, 20);
    expect(q.truncated).toBe(true);
    expect(q.problems[0]).toBe('only 20 of the 48 header bytes present');
    expect(decodePdu(new Uint8Array(0), 0, 100).problems[0]).toBe('only 0 of the 48 header bytes present');
  });

  test('AHS overrunning TotalAHSLength, and a sense length beyond the data, are problems', () => {
    const cmd = encodePdu({ opcode: 0x01, itt: 1, read: true, ahs: [{ type: 1, data: new Uint8Array(9) }] });
    cmd[49] = 40; // AHSLength 40 in a 12-byte AHS area
    expect(decodePdu(cmd, 0, cmd.length).problems.join(';')).toMatch(/runs past TotalAHSLength/);
    const rsp = encodePdu({ opcode: 0x21, itt: 1, status: 2, sense: Uint8Array.of(0x70, 0, 5, 0) });
    rsp[49] = 99;
    expect(decodePdu(rsp, 0, rsp.length).problems.join(';')).toMatch(/SenseLength 99 exceeds/);
  });

  test('bad digests are reported', () => {
    const b = encodePdu({ opcode: 0x00, immediate: true, itt: 1, data: Uint8Array.of(1, 2, 3) }, { headerDigest: true, dataDigest: true });
    b[20] ^= 1; // inside the BHS
    b[b.length - 1] ^= 1; // data digest
    const p = decodePdu(b, 0, b.length, { headerDigest: true, dataDigest: true });
    expect(p.headerDigest?.ok).toBe(false);
    expect(p.dataDigest?.ok).toBe(false);
    expect(p.problems).toEqual(expect.arrayContaining(['header digest does not match', 'data digest does not match']));
    const q = decodePdu(b, 0, b.length, { headerDigest: true, dataDigest: true, verifyDataDigest: false });
    expect(q.dataDigest?.ok).toBeUndefined();
  });
});

describe('parseTextKeys', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

  test('NUL-separated pairs, first "=" splits, values may contain "="', () => {
    const b = enc('A=1\0B=x=y\0C=\0');
    expect(parseTextKeys(b, 0, b.length)).toEqual([['A', '1'], ['B', 'x=y'], ['C', '']]);
    expect(textKeyProblems(b, 0, b.length)).toEqual([]);
  });

  test('missing final NUL, empty entries and keys without "="', () => {
    const b = enc('\0A=1\0\0NoEquals\0B=2');
    expect(parseTextKeys(b, 0, b.length)).toEqual([['A', '1'], ['NoEquals', ''], ['B', '2']]);
    expect(textKeyProblems(b, 0, b.length)).toEqual(["text data does not end with a NUL", "1 text entry has no '='"]);
  });

  test('invalid UTF-8 becomes U+FFFD, markup stays text', () => {
    const b = Uint8Array.of(0x41, 0x3d, 0xff, 0xfe, 0x00, 0x3c, 0x62, 0x3e, 0x3d, 0x3c, 0x2f, 0x62, 0x3e, 0x00);
    expect(parseTextKeys(b, 0, b.length)).toEqual([['A', '\ufffd\ufffd'], ['<b>', '</b>']]);
  });

  test('window and clamping: offset/length select, overlong lengths are clamped', () => {
    const b = enc('xxA=1\0B=2\0');
    expect(parseTextKeys(b, 2, 4)).toEqual([['A', '1']]);
    expect(parseTextKeys(b, 2, 1000)).toEqual([['A', '1'], ['B', '2']]);
    expect(parseTextKeys(b, 50, 10)).toEqual([]);
    expect(parseTextKeys(b, 0, -5)).toEqual([]);
  });

  test('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: -5, max: 250 }), fc.integer({ min: -5, max: 250 }),
      (b, off, len) => {
        for (const [k, v] of parseTextKeys(b, off, len)) {
          expect(typeof k).toBe('string');
          expect(typeof v).toBe('string');
        }
      }), { numRuns: 1000 });
  });
});
