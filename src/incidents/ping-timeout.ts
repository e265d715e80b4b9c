import { linuxError } from '../checks/index.ts';
import { hexTag, plural } from '../text/index.ts';
import type { IncidentContext } from './context.ts';
import { append, connName, ms, pushAll } from './context.ts';
import { followUp } from './follow-up.ts';
import type { Incident, IncidentStep } from './types.ts';
import type { PingRecord } from '../sessions/index.ts';

/** The model's pings by "conn@request frame" (made once, when a late answer is to be told). */
function pingsByRequest(ctx: IncidentContext): Map<string, PingRecord> {
  const out = new Map<string, PingRecord>();
  for (const p of ctx.model.pings) {
    const key = `${p.conn}@${p.request.frame}`;
    if (!out.has(key)) out.set(key, p);
  }
  return out;
}

/**
 * An initiator's NOP-Out pings went unanswered and it dropped the connection (Linux 1022): the pings,
 * the give-up, and what followed — the re-login, how long the target took to answer it, and a late
 * NOP-In that shows when the target came back.
 */
export function pingTimeouts(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  const byConn = new Map<number, number[]>();
  let pingAt: Map<string, PingRecord> | undefined;
  for (const i of ctx.open('nop-ping-unanswered')) {
    const conn = ctx.findings[i].conn as number;
    append(byConn, conn, i);
  }
  for (const [conn, pings] of byConn) {
    const first = ctx.findings[pings[0]];
    const then = String(first.then);
    const m = ctx.model.connections[conn];
    const chain: IncidentStep[] = [];
    const findings = [...pings];
    chain.push({ time: first.time, frame: first.frame as number, conn, what: `NOP-Out ping ITT ${hexTag(first.itt as number)} sent; the target never answered it in time` });
    // The transport under the pings: taken and ignored (host up, iSCSI hung), or not even taken.
    const tcp = tcpStory(ctx, conn, pings, chain, findings);
    if (pings.length > 1) {
      const last = ctx.findings[pings[pings.length - 1]];
      chain.push({ time: last.time, frame: last.frame as number, conn, what: `${plural(pings.length - 1, 'more ping')} unanswered, the last at ${ctx.at(last.time)}` });
    }
    const late = pings.map((i) => ctx.findings[i]).find((f) => typeof f.answeredLateMs === 'number');
    const gaveUp = then === 'initiator-fin' || then === 'initiator-reset';
    let headline: string;
    const waited = ms(first.waitedMs);
    if (gaveUp) {
      const how = then === 'initiator-fin' ? 'closed the connection' : 'reset the connection';
      chain.push({ time: m.end.time, frame: m.end.frame, conn, what: `the initiator gave up after ${waited} (what Linux reports as ${linuxError(1022)}) and ${how}` });
      headline = `The target stopped answering NOP-Out pings on ${connName(conn)} at ${ctx.at(first.time)}${tcp}; the initiator gave up after ${waited} (Linux 1022) and ${how}`;
    } else if (then === 'capture-end') {
      headline = `The target stopped answering NOP-Out pings on ${connName(conn)} at ${ctx.at(first.time)}${tcp}; ${plural(pings.length, 'ping')} still waited when the capture ended`;
    } else {
      chain.push({ time: m.end.time, frame: m.end.frame, conn, what: `the target ${then === 'target-fin' ? 'closed' : 'reset'} the connection with the pings unanswered` });
      headline = `NOP-Out pings on ${connName(conn)} went unanswered from ${ctx.at(first.time)}${tcp} until the target ${then === 'target-fin' ? 'closed' : 'reset'} the connection`;
    }
    const answer = late !== undefined ? (pingAt ??= pingsByRequest(ctx)).get(`${conn}@${String(late.frame)}`)?.answer : undefined;
    if (late !== undefined && answer !== undefined) {
      chain.push({ time: answer.time, frame: answer.frame, conn, what: `the NOP-In for ping ITT ${hexTag(late.itt as number)} came only ${ms(late.answeredLateMs)} after it, after the initiator had given up: the target was back` });
    }
    pushAll(findings, ctx.openOn(conn, 'closed-without-logout', 'connection-reset'));
    pushAll(findings, ctx.openOn(conn, 'command-unanswered').filter((i) => ctx.findings[i].then === then));
    const next = followUp(ctx, conn, chain, findings);
    if (next) headline += `; ${next}`;
    out.push(ctx.make('ping-timeout', findings, chain, `${headline}.`));
  }
  return out;
}


/**
 * What the target's TCP did with the unanswered pings, as a clause of the headline (empty when the
 * TCP was not analysed): it acknowledged them — the target host was up and only its iSCSI layer
 * stopped — or it did not, and the retransmissions of the pings are evidence of it.
 */
function tcpStory(ctx: IncidentContext, conn: number, pings: number[], chain: IncidentStep[], findings: number[]): string {
  const acked = pings.map((i) => ctx.findings[i]).filter((f) => f.tcpAcked === true);
  const known = pings.map((i) => ctx.findings[i]).filter((f) => typeof f.tcpAcked === 'boolean');
  if (known.length === 0) return '';
  const first = ctx.findings[pings[0]];
  const end = ctx.model.connections[conn].end.time;
  const retransmissions = ctx.openOn(conn, 'tcp-retransmissions').filter((i) => ctx.findings[i].time >= first.time - 1 && ctx.findings[i].time <= end);
  for (const i of retransmissions) findings.push(i);
  if (acked.length === known.length) {
    const a = acked[0];
    chain.push({ time: a.time, frame: a.tcpAckFrame as number, conn, what: `the target's TCP acknowledged the ping (frame ${String(a.tcpAckFrame)}): its host was up` });
    return ' while its TCP still acknowledged them (the host was up, its iSCSI layer had stopped)';
  }
  if (acked.length === 0) {
    if (retransmissions.length) {
      const r = ctx.findings[retransmissions[0]];
      chain.push({ time: r.time, frame: r.frame as number, conn, what: `the initiator's TCP retransmitted, unacknowledged: ${r.message.replace(/ — .*$/, '')}` });
    }
    return ', and not even its TCP acknowledged them (the target host or the network path went down)';
  }
  return ` (its TCP acknowledged ${acked.length} of ${plural(known.length, 'ping')})`;
}
