// Puts a log on the capture's clock by the events both show. Each recognised line that has a
// counterpart on the wire (a ping timeout ↔ the initiator giving up, "conn error (1020)" ↔ the
// target's FIN, "is operational now" ↔ the final Login Response, LIO's ABORT_TASK ↔ the TMF …)
// pairs with every wire event it could be; each pair proposes an offset (log clock − capture
// clock). The offset supported by most lines within the tolerance wins, ties going to the
// likelier one: near zero for a log that states its zone, near a whole quarter hour for a wall
// clock (a time zone plus minutes of skew). Without a supporting event, a log that states its
// zone keeps its clock (offset 0); a wall clock or a boot-relative one cannot be placed.

import type { Explanation, ExplanationKind, LogSource } from '../codec/index.ts';
import type { WireEvent, WireEventKind } from './events.ts';
import type { LogLine } from './reader.ts';
import { clockOf, logClockSeconds } from './stamp.ts';
import type { LogClock } from './stamp.ts';

export interface AlignOptions {
  /** Capture clock at the capture's first packet (seconds since the epoch): the year of year-less
   *  stamps is chosen near it. */
  captureStart: number;
  /** Offsets the user set (log clock − capture clock, seconds), by file; they win over any match. */
  userOffsets?: ReadonlyMap<number, number>;
  /** Base tolerance of a match, seconds (the stamp's resolution and the message's slack add to it). */
  toleranceS?: number;
  /** Largest skew of a clock that states its zone, and the skew beyond a whole time zone of a wall
   *  clock, seconds. */
  maxSkewS?: number;
}

export const DEFAULT_TOLERANCE_S = 0.5;
export const DEFAULT_MAX_SKEW_S = 3600;

export interface FileOffset {
  file: number;
  /** Log clock − capture clock, seconds; undefined where the log cannot be placed. */
  seconds?: number;
  /** How it was found: matched events, the log's own clock (it states its zone), the user; "none"
   *  where a wall clock or boot-relative log matched nothing. */
  source: 'events' | 'clock' | 'user' | 'none';
  /** Log lines whose wire event agrees with the offset. */
  matches: number;
  /** Largest minus smallest offset the matches propose, ms. */
  spreadMs?: number;
  /** The clock of the file's stamped lines (the one most of them are on). */
  clock?: LogClock;
  /** Wall clocks: the offset split into a whole quarter-hour zone ("+01:00") and the rest (skew). */
  zone?: string;
  skewSeconds?: number;
  /** Another offset is as well supported and not told apart by its likelihood. */
  ambiguous?: boolean;
}

export interface LineMatch {
  file: number;
  line: number;
  /** Index into the wire events given. */
  event: number;
  conn?: number;
  /** This pair's offset minus the file's, ms. */
  residualMs: number;
}

export interface Alignment {
  offsets: FileOffset[];
  matches: LineMatch[];
}

// ---- which lines pair with which wire events

type At = 'time' | 'pingTime' | 'responseTime';

interface Rule {
  wire: WireEventKind;
  at?: At;
  /** Expected seconds from the wire moment to the line (log clock), beyond the offset. */
  lag?: (x: Explanation) => number;
  /** Extra tolerance, seconds. */
  slack?: number;
  accept?: (x: Explanation, w: WireEvent) => boolean;
  /** The line may come any time from the wire moment up to this one (a writer that logs when it
   *  gets round to the request, before it answers). */
  until?: (w: WireEvent) => number | undefined;
}

/** Seconds a writer takes from the event to the line: the kernel logs as it acts, daemons a moment
 *  later, tgtd (a user process that may itself be the stalled party) later still. */
const SOURCE_SLACK: Record<LogSource, number> = { kernel: 0.1, scsi: 0.5, iscsid: 0.5, iscsiadm: 1, lio: 0.5, tgtd: 1 };

function closeBy(side: 'initiator' | 'target' | undefined, code?: number): Rule {
  return {
    wire: 'conn-close',
    accept: (_x, w) => w.kind === 'conn-close' && !w.afterLogout && (side === undefined || w.by === side) &&
      (w.code === undefined || code === undefined || w.code === code),
  };
}

