// Capture-level views of the model's connections: names, the timeline's lanes, how each connection
// ended, and the sortable connection list's keys.

import type { Finding } from '../../engine/index.ts';
import type { ConnectionTcp } from '../../iscsi/index.ts';
import type { AttemptRecord, ConnectionModel } from '../../sessions/index.ts';
import { findingConns } from './view.ts';

export function isDiscovery(c: ConnectionModel): boolean {
  return c.sessionType === 'Discovery';
}

/** The timeline lane: one per initiator → target (or discovery) at a portal, so re-logins and
 *  churn line up as bars on one lane. */
export function laneKey(c: ConnectionModel): string {
  const who = c.initiatorName ?? c.initiatorAddress;
  const what = isDiscovery(c) ? 'discovery' : c.targetName ?? '(login not captured)';
  return `${who} → ${what} @ ${c.portal}`;
}

export interface Lane {
  key: string;
  initiator: string;
  target: string;
  conns: number[];
}

export function lanes(conns: readonly ConnectionModel[]): Lane[] {
  const map = new Map<string, Lane>();
  for (const c of conns) {
    const key = laneKey(c);
    let l = map.get(key);
    if (!l) {
      l = {
        key,
        initiator: c.initiatorName ?? c.initiatorAddress,
        target: isDiscovery(c) ? `discovery @ ${c.portal}` : `${c.targetName ?? '(login not captured)'} @ ${c.portal}`,
        conns: [],
      };
      map.set(key, l);
    }
    l.conns.push(c.conn);
  }
  return [...map.values()];
}

/** "10.0.0.1:40000" → "10.0.0.1"; "[fe80::1]:40000" → "fe80::1". */
function addressOf(endpoint: string): string {
  const v6 = /^\[(.*)\]:\d+$/.exec(endpoint);
  if (v6) return v6[1];
  const at = endpoint.lastIndexOf(':');
  return at > 0 ? endpoint.slice(0, at) : endpoint;
}

/**
 * The lane of each connection attempt (the model's tcp.attempts): the lane of the connection it
 * became or sits next to; an attempt next to no iSCSI connection gets a lane of its own per
 * initiator host and portal, appended to `lanes`.
 */
export function attemptLanes(conns: readonly ConnectionModel[], lanes: Lane[], attempts: readonly AttemptRecord[]): { lanes: Lane[]; laneOf: Int32Array } {
  const byConn = new Map<number, number>();
  lanes.forEach((l, i) => { for (const c of l.conns) byConn.set(c, i); });
  const out = [...lanes];
  const extra = new Map<string, number>();
  const laneOf = new Int32Array(attempts.length);
  attempts.forEach((r, k) => {
    const near = [r.conn, r.previousConn, r.nextConn].find((c) => c >= 0 && byConn.has(c) && conns[c] !== undefined);
    if (near !== undefined) {
      laneOf[k] = byConn.get(near)!;
      return;
    }
    const key = `${addressOf(r.initiator)} → (no connection) @ ${r.portal}`;
    let i = extra.get(key);
    if (i === undefined) {
      i = out.length;
      extra.set(key, i);
      out.push({ key, initiator: addressOf(r.initiator), target: `(no connection) @ ${r.portal}`, conns: [] });
    }
    laneOf[k] = i;
  });
  return { lanes: out, laneOf };
}

/** "Logout, FIN by initiator", "RST by target", "open at capture end". */
export function endText(c: ConnectionModel): string {
  const e = c.end;
  const lo = e.loggedOut ? 'Logout, ' : '';
  if (e.kind === 'open') return `${lo}open at capture end`;
  return `${lo}${e.kind.toUpperCase()} by ${e.by}`;
}

export interface FindingCounts {
  error: number;
  warning: number;
  info: number;
}

export function countBySeverity(findings: readonly Finding[]): FindingCounts {
  const r: FindingCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) r[f.severity]++;
  return r;
}

/** Findings by connection (a session-level finding counts for each of its connections). */
export function countsByConn(findings: readonly Finding[], nConns: number): FindingCounts[] {
  const r: FindingCounts[] = Array.from({ length: nConns }, () => ({ error: 0, warning: 0, info: 0 }));
  for (const f of findings) {
    for (const c of findingConns(f)) if (r[c]) r[c][f.severity]++;
  }
  return r;
}

export type SortKey = 'conn' | 'initiator' | 'target' | 'isid' | 'tsih' | 'cid' | 'start' | 'duration' | 'pdus' | 'findings' | 'end' | 'rtt' | 'retrans' | 'zerowin';

/** What sorts a connection by its TCP figures: handshake RTT, retransmitted segments, zero-window time (both directions / sides). */
export function tcpSortValue(t: ConnectionTcp | undefined, key: 'rtt' | 'retrans' | 'zerowin'): number {
  if (!t) return -1;
  if (key === 'rtt') return t.handshakeRttMs ?? -1;
  if (key === 'retrans') return t.retransmittedSegments['I>T'] + t.retransmittedSegments['T>I'];
  return t.zeroWindowMs.initiator + t.zeroWindowMs.target;
}

export function sortConnections(conns: readonly ConnectionModel[], key: SortKey, desc: boolean, counts: readonly FindingCounts[], tcp: (conn: number) => ConnectionTcp | undefined = () => undefined): number[] {
  const idx = conns.map((c) => c.conn);
  const score = (c: ConnectionModel): number | string => {
    switch (key) {
      case 'conn': return c.conn;
      case 'initiator': return `${c.initiatorName ?? ''} ${c.initiator}`;
      case 'target': return `${c.targetName ?? ''} ${c.portal}`;
      case 'isid': return c.isid ?? '';
      case 'tsih': return c.tsih ?? -1;
      case 'cid': return c.cid ?? -1;
      case 'start': return c.firstTime;
      case 'duration': return c.lastTime - c.firstTime;
      case 'pdus': return c.pdus;
      case 'findings': {
        const k = counts[c.conn] ?? { error: 0, warning: 0, info: 0 };
        return k.error * 1e12 + k.warning * 1e6 + k.info;
      }
      case 'end': return endText(c);
      case 'rtt': case 'retrans': case 'zerowin': return tcpSortValue(tcp(c.conn), key);
    }
  };
  const byConn = new Map(conns.map((c) => [c.conn, c]));
  idx.sort((a, b) => {
    const x = score(byConn.get(a)!);
    const y = score(byConn.get(b)!);
    const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return (desc ? -d : d) || a - b;
  });
  return idx;
}
