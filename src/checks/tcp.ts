import type { ConnectionSummary, StreamDir } from '../iscsi/index.ts';
import { failedAttempts } from '../sessions/index.ts';
import type { AttemptRecord, Moment } from '../sessions/index.ts';
import { fmtBytes, fmtInt, formatMs, plural } from '../text/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, msBetween } from './format.ts';
import type { Finding } from './types.ts';

/** SYNs unanswered for longer than this are a finding (findings.md: connect-unanswered). */
const UNANSWERED_SYN_S = 3;
/** Frames a connect finding lists: a reconnect storm can send thousands of SYNs. */
const MAX_FRAMES = 64;

const sender = (dir: StreamDir): string => (dir === 'I>T' ? 'the initiator' : 'the target');

/**
 * What TCP did under the iSCSI connections (src/tcp, Wireshark's TCP analysis): retransmission
 * bursts, zero windows longer than 100 ms, overlapping segments that disagree, out-of-order data
 * past the reassembler's bound; and connection attempts to iSCSI portals that were refused or went
 * unanswered. The frame at fault is a TCP segment (no PDU row).
 */
export function checkTcp(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const s of ctx.framed.connections) if (s.tcp) connectionFindings(s, out);
  attemptFindings(ctx, out);
  return out;
}

function connectionFindings(s: ConnectionSummary, out: Finding[]): void {
  const tcp = s.tcp;
  if (!tcp) return;
  for (const b of tcp.bursts) {
    const spanMs = msBetween(b.firstTime, b.lastTime);
    let message = `${plural(b.segments, 'TCP segment')} (${fmtBytes(b.bytes)}) from ${sender(b.dir)} ${b.segments === 1 ? 'was' : 'were'} retransmitted`;
    message += b.segments > 1 ? ` within ${formatMs(spanMs)} (frames ${b.firstFrame}–${b.lastFrame})` : ` (frame ${b.firstFrame})`;
    if (b.longestWaitMs !== undefined) message += `; the longest wait before a retransmission was ${formatMs(b.longestWaitMs)}`;
    if (b.backoffs > 1) message += `; one segment was sent ${b.backoffs} times over (retransmission time-out back-off)`;
    message += ' — the network lost packets, or the peer stopped acknowledging';
    out.push(finding('tcp-retransmissions', 'warning', { conn: s.conn, frame: b.firstFrame }, b.firstTime, frameList([b.firstFrame, b.lastFrame]),
      message, { dir: b.dir, segments: b.segments, bytes: b.bytes, longestWaitMs: b.longestWaitMs, backoffs: b.backoffs, spanMs }));
  }
  for (const z of tcp.zeroWindows) {
    const durationMs = msBetween(z.startTime, z.endTime);
    const other = z.by === 'initiator' ? 'target' : 'initiator';
    let message = `The ${z.by} advertised a zero TCP window for ${formatMs(durationMs)} (frame ${z.startFrame}`;
    message += z.endFrame > 0 ? ` to ${z.endFrame})` : '; still closed when the connection ended)';
    message += `: it stopped reading what the ${other} sent`;
    if (z.probes > 0) message += `; the ${other} probed the window ${plural(z.probes, 'time')}`;
    out.push(finding('tcp-zero-window', 'warning', { conn: s.conn, frame: z.startFrame }, z.startTime, frameList([z.startFrame, z.endFrame]),
      message, { by: z.by, durationMs, probes: z.probes, endFrame: z.endFrame > 0 ? z.endFrame : undefined }));
  }
  tcp.conflicts.forEach((c, k) => {
    let message = `A TCP segment from ${sender(c.dir)} (frame ${c.laterFrame}) overlaps bytes already seen (frame ${c.firstFrame}) and carries ${plural(c.bytes, 'different byte')}`;
    message += `; the ${c.used} copy is the one decoded (Wireshark's reassembly may show the other) — a broken middlebox or a crafted capture`;
    if (k === tcp.conflicts.length - 1 && tcp.conflictCount > tcp.conflicts.length) message += `; ${fmtInt(tcp.conflictCount - tcp.conflicts.length)} more such overlaps on this connection are not listed`;
    out.push(finding('tcp-overlap-conflict', 'warning', { conn: s.conn, frame: c.laterFrame }, s.firstTime, frameList([c.firstFrame, c.laterFrame]),
      message, { dir: c.dir, bytes: c.bytes, used: c.used }));
  });
  for (const h of tcp.heldLimits) {
    const bound = h.limit.startsWith('total') ? 'for all connections together' : 'for one direction';
    const what = h.limit.endsWith('segments') ? 'segments' : 'bytes';
    out.push(finding('tcp-held-limit', 'warning', { conn: s.conn, frame: h.frame }, h.time, [h.frame],
      `Out-of-order TCP data from ${sender(h.dir)} reached the reassembler's bound on ${what} held ${bound} at frame ${h.frame}: the bytes it still waited for are counted as missing, though they may have come later`,
      { dir: h.dir, limit: h.limit }));
  }
}

