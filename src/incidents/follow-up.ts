import type { IncidentContext } from './context.ts';
import { connName, ms } from './context.ts';
import type { IncidentStep } from './types.ts';

/**
 * What followed a connection's failure: the same initiator's next login to the same target (a
 * relogin with a new ISID, or a session reinstatement with the same one) — added to the chain and
 * the findings, and told in words ("logged in again on conn 1, answered 4.0 s later").
 */
export function followUp(ctx: IncidentContext, conn: number, chain: IncidentStep[], findings: number[]): string | undefined {
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
