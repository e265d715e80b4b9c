import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { serialAdd, serialDiff, serialGe, serialGt, serialInWindow, serialLe, serialLt, serialMax } from '../../src/checks/serial.ts';

describe('RFC 1982 serial arithmetic (32 bits)', () => {
  test('the RFC definition at the edges', () => {
    expect(serialLt(0, 1)).toBe(true);
    expect(serialLt(0xffffffff, 0)).toBe(true); // wraps
    expect(serialLt(0, 0xffffffff)).toBe(false);
    expect(serialLt(5, 5)).toBe(false);
    expect(serialLt(0, 0x7fffffff)).toBe(true);
    // Exactly 2^31 apart: undefined by the RFC; neither is less.
    expect(serialLt(0, 0x80000000)).toBe(false);
    expect(serialLt(0x80000000, 0)).toBe(false);
    expect(serialAdd(0xffffffff, 1)).toBe(0);
    expect(serialAdd(0, -1)).toBe(0xffffffff);
    expect(serialDiff(0xfffffffe, 2)).toBe(4);
    expect(serialDiff(2, 0xfffffffe)).toBe(-4);
    expect(serialMax(0xfffffff0, 3)).toBe(3);
    expect(serialInWindow(1, 0xfffffffe, 5)).toBe(true);
    expect(serialInWindow(6, 0xfffffffe, 5)).toBe(false);
    expect(serialInWindow(0xfffffffd, 0xfffffffe, 5)).toBe(false);
  });

  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const step = fc.integer({ min: 1, max: 0x7fffffff });

  test('s < s + n for 0 < n < 2^31, whatever s (no `<` on raw numbers survives the wrap)', () => {
    fc.assert(fc.property(u32, step, (s, n) => {
      const t = serialAdd(s, n);
      return serialLt(s, t) && serialGt(t, s) && !serialLt(t, s) && serialLe(s, t) && serialGe(t, s) && serialDiff(s, t) === n;
    }));
  });

  test('antisymmetric and irreflexive', () => {
    fc.assert(fc.property(u32, u32, (a, b) => !(serialLt(a, b) && serialLt(b, a)) && !serialLt(a, a)));
  });

  test('a window [lo, lo + w] holds exactly lo .. lo + w', () => {
    fc.assert(fc.property(u32, fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: -(1 << 21), max: 1 << 21 }), (lo, w, d) => {
      const s = serialAdd(lo, d);
      return serialInWindow(s, lo, serialAdd(lo, w)) === (d >= 0 && d <= w);
    }));
  });
});
