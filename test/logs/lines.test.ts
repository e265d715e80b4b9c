import { describe, expect, test } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from '../../src/logs/index.ts';

interface Got { text: string; n: number; cut: boolean }

function split(bytes: Uint8Array, chunk: number, maxLineBytes?: number): Got[] {
  const out: Got[] = [];
  const s = new LineSplitter((text, n, cut) => out.push({ text, n, cut }), maxLineBytes === undefined ? {} : { maxLineBytes });
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
  s.end();
  return out;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('line splitting', () => {
  test('LF and CRLF, no LF at the end, empty lines, every chunk size gives the same lines', () => {
    const b = enc('one\r\ntwo\n\nthree\r\n\r\nfour');
    const want = [
      { text: 'one', n: 1, cut: false }, { text: 'two', n: 2, cut: false }, { text: '', n: 3, cut: false },
      { text: 'three', n: 4, cut: false }, { text: '', n: 5, cut: false }, { text: 'four', n: 6, cut: false },
    ];
    for (const c of [1, 2, 3, 7, 64, b.length]) expect(split(b, c), `chunk ${c}`).toEqual(want);
  });

  test('a CR not before LF is data; a file ending in LF has no extra empty line', () => {
    expect(split(enc('a\rb\n'), 1).map((g) => g.text)).toEqual(['a\rb']);
    expect(split(enc(''), 1)).toEqual([]);
    expect(split(enc('\n'), 1).map((g) => g.text)).toEqual(['']);
  });

  test('invalid UTF-8, NULs and control characters stay as data; a BOM is dropped only at the start', () => {
    const b = new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xc3, 0x0a, 0xef, 0xbb, 0xbf, 0x62, 0x0a]);
    for (const c of [1, 5, b.length]) {
      const g = split(b, c);
      expect(g.map((x) => x.text), `chunk ${c}`).toEqual(['a\u0000\u001b[31m\ufffd\ufffd', '\ufeffb']);
    }
  });

  test('a line longer than the limit keeps its start, is flagged cut, and the next line is whole', () => {
    const long = 'x'.repeat(1 << 20);
    const b = enc(`${long}\nnext\n`);
    for (const c of [4096, 65536, b.length]) {
      const g = split(b, c, 1000);
      expect(g.length).toBe(2);
      expect(g[0]).toEqual({ text: 'x'.repeat(1000), n: 1, cut: true });
      expect(g[1]).toEqual({ text: 'next', n: 2, cut: false });
    }
    // The default limit.
    const d = split(b, 65536);
    expect(d[0].text.length).toBe(DEFAULT_MAX_LINE_BYTES);
    expect(d[0].cut).toBe(true);
  });

  test('exactly at the limit, with and without CR, is not cut; one byte over is', () => {
    expect(split(enc(`${'y'.repeat(20)}\r\n`), 3, 20)[0]).toEqual({ text: 'y'.repeat(20), n: 1, cut: false });
    expect(split(enc(`${'y'.repeat(20)}\n`), 3, 20)[0].cut).toBe(false);
    expect(split(enc(`${'y'.repeat(21)}\n`), 3, 20)[0]).toEqual({ text: 'y'.repeat(20), n: 1, cut: true });
    expect(split(enc(`${'y'.repeat(21)}\n`), 100, 20)[0]).toEqual({ text: 'y'.repeat(20), n: 1, cut: true });
  });

  test('a cut never splits a UTF-8 character', () => {
    // 'é' is 2 bytes: 19 ASCII + é would straddle a 20-byte cut.
    const g = split(enc(`${'a'.repeat(19)}é${'b'.repeat(10)}\n`), 7, 20);
    expect(g[0]).toEqual({ text: 'a'.repeat(19), n: 1, cut: true });
  });

  test('binary input of any kind decodes without throwing', () => {
    const b = new Uint8Array(70000);
    let x = 12345;
    for (let i = 0; i < b.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    const whole = split(b, b.length, 256);
    expect(whole.length).toBeGreaterThan(100);
    expect(split(b, 1, 256)).toEqual(whole);
    expect(split(b, 999, 256)).toEqual(whole);
    expect(whole.every((g) => g.text.length <= 256)).toBe(true);
  });
});
