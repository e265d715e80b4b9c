import { describe, expect, test } from 'vitest';
import { fmtBytes, fmtClock, fmtInt, formatDuration, formatMs, hex, hexTag, plural, printable } from '../../src/text/index.ts';

describe('one format for numbers and durations everywhere', () => {
  test('integers and plurals', () => {
    expect(fmtInt(12408)).toBe('12,408');
    expect(fmtInt(-1234567)).toBe('-1,234,567');
    expect(plural(1, 'packet')).toBe('1 packet');
    expect(plural(2000, 'packet')).toBe('2,000 packets');
  });

  test('durations: three significant digits, units that fit', () => {
    expect(formatDuration(2.3)).toBe('2.30 s');
    expect(formatDuration(20)).toBe('20.0 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(7500)).toBe('2 h 5 min');
    expect(formatDuration(0.0123)).toBe('12.3 ms');
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(-0.5)).toBe('-500 ms');
    expect(formatMs(8000.7)).toBe('8.00 s');
    expect(formatMs(1.234)).toBe('1.23 ms');
  });

  test('never finer than the capture resolution: a µs capture has no "9.06 µs"', () => {
    expect(formatDuration(0.00000906)).toBe('9 µs');
    expect(formatDuration(0.00000906, 1e-9)).toBe('9.06 µs');
    expect(formatDuration(0.0000121)).toBe('12 µs');
    expect(formatDuration(0.000850)).toBe('850 µs');
    expect(formatDuration(0.0000001)).toBe('< 1 µs');
  });

  test('tags, hex, bytes, clock', () => {
    expect(hexTag(0x1a)).toBe('0x0000001a');
    expect(hexTag(0xffffffff)).toBe('0xffffffff');
    expect(hex(42)).toBe('0x2a');
    expect(hex(5, 4)).toBe('0x0005');
    expect(fmtBytes(366_000)).toBe('366 KB');
    expect(fmtBytes(1_230_000_000)).toBe('1.23 GB');
    expect(fmtClock(1_700_000_000.5)).toBe('2023-11-14 22:13:20.500000 UTC');
  });
});

describe('wire strings are shown inert', () => {
  test('control characters and bidi controls escaped, length cut', () => {
    expect(printable('a\nb\u0007\u001b[31m')).toBe('a\\x0ab\\x07\\x1b[31m');
    // U+202E RIGHT-TO-LEFT OVERRIDE would make "gnp.exe" read as "exe.png"
    expect(printable('iqn.\u202egnp.exe')).toBe('iqn.\\u202egnp.exe');
    expect(printable('\u2066x\u2069\u200f')).toBe('\\u2066x\\u2069\\u200f');
    expect(printable('abcdef', 4)).toBe('abc…');
    expect(printable('plain ascii and ünïcödé')).toBe('plain ascii and ünïcödé');
  });
});
