import { formatAddress } from '../net/index.ts';
import { AttemptAnswer, attemptsByPortal } from '../tcp/index.ts';
import type { PortalAttempts, TcpAttempts } from '../tcp/index.ts';
import type { ConnectionSummary, StreamDir } from '../iscsi/index.ts';
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

function portalText(p: PortalAttempts): string {
  const a = formatAddress(p.ipVersion, p.addr[0], p.addr[1], p.addr[2], p.addr[3]);
  return p.ipVersion === 6 ? `[${a}]:${p.port}` : `${a}:${p.port}`;
}

/**
 * Attempts to one portal in runs: consecutive refused attempts (SYN → RST) are one connect-refused;
 * consecutive unanswered SYNs (retransmissions, new attempts), up to the SYN-ACK that answered at
 * last if one did, are one connect-unanswered when the wait passed 3 s.
 */
function attemptFindings(ctx: CheckContext, out: Finding[]): void {
  const a = ctx.framed.tcp.attempts;
  for (const p of attemptsByPortal(a)) {
    if (p.refused === 0 && p.unanswered === 0 && p.syns === p.rows.length) continue;
    const portal = portalText(p);
    let k = 0;
    while (k < p.rows.length) {
      const row = p.rows[k];
      if (a.answer[row] === AttemptAnswer.Rst) {
        let end = k;
        while (end + 1 < p.rows.length && a.answer[p.rows[end + 1]] === AttemptAnswer.Rst) end++;
        out.push(refused(ctx, a, p.rows.slice(k, end + 1), portal));
        k = end + 1;
        continue;
      }
      if (a.answer[row] === AttemptAnswer.None || a.syns[row] > 1) {
        let end = k;
        while (a.answer[p.rows[end]] === AttemptAnswer.None && end + 1 < p.rows.length && a.answer[p.rows[end + 1]] !== AttemptAnswer.Rst) end++;
        const next = end + 1 < p.rows.length ? p.rows[end + 1] : -1;
        const f = unanswered(ctx, a, p.rows.slice(k, end + 1), next, portal);
        if (f) out.push(f);
        k = end + 1;
        continue;
      }
      k++;
    }
  }
}

/** The iSCSI connections to the portal just before and just after `from`–`to`. */
function around(ctx: CheckContext, a: TcpAttempts, rows: number[], from: number, to: number): { before?: ConnectionSummary; after?: ConnectionSummary } {
  const server = rows[0];
  const samePortal = (s: ConnectionSummary): boolean => s.target.port === a.serverPort[server]
    && s.target.address === formatAddress(a.ipVersion[server] as 4 | 6, a.serverAddr[server * 4], a.serverAddr[server * 4 + 1], a.serverAddr[server * 4 + 2], a.serverAddr[server * 4 + 3]);
  let before: ConnectionSummary | undefined, after: ConnectionSummary | undefined;
  // An attempt answered at last carries the connection that got through.
  const carried = ctx.framed.tcp.connections.conn[a.tcpConn[rows[rows.length - 1]]];
  if (carried >= 0) after = ctx.framed.connections[carried];
  for (const s of ctx.framed.connections) {
    if (!samePortal(s) || s === after) continue;
    if (s.firstTime < from && (!before || s.firstTime > before.firstTime)) before = s;
    if (carried < 0 && s.firstTime > to && (!after || s.firstTime < after.firstTime)) after = s;
  }
  return { before, after };
}

function synFrames(a: TcpAttempts, rows: number[], withAnswers: boolean): number[] {
  const frames: number[] = [];
  for (const r of rows) {
    if (frames.length >= MAX_FRAMES) break;
    frames.push(a.firstSynFrame[r], a.prevSynFrame[r], a.lastSynFrame[r]);
    if (withAnswers && a.answerFrame[r] > 0) frames.push(a.answerFrame[r]);
  }
  return frameList(frames);
}

function refused(ctx: CheckContext, a: TcpAttempts, rows: number[], portal: string): Finding {
  const first = rows[0], last = rows[rows.length - 1];
  const from = a.firstSynTime[first], to = a.lastSynTime[last];
  const spanMs = msBetween(from, to);
  const { before, after } = around(ctx, a, rows, from, to);
  let message = rows.length === 1
    ? `A connection attempt to ${portal} was refused (RST, frame ${a.answerFrame[first]})`
    : `${rows.length} connection attempts to ${portal} within ${formatMs(spanMs)} were all refused (RST)`;
  message += ': nothing listened on the portal — the target service was down or restarting';
  if (before) message += `; connection ${before.conn} to it had come before`;
  message += after ? `; connection ${after.conn} got through ${formatMs(msBetween(to, after.firstTime))} after the last refusal` : '; no later attempt got through in the capture';
  const conns = [before?.conn, after?.conn].filter((c): c is number => c !== undefined);
  return finding('connect-refused', 'error', { conns, frame: a.firstSynFrame[first] }, from, synFrames(a, rows, true), message,
    { attempts: rows.length, spanMs, portal, previousConn: before?.conn, nextConn: after?.conn });
}

function unanswered(ctx: CheckContext, a: TcpAttempts, rows: number[], next: number, portal: string): Finding | undefined {
  const first = rows[0], last = rows[rows.length - 1];
  const from = a.firstSynTime[first];
  const answered = a.answer[last] === AttemptAnswer.SynAck;
  // SYNs that went unanswered: every SYN of the run but the one a SYN-ACK answered at last.
  let syns = 0;
  for (const r of rows) syns += a.syns[r];
  if (answered) syns--;
  // The last SYN nobody answered: the one before the SYN-ACK'd one (in this attempt or the one before).
  const lastUnanswered = !answered ? a.lastSynTime[last] : a.syns[last] > 1 ? a.prevSynTime[last] : a.lastSynTime[rows[rows.length - 2]];
  const waitEnd = answered ? a.answerTime[last] : next >= 0 ? a.firstSynTime[next] : ctx.captureEnd.time;
  if (syns <= 0 || waitEnd - from <= UNANSWERED_SYN_S) return undefined;
  const spanMs = msBetween(from, lastUnanswered);
  const answeredAfterMs = answered ? msBetween(from, a.answerTime[last]) : undefined;
  const { before, after } = around(ctx, a, rows, from, lastUnanswered);
  const attempts = rows.length > 1 ? ` (${rows.length} connection attempts)` : '';
  let message = answered
    ? `${plural(syns, 'SYN')} to ${portal}${attempts} went unanswered until a SYN-ACK came ${formatMs(answeredAfterMs ?? 0)} after the first (frame ${a.answerFrame[last]})`
    : `${plural(syns, 'SYN')} to ${portal}${attempts} got no answer in ${formatMs(msBetween(from, waitEnd))}`;
  message += ': the target host was down, the network path lost, or a firewall dropped them';
  if (!answered) message += next >= 0 ? '; the attempt after them was refused' : '; none was answered before the capture ended';
  if (before) message += `; connection ${before.conn} to it had come before`;
  if (after && answered) message += `; the answered attempt is connection ${after.conn}`;
  const conns = [before?.conn, after?.conn].filter((c): c is number => c !== undefined);
  return finding('connect-unanswered', 'error', { conns, frame: a.firstSynFrame[first] }, from, synFrames(a, rows, answered), message,
    { attempts: syns, spanMs, portal, answeredAfterMs, previousConn: before?.conn, nextConn: after?.conn });
}
