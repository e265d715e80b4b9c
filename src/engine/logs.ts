// The host's logs on the capture's timeline: the model's moments handed to the logs layer as wire
// events (a ping time-out and the give-up, each connection's close, logins, logouts, TMFs), the
// log's offset found by matching them, and every line placed, tied to its connection, and to the
// finding and incident its event belongs to.

import { alignLogs, logsJson, readLog, timeline } from '../logs/index.ts';
import type { Alignment, LogLine, LogsJson, PlacedLine, WireConn, WireEvent } from '../logs/index.ts';
import type { Analysis } from './types.ts';

/** A wire event with the finding it shows (index into Analysis.findings, -1 none). */
interface Evented {
  events: WireEvent[];
  findingOf: number[];
}

/** The model's moments as the logs layer's wire events. */
export function wireEvents(a: Analysis): Evented {
  const events: WireEvent[] = [];
  const findingOf: number[] = [];
  const m = a.model;
  const add = (e: WireEvent, finding = -1): void => { events.push(e); findingOf.push(finding); };
  const endFinding = new Map<number, number>();
  const reloginOf = new Map<number, number>();
  a.findings.forEach((f, k) => {
    if ((f.kind === 'closed-without-logout' || f.kind === 'connection-reset') && f.conn !== undefined) endFinding.set(f.conn, k);
    if ((f.kind === 'relogin' || f.kind === 'session-reinstatement') && f.conn !== undefined) reloginOf.set(f.conn, k);
  });
  for (const c of m.connections) {
    const base = {
      conn: c.conn, session: c.session, portal: c.portal, target: c.targetName, initiator: c.initiatorName, isid: c.isid,
    };
    if (c.login?.response) {
      const r = c.login.response;
      if (c.login.fullFeature) add({ kind: 'login-ok', time: r.time, discovery: c.sessionType === 'Discovery', ...base }, reloginOf.get(c.conn) ?? -1);
      else add({ kind: 'login-failed', time: r.time, statusClass: c.login.statusClass ?? 0, statusDetail: c.login.statusDetail ?? 0, ...base }, relationFinding(a, c.login.relation));
    }
    if (c.logout?.response) add({ kind: 'logout', time: c.logout.response.time, ...base }, relationFinding(a, c.logout.relation));
    const end = c.end;
    if (end.kind === 'open' || end.by === undefined) continue;
    // Why the connection closed, as a Linux initiator numbers it.
    const [r0, r1] = c.relations;
    let gaveUpOnPing = -1;
    let tmfWaiting = false;
    let targetPingWaiting = -1;
    for (let k = r0; k < r1; k++) {
      const r = m.relations[k];
      if (r.fate !== 'unanswered' && r.fate !== 'answered-late') continue;
      if (r.kind === 'ping' && gaveUpOnPing < 0) gaveUpOnPing = k;
      if (r.kind === 'tmf') tmfWaiting = true;
      if (r.kind === 'target-ping') targetPingWaiting = k;
    }
    const byInitiator = end.by === 'initiator';
    if (byInitiator && gaveUpOnPing >= 0) {
      const ping = m.relations[gaveUpOnPing];
      add({ kind: 'ping-timeout', time: end.time, pingTime: a.pdus.time[ping.from], ...base }, relationFinding(a, gaveUpOnPing));
    }
    if (!byInitiator && targetPingWaiting >= 0) {
      const ping = m.relations[targetPingWaiting];
      add({ kind: 'target-ping-timeout', time: end.time, pingTime: a.pdus.time[ping.from], ...base }, relationFinding(a, targetPingWaiting));
    }
    const code = !byInitiator ? 1020 : gaveUpOnPing >= 0 ? 1022 : tmfWaiting ? 1021 : undefined;
    add({ kind: 'conn-close', time: end.time, by: end.by, how: end.kind, afterLogout: end.loggedOut, code, ...base }, endFinding.get(c.conn) ?? -1);
  }
  for (const t of m.tmfs) {
    const c = m.connections[t.conn];
    add({
      kind: 'tmf', time: t.request.time, function: t.fn, referencedTaskTag: t.referencedTaskTag,
      responseTime: t.response?.time, response: t.responseCode,
      conn: t.conn, session: c.session, portal: c.portal, target: c.targetName, initiator: c.initiatorName, isid: c.isid,
    }, relationFinding(a, t.relation));
  }
  return { events, findingOf };
}

