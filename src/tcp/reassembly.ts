import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../net/index.ts';
import type { TcpSegment } from '../net/index.ts';

/** Where the packet being fed came from; set by the caller before each `segment()` call. */
export interface PacketContext {
  frame: number;
  time: number;
  /** File offset of packet byte 0 (add the payload offset within the packet). */
  fileOffset: number;
  /** Offset of packet byte 0 within the buffer handed to `segment()`. */
  dataOffset: number;
}

/** Receives each direction's bytes in sequence order. `frame`, `time` and `fileOffset` describe
 *  the packet the bytes came from (not necessarily the current one when held segments are released). */
export interface StreamSink {
  data(conn: TcpConnection, dir: Dir, b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void;
  /** `n` bytes of the stream are known to exist but are not in the capture (loss or snaplen). */
  missing(conn: TcpConnection, dir: Dir, n: number, frame: number, time: number): void;
  /** SYN, FIN or RST seen from `dir` (in capture order, with the packet's frame and time). */
  control(conn: TcpConnection, dir: Dir, flag: number, frame: number, time: number): void;
  /** A connection's entry is closed for good (port reuse, or `finish()`); flush what it holds. */
  closed(conn: TcpConnection): void;
}

export type Dir = 0 | 1;

/** Out-of-order data held per direction before we call the missing bytes lost. */
const MAX_HELD_BYTES = 16 << 20;
const MAX_HELD_SEGMENTS = 4096;
/** And over all connections together: a crafted capture can open many connections that all wait. */
const MAX_HELD_TOTAL = 256 << 20;

interface HeldSegment {
  seq: number;
  bytes: Uint8Array;
  missingTail: number;
  frame: number;
  time: number;
  fileOffset: number;
}

export class TcpDirection {
  started = false;
  synSeen = false;
  /** Initial sequence number, where the SYN was seen. */
  isn = 0;
  synFrame = 0;
  synTime = 0;
  /** Next expected sequence number (32-bit). */
  nextSeq = 0;
  /** Bytes handed on so far, including known-missing ones: the position in the stream. */
  position = 0;
  held: HeldSegment[] = [];
  heldBytes = 0;
  missingBytes = 0;
  finFrame = 0;
  rstFrame = 0;
  /** Highest sequence number the peer acknowledged (proves what was sent). */
  peerAck = 0;
  peerAckValid = false;
  /** This direction's stream did not begin with a SYN in the capture. */
  midstream = false;
  payloadBytes = 0;
}

export class TcpConnection {
  /** Position in order of first packet among all TCP connections. */
  readonly id: number;
  readonly ipVersion: 4 | 6;
  /** Side 0 is the source of the connection's first packet. */
  readonly addr: [Uint32Array, Uint32Array];
  readonly port: [number, number];
  readonly dirs: [TcpDirection, TcpDirection] = [new TcpDirection(), new TcpDirection()];
  /** The side that sent the opening SYN (without ACK), or -1 when the capture missed it. */
  clientSide: -1 | 0 | 1 = -1;
  firstFrame: number;
  firstTime: number;
  lastFrame: number;
  lastTime: number;
  /** Set by the layer above once it knows the connection is of no interest: payload is dropped. */
  ignored = false;
  /** For the layer above. */
  user: unknown = undefined;
  /** Hash chain. */
  nextInBucket: TcpConnection | undefined = undefined;
  closed = false;

  constructor(id: number, s: TcpSegment, frame: number, time: number) {
    this.id = id;
    this.ipVersion = s.ipVersion;
    this.addr = [Uint32Array.of(s.src0, s.src1, s.src2, s.src3), Uint32Array.of(s.dst0, s.dst1, s.dst2, s.dst3)];
    this.port = [s.srcPort, s.dstPort];
    this.firstFrame = this.lastFrame = frame;
    this.firstTime = this.lastTime = time;
  }

  /** Which side sent `s`, or -1 when `s` is not of this connection. */
  sideOf(s: TcpSegment): -1 | 0 | 1 {
    const a = this.addr[0], b = this.addr[1];
    if (s.srcPort === this.port[0] && s.dstPort === this.port[1] && s.src0 === a[0] && s.dst0 === b[0]
      && s.src1 === a[1] && s.src2 === a[2] && s.src3 === a[3] && s.dst1 === b[1] && s.dst2 === b[2] && s.dst3 === b[3]) return 0;
    if (s.srcPort === this.port[1] && s.dstPort === this.port[0] && s.src0 === b[0] && s.dst0 === a[0]
      && s.src1 === b[1] && s.src2 === b[2] && s.src3 === b[3] && s.dst1 === a[1] && s.dst2 === a[2] && s.dst3 === a[3]) return 1;
    return -1;
  }

