/**
 * Small FIFOs of per-direction TCP state, in typed arrays grown on demand up to a bound (so a
 * crafted capture cannot make them large) and popped from the front as ACKs advance.
 */

/** a after b in 32-bit sequence space (Wireshark's GT_SEQ). */
export function gtSeq(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** a before b (LT_SEQ). */
export function ltSeq(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a before or at b (LE_SEQ). */
export function leSeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

const MIN_CAP = 16;

/** Next sequence numbers of segments not yet acknowledged, in the order sent: what Wireshark's
 *  list of unacknowledged segments holds, kept only to know when that list is full. */
export class UnackedRing {
  private next = new Uint32Array(0);
  private head = 0;
  size = 0;

  constructor(private readonly max: number) {}

  /** false when `max` segments are held already (Wireshark then stops adding them too). */
  push(nextSeq: number): boolean {
    if (this.size >= this.max) return false;
    if (this.size === this.next.length) this.grow();
    this.next[(this.head + this.size) & (this.next.length - 1)] = nextSeq;
    this.size++;
    return true;
  }

  /** Drop the segments at the front that `ack` covers. */
  popAcked(ack: number): void {
    const a = this.next, m = a.length - 1;
    while (this.size > 0 && ((a[this.head] - ack) | 0) <= 0) {
      this.head = (this.head + 1) & m;
      this.size--;
    }
  }

  /** Drop every segment `ack` covers, wherever it is (a retransmission sits behind later data). */
  compact(ack: number): void {
    const a = this.next, m = a.length - 1;
    let w = 0;
    for (let i = 0; i < this.size; i++) {
      const v = a[(this.head + i) & m];
      if (((v - ack) | 0) > 0) a[(this.head + w++) & m] = v;
    }
    this.size = w;
  }

  private grow(): void {
    const n = Math.max(MIN_CAP, this.next.length * 2);
    const b = new Uint32Array(n);
    const m = this.next.length - 1;
    for (let i = 0; i < this.size; i++) b[i] = this.next[(this.head + i) & m];
    this.next = b;
    this.head = 0;
  }
}

/**
 * First transmissions of data not yet acknowledged, in sequence order: when each range was first
 * sent and how often it was sent again, for the longest wait and the most back-offs of one
 * segment. Bounded: past `max` entries the oldest is forgotten.
 */
export class OriginalsRing {
  private seq = new Uint32Array(0);
  private end = new Uint32Array(0);
  private time = new Float64Array(0);
  private resent = new Uint32Array(0);
  private head = 0;
  size = 0;

  constructor(private readonly max: number) {}

  push(seq: number, end: number, time: number): void {
    if (this.size === this.seq.length) {
      if (this.seq.length >= this.max) {
        this.head = (this.head + 1) & (this.seq.length - 1);
        this.size--;
      } else {
        this.grow();
      }
    }
    const i = (this.head + this.size) & (this.seq.length - 1);
    this.seq[i] = seq;
    this.end[i] = end;
    this.time[i] = time;
    this.resent[i] = 0;
    this.size++;
  }

  popAcked(ack: number): void {
    const m = this.seq.length - 1;
    while (this.size > 0 && ((this.end[this.head] - ack) | 0) <= 0) {
      this.head = (this.head + 1) & m;
      this.size--;
    }
  }

  /**
   * A retransmission of [seq, seq + len) at `time`: counts it on every original range it
   * overlaps (at most `limit` of them) and returns the longest wait since a first transmission
   * and the most retransmissions of one range, in `out`.
   */
  resend(seq: number, len: number, time: number, out: { wait: number; count: number }): void {
    out.wait = -1;
    out.count = 0;
    if (this.size === 0) return;
    const m = this.seq.length - 1;
    // First entry whose end lies after seq (entries are in sequence order).
    let lo = 0, hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (((this.end[(this.head + mid) & m] - seq) | 0) > 0) hi = mid; else lo = mid + 1;
    }
    const stop = (seq + len) >>> 0;
    for (let k = lo, n = 0; k < this.size && n < 64; k++, n++) {
      const i = (this.head + k) & m;
      if (((this.seq[i] - stop) | 0) >= 0) break;
      const c = ++this.resent[i];
      const w = time - this.time[i];
      if (w > out.wait) out.wait = w;
      if (c > out.count) out.count = c;
    }
  }

  private grow(): void {
    const n = Math.max(MIN_CAP, this.seq.length * 2);
    const m = this.seq.length - 1;
    const s = new Uint32Array(n), e = new Uint32Array(n), t = new Float64Array(n), r = new Uint32Array(n);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & m;
      s[k] = this.seq[i];
      e[k] = this.end[i];
      t[k] = this.time[i];
      r[k] = this.resent[i];
    }
    this.seq = s;
    this.end = e;
    this.time = t;
    this.resent = r;
    this.head = 0;
  }
}

/** ACK watches of one direction: (sequence number the peer's ACK must reach, token), in stream
 *  order. */
export class WatchRing {
  private ackSeq = new Uint32Array(0);
  private token = new Float64Array(0);
  private head = 0;
  size = 0;

  constructor(private readonly max: number) {}

  /** false when the ring is full. */
  push(ackSeq: number, token: number): boolean {
    if (this.size === this.ackSeq.length) {
      if (this.ackSeq.length >= this.max) return false;
      const n = Math.max(MIN_CAP, this.ackSeq.length * 2);
      const m = this.ackSeq.length - 1;
      const a = new Uint32Array(n), t = new Float64Array(n);
      for (let k = 0; k < this.size; k++) {
        a[k] = this.ackSeq[(this.head + k) & m];
        t[k] = this.token[(this.head + k) & m];
      }
      this.ackSeq = a;
      this.token = t;
      this.head = 0;
    }
    const i = (this.head + this.size) & (this.ackSeq.length - 1);
    this.ackSeq[i] = ackSeq;
    this.token[i] = token;
    this.size++;
    return true;
  }

  /** The front watch's sequence number (call only when size > 0). */
  frontSeq(): number {
    return this.ackSeq[this.head];
  }

  /** Remove the front watch and return its token. */
  shift(): number {
    const t = this.token[this.head];
    this.head = (this.head + 1) & (this.ackSeq.length - 1);
    this.size--;
    return t;
  }
}
