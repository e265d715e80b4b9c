import { logoutReasonName, logoutResponseName } from '../codec/index.ts';
import { plural } from '../text/index.ts';
import type { ConnectionModel } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, lazyMessage, linuxError } from './format.ts';
import type { Finding } from './types.ts';

/**
 * How each connection ended (RFC 7143 §6.1, §11.14-11.15): a Logout exchange is the orderly way
 * (logout); a FIN without one leaves the target to clean up the session (closed-without-logout); a
 * RST while the connection was still in use is a failure (connection-reset). When the target ends
 * it, the Linux initiator reports ISCSI_ERR_TCP_CONN_CLOSE (1020). The first FIN or RST decides:
 * a RST that follows a FIN is the closed socket refusing late data. The PDU at fault of a logout is
 * its request; of the others the FIN or RST segment.
 */
export function checkConnectionEnds(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.model.connections) {
    const lo = c.logout;
    if (lo?.response !== undefined) {
      const reason = lo.reason;
      const response = lo.responseCode as number;
      out.push(finding('logout', 'info', { conn: c.conn, frame: lo.request.frame, row: lo.request.row, relation: lo.relation }, lo.request.time, frameList([lo.request.frame, lo.response.frame]),
        lazyMessage(logoutText, c), { reason, reasonText: logoutReasonName(reason), response, responseText: logoutResponseName(response) }));
    }
    const end = c.end;
    if (end.kind === 'open' || end.by === undefined || end.loggedOut) continue;
    if (c.login?.statusClass !== undefined && c.login.statusClass !== 0) continue; // login-failure tells it
    if (end.kind === 'fin') {
      if (!c.loggedIn) continue;
      out.push(finding('closed-without-logout', 'warning', { conn: c.conn, frame: end.frame }, end.time, frameList([end.frame, ...end.later.map((e) => e.frame)]),
        lazyMessage(closedText, c), { by: end.by }));
    } else {
      out.push(finding('connection-reset', 'error', { conn: c.conn, frame: end.frame }, end.time, frameList([end.frame]),
        lazyMessage(resetText, c), { by: end.by }));
    }
  }
  return out;
}

function logoutText(f: Finding): string {
  return `Logout "${f.reasonText as string}" answered "${f.responseText as string}"${f.response === 0 ? '' : ' — the logout failed'}`;
}

function closedText(f: Finding, c: ConnectionModel): string {
  return `The ${f.by as string} closed the connection (FIN) without a Logout${waiting(c)}${afterwards(c)}${f.by === 'target'
    ? ` — what open-iscsi reports as ${linuxError(1020)}`
    : ' — the target is left to tear the session down on its own'}`;
}

function resetText(f: Finding, c: ConnectionModel): string {
  return `The ${f.by as string} reset the connection (RST)${c.loggedIn ? '' : ' during login'}${waiting(c)}${f.by === 'target' ? ` — what open-iscsi reports as ${linuxError(1020)}` : ' — the initiator dropped it without a Logout'}`;
}

/** ", with 2 commands and 1 NOP-Out ping unanswered" */
function waiting(c: ConnectionModel): string {
  const o = c.end.outstanding;
  const parts: string[] = [];
  const n = (k: number, one: string): void => { if (k > 0) parts.push(plural(k, one)); };
  n(o.commands, 'command');
  n(o.tmfs, 'task management request');
  n(o.pings, 'NOP-Out ping');
  n(o.targetPings, 'target NOP-In ping');
  if (c.logout !== undefined && c.logout.response === undefined) parts.push('its Logout Request');
  return parts.length ? `, with ${parts.join(' and ')} unanswered` : '';
}

/** "; the initiator's RST followed at frame 39" */
function afterwards(c: ConnectionModel): string {
  const rst = c.end.later.find((e) => e.kind === 'RST');
  return rst ? `; the ${rst.by}'s RST followed at frame ${rst.frame}` : '';
}
