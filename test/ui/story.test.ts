// The page's story helpers: findings grouped under their incidents, times to the capture's
// resolution, annotation text cut only where a sentence allows it.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, readTsv, sharedCaptures } from '../support/shared.ts';
import { findingGroups, runText, runsOf } from '../../src/ui/lib/finding-groups.ts';
import { clockOfDay, decimalsOf, isoTime, relTime, shownResolution } from '../../src/ui/lib/time.ts';
import { firstClause, wrapPx } from '../../src/ui/lib/text.ts';
import type { Finding, Incident } from '../../src/engine/index.ts';

const F = (kind: string, severity: Finding['severity'], time: number): Finding => ({ kind, severity, time, frames: [], message: kind });

describe('findings grouped under their incident', () => {
  test('incidents in the engine\'s order, then the rest; each by severity, then time', () => {
    const findings = [F('nop-ping', 'info', 1), F('nop-ping-unanswered', 'error', 3), F('closed-without-logout', 'warning', 2), F('nop-ping-unanswered', 'error', 2.5), F('logout', 'info', 0.5), F('statsn-gap', 'warning', 9)];
    const incidents = [
      { kind: 'sequence-defect', findings: [5] },
      { kind: 'ping-timeout', findings: [1, 2, 3] },
    ] as unknown as Incident[];
    const groups = findingGroups(findings, incidents);
    expect(groups).toEqual([{ incident: 0, items: [5] }, { incident: 1, items: [3, 1, 2] }, { incident: -1, items: [4, 0] }]);
    expect(runsOf(findings, groups[1].items)).toEqual([{ kind: 'nop-ping-unanswered', items: [3, 1] }, { kind: 'closed-without-logout', items: [2] }]);
    expect(runText('nop-ping-unanswered', 5)).toBe('5 NOP-Out pings unanswered');
    expect(runText('relogin', 1)).toBe('1 relogin with a new ISID');
    expect(runText('some-new-kind', 2)).toBe('2 some-new-kind findings');
  });

  test('on every shared capture each finding is listed exactly once, under the incident that holds it', () => {
    for (const file of sharedCaptures()) {
      const { analysis: a } = analyzeFile(join(CAPTURES, file));
      const groups = findingGroups(a.findings, a.incidents);
      const listed = groups.flatMap((g) => g.items);
      expect([...listed].sort((x, y) => x - y), file).toEqual(a.findings.map((_, i) => i));
      for (const g of groups) {
        if (g.incident >= 0) expect([...g.items].sort((x, y) => x - y)).toEqual([...a.incidents[g.incident].findings].sort((x, y) => x - y));
        const rank = { error: 2, warning: 1, info: 0 };
        for (let k = 1; k < g.items.length; k++) {
          const [p, q] = [a.findings[g.items[k - 1]], a.findings[g.items[k]]];
          expect(rank[p.severity] > rank[q.severity] || (rank[p.severity] === rank[q.severity] && p.time <= q.time)).toBe(true);
        }
      }
    }
  });
});

describe('times to the capture\'s resolution', () => {
  test('decimals by resolution', () => {
    expect(decimalsOf(1e-6)).toBe(6);
    expect(decimalsOf(1e-9)).toBe(9);
    expect(decimalsOf(1e-3)).toBe(3);
    expect(decimalsOf(0)).toBe(6);
  });

  test('a nanosecond capture is shown to the microsecond: the model\'s epoch doubles hold no more', () => {
    // pcapng-nano.pcapng is dumpcap's nanosecond pcapng (if_tsresol 9); tshark prints 9 decimals,
    // but a double of ~1.8e9 s steps by 2^-22 s (0.24 µs).
    const rows = readTsv(join(CAPTURES, 'pcapng-nano.pcapng.tshark-frames.tsv'));
    const { analysis: a } = analyzeFile(join(CAPTURES, 'pcapng-nano.pcapng'));
    expect(a.capture.timeResolution).toBe(1e-9);
    expect(shownResolution(a)).toBe(1e-6);
    const epoch = rows[0]['frame.time_epoch'];
    const [sec, frac] = epoch.split('.');
    const iso = isoTime(Number(epoch), shownResolution(a));
    // the microseconds tshark prints, rounded from its 9 decimals; the date and time of day as Date (UTC) reads `sec`
    const us = Math.round(Number(frac.slice(0, 9).padEnd(9, '0')) / 1000);
    expect(us).toBeLessThan(1e6);
    expect(iso).toBe(`${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${String(us).padStart(6, '0')}Z`);
    expect(relTime(0.000012345, 1e-9)).toBe('+0.000012345');
    expect(relTime(3.007249, 1e-6)).toBe('+3.007249');
    expect(relTime(3.007249, 1e-3)).toBe('+3.007');
  });

  test('a microsecond capture: ISO time of frame 21 of initiator-ping-timeout.pcap', () => {
    // tshark: frame 21 at 1795378186.505504000; `date -u -d @1795378186` is 2026-11-22T20:09:46.
    expect(isoTime(1795378186.505504, 1e-6)).toBe('2026-11-22T20:09:46.505504Z');
    expect(clockOfDay(1795378186.505504, 1e-6)).toBe('20:09:46.505504');
    // rounding carries into the second, never prints .1000000
    expect(isoTime(1795378186.9999999, 1e-6)).toBe('2026-11-22T20:09:47.000000Z');
  });
});

describe('annotation text', () => {
  test('a long message is cut at its first clause, never inside a word', () => {
    const m = 'NOP-Out ping ITT 0x191ae5b9 got no NOP-In for 5.01 s; the initiator closed the connection (FIN) — what open-iscsi reports as ISCSI_ERR_NOP_TIMEDOUT (1022)';
    expect(firstClause(m)).toBe('NOP-Out ping ITT 0x191ae5b9 got no NOP-In for 5.01 s …');
    expect(firstClause('short one; stays whole')).toBe('short one; stays whole');
    // not inside parentheses (the tmf finding of slow-target-abort.pcap)
    const tmf = 'LOGICAL UNIT RESET of LUN 1 (its oldest command then: READ(16) ITT 0x1945508e from frame 45, outstanding 5.00 s) answered "Function complete" in 3.00 s; the session recovered';
    expect(firstClause(tmf, 80)).toBe('LOGICAL UNIT RESET of LUN 1 (its oldest command then: READ(16) ITT 0x1945508e from frame 45, outstanding 5.00 s) answered "Function complete" in 3.00 s …');
    const noBreak = 'x'.repeat(200);
    expect(firstClause(noBreak)).toBe(noBreak);
  });

  test('wrapping keeps every word (estimated widths where no canvas measures)', () => {
    const text = 'the initiator sent ABORT TASK 3.00 s after the command';
    const lines = wrapPx(text, 60, '11px sans-serif', 6);
    expect(lines.join(' ')).toBe(text);
    for (const l of lines) expect(l.length * 6).toBeLessThanOrEqual(60);
    expect(wrapPx('abcdefghijklmnop', 30, 'x', 6)).toEqual(['abcde', 'fghij', 'klmno', 'p']);
  });
});
