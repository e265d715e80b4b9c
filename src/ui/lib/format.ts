// Number, time and tag formatting for the page. Locale-independent so screenshots and tests are stable.

import { fmtInt } from '../../capture/index.ts';

export { fmtInt };

/** "1 PDU" / "2 PDUs". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${fmtInt(n)} ${n === 1 ? word : many}`;
}

/** A duration in seconds, with a unit that fits: "850 µs", "12.3 ms", "2.30 s", "4 min 10 s". */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const a = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${sign}${trim((a * 1e6).toPrecision(3))} µs`;
  if (a < 1) return `${sign}${trim((a * 1e3).toPrecision(3))} ms`;
  if (a < 60) return `${sign}${trim(a.toPrecision(3))} s`;
  if (a < 3600) {
    const m = Math.floor(a / 60);
    return `${sign}${m} min ${Math.round(a - m * 60)} s`;
  }
  const h = Math.floor(a / 3600);
  return `${sign}${h} h ${Math.round((a - h * 3600) / 60)} min`;
}

function trim(s: string): string {
  return s.includes('e') ? String(Number(s)) : s;
}

/** Milliseconds as the findings carry them → duration text. */
export function fmtMs(ms: number): string {
  return fmtDuration(ms / 1000);
}

/** Seconds since a start, fixed 6 decimals: "+12.345678". */
export function fmtRel(seconds: number): string {
  return `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(6)}`;
}

/** Wall-clock time of an epoch-seconds value in UTC, with microseconds: "2026-11-22 20:30:01.123456". */
export function fmtClock(epochSeconds: number): string {
  if (!Number.isFinite(epochSeconds)) return '–';
  const ms = Math.floor(epochSeconds * 1000);
  const d = new Date(ms);
  const micro = Math.round((epochSeconds - Math.floor(epochSeconds)) * 1e6) % 1e6;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
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
  return `${v >= 100 ? Math.round(v) : trim(v.toPrecision(3))} ${units[u]}`;
}

/** A 32-bit tag in hex: "0x1a2b3c4d"; the reserved tag reads "0xffffffff". */
export function hexTag(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** A short hex number: 0x2a. */
export function hex(n: number, width = 2): string {
  return `0x${(n >>> 0).toString(16).padStart(width, '0')}`;
}
