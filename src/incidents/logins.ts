import { printable, plural } from '../text/index.ts';
import type { IncidentContext } from './context.ts';
import { append, ms, pushAll } from './context.ts';
import type { Incident, IncidentStep } from './types.ts';

/** Logins and logouts repeating (a rediscovery loop, a reconnect loop): the churn, the connections it made, their ends. */
export function loginLoops(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  for (const i of ctx.open('login-churn')) {
    const f = ctx.findings[i];
    const conns = new Set(f.conns ?? []);
    const findings = [i];
    for (const c of conns) pushAll(findings, ctx.openOn(c, 'closed-without-logout', 'relogin', 'session-reinstatement', 'login-failure'));
    const list = [...conns].sort((a, b) => a - b);
    const chain: IncidentStep[] = [];
    const firstConn = ctx.model.connections[list[0]];
    const lastConn = ctx.model.connections[list[list.length - 1]];
    if (firstConn?.login) chain.push({ time: firstConn.login.request.time, frame: firstConn.login.request.frame, conn: firstConn.conn, what: 'the first login of the loop' });
    if (lastConn?.login && lastConn !== firstConn) chain.push({ time: lastConn.login.request.time, frame: lastConn.login.request.frame, conn: lastConn.conn, what: `the last of ${plural(list.length, 'login')}` });
    const discovery = Number(f.discoveryLogins ?? 0);
    const period = typeof f.periodMs === 'number' ? f.periodMs : f.medianIntervalMs;
    const what = discovery > 0 ? 'a rediscovery loop: something keeps re-running SendTargets discovery (a stale path in a multipath or discovery cache, a script)' : 'a reconnect loop: the initiator keeps logging in again — look at why its sessions end';
    const headline = `${printable(String(f.initiator), 120)} logged in to ${printable(String(f.target), 120)} ${plural(Number(f.logins), 'time')} in ${ms(f.windowMs)}${discovery ? ` (${discovery} of them discovery)` : ''}, every ${ms(period)} — ${what}.`;
    out.push(ctx.make('login-loop', findings, chain, headline));
  }
  return out;
}

/** The open findings of `kind`, grouped by initiator and target (names, else addresses). */
function byPair(ctx: IncidentContext, kind: string): Iterable<number[]> {
  const groups = new Map<string, number[]>();
  for (const i of ctx.open(kind)) {
    const c = ctx.model.connections[ctx.findings[i].conn as number];
    append(groups, `${c.initiatorName ?? c.initiatorAddress}\u0000${c.targetName ?? c.portal}`, i);
  }
  return groups.values();
}

/** Logins the target refused, per initiator and target. */
export function loginFailures(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  for (const list of byPair(ctx, 'login-failure')) {
    const f = ctx.findings[list[0]];
    const c = ctx.model.connections[f.conn as number];
    const chain = list.map((i) => ({ time: ctx.findings[i].time, frame: ctx.findings[i].frame as number, conn: ctx.findings[i].conn as number, what: `login refused: "${String(ctx.findings[i].statusText)}"` }));
    const headline = `The target refused ${plural(list.length, 'login')} of ${printable(c.initiatorName ?? c.initiator, 120)} to ${printable(c.targetName ?? c.portal, 120)}: "${String(f.statusText)}" — ${Number(f.statusClass) === 2 ? 'fix the initiator\'s request (name, ACL, CHAP) before it retries' : Number(f.statusClass) === 1 ? 'the target redirects it to another portal' : 'the target could not serve the login'}.`;
    out.push(ctx.make('login-failure', list, chain, headline));
  }
  return out;
}

/**
 * Logins the target never answered, per initiator and target: the verdict says whether its TCP
 * took them (the host was up, its iSCSI layer silent) or not even that.
 */
export function loginsUnanswered(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  for (const list of byPair(ctx, 'login-unanswered')) {
    const f = ctx.findings[list[0]];
    const c = ctx.model.connections[f.conn as number];
    const acked = list.filter((i) => ctx.findings[i].tcpAcked === true).length;
    const notAcked = list.filter((i) => ctx.findings[i].tcpAcked === false).length;
    const chain = list.map((i) => {
      const g = ctx.findings[i];
      return { time: g.time, frame: g.frame as number, conn: g.conn as number, what: `Login Request unanswered for ${ms(g.waitedMs)}` };
    });
    const them = list.length === 1 ? 'it' : 'them';
    const tcp = acked === list.length ? ` — its TCP acknowledged ${them}: the target host was up, its iSCSI layer did not answer`
      : notAcked === list.length ? ` — not even TCP acknowledged ${them}: the target host or the network path was gone`
      : acked > 0 ? ` — its TCP acknowledged ${acked} of them: the host was up at least then, its iSCSI layer did not answer` : '';
    const headline = `The target never answered ${plural(list.length, 'login')} of ${printable(c.initiatorName ?? c.initiator, 120)} to ${printable(c.targetName ?? c.portal, 120)}${tcp}.`;
    out.push(ctx.make('login-unanswered', list, chain, headline));
  }
  return out;
}