/** The initiator gave up about timeoutSecs after the ping it waited for. */
function pingAgrees(x: Explanation, w: WireEvent): boolean {
  if (w.kind !== 'ping-timeout') return false;
  if (x.timeoutSecs === undefined) return true;
  return Math.abs(w.time - w.pingTime - x.timeoutSecs) <= 1.5;
}

function connErrorRules(code: number | undefined): Rule[] {
  switch (code) {
    case 1022: return [{ wire: 'ping-timeout', accept: pingAgrees }, closeBy('initiator', 1022)];
    case 1020: return [closeBy('target', 1020)];
    case 1021: return [closeBy('initiator', 1021)];
    case 1011: case 1019: case undefined: return [closeBy(undefined)];
    default: return [closeBy('initiator', code)];
  }
}

function loginStatusAgrees(x: Explanation, w: WireEvent): boolean {
  return w.kind === 'login-failed' &&
    (x.loginStatusClass === undefined || (x.loginStatusClass === w.statusClass && x.loginStatusDetail === w.statusDetail));
}

function tmfAgrees(fns: readonly number[], needResponse: boolean): (x: Explanation, w: WireEvent) => boolean {
  return (x, w) => {
    if (w.kind !== 'tmf' || !fns.includes(w.function)) return false;
    if (needResponse && (w.responseTime === undefined || (x.tmfResponse !== undefined && w.response !== x.tmfResponse))) return false;
    if (x.taskTagOnWire !== undefined && (w.referencedTaskTag === undefined || !x.taskTagOnWire.includes(w.referencedTaskTag))) return false;
    return true;
  };
}

const RECOVERY_LAG = (x: Explanation): number => x.recoverySecs ?? 0;

/** tgtd logs a task management request when it handles it: at once, or — when tgtd itself was
 *  stalled — when it runs again, before it answers (a request never answered: within 30 s). */
const UNTIL_ANSWERED = (w: WireEvent): number | undefined =>
  w.kind === 'tmf' ? (w.responseTime ?? w.time + 30) : undefined;

function rulesFor(x: Explanation): readonly Rule[] {
  const k: ExplanationKind = x.kind;
  switch (k) {
    case 'ping-timeout': return [{ wire: 'ping-timeout', accept: pingAgrees }];
    case 'conn-error': return connErrorRules(x.code);
    case 'operational-now': case 'operational-after-recovery': case 'login-ok':
      return [{ wire: 'login-ok', accept: (_x, w) => w.kind === 'login-ok' && !w.discovery }];
    case 'conn-shutdown': case 'logout-ok': return [{ wire: 'logout' }];
    case 'login-rejected': case 'login-auth-failed': case 'initiator-not-authorized': case 'target-not-found':
      return [{ wire: 'login-failed', accept: loginStatusAgrees }];
    case 'connect-failed': return [{ wire: 'connect-failed', slack: 1 }];
    case 'session-recovery-timeout':
      return [{ ...closeBy(undefined), lag: RECOVERY_LAG, slack: 1 }, { wire: 'ping-timeout', lag: RECOVERY_LAG, slack: 1 }];
    case 'abort-task': {
      const until = x.source === 'tgtd' ? UNTIL_ANSWERED : undefined;
      return x.taskTagOnWire !== undefined
        ? [{ wire: 'tmf', accept: tmfAgrees([1], false), until }]
        : [{ wire: 'tmf', accept: tmfAgrees([2], false), until }];
    }
    case 'abort-task-done': return [{ wire: 'tmf', at: 'responseTime', accept: tmfAgrees([1], true) }];
    case 'lun-reset':
      return x.source === 'tgtd'
        ? [{ wire: 'tmf', accept: tmfAgrees([4, 5], false), until: UNTIL_ANSWERED }]
        : [{ wire: 'tmf', accept: tmfAgrees([5], false) }];
    case 'lun-reset-done': return [{ wire: 'tmf', at: 'responseTime', accept: tmfAgrees([5], true) }];
    case 'target-ping-timeout': return [{ wire: 'target-ping-timeout' }, closeBy('target')];
    case 'dataout-timeout': return [closeBy('target')];
    default: return [];
  }
}

function norm(s: string): string {
  return s.toLowerCase();
}

