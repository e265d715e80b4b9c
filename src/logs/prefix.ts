// The prefix of a log line: its timestamp and, where the format has them, host, program and pid.
// One reader per format; a file's lines are tried with the format that read its previous line
// first, so a file in one format costs one pattern per line.

import { noYearValue, daysInMonth } from './stamp.ts';
import type { Stamp } from './stamp.ts';

/**
 * syslog            "Jun 22 16:31:49 host prog[pid]: msg" (classic syslog files, RFC 3164 with <PRI>,
 *                   journalctl -o short and short-precise)
 * iso               "2023-03-24T15:35:26.123456+08:00 host prog[pid]: msg" (rsyslog's file format,
 *                   journalctl short-iso / short-iso-precise; without a zone it is a wall clock)
 * short-full        "Fri 2023-03-24 15:35:26 CST host prog[pid]: msg" (journalctl short-full)
 * unix              "1679643326.123456 host prog[pid]: msg" (journalctl short-unix)
 * rfc5424           "<165>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg"
 * journal-monotonic "[ 3011710.723336] host prog[pid]: msg" (journalctl short-monotonic)
 * dmesg             "[3011710.723336] msg", also "<6>[…]", "[…][T1234]", "kern  :info  : […]"
 * dmesg-T           "[Fri Mar 24 15:35:26 2023] msg" (dmesg -T, local time)
 * dmesg-iso         "2023-03-24T15:35:26,123456+08:00 msg" (dmesg --time-format iso)
 * plain             no timestamp ("tgtd: …" from a foreground daemon, a bare message)
 */
export type LogFormat =
  | 'syslog' | 'iso' | 'short-full' | 'unix' | 'rfc5424' | 'journal-monotonic' | 'dmesg' | 'dmesg-T' | 'dmesg-iso'
  | 'plain';

export const LOG_FORMATS: readonly LogFormat[] = [
  'syslog', 'iso', 'short-full', 'unix', 'rfc5424', 'journal-monotonic', 'dmesg', 'dmesg-T', 'dmesg-iso', 'plain',
];

export interface Prefix {
  format: LogFormat;
  stamp?: Stamp;
  host?: string;
  program?: string;
  pid?: number;
  /** The kernel's own boot-relative stamp inside a syslog / journal kernel line. */
  bootSeconds?: number;
  message: string;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};
const MON = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const WDAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';

