import { linuxError } from '../checks/index.ts';
import { fmtInt, hexTag, plural } from '../text/index.ts';
import type { IncidentContext } from './context.ts';
import { append, connName, ms, pushAll } from './context.ts';
import { followUp } from './follow-up.ts';
import type { Incident, IncidentStep } from './types.ts';

/** The target's NOP-In pings went unanswered (the initiator stopped reading, or ignores them) and the target closed the connection. */
export function targetPingTimeouts(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  const byConn = new Map<number, number[]>();
  for (const i of ctx.open('target-ping-unanswered', 'ttt-echo-mismatch')) {
    const f = ctx.findings[i];
    if (f.kind === 'ttt-echo-mismatch' && !byConn.has(f.conn as number)) continue;
    append(byConn, f.conn as number, i);
  }
  for (const [conn, list] of byConn) {
    const pings = list.filter((i) => ctx.findings[i].kind === 'target-ping-unanswered');
    const first = ctx.findings[pings[0]];
    const chain: IncidentStep[] = [{ time: first.time, frame: first.frame as number, conn, what: `target NOP-In ping TTT ${hexTag(first.ttt as number)} sent; the initiator never echoed it` }];
    if (pings.length > 1) {
      const last = ctx.findings[pings[pings.length - 1]];
      chain.push({ time: last.time, frame: last.frame as number, conn, what: `${plural(pings.length - 1, 'more target ping')} unanswered` });
    }
    const findings = [...list];
    const m = ctx.model.connections[conn];
    let headline = `The initiator stopped answering the target's NOP-In pings on ${connName(conn)} at ${ctx.at(first.time)} (${plural(pings.length, 'ping')} unanswered)`;
    if (m.end.kind !== 'open' && m.end.by === 'target') {
      pushAll(findings, ctx.openOn(conn, 'closed-without-logout', 'connection-reset'));
      pushAll(findings, ctx.openOn(conn, 'command-unanswered'));
      chain.push({ time: m.end.time, frame: m.end.frame, conn, what: `the target gave up and ${m.end.kind === 'fin' ? 'closed' : 'reset'} the connection (a Linux initiator reports ${linuxError(1020)})` });
      headline += `; the target gave up and ${m.end.kind === 'fin' ? 'closed' : 'reset'} the connection — the initiator is not reading the connection (stalled host or process) or ignores target pings`;
    } else {
      headline += ' — the initiator is not reading the connection or ignores target pings';
    }
    const next = followUp(ctx, conn, chain, findings);
    if (next) headline += `; ${next}`;
    out.push(ctx.make('target-ping-timeout', findings, chain, `${headline}.`));
  }
  return out;
}

/** The target reset or closed a connection that was in use (commands outstanding), and what came after. */
export function targetDowns(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  for (const i of ctx.open('connection-reset', 'closed-without-logout')) {
    const f = ctx.findings[i];
    if (f.by !== 'target' || ctx.claimed.has(i)) continue;
    const conn = f.conn as number;
    const m = ctx.model.connections[conn];
    const o = m.end.outstanding;
    const reconnectsFailed = ctx.openAfter(conn, 'connect-refused', 'connect-unanswered').length > 0;
    if (f.kind === 'closed-without-logout' && o.commands + o.tmfs === 0 && !reconnectsFailed) continue;
    const findings = [i, ...ctx.openOn(conn, 'command-unanswered', 'nop-ping-unanswered')];
    const how = f.kind === 'connection-reset' ? 'reset' : 'closed';
    const chain: IncidentStep[] = [{ time: f.time, frame: f.frame as number, conn, what: `the target ${how} the connection (${f.kind === 'connection-reset' ? 'RST' : 'FIN'}) — what Linux reports as ${linuxError(1020)}` }];
    const cmds = findings.map((k) => ctx.findings[k]).filter((x) => x.kind === 'command-unanswered');
    if (cmds.length) {
      chain.unshift({ time: cmds[0].time, frame: cmds[0].frame as number, conn, what: `${plural(cmds.length, 'command')} sent that never got a status, the first at ${ctx.at(cmds[0].time)}` });
    }
    let headline = `The target ${how} ${connName(conn)} at ${ctx.at(f.time)}${o.commands ? ` with ${plural(o.commands, 'command')} outstanding` : ''}`;
    const next = followUp(ctx, conn, chain, findings);
    headline += next ? `; ${next}` : ' and the initiator did not log in again in the capture';
    out.push(ctx.make('target-down', findings, chain, `${headline}.`));
  }
  return out;
}

