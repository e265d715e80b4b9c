import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeBytes } from '../support/analyze.ts';
import { CAPTURES, sharedCaptures } from '../support/shared.ts';

/** The whole pipeline must give the same answer whatever the chunk size (speedscope's lesson). */

function fingerprint(bytes: Uint8Array, chunk: number): string {
  const { analysis, pdus } = analyzeBytes(bytes, chunk);
  const { pdus: columns, details, headerFrames, ...rest } = analysis;
  return JSON.stringify({
    rest,
    pdus,
    columns: Object.entries(columns).map(([k, v]) => [k, typeof v === 'number' ? v : Array.from(v as ArrayLike<number>)]),
    details: [...details].map(([k, v]) => [k, v.opcode, Array.from(v.data), v.dataComplete]),
    headerFrames: [...headerFrames],
  });
}

describe('chunk-size invariance of the whole pipeline', () => {
  for (const capture of sharedCaptures()) {
    const bytes = readFileSync(join(CAPTURES, capture));
    const sizes = [1, 7, 4096];
    test(`${capture}: chunks of ${sizes.join(', ')} bytes give what 1 MiB chunks give`, () => {
      const reference = fingerprint(bytes, 1 << 20);
      for (const size of sizes) expect(fingerprint(bytes, size), `chunk size ${size}`).toBe(reference);
    });
  }
});
