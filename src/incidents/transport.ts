import { fmtBytes, plural } from '../text/index.ts';
import type { IncidentContext } from './context.ts';
import { connName, ms, pushAll } from './context.ts';
import { followUp } from './follow-up.ts';
import type { Incident, IncidentStep } from './types.ts';

/** A segment left unacknowledged this long (ms, original to the retransmission that got through)
 *  means the path or the peer was gone, not packets lost here and there: as long as a Linux ping
 *  time-out. */
const DEAD_PATH_WAIT_MS = 5000;

/** When a finding's trouble ends: its time plus what it measured (spanMs, latencyMs, durationMs, waitedMs). */
function endOf(ctx: IncidentContext, i: number): number {
  const f = ctx.findings[i];
  const span = [f.spanMs, f.latencyMs, f.durationMs, f.waitedMs].find((v) => typeof v === 'number') as number | undefined;
  return f.time + (span ?? 0) / 1000;
}

/** Findings of these kinds on the connection whose trouble overlaps [from, to]. */
function overlapping(ctx: IncidentContext, conn: number, from: number, to: number, ...kinds: string[]): number[] {
  return ctx.openOn(conn, ...kinds).filter((i) => ctx.findings[i].time <= to && endOf(ctx, i) >= from);
}

/**
 * Retransmissions on a connection, with what they explain: the slow or unanswered commands of the
 * same time, and the connection's end and what followed where TCP stopped getting through at all
 * (a segment retransmitted again and again: a black hole, or a dead peer).
 */
export function transportLosses(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  const byConn = new Map<number, number[]>();
  for (const i of ctx.open('tcp-retransmissions')) {
    const conn = ctx.findings[i].conn as number;
    const l = byConn.get(conn);
    if (l) l.push(i);
    else byConn.set(conn, [i]);
  }
  for (const [conn, bursts] of byConn) {
    const fs = bursts.map((i) => ctx.findings[i]);
    const from = fs[0].time;
    let to = from;
    for (const i of bursts) to = Math.max(to, endOf(ctx, i));
    const seg = { 'I>T': 0, 'T>I': 0 };
    const bytes = { 'I>T': 0, 'T>I': 0 };
    let backoffs = 0;
    let longest = 0;
    for (const f of fs) {
      seg[f.dir as 'I>T' | 'T>I'] += Number(f.segments);
      bytes[f.dir as 'I>T' | 'T>I'] += Number(f.bytes);
      backoffs = Math.max(backoffs, Number(f.backoffs));
      if (typeof f.longestWaitMs === 'number') longest = Math.max(longest, f.longestWaitMs);
    }
    const chain: IncidentStep[] = fs.slice(0, 10).map((f) => ({ time: f.time, frame: f.frame as number, conn, what: f.message.replace(/ — .*$/, '') }));
    const findings = [...bursts];
    const hurt = overlapping(ctx, conn, from, to, 'slow-command', 'command-unanswered', 'tmf-unanswered', 'nop-ping-unanswered');
    pushAll(findings, hurt);
    const sides = (['I>T', 'T>I'] as const).filter((d) => seg[d] > 0)
      .map((d) => `${plural(seg[d], 'segment')} from the ${d === 'I>T' ? 'initiator' : 'target'} (${fmtBytes(bytes[d])})`);
    const dead = longest >= DEAD_PATH_WAIT_MS;
    let headline = dead
      ? `TCP on ${connName(conn)} stopped getting through at ${ctx.at(from)}: a segment waited ${ms(longest)} unacknowledged, sent ${backoffs} times over (RTO back-off) — the network path or the peer's host went away (${sides.join(' and ')} retransmitted in all)`
      : `The network lost packets on ${connName(conn)} from ${ctx.at(from)} to ${ctx.at(to)}: TCP retransmitted ${sides.join(' and ')}, the longest wait ${ms(longest)}${backoffs > 1 ? `, one segment sent ${backoffs} times over` : ''}`;
    const slow = hurt.filter((i) => ctx.findings[i].kind === 'slow-command').length;
    const lost = hurt.length - slow;
    if (slow) headline += `; ${slow === 1 ? '1 command was' : `${slow} commands were`} slow in that time`;
    if (lost) headline += `; ${plural(lost, 'request')} went unanswered`;
    // The connection's end after the transport failed, and what came after (reconnects, relogin).
    const end = ctx.openOn(conn, 'connection-reset', 'closed-without-logout').filter((i) => ctx.findings[i].time >= from);
    if (end.length && (dead || lost)) {
      const e = ctx.findings[end[0]];
      findings.push(end[0]);
      chain.push({ time: e.time, frame: e.frame as number, conn, what: e.message.replace(/ — .*$/, '') });
      headline += `; the ${String(e.by)} ${e.kind === 'connection-reset' ? 'reset' : 'closed'} the connection at ${ctx.at(e.time)}`;
      const next = followUp(ctx, conn, chain, findings);
      if (next) headline += `; ${next}`;
    }
    out.push(ctx.make('transport-loss', findings, chain, `${headline}.`));
  }
  return out;
}

/** A side advertised a zero window for long: it stopped reading, and what waited on it. */
export function readerStalls(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  for (const i of ctx.open('tcp-zero-window')) {
    if (ctx.claimed.has(i)) continue;
    const f = ctx.findings[i];
    const conn = f.conn as number;
    const from = f.time, to = endOf(ctx, i);
    const findings = [i];
    const chain: IncidentStep[] = [{ time: f.time, frame: f.frame as number, conn, what: `the ${String(f.by)} advertised a zero TCP window: it stopped reading` }];
    if (typeof f.endFrame === 'number') chain.push({ time: to, frame: f.endFrame, conn, what: `the ${String(f.by)} opened its window again after ${ms(f.durationMs)}` });
    const hurt = overlapping(ctx, conn, from, to, 'slow-command', 'command-unanswered', 'target-ping-unanswered', 'nop-ping-unanswered', 'tcp-zero-window');
    pushAll(findings, hurt);
    const peer = f.by === 'initiator' ? 'target' : 'initiator';
    let headline = `The ${String(f.by)} stopped reading ${connName(conn)} for ${ms(f.durationMs)} from ${ctx.at(from)} (zero TCP window${Number(f.probes) > 0 ? `; the ${peer} probed it ${plural(Number(f.probes), 'time')}` : ''})`;
    headline += f.by === 'initiator' ? ' — the initiator host or process stalled' : ' — the target host or its iSCSI daemon stalled';
    const slow = hurt.filter((k) => ctx.findings[k].kind === 'slow-command').length;
    if (slow) headline += `; ${plural(slow, 'command')} waited on it`;
    out.push(ctx.make('reader-stall', findings, chain, `${headline}.`));
  }
  return out;
}
