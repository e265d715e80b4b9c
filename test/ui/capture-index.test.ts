import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES } from '../support/shared.ts';
import { buildIndex, lowerBoundFrame, positionsOfFrames, rowsOf } from '../../src/ui/lib/capture-index.ts';

describe('per-connection row lists', () => {
  test.each(['login-churn.pcap', 'test-suite.pcap', 'initiator-ping-timeout.pcap'])('%s: each connection\'s rows, in frame order', (file) => {
    const { analysis, pdus } = analyzeFile(join(CAPTURES, file));
    const index = buildIndex(analysis);
    expect(index.connRows.length).toBe(analysis.pdus.count);
    for (const c of analysis.connections) {
      const rows = rowsOf(index, c.conn);
      expect(rows.length).toBe(c.pdus);
      const frames = [...rows].map((r) => analysis.pdus.frame[r]);
      expect(frames).toEqual(pdus.filter((p) => p.conn === c.conn).map((p) => p.frame));
    }
    let total = 0;
    for (let op = 0; op < 64; op++) total += index.opcodeCounts[op];
    expect(total).toBe(analysis.pdus.count);
  });

  test('frames to positions, by binary search', () => {
    const { analysis } = analyzeFile(join(CAPTURES, 'initiator-ping-timeout.pcap'));
    const index = buildIndex(analysis);
    const rows = rowsOf(index, 0);
    const c = analysis.pdus;
    const f = c.frame[rows[5]];
    expect(lowerBoundFrame(c, rows, f)).toBe(5);
    expect(positionsOfFrames(c, rows, [f, f, 999999])).toEqual([5]);
    expect(rowsOf(index, 99).length).toBe(0);
  });

  test('timeline marks: logins and logouts', () => {
    const { analysis } = analyzeFile(join(CAPTURES, 'initiator-ping-timeout.pcap'));
    const marks = buildIndex(analysis).marks;
    expect(marks.filter((m) => m.kind === 'login').map((m) => m.conn)).toEqual([0, 1]);
    expect(marks.filter((m) => m.kind === 'logout').map((m) => m.conn)).toEqual([1]);
  });
});
