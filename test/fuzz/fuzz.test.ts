import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { fuzz } from '../../scripts/fuzz-core.ts';
import { CAPTURES, sharedCaptures } from '../support/shared.ts';

// A few thousand mutated captures on every test run; `npm run fuzz -- --cases 1000000` goes further and
// also holds each case to a second (timings belong there, not in the unit run; a hang here still ends
// at the test's timeout).
test('mutated captures: no exception, same answer whatever the chunk size', () => {
  const inputs = sharedCaptures().map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(CAPTURES, f))) }));
  const report = fuzz(inputs, { cases: 3000, seed: 20261122, timeLimitMs: Number.POSITIVE_INFINITY });
  expect(report.failures.map((f) => `case ${f.caseIndex} (${f.input}; ${f.mutations.join(', ')}): ${f.reason}`)).toEqual([]);
  // The mutations must actually produce broken captures, not only clean ones.
  expect(Object.keys(report.errorsByKind).length).toBeGreaterThan(1);
}, 300_000);
