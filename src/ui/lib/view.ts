// The page's projections of the engine's model into what it draws: a connection's relations as
// brackets between ladder positions (severity and wording from the findings that report them), the
// session timeline's marks, and what the detail view asks the worker for. Nothing here matches PDUs
// to each other: the model did.

import { tmfFunctionName } from '../../codec/index.ts';
import type { Analysis, Finding, Severity } from '../../engine/index.ts';
import {
  NO_LUN, dataDigestCheck, fromTarget, headerDigestCheck, headerFromColumns, isTruncated, rowHeaderLength,
} from '../../iscsi/index.ts';
import { lowerBoundRow, rowsOf } from '../../sessions/index.ts';
import type { ConnectionModel, Endpoint as ModelEndpoint, Relation as ModelRelation, TcpAck } from '../../sessions/index.ts';
import { fmtInt, formatDuration } from '../../text/index.ts';
import type { PduDetailRequest, DigestState } from './loader.ts';
import type { LadderView } from './scope.ts';

/** Connection `conn`'s PDU rows, in frame order. */
export function connRows(a: Analysis, conn: number): Uint32Array {
  return rowsOf(a.model.rows, conn);
}

/** Position of a PDU row in its connection's rows (rows ascend), or -1. */
export function positionOf(rows: Uint32Array, row: number): number {
  const p = lowerBoundRow(rows, row);
  return p < rows.length && rows[p] === row ? p : -1;
}

/** Positions (in `rows`) of the PDUs completed in the given frames. */
export function positionsOfFrames(a: Analysis, rows: Uint32Array, frames: readonly number[]): number[] {
  const out: number[] = [];
  const frame = a.pdus.frame;
  for (const f of [...new Set(frames)].sort((x, y) => x - y)) {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (frame[rows[mid]] < f) lo = mid + 1;
      else hi = mid;
    }
    for (let p = lo; p < rows.length && frame[rows[p]] === f; p++) out.push(p);
  }
  return out;
}

/** A point on the ladder: a PDU (its position in the view's rows), a TCP control event (its index in the view's control list), the capture's end. */
export type Endpoint = { pos: number } | { ctl: number } | { captureEnd: true };

export interface LadderRelation {
  /** reconnect: a relogin or session reinstatement, from the failed connection's end to the new login. */
  kind: ModelRelation['kind'] | 'silence' | 'finding' | 'reconnect';
  from: Endpoint;
  to: Endpoint;
  severity: Severity | 'none';
  label: string;
  /** Other PDUs it concerns (every unanswered ping of a silence, every frame of a finding). */
  also: number[];
  /** Index of the finding that reports it (-1 none). */
  finding: number;
  /** Every finding it stands for (a silence stands for each unanswered ping's). */
  carries: number[];
}

function endpoint(view: LadderView, conn: number, e: ModelEndpoint): Endpoint {
  if ('row' in e) return { pos: positionOf(view.rows, e.row) };
  if ('control' in e) return { ctl: view.ctlIndex(conn, e.control) };
  return { captureEnd: true };
}

function sameEndpoint(x: Endpoint, y: Endpoint): boolean {
  if ('pos' in x && 'pos' in y) return x.pos === y.pos;
  if ('ctl' in x && 'ctl' in y) return x.ctl === y.ctl;
  return 'captureEnd' in x && 'captureEnd' in y;
}

/** A label for a relation no finding reports (a login, a SendTargets exchange): what the model knows of it. */
function factLabel(a: Analysis, r: ModelRelation): string {
  const c = a.pdus;
  const res = a.capture.timeResolution;
  const took = r.answer >= 0 ? formatDuration(c.time[r.answer] - c.time[r.from], res) : undefined;
  switch (r.kind) {
    case 'login': return r.answer >= 0 ? `login, ${took}` : 'login, no final response';
    case 'text': return r.answer >= 0 ? `text exchange, ${took}` : 'text request, no response';
    case 'logout': return r.answer >= 0 ? `logout, ${took}` : 'logout, no response';
    case 'tmf-task': {
      const tmf = a.model.tmfs.find((m) => m.taskRelation >= 0 && a.model.relations[m.taskRelation] === r);
      const what = tmf ? tmfFunctionName(tmf.fn) : 'task management';
      return `${what} ${formatDuration(c.time[r.answer] - c.time[r.from], res)} after this command`;
    }
    case 'ping': return r.answer >= 0 ? `ping answered in ${took}` : 'ping unanswered';
    case 'target-ping': return r.answer >= 0 ? `target ping echoed in ${took}` : 'target ping unanswered';
    case 'tmf': return r.answer >= 0 ? `answered in ${took}` : 'unanswered';
  }
}

/** Findings that say a connection replaced an earlier one (detail key previousConn). */
const RECONNECT_KINDS = new Set(['relogin', 'session-reinstatement']);

