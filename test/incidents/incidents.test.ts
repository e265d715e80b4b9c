// Incidents on the shared captures: the one a storage engineer would name first (what the lab did,
// captures/README.md), with its chain of frames — read off Wireshark's decode (.tshark.tsv) and
// tshark's TCP flags as test/checks/captures.test.ts documents them — and the rules every incident
// list keeps.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Analysis } from '../../src/engine/index.ts';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, readTsv, sharedCaptures } from '../support/shared.ts';

const cache = new Map<string, Analysis>();
function analysis(name: string): Analysis {
  let a = cache.get(name);
  if (!a) cache.set(name, (a = analyzeFile(join(CAPTURES, name)).analysis));
  return a;
}
const RANK = { info: 0, warning: 1, error: 2 } as const;

describe('every incident list', () => {
  test.each(sharedCaptures())('%s: a finding in one incident at most, info findings in none, worst first', (name) => {
    const a = analysis(name);
    const seen = new Set<number>();
    for (const inc of a.incidents) {
      expect(inc.findings.length).toBeGreaterThan(0);
      for (const i of inc.findings) {
        expect(seen.has(i), `finding ${i} in two incidents`).toBe(false);
        seen.add(i);
      }
      const worst = inc.findings.reduce((w, i) => Math.max(w, RANK[a.findings[i].severity]), 0);
      expect(RANK[inc.severity]).toBe(worst);
      expect(inc.headline).toMatch(/\.$/);
      expect(inc.headline).not.toMatch(/[\n\r]/);
      for (const s of inc.chain) {
        expect(s.frame).toBeGreaterThan(0);
        expect(s.frame).toBeLessThanOrEqual(a.capture.packets);
        expect(a.connections[s.conn]).toBeDefined();
        expect(inc.conns).toContain(s.conn);
      }
      expect(inc.start).toBeLessThanOrEqual(inc.end);
    }
    for (let k = 1; k < a.incidents.length; k++) {
      const p = a.incidents[k - 1];
      const q = a.incidents[k];
      expect(RANK[p.severity] > RANK[q.severity] || (p.severity === q.severity && p.start <= q.start)).toBe(true);
    }
    // Routine info (answered pings, logouts) belongs to no incident.
    for (const inc of a.incidents) for (const i of inc.findings) expect(['nop-ping', 'target-ping', 'logout']).not.toContain(a.findings[i].kind);
  });
});