  get finished(): boolean {
    const d = this.dirs;
    return d[0].rstFrame !== 0 || d[1].rstFrame !== 0 || (d[0].finFrame !== 0 && d[1].finFrame !== 0);
  }
}

/** Symmetric in the two endpoints, so both directions of a connection land in one bucket. */
function tupleHash(addrA: number, portA: number, addrB: number, portB: number): number {
  const a = Math.imul(addrA, 0x9e3779b1) + portA;
  const b = Math.imul(addrB, 0x9e3779b1) + portB;
  return (Math.imul(a ^ b, 0x85ebca6b) ^ (a + b)) | 0;
}

/** How many forgotten connections' late packets are recognised (and dropped) as such. */
const FORGOTTEN_KEPT = 4096;

/** a - b in 32-bit serial arithmetic, as a signed number. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Turns TCP segments, in capture order, into per-direction ordered byte streams: retransmitted and
 * overlapping bytes are dropped, out-of-order segments held until they fit, and bytes the capture
 * never had are reported as missing (never papered over).
 */
export class TcpReassembler {
  private readonly buckets = new Map<number, TcpConnection>();
  private last: TcpConnection | undefined;
  private nextId = 0;
  /** Connections not yet closed: what finish() must flush. */
  private readonly open = new Set<TcpConnection>();
  private heldTotal = 0;
  /** Tuple hashes of recently forgotten connections, oldest first. */
  private readonly forgotten = new Set<number>();
  /** Connections with segments held out of order (usually none). */
  private readonly holding = new Set<TcpConnection>();

  constructor(private readonly sink: StreamSink) {}

  /** Feed one segment; `b` is the packet buffer the segment's offsets point into. */
  segment(s: TcpSegment, b: Uint8Array, ctx: PacketContext): TcpConnection | undefined {
    let conn = this.lookup(s);
    // The last ACK or a stray RST of a connection already forgotten: not a new connection.
    if (!conn && (s.flags & TCP_SYN) === 0 && s.payloadWireLength === 0 && this.forgotten.has(this.hash(s))) return undefined;
    let side: -1 | 0 | 1 = conn ? conn.sideOf(s) : -1;
    const syn = (s.flags & TCP_SYN) !== 0;
    if (conn && side >= 0 && syn && (s.flags & TCP_ACK) === 0 && this.isNewIncarnation(conn, side as Dir, s)) {
      this.close(conn);
      conn = undefined;
    }
    if (!conn) {
      conn = this.create(s, ctx);
      side = 0;
    }
    const dir = side as Dir;
    conn.lastFrame = ctx.frame;
    conn.lastTime = ctx.time;
    const d = conn.dirs[dir];
    const peer = conn.dirs[dir ^ 1];
    if (s.flags & TCP_ACK) {
      if (!peer.peerAckValid || seqDiff(s.ack, peer.peerAck) > 0) peer.peerAck = s.ack;
      peer.peerAckValid = true;
    }

    if (syn) {
      if ((s.flags & TCP_ACK) === 0 && conn.clientSide < 0) conn.clientSide = dir;
      if (!d.started) {
        d.started = true;
        d.synSeen = true;
        d.isn = s.seq;
        d.synFrame = ctx.frame;
        d.synTime = ctx.time;
        d.nextSeq = (s.seq + 1) >>> 0;
      }
      this.sink.control(conn, dir, TCP_SYN, ctx.frame, ctx.time);
    }

    if (s.payloadWireLength > 0 && !conn.ignored) {
      this.payload(conn, dir, d, s, b, ctx);
    } else if (peer.held.length > 0 && peer.peerAckValid && seqDiff(peer.peerAck, peer.nextSeq) > 0) {
      // An ACK for bytes we never saw proves they were lost from the capture.
      this.declareHole(conn, (dir ^ 1) as Dir, peer, ctx);
    }

    if (s.flags & TCP_FIN) {
      if (d.finFrame === 0) {
        d.finFrame = ctx.frame;
        this.flushHeld(conn, dir, d, ctx);
        this.sink.control(conn, dir, TCP_FIN, ctx.frame, ctx.time);
      }
    }
    if (s.flags & TCP_RST) {
      if (d.rstFrame === 0) {
        d.rstFrame = ctx.frame;
        this.flushHeld(conn, 0, conn.dirs[0], ctx);
        this.flushHeld(conn, 1, conn.dirs[1], ctx);
        this.sink.control(conn, dir, TCP_RST, ctx.frame, ctx.time);
      }
    }
    // Traffic of no interest is forgotten once it ends: a capture of a million short connections
    // (a scan, a busy web server beside the storage) must not fill memory with them.
    if (conn.ignored && conn.finished) this.forget(conn);
    return conn;
  }