/** Names the line and the event both carry must agree. */
function namesAgree(x: Explanation, w: WireEvent): boolean {
  if (x.portal !== undefined && w.portal !== undefined && norm(x.portal) !== norm(w.portal)) return false;
  if (x.kind !== 'connect-failed' && x.target !== undefined && w.target !== undefined && norm(x.target) !== norm(w.target)) return false;
  if (x.initiator !== undefined && w.initiator !== undefined && norm(x.initiator) !== norm(w.initiator)) return false;
  if (x.isid !== undefined && w.isid !== undefined && norm(x.isid) !== norm(w.isid)) return false;
  return true;
}

function wireMoment(w: WireEvent, at: At): number | undefined {
  if (at === 'time') return w.time;
  if (at === 'pingTime') return w.kind === 'ping-timeout' || w.kind === 'target-ping-timeout' ? w.pingTime : undefined;
  return w.kind === 'tmf' ? w.responseTime : undefined;
}

// ---- the vote

interface Candidate {
  /** Index of the log event (into the file's log events). */
  i: number;
  /** Index of the wire event. */
  j: number;
  /** The offset the pair proposes (the middle of its range), and how far it may be off. */
  d: number;
  tol: number;
  res: number;
  /** A range rather than a moment (`Rule.until`): it supports an offset but does not measure it. */
  wide: boolean;
  /** The rule's place in its list: between equally near pairs, the more specific rule wins. */
  rank: number;
}

interface LogEvent {
  line: LogLine;
  x: Explanation;
  /** Same kind from the same writer: two such lines cannot be one wire event. */
  group: string;
}

interface Choice {
  x: number;
  pairs: Candidate[];
  penalty: number;
  spread: number;
}

/** Offsets a file's clock allows: a stated zone is skewed at most maxSkew; a wall clock is a
 *  zone (−12 h … +14 h) plus that; boot-relative stamps put the boot before the event. */
function allowed(clock: LogClock, d: number, maxSkew: number): boolean {
  if (clock === 'utc') return Math.abs(d) <= maxSkew;
  if (clock === 'wall') return d >= -12 * 3600 - maxSkew && d <= 14 * 3600 + maxSkew;
  return d < 0;
}

function quarterHourDistance(d: number): number {
  return Math.abs(d - 900 * Math.round(d / 900));
}

function penaltyOf(clock: LogClock, x: number): number {
  if (clock === 'utc') return Math.abs(x);
  if (clock === 'wall') return quarterHourDistance(x);
  return 0;
}

/** One line to one wire event, and a wire event to at most one line of each group, nearest first. */
function assign(cands: readonly Candidate[], events: readonly LogEvent[], x: number): Candidate[] {
  const near = cands.filter((c) => Math.abs(c.d - x) <= c.tol)
    .sort((a, b) => Math.abs(a.d - x) - Math.abs(b.d - x) || a.rank - b.rank || a.i - b.i || a.j - b.j);
  const lineUsed = new Set<number>();
  const wireUsed = new Set<string>();
  const out: Candidate[] = [];
  for (const c of near) {
    const key = `${events[c.i].group}\u0000${c.j}`;
    if (lineUsed.has(c.i) || wireUsed.has(key)) continue;
    lineUsed.add(c.i);
    wireUsed.add(key);
    out.push(c);
  }
  return out;
}

/** The pairs that measure the offset: those of a moment, where there are any. */
function measuring(pairs: readonly Candidate[]): readonly Candidate[] {
  const point = pairs.filter((p) => !p.wide);
  return point.length ? point : pairs;
}

/** The offset the pairs say: where their truncation intervals [d, d + resolution) overlap, the
 *  middle of the overlap; else the median of their centres. */
function estimate(all: readonly Candidate[]): number {
  const pairs = measuring(all);
  let lo = -Infinity;
  let hi = Infinity;
  for (const p of pairs) {
    lo = Math.max(lo, p.d);
    hi = Math.min(hi, p.d + p.res);
  }
  if (lo <= hi) return (lo + hi) / 2;
  const centres = pairs.map((p) => p.d + p.res / 2).sort((a, b) => a - b);
  const m = centres.length >> 1;
  return centres.length % 2 ? centres[m] : (centres[m - 1] + centres[m]) / 2;
}

function spreadOf(all: readonly Candidate[]): number {
  const pairs = measuring(all);
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of pairs) {
    lo = Math.min(lo, p.d);
    hi = Math.max(hi, p.d);
  }
  return pairs.length ? hi - lo : 0;
}

