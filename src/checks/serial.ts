/**
 * Serial number arithmetic for the 32-bit sequence numbers of iSCSI (CmdSN, StatSN, DataSN …),
 * RFC 1982 with SERIAL_BITS = 32, as RFC 7143 §4.2.2.1 requires. Sequence numbers wrap, so `<` on
 * them is wrong near 2^32: every comparison of serials in the checks goes through here.
 */

const HALF = 0x80000000;

/** s1 < s2: (s1 < s2 and s2 − s1 < 2^31) or (s1 > s2 and s1 − s2 > 2^31). Undefined at exactly 2^31. */
export function serialLt(s1: number, s2: number): boolean {
  const a = s1 >>> 0;
  const b = s2 >>> 0;
  return (a < b && b - a < HALF) || (a > b && a - b > HALF);
}

export function serialGt(s1: number, s2: number): boolean {
  return serialLt(s2, s1);
}

export function serialLe(s1: number, s2: number): boolean {
  return (s1 >>> 0) === (s2 >>> 0) || serialLt(s1, s2);
}

export function serialGe(s1: number, s2: number): boolean {
  return serialLe(s2, s1);
}

/** s + n modulo 2^32. */
export function serialAdd(s: number, n: number): number {
  return (s + n) >>> 0;
}

/** The signed distance from `from` to `to` (to − from), in (−2^31, 2^31]. */
export function serialDiff(from: number, to: number): number {
  return ((to >>> 0) - (from >>> 0)) | 0;
}

/** lo ≤ s ≤ hi in serial order (the CmdSN window [ExpCmdSN, MaxCmdSN]). */
export function serialInWindow(s: number, lo: number, hi: number): boolean {
  return serialLe(lo, s) && serialLe(s, hi);
}

/** The later of two serials. */
export function serialMax(a: number, b: number): number {
  return serialLt(a, b) ? b >>> 0 : a >>> 0;
}
