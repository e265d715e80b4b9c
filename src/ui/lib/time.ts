// Times as the page shows them: relative to the capture's first packet, to the capture's own
// timestamp resolution (shownResolution: a millisecond capture gets 3 decimals, a microsecond one 6),
// and the wall clock beside it in UTC or the browser's time zone. Durations go through src/text
// formatDuration with the same resolution, so one duration reads the same everywhere.

import { fmtRel } from '../../text/index.ts';
import type { Analysis } from '../../engine/index.ts';

/**
 * The finest resolution the page can show truthfully. The model's times are doubles of seconds
 * since the epoch; around 2026 one step of such a double is 2^-22 s (0.24 µs), so a nanosecond
 * capture's nanoseconds are gone before the page sees them: it shows microseconds, as for pcap.
 */
export const EPOCH_DOUBLE_RESOLUTION = 1e-6;

/** The resolution times and durations are shown to: the capture's, never finer than the model keeps. */
export function shownResolution(a: Analysis): number {
  return Math.max(a.capture.timeResolution || EPOCH_DOUBLE_RESOLUTION, EPOCH_DOUBLE_RESOLUTION);
}

export type TimeZoneChoice = 'UTC' | 'local';

/** Decimals a timestamp of this resolution carries (1e-6 → 6, 1e-9 → 9, 1e-1 → 1). */
export function decimalsOf(resolution: number): number {
  if (!(resolution > 0) || !Number.isFinite(resolution)) return 6;
  return Math.max(0, Math.min(9, Math.ceil(-Math.log10(resolution) - 1e-9)));
}

/** Seconds since the capture began: "+3.007249" (µs capture), "+0.024566123" (ns capture). */
export function relTime(seconds: number, resolution: number): string {
  const d = decimalsOf(resolution);
  if (d === 6) return fmtRel(seconds);
  if (!Number.isFinite(seconds)) return '–';
  return `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(d)}`;
}

/** "+3.007 s" for places with little room: milliseconds, or the resolution if coarser. */
export function relShort(seconds: number, resolution: number): string {
  const d = Math.min(3, decimalsOf(resolution));
  if (!Number.isFinite(seconds)) return '–';
  return `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(d)} s`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The fraction of a second as the resolution carries it: ".505504". */
function fraction(epochSeconds: number, decimals: number): { whole: number; frac: string } {
  if (decimals === 0) return { whole: Math.floor(epochSeconds), frac: '' };
  // Split with integer arithmetic on the decimal digits, so 1795378186.505504 never prints as .505503.
  const scale = 10 ** decimals;
  let whole = Math.floor(epochSeconds);
  let f = Math.round((epochSeconds - whole) * scale);
  if (f >= scale) { whole += 1; f -= scale; }
  return { whole, frac: `.${pad(f, decimals)}` };
}

/** Offset of the browser's zone at that moment, "+01:00". */
function offsetText(minutesEast: number): string {
  const s = minutesEast < 0 ? '-' : '+';
  const m = Math.abs(minutesEast);
  return `${s}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

/**
 * Wall-clock time of an epoch-seconds value: ISO 8601 with the zone, to the capture's resolution
 * ("2026-11-22T20:09:46.505504Z", "2026-11-22T21:09:46.505504+01:00").
 */
export function isoTime(epochSeconds: number, resolution: number, zone: TimeZoneChoice = 'UTC'): string {
  if (!Number.isFinite(epochSeconds)) return '–';
  const { whole, frac } = fraction(epochSeconds, Math.min(9, decimalsOf(resolution)));
  const d = new Date(whole * 1000);
  if (zone === 'UTC') {
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}Z`;
  }
  const east = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac}${offsetText(east)}`;
}

/** Time of day for a column: "20:09:46.505504" (the date and zone are in the header). */
export function clockOfDay(epochSeconds: number, resolution: number, zone: TimeZoneChoice = 'UTC'): string {
  const iso = isoTime(epochSeconds, resolution, zone);
  const t = iso.indexOf('T');
  return t < 0 ? iso : iso.slice(t + 1).replace(/(Z|[+-]\d\d:\d\d)$/, '');
}

/** The zone's name for a header: "UTC", or the browser's zone ("Europe/Berlin, UTC+01:00"). */
export function zoneName(zone: TimeZoneChoice, at: number): string {
  if (zone === 'UTC') return 'UTC';
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const east = Number.isFinite(at) ? -new Date(Math.floor(at) * 1000).getTimezoneOffset() : 0;
  return `${name ? `${name}, ` : ''}UTC${offsetText(east)}`;
}
