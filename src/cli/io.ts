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
