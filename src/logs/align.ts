// Puts a log on the capture's clock by the events both show. Each recognised line that has a
// counterpart on the wire (a ping timeout ↔ the initiator giving up, "conn error (1020)" ↔ the
// target's FIN, "is operational now" ↔ the final Login Response, LIO's ABORT_TASK ↔ the TMF …)
// pairs with every wire event it could be; each pair proposes an offset (log clock − capture
// clock). The offset supported by most lines within the tolerance wins, ties going to the
// likelier one: near zero for a log that states its zone, near a time zone in use for a wall
// clock (a zone plus minutes of skew). Without a supporting event, a log that states its
// zone keeps its clock (offset 0); a wall clock or a boot-relative one cannot be placed.

import type { Explanation, ExplanationKind, LogSource } from '../codec/index.ts';
import type { WireEvent, WireEventKind } from './events.ts';
import type { LogLine } from './reader.ts';
import { clockOf, logClockSeconds } from './stamp.ts';
import type { LogClock, Stamp } from './stamp.ts';

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
  /** Wall clocks: the offset split into the nearest time zone in use ("+01:00", "+05:45") and the
   *  rest (skew). */
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
function allowedRange(clock: LogClock, maxSkew: number): [number, number] {
  if (clock === 'utc') return [-maxSkew, maxSkew];
  if (clock === 'wall') return [-12 * 3600 - maxSkew, 14 * 3600 + maxSkew];
  return [-Infinity, 0];
}

/** Most candidate pairs one file is searched with; past it every n-th line is paired (a log of
 *  thousands of conn errors against a capture of thousands of closes). */
export const MAX_CANDIDATES = 200_000;

/** The wire events of one kind, sorted by one of their moments. */
interface Moments {
  t: Float64Array;
  j: Int32Array;
}