function relationFinding(a: Analysis, relation: number): number {
  return relation >= 0 ? a.relationFindings[relation] ?? -1 : -1;
}

/** The capture's connections with their lifetimes and names, for tying lines that name a session or a portal. */
export function wireConns(a: Analysis): WireConn[] {
  return a.model.connections.map((c) => ({
    conn: c.conn, session: c.session, start: c.firstTime, end: c.end.kind === 'open' ? undefined : c.lastTime, cid: c.cid,
    portal: c.portal, target: c.targetName, initiator: c.initiatorName, isid: c.isid,
  }));
}

/** A log to place: its name and a way to read it (twice for a big one: once to align, once to place). */
export interface LogSource {
  name: string;
  read: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export interface PlacedLogs {
  alignment: Alignment;
  lines: PlacedLine[];
  json: LogsJson;
  /** Plain lines (no iSCSI meaning) not kept because the logs were too big to hold whole. */
  droppedPlainLines: number;
}

/** Plain lines kept beside the recognised ones, over all logs: context, not evidence. */
const MAX_PLAIN_LINES = 1_000_000;

/**
 * What placing logs needs of an Analysis — its wire events, connections and incidents — taken
 * whole, so it can be kept where the Analysis' typed arrays no longer are (the page's worker hands
 * them to the page, then places logs dropped later or re-places them at an offset the user set).
 */
export interface LogContext {
  captureStart: number;
  events: WireEvent[];
  findingOf: number[];
  conns: WireConn[];
  incidents: ReadonlyArray<{ findings: readonly number[]; conns: readonly number[]; start: number; end: number }>;
}

export function logContext(a: Analysis): LogContext {
  const { events, findingOf } = wireEvents(a);
  return {
    captureStart: a.capture.firstTime ?? 0, events, findingOf, conns: wireConns(a),
    incidents: a.incidents.map((i) => ({ findings: [...i.findings], conns: [...i.conns], start: i.start, end: i.end })),
  };
}

/**
 * Read the logs, find each one's offset from the capture's clock by the events both show (or take
 * the user's), and place every line; a line belongs to the finding its event shows, and to the
 * incident of that finding — or, for a line tied to a connection, the incident on that connection
 * whose time span holds it.
 */
export async function placeLogs(a: Analysis | LogContext, logs: readonly LogSource[], userOffsets?: ReadonlyMap<number, number>): Promise<PlacedLogs> {
  const ctx = 'model' in a ? logContext(a) : a;
  const lines: LogLine[] = [];
  let plain = 0;
  let dropped = 0;
  for (let k = 0; k < logs.length; k++) {
    await readLog(k, logs[k].read(), (l) => {
      if (l.explanation) lines.push(l);
      else if (plain < MAX_PLAIN_LINES) { plain++; lines.push(l); } else dropped++;
    });
  }
  const { captureStart, events, findingOf, incidents } = ctx;
  const alignment = alignLogs(lines, events, { captureStart, userOffsets });
  const placed = timeline(lines, alignment, events, { captureStart, conns: ctx.conns });
  const incidentOf = new Map<number, number>();
  incidents.forEach((inc, k) => { for (const f of inc.findings) incidentOf.set(f, k); });
  const json = logsJson(logs.map((l) => l.name), alignment, placed, (p) => {
    const finding = p.event !== undefined ? findingOf[p.event] : -1;
    if (finding !== undefined && finding >= 0) return { finding, incident: incidentOf.get(finding) };
    if (p.conn === undefined || p.time === undefined) return undefined;
    const t = p.time;
    const k = incidents.findIndex((inc) => inc.conns.includes(p.conn as number) && t >= inc.start - 2 && t <= inc.end + 2);
    return k >= 0 ? { incident: k } : undefined;
  });
  return { alignment, lines: placed, json, droppedPlainLines: dropped };
}
