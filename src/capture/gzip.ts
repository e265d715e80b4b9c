import { CaptureError, fmtInt } from './errors.ts';

export interface MaybeGunzipOptions {
  /** Called once, before the first decompressed chunk, when the stream turns out to be gzip. */
  onGzip?: () => void;
}

/**
 * Pass a byte stream through unchanged, unless it starts with the gzip magic (1f 8b): then
 * decompress it with the platform's DecompressionStream (Node 18+, browsers, Web Workers).
 *
 * A corrupt gzip stream ends the iteration with CaptureError 'corrupt' (or 'truncated' when the
 * compressed data stops early), after every byte decompressed before the fault has been yielded.
 *
 * Concatenated gzip members (`cat a.gz b.gz`): Node 20's DecompressionStream decodes them all;
 * browsers follow the Compression Streams spec ("a gzip stream may only contain one member") and
 * fail after the first member, which surfaces here as CaptureError 'corrupt'.
 */
export async function* maybeGunzip(chunks: AsyncIterable<Uint8Array>, options: MaybeGunzipOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const it = chunks[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headLen = 0;
  let sourceDone = false;
  try {
    while (headLen < 2) {
      const r = await it.next();
      if (r.done) { sourceDone = true; break; }
      if (r.value.length === 0) continue;
      head.push(r.value);
      headLen += r.value.length;
    }
    const b0 = head.length > 0 ? head[0][0] : -1;
    const b1 = head.length === 0 ? -1 : head[0].length > 1 ? head[0][1] : head.length > 1 ? head[1][0] : -1;
    if (b0 !== 0x1f || b1 !== 0x8b) {
      for (const c of head) yield c;
      if (sourceDone) return;
      for (;;) {
        const r = await it.next();
        if (r.done) { sourceDone = true; return; }
        yield r.value;
      }
    }
    options.onGzip?.();
    yield* gunzip(head, it, () => { sourceDone = true; });
  } finally {
    if (!sourceDone) await it.return?.();
  }
}

async function* gunzip(head: Uint8Array[], it: AsyncIterator<Uint8Array>, markDone: () => void): AsyncGenerator<Uint8Array, void, undefined> {
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let compressedIn = 0;
  let decompressedOut = 0;
  let inputEnded = false;
  let stop = false;
  let pumpError: unknown = null;

  // Feed the compressed bytes in, respecting backpressure, while this generator reads the output.
  const pump = (async () => {
    try {
      const feed = async (c: Uint8Array): Promise<void> => {
        await writer.ready;
        compressedIn += c.length;
        // (A view of a SharedArrayBuffer is copied: the stream accepts only ArrayBuffer views.)
        const own: Uint8Array<ArrayBuffer> = c.buffer instanceof ArrayBuffer ? (c as Uint8Array<ArrayBuffer>) : c.slice();
        writer.write(own).catch(() => { /* surfaces on the readable side */ });
      };
      for (const c of head) {
        if (stop) return;
        await feed(c);
      }
      for (;;) {
        if (stop) return;
        let r: IteratorResult<Uint8Array>;
        try {
          r = await it.next();
        } catch (e) {
          // The source failed (not the decompressor): make the reading side stop too.
          pumpError = e;
          await writer.abort(e).catch(() => {});
          return;
        }
        if (r.done) { markDone(); break; }
        if (r.value.length > 0) await feed(r.value);
      }
      inputEnded = true;
      await writer.close();
    } catch {
      // The decompressor failed: its error comes out of reader.read().
    }
  })();

  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (pumpError !== null) throw pumpError;
        throw gzipError(e, inputEnded, compressedIn, decompressedOut);
      }
      if (r.done) break;
      decompressedOut += r.value.length;
      yield r.value;
    }
    await pump;
    if (pumpError !== null) throw pumpError;
  } finally {
    stop = true;
    reader.cancel().catch(() => {});
    writer.abort().catch(() => {});
    await pump.catch(() => {});
  }
}

function gzipError(e: unknown, inputEnded: boolean, compressedIn: number, decompressedOut: number): CaptureError {
  const why = e instanceof Error ? e.message : String(e);
  // A stream that just stops ("unexpected end of file") is a cut file, not a damaged one.
  const cut = inputEnded && /unexpected end|end of (the )?(file|stream|data|input)|truncat|incomplete|premature/i.test(why);
  if (cut) {
    return new CaptureError('truncated',
      `The gzip stream ends early, after ${fmtInt(compressedIn)} compressed bytes`
      + ` (${fmtInt(decompressedOut)} bytes decompressed): ${why}`, 0, decompressedOut);
  }
  return new CaptureError('corrupt',
    `The gzip stream is corrupt within its first ${fmtInt(compressedIn)} compressed bytes`
    + ` (${fmtInt(decompressedOut)} bytes decompressed before the fault): ${why}`, 0, decompressedOut);
}