/** Points where the most distinct log events' intervals overlap (a sweep over the intervals). */
function peaks(cands: readonly Candidate[], limit: number): number[] {
  const edges: { at: number; open: boolean; i: number }[] = [];
  for (const c of cands) {
    edges.push({ at: c.d - c.tol, open: true, i: c.i });
    edges.push({ at: c.d + c.tol, open: false, i: c.i });
  }
  edges.sort((a, b) => a.at - b.at || (a.open === b.open ? 0 : a.open ? -1 : 1));
  const count = new Map<number, number>();
  let distinct = 0;
  const found: { x: number; n: number }[] = [];
  let openAt: number | undefined;
  for (const e of edges) {
    const c = count.get(e.i) ?? 0;
    if (e.open) {
      count.set(e.i, c + 1);
      if (c === 0) distinct++;
      openAt = e.at;
    } else {
      if (openAt !== undefined) {
        found.push({ x: (openAt + e.at) / 2, n: distinct });
        openAt = undefined;
      }
      count.set(e.i, c - 1);
      if (c === 1) distinct--;
    }
  }
  found.sort((a, b) => b.n - a.n || a.x - b.x);
  return found.slice(0, limit).map((f) => f.x);
}

interface FileResult {
  offset: FileOffset;
  pairs: Candidate[];
  events: LogEvent[];
}

function zoneText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function finish(o: FileOffset, pairs: readonly Candidate[]): void {
  o.matches = pairs.length;
  if (pairs.length) o.spreadMs = Math.round(spreadOf(pairs) * 1000);
  if (o.clock === 'wall' && o.seconds !== undefined) {
    const zone = Math.round(o.seconds / 900) * 15;
    o.zone = zoneText(zone);
    o.skewSeconds = o.seconds - zone * 60;
  }
}

/** The clock most of the lines' stamps are on. */
export function dominantClock(lines: readonly LogLine[]): LogClock | undefined {
  const n: Record<LogClock, number> = { utc: 0, wall: 0, boot: 0 };
  for (const l of lines) if (l.stamp !== undefined) n[clockOf(l.stamp.kind)]++;
  let best: LogClock | undefined;
  for (const c of ['utc', 'wall', 'boot'] as const) if (n[c] > (best === undefined ? 0 : n[best])) best = c;
  return best;
}

function alignFile(
  file: number, lines: readonly LogLine[], clock: LogClock | undefined, wire: readonly WireEvent[], opts: AlignOptions,
): FileResult {
  const tolerance = opts.toleranceS ?? DEFAULT_TOLERANCE_S;
  const maxSkew = opts.maxSkewS ?? DEFAULT_MAX_SKEW_S;
  const offset: FileOffset = { file, source: 'none', matches: 0 };
  if (clock !== undefined) offset.clock = clock;
  const events: LogEvent[] = [];
  const cands: Candidate[] = [];
  if (clock !== undefined) {
    for (const line of lines) {
      const x = line.explanation;
      if (x === undefined || line.stamp === undefined || clockOf(line.stamp.kind) !== clock) continue;
      const rules = rulesFor(x);
      if (rules.length === 0) continue;
      const i = events.length;
      events.push({ line, x, group: `${x.kind}/${x.source}` });
      const L = logClockSeconds(line.stamp, opts.captureStart);
      const res = line.stamp.resolution;
      for (let rank = 0; rank < rules.length; rank++) {
        const r = rules[rank];
        const tol = tolerance + res + SOURCE_SLACK[x.source] + (r.slack ?? 0);
        const lag = r.lag ? r.lag(x) : 0;
        for (let j = 0; j < wire.length; j++) {
          const w = wire[j];
          if (w.kind !== r.wire || !namesAgree(x, w) || (r.accept && !r.accept(x, w))) continue;
          const t = wireMoment(w, r.at ?? 'time');
          if (t === undefined) continue;
          const t1 = r.until?.(w) ?? t;
          const half = t1 > t ? (t1 - t) / 2 : 0;
          const d = L - t - half - lag;
          if (allowed(clock, d, maxSkew)) cands.push({ i, j, d, tol: tol + half, res, wide: half > 0, rank });
        }
      }
    }
  }

  const user = opts.userOffsets?.get(file);
  if (user !== undefined) {
    offset.seconds = user;
    offset.source = 'user';
    const pairs = assign(cands, events, user);
    finish(offset, pairs);
    return { offset, pairs, events };
  }

  let best: Choice | undefined;
  const choices: Choice[] = [];
  if (clock !== undefined) {
    for (const x0 of peaks(cands, 64)) {
      const first = assign(cands, events, x0);
      if (first.length === 0) continue;
      // Recentre on what the pairs say, and pair again there.
      const x1 = estimate(first);
      const again = assign(cands, events, x1);
      const pairs = again.length >= first.length ? again : first;
      const x = estimate(pairs);
      const c: Choice = { x, pairs, penalty: penaltyOf(clock, x), spread: spreadOf(pairs) };
      choices.push(c);
      if (best === undefined || better(c, best)) best = c;
    }
  }
  if (best !== undefined) {
    offset.seconds = best.x;
    offset.source = 'events';
    finish(offset, best.pairs);
    const b = best;
    const rivals = choices.filter((c) => c !== b && c.pairs.length === b.pairs.length && Math.abs(c.x - b.x) > 2 * tolerance + 1 &&
      (clock === 'boot' || Math.abs(c.penalty - b.penalty) < 60));
    if (rivals.length) offset.ambiguous = true;
    return { offset, pairs: best.pairs, events };
  }
  if (clock === 'utc') {
    offset.seconds = 0;
    offset.source = 'clock';
  }
  return { offset, pairs: [], events };
}

