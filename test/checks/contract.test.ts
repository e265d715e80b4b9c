import { expect, test } from 'vitest';
import { DEFAULT_CHECK_OPTIONS, FINDING_KINDS, checkOptions } from '../../src/checks/index.ts';
import { contract } from './contract.ts';

test('FINDING_KINDS is the contract table (every kind, same names, same severities) plus our additions', () => {
  const table = contract();
  const base = table.filter((r) => !r.added);
  expect(base.length).toBe(24);
  const bySeverity = new Map(FINDING_KINDS.map((k) => [k.kind, k.severity]));
  // Every kind of the contract before this revision is raised, with its severity.
  expect(base.map((r) => [r.kind, bySeverity.get(r.kind)])).toEqual(base.map((r) => [r.kind, r.severity]));
  // The kinds new in this revision that have landed: the contract's severity too.
  const landed = table.filter((r) => r.added && bySeverity.has(r.kind));
  for (const r of landed) expect(bySeverity.get(r.kind), r.kind).toBe(r.severity);
  expect(landed.map((r) => r.kind)).toEqual(expect.arrayContaining(['time-backwards', 'digest-unnegotiated', 'expcmdsn-ahead',
    'tcp-overlap-conflict', 'tcp-retransmissions', 'tcp-zero-window', 'connect-refused', 'connect-unanswered']));
  // Added freely, as the contract allows; none renames or drops a contract kind.
  expect(FINDING_KINDS.filter((k) => !table.some((r) => r.kind === k.kind)).map((k) => k.kind)).toEqual(['statsn-transposition', 'statsn-wrong-value', 'login-unanswered', 'relogin', 'data-segment-over-limit', 'unframed-bytes', 'tcp-held-limit']);
});

test('the thresholds and their defaults', () => {
  expect(DEFAULT_CHECK_OPTIONS).toEqual({ slowMs: 1000, churnLogins: 5, churnWindowS: 60, windowClosedMs: 100 });
  expect(checkOptions({ slowMs: 250 }).slowMs).toBe(250);
  expect(() => checkOptions({ slowMs: -1 })).toThrow(RangeError);
  expect(() => checkOptions({ churnLogins: Number.NaN })).toThrow(RangeError);
});

