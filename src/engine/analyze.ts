import { CaptureError, maybeGunzip } from '../capture/index.ts';
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

/** The one entry point for the worker and the CLI: read a capture's chunks, return the Analysis. */
export async function analyze(chunks: AsyncIterable<Uint8Array>, options: AnalyzeOptions = {}): Promise<Analysis> {
  const analyzer = new Analyzer(options);
  let fileBytes = 0;
  const counted = countBytes(chunks, (n) => { fileBytes += n; });
  try {
    for await (const chunk of maybeGunzip(counted, { onGzip: () => analyzer.setCompression('gzip') })) {
      if (options.signal?.aborted) throw new AnalysisCancelled();
      analyzer.push(chunk);
      options.onProgress?.({ fileBytes, totalBytes: options.totalBytes, packets: analyzer.packetCount, pdus: analyzer.pduCount });
      if (options.afterChunk) await options.afterChunk(analyzer);
      // A fatal error (not a capture, a corrupt record) ends the reading at once: /dev/zero never ends.
      if (analyzer.failed) break;
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
