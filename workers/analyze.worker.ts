// The page's analysis worker: reads the dropped File in Blob.slice chunks, runs the engine, derives
// the per-connection row lists once, and hands everything back with the typed arrays transferred
// (moved, not copied). The page never parses.

import * as Comlink from 'comlink';
import { blobChunks } from '../src/capture/index.ts';
import { analyze, pduBuffers } from '../src/engine/index.ts';
import type { Analysis } from '../src/engine/index.ts';
import { buildIndex, indexBuffers } from '../src/ui/lib/capture-index.ts';
import type { CaptureIndex } from '../src/ui/lib/capture-index.ts';

export interface WorkerProgress {
  fileBytes: number;
  totalBytes: number;
  packets: number;
  pdus: number;
}

export interface WorkerResult {
  analysis: Analysis;
  index: CaptureIndex;
  /** Milliseconds spent in analyze() and in building the index. */
  analyzeMs: number;
  indexMs: number;
}

/** Thrown (across the worker boundary, as its message) when memory ran out. */
const OOM_PREFIX = 'OUT_OF_MEMORY: ';

const api = {
  async analyze(file: Blob, ports: number[], onProgress: (p: WorkerProgress) => void, chunkSize = 4 << 20): Promise<WorkerResult> {
    const t0 = performance.now();
    let last = 0;
    let analysis: Analysis;
    try {
      analysis = await analyze(blobChunks(file, chunkSize), {
        totalBytes: file.size,
        ports,
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 80 && p.fileBytes < file.size) return;
          last = now;
          void onProgress({ fileBytes: p.fileBytes, totalBytes: file.size, packets: p.packets, pdus: p.pdus });
        },
      });
    } catch (e) {
      throw asWorkerError(e);
    }
    const t1 = performance.now();
    let index: CaptureIndex;
    try {
      index = buildIndex(analysis);
    } catch (e) {
      throw asWorkerError(e);
    }
    const t2 = performance.now();
    const result: WorkerResult = { analysis, index, analyzeMs: t1 - t0, indexMs: t2 - t1 };
    return Comlink.transfer(result, [...pduBuffers(analysis.pdus), ...indexBuffers(index)]);
  },
};

function asWorkerError(e: unknown): Error {
  if (e instanceof RangeError && /alloc|memory|Invalid typed array length|Array buffer/i.test(e.message)) {
    return new Error(`${OOM_PREFIX}${e.message}`);
  }
  if (e instanceof Error) {
    const err = new Error(e.message);
    err.name = e.name;
    return err;
  }
  return new Error(String(e));
}

export type WorkerApi = typeof api;

Comlink.expose(api);
