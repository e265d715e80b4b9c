// What one ladder shows: one connection, a session's connections, every connection of an
// initiator–target pair (across sessions: a relogin makes a new session), or the connections an
// incident spans. The model says which connections belong together (model.sessions, each
// connection's initiator, target and portal); a scope only lists them and merges their PDU rows and
// TCP control events into one time order, so a drop and the relogin that followed read as one story.

import type { Analysis, ControlEvent } from '../../engine/index.ts';
import { mergeRows, rowsOf } from '../../sessions/index.ts';
import type { ConnectionModel } from '../../sessions/index.ts';
import { plural } from '../../text/index.ts';
import { isDiscovery } from './overview.ts';
import { filterRows } from './pdu-filter.ts';
import { MarkKind, tcpMarks } from './tcp-marks.ts';
import type { TcpMarks } from './tcp-marks.ts';

export type ScopeKind = 'conn' | 'session' | 'pair' | 'incident';

export interface LadderScope {
  kind: ScopeKind;
  /** Connection indices, ascending. */
  conns: readonly number[];
  /** Stable name of the scope (keys the ladder; goes into the URL hash). */
  key: string;
}

/**
 * A scope with its PDU rows, TCP control events and TCP marks merged in frame order. Failed
 * connection attempts (the model's tcp.attempts) are TCP marks of the scope of the connections they
 * sit between; an attempt's first SYN is not a control event of its own as well.
 */
export interface LadderView {
  scope: LadderScope;
  rows: Uint32Array;
  /** Whether a PDU filter hid rows of the scope. */
  filtered: boolean;
  /** The scope's TCP control events (SYN/FIN/RST of every connection in it), in frame order. */
  control: ControlEvent[];
  /** Connection of each control event, and its index in that connection's ConnectionSummary.control. */
  controlConn: Uint32Array;
  controlIndex: Uint32Array;
  /** Index in `control` of connection `conn`'s control event `k` (-1: not in this scope). */
  ctlIndex(conn: number, k: number): number;
  /** What TCP did under the scope's connections (tcp-marks.ts); the PDU filter does not touch them. */
  tcp: TcpMarks;
}

export function connScope(conn: number): LadderScope {
  return { kind: 'conn', conns: [conn], key: `conn:${conn}` };
}

/** The connections of conn's session, when there are several. */
export function sessionScope(a: Analysis, conn: number): LadderScope | undefined {
  const m = a.model.connections[conn];
  const s = m ? a.model.sessions[m.session] : undefined;
  if (!s || s.conns.length < 2) return undefined;
  return { kind: 'session', conns: [...s.conns].sort((x, y) => x - y), key: `session:${s.index}` };
}

/** Who talks to whom: the initiator (its name, else its address) and the target at a portal (a
 *  discovery session has no target name: it counts under the portal). */
export function pairKey(c: ConnectionModel): string {
  const who = c.initiatorName ?? c.initiatorAddress;
  const what = isDiscovery(c) ? '(discovery)' : c.targetName ?? '(login not captured)';
  return `${who}\u0000${what}\u0000${c.portal}`;
}

/** Every connection between conn's initiator and target, across sessions, when there are more than its session has. */
export function pairScope(a: Analysis, conn: number): LadderScope | undefined {
  const m = a.model.connections[conn];
  if (!m) return undefined;
  const key = pairKey(m);
  const conns = a.model.connections.filter((c) => pairKey(c) === key).map((c) => c.conn);
  const session = sessionScope(a, conn);
  if (conns.length < 2 || (session && session.conns.length === conns.length)) return undefined;
  return { kind: 'pair', conns, key: `pair:${conns[0]}` };
}

/** The scopes a connection can be seen in, narrowest first: itself, its session, its pair. */
export function scopesOf(a: Analysis, conn: number): LadderScope[] {
  const out = [connScope(conn)];
  const s = sessionScope(a, conn);
  if (s) out.push(s);
  const p = pairScope(a, conn);
  if (p) out.push(p);
  return out;
}