  /** The lowest frame among segments held out of order (Infinity when none is held). */
  heldFrame(): number {
    let min = Infinity;
    for (const c of this.holding) {
      for (const d of c.dirs) for (const h of d.held) if (h.frame < min) min = h.frame;
    }
    return min;
  }

  /**
   * The first frame of the earliest open connection the layer above has not yet judged (neither
   * taken, `user` set, nor `ignored`); Infinity when there is none. Until it is judged, the numbering
   * of connections that started after it is not final.
   */
  undecidedFrame(): number {
    let min = Infinity;
    for (const c of this.open) if (!c.ignored && c.user === undefined && c.firstFrame < min) min = c.firstFrame;
    return min;
  }

  /** How many TCP connections the capture held (each incarnation of a reused 4-tuple counts). */
  get count(): number {
    return this.nextId;
  }

  /** End of capture: release held data (with holes before it) and close every connection. */
  finish(ctx: PacketContext): void {
    for (const c of [...this.open]) {
      this.flushHeld(c, 0, c.dirs[0], ctx);
      this.flushHeld(c, 1, c.dirs[1], ctx);
      this.close(c);
    }
  }

  private isNewIncarnation(conn: TcpConnection, side: Dir, s: TcpSegment): boolean {
    const d = conn.dirs[side];
    if (!d.synSeen) return conn.finished || d.started;
    // A retransmitted SYN repeats the initial sequence number.
    return s.seq !== d.isn || conn.finished;
  }

  private payload(conn: TcpConnection, dir: Dir, d: TcpDirection, s: TcpSegment, b: Uint8Array, ctx: PacketContext): void {
    if (!d.started) {
      d.started = true;
      d.midstream = true;
      d.nextSeq = s.seq;
    }
    const fileOff = ctx.fileOffset + (s.payloadOffset - ctx.dataOffset);
    let seq = s.seq;
    let off = s.payloadOffset;
    let len = s.payloadLength;
    let missingTail = s.payloadWireLength - s.payloadLength;
    let fo = fileOff;
    const ahead = seqDiff(seq, d.nextSeq);
    if (ahead < 0) {
      // Retransmission: keep only what lies beyond what we already have.
      const skip = -ahead;
      if (skip >= len + missingTail) return;
      if (skip >= len) {
        missingTail -= skip - len;
        len = 0;
      } else {
        off += skip;
        fo += skip;
        len -= skip;
      }
      seq = d.nextSeq;
    } else if (ahead > 0) {
      if (d.peerAckValid && seqDiff(d.peerAck, d.nextSeq) > 0 && d.held.length === 0 && seqDiff(d.peerAck, seq) >= 0) {
        // The receiver acknowledged up to (at least) this segment: the bytes before it were lost.
        this.missingUpTo(conn, dir, d, seq, ctx.frame, ctx.time);
      } else {
        this.hold(conn, dir, d, seq, b.slice(off, off + len), missingTail, ctx.frame, ctx.time, fo, ctx);
        return;
      }
    }
    this.deliver(conn, dir, d, b, off, len, missingTail, ctx.frame, ctx.time, fo);
    if (d.held.length) this.releaseHeld(conn, dir, d);
  }

  private deliver(conn: TcpConnection, dir: Dir, d: TcpDirection, b: Uint8Array, off: number, len: number, missingTail: number, frame: number, time: number, fileOffset: number): void {
    if (len > 0) {
      d.nextSeq = (d.nextSeq + len) >>> 0;
      d.position += len;
      d.payloadBytes += len;
      this.sink.data(conn, dir, b, off, len, frame, time, fileOffset);
    }
    if (missingTail > 0) {
      d.nextSeq = (d.nextSeq + missingTail) >>> 0;
      d.position += missingTail;
      d.missingBytes += missingTail;
      this.sink.missing(conn, dir, missingTail, frame, time);
    }
  }

  private hold(conn: TcpConnection, dir: Dir, d: TcpDirection, seq: number, bytes: Uint8Array, missingTail: number, frame: number, time: number, fileOffset: number, ctx: PacketContext): void {
    const h: HeldSegment = { seq, bytes, missingTail, frame, time, fileOffset };
    // Keep sorted by sequence; segments mostly arrive in order, so search from the end.
    let i = d.held.length;
    while (i > 0 && seqDiff(d.held[i - 1].seq, seq) > 0) i--;
    d.held.splice(i, 0, h);
    d.heldBytes += bytes.length;
    this.heldTotal += bytes.length;
    this.holding.add(conn);
    if (d.heldBytes > MAX_HELD_BYTES || d.held.length > MAX_HELD_SEGMENTS || this.heldTotal > MAX_HELD_TOTAL) this.declareHole(conn, dir, d, ctx);
  }

