import { formatMs, hexTag } from '../text/index.ts';
import { deadline } from '../sessions/index.ts';
import type { EndEvent, PingRecord } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { endWords, finding, frameList, lazyMessage, linuxError, msBetween, tcpAckDetails, tcpAckText } from './format.ts';
import type { TcpAckDetails } from './format.ts';
import type { Finding } from './types.ts';

/**
 * Initiator pings (RFC 7143 §11.18): a NOP-Out with a valid ITT must be answered by a NOP-In with
 * the same ITT. A keepalive NOP-Out with ITT 0xffffffff asks for no answer and is never a ping.
 * An answer counts only if it came before the initiator gave up on the connection (its FIN or RST)
 * or the connection ended; Linux reports the unanswered ping as ISCSI_ERR_NOP_TIMEDOUT (1022).
 * The PDU at fault is the NOP-Out.
 */
export function checkNopPings(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const p of ctx.model.pings) {
    if (p.fate === 'unknown') continue;
    out.push(p.fate === 'answered' ? answered(p) : unanswered(ctx, p));
  }
  return out;
}

function answered(p: PingRecord): Finding {
  const answer = p.answer as { frame: number; time: number };
  const rttMs = msBetween(p.request.time, answer.time);
  return finding('nop-ping', 'info', { conn: p.conn, frame: p.request.frame, row: p.request.row, relation: p.relation }, p.request.time,
    frameList([p.request.frame, answer.frame]), lazyMessage(answeredText, p), { itt: p.itt, rttMs });
}

function answeredText(f: Finding): string {
  return `NOP-Out ping ITT ${hexTag(f.itt as number)} answered by the target's NOP-In in ${formatMs(f.rttMs as number)}`;
}

function unanswered(ctx: CheckContext, p: PingRecord): Finding {
  const conn = ctx.model.connections[p.conn];
  const d = deadline(conn.end, p.request.frame, ctx.captureEnd);
  const waitedMs = msBetween(p.request.time, d.time);
  const answeredLateMs = p.answer !== undefined ? msBetween(p.request.time, p.answer.time) : undefined;
  const tcp = tcpAckDetails(p.tcpAck, p.request.time, d.time);
  return finding('nop-ping-unanswered', 'error', { conn: p.conn, frame: p.request.frame, row: p.request.row, relation: p.relation }, p.request.time,
    frameList([p.request.frame, d.event === 'capture-end' ? undefined : d.frame, p.answer?.frame, tcp.tcpAckFrame]),
    lazyMessage(unansweredText, p), { itt: p.itt, waitedMs, then: d.event, answeredLateMs, ...tcp });
}

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
