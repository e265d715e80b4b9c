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

// Every ring starts on these (never written: a ring grows before its first entry), so an idle
// connection's four rings cost no buffers of their own — a scan opens thousands of connections.
const NO_SEQS = new Int32Array(0);
const NO_TIMES = new Float64Array(0);

/**
 * Wireshark's list of segments not yet acknowledged (tcp_unacked_t), as next sequence number and
 * time sent, oldest first. It tells when the list is full (TCP_MAX_UNACKED_SEGMENTS, after which a
 * SYN or FIN no longer counts its sequence number) and how old its oldest segment is (what
 * tcp.analysis.rto measures a retransmission from). Wireshark drops any segment an ACK covers;
 * here the front is dropped as ACKs cover it, and the rest once the list is full: a segment an
 * ACK covered while behind an uncovered one (a retransmission of older data) is counted a little
 * longer, which changes nothing until the list holds 10,000 segments.
 */
export class UnackedRing {
  private next = NO_SEQS;
  private time = NO_TIMES;
  private head = 0;
  /** next.length - 1 (the length is a power of two). */
  private mask = -1;
  /** Entries that fit before growing (or refusing, at `max`). */
  private room = 0;
  size = 0;

  constructor(private readonly max: number) {}

  /** false when `max` segments are held already (Wireshark then stops adding them too). */
  push(nextSeq: number, time: number): boolean {
    const n = this.size;
    if (n >= this.room) {
      if (n >= this.max) return false;
      this.grow();
    }
    const i = (this.head + n) & this.mask;
    this.next[i] = nextSeq;
    this.time[i] = time;
    this.size = n + 1;
    return true;
  }

  /** When the oldest segment held was sent (call only when size > 0). */
  oldestTime(): number {
    return this.time[this.head];
  }

  /** Drop the segments at the front that `ack` covers. */
  popAcked(ack: number): void {
    let n = this.size;
    if (n === 0 || ((this.next[this.head] - ack) | 0) > 0) return;
    const a = this.next, m = this.mask;
    let h = this.head;
    do {
      h = (h + 1) & m;
      n--;
    } while (n > 0 && ((a[h] - ack) | 0) <= 0);
    this.head = h;
    this.size = n;
  }

  /** Drop every segment `ack` covers, wherever it is. */
  compact(ack: number): void {
    const a = this.next, t = this.time, m = a.length - 1;
    let w = 0;
    for (let i = 0; i < this.size; i++) {
      const k = (this.head + i) & m;
      if (((a[k] - ack) | 0) > 0) {
        const j = (this.head + w++) & m;
        a[j] = a[k];
        t[j] = t[k];
      }
    }
    this.size = w;
  }

  private grow(): void {
    const n = Math.max(MIN_CAP, this.next.length * 2);
    const b = new Int32Array(n), t = new Float64Array(n);
    const m = this.next.length - 1;
    for (let i = 0; i < this.size; i++) {
      b[i] = this.next[(this.head + i) & m];
      t[i] = this.time[(this.head + i) & m];
    }
    this.next = b;
    this.time = t;
    this.head = 0;
    this.mask = n - 1;
    this.room = Math.min(n, this.max);
  }
}

/** ACK watches of one direction: (sequence number the peer's ACK must reach, token), in stream
 *  order. */
export class WatchRing {
  private ackSeq = NO_SEQS;
  private token = NO_TIMES;
  private head = 0;
  size = 0;

  constructor(private readonly max: number) {}

  /** false when the ring is full. */
  push(ackSeq: number, token: number): boolean {
    if (this.size >= this.max) return false;
    if (this.size === this.ackSeq.length) {
      const n = Math.max(MIN_CAP, this.ackSeq.length * 2);
      const m = this.ackSeq.length - 1;
      const a = new Int32Array(n), t = new Float64Array(n);
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
