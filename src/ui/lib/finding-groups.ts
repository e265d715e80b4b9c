// The findings panel's order: the findings grouped under the incident they belong to (the engine
// says which: Incident.findings), incidents worst first as the engine sorts them, then the findings
// of no incident; inside a group by severity, then time. Findings of one kind in a group fold into
// one run ("5 NOP-Out pings unanswered") that opens on click.

import type { Finding, Incident } from '../../engine/index.ts';
import { plural } from '../../text/index.ts';
import { SEVERITY_RANK } from './view.ts';

export interface FindingGroup {
  /** Index into Analysis.incidents; -1 for the findings of no incident. */
  incident: number;
  /** Finding indices, by severity (worst first), then time, then index. */
  items: number[];
}

export function findingGroups(findings: readonly Finding[], incidents: readonly Incident[]): FindingGroup[] {
  const owner = new Int32Array(findings.length).fill(-1);
  incidents.forEach((inc, i) => { for (const f of inc.findings) if (f >= 0 && f < findings.length && owner[f] < 0) owner[f] = i; });
  const groups: FindingGroup[] = incidents.map((_, i) => ({ incident: i, items: [] }));
  const other: FindingGroup = { incident: -1, items: [] };
  findings.forEach((_, i) => (owner[i] >= 0 ? groups[owner[i]] : other).items.push(i));
  const bySeverityThenTime = (x: number, y: number): number =>
    SEVERITY_RANK[findings[y].severity] - SEVERITY_RANK[findings[x].severity] || findings[x].time - findings[y].time || x - y;
  for (const g of groups) g.items.sort(bySeverityThenTime);
  other.items.sort(bySeverityThenTime);
  const out = groups.filter((g) => g.items.length > 0);
  if (other.items.length) out.push(other);
  return out;
}

/** A run: the findings of one kind in a group, at the place of the first of them. */
export interface FindingRun {
  kind: string;
  items: number[];
}

/** A group's items as runs of one kind each, in the order their first finding comes. */
export function runsOf(findings: readonly Finding[], items: readonly number[]): FindingRun[] {
  const byKind = new Map<string, FindingRun>();
  const out: FindingRun[] = [];
  for (const i of items) {
    const k = findings[i].kind;
    let r = byKind.get(k);
    if (!r) {
      r = { kind: k, items: [] };
      byKind.set(k, r);
      out.push(r);
    }
    r.items.push(i);
  }
  return out;
}

/** How a run of findings of one kind reads, folded: "5 NOP-Out pings unanswered". */
const PHRASE: Record<string, [string, string]> = {
  'nop-ping': ['NOP-Out ping answered', 'NOP-Out pings answered'],
  'nop-ping-unanswered': ['NOP-Out ping unanswered', 'NOP-Out pings unanswered'],
  'target-ping': ['target NOP-In ping echoed', 'target NOP-In pings echoed'],
  'target-ping-unanswered': ['target NOP-In ping unanswered', 'target NOP-In pings unanswered'],
  'ttt-echo-mismatch': ['NOP-Out with a TTT no ping offered', 'NOP-Outs with a TTT no ping offered'],
  'statsn-gap': ['StatSN gap', 'StatSN gaps'],
  'expstatsn-ahead': ['ExpStatSN ahead of the StatSN sent', 'ExpStatSNs ahead of the StatSN sent'],
  'expcmdsn-ahead': ['ExpCmdSN ahead of the CmdSN used', 'ExpCmdSNs ahead of the CmdSN used'],
  'cmdsn-out-of-window': ['CmdSN outside the command window', 'CmdSNs outside the command window'],
  'command-window-closed': ['command window held closed', 'command windows held closed'],
  'slow-command': ['slow command', 'slow commands'],
  'command-unanswered': ['command unanswered', 'commands unanswered'],
  tmf: ['task management request', 'task management requests'],
  'tmf-unanswered': ['task management request unanswered', 'task management requests unanswered'],
  'login-failure': ['login refused', 'logins refused'],
  'login-unanswered': ['login unanswered', 'logins unanswered'],
  'login-churn': ['login loop', 'login loops'],
  'session-reinstatement': ['session reinstated', 'sessions reinstated'],
  relogin: ['relogin with a new ISID', 'relogins with a new ISID'],
  'data-segment-over-limit': ['data segment over the receiver\'s limit', 'data segments over the receiver\'s limit'],
  'connection-reset': ['connection reset', 'connections reset'],
  'closed-without-logout': ['connection closed without Logout', 'connections closed without Logout'],
  logout: ['logout', 'logouts'],
  reject: ['Reject', 'Rejects'],
  'async-message': ['Async Message', 'Async Messages'],
  'digest-error': ['digest error', 'digest errors'],
  'digest-unnegotiated': ['digest not as negotiated', 'digests not as negotiated'],
  'capture-gap': ['gap in the capture', 'gaps in the capture'],
  'snaplen-truncated': ['snaplen cut', 'snaplen cuts'],
  'tcp-retransmissions': ['burst of TCP retransmissions', 'bursts of TCP retransmissions'],
  'tcp-zero-window': ['TCP zero window', 'TCP zero windows'],
  'connect-refused': ['connection attempt refused', 'connection attempts refused'],
  'connect-unanswered': ['connection attempt unanswered', 'connection attempts unanswered'],
};

export function runText(kind: string, n: number): string {
  const p = PHRASE[kind];
  return p ? plural(n, p[0], p[1]) : plural(n, `${kind} finding`);
}

export interface FindingFilters {
  severity: Record<'error' | 'warning' | 'info', boolean>;
  kind: string;
  text: string;
}

/** The findings panel's filters as a predicate: severity chips, the kind, and text in the kind, message, connections or frame. */
export function findingFilter(f: FindingFilters): (x: Finding) => boolean {
  const text = f.text.trim().toLowerCase();
  return (x) => {
    if (!f.severity[x.severity]) return false;
    if (f.kind && x.kind !== f.kind) return false;
    if (!text) return true;
    const conns = x.conn !== undefined ? [x.conn, ...(x.conns ?? [])] : x.conns ?? [];
    return `${x.kind} ${x.message} conn ${conns.join(' ')} frame ${x.frame ?? ''}`.toLowerCase().includes(text);
  };
}