/** Connect findings one initiator host and portal get, and all together; past either, failed
 *  attempts are counted in one finding per kind (a port scan, a reconnect storm of days). */
const MAX_RUN_FINDINGS_PER_PAIR = 64;
const MAX_RUN_FINDINGS = 512;

/** Consecutive failed attempts of one initiator host to one portal, between the same connections. */
interface AttemptRun {
  first: AttemptRecord;
  last: AttemptRecord;
  /** The attempt before `last` (undefined for a run of one). */
  beforeLast: AttemptRecord | undefined;
  attempts: number;
  syns: number;
  /** Frames as the finding lists them: refused runs each attempt's SYNs and RST, the others
   *  each attempt's first, second-last and last SYN (and the SYN-ACK that came at last). */
  frames: number[];
  /** The first SYN of the next failed attempt from the host to the portal, once there is one. */
  next: number | undefined;
}

/** Failed attempts past the finding bounds, of one kind. */
interface AttemptOverflow {
  attempts: number;
  first: Moment;
  lastTime: number;
  portals: Set<string>;
  hosts: Set<string>;
}

/**
 * Every failed attempt the TCP layer recorded (not only those the model lists), in runs per
 * initiator host and portal and between the same two iSCSI connections: consecutive refused
 * attempts (SYN → RST) are one connect-refused; consecutive unanswered SYNs (retransmissions, new
 * attempts), up to the SYN-ACK that answered at last if one did, are one connect-unanswered when
 * the wait passed 3 s.
 */
function attemptFindings(ctx: CheckContext, out: Finding[]): void {
  const a = ctx.framed.tcp.attempts;
  const runs = new Map<string, AttemptRun>();
  /** Per host and portal: runs whose last attempt waits for the next failed one's time. */
  const awaiting = new Map<string, AttemptRun[]>();
  const perPair = new Map<string, number>();
  const overflow: Partial<Record<'connect-refused' | 'connect-unanswered', AttemptOverflow>> = {};
  let listed = 0;
  const emit = (pair: string, f: Finding): void => {
    const n = perPair.get(pair) ?? 0;
    if (n < MAX_RUN_FINDINGS_PER_PAIR && listed < MAX_RUN_FINDINGS) {
      perPair.set(pair, n + 1);
      listed++;
      out.push(f);
      return;
    }
    const kind = f.kind as 'connect-refused' | 'connect-unanswered';
    const o = overflow[kind] ??= { attempts: 0, first: { frame: f.frame ?? 0, time: f.time }, lastTime: f.time, portals: new Set(), hosts: new Set() };
    o.attempts += Number(f.attempts);
    o.lastTime = Math.max(o.lastTime, f.time + Number(f.spanMs) / 1000);
    o.portals.add(String(f.portal));
    o.hosts.add(pair.slice(0, pair.indexOf('\u0000')));
  };
  const flush = (key: string): void => {
    const run = runs.get(key);
    if (!run) return;
    runs.delete(key);
    const pair = key.slice(0, key.lastIndexOf('\u0000'));
    if (run.first.outcome === 'refused') emit(pair, refused(run));
    else {
      const f = unanswered(ctx, run);
      if (f) emit(pair, f);
    }
  };
  for (const r of failedAttempts(ctx.framed)) {
    const host = r.initiator.replace(/:\d+$/, '');
    const pair = `${host}\u0000${r.portal}`;
    // This attempt is the next failed one for every run of the pair that waited for it.
    const waiting = awaiting.get(pair);
    if (waiting) {
      for (const run of waiting) if (run.next === undefined && runs.get(runKey(pair, run.first)) === run) run.next = r.first.time;
      waiting.length = 0;
    }
    const key = runKey(pair, r);
    const refusal = r.outcome === 'refused';
    const open = runs.get(key);
    if (open && (open.first.outcome === 'refused') !== refusal) flush(key);
    let run = runs.get(key);
    if (!run) {
      run = { first: r, last: r, beforeLast: undefined, attempts: 0, syns: 0, frames: [], next: undefined };
      runs.set(key, run);
    } else {
      run.beforeLast = run.last;
      run.last = r;
      run.next = undefined;
    }
    run.attempts++;
    run.syns += r.syns;
    if (refusal) {
      if (run.attempts <= MAX_FRAMES / 2) run.frames.push(r.first.frame, r.last.frame, r.answer?.frame ?? 0);
    } else if (run.frames.length < MAX_FRAMES) {
      run.frames.push(r.first.frame, a.prevSynFrame[r.attempt], r.last.frame);
      if (r.answer) run.frames.push(r.answer.frame);
    }
    if (waiting) waiting.push(run);
    else awaiting.set(pair, [run]);
    // A SYN-ACK at last ends a run of unanswered SYNs.
    if (r.outcome === 'answered-late') flush(key);
  }
  for (const key of [...runs.keys()]) flush(key);
  for (const kind of ['connect-refused', 'connect-unanswered'] as const) {
    const o = overflow[kind];
    if (o) out.push(overflowFinding(kind, o, listed));
  }
  const notRecorded = notRecordedFinding(ctx);
  if (notRecorded) out.push(notRecorded);
}

