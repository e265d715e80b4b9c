/** Buffered stdout that respects back-pressure, so a huge listing streams instead of piling up. */
export class Output {
  private parts: string[] = [];
  private size = 0;

  /**
   * Set for a capture read from a pipe, FIFO or device (`tcpdump -w - | iscsi-inspect pdus -`):
   * what has settled is written after every chunk, not held until 64 KiB have gathered.
   */
  live = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
  }

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
  }

  /** Write what is buffered once enough has gathered; await it to let the pipe drain. */
  async maybeFlush(): Promise<void> {
    if (this.size >= 1 << 16 || (this.live && this.size > 0)) await this.flush();
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

/**
 * A JSON array written item by item, text for text what `JSON.stringify(items, null, 2)` gives
 * (then a newline), but never as one string: its size is bounded by the disk, not by V8's largest
 * string (~512 MiB, "Invalid string length" at ~1.6 M findings).
 */
export async function writeJsonArray(out: Output, items: Iterable<unknown>): Promise<void> {
  let n = 0;
  for (const item of items) {
    // JSON text has no raw newline inside a string, so indenting every line is exact.
    const text = (JSON.stringify(item, null, 2) ?? 'null').replace(/\n/g, '\n  ');
    out.write(n++ === 0 ? `[\n  ${text}` : `,\n  ${text}`);
    await out.maybeFlush();
  }
  out.line(n === 0 ? '[]' : '\n]');
}
