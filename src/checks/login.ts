import { loginStatusName } from '../codec/index.ts';
import { isTruncated } from '../iscsi/index.ts';
import type { CheckContext } from './context.ts';
import { formatMs, hex, printable } from '../text/index.ts';
import { deadline } from '../sessions/index.ts';
import type { ConnectionModel, EndEvent } from '../sessions/index.ts';
import { NAME_MAX, endWords, finding, frameList, lazyMessage, msBetween, tcpAckDetails, tcpAckText } from './format.ts';
import type { TcpAckDetails } from './format.ts';
import type { Finding } from './types.ts';

/** A Login Response with a non-zero status class ends the login (RFC 7143 §11.13.5); it is the PDU at fault. */
export function checkLoginFailures(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.model.connections) {
    const l = c.login;
    if (l?.response === undefined || l.statusClass === undefined || l.statusClass === 0) continue;
    const statusClass = l.statusClass;
    const statusDetail = l.statusDetail ?? 0;
    const statusText = loginStatusName(statusClass, statusDetail);
    out.push(finding('login-failure', 'error', { conn: c.conn, frame: l.response.frame, row: l.response.row, field: 'loginStatusClass', relation: l.relation }, l.response.time,
      frameList([l.request.frame, l.response.frame]), lazyMessage(refusedText, c), { statusClass, statusDetail, statusText }));
  }
  return out;
}

/**
 * A Login Request the target never answered (RFC 7143 §6.3: every Login Request gets a Login
 * Response) before the connection ended — the initiator gave up, or the target closed it — or the
 * capture did (a warning: the answer may have come later). Not said where the target's stream lost
 * bytes the answer may have been in, nor where the request itself was not all captured. With the ACK watch: was the target host up (its TCP took the
 * request) while its iSCSI layer stayed silent? The PDU at fault is the Login Request.
 */
export function checkLoginsUnanswered(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.model.connections) {
    const l = c.login;
    if (l === undefined || l.response !== undefined || l.request.row < 0) continue;
    // Bytes of the request never came: the target may still have been reading it.
    if (isTruncated(ctx.framed.pdus, l.request.row)) continue;
    const r = ctx.model.relations[l.relation];
    if (r.fate !== 'unanswered' && r.fate !== 'outstanding-at-capture-end') continue;
    const d = deadline(c.end, l.request.frame, ctx.captureEnd);
    const tcp = tcpAckDetails(r.tcpAck, l.request.time, d.time);
    out.push(finding('login-unanswered', r.fate === 'unanswered' ? 'error' : 'warning',
      { conn: c.conn, frame: l.request.frame, row: l.request.row, relation: l.relation }, l.request.time,
      frameList([l.request.frame, d.event === 'capture-end' ? undefined : d.frame, tcp.tcpAckFrame]),
      lazyMessage(unansweredText, c), { waitedMs: msBetween(l.request.time, d.time), then: d.event, ...tcp }));
  }
  return out;
}

function unansweredText(f: Finding, c: ConnectionModel): string {
  const then = f.then as EndEvent;
  const still = then === 'capture-end' ? ' with the login still waiting' : '';
  return `Login Request of ${initiatorOf(c)} to ${targetOf(c)} got no Login Response for ${formatMs(f.waitedMs as number)}; ${endWords(then)}${still}`
    + tcpAckText(f as TcpAckDetails, 'request');
}

function initiatorOf(c: ConnectionModel): string {
  return printable(c.initiatorName ?? c.initiator, NAME_MAX);
}

function targetOf(c: ConnectionModel): string {
  return c.sessionType === 'Discovery' ? `a discovery session at ${c.portal}` : printable(c.targetName ?? c.portal, NAME_MAX);
}

function refusedText(f: Finding, c: ConnectionModel): string {
  const statusClass = f.statusClass as number;
  const who = initiatorOf(c);
  const to = targetOf(c);
  const hint = statusClass === 1 ? 'the target redirects the initiator to another portal (see TargetAddress)'
    : statusClass === 2 ? 'the initiator must change its request (name, ACL, CHAP, keys) before retrying'
    : 'the target failed to serve the login; retrying later may work';
  return `Login of ${who} to ${to} refused: "${f.statusText as string}" (status ${hex(statusClass)}${hex(f.statusDetail as number).slice(2)}) — ${hint}`;
}
