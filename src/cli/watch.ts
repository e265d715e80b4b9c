// iscsi-inspect watch: findings (and incidents) printed as soon as nothing later in the capture can
// change them — for a live capture (tcpdump -w - | iscsi-inspect watch -) — with a status line on
// stderr every few seconds. Every few seconds the engine's Analysis of what has been read is taken
// (Analyzer.snapshot()); a finding is told once it is settled.

import type { Analysis, Analyzer, Finding, Incident } from '../engine/index.ts';
import { fmtInt, printable } from '../text/index.ts';

/**
 * Kinds that no later packet can change once raised, as long as they do not wait on the capture's
 * end (`then: "capture-end"`): an answered ping stays answered, a logout stays a logout. The others
 * (an unanswered request, a login loop still growing) are settled when their connections have ended.
 */
const FINAL_WHEN_RAISED = new Set([
  'nop-ping', 'target-ping', 'logout', 'tmf', 'slow-command', 'login-failure', 'reject', 'async-message',
  'digest-error', 'statsn-gap', 'statsn-transposition', 'statsn-wrong-value', 'expstatsn-ahead', 'expcmdsn-ahead',
  'cmdsn-out-of-window', 'ttt-echo-mismatch', 'data-segment-over-limit', 'digest-unnegotiated', 'relogin',
  'session-reinstatement', 'closed-without-logout', 'connection-reset', 'capture-gap', 'unframed-bytes',
  'tcp-overlap-conflict', 'tcp-held-limit',
]);

/** A burst of retransmissions is over once none came for this long (findings.md: tcp-retransmissions). */
const BURST_GAP_S = 5;

/** Capture seconds a connection's end must be behind the newest packet before its findings are told
 *  (a RST can follow a FIN, a late answer can come). */
const SETTLE_S = 1;

/** Capture seconds after its end before a told connection's PDUs are let go: what relates a later
 *  connection to it (a relogin, a reinstatement, a login loop) looks back this far at most. */
const RETIRE_AFTER_S = 120;

export interface WatchOutput {
  finding(f: Finding, index: number): void;
  incident(i: Incident): void;
}

function key(f: Finding): string {
  return `${f.kind}|${f.conn ?? ''}|${(f.conns ?? []).slice(0, 1).join()}|${f.frame ?? f.frames[0] ?? ''}`;
}

function incidentKey(i: Incident): string {
  return `${i.kind}|${i.chain[0]?.frame ?? ''}|${i.conns[0] ?? ''}`;
}

/** Tells settled findings and incidents once each, from successive snapshots and the final Analysis. */
export class Watcher {
  private readonly told = new Set<string>();
  private readonly toldIncidents = new Set<string>();

  constructor(private readonly out: WatchOutput, private readonly churnWindowS: number) {}

  /**
   * Tell what a snapshot holds that is settled; `final`: the capture has ended, everything is.
   * Returns the ended connections now wholly told, whose PDUs the analyzer may let go
   * (Analyzer.retire): what is said of a connection after that is not told again.
   */
  tell(a: Analysis, final: boolean): number[] {
    const now = a.capture.lastTime ?? 0;
    const retired = (conn: number): boolean => a.connections[conn]?.retired === true;
    const gone = (conns: readonly number[]): boolean => conns.length > 0 && conns.every(retired);
    const ended = (conn: number): boolean => {
      const m = a.model.connections[conn];
      return m !== undefined && m.end.kind !== 'open' && m.end.time <= now - SETTLE_S;
    };
    const settled = (f: Finding): boolean => {
      if (final) return true;
      const conns = f.conn !== undefined ? [f.conn, ...(f.conns ?? [])] : f.conns ?? [];
      if (f.kind === 'login-churn') return f.time + Number(f.windowMs ?? 0) / 1000 + this.churnWindowS <= now;
      if (f.then === 'capture-end') return false;
      if (FINAL_WHEN_RAISED.has(f.kind)) return true;
      // A run of refused or unanswered reconnects is over when a connection got through.
      if (f.kind === 'connect-refused' || f.kind === 'connect-unanswered') return typeof f.nextConn === 'number';
      if (f.kind === 'tcp-retransmissions' && f.time + Number(f.spanMs ?? 0) / 1000 + BURST_GAP_S <= now) return true;
      if (f.kind === 'tcp-zero-window' && typeof f.endFrame === 'number') return true;
      return conns.length > 0 && conns.every(ended);
    };
    const settledIndex = new Set<number>();
    // Connections with something not yet told: they are not let go.
    const pending = new Set<number>();
    a.findings.forEach((f, i) => {
      const conns = f.conn !== undefined ? [f.conn, ...(f.conns ?? [])] : f.conns ?? [];
      if (gone(conns)) {
        settledIndex.add(i);
        return;
      }
      if (!settled(f)) {
        for (const c of conns) pending.add(c);
        return;
      }
      settledIndex.add(i);
      const k = key(f);
      if (this.told.has(k)) return;
      this.told.add(k);
      this.out.finding(f, i);
    });
    for (const inc of a.incidents) {
      if (gone(inc.conns)) continue;
      if (!final && (!inc.findings.every((i) => settledIndex.has(i)) || inc.end > now - 5)) {
        for (const c of inc.conns) pending.add(c);
        continue;
      }
      const k = incidentKey(inc);
      if (this.toldIncidents.has(k)) continue;
      this.toldIncidents.add(k);
      this.out.incident(inc);
    }
    if (final) return [];
    const retire: number[] = [];
    a.model.connections.forEach((m, conn) => {
      if (retired(conn) || pending.has(conn) || m.end.kind === 'open' || m.end.time > now - Math.max(RETIRE_AFTER_S, this.churnWindowS + SETTLE_S)) return;
      retire.push(conn);
    });
    return retire;
  }
}

/** "12,408 packets, 3,310 PDUs, 4 connections open, 2 findings" */
export function statusLine(analyzer: Analyzer, openConnections: number, findings: number): string {
  return `watch: ${fmtInt(analyzer.packetCount)} packets, ${fmtInt(analyzer.pduCount)} PDUs, ${fmtInt(openConnections)} connection${openConnections === 1 ? '' : 's'} open, ${fmtInt(findings)} finding${findings === 1 ? '' : 's'} told`;
}

/** One line of text output for a finding or an incident. */
export function findingText(f: Finding): string {
  return `${f.severity.padEnd(7)} ${f.kind.padEnd(24)} ${f.conn !== undefined ? `conn ${f.conn}` : `conns ${(f.conns ?? []).join(',')}`}  frame ${f.frame ?? '-'}  ${printable(f.message)}`;
}

export function incidentText(i: Incident): string {
  return `${i.severity.padEnd(7)} INCIDENT ${i.kind.padEnd(16)} conn ${i.conns.join(', ')}  ${printable(i.headline)}`;
}
