import { open } from 'node:fs/promises';

/** Read a file as a stream of chunks (fresh buffers: consumers may keep views until the next one). */
export async function* fileChunks(path: string, chunkSize = 4 << 20): AsyncIterable<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const buf = new Uint8Array(chunkSize);
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) return;
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
