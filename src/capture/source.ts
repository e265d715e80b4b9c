import type { PacketSink } from './types.ts';
import { CaptureError, plural } from './errors.ts';
import { CaptureReader, type CaptureInfo, type CaptureReaderOptions } from './reader.ts';
import { maybeGunzip } from './gzip.ts';

/** Read a Blob / File in slices (never whole): works in browsers, Web Workers and Node 20. */
export async function* blobChunks(blob: Blob, chunkSize = 4 * 1024 * 1024): AsyncGenerator<Uint8Array, void, undefined> {
  // The next slice is already being read while the consumer works on this one: the browser reads
  // the file in another process, so reading and parsing overlap instead of adding up.
  const read = (off: number): Promise<ArrayBuffer> => blob.slice(off, Math.min(blob.size, off + chunkSize)).arrayBuffer();
  let next = blob.size > 0 ? read(0) : undefined;
  for (let off = 0; next !== undefined; off += chunkSize) {
    const current = await next;
    next = off + chunkSize < blob.size ? read(off + chunkSize) : undefined;
    yield new Uint8Array(current);
  }
}

/** Iterate a WHATWG ReadableStream (Safari's streams are not async-iterable). */
export async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Read a whole capture: gunzip if needed, parse, deliver every packet to the sink. Resolves with what
 * was read; rejects with CaptureError (the packets before the problem have been delivered).
 */
export async function readCapture(
  chunks: AsyncIterable<Uint8Array>,
  sink: PacketSink,
  options: CaptureReaderOptions = {},
): Promise<CaptureInfo> {
  const reader = new CaptureReader(sink, options);
  const input = maybeGunzip(chunks, { onGzip: () => { reader.compression = 'gzip'; } });
  let inputDone = false;
  try {
    for (;;) {
      let r: IteratorResult<Uint8Array, void>;
      try {
        r = await input.next();
      } catch (e) {
        inputDone = true;
        // A gzip fault knows only decompressed bytes; the reader knows the packets delivered.
        if (e instanceof CaptureError) {
          const n = reader.info.packets;
          throw new CaptureError(e.kind, `${e.message}; ${plural(n, 'packet')} read`, n, e.offset);
        }
        throw e;
      }
      if (r.done) { inputDone = true; break; }
      reader.push(r.value);
    }
    reader.end();
  } finally {
    if (!inputDone) await input.return();
  }
  return reader.info;
}
