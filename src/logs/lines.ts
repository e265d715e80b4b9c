// Bytes → lines, in chunks of any size. A line ends at LF (a CR before it is dropped); a line longer
// than maxLineBytes keeps its first maxLineBytes bytes and is flagged cut, the rest is skipped
// without being held. Bytes are decoded as UTF-8 with invalid sequences replaced (U+FFFD), so any
// input decodes; control characters and NULs stay in the text as data.

/** Longest line kept whole (bytes). Kernel, iscsid and target lines are far shorter. */
export const DEFAULT_MAX_LINE_BYTES = 8192;

export type LineSink = (text: string, lineNumber: number, cut: boolean) => void;

export interface LineSplitterOptions {
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly maxLineBytes: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  /** The start of a line that began in an earlier chunk (at most maxLineBytes + 1 bytes: one more
   *  to see a CR before the LF of a line exactly at the limit). */
  private readonly carry: Uint8Array;
  private carryLen = 0;
  /** Bytes of the current line seen so far, kept or not. */
  private lineBytes = 0;
  private lineNo = 0;
  private first = true;

  constructor(private readonly sink: LineSink, opts: LineSplitterOptions = {}) {
    const m = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxLineBytes = Number.isSafeInteger(m) && m >= 16 ? m : DEFAULT_MAX_LINE_BYTES;
    this.carry = new Uint8Array(this.maxLineBytes + 1);
  }

  /** Lines emitted so far. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl < 0 ? n : nl;
      if (this.lineBytes === 0 && nl >= 0) {
        // The whole line is in this chunk: decode it in place.
        this.emitView(chunk, pos, end);
      } else {
        this.append(chunk, pos, end);
        if (nl >= 0) this.emitCarry();
      }
      pos = nl < 0 ? n : nl + 1;
    }
  }

  /** Emits the last line when the input does not end with LF. */
  end(): void {
    if (this.lineBytes > 0) this.emitCarry();
  }

  private append(b: Uint8Array, from: number, to: number): void {
    const room = this.carry.length - this.carryLen;
    const take = Math.min(room, to - from);
    if (take > 0) {
      this.carry.set(b.subarray(from, from + take), this.carryLen);
      this.carryLen += take;
    }
    this.lineBytes += to - from;
  }

  private emitView(b: Uint8Array, from: number, to: number): void {
    let end = to;
    if (end > from && b[end - 1] === CR) end--;
    const cut = end - from > this.maxLineBytes;
    if (cut) end = from + this.maxLineBytes;
    this.emit(b.subarray(from, cut ? trimPartial(b, from, end) : end), cut);
  }

  private emitCarry(): void {
    const total = this.lineBytes;
    let len = this.carryLen;
    // A CR right before the LF belongs to the terminator (only knowable when the line was kept whole).
    if (total === len && len > 0 && this.carry[len - 1] === CR) len--;
    const whole = total === this.carryLen ? len : total;
    const cut = whole > this.maxLineBytes;
    if (cut) len = trimPartial(this.carry, 0, this.maxLineBytes);
    this.emit(this.carry.subarray(0, len), cut);
    this.carryLen = 0;
    this.lineBytes = 0;
  }

  private emit(bytes: Uint8Array, cut: boolean): void {
    let text = this.decoder.decode(bytes);
    if (this.first) {
      this.first = false;
      // A byte-order mark is dropped at the start of the file only; elsewhere it is data (the
      // decoder keeps every BOM: each decode() call would otherwise count as a new stream).
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.sink(text, ++this.lineNo, cut);
  }
}

/** End of bytes[from, end) without a UTF-8 sequence cut in two at `end` (so a cut line ends cleanly). */
function trimPartial(b: Uint8Array, from: number, end: number): number {
  let i = end - 1;
  let k = 0;
  while (i >= from && k < 3 && (b[i] & 0xc0) === 0x80) { i--; k++; }
  if (i < from) return end;
  const lead = b[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > 1 && end - i < need ? i : end;
}
