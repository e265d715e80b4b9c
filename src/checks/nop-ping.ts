import { formatMs, hexTag } from '../text/index.ts';
import type { EndEvent, PingRecord } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { REQUEST_PLACE, derivedFinding, endWords, frameList, linuxError, msBetween, requestDeadline, requestKeys, tcpAckDetails, tcpAckText } from './format.ts';
import type { TcpAckDetails } from './format.ts';
import type { Finding } from './types.ts';

/**
 * Initiator pings (RFC 7143 §11.18): a NOP-Out with a valid ITT must be answered by a NOP-In with
 * the same ITT. A keepalive NOP-Out with ITT 0xffffffff asks for no answer and is never a ping.
 * An answer counts only if it came before the initiator gave up on the connection (its FIN or RST)
 * or the connection ended; Linux reports the unanswered ping as ISCSI_ERR_NOP_TIMEDOUT (1022).
 * The PDU at fault is the NOP-Out.
 *
 * A capture can hold millions of pings (one every few seconds for days), so their findings are
 * derived: each key is computed from the ping record when read (format.ts derivedFinding).
 */
export function checkNopPings(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const p of ctx.model.pings) {
    if (p.fate === 'unknown') continue;
    out.push(p.fate === 'answered' ? answered(p, ctx) : unanswered(p, ctx));
  }
  return out;
}

const answered = derivedFinding<PingRecord, CheckContext>([
  ...requestKeys<PingRecord>('nop-ping', 'info', answeredFrames),
  { key: 'message', get: (_p, _c, f) => answeredText(f), always: true },
  { key: 'itt', get: (p) => p.itt },
  { key: 'rttMs', get: (p) => msBetween(p.request.time, (p.answer as { time: number }).time) },
], REQUEST_PLACE);

function answeredFrames(p: PingRecord): number[] {
  return frameList([p.request.frame, p.answer?.frame]);
}

function answeredText(f: Finding): string {
  return `NOP-Out ping ITT ${hexTag(f.itt as number)} answered by the target's NOP-In in ${formatMs(f.rttMs as number)}`;
}

function tcpOf(p: PingRecord, ctx: CheckContext): TcpAckDetails {
  return tcpAckDetails(p.tcpAck, p.request.time, requestDeadline(p, ctx).time);
}

function unansweredFrames(p: PingRecord, ctx: CheckContext): number[] {
  const d = requestDeadline(p, ctx);
  return frameList([p.request.frame, d.event === 'capture-end' ? undefined : d.frame, p.answer?.frame, tcpOf(p, ctx).tcpAckFrame]);
}

const unanswered = derivedFinding<PingRecord, CheckContext>([
  ...requestKeys<PingRecord>('nop-ping-unanswered', 'error', unansweredFrames),
  { key: 'message', get: (p, _c, f) => unansweredText(f, p), always: true },
  { key: 'itt', get: (p) => p.itt },
  { key: 'waitedMs', get: (p, ctx) => msBetween(p.request.time, requestDeadline(p, ctx).time) },
  { key: 'then', get: (p, ctx) => requestDeadline(p, ctx).event },
  { key: 'answeredLateMs', get: (p) => (p.answer !== undefined ? msBetween(p.request.time, p.answer.time) : undefined) },
  { key: 'tcpAcked', get: (p, ctx) => tcpOf(p, ctx).tcpAcked },
  { key: 'tcpAckFrame', get: (p, ctx) => tcpOf(p, ctx).tcpAckFrame },
  { key: 'tcpAckedAfterMs', get: (p, ctx) => tcpOf(p, ctx).tcpAckedAfterMs },
], REQUEST_PLACE);

function unansweredText(f: Finding, p: PingRecord): string {
  const then = f.then as EndEvent;
  let message = `NOP-Out ping ITT ${hexTag(f.itt as number)} got no NOP-In for ${formatMs(f.waitedMs as number)}; ${endWords(then)}`;
  if (then === 'initiator-fin' || then === 'initiator-reset') message += ` — what open-iscsi reports as ${linuxError(1022)}`;
  else if (then === 'target-fin' || then === 'target-reset') message += ` — a Linux initiator reports ${linuxError(1020)}`;
  else message += ' with the ping still waiting';
  message += tcpAckText(f as TcpAckDetails, 'ping');
  if (f.answeredLateMs !== undefined) {
    message += `; the NOP-In came only ${formatMs(f.answeredLateMs as number)} after the ping (frame ${p.answer?.frame}), after the initiator had given up`;
  }
  return message;
}
