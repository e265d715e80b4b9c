// Timestamps as logs write them, read into one typed value per line.
//
//   utc           the log states its zone (RFC 5424, RFC 3339 / short-iso with Z or ±hh:mm, unix
//                 seconds): value = seconds since the epoch
//   wall          a wall clock with a year but no zone (dmesg -T, "2023-03-24 15:35:26", short-full
//                 with a zone name): value = that wall clock read as if it were UTC
//   wall-no-year  classic syslog and journalctl short / short-precise ("Jun 22 16:31:49"): value =
//                 (month × 32 + day) × 86400 + seconds of the day; the year comes from the capture
//   boot          seconds since boot (dmesg, journalctl short-monotonic)
//
// A log's clock minus the capture's clock is then one number per file whatever the kind: the
// zone of a wall clock, the skew, or (boot) minus the boot time.

export type StampKind = 'utc' | 'wall' | 'wall-no-year' | 'boot';

export interface Stamp {
  kind: StampKind;
  value: number;
  /** Smallest step the stamp can show, in seconds (1, 0.001, 0.000001). Logs truncate to it. */
  resolution: number;
  /** utc stamps: the UTC offset the line stated, in minutes (0 for Z). */
  zoneMinutes?: number;
}

/** The clock a stamp is on: wall stamps with and without a year share one. */
export type LogClock = 'utc' | 'wall' | 'boot';

export function clockOf(kind: StampKind): LogClock {
  return kind === 'wall-no-year' ? 'wall' : kind;
}

const DAY = 86400;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(y: number, month: number): number {
  return month === 2 ? (isLeapYear(y) ? 29 : 28) : MONTH_DAYS[month - 1];
}

/** Value of a wall-no-year stamp. */
export function noYearValue(month: number, day: number, secondsOfDay: number): number {
  return (month * 32 + day) * DAY + secondsOfDay;
}

/**
 * The stamp on its log's clock, in seconds: utc / wall / boot values as they are; a year-less
 * wall clock gets the year (of the years around `near`, seconds since the epoch) that puts it
 * nearest to `near` — a log of the capture's days, even across New Year. Feb 29 only lands on
 * leap years.
 */
export function logClockSeconds(s: Stamp, near: number): number {
  if (s.kind !== 'wall-no-year') return s.value;
  const dayIndex = Math.floor(s.value / DAY);
  const sec = s.value - dayIndex * DAY;
  const month = Math.floor(dayIndex / 32);
  const day = dayIndex - month * 32;
  const y0 = new Date(near * 1000).getUTCFullYear();
  let best = NaN;
  // y0 ± 4 always holds a leap year for Feb 29; any other date is nearest within y0 ± 1.
  for (let y = y0 - 4; y <= y0 + 4; y++) {
    if (day > daysInMonth(y, month)) continue;
    const t = Date.UTC(y, month - 1, day) / 1000 + sec;
    if (Number.isNaN(best) || Math.abs(t - near) < Math.abs(best - near)) best = t;
  }
  return best;
}