/**
 * Connection attempts refused or unanswered with no failed connection before them to tell it (the
 * capture began while the target was down, or the attempts were the first): the portal was down.
 */
export function portalsDown(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  const storm = attemptStorm(ctx);
  if (storm) out.push(storm);
  for (const i of ctx.open('connect-refused', 'connect-unanswered')) {
    const f = ctx.findings[i];
    const n = Number(f.attempts);
    const conn = typeof f.nextConn === 'number' ? f.nextConn : typeof f.previousConn === 'number' ? f.previousConn : -1;
    const chain: IncidentStep[] = conn >= 0 ? [{ time: f.time, frame: f.frame as number, conn, what: f.message.replace(/ — .*$/, '') }] : [];
    const refused = f.kind === 'connect-refused';
    let headline = refused
      ? `${n === 1 ? 'A connection attempt' : `${n} connection attempts`} to ${String(f.portal)} from ${ctx.at(f.time)} ${n === 1 ? 'was' : 'were'} refused (RST): nothing listened on the portal — the target service was down`
      : `${plural(n, 'SYN')} to ${String(f.portal)} from ${ctx.at(f.time)} went unanswered${typeof f.answeredAfterMs === 'number' ? ` for ${ms(f.answeredAfterMs)}` : ''} — the target host was down or the network path lost`;
    if (typeof f.nextConn === 'number') {
      const next = ctx.model.connections[f.nextConn];
      headline += `; ${connName(f.nextConn)} got through at ${ctx.at(next.firstTime)}`;
      if (next.login?.response) chain.push({ time: next.login.response.time, frame: next.login.response.frame, conn: f.nextConn, what: next.login.fullFeature ? 'the target answered the login' : 'the target refused the login' });
    }
    out.push(ctx.make('target-down', [i], chain, `${headline}.`));
  }
  return out;
}

/** Failed-attempt findings with no iSCSI connection on either side told one by one, at most. */
const MAX_LONE_ATTEMPT_INCIDENTS = 4;

/**
 * Many failed attempts with no iSCSI connection before or after them (a port scan, or a target
 * down for the whole capture while an initiator kept trying) are one incident, not one each.
 */
function attemptStorm(ctx: IncidentContext): Incident | undefined {
  const lone = ctx.open('connect-refused', 'connect-unanswered')
    .filter((i) => ctx.findings[i].previousConn === undefined && ctx.findings[i].nextConn === undefined);
  if (lone.length <= MAX_LONE_ATTEMPT_INCIDENTS) return undefined;
  let refused = 0, unanswered = 0, from = Infinity, to = -Infinity, portalCount = 0;
  const portals = new Set<string>();
  for (const i of lone) {
    const f = ctx.findings[i];
    if (f.kind === 'connect-refused') refused += Number(f.attempts);
    else unanswered += Number(f.attempts);
    if (typeof f.portal === 'string') portals.add(f.portal);
    if (typeof f.portals === 'number') portalCount = Math.max(portalCount, f.portals);
    from = Math.min(from, f.time);
    to = Math.max(to, f.time + (typeof f.spanMs === 'number' ? f.spanMs / 1000 : 0));
  }
  const n = Math.max(portals.size, portalCount);
  const where = n === 1 ? [...portals][0] : `${fmtInt(n)} portals`;
  const t = ctx.model.tcp.attemptTotals;
  const parts = [refused > 0 ? `${fmtInt(refused)} refused (RST)` : '', unanswered > 0 ? `${plural(unanswered, 'SYN')} unanswered for over 3 s` : ''].filter((x) => x !== '');
  const headline = `Connection attempts to ${where} failed from ${ctx.at(from)} to ${ctx.at(to)} with no iSCSI connection before or after them: ${parts.join(', ')}`
    + ` (of all ${fmtInt(t.attempts)} attempts in the capture, ${fmtInt(t.refused)} were refused and ${fmtInt(t.unanswered)} got no answer)`
    + ' — the target was down all along, or this is a port scan.';
  return ctx.make('target-down', lone, [], headline);
}
