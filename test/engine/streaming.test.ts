import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyze } from '../../src/engine/index.ts';
import { writeBulkCapture } from '../../src/synth/bulk.ts';
import { runCli, jsonLines } from '../cli/run.ts';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, sharedCaptures } from '../support/shared.ts';

async function* chunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.subarray(o, Math.min(bytes.length, o + size));
}

/** Checks the watermark promise: no PDU ever turns up below a frame already declared settled. */
async function watch(bytes: Uint8Array, chunk: number): Promise<{ settledBeforeEnd: number; frames: number; violations: number }> {
  let settled = 0;
  let violations = 0;
  let frames = 0;
  await analyze(chunks(bytes, chunk), {
    onPdu: (p) => { if (p.frame < settled) violations++; },
    afterChunk: (a) => { settled = Math.max(settled, a.settledFrame()); frames = a.packetCount; },
  });
  return { settledBeforeEnd: settled, frames, violations };
}

describe('streaming: PDUs settle in frame order while the capture is read', () => {
  test('a 20 MB bulk capture: most PDUs are settled before the end, none comes in below the mark', async () => {
    const parts: Uint8Array[] = [];
    writeBulkCapture({ targetBytes: 20e6, onChunk: (c) => parts.push(c.slice()) });
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    const r = await watch(bytes, 1 << 20);
    expect(r.violations).toBe(0);
    expect(r.settledBeforeEnd).toBeGreaterThan(r.frames * 0.9);
  });

  for (const capture of sharedCaptures()) {
    test(`${capture}: the watermark holds with 4 KiB chunks, and the CLI's streamed listing is in frame order`, async () => {
      const bytes = new Uint8Array(readFileSync(join(CAPTURES, capture)));
      expect((await watch(bytes, 4096)).violations).toBe(0);
      const { stdout } = await runCli(['pdus', join(CAPTURES, capture)]);
      const streamed = jsonLines(stdout);
      const { pdus } = analyzeFile(join(CAPTURES, capture));
      expect(streamed).toEqual(JSON.parse(JSON.stringify(pdus)));
    });
  }
});