/**
 * Attempts past the TCP layer's attempts table (a SYN flood) are counted by how they were answered,
 * not examined one by one: one finding says how many failed.
 */
function notRecordedFinding(ctx: CheckContext): Finding | undefined {
  const a = ctx.framed.tcp.attempts;
  const unansweredCount = a.droppedUnanswered;
  if (a.droppedRefused + unansweredCount + a.droppedAnsweredLate === 0) return undefined;
  const t = ctx.model.tcp.attemptTotals;
  const kind = a.droppedRefused > 0 ? 'connect-refused' : 'connect-unanswered';
  const message = `${fmtInt(a.dropped)} more connection attempts came from frame ${a.droppedFirstFrame} on, past the ${fmtInt(a.count)} examined one by one, and were only counted: `
    + `${fmtInt(a.droppedRefused)} refused (RST), ${fmtInt(unansweredCount)} unanswered, ${fmtInt(a.droppedAnsweredLate)} answered only after SYN retransmissions, ${fmtInt(a.droppedConnected)} connected; `
    + `of all ${fmtInt(t.attempts)} attempts in the capture ${fmtInt(t.refused)} were refused and ${fmtInt(t.unanswered)} unanswered — a port scan or a reconnect storm`;
  return finding(kind, 'error', { frame: a.droppedFirstFrame }, a.droppedFirstTime, [a.droppedFirstFrame], message,
    { attempts: kind === 'connect-refused' ? a.droppedRefused : unansweredCount, spanMs: msBetween(a.droppedFirstTime, a.droppedLastTime), portal: undefined, notRecorded: a.dropped });
}

function runKey(pair: string, r: AttemptRecord): string {
  return `${pair}\u0000${r.previousConn}`;
}

const connsOf = (r: AttemptRecord): number[] => [r.previousConn, r.nextConn].filter((c) => c >= 0);