/**
 * The narrowest scope that shows all of `conns` and little else: the connection, its session, else
 * exactly those connections (the pair they belong to is one click away; it may hold many more).
 */
export function scopeFor(a: Analysis, conns: readonly number[]): LadderScope | undefined {
  const want = [...new Set(conns)].filter((c) => a.model.connections[c] !== undefined).sort((x, y) => x - y);
  if (want.length === 0) return undefined;
  for (const s of scopesOf(a, want[0])) {
    if (s.conns.length === want.length && want.every((c) => s.conns.includes(c))) return s;
    if (s.kind !== 'pair' && want.every((c) => s.conns.includes(c))) return s;
  }
  return { kind: 'incident', conns: want, key: `conns:${want.join(',')}` };
}

/** A scope from its key (the URL hash), if it still names connections of this capture. */
export function scopeFromKey(a: Analysis, key: string): LadderScope | undefined {
  const m = /^(conn|session|pair|conns):([\d,]{1,20000})$/.exec(key);
  if (!m) return undefined;
  const n = Number(m[2].split(',')[0]);
  switch (m[1]) {
    case 'conn': return a.model.connections[n] ? connScope(n) : undefined;
    case 'session': {
      const s = a.model.sessions[n];
      return s && s.conns.length > 0 ? sessionScope(a, s.conns[0]) ?? connScope(s.conns[0]) : undefined;
    }
    case 'pair': return a.model.connections[n] ? pairScope(a, n) ?? connScope(n) : undefined;
    default: return scopeFor(a, m[2].split(',').map(Number));
  }
}

/** The scope's rows in frame order — those `keep` keeps, when a filter is on — and its control events. */
export function ladderView(a: Analysis, scope: LadderScope, keep?: (row: number) => boolean, marks?: TcpMarks): LadderView {
  const rows = filterRows(mergeRows(scope.conns.map((c) => rowsOf(a.model.rows, c))), keep);
  const tcp = marks ?? tcpMarks(a, scope.conns);
  const attemptSyn = new Set<string>();
  for (let k = 0; k < tcp.count; k++) if (tcp.kind[k] === MarkKind.Attempt) attemptSyn.add(`${tcp.conn[k]}:${tcp.frame[k]}`);
  const events: Array<{ e: ControlEvent; conn: number; k: number }> = [];
  const offsets = new Map<number, number[]>();
  for (const conn of scope.conns) {
    const list = a.connections[conn]?.control ?? [];
    list.forEach((e, k) => { if (!(e.kind === 'SYN' && e.by === 'initiator' && attemptSyn.has(`${conn}:${e.frame}`))) events.push({ e, conn, k }); });
    offsets.set(conn, new Array<number>(list.length).fill(-1));
  }
  if (scope.conns.length > 1) events.sort((x, y) => x.e.frame - y.e.frame || x.conn - y.conn || x.k - y.k);
  const control = events.map((x) => x.e);
  const controlConn = Uint32Array.from(events, (x) => x.conn);
  const controlIndex = Uint32Array.from(events, (x) => x.k);
  events.forEach((x, i) => { offsets.get(x.conn)![x.k] = i; });
  return {
    scope, rows, control, controlConn, controlIndex, filtered: keep !== undefined, tcp,
    ctlIndex: (conn, k) => offsets.get(conn)?.[k] ?? -1,
  };
}

/** "conn 3", "session of conns 0, 1", "drive → disk1: 2 connections". */
export function scopeLabel(a: Analysis, s: LadderScope): string {
  const list = s.conns.length <= 6 ? s.conns.join(', ') : `${s.conns.slice(0, 5).join(', ')} … ${s.conns[s.conns.length - 1]}`;
  switch (s.kind) {
    case 'conn': return `conn ${s.conns[0]}`;
    case 'session': {
      const m = a.model.connections[s.conns[0]];
      return `session${m?.isid ? ` ISID ${m.isid}` : ''} (conns ${list})`;
    }
    case 'pair': return `initiator–target pair (${plural(s.conns.length, 'connection')}: ${list})`;
    case 'incident': return `${plural(s.conns.length, 'connection')} (${list})`;
  }
}