/**
 * The relations of a ladder view as it draws them. Unanswered NOP-Out pings of one connection that
 * waited until the same moment (the initiator's give-up, the capture's end) draw as one silence from
 * the first of them. A relogin or session reinstatement whose failed connection is in the view draws
 * from that connection's end (its first FIN/RST, else its last PDU) to the new Login. Findings that
 * no relation carries but that span several PDUs draw as brackets over their frames.
 */
export function ladderRelations(a: Analysis, view: LadderView, findings: ReadonlyArray<{ f: Finding; index: number }>): LadderRelation[] {
  const rows = view.rows;
  const out: LadderRelation[] = [];
  const carried = new Set<number>();
  for (const conn of view.scope.conns) {
    const m = a.model.connections[conn];
    if (!m) continue;
    const silences: LadderRelation[] = [];
    for (let k = m.relations[0]; k < m.relations[1]; k++) {
      const r = a.model.relations[k];
      const fi = a.relationFindings[k] ?? -1;
      if (fi >= 0) carried.add(fi);
      const f = fi >= 0 ? a.findings[fi] : undefined;
      const from = positionOf(rows, r.from);
      if (from < 0) continue;
      const to = endpoint(view, r.conn, r.to);
      if ('pos' in to && to.pos < 0) continue; // its answer is filtered out
      const severity: Severity | 'none' = f ? (f.severity === 'info' ? 'none' : f.severity) : r.fate === 'unanswered' ? 'error' : 'none';
      const rel: LadderRelation = { kind: r.kind, from: { pos: from }, to, severity, label: f?.message ?? factLabel(a, r), also: [], finding: fi, carries: fi >= 0 ? [fi] : [] };
      if (r.kind === 'ping' && r.fate !== 'answered' && r.fate !== 'unknown') {
        const s = silences.find((x) => sameEndpoint(x.to, to));
        if (s) {
          s.also.push(from);
          if (fi >= 0) s.carries.push(fi);
          s.label = `${fmtInt(s.also.length + 1)} NOP-Out pings unanswered until ${endText(to, view, m)} — ${a.findings[s.finding]?.message ?? ''}`;
          continue;
        }
        rel.kind = 'silence';
        silences.push(rel);
      }
      out.push(rel);
    }
  }
  const inView = new Set(view.scope.conns);
  for (const { f, index } of findings) {
    const prev = f.previousConn;
    if (!RECONNECT_KINDS.has(f.kind) || typeof prev !== 'number' || !inView.has(prev)) continue;
    const row = a.findingRows[index] ?? -1;
    const to = row >= 0 ? positionOf(rows, row) : -1;
    const pm = a.model.connections[prev];
    if (to < 0 || !pm) continue;
    const prevRows = rowsOf(a.model.rows, prev);
    const from: Endpoint = pm.end.control >= 0 ? { ctl: view.ctlIndex(prev, pm.end.control) }
      : { pos: prevRows.length ? positionOf(rows, prevRows[prevRows.length - 1]) : -1 };
    if (('ctl' in from && from.ctl < 0) || ('pos' in from && from.pos < 0)) continue;
    carried.add(index);
    out.push({ kind: 'reconnect', from, to: { pos: to }, severity: f.severity === 'info' ? 'none' : f.severity, label: f.message, also: [], finding: index, carries: [index] });
  }
  for (const { f, index } of findings) {
    if (carried.has(index)) continue;
    const pos = positionsOfFrames(a, rows, f.frames);
    if (pos.length < 2) continue;
    out.push({ kind: 'finding', from: { pos: pos[0] }, to: { pos: pos[pos.length - 1] }, severity: f.severity === 'info' ? 'none' : f.severity, label: f.message, also: pos, finding: index, carries: [index] });
  }
  const frameOf = (e: Endpoint): number => ('pos' in e ? a.pdus.frame[rows[e.pos]] : 'ctl' in e ? view.control[e.ctl]?.frame ?? Infinity : Infinity);
  out.sort((x, y) => frameOf(x.from) - frameOf(y.from));
  return out;
}

function endText(to: Endpoint, view: LadderView, m: ConnectionModel): string {
  if ('captureEnd' in to) return 'the capture ended';
  if ('ctl' in to && to.ctl >= 0) {
    const k = view.controlIndex[to.ctl];
    const e = m.end.control === k ? m.end : m.end.later.find((x) => x.control === k);
    if (e && e.by) return `the ${e.by}'s ${e.kind.toUpperCase()}`;
  }
  return 'the next PDU';
}

/**
 * The requests of a view iSCSI did not answer in time whose TCP fate the model knows (pings and TMFs
 * by their relation's tcpAck, SCSI commands by taskAcks): position → the ACK that took the request's
 * last byte, or null where not even TCP acknowledged it.
 */
