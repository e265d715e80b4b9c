// Capture-level views of the model's connections: names, the timeline's lanes, how each connection
// ended, and the sortable connection list's keys.

import type { Finding } from '../../engine/index.ts';
import type { ConnectionModel } from '../../sessions/index.ts';
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

export type SortKey = 'conn' | 'initiator' | 'target' | 'isid' | 'tsih' | 'cid' | 'start' | 'duration' | 'pdus' | 'findings' | 'end';

export function sortConnections(conns: readonly ConnectionModel[], key: SortKey, desc: boolean, counts: readonly FindingCounts[]): number[] {
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
