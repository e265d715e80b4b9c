// Text a person reads: numbers, durations, tags and wire strings, formatted the same way in the
// CLI's messages, the findings and the page. Locale-independent, so output is stable in tests and logs.

/** 1234567 → "1,234,567". */
export function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  let s = String(Math.trunc(Math.abs(n)));
  let out = '';
  while (s.length > 3) {
    out = ',' + s.slice(-3) + out;
    s = s.slice(0, -3);
  }
  return (neg ? '-' : '') + s + out;
}

/** "1 packet" / "2 packets", with thousands separators. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${fmtInt(n)} ${n === 1 ? word : many}`;
}

/** Capture timestamps are microseconds unless the file says otherwise. */
export const MICROSECOND = 1e-6;

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A duration with a unit that fits, three significant digits, never finer than the capture's
 * timestamp resolution (seconds): "850 µs", "12.3 ms", "2.30 s", "4 min 10 s", "2 h 5 min".
 */
export function formatDuration(seconds: number, resolution = MICROSECOND): string {
  if (!Number.isFinite(seconds)) return '–';
  const sign = seconds < 0 ? '-' : '';
  const a = Math.abs(seconds);
  if (a === 0) return '0 s';
  if (a < 1e-3) {
    // µs: as many decimals as the resolution carries (none at µs, up to 3 at ns).
    const decimals = Math.max(0, Math.min(3, Math.ceil(-Math.log10(resolution * 1e6) - 1e-9)));
    const us = a * 1e6;
    const digits = Math.min(decimals, Math.max(0, 2 - Math.floor(Math.log10(Math.max(us, 1)))));
    const text = trimZeros(us.toFixed(digits));
    return text === '0' ? `${sign}< ${trimZeros((resolution * 1e6).toFixed(3))} µs` : `${sign}${text} µs`;
  }
  if (a < 0.9995) {
    const ms = a * 1e3;
    const digits = Math.max(0, 2 - Math.floor(Math.log10(ms)));
    return `${sign}${(Math.round(ms * 10 ** digits) / 10 ** digits).toFixed(digits)} ms`;
  }
  if (a < 59.95) {
    const digits = Math.max(0, 2 - Math.floor(Math.log10(a)));
    return `${sign}${(Math.round(a * 10 ** digits) / 10 ** digits).toFixed(digits)} s`;
  }
  if (a < 3599.5) {
    const m = Math.floor(Math.round(a) / 60);
    return `${sign}${m} min ${Math.round(a) - m * 60} s`;
  }
  const minutes = Math.round(a / 60);
  const h = Math.floor(minutes / 60);
  return `${sign}${h} h ${minutes - h * 60} min`;
}

/** The same for milliseconds, as the findings carry durations. */
export function formatMs(ms: number, resolution = MICROSECOND): string {
  return formatDuration(ms / 1000, resolution);
}

/** Seconds since a start, fixed 6 decimals: "+12.345678". */
export function fmtRel(seconds: number): string {
  return `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(6)}`;
}

/** Wall-clock time of an epoch-seconds value in UTC, with microseconds: "2026-11-22 20:30:01.123456 UTC". */
export function fmtClock(epochSeconds: number): string {
  if (!Number.isFinite(epochSeconds)) return '–';
  const whole = Math.floor(epochSeconds);
  const d = new Date(whole * 1000);
  const micro = Math.min(999_999, Math.round((epochSeconds - whole) * 1e6));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micro, 6)} UTC`;
}

/** Bytes in human units: "366 KB", "1.2 GB" (decimal, as disks and MB/s are counted). */
export function fmtBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : trimZeros(v.toPrecision(3))} ${units[u]}`;
}

/** A 32-bit tag: "0x1a2b3c4d" (the reserved tag reads "0xffffffff"). */
export function hexTag(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** A short hex number: hex(42) → "0x2a", hex(5, 4) → "0x0005". */
export function hex(n: number, width = 2): string {
  return `0x${(n >>> 0).toString(16).padStart(width, '0')}`;
}

/**
 * Characters that must never reach a terminal, a CSV cell or the page raw: C0/C1 controls (escape
 * sequences, NUL, newlines) and the Unicode bidirectional controls that make a name read backwards
 * (U+061C, U+200E/F, U+202A–E, U+2066–9).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A string from the wire made safe to show on one line: unsafe characters as \xNN / \uNNNN, long values cut. */
export function printable(text: string, max = Number.POSITIVE_INFINITY): string {
  const clean = text.replace(UNSAFE, escapeChar);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Does the string hold characters printable() would escape? */
export function hasUnsafeCharacters(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}
