import type { ConnectionSummary, StreamDir } from '../iscsi/index.ts';
import type { AttemptRecord } from '../sessions/index.ts';
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

/**
 * The model's failed attempts in runs, per initiator host and portal and between the same two iSCSI
 * connections: consecutive refused attempts (SYN → RST) are one connect-refused; consecutive
 * unanswered SYNs (retransmissions, new attempts), up to the SYN-ACK that answered at last if one
 * did, are one connect-unanswered when the wait passed 3 s.
 */
function attemptFindings(ctx: CheckContext, out: Finding[]): void {
  const list = ctx.model.tcp.attempts;
  const nextTime = nextAttemptTimes(list);
  const runs = new Map<string, AttemptRecord[]>();
  const flush = (key: string): void => {
    const run = runs.get(key);
    if (!run) return;
    runs.delete(key);
    if (run[0].outcome === 'refused') out.push(refused(run));
    else {
      const f = unanswered(ctx, run, nextTime);
      if (f) out.push(f);
    }
  };
  for (const r of list) {
    const host = r.initiator.replace(/:\d+$/, '');
    const key = `${host}\u0000${r.portal}\u0000${r.previousConn}`;
    const run = runs.get(key);
    const refusal = r.outcome === 'refused';
    if (run && (run[0].outcome === 'refused') !== refusal) flush(key);
    const current = runs.get(key);
    if (current) current.push(r);
    else runs.set(key, [r]);
    // A SYN-ACK at last ends a run of unanswered SYNs.
    if (r.outcome === 'answered-late') flush(key);
  }
  for (const key of [...runs.keys()]) flush(key);
}

function synFrames(run: AttemptRecord[], ctx: CheckContext, withAnswers: boolean): number[] {
  const a = ctx.framed.tcp.attempts;
  const frames: number[] = [];
  for (const r of run) {
    if (frames.length >= MAX_FRAMES) break;
    frames.push(r.first.frame, a.prevSynFrame[r.attempt], r.last.frame);
    if (withAnswers && r.answer) frames.push(r.answer.frame);
  }
  return frameList(frames);
}

const connsOf = (r: AttemptRecord): number[] => [r.previousConn, r.nextConn].filter((c) => c >= 0);

function refused(run: AttemptRecord[]): Finding {
  const first = run[0], last = run[run.length - 1];
  const spanMs = msBetween(first.first.time, last.last.time);
  const portal = first.portal;
  let message = run.length === 1
    ? `A connection attempt to ${portal} was refused (RST, frame ${first.answer?.frame})`
    : `${run.length} connection attempts to ${portal} within ${formatMs(spanMs)} were all refused (RST)`;
  message += ': nothing listened on the portal — the target service was down or restarting';
  if (first.previousConn >= 0) message += `; connection ${first.previousConn} to it had come before`;
  message += last.nextConn >= 0 ? `; connection ${last.nextConn} to it came next` : '; no later connection to it in the capture';
  const frames = frameList(run.slice(0, MAX_FRAMES / 2).flatMap((r) => [r.first.frame, r.last.frame, r.answer?.frame]));
  const conns = [...new Set([...connsOf(first), ...connsOf(last)])];
  return finding('connect-refused', 'error', { conns, frame: first.first.frame }, first.first.time, frames, message,
    { attempts: run.length, spanMs, portal, previousConn: first.previousConn >= 0 ? first.previousConn : undefined, nextConn: last.nextConn >= 0 ? last.nextConn : undefined });
}

function unanswered(ctx: CheckContext, run: AttemptRecord[], nextTime: Map<AttemptRecord, number>): Finding | undefined {
  const a = ctx.framed.tcp.attempts;
  const first = run[0], last = run[run.length - 1];
  const from = first.first.time;
  const answered = last.outcome === 'answered-late';
  // SYNs that went unanswered: every SYN of the run but the one a SYN-ACK answered at last.
  let syns = 0;
  for (const r of run) syns += r.syns;
  if (answered) syns--;
  // The last SYN nobody answered: the one before the SYN-ACK'd one (in this attempt or the one before).
  const lastUnanswered = !answered ? last.last.time : last.syns > 1 ? a.prevSynTime[last.attempt] : run[run.length - 2].last.time;
  const next = nextTime.get(last);
  const waitEnd = answered ? (last.answer as { time: number }).time : next ?? ctx.captureEnd.time;
  if (syns <= 0 || waitEnd - from <= UNANSWERED_SYN_S) return undefined;
  const spanMs = msBetween(from, lastUnanswered);
  const answeredAfterMs = answered ? msBetween(from, waitEnd) : undefined;
  const portal = first.portal;
  const attempts = run.length > 1 ? ` (${run.length} connection attempts)` : '';
  let message = answered
    ? `${plural(syns, 'SYN')} to ${portal}${attempts} went unanswered until a SYN-ACK came ${formatMs(answeredAfterMs ?? 0)} after the first (frame ${last.answer?.frame})`
    : `${plural(syns, 'SYN')} to ${portal}${attempts} got no answer in ${formatMs(msBetween(from, waitEnd))}`;
  message += ': the target host was down, the network path lost, or a firewall dropped them';
  if (!answered) message += next !== undefined ? '; the attempt after them was refused' : '; none was answered before the capture ended';
  if (first.previousConn >= 0) message += `; connection ${first.previousConn} to it had come before`;
  if (answered && last.conn >= 0) message += `; the answered attempt is connection ${last.conn}`;
  const conns = [...new Set([...connsOf(first), ...connsOf(last)])];
  return finding('connect-unanswered', 'error', { conns, frame: first.first.frame }, from, synFrames(run, ctx, answered), message,
    { attempts: syns, spanMs, portal, answeredAfterMs, previousConn: first.previousConn >= 0 ? first.previousConn : undefined, nextConn: last.nextConn >= 0 ? last.nextConn : undefined });
}

/** For each attempt, the first SYN of the next failed attempt from the same host to the same portal. */
function nextAttemptTimes(list: readonly AttemptRecord[]): Map<AttemptRecord, number> {
  const out = new Map<AttemptRecord, number>();
  const later = new Map<string, number>();
  for (let k = list.length - 1; k >= 0; k--) {
    const r = list[k];
    const key = `${r.initiator.replace(/:\d+$/, '')}\u0000${r.portal}`;
    const t = later.get(key);
    if (t !== undefined) out.set(r, t);
    later.set(key, r.first.time);
  }
  return out;
}
