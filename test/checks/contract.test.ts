import { expect, test } from 'vitest';
import { DEFAULT_CHECK_OPTIONS, FINDING_KINDS, checkOptions } from '../../src/checks/index.ts';
import { contract } from './contract.ts';

test('FINDING_KINDS is the contract table (every kind, same names, same severities) plus our additions', () => {
  const table = contract();
  expect(table.length).toBe(24);
  const ours = FINDING_KINDS.filter((k) => table.some((r) => r.kind === k.kind));
  expect(ours.map((k) => [k.kind, k.severity])).toEqual(table.map((r) => [r.kind, r.severity]));
  // Added freely, as the contract allows; none renames or drops a contract kind.
  expect(FINDING_KINDS.filter((k) => !table.some((r) => r.kind === k.kind)).map((k) => k.kind)).toEqual(['relogin', 'data-segment-over-limit']);
});

test('the thresholds and their defaults', () => {
  expect(DEFAULT_CHECK_OPTIONS).toEqual({ slowMs: 1000, churnLogins: 5, churnWindowS: 60, windowClosedMs: 100 });
  expect(checkOptions({ slowMs: 250 }).slowMs).toBe(250);
  expect(() => checkOptions({ slowMs: -1 })).toThrow(RangeError);
  expect(() => checkOptions({ churnLogins: Number.NaN })).toThrow(RangeError);
});

