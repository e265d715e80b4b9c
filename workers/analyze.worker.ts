// The page's worker: reads the dropped File in Blob.slice chunks, runs the engine, and hands the
// complete Analysis back with its typed arrays transferred (moved, not copied). It then stays with
// the File, so the PDU detail view can ask it to re-read and decode one PDU. The page never parses.

import * as Comlink from 'comlink';
import { blobChunks } from '../src/capture/index.ts';
import { analysisBuffers, analyze } from '../src/engine/index.ts';
import type { Analysis } from '../src/engine/index.ts';
import { GzipHeaderStore, readPdu, useGzipHeaders } from './pdu-detail.ts';
import type { PduDetailData, PduDetailRequest } from './pdu-detail.ts';

export type { PduDetailData, PduDetailRequest, HeaderSource, DigestState } from './pdu-detail.ts';

export interface WorkerProgress {
  fileBytes: number;
  totalBytes: number;
  packets: number;
  pdus: number;
}

export interface WorkerResult {
  analysis: Analysis;
  /** Milliseconds spent in analyze(). */
  analyzeMs: number;
}

/** Thrown (across the worker boundary, as its message) when memory ran out. */
const OOM_PREFIX = 'OUT_OF_MEMORY: ';

let file: Blob | undefined;

const api = {
  async analyze(blob: Blob, ports: number[], onProgress: (p: WorkerProgress) => void, chunkSize = 4 << 20): Promise<WorkerResult> {
    const t0 = performance.now();
    let last = 0;
    let analysis: Analysis;
    const head = new Uint8Array(await blob.slice(0, 2).arrayBuffer());
    const gzip = head[0] === 0x1f && head[1] === 0x8b ? new GzipHeaderStore() : undefined;
    try {
      analysis = await analyze(blobChunks(blob, chunkSize), {
        totalBytes: blob.size,
        ports,
        onPdu: gzip ? (p) => gzip.add(p) : undefined,
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 80 && p.fileBytes < blob.size) return;
          last = now;
          void onProgress({ fileBytes: p.fileBytes, totalBytes: blob.size, packets: p.packets, pdus: p.pdus });
        },
      });
    } catch (e) {
      throw asWorkerError(e);
    }
    file = blob;
    gzip?.finish();
    useGzipHeaders(gzip);
    const result: WorkerResult = { analysis, analyzeMs: performance.now() - t0 };
    return Comlink.transfer(result, analysisBuffers(analysis));
  },

  /** Re-read and decode one PDU of the analysed file for the detail view. */
  async pduDetail(request: PduDetailRequest): Promise<PduDetailData> {
    try {
      return await readPdu(file, request);
    } catch (e) {
      throw asWorkerError(e);
    }
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