const RE_PRI = /^<(\d{1,3})>/;
const RE_SYSLOG = new RegExp(`^${MON} {1,2}(\\d{1,2}) (\\d\\d):(\\d\\d):(\\d\\d)(?:\\.(\\d{1,9}))? +`);
const RE_ISO = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:([.,])(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)? +/;
const RE_SHORT_FULL = new RegExp(`^${WDAY} (\\d{4})-(\\d\\d)-(\\d\\d) (\\d\\d):(\\d\\d):(\\d\\d)(?:\\.(\\d{1,9}))? ([A-Za-z][A-Za-z0-9+-]{0,5}) +`);
const RE_UNIX = /^(\d{9,11})\.(\d{1,9}) +/;
const RE_5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) /;
const RE_BRACKET = /^\[ *(\d{1,12})\.(\d{1,9})\](?:\[ *[TC]\d+\])? ?/;
const RE_DMESG_T = new RegExp(`^\\[${WDAY} ${MON} {1,2}(\\d{1,2}) (\\d\\d):(\\d\\d):(\\d\\d) (\\d{4})\\] ?`);
const RE_DECODE = /^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7]) *:(?:emerg|alert|crit|err|warn|notice|info|debug) *: /;
// "host prog[pid]: msg"; programs look like "kernel", "iscsid", "systemd", "(udev-worker)", "CRON".
const RE_HOST_PROG = /^(\S+) ([A-Za-z(_][^\s[\]:]*)(?:\[(\d{1,10})\])?: ?/;
const RE_PROG = /^([A-Za-z][\w.-]{0,63})(?:\[(\d{1,10})\])?: /;

function fraction(digits: string | undefined): number {
  return digits === undefined ? 0 : Number(`0.${digits}`);
}

function resolution(digits: string | undefined): number {
  return digits === undefined ? 1 : 10 ** -digits.length;
}

function validTime(h: number, mi: number, s: number): boolean {
  return h <= 23 && mi <= 59 && s <= 60;
}

/** A wall clock read as UTC, or undefined when the date does not exist. */
function wallValue(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || !validTime(h, mi, s)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

/** "Z", "+08:00", "+0800", "-05" → minutes east of UTC; undefined when absent or out of range. */
function zoneMinutes(z: string | undefined): number | undefined {
  if (z === undefined) return undefined;
  if (z === 'Z') return 0;
  const sign = z[0] === '-' ? -1 : 1;
  const digits = z.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (h > 14 || m > 59) return undefined;
  return sign * (h * 60 + m);
}

function isoStamp(m: RegExpExecArray, zoneIndex: number): Stamp | undefined {
  const v = wallValue(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (v === undefined) return undefined;
  const res = resolution(m[zoneIndex - 1]);
  const frac = fraction(m[zoneIndex - 1]);
  const z = m[zoneIndex];
  if (z === undefined) return { kind: 'wall', value: v + frac, resolution: res };
  const zm = zoneMinutes(z);
  if (zm === undefined) return undefined;
  return { kind: 'utc', value: v + frac - zm * 60, resolution: res, zoneMinutes: zm };
}

/** Every Prefix has the same shape (all keys, some undefined): one hidden class for the hot path. */
function mk(
  format: LogFormat, stamp: Stamp | undefined, message: string, host?: string, program?: string, pid?: number, bootSeconds?: number,
): Prefix {
  return { format, stamp, host, program, pid, bootSeconds, message };
}

/** Host, program, pid and the message after "host prog[pid]: "; the kernel's own "[secs]" too. */
function splitHost(format: LogFormat, stamp: Stamp | undefined, rest: string): Prefix {
  const m = RE_HOST_PROG.exec(rest);
  if (!m) {
    const sp = rest.indexOf(' ');
    return sp > 0 ? mk(format, stamp, rest.slice(sp + 1), rest.slice(0, sp)) : mk(format, stamp, rest);
  }
  const pid = m[3] === undefined ? undefined : Number(m[3]);
  let msg = rest.slice(m[0].length);
  let boot: number | undefined;
  if (m[2] === 'kernel' && msg.charCodeAt(0) === 0x5b) {
    const b = RE_BRACKET.exec(msg);
    if (b) {
      boot = Number(b[1]) + fraction(b[2]);
      msg = msg.slice(b[0].length);
    }
  }
  return mk(format, stamp, msg, m[1], m[2], pid, boot);
}

type Reader = (line: string) => Prefix | undefined;

function readSyslog(line: string): Prefix | undefined {
  let s = line;
  const pri = s.charCodeAt(0) === 0x3c ? RE_PRI.exec(s) : null;
  if (pri) s = s.slice(pri[0].length);
  const m = RE_SYSLOG.exec(s);
  if (!m) return undefined;
  const mo = MONTHS[m[1]];
  const d = Number(m[2]);
  const h = Number(m[3]);
  const mi = Number(m[4]);
  const sec = Number(m[5]);
  // Day 29 of February is valid here: without a year it may be a leap year.
  if (d < 1 || d > daysInMonth(2000, mo) || !validTime(h, mi, sec)) return undefined;
  const stamp: Stamp = { kind: 'wall-no-year', value: noYearValue(mo, d, h * 3600 + mi * 60 + sec + fraction(m[6])), resolution: resolution(m[6]) };
  return splitHost('syslog', stamp, s.slice(m[0].length));
}

function readIso(line: string): Prefix | undefined {
  let s = line;
  const pri = RE_PRI.exec(s);
  if (pri) s = s.slice(pri[0].length);
  const m = RE_ISO.exec(s);
  if (!m) return undefined;
  const stamp = isoStamp(m, 9);
  if (stamp === undefined) return undefined;
  const rest = s.slice(m[0].length);
  // util-linux dmesg --time-format iso writes a decimal comma and no host; RFC 3339 writers a dot.
  if (m[7] === ',') return mk('dmesg-iso', stamp, rest);
  return splitHost('iso', stamp, rest);
}

function readShortFull(line: string): Prefix | undefined {
  const m = RE_SHORT_FULL.exec(line);
  if (!m) return undefined;
  const v = wallValue(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (v === undefined) return undefined;
  const value = v + fraction(m[7]);
  const res = resolution(m[7]);
  // Only UTC / GMT say the offset; other zone names ("CST") are ambiguous, so a wall clock.
  const stamp: Stamp = m[8] === 'UTC' || m[8] === 'GMT'
    ? { kind: 'utc', value, resolution: res, zoneMinutes: 0 }
    : { kind: 'wall', value, resolution: res };
  return splitHost('short-full', stamp, line.slice(m[0].length));
}

function readUnix(line: string): Prefix | undefined {
  const m = RE_UNIX.exec(line);
  if (!m) return undefined;
  const stamp: Stamp = { kind: 'utc', value: Number(m[1]) + fraction(m[2]), resolution: resolution(m[2]), zoneMinutes: 0 };
  return splitHost('unix', stamp, line.slice(m[0].length));
}

function readRfc5424(line: string): Prefix | undefined {
  const m = RE_5424.exec(line);
  if (!m) return undefined;
  let stamp: Stamp | undefined;
  if (m[2] !== '-') {
    const t = RE_ISO.exec(`${m[2]} `);
    stamp = t ? isoStamp(t, 9) : undefined;
    if (stamp === undefined) return undefined;
  }
  let i = m[0].length;
  // STRUCTURED-DATA: "-" or one or more "[id k="v" …]" elements, where "\]" does not end one.
  if (line[i] === '-') i++;
  else {
    while (line[i] === '[') {
      let j = i + 1;
      while (j < line.length && line[j] !== ']') j += line[j] === '\\' ? 2 : 1;
      i = Math.min(line.length, j + 1);
    }
  }
  let msg = line.slice(line[i] === ' ' ? i + 1 : i);
  if (msg.charCodeAt(0) === 0xfeff) msg = msg.slice(1);
  return mk('rfc5424', stamp, msg, m[3] === '-' ? undefined : m[3], m[4] === '-' ? undefined : m[4],
    /^\d{1,10}$/.test(m[5]) ? Number(m[5]) : undefined);
}

function readBracket(line: string): Prefix | undefined {
  let s = line;
  const pri = RE_PRI.exec(s);
  if (pri) s = s.slice(pri[0].length);
  else {
    const d = RE_DECODE.exec(s);
    if (d) s = s.slice(d[0].length);
  }
  const m = RE_BRACKET.exec(s);
  if (!m) return undefined;
  const stamp: Stamp = { kind: 'boot', value: Number(m[1]) + fraction(m[2]), resolution: resolution(m[2]) };
  return mk('dmesg', stamp, s.slice(m[0].length));
}

function readDmesgT(line: string): Prefix | undefined {
  const m = RE_DMESG_T.exec(line);
  if (!m) return undefined;
  const v = wallValue(Number(m[6]), MONTHS[m[1]], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  if (v === undefined) return undefined;
  return mk('dmesg-T', { kind: 'wall', value: v, resolution: 1 }, line.slice(m[0].length));
}

const READERS: readonly Reader[] = [readSyslog, readIso, readBracket, readDmesgT, readShortFull, readUnix, readRfc5424];

/** A line that has no timestamp: "prog[pid]: msg" or a bare message. */
function readPlain(line: string): Prefix {
  const m = RE_PROG.exec(line);
  if (!m) return mk('plain', undefined, line);
  return mk('plain', undefined, line.slice(m[0].length), undefined, m[1], m[2] === undefined ? undefined : Number(m[2]));
}

/**
 * Reads line prefixes, remembering which format read the last line. A bracketed boot stamp is
 * dmesg unless the file's first bracketed lines all carry the same next word (a host name:
 * journalctl -o short-monotonic), decided after JOURNAL_VOTES such lines.
 */
export class PrefixReader {
  private last = 0;
  private bracketLines = 0;
  private firstWord: string | undefined;
  private sameWord = 0;
  private journal: boolean | undefined;

  read(line: string): Prefix {
    const n = READERS.length;
    for (let k = 0; k < n; k++) {
      const i = (this.last + k) % n;
      const p = READERS[i](line);
      if (p !== undefined) {
        this.last = i;
        return p.format === 'dmesg' ? this.bracket(p) : p;
      }
    }
    return readPlain(line);
  }

  private bracket(p: Prefix): Prefix {
    if (this.journal === undefined) {
      const sp = p.message.indexOf(' ');
      const word = sp > 0 ? p.message.slice(0, sp) : p.message;
      if (this.bracketLines === 0) this.firstWord = word;
      if (word === this.firstWord && RE_HOST_PROG.test(p.message)) this.sameWord++;
      this.bracketLines++;
      if (this.bracketLines >= JOURNAL_VOTES) this.journal = this.sameWord === this.bracketLines;
    }
    if (this.journal !== true) return p;
    const j = splitHost('journal-monotonic', p.stamp, p.message);
    j.bootSeconds = undefined;
    return j;
  }
}

export const JOURNAL_VOTES = 4;
