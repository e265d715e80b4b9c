import { Gunzip } from 'fflate';
import { CaptureError, fmtInt } from './errors.ts';

/** No decompressed piece handed on is larger than this, whatever the compression ratio. */
export const MAX_GUNZIP_PIECE = 1 << 20;

export interface MaybeGunzipOptions {
  /** Called once, before the first decompressed chunk, when the stream turns out to be gzip. */
  onGzip?: () => void;
  /**
   * Which inflater: 'platform' is DecompressionStream, 'fflate' the fflate library, 'auto' (the
   * default) the platform's in Node and fflate elsewhere. Node's DecompressionStream is zlib: it
   * decodes every member of a multi-member file, checks each member's CRC-32, and inflates only as
   * fast as its output is read (16 KiB pieces). Browsers' stops after the first member (the
   * Compression Streams spec allows one) and inflates each written chunk whole before anything can
   * be read (a 4 MiB chunk of a gzip bomb is GBs at once); fflate reads every member, and fed in
   * small slices its output per step stays small.
   */
  inflater?: 'auto' | 'platform' | 'fflate';
}

/**
 * Pass a byte stream through unchanged, unless it starts with the gzip magic (1f 8b): then
 * decompress it, every member of it (`cat a.gz b.gz`), handing on pieces of at most
 * MAX_GUNZIP_PIECE bytes, decompressed only as the consumer asks for them.
 *
 * A corrupt gzip stream ends the iteration with CaptureError 'corrupt' (or 'truncated' when the
 * compressed data stops early), after the bytes decompressed before the fault have been yielded.
 * Each member's CRC-32 and length are checked against its trailer (zlib does; for fflate, here).
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
    const markDone = (): void => { sourceDone = true; };
    const inflater = options.inflater ?? 'auto';
    const platform = inflater === 'platform' || (inflater === 'auto' && isNode());
    for await (const piece of platform ? gunzip(head, it, markDone) : fflateGunzip(head, it, markDone)) yield* pieces(piece);
  } finally {
    if (!sourceDone) await it.return?.();
  }
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** A large piece as views of at most MAX_GUNZIP_PIECE bytes (no copies). */
function* pieces(b: Uint8Array): Generator<Uint8Array, void, undefined> {
  if (b.length <= MAX_GUNZIP_PIECE) {
    yield b;
    return;
  }
  for (let o = 0; o < b.length; o += MAX_GUNZIP_PIECE) yield b.subarray(o, Math.min(b.length, o + MAX_GUNZIP_PIECE));
}

/**
 * Compressed input goes to fflate in slices, so each step inflates a bounded amount: deflate
 * expands at most 1032:1, so a 16 KiB slice makes at most ~16.5 MiB. Where the data expands by more
 * than 64:1 (no capture does; a bomb does) the slices shrink to 1 KiB, i.e. at most ~1 MiB a step.
 */
const FFLATE_SLICE = 16 << 10;
const FFLATE_SLICE_SUSPICIOUS = 1 << 10;
const SUSPICIOUS_RATIO = 64;

async function* fflateGunzip(head: Uint8Array[], it: AsyncIterator<Uint8Array>, markDone: () => void): AsyncGenerator<Uint8Array, void, undefined> {
  const ready: Uint8Array[] = [];
  const check = new MemberCheck();
  const inflater = new Gunzip((data) => {
    if (data.length === 0) return;
    check.output(data);
    ready.push(data);
  });
  // fflate calls this when the next member's header has been read: the previous member ended just
  // before it, and its 8-byte trailer (CRC-32, ISIZE) is the 8 bytes before `offset`.
  inflater.onmember = (offset) => { check.memberEnd(offset); };
  let compressedIn = 0;
  let decompressedOut = 0;
  let slice = FFLATE_SLICE;
  // A fault is thrown after fflate has already handed on what it inflated before it (the end of a
  // member, then a bad next header): that output is yielded first.
  let fault: CaptureError | undefined;
  const push = (c: Uint8Array, final: boolean): void => {
    check.input(c);
    try {
      inflater.push(c, final);
      if (final) check.streamEnd();
    } catch (e) {
      let pending = 0;
      for (const piece of ready) pending += piece.length;
      fault = gzipError(e, final, compressedIn, decompressedOut + pending);
    }
  };
  let headIndex = 0;
  for (;;) {
    let chunk: Uint8Array;
    if (headIndex < head.length) chunk = head[headIndex++];
    else {
      const r = await it.next();
      if (r.done) { markDone(); break; }
      chunk = r.value;
    }
    for (let o = 0; o < chunk.length;) {
      const n = Math.min(slice, chunk.length - o);
      compressedIn += n;
      push(chunk.subarray(o, o + n), false);
      o += n;
      let out = 0;
      for (const piece of ready) {
        out += piece.length;
        decompressedOut += piece.length;
        yield piece;
      }
      ready.length = 0;
      if (fault) throw fault;
      slice = out > n * SUSPICIOUS_RATIO ? FFLATE_SLICE_SUSPICIOUS : FFLATE_SLICE;
    }
  }
  push(new Uint8Array(0), true);
  for (const piece of ready) yield piece;
  if (fault) throw fault;
}

