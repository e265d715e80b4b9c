// Capture-level views of the connections: names, session grouping for the timeline lanes, how
// each connection ended, and the sortable connection list's keys.

import type { ConnectionSummary, Finding, Severity } from '../../engine/index.ts';
import type { TimelineMark } from './capture-index.ts';

export function initiatorName(c: ConnectionSummary): string | undefined {
  return c.initiatorKeys.InitiatorName;
}

export function targetName(c: ConnectionSummary): string | undefined {
  return c.initiatorKeys.TargetName;
}

export function isDiscovery(c: ConnectionSummary): boolean {
  return c.initiatorKeys.SessionType === 'Discovery';
}

export function addr(e: { address: string; port: number }): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** The timeline lane: one per initiator → target (or discovery) at a portal, so re-logins and
 *  churn line up as bars on one lane. */
export function laneKey(c: ConnectionSummary): string {
  const who = initiatorName(c) ?? c.initiator.address;
  const what = isDiscovery(c) ? 'discovery' : targetName(c) ?? '(login not captured)';
  return `${who} → ${what} @ ${addr(c.target)}`;
}

export interface Lane {
  key: string;
  initiator: string;
  target: string;
  conns: number[];
}

export function lanes(conns: readonly ConnectionSummary[]): Lane[] {
  const map = new Map<string, Lane>();
  for (const c of conns) {
    const key = laneKey(c);
    let l = map.get(key);
    if (!l) {
      l = {
        key,
        initiator: initiatorName(c) ?? c.initiator.address,
        target: isDiscovery(c) ? `discovery @ ${addr(c.target)}` : `${targetName(c) ?? '(login not captured)'} @ ${addr(c.target)}`,
        conns: [],
      };
      map.set(key, l);
    }
    l.conns.push(c.conn);
  }
  return [...map.values()];
}

/** Distinct sessions: initiator, target, ISID and the TSIH the target gave (a reinstated session
 *  is a new one); a connection whose login was not captured counts as its own. */
export function sessionCount(conns: readonly ConnectionSummary[]): number {
  const keys = new Set<string>();
  for (const c of conns) {
    if (c.isid === undefined) keys.add(`conn ${c.conn}`);
    else keys.add(`${initiatorName(c) ?? c.initiator.address}|${targetName(c) ?? addr(c.target)}|${c.isid}|${c.tsih ?? ''}`);
  }
  return keys.size;
}

export function endText(c: ConnectionSummary, loggedOut: boolean): string {
  const e = c.end;
  const lo = loggedOut ? 'Logout, ' : '';
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
export function findingsByConn(findings: readonly Finding[], nConns: number): FindingCounts[] {
  const r: FindingCounts[] = Array.from({ length: nConns }, () => ({ error: 0, warning: 0, info: 0 }));
  for (const f of findings) {
    for (const c of findingConns(f)) if (r[c]) r[c][f.severity]++;
  }
  return r;
}

export function findingConns(f: Finding): number[] {
  if (f.conn !== undefined) return [f.conn];
  return f.conns ?? [];
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function loggedOutConns(marks: readonly TimelineMark[]): Set<number> {
  const s = new Set<number>();
  for (const m of marks) if (m.kind === 'logout') s.add(m.conn);
  return s;
}

export type SortKey = 'conn' | 'initiator' | 'target' | 'start' | 'duration' | 'pdus' | 'findings' | 'end';

export function sortConnections(conns: readonly ConnectionSummary[], key: SortKey, desc: boolean, counts: readonly FindingCounts[], loggedOut: Set<number>): number[] {
  const idx = conns.map((c) => c.conn);
  const score = (c: ConnectionSummary): number | string => {
    switch (key) {
      case 'conn': return c.conn;
      case 'initiator': return `${initiatorName(c) ?? ''} ${addr(c.initiator)}`;
      case 'target': return `${targetName(c) ?? ''} ${addr(c.target)}`;
      case 'start': return c.firstTime;
      case 'duration': return c.lastTime - c.firstTime;
      case 'pdus': return c.pdus;
      case 'findings': {
        const k = counts[c.conn] ?? { error: 0, warning: 0, info: 0 };
        return k.error * 1e12 + k.warning * 1e6 + k.info;
      }
      case 'end': return endText(c, loggedOut.has(c.conn));
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