function refused(run: AttemptRun): Finding {
  const { first, last } = run;
  const spanMs = msBetween(first.first.time, last.last.time);
  const portal = first.portal;
  let message = run.attempts === 1
    ? `A connection attempt to ${portal} was refused (RST, frame ${first.answer?.frame})`
    : `${run.attempts} connection attempts to ${portal} within ${formatMs(spanMs)} were all refused (RST)`;
  message += ': nothing listened on the portal — the target service was down or restarting';
  if (first.previousConn >= 0) message += `; connection ${first.previousConn} to it had come before`;
  message += last.nextConn >= 0 ? `; connection ${last.nextConn} to it came next` : '; no later connection to it in the capture';
  const conns = [...new Set([...connsOf(first), ...connsOf(last)])];
  return finding('connect-refused', 'error', { conns, frame: first.first.frame }, first.first.time, frameList(run.frames), message,
    { attempts: run.attempts, spanMs, portal, previousConn: first.previousConn >= 0 ? first.previousConn : undefined, nextConn: last.nextConn >= 0 ? last.nextConn : undefined });
}

function unanswered(ctx: CheckContext, run: AttemptRun): Finding | undefined {
  const a = ctx.framed.tcp.attempts;
  const { first, last } = run;
  const from = first.first.time;
  const answered = last.outcome === 'answered-late';
  // SYNs that went unanswered: every SYN of the run but the one a SYN-ACK answered at last.
  const syns = answered ? run.syns - 1 : run.syns;
  // The last SYN nobody answered: the one before the SYN-ACK'd one (in this attempt or the one before).
  const lastUnanswered = !answered ? last.last.time : last.syns > 1 ? a.prevSynTime[last.attempt] : (run.beforeLast as AttemptRecord).last.time;
  const next = run.next;
  const waitEnd = answered ? (last.answer as { time: number }).time : next ?? ctx.captureEnd.time;
  if (syns <= 0 || waitEnd - from <= UNANSWERED_SYN_S) return undefined;
  const spanMs = msBetween(from, lastUnanswered);
  const answeredAfterMs = answered ? msBetween(from, waitEnd) : undefined;
  const portal = first.portal;
  const attempts = run.attempts > 1 ? ` (${run.attempts} connection attempts)` : '';
  let message = answered
    ? `${plural(syns, 'SYN')} to ${portal}${attempts} went unanswered until a SYN-ACK came ${formatMs(answeredAfterMs ?? 0)} after the first (frame ${last.answer?.frame})`
    : `${plural(syns, 'SYN')} to ${portal}${attempts} got no answer in ${formatMs(msBetween(from, waitEnd))}`;
  message += ': the target host was down, the network path lost, or a firewall dropped them';
  if (!answered) message += next !== undefined ? '; the attempt after them was refused' : '; none was answered before the capture ended';
  if (first.previousConn >= 0) message += `; connection ${first.previousConn} to it had come before`;
  if (answered && last.conn >= 0) message += `; the answered attempt is connection ${last.conn}`;
  const conns = [...new Set([...connsOf(first), ...connsOf(last)])];
  return finding('connect-unanswered', 'error', { conns, frame: first.first.frame }, from, frameList(run.frames), message,
    { attempts: syns, spanMs, portal, answeredAfterMs, previousConn: first.previousConn >= 0 ? first.previousConn : undefined, nextConn: last.nextConn >= 0 ? last.nextConn : undefined });
}

/** The failed attempts past the finding bounds, counted in one finding of their kind. */
function overflowFinding(kind: 'connect-refused' | 'connect-unanswered', o: AttemptOverflow, listed: number): Finding {
  const spanMs = msBetween(o.first.time, o.lastTime);
  const portals = o.portals.size === 1 ? [...o.portals][0] : `${fmtInt(o.portals.size)} portals`;
  const hosts = o.hosts.size === 1 ? [...o.hosts][0] : `${fmtInt(o.hosts.size)} initiator hosts`;
  const what = kind === 'connect-refused'
    ? `connection attempts were refused (RST)`
    : `SYNs got no answer for more than ${UNANSWERED_SYN_S} s`;
  const message = `${fmtInt(o.attempts)} more ${what}, to ${portals} from ${hosts}, within ${formatMs(spanMs)}: past the ${fmtInt(listed)} connect findings listed one by one (at most ${MAX_RUN_FINDINGS_PER_PAIR} for one host and portal) — a port scan or a reconnect storm`;
  return finding(kind, 'error', { frame: o.first.frame }, o.first.time, frameList([o.first.frame]), message,
    { attempts: o.attempts, spanMs, portal: o.portals.size === 1 ? [...o.portals][0] : undefined, portals: o.portals.size, hosts: o.hosts.size });
}