function momentsOf(wire: readonly WireEvent[], kind: WireEventKind, at: At): Moments {
  const list: [number, number][] = [];
  for (let j = 0; j < wire.length; j++) {
    if (wire[j].kind !== kind) continue;
    const t = wireMoment(wire[j], at);
    if (t !== undefined && Number.isFinite(t)) list.push([t, j]);
  }
  list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { t: Float64Array.from(list, (e) => e[0]), j: Int32Array.from(list, (e) => e[1]) };
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** tgtd's ranges reach 30 s past the request (UNTIL_ANSWERED); a range rule looks that far. */
const RANGE_REACH = 30;

/** The UTC offsets in use (tz database, standard and daylight time), minutes: a wall clock is
 *  one of them plus its skew. */
const ZONES = [
  -720, -660, -600, -570, -540, -480, -420, -360, -300, -240, -210, -180, -120, -60, 0, 60, 120, 180, 210, 240, 270,
  300, 330, 345, 360, 390, 420, 480, 525, 540, 570, 600, 630, 660, 720, 765, 780, 825, 840,
];

/** The zone (minutes) a wall clock offset is likeliest in: the nearest one in use. */
export function nearestZone(seconds: number): number {
  let best = 0;
  for (const z of ZONES) if (Math.abs(seconds - z * 60) < Math.abs(seconds - best * 60)) best = z;
  return best;
}

function penaltyOf(clock: LogClock, x: number): number {
  if (clock === 'utc') return Math.abs(x);
  if (clock === 'wall') return Math.abs(x - nearestZone(x) * 60);
  return 0;
}

/** Candidates sorted by offset, with the widest tolerance: the ones around an offset are found by
 *  bisection instead of a pass over all. */
interface Sorted {
  c: Candidate[];
  maxTol: number;
}

function sortCandidates(c: Candidate[]): Sorted {
  c.sort((a, b) => a.d - b.d);
  let maxTol = 0;
  for (const k of c) if (k.tol > maxTol) maxTol = k.tol;
  return { c, maxTol };
}

function firstAtLeast(c: readonly Candidate[], d: number): number {
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (c[m].d < d) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** One line to one wire event, and a wire event to at most one line of each group, nearest first. */
function assign(sorted: Sorted, events: readonly LogEvent[], x: number): Candidate[] {
  const { c, maxTol } = sorted;
  const near: Candidate[] = [];
  for (let k = firstAtLeast(c, x - maxTol); k < c.length && c[k].d <= x + maxTol; k++) {
    if (Math.abs(c[k].d - x) <= c[k].tol) near.push(c[k]);
  }
  near.sort((a, b) => Math.abs(a.d - x) - Math.abs(b.d - x) || a.rank - b.rank || a.i - b.i || a.j - b.j);
  const lineUsed = new Set<number>();
  const wireUsed = new Set<string>();
  const out: Candidate[] = [];
  for (const p of near) {
    const key = `${events[p.i].group}\u0000${p.j}`;
    if (lineUsed.has(p.i) || wireUsed.has(key)) continue;
    lineUsed.add(p.i);
    wireUsed.add(key);
    out.push(p);
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

/** Offsets where the most candidate intervals overlap (a sweep over their ends, in typed arrays:
 *  a search can hold a few hundred thousand). Overlaps count pairs, not lines; assign() then
 *  counts the lines. */
function peaks(cands: readonly Candidate[], limit: number): number[] {
  const n = cands.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    starts[k] = cands[k].d - cands[k].tol;
    ends[k] = cands[k].d + cands[k].tol;
  }
  starts.sort();
  ends.sort();
  const xs: number[] = [];
  const ns: number[] = [];
  let open = 0;
  let a = 0;
  let b = 0;
  let rising = false;
  let at = 0;
  while (a < n || b < n) {
    if (a < n && starts[a] <= ends[b]) {
      open++;
      at = starts[a++];
      rising = true;
    } else {
      // Closing after an opening: the overlap between the last start and this end is a peak.
      if (rising) {
        xs.push((at + ends[b]) / 2);
        ns.push(open);
        rising = false;
      }
      open--;
      b++;
    }
  }
  const order = xs.map((_, k) => k).sort((p, q) => ns[q] - ns[p] || xs[p] - xs[q]);
  return order.slice(0, limit).map((k) => xs[k]);
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
    const zone = nearestZone(o.seconds);
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

interface Pending {
  line: LogLine;
  x: Explanation;
  rules: readonly Rule[];
  /** The stamp on the log's clock. */
  L: number;
}

/** How far from an offset a pair can still be within its tolerance (a second's resolution, the
 *  slack of the slowest writer, the base tolerance): the window of the final pass. */
const FINAL_WINDOW = 5;

function alignFile(
  file: number, lines: readonly LogLine[], clock: LogClock | undefined, wire: readonly WireEvent[], opts: AlignOptions,
): FileResult {
  const tolerance = opts.toleranceS ?? DEFAULT_TOLERANCE_S;
  const maxSkew = opts.maxSkewS ?? DEFAULT_MAX_SKEW_S;
  const offset: FileOffset = { file, source: 'none', matches: 0 };
  if (clock === undefined) return { offset, pairs: [], events: [] };
  offset.clock = clock;
  const [dMin, dMax] = allowedRange(clock, maxSkew);
  const index = new Map<string, Moments>();
  const moments = (kind: WireEventKind, at: At): Moments => {
    const k = `${kind}/${at}`;
    let m = index.get(k);
    if (m === undefined) index.set(k, (m = momentsOf(wire, kind, at)));
    return m;
  };

  const pending: Pending[] = [];
  for (const line of lines) {
    const x = line.explanation;
    if (x === undefined || line.stamp === undefined || clockOf(line.stamp.kind) !== clock) continue;
    const rules = rulesFor(x);
    if (rules.length === 0) continue;
    const L = logClockSeconds(line.stamp, opts.captureStart);
    if (Number.isFinite(L)) pending.push({ line, x, rules, L });
  }
  const events: LogEvent[] = pending.map((p) => ({ line: p.line, x: p.x, group: `${p.x.kind}/${p.x.source}` }));

  /** Pairs of pending[i] whose offset (line at the wire moment the range starts) is in [lo, hi]. */
  const pairsOf = (i: number, lo: number, hi: number, out: Candidate[]): number => {
    const { line, x, rules, L } = pending[i];
    const res = (line.stamp as Stamp).resolution;
    let n = 0;
    for (let rank = 0; rank < rules.length; rank++) {
      const r = rules[rank];
      const tol = tolerance + res + SOURCE_SLACK[x.source] + (r.slack ?? 0);
      const lag = r.lag ? r.lag(x) : 0;
      const m = moments(r.wire, r.at ?? 'time');
      const reach = r.until ? RANGE_REACH : 0;
      // d = L − t − lag in [lo, hi]: t within [L − lag − hi − reach, L − lag − lo].
      const end = lowerBound(m.t, L - lag - lo + 1e-9);
      for (let k = lowerBound(m.t, L - lag - reach - hi); k < end; k++) {
        const j = m.j[k];
        const w = wire[j];
        if (!namesAgree(x, w) || (r.accept && !r.accept(x, w))) continue;
        const t = m.t[k];
        const t1 = r.until?.(w) ?? t;
        const half = t1 > t ? (t1 - t) / 2 : 0;
        const start = L - t - lag;
        if (start < lo || start > hi) continue;
        out.push({ i, j, d: start - half, tol: tol + half, res, wide: half > 0, rank });
        n++;
      }
    }
    return n;
  };
  /** Every line's pairs near an offset, and the best assignment there. */
  const pairsAt = (x: number): Candidate[] => {
    const c: Candidate[] = [];
    for (let i = 0; i < pending.length; i++) pairsOf(i, Math.max(dMin, x - FINAL_WINDOW - RANGE_REACH), Math.min(dMax, x + FINAL_WINDOW + RANGE_REACH), c);
    return assign(sortCandidates(c), events, x);
  };

  const user = opts.userOffsets?.get(file);
  if (user !== undefined) {
    offset.seconds = user;
    offset.source = 'user';
    const pairs = pairsAt(user);
    finish(offset, pairs);
    return { offset, pairs, events };
  }

  // The search: every pair within the clock's range (every n-th line's when that is too many).
  const all: Candidate[] = [];
  let stride = 1;
  for (let i = 0; i < pending.length; i += stride) {
    pairsOf(i, dMin, dMax, all);
    if (all.length > MAX_CANDIDATES && stride === 1) {
      // Too many: keep the lines seen so far, then only every n-th line.
      stride = Math.ceil(all.length / Math.max(1, i + 1) * pending.length / MAX_CANDIDATES);
    }
  }
  const sorted = sortCandidates(all);
  let best: Choice | undefined;
  const choices: Choice[] = [];
  for (const x0 of peaks(sorted.c, 64)) {
    const first = assign(sorted, events, x0);
    if (first.length === 0) continue;
    // Recentre on what the pairs say, and pair again there.
    const x1 = estimate(first);
    const again = assign(sorted, events, x1);
    const pairs = again.length >= first.length ? again : first;
    const x = estimate(pairs);
    const c: Choice = { x, pairs, penalty: penaltyOf(clock, x), spread: spreadOf(pairs) };
    choices.push(c);
    if (best === undefined || better(c, best)) best = c;
  }
  if (best !== undefined) {
    // Every line, not only those searched, counts at the chosen offset.
    let pairs = pairsAt(best.x);
    if (pairs.length < best.pairs.length) pairs = best.pairs;
    const x = estimate(pairs);
    const final = pairsAt(x);
    if (final.length >= pairs.length) pairs = final;
    offset.seconds = estimate(pairs);
    offset.source = 'events';
    finish(offset, pairs);
    const b = best;
    const rivals = choices.filter((c) => c !== b && c.pairs.length === b.pairs.length && Math.abs(c.x - b.x) > 2 * tolerance + 1 &&
      (clock === 'boot' || Math.abs(c.penalty - b.penalty) < 60));
    if (rivals.length) offset.ambiguous = true;
    return { offset, pairs, events };
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