  /** Give up waiting for the bytes before the first held segment: they are missing. */
  private declareHole(conn: TcpConnection, dir: Dir, d: TcpDirection, ctx: PacketContext): void {
    if (d.held.length === 0) return;
    this.missingUpTo(conn, dir, d, d.held[0].seq, ctx.frame, ctx.time);
    this.releaseHeld(conn, dir, d);
  }

  private missingUpTo(conn: TcpConnection, dir: Dir, d: TcpDirection, seq: number, frame: number, time: number): void {
    const gap = seqDiff(seq, d.nextSeq);
    if (gap <= 0) return;
    d.nextSeq = seq >>> 0;
    d.position += gap;
    d.missingBytes += gap;
    this.sink.missing(conn, dir, gap, frame, time);
  }

  /** Hand on held segments that now fit at the front of the stream. */
  private releaseHeld(conn: TcpConnection, dir: Dir, d: TcpDirection): void {
    while (d.held.length) {
      const h = d.held[0];
      const ahead = seqDiff(h.seq, d.nextSeq);
      if (ahead > 0) return;
      d.held.shift();
      d.heldBytes -= h.bytes.length;
      this.heldTotal -= h.bytes.length;
      if (conn.dirs[0].held.length === 0 && conn.dirs[1].held.length === 0) this.holding.delete(conn);
      const skip = -ahead;
      const total = h.bytes.length + h.missingTail;
      if (skip >= total) continue;
      if (skip >= h.bytes.length) {
        this.deliver(conn, dir, d, h.bytes, 0, 0, total - skip, h.frame, h.time, h.fileOffset);
      } else {
        this.deliver(conn, dir, d, h.bytes, skip, h.bytes.length - skip, h.missingTail, h.frame, h.time, h.fileOffset + skip);
      }
    }
  }

  /** The stream ends (FIN, RST, capture end): whatever is held comes after holes. */
  private flushHeld(conn: TcpConnection, dir: Dir, d: TcpDirection, ctx: PacketContext): void {
    while (d.held.length) {
      this.missingUpTo(conn, dir, d, d.held[0].seq, ctx.frame, ctx.time);
      this.releaseHeld(conn, dir, d);
    }
  }

  private forget(conn: TcpConnection): void {
    const h = this.hashOf(conn);
    this.close(conn);
    this.forgotten.add(h);
    if (this.forgotten.size > FORGOTTEN_KEPT) this.forgotten.delete(this.forgotten.values().next().value as number);
  }

  private close(conn: TcpConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.unlink(conn);
    this.open.delete(conn);
    this.sink.closed(conn);
  }

  private hash(s: TcpSegment): number {
    return tupleHash(s.src0 ^ s.src1 ^ s.src2 ^ s.src3, s.srcPort, s.dst0 ^ s.dst1 ^ s.dst2 ^ s.dst3, s.dstPort);
  }

  private lookup(s: TcpSegment): TcpConnection | undefined {
    const last = this.last;
    if (last && !last.closed && last.sideOf(s) >= 0) return last;
    for (let c = this.buckets.get(this.hash(s)); c; c = c.nextInBucket) {
      if (c.sideOf(s) >= 0) {
        this.last = c;
        return c;
      }
    }
    return undefined;
  }

  private create(s: TcpSegment, ctx: PacketContext): TcpConnection {
    const c = new TcpConnection(this.nextId++, s, ctx.frame, ctx.time);
    const h = this.hash(s);
    c.nextInBucket = this.buckets.get(h);
    this.buckets.set(h, c);
    this.open.add(c);
    this.last = c;
    return c;
  }

  private unlink(conn: TcpConnection): void {
    const h = this.hashOf(conn);
    let c = this.buckets.get(h);
    if (c === conn) {
      if (conn.nextInBucket) this.buckets.set(h, conn.nextInBucket);
      else this.buckets.delete(h);
    } else {
      while (c && c.nextInBucket !== conn) c = c.nextInBucket;
      if (c) c.nextInBucket = conn.nextInBucket;
    }
    conn.nextInBucket = undefined;
    if (this.last === conn) this.last = undefined;
  }

  private hashOf(c: TcpConnection): number {
    const [a, b] = c.addr;
    return tupleHash(a[0] ^ a[1] ^ a[2] ^ a[3], c.port[0], b[0] ^ b[1] ^ b[2] ^ b[3], c.port[1]);
  }
}