export function requestAcks(a: Analysis, view: LadderView): Map<number, TcpAck> {
  const out = new Map<number, TcpAck>();
  const rows = view.rows;
  for (const conn of view.scope.conns) {
    const m = a.model.connections[conn];
    if (!m) continue;
    for (let k = m.relations[0]; k < m.relations[1]; k++) {
      const r = a.model.relations[k];
      if (r.tcpAck === undefined) continue;
      const p = positionOf(rows, r.from);
      if (p >= 0) out.set(p, r.tcpAck);
    }
  }
  const t = a.model.tasks;
  const inView = new Set(view.scope.conns);
  for (const [task, ack] of a.model.taskAcks) {
    if (task >= t.count || !inView.has(t.conn[task])) continue;
    const p = positionOf(rows, t.row[task]);
    if (p >= 0) out.set(p, ack);
  }
  return out;
}

/** The findings of the connections a view shows (each once, in findings order). */
export function findingsOfScope(byConn: ReadonlyMap<number, ReadonlyArray<{ f: Finding; index: number }>>, conns: readonly number[]): Array<{ f: Finding; index: number }> {
  if (conns.length === 1) return [...(byConn.get(conns[0]) ?? [])];
  const seen = new Set<number>();
  const out: Array<{ f: Finding; index: number }> = [];
  for (const c of conns) for (const x of byConn.get(c) ?? []) if (!seen.has(x.index)) { seen.add(x.index); out.push(x); }
  return out.sort((x, y) => x.index - y.index);
}

/** The findings that concern one connection (session findings under each of theirs), with their index. */
export function findingsByConn(findings: readonly Finding[]): Map<number, Array<{ f: Finding; index: number }>> {
  const m = new Map<number, Array<{ f: Finding; index: number }>>();
  findings.forEach((f, index) => {
    for (const c of findingConns(f)) {
      let l = m.get(c);
      if (!l) m.set(c, (l = []));
      l.push({ f, index });
    }
  });
  return m;
}

export function findingConns(f: Finding): number[] {
  if (f.conn !== undefined) return f.conns && !f.conns.includes(f.conn) ? [f.conn, ...f.conns] : f.conns ?? [f.conn];
  return f.conns ?? [];
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/**
 * The connection a first look should open: the one with the most severe findings (severity first,
 * then how many of that severity), else the first connection.
 */
export function worstConnection(a: Analysis): number {
  if (a.connections.length === 0) return -1;
  const rank = new Int8Array(a.connections.length).fill(-1);
  const count = new Uint32Array(a.connections.length);
  for (const f of a.findings) {
    const r = SEVERITY_RANK[f.severity];
    for (const c of findingConns(f)) {
      if (c < 0 || c >= rank.length) continue;
      if (r > rank[c]) { rank[c] = r; count[c] = 1; }
      else if (r === rank[c]) count[c]++;
    }
  }
  let best = 0;
  for (let c = 1; c < rank.length; c++) {
    if (rank[c] > rank[best] || (rank[c] === rank[best] && count[c] > count[best])) best = c;
  }
  return best;
}

export interface TimelineMark {
  conn: number;
  time: number;
  frame: number;
  /** login: the Login Response that reached Full Feature Phase; login-failed: a refusal; logout: the Logout Request. */
  kind: 'login' | 'login-failed' | 'logout';
}

/** The moments the session timeline marks, from the model's logins and logouts. */
export function timelineMarks(a: Analysis): TimelineMark[] {
  const out: TimelineMark[] = [];
  for (const c of a.model.connections) {
    const l = c.login;
    if (l?.response) out.push({ conn: c.conn, time: l.response.time, frame: l.response.frame, kind: l.fullFeature ? 'login' : 'login-failed' });
    if (c.logout) out.push({ conn: c.conn, time: c.logout.request.time, frame: c.logout.request.frame, kind: 'logout' });
  }
  return out.sort((x, y) => x.time - y.time);
}

const DIGEST: DigestState[] = ['none', 'ok', 'bad', 'unchecked'];

/** What the worker needs to re-read and decode PDU `row`: the Analysis' view of it. */
export function detailRequest(a: Analysis, row: number): PduDetailRequest {
  const c = a.pdus;
  const { bytes, known } = headerFromColumns(c, a.luns, row);
  const d = a.details.get(row);
  return {
    row, conn: c.conn[row], fromTarget: fromTarget(c, row), frame: c.frame[row], firstFrame: c.firstFrame[row], time: c.time[row],
    truncated: isTruncated(c, row), fileOffset: c.fileOffset[row], headerLength: rowHeaderLength(c, row),
    expected: bytes, known, split: a.headerFrames.get(row), data: d?.data ?? new Uint8Array(0), keptHeader: d?.header,
    headerDigest: DIGEST[headerDigestCheck(c, row)], dataDigest: DIGEST[dataDigestCheck(c, row)],
  };
}

/** Does PDU row `row` carry a LUN in bytes 8-15 (all but Login PDUs)? */
export function hasLun(a: Analysis, row: number): boolean {
  return a.pdus.lun[row] !== NO_LUN;
}
