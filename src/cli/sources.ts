import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** What `-` names on the command line: the capture comes in on standard input. */
export const STDIN = '-';

/** A capture input that could not be opened or read, with a one-line reason (exit status 1). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface CaptureChunksOptions {
  /** Bytes a read asks for (default 4 MiB). */
  chunkSize?: number;
  /** Called once the input is open: `regular` is false for stdin, a FIFO or a device (a live capture, maybe). */
  onOpen?: (info: { regular: boolean }) => void;
}

/**
 * Read a capture named on the command line as a stream of chunks: a regular file, `-` (standard
 * input), a FIFO or a character device, all the same way. Each is opened once and read once, front
 * to back, without asking for its size: a FIFO opened twice (once to stat, once to read) hangs or
 * reads as empty depending on which open the writer meets.
 *
 * A regular file is read into one reused buffer (the engine keeps no view of a chunk past push(),
 * and fresh buffers cost a page fault per 4 KiB); a gzip file, and anything that is not a regular
 * file, gets fresh buffers, because the decompressor holds on to its input.
 */
export async function* captureChunks(name: string, options: CaptureChunksOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const chunkSize = options.chunkSize ?? 4 << 20;
  if (name === STDIN) {
    options.onOpen?.({ regular: false });
    yield* stdinChunks();
    return;
  }
  const fh = await open(name, 'r');
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), { code: 'EISDIR', syscall: 'read', path: name });
    options.onOpen?.({ regular: st.isFile() });
    yield* handleChunks(fh, chunkSize, st.isFile());
  } finally {
    await fh.close();
  }
}

async function* handleChunks(fh: FileHandle, chunkSize: number, regular: boolean): AsyncGenerator<Uint8Array, void, undefined> {
  let buf = new Uint8Array(chunkSize);
  let first = true;
  let reuse = false;
  for (;;) {
    if (!reuse) buf = new Uint8Array(chunkSize);
    const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
    if (bytesRead === 0) return;
    if (first) {
      reuse = regular && !(bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b);
      first = false;
    }
    yield bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead);
  }
}

/**
 * Standard input through Node's own stream for whatever it is (pipe, socket, file, terminal): a
 * pipe handed over non-blocking makes a plain read(0) fail with EAGAIN, the stream handles that.
 * A terminal is refused: nobody types a capture.
 */
async function* stdinChunks(): AsyncGenerator<Uint8Array, void, undefined> {
  if (process.stdin.isTTY) throw new InputError('standard input is a terminal: pipe a capture in (tcpdump -w - … | iscsi-inspect … -)');
  for await (const chunk of process.stdin as AsyncIterable<Uint8Array>) yield chunk;
}

/** The name a capture goes by in output (summary's `file`, Parquet's `capture` column). */
export function captureName(name: string): string {
  return name === STDIN ? '(stdin)' : name;
}