/** CRC-32 as gzip's trailer has it (ISO 3309, reflected 0xEDB88320), eight bytes a step. */
const CRC_TABLES = ((): Int32Array[] => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k][n] = (t[k - 1][n] >>> 8) ^ t[0][t[k - 1][n] & 0xff];
  return t;
})();

function crc32Update(crc: number, b: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES;
  let c = ~crc;
  let i = 0;
  for (const end = b.length - 8; i <= end; i += 8) {
    const lo = c ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    c = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24]
      ^ t3[b[i + 4]] ^ t2[b[i + 5]] ^ t1[b[i + 6]] ^ t0[b[i + 7]];
  }
  for (; i < b.length; i++) c = t0[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * What zlib checks and fflate does not: each member's CRC-32 and length (ISIZE) against its trailer.
 * The trailer is found by its compressed offset, in the slice being inflated or the last bytes of
 * the one before (a member's next header longer than that, in a file name, goes unchecked).
 */
class MemberCheck {
  private crc = 0;
  private size = 0;
  private member = 1;
  private total = 0;
  private slice: Uint8Array = new Uint8Array(0);
  private before = new Uint8Array(0);

  input(c: Uint8Array): void {
    if (this.slice.length > 0) {
      const keep = new Uint8Array(Math.min(1024, this.before.length + this.slice.length));
      const fromSlice = Math.min(keep.length, this.slice.length);
      keep.set(this.before.subarray(this.before.length - (keep.length - fromSlice)), 0);
      keep.set(this.slice.subarray(this.slice.length - fromSlice), keep.length - fromSlice);
      this.before = keep;
    }
    this.slice = c;
    this.total += c.length;
  }

  output(d: Uint8Array): void {
    this.crc = crc32Update(this.crc, d);
    this.size = (this.size + d.length) >>> 0;
  }

  memberEnd(nextOffset: number): void {
    this.verify(nextOffset);
    this.member++;
    this.crc = 0;
    this.size = 0;
  }

  streamEnd(): void {
    this.verify(this.total);
  }

  private byteAt(pos: number): number | undefined {
    const sliceStart = this.total - this.slice.length;
    if (pos >= sliceStart) return pos < this.total ? this.slice[pos - sliceStart] : undefined;
    const i = pos - (sliceStart - this.before.length);
    return i >= 0 ? this.before[i] : undefined;
  }

  private word(pos: number): number | undefined {
    let v = 0;
    for (let k = 3; k >= 0; k--) {
      const b = this.byteAt(pos + k);
      if (b === undefined) return undefined;
      v = (v << 8) | b;
    }
    return v >>> 0;
  }

  private verify(end: number): void {
    const crc = this.word(end - 8);
    const size = this.word(end - 4);
    if (crc === undefined || size === undefined) return;
    if (crc !== this.crc) throw new Error(`incorrect data check (CRC-32 of member ${this.member})`);
    if (size !== this.size) throw new Error(`incorrect length check (ISIZE of member ${this.member})`);
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
  if (e instanceof CaptureError) return e;
  const why = e instanceof Error ? e.message : String(e);
  // A stream that just stops ("unexpected end of file") is a cut file, not a damaged one.
  const cut = inputEnded && /unexpected end|unexpected eof|end of (the )?(file|stream|data|input)|truncat|incomplete|premature/i.test(why);
  if (cut) {
    return new CaptureError('truncated',
      `The gzip stream ends early, after ${fmtInt(compressedIn)} compressed bytes`
      + ` (${fmtInt(decompressedOut)} bytes decompressed): ${why}`, 0, decompressedOut);
  }
  return new CaptureError('corrupt',
    `The gzip stream is corrupt within its first ${fmtInt(compressedIn)} compressed bytes`
    + ` (${fmtInt(decompressedOut)} bytes decompressed before the fault): ${why}`, 0, decompressedOut);
}