describe('the first incident is the one a storage engineer would name', () => {
  test('initiator-ping-timeout: pings unanswered, the initiator gives up (1022), logs in again, answered when the target resumed', () => {
    const a = analysis('initiator-ping-timeout.pcap');
    const inc = a.incidents[0];
    expect(inc.kind).toBe('ping-timeout');
    expect(inc.severity).toBe('error');
    expect(inc.conns).toEqual([0, 1]);
    // tsv: unanswered NOP-Outs at frames 21..29; tshark: the target's ACK of the first at 22, the
    // initiator's FIN at frame 31; the new connection's Login Command at 35, its Login Response at
    // 40; the late NOP-In at 38.
    expect(inc.chain.map((s) => s.frame)).toEqual([21, 22, 29, 31, 35, 38, 40]);
    expect(inc.headline).toContain('while its TCP still acknowledged them');
    expect(inc.findings.map((i) => a.findings[i].kind).sort()).toEqual([
      'closed-without-logout', 'nop-ping-unanswered', 'nop-ping-unanswered', 'nop-ping-unanswered', 'nop-ping-unanswered',
      'nop-ping-unanswered', 'relogin',
    ]);
    expect(inc.headline).toContain('1022');
    expect(inc.headline).toContain('conn 1');
    expect(a.incidents).toHaveLength(1);
  });

  test('slow-target-abort: the slow READ(16), ABORT TASK unanswered, LU RESET answered, no session reset', () => {
    const a = analysis('slow-target-abort.pcap');
    const inc = a.incidents[0];
    expect(inc.kind).toBe('task-abort');
    // tsv: READ(16) frame 45, ABORT TASK 47, LU RESET 49, the READ's Data-In with status 57, the LU RESET's response 58.
    expect(inc.chain.map((s) => s.frame)).toEqual([45, 47, 49, 57, 58]);
    expect(inc.findings.map((i) => a.findings[i].kind).sort()).toEqual(['slow-command', 'tmf', 'tmf-unanswered']);
    expect(inc.headline).toContain('ABORT TASK');
    expect(inc.headline).toContain('LOGICAL UNIT RESET');
    expect(inc.headline).not.toContain('1021');
  });

  test('target-killed: the target reset the connection under 4 commands', () => {
    const a = analysis('target-killed.pcap');
    const inc = a.incidents[0];
    expect(inc.kind).toBe('target-down');
    expect(inc.severity).toBe('error');
    // tsv: the 4 commands without status at 688, 690, 693, 697; tshark: the target's RST at 699,
    // then the initiator's reconnect SYNs at 700, 702, 704, 706, each refused by a RST.
    expect(inc.chain.map((s) => s.frame)).toEqual([688, 699, 700]);
    expect(inc.findings.map((i) => a.findings[i].kind).sort()).toEqual([
      'command-unanswered', 'command-unanswered', 'command-unanswered', 'command-unanswered', 'connect-refused', 'connection-reset',
    ]);
    expect(inc.headline).toContain('4 reconnects');
  });

  test('target-nopin-unanswered: the initiator stopped echoing target pings; the target closed', () => {
    const a = analysis('target-nopin-unanswered.pcap');
    const inc = a.incidents[0];
    expect(inc.kind).toBe('target-ping-timeout');
    // tsv: target NOP-Ins (TTT 1, 2, 3) at frames 13, 15, 17; tshark: the target's FIN at 19.
    expect(inc.chain.map((s) => s.frame)).toEqual([13, 17, 19]);
  });

  test('login-churn: one rediscovery loop holding the 60 connections closed without logout, with the loop period', () => {
    const a = analysis('login-churn.pcap');
    const loops = a.incidents.filter((i) => i.kind === 'login-loop');
    expect(loops).toHaveLength(1);
    const kinds = loops[0].findings.map((i) => a.findings[i].kind);
    expect(kinds.filter((k) => k === 'login-churn')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'closed-without-logout')).toHaveLength(60);
    // The period, from tsv: the discovery logins (SessionType=Discovery) are this far apart (median).
    const tsv = readTsv(join(CAPTURES, 'login-churn.pcap.tshark.tsv'));
    const times = tsv.filter((r) => r.opcode_name === 'Login Command' && r['iscsi.keyvalue'].includes('SessionType=Discovery'))
      .map((r) => Number(r['frame.time_epoch']));
    const gaps = times.slice(1).map((t, k) => t - times[k]).sort((x, y) => x - y);
    const median = (gaps[(gaps.length - 1) >> 1] + gaps[gaps.length >> 1]) / 2;
    const churn = a.findings.find((f) => f.kind === 'login-churn')!;
    expect(Number(churn.periodMs) / 1000).toBeCloseTo(median, 2);
    expect(loops[0].headline).toContain('rediscovery loop');
  });

  test('test-suite: the CmdSN outside the window, the commands the target dropped, its close and the re-login', () => {
    const a = analysis('test-suite.pcap');
    const inc = a.incidents[0];
    expect(inc.kind).toBe('sequence-defect');
    // tsv stream 11: out-of-window commands at 2658, 2663; tshark: the target's FIN at 2664; stream 12:
    // Login Command 2670, Login Response 2672.
    expect(inc.chain.map((s) => s.frame)).toEqual([2658, 2663, 2664, 2670, 2672]);
    expect(inc.conns).toEqual([11, 12]);
    const abort = a.incidents.find((i) => i.kind === 'task-abort')!;
    // WRITE(10) 2699, ABORT TASK 2701, its status 2702, "Task does not exist" 2703.
    expect(abort.chain.map((s) => s.frame)).toEqual([2699, 2701, 2702, 2703]);
    expect(abort.headline).toContain('completed before the abort');
  });

  test('clean captures have no error incident', () => {
    for (const name of ['basic-io.pcap', 'header-digest.pcap', 'target-nopin-answered.pcap', 'nonstandard-port.pcap']) {
      expect(analysis(name).incidents.filter((i) => i.severity === 'error'), name).toEqual([]);
    }
  });
});
