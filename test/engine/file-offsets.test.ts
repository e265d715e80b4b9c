import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeBytes } from '../support/analyze.ts';
import { CAPTURES, sharedCaptures } from '../support/shared.ts';

/** Each PDU's recorded file offset leads back to its header: what the page re-reads for the detail view. */
describe('file offsets of PDU headers', () => {
  for (const capture of sharedCaptures()) {
    test(capture, () => {
      const file = new Uint8Array(readFileSync(join(CAPTURES, capture)));
      const { analysis } = analyzeBytes(file);
      const c = analysis.pdus;
      const word = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
      let split = 0;
      for (let i = 0; i < c.count; i++) {
        const kept = analysis.headerFrames.get(i);
        if (kept) split++;
        const h = kept ? kept.header : file.subarray(c.fileOffset[i], c.fileOffset[i] + 48);
        const got = [h[0], h[1], h[2], h[3], word(h, 4), word(h, 16), word(h, 20), word(h, 24), word(h, 28), word(h, 32), word(h, 36)];
        const want = [c.b0[i], c.b1[i], c.b2[i], c.b3[i], c.w4[i], c.itt[i], c.w20[i], c.w24[i], c.w28[i], c.w32[i], c.w36[i]];
        expect(got, `row ${i} (frame ${c.frame[i]})`).toEqual(want);
      }
      expect(split).toBeLessThanOrEqual(c.count);
    });
  }
});
