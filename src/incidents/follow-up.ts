import type { IncidentContext } from './context.ts';
import { connName, ms } from './context.ts';
import type { IncidentStep } from './types.ts';

/**
 * What followed a connection's failure: the same initiator's next login to the same target (a
 * relogin with a new ISID, or a session reinstatement with the same one) — added to the chain and
 * the findings, and told in words ("logged in again on conn 1, answered 4.0 s later").
 */
export function followUp(ctx: IncidentContext, conn: number, chain: IncidentStep[], findings: number[]): string | undefined {
  const attempts = ctx.openAfter(conn, 'connect-refused', 'connect-unanswered');
  const reconnects = reconnectWords(ctx, conn, chain, findings);
  const relogin = reloginWords(ctx, conn, chain, findings);
  if (reconnects && relogin) return `${reconnects}; then ${relogin}`;
  if (reconnects) {
    // No relogin finding (the old connection had ended cleanly enough): the attempt that got through says it.
    const next = ctx.findings[attempts[attempts.length - 1]].nextConn;
    const m = typeof next === 'number' ? ctx.model.connections[next] : undefined;
    if (m && typeof next === 'number') {
      if (m.login?.response) chain.push({ time: m.login.response.time, frame: m.login.response.frame, conn: next, what: m.login.fullFeature ? 'the target answered the login' : 'the target refused the login' });
      return `${reconnects}; ${connName(next)} got through at ${ctx.at(m.firstTime)}${m.login?.fullFeature ? ' and logged in' : ''}`;
    }
  }
  return reconnects ?? relogin;
}

/**
 * Connection attempts after the failure that TCP refused or left unanswered (connect-refused,
 * connect-unanswered whose previousConn is this one): the target service down, or its host.
 */
function reconnectWords(ctx: IncidentContext, conn: number, chain: IncidentStep[], findings: number[]): string | undefined {
  const list = ctx.openAfter(conn, 'connect-refused', 'connect-unanswered');
  if (!list.length) return undefined;
  const parts: string[] = [];
  for (const i of list) {
    findings.push(i);
    const f = ctx.findings[i];
    const n = Number(f.attempts);
    if (f.kind === 'connect-refused') {
      chain.push({ time: f.time, frame: f.frame as number, conn, what: `${n === 1 ? 'a reconnect' : `${n} reconnects`} to ${String(f.portal)} refused (RST) within ${ms(f.spanMs)}: nothing listened on the portal` });
      parts.push(`${n === 1 ? 'its reconnect was' : `its ${n} reconnects within ${ms(f.spanMs)} were`} refused (RST: the target service was down)`);
    } else {
      const answered = typeof f.answeredAfterMs === 'number';
      chain.push({ time: f.time, frame: f.frame as number, conn, what: `${n} SYNs to ${String(f.portal)} unanswered${answered ? ` until a SYN-ACK ${ms(f.answeredAfterMs)} later` : ''}: the target host or the path was gone` });
      parts.push(`${n} SYNs of its reconnects went unanswered${answered ? ` for ${ms(f.answeredAfterMs)}` : ''} (the target host or the network path was down)`);
    }
  }
  return parts.join(', then ');
}

function reloginWords(ctx: IncidentContext, conn: number, chain: IncidentStep[], findings: number[]): string | undefined {
  const i = ctx.openAfter(conn, 'relogin', 'session-reinstatement')[0];
  if (i === undefined) return undefined;
  findings.push(i);
  const f = ctx.findings[i];
  const next = f.conn as number;
  const login = ctx.model.connections[next]?.login;
  const kind = f.kind === 'relogin' ? 'logged in again' : 'reinstated the session (same ISID)';
  chain.push({ time: f.time, frame: f.frame as number, conn: next, what: `the initiator ${kind} on ${connName(next)}, ${ms(f.gapMs)} later` });
  if (login?.response) {
    chain.push({
      time: login.response.time, frame: login.response.frame, conn: next,
      what: login.fullFeature ? `the target answered the login after ${ms(f.loginMs)}` : 'the target refused the login',
    });
  }
  const slow = typeof f.loginMs === 'number' && f.loginMs > 1000;
  if (!login?.response) return `the initiator ${kind} on ${connName(next)}, but the login got no answer in the capture`;
  if (!login.fullFeature) return `the initiator ${kind} on ${connName(next)}; the target refused it`;
  return `the initiator ${kind} on ${connName(next)}, answered ${ms(f.loginMs)} later${slow ? ' (the target was back only then)' : ''}`;
}
