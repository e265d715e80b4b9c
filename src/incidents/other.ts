import { linuxError } from '../checks/index.ts';
import { plural } from '../text/index.ts';
import type { IncidentContext } from './context.ts';
import { append, connName } from './context.ts';
import { followUp } from './follow-up.ts';
import type { Incident, IncidentStep } from './types.ts';

/** One step per finding that shows a frame, its message as the step. */
function steps(ctx: IncidentContext, list: number[]): IncidentStep[] {
  const out: IncidentStep[] = [];
  for (const i of list) {
    const f = ctx.findings[i];
    const frame = f.frame ?? f.frames[0];
    const conn = f.conn ?? f.conns?.[0];
    if (frame !== undefined && conn !== undefined) out.push({ time: f.time, frame, conn, what: f.message });
  }
  return out;
}

function perConn(ctx: IncidentContext, kinds: string[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const i of ctx.open(...kinds)) {
    const c = ctx.findings[i].conn ?? ctx.findings[i].conns?.[0] ?? -1;
    append(m, c, i);
  }
  return m;
}

/** Header or data digest mismatches, per connection. */
export function digestErrors(ctx: IncidentContext): Incident[] {
  const out = [...perConn(ctx, ['digest-error'])].map(([conn, list]) => ctx.make('digest-errors', list, steps(ctx, list),
    `${plural(list.length, 'PDU')} on ${connName(conn)} failed their CRC32C digest from ${ctx.at(ctx.findings[list[0]].time)} — data was corrupted between the two iSCSI layers (NIC offload, memory, a middlebox), not by the network's TCP.`));
  for (const [conn, list] of perConn(ctx, ['digest-unnegotiated'])) {
    const f = ctx.findings[list[0]];
    out.push(ctx.make('digest-errors', list, steps(ctx, list),
      `The ${String(f.by)} on ${connName(conn)} sends ${f.sent === 'CRC32C' ? 'CRC32C' : 'no'} ${String(f.which)} digests against what the login agreed (${String(f.which) === 'data' ? 'DataDigest' : 'HeaderDigest'}=${String(f.negotiated)}) — a peer that trusts the login misframes every PDU after the first (istgt answers DataDigest=Reject and sends data digests anyway).`));
  }
  return out;
}

/** A connection that ended under load (requests outstanding) for a reason no other incident tells. */
export function connectionsLost(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  for (const i of ctx.open('connection-reset', 'closed-without-logout')) {
    if (ctx.claimed.has(i)) continue;
    const f = ctx.findings[i];
    const conn = f.conn as number;
    const m = ctx.model.connections[conn];
    const o = m.end.outstanding;
    if (f.kind === 'closed-without-logout' && o.commands + o.tmfs + o.pings === 0) continue;
    const findings = [i, ...ctx.openOn(conn, 'command-unanswered', 'nop-ping-unanswered', 'tmf-unanswered')];
    const chain = steps(ctx, [i]);
    let headline = `The ${String(f.by)} ${f.kind === 'connection-reset' ? 'reset' : 'closed'} ${connName(conn)} at ${ctx.at(f.time)} with ${plural(o.commands + o.tmfs + o.pings, 'request')} outstanding${f.by === 'target' ? ` (Linux ${linuxError(1020)})` : ''}`;
    const next = followUp(ctx, conn, chain, findings);
    if (next) headline += `; ${next}`;
    out.push(ctx.make('connection-lost', findings, chain, `${headline}.`));
  }
  return out;
}

/** Commands that took long to get their status, with no task management or drop to tell more. */
export function slowCommands(ctx: IncidentContext): Incident[] {
  return [...perConn(ctx, ['slow-command'])].map(([conn, list]) => {
    let worst = 0;
    for (const i of list) worst = Math.max(worst, Number(ctx.findings[i].latencyMs));
    return ctx.make('slow-commands', list, steps(ctx, list.slice(0, 20)),
      `${plural(list.length, 'command')} on ${connName(conn)} took over the slow-command threshold to get their status (the slowest ${(worst / 1000).toFixed(2)} s) — the target or its backing store is slow.`);
  });
}

/** The target held the command window closed: the initiator could send nothing. */
export function windowsClosed(ctx: IncidentContext): Incident[] {
  return ctx.open('command-window-closed').map((i) => {
    const f = ctx.findings[i];
    return ctx.make('window-closed', [i], steps(ctx, [i]), `${f.message.replace(/ — .*$/, '')} on ${connName(f.conn as number)} — the target is out of resources or stalled.`);
  });
}

/** Rejects, data segments over the declared limit, asynchronous messages: the peers disagree on the protocol. */
export function protocolViolations(ctx: IncidentContext): Incident[] {
  return [...perConn(ctx, ['reject', 'data-segment-over-limit', 'async-message'])].map(([conn, list]) => {
    const kinds = [...new Set(list.map((i) => ctx.findings[i].kind))];
    const first = ctx.findings[list[0]];
    const headline = list.length === 1 ? `${first.message.replace(/ — .*$/, '')} (${connName(conn)}, ${ctx.at(first.time)}).`
      : `${plural(list.length, 'protocol event')} on ${connName(conn)} (${kinds.join(', ')}), the first: ${first.message.replace(/ — .*$/, '')}.`;
    return ctx.make('protocol-violation', list, steps(ctx, list.slice(0, 20)), headline);
  });
}

/** What the capture itself lacks: bytes it lost, a snaplen that cut the packets. */
export function captureLoss(ctx: IncidentContext): Incident[] {
  const list = ctx.open('capture-gap', 'snaplen-truncated', 'unframed-bytes', 'time-backwards');
  if (!list.length) return [];
  const gaps = list.filter((i) => ctx.findings[i].kind === 'capture-gap');
  const headline = gaps.length
    ? `The capture lost bytes of ${plural(new Set(gaps.map((i) => ctx.findings[i].conn)).size, 'connection')} (${plural(gaps.length, 'gap')}): PDUs in those bytes are missing and findings next to them are unsure — capture with a bigger buffer, or nearer the host.`
    : `${ctx.findings[list[0]].message}.`;
  return [ctx.make('capture-loss', list, steps(ctx, list.slice(0, 20)), headline)];
}
