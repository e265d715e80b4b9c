import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES } from '../support/shared.ts';
import { buildIndex, rowsOf } from '../../src/ui/lib/capture-index.ts';
import { connectionRelations, endpointTime } from '../../src/ui/lib/relations.ts';
import type { ConnContext } from '../../src/ui/lib/relations.ts';
import { counterparts } from '../../src/ui/lib/counterpart.ts';

function ctxOf(file: string, conn = 0): ConnContext {
  const { analysis } = analyzeFile(join(CAPTURES, file));
  const rows = rowsOf(buildIndex(analysis), conn);
  return { c: analysis.pdus, rows, conn: analysis.connections[conn], captureEnd: analysis.capture.lastTime! };
}

describe('relations the ladder draws, from the columns', () => {
  test('initiator-ping-timeout: answered pings with RTT, then five unanswered until the initiator FIN', () => {
    const ctx = ctxOf('initiator-ping-timeout.pcap');
    const rel = connectionRelations(ctx);
    const answered = rel.filter((r) => r.kind === 'nop-ping' && r.severity === 'none');
    expect(answered.length).toBeGreaterThan(0);
    for (const r of answered) expect(r.label).toMatch(/^ping RTT/);
    const silence = rel.filter((r) => r.kind === 'nop-silence');
    expect(silence).toHaveLength(1);
    expect(silence[0].also).toHaveLength(5);
    expect('ctl' in silence[0].to && ctx.conn.control[silence[0].to.ctl]).toMatchObject({ kind: 'FIN', by: 'initiator' });
    expect(endpointTime(ctx, silence[0].to) - endpointTime(ctx, silence[0].from)).toBeGreaterThan(4.9);
    // the frozen target's late answer, after the initiator gave up
    expect(rel.filter((r) => r.kind === 'nop-ping' && r.severity === 'error')).toHaveLength(1);
    expect(rel.filter((r) => r.kind === 'login')).toHaveLength(1);
  });

  test('slow-target-abort: ABORT TASK linked to the READ it aborted, never answered; LU RESET answered', () => {
    const ctx = ctxOf('slow-target-abort.pcap');
    const rel = connectionRelations(ctx);
    const target = rel.filter((r) => r.kind === 'tmf-target');
    expect(target).toHaveLength(1);
    expect(target[0].label).toMatch(/^ABORT TASK of ITT 0x[0-9a-f]{8}: the command had waited 3\.\d+ s$/);
    const from = 'pdu' in target[0].from ? target[0].from.pdu : -1;
    expect(ctx.c.w32[ctx.rows[from]] >>> 24).toBe(0x88); // READ(16)
    expect(rel.filter((r) => r.kind === 'tmf-unanswered').map((r) => r.label)).toEqual([expect.stringMatching(/^ABORT TASK never answered/)]);
    expect(rel.filter((r) => r.kind === 'tmf-answer').map((r) => r.label)).toEqual([expect.stringMatching(/^LOGICAL UNIT RESET answered after .*: Function complete$/)]);
    expect(rel.filter((r) => r.kind === 'logout')).toHaveLength(1);
  });

  test('target pings: echoed ones paired by TTT, unanswered ones until the next ping or the end', () => {
    const ok = connectionRelations(ctxOf('target-nopin-answered.pcap'));
    expect(ok.filter((r) => r.kind === 'target-ping')).toHaveLength(6);
    expect(ok.filter((r) => r.kind === 'target-ping-unanswered' || r.kind === 'ttt-echo-mismatch')).toHaveLength(0);
    const bad = connectionRelations(ctxOf('target-nopin-unanswered.pcap'));
    expect(bad.filter((r) => r.kind === 'target-ping-unanswered')).toHaveLength(3);
  });

  test('request and response are one click apart', () => {
    const ctx = ctxOf('initiator-ping-timeout.pcap');
    const { c, rows } = ctx;
    const op = (p: number) => c.b0[rows[p]] & 0x3f;
    const login = [...rows.keys()].find((p) => op(p) === 0x03)!;
    const [resp] = counterparts(c, rows, login);
    expect(resp.label).toBe('response');
    expect(op(resp.pos)).toBe(0x23);
    expect(counterparts(c, rows, resp.pos)[0].pos).toBe(login);
    const cmd = [...rows.keys()].find((p) => op(p) === 0x01)!;
    const st = counterparts(c, rows, cmd).find((l) => l.label === 'status')!;
    expect(op(st.pos)).toBe(0x21);
    expect(c.itt[rows[st.pos]]).toBe(c.itt[rows[cmd]]);
  });
});
