import { CaptureError, maybeGunzip, mergeCaptures } from '../capture/index.ts';
import type { CaptureSource } from '../capture/index.ts';
import { Analyzer } from './analyzer.ts';
import type { AnalyzerOptions } from './analyzer.ts';
import type { Analysis } from './types.ts';

export interface Progress {
  /** Bytes of the file consumed so far (compressed bytes for a gzip capture). */
  fileBytes: number;
  /** Size of the file, when known. */
  totalBytes: number | undefined;
  packets: number;
  pdus: number;
}

export interface AnalyzeOptions extends AnalyzerOptions {
  signal?: AbortSignal;
  totalBytes?: number;
  onProgress?: (p: Progress) => void;
  /** Awaited after each chunk: lets a streaming consumer write out what has settled (see settledFrame). */
  afterChunk?: (analyzer: Analyzer) => void | Promise<void>;
}

export class AnalysisCancelled extends Error {
  constructor() {
    super('Analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}

/** The most bytes handed to the analyzer between two afterChunk calls. */
const STEP = 512 << 10;

/** The one entry point for the worker and the CLI: read a capture's chunks, return the Analysis. */
export async function analyze(chunks: AsyncIterable<Uint8Array>, options: AnalyzeOptions = {}): Promise<Analysis> {
  const analyzer = new Analyzer(options);
  let fileBytes = 0;
  const counted = countBytes(chunks, (n) => { fileBytes += n; });
  try {
    reading: for await (const chunk of maybeGunzip(counted, { onGzip: () => analyzer.setCompression('gzip') })) {
      // In steps of at most STEP bytes (views, no copies), each followed by afterChunk: a dense
      // hostile capture can hold 30,000 connections in 4 MiB, more than a memory guard may let
      // through unseen.
      for (let off = 0; off < chunk.length; off += STEP) {
        if (options.signal?.aborted) throw new AnalysisCancelled();
        analyzer.push(off === 0 && chunk.length <= STEP ? chunk : chunk.subarray(off, Math.min(chunk.length, off + STEP)));
        options.onProgress?.({ fileBytes, totalBytes: options.totalBytes, packets: analyzer.packetCount, pdus: analyzer.pduCount });
        if (options.afterChunk) await options.afterChunk(analyzer);
        // A fatal error (not a capture, a corrupt record) ends the reading at once: /dev/zero never ends.
        if (analyzer.failed) break reading;
      }
    }
  } catch (e) {
    // A corrupt or cut gzip stream: keep what was decompressed and read before it.
    if (!(e instanceof CaptureError)) throw e;
    analyzer.fail(e);
  }
  return analyzer.finish();
}

async function* countBytes(chunks: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const c of chunks) {
    add(c.length);
    yield c;
  }
}

export interface AnalyzeCapturesOptions extends AnalyzeOptions {
  /** Told once when the files overlap in time and are merged by time rather than concatenated. */
  onMerged?: (message: string) => void;
}

/**
 * Several captures read as one (a tcpdump ring, rotated files): frames numbered across them, a
 * connection that spans files one connection; files that overlap in time merged by time. One
 * source is read as analyze() reads it. A file that cannot be read to its end is reported (its name
 * first) and the others are still read.
 */
export async function analyzeCaptures(sources: readonly CaptureSource[], options: AnalyzeCapturesOptions = {}): Promise<Analysis> {
  if (sources.length === 1) return analyze(sources[0].chunks, options);
  const analyzer = new Analyzer(options);
  const result = await mergeCaptures(sources, analyzer, {
    onMerged: options.onMerged,
    signal: options.signal,
    onChunk: async (bytes) => {
      if (options.signal?.aborted) throw new AnalysisCancelled();
      options.onProgress?.({ fileBytes: bytes, totalBytes: options.totalBytes, packets: analyzer.packetCount, pdus: analyzer.pduCount });
      if (options.afterChunk) await options.afterChunk(analyzer);
    },
  });
  if (options.signal?.aborted) throw new AnalysisCancelled();
  analyzer.setInput(result.info);
  if (result.errors.length) {
    const [first, ...rest] = result.errors;
    analyzer.fail(rest.length ? new CaptureError(first.kind, `${first.message} (and ${rest.length} more file${rest.length === 1 ? '' : 's'} could not be read to the end)`, first.packetsRead, first.offset) : first);
  }
  return analyzer.finish();
}
