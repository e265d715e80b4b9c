import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES } from '../support/shared.ts';
import { buildIndex, rowsOf } from '../../src/ui/lib/capture-index.ts';
import { commandLatencies, groupLatencies, quantile } from '../../src/ui/lib/latency.ts';
import { scsiOpcodeName } from '../../src/codec/index.ts';

describe('command latency', () => {
  test('basic-io: every command paired with its status by ITT, as the CLI records show them', () => {
    const { analysis, pdus } = analyzeFile(join(CAPTURES, 'basic-io.pcap'));
    const index = buildIndex(analysis);
    for (const conn of analysis.connections) {
      const lat = commandLatencies(analysis.pdus, analysis.luns, rowsOf(index, conn.conn));
      // the same pairing done on the CLI's records
      const open = new Map<number, Record<string, unknown>>();
      const want: number[] = [];
      for (const p of pdus.filter((x) => x.conn === conn.conn)) {
        if (p.opcode === 0x01) open.set(p.itt as number, p);
        else if (p.opcode === 0x21 || (p.opcode === 0x25 && p.statusPresent)) {
          const q = open.get(p.itt as number);
          if (q) {
            want.push((p.time as number) - (q.time as number));
            open.delete(p.itt as number);
          }
        }
      }
      expect(lat.count).toBe(want.length);
      expect([...lat.latency]).toEqual(want);
      expect(lat.unanswered.length).toBe(open.size);
    }
  });

  test('slow-target-abort: the READ(16) that the target sat on is the slowest', () => {
    const { analysis } = analyzeFile(join(CAPTURES, 'slow-target-abort.pcap'));
    const rows = rowsOf(buildIndex(analysis), 0);
    const lat = commandLatencies(analysis.pdus, analysis.luns, rows);
    const groups = groupLatencies(lat, 'op', scsiOpcodeName);
    const all = groupLatencies(lat, 'all', scsiOpcodeName)[0];
    expect(groups.reduce((n, g) => n + g.members.length, 0)).toBe(lat.count);
    const max = all.sorted[all.sorted.length - 1];
    const i = [...lat.latency].indexOf(max);
    expect(scsiOpcodeName(lat.scsiOp[i])).toBe('READ(16)');
    expect(max).toBeGreaterThan(1);
    expect(groupLatencies(lat, 'lun', scsiOpcodeName).every((g) => g.key.startsWith('LUN'))).toBe(true);
  });

  test('quantiles by nearest rank', () => {
    const s = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(quantile(s, 0.5)).toBe(5);
    expect(quantile(s, 0.99)).toBe(10);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
  });
});
