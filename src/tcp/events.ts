/**
 * TCP events: segments that Wireshark's TCP analysis flags, or that carry SYN, FIN or RST, one row
 * each in typed-array columns. Plain data and ACK segments are not stored.
 */

/** Event names in the order the CLI prints them (tshark's `tcp.analysis.<name>` with `_` as `-`,
 *  then the control flags); bit i of an event's `flags` is name i. */
export const TCP_EVENT_NAMES = [
  'retransmission',
  'fast-retransmission',
  'spurious-retransmission',
  'out-of-order',
  'lost-segment',
  'ack-lost-segment',
  'duplicate-ack',
  'zero-window',
  'zero-window-probe',
  'zero-window-probe-ack',
  'window-full',
  'window-update',
  'keep-alive',
  'keep-alive-ack',
  'syn',
  'syn-ack',
  'fin',
  'rst',
] as const;

export type TcpEventName = (typeof TCP_EVENT_NAMES)[number];

/** One bit per event name, in TCP_EVENT_NAMES order. */
export const TcpEventFlag = {
  Retransmission: 1 << 0,
  FastRetransmission: 1 << 1,
  SpuriousRetransmission: 1 << 2,
  OutOfOrder: 1 << 3,
  LostSegment: 1 << 4,
  AckLostSegment: 1 << 5,
  DuplicateAck: 1 << 6,
  ZeroWindow: 1 << 7,
  ZeroWindowProbe: 1 << 8,
  ZeroWindowProbeAck: 1 << 9,
  WindowFull: 1 << 10,
  WindowUpdate: 1 << 11,
  KeepAlive: 1 << 12,
  KeepAliveAck: 1 << 13,
  Syn: 1 << 14,
  SynAck: 1 << 15,
  Fin: 1 << 16,
  Rst: 1 << 17,
} as const;

/** The names of the bits set in `flags`, in TCP_EVENT_NAMES order. */
export function tcpEventNames(flags: number): TcpEventName[] {
  const out: TcpEventName[] = [];
  for (let i = 0; i < TCP_EVENT_NAMES.length; i++) if (flags & (1 << i)) out.push(TCP_EVENT_NAMES[i]);
  return out;
}

/** The event columns; row i is one segment. After `finish()` rows are in frame order. */
export interface TcpEvents {
  count: number;
  frame: Uint32Array;
  /** TcpConnection.id of the segment's connection. */
  tcpConn: Uint32Array;
  /** Side of the TcpConnection that sent it (0: the source of the connection's first packet). */
  dir: Uint8Array;
  flags: Uint32Array;
  /** Absolute sequence and acknowledgment numbers as on the wire. */
  seq: Uint32Array;
  ack: Uint32Array;
  /** TCP payload bytes on the wire (from the IP length, so a snaplen cut does not shorten it). */
  len: Uint32Array;
  /** The window in bytes: scaled where the handshake said how (Wireshark's tcp.window_size). */
  win: Uint32Array;
  time: Float64Array;
  /** For a retransmission: how long its data had waited (tcp.analysis.rto), seconds; -1 otherwise. */
  rto: Float32Array;
}

function grow<T extends Uint32Array | Uint8Array | Float64Array | Float32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class TcpEventTableBuilder {
  count = 0;
  private cap = 1024;
  frame = new Uint32Array(this.cap);
  tcpConn = new Uint32Array(this.cap);
  dir = new Uint8Array(this.cap);
  flags = new Uint32Array(this.cap);
  seq = new Uint32Array(this.cap);
  ack = new Uint32Array(this.cap);
  len = new Uint32Array(this.cap);
  win = new Uint32Array(this.cap);
  time = new Float64Array(this.cap);
  rto = new Float32Array(this.cap);
  /** Rows were added out of frame order (events of a connection kept late). */
  private unordered = false;

  add(frame: number, tcpConn: number, dir: number, flags: number, seq: number, ack: number, len: number, win: number, time: number, rto = -1): void {
    const i = this.count;
    if (i === this.cap) this.enlarge();
    if (i > 0 && frame < this.frame[i - 1]) this.unordered = true;
    this.frame[i] = frame;
    this.tcpConn[i] = tcpConn;
    this.dir[i] = dir;
    this.flags[i] = flags;
    this.seq[i] = seq;
    this.ack[i] = ack;
    this.len[i] = len;
    this.win[i] = win;
    this.time[i] = time;
    this.rto[i] = rto;
    this.count = i + 1;
  }

  private enlarge(): void {
    const n = this.cap * 2;
    this.frame = grow(this.frame, n);
    this.tcpConn = grow(this.tcpConn, n);
    this.dir = grow(this.dir, n);
    this.flags = grow(this.flags, n);
    this.seq = grow(this.seq, n);
    this.ack = grow(this.ack, n);
    this.len = grow(this.len, n);
    this.win = grow(this.win, n);
    this.time = grow(this.time, n);
    this.rto = grow(this.rto, n);
    this.cap = n;
  }

  /** Drop the events of these connections (TcpConnection ids): a live reader forgets what it told. */
  removeConnections(ids: ReadonlySet<number>): void {
    const n = this.count;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (ids.has(this.tcpConn[i])) continue;
      if (w !== i) {
        this.frame[w] = this.frame[i];
        this.tcpConn[w] = this.tcpConn[i];
        this.dir[w] = this.dir[i];
        this.flags[w] = this.flags[i];
        this.seq[w] = this.seq[i];
        this.ack[w] = this.ack[i];
        this.len[w] = this.len[i];
        this.win[w] = this.win[i];
        this.time[w] = this.time[i];
        this.rto[w] = this.rto[i];
      }
      w++;
    }
    this.count = w;
  }

  /** Trimmed columns in frame order (stable: one frame's rows keep the order they were added in). */
  finish(): TcpEvents {
    const n = this.count;
    const cols: TcpEvents = {
      count: n,
      frame: this.frame.slice(0, n),
      tcpConn: this.tcpConn.slice(0, n),
      dir: this.dir.slice(0, n),
      flags: this.flags.slice(0, n),
      seq: this.seq.slice(0, n),
      ack: this.ack.slice(0, n),
      len: this.len.slice(0, n),
      win: this.win.slice(0, n),
      time: this.time.slice(0, n),
      rto: this.rto.slice(0, n),
    };
    if (!this.unordered) return cols;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const fr = cols.frame;
    order.sort((a, b) => fr[a] - fr[b] || a - b);
    const permute = <T extends Uint32Array | Uint8Array | Float64Array | Float32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      for (let i = 0; i < n; i++) b[i] = a[order[i]];
      return b;
    };
    return {
      count: n,
      frame: permute(cols.frame),
      tcpConn: permute(cols.tcpConn),
      dir: permute(cols.dir),
      flags: permute(cols.flags),
      seq: permute(cols.seq),
      ack: permute(cols.ack),
      len: permute(cols.len),
      win: permute(cols.win),
      time: permute(cols.time),
      rto: permute(cols.rto),
    };
  }
}
