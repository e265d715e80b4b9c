import { open } from 'node:fs/promises';

/**
 * Read a file as a stream of chunks. A plain capture is read into one reused buffer (the engine
 * keeps no view of a chunk past push(), and fresh buffers cost a page fault per 4 KiB); a gzip file
 * gets fresh buffers, because the decompressor holds on to its input.
 */
export async function* fileChunks(path: string, chunkSize = 4 << 20): AsyncIterable<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    let buf = new Uint8Array(chunkSize);
    let first = true;
    let reuse = false;
    for (;;) {
      if (!reuse) buf = new Uint8Array(chunkSize);
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) return;
      if (first) {
        reuse = !(bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b);
        first = false;
      }
      yield bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

export async function fileSize(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

/** Buffered stdout that respects back-pressure, so a huge listing streams instead of piling up. */
export class Output {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
  }

  /** Write what is buffered once enough has gathered; await it to let the pipe drain. */
  async maybeFlush(): Promise<void> {
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(text)) {
      await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
  }
}