function better(a: Choice, b: Choice): boolean {
  if (a.pairs.length !== b.pairs.length) return a.pairs.length > b.pairs.length;
  if (Math.abs(a.penalty - b.penalty) > 1e-6) return a.penalty < b.penalty;
  return a.spread < b.spread;
}

/**
 * Finds each log file's offset from the capture's clock and the lines that support it. `lines`
 * may hold only the recognised lines (the others never match); `clocks` gives each file's clock
 * where the caller counted it over every line (LogFileSummary.clock), else it is taken from `lines`.
 */
export function alignLogs(
  lines: readonly LogLine[], wire: readonly WireEvent[], opts: AlignOptions, clocks?: ReadonlyMap<number, LogClock | undefined>,
): Alignment {
  const byFile = new Map<number, LogLine[]>();
  for (const l of lines) {
    let a = byFile.get(l.file);
    if (a === undefined) byFile.set(l.file, (a = []));
    a.push(l);
  }
  if (clocks !== undefined) for (const f of clocks.keys()) if (!byFile.has(f)) byFile.set(f, []);
  if (opts.userOffsets !== undefined) for (const f of opts.userOffsets.keys()) if (!byFile.has(f)) byFile.set(f, []);
  const offsets: FileOffset[] = [];
  const matches: LineMatch[] = [];
  for (const f of [...byFile.keys()].sort((a, b) => a - b)) {
    const fl = byFile.get(f) as LogLine[];
    const clock = clocks?.has(f) ? clocks.get(f) : dominantClock(fl);
    const r = alignFile(f, fl, clock, wire, opts);
    offsets.push(r.offset);
    const off = r.offset.seconds ?? 0;
    for (const p of r.pairs) {
      const w = wire[p.j];
      const m: LineMatch = { file: f, line: r.events[p.i].line.line, event: p.j, residualMs: Math.round((p.d - off) * 1000) };
      if (w.conn !== undefined) m.conn = w.conn;
      matches.push(m);
    }
  }
  matches.sort((a, b) => a.file - b.file || a.line - b.line);
  return { offsets, matches };
}

/** A line's moment on the capture clock under its file's offset, or undefined where it cannot be
 *  placed (no stamp, a stamp on another clock than the file's, no offset). Logs truncate their
 *  stamps, so a line happened within the stamp's resolution after it: it is placed in the middle
 *  (which puts a matched line on its wire event, as the offset is estimated the same way). */
export function placeLine(line: LogLine, offset: FileOffset | undefined, captureStart: number): number | undefined {
  if (offset === undefined || offset.seconds === undefined || line.stamp === undefined) return undefined;
  if (offset.clock !== undefined && clockOf(line.stamp.kind) !== offset.clock) return undefined;
  return logClockSeconds(line.stamp, captureStart) + line.stamp.resolution / 2 - offset.seconds;
}
