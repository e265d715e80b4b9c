import { loginStatusName } from '../codec/index.ts';
import type { CheckContext } from './context.ts';
import { hex, printable } from '../text/index.ts';
import type { ConnectionModel } from '../sessions/index.ts';
import { NAME_MAX, finding, frameList, lazyMessage } from './format.ts';
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

function refusedText(f: Finding, c: ConnectionModel): string {
  const statusClass = f.statusClass as number;
  const who = printable(c.initiatorName ?? c.initiator, NAME_MAX);
  const to = c.sessionType === 'Discovery' ? `a discovery session at ${c.portal}` : printable(c.targetName ?? c.portal, NAME_MAX);
  const hint = statusClass === 1 ? 'the target redirects the initiator to another portal (see TargetAddress)'
    : statusClass === 2 ? 'the initiator must change its request (name, ACL, CHAP, keys) before retrying'
    : 'the target failed to serve the login; retrying later may work';
  return `Login of ${who} to ${to} refused: "${f.statusText as string}" (status ${hex(statusClass)}${hex(f.statusDetail as number).slice(2)}) — ${hint}`;
}
