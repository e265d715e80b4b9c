import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../net/index.ts';
import type { TcpSegment } from '../net/index.ts';
import { analyzeSegment, endZeroWindows, MAX_PENDING_EVENTS, TcpConnectionAnalysis, Wanted } from './analysis.ts';
import { AttemptAnswer, TcpAttemptTableBuilder } from './attempts.ts';
import type { TcpAttempts } from './attempts.ts';
import { TcpEventFlag, TcpEventTableBuilder } from './events.ts';
import type { TcpEvents } from './events.ts';

/** Where the packet being fed came from; set by the caller before each `segment()` call. */
export interface PacketContext {
  frame: number;
  time: number;
  /** File offset of packet byte 0 (add the payload offset within the packet). */
  fileOffset: number;
  /** Offset of packet byte 0 within the buffer handed to `segment()`. */
  dataOffset: number;
  /**
   * Seconds since a whole second at or before the capture's start, from the record's seconds and
   * nanoseconds: exact to the nanosecond, where `time` (seconds since the epoch in a double) is only
   * good to a quarter microsecond. The TCP analysis compares durations in it as Wireshark does, in
   * whole nanoseconds. `time` is used when absent.
   */
  rel?: number;
}

/** Receives each direction's bytes in sequence order. `frame`, `time` and `fileOffset` describe
 *  the packet the bytes came from (not necessarily the current one when held segments are released). */
export interface StreamSink {
  data(conn: TcpConnection, dir: Dir, b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void;
  /** `n` bytes of the stream are known to exist but are not in the capture (loss or snaplen). */
  missing(conn: TcpConnection, dir: Dir, n: number, frame: number, time: number): void;
  /** SYN, FIN or RST seen from `dir` (in capture order, with the packet's frame and time). */
  control(conn: TcpConnection, dir: Dir, flag: number, frame: number, time: number): void;
  /** A connection's entry is closed for good (port reuse, idle, or `finish()`); flush what it holds. */
  closed(conn: TcpConnection): void;
  /**
   * The other side's TCP acknowledged the byte before stream position `watchAck` was given, in
   * `frame`; frame 0 when the connection ended first (never acknowledged).
   */
  acked?(conn: TcpConnection, dir: Dir, token: number, frame: number, time: number): void;
  /**
   * A segment overlapping bytes already held carried `bytes` different bytes; the copy seen first
   * (`firstFrame`) is the one used, as everywhere in this reassembler (`laterFrame` is discarded).
   */
  conflict?(conn: TcpConnection, dir: Dir, bytes: number, used: 'first' | 'last', firstFrame: number, laterFrame: number): void;
  /**
   * Out-of-order data reached a limit, so the reassembler stopped waiting for the bytes before it:
   * they are reported missing although they might still have come.
   */
  capped?(conn: TcpConnection, dir: Dir, limit: HeldLimit, frame: number, time: number): void;
}

/** Which bound on out-of-order data was reached: this direction's, or all connections' together. */
export type HeldLimit = 'direction-segments' | 'direction-bytes' | 'total-segments' | 'total-bytes';

export interface TcpReassemblerOptions {
  /** Ports whose connections are analysed and kept from their first packet (iSCSI: 3260, --port).
   *  Other connections' events are held until `keep()` or dropped once they are `ignored`. */
  ports?: Iterable<number>;
}

export type Dir = 0 | 1;

/** Out-of-order data held per direction before we call the missing bytes lost. */
const MAX_HELD_BYTES = 16 << 20;
const MAX_HELD_SEGMENTS = 4096;
/** And over all connections together: a crafted capture can open many connections that all wait.
 *  Bytes count each segment's bookkeeping too (a held 1-byte segment costs a few hundred bytes). */
const MAX_HELD_TOTAL = 256 << 20;
const MAX_HELD_SEGMENTS_TOTAL = 1 << 16;
const HELD_SEGMENT_COST = 256;
/** Connections that carry no iSCSI (no payload taken by the layer above, or ignored), and those
 *  that ended (FIN both ways, or RST), are closed — forgotten, or listed where they are kept —
 *  after this long without a packet (capture time, seconds: longer than Linux's SYN back-off and
 *  TIME_WAIT), or, oldest first, while more than MAX_UNTAKEN are waiting so. */
const IDLE_TIMEOUT = 120;
const MAX_UNTAKEN = 1 << 14;
/** Connections to a wanted port that ended without a byte of payload (refused or unanswered SYNs,
 *  a port scan) whose events and table row are kept; the rest are counted as forgotten. Their
 *  attempts are recorded all the same (the attempts table has its own bound). */
const MAX_EMPTY_LISTED = 1 << 14;
/** Conflicting overlaps reported per direction (the rest are counted). */
const MAX_CONFLICT_REPORTS = 256;

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
  /** Highest sequence number the peer acknowledged (proves what was sent), and where. */
  peerAck = 0;
  peerAckValid = false;
  peerAckFrame = 0;
  peerAckTime = 0;
  /** Overlapping segments whose bytes differed from the copy held (first copy used). */
  conflicts = 0;
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
  /** Wireshark's TCP analysis of the connection; undefined once it is known to be of no interest. */
  analysis: TcpConnectionAnalysis | undefined = undefined;
  /** In the reassembler's list of connections that carry no iSCSI (yet), oldest activity first. */
  idleListed = false;
  idlePrev: TcpConnection | undefined = undefined;
  idleNext: TcpConnection | undefined = undefined;

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
 * overlapping bytes are dropped (the copy seen first is the one used), out-of-order segments held
 * until they fit, and bytes the capture never had are reported as missing (never papered over).
 * Beside it, for every connection not known to be of no interest, Wireshark's TCP analysis
 * (analysis.ts): its events, connection attempts and per-direction figures.
 */
export class TcpReassembler {
  private readonly buckets = new Map<number, TcpConnection>();
  private last: TcpConnection | undefined;
  private lookedUpSide: 0 | 1 = 0;
  private nextId = 0;
  /** Connections not yet closed: what finish() must flush. */
  private readonly open = new Set<TcpConnection>();
  private heldTotal = 0;
  private heldSegmentsTotal = 0;
  /** Tuple hashes of recently forgotten connections, oldest first. */
  private readonly forgotten = new Set<number>();
  private forgottenConnections = 0;
  /** Connections kept from their first SYN that ended without payload and were listed. */
  private emptyListed = 0;
  /** Connections with segments held out of order (usually none). */
  private readonly holding = new Set<TcpConnection>();
  private idleHead: TcpConnection | undefined;
  private idleTail: TcpConnection | undefined;
  private idleCount = 0;
  private packetsSinceSweep = 0;
  private readonly ports: Set<number>;
  private readonly portals = new Set<string>();
  private readonly eventTable = new TcpEventTableBuilder();
  private readonly attemptTable = new TcpAttemptTableBuilder();
  private readonly keptTable = new KeptConnectionTableBuilder();
  private readonly win = { win: 0, rto: -1 };

  constructor(private readonly sink: StreamSink, options: TcpReassemblerOptions = {}) {
    this.ports = new Set(options.ports ?? []);
  }

  /** Feed one segment; `b` is the packet buffer the segment's offsets point into. */
  segment(s: TcpSegment, b: Uint8Array, ctx: PacketContext): TcpConnection | undefined {
    let conn = this.lookup(s);
    // The last ACK or a stray RST of a connection already forgotten: not a new connection.
    if (!conn && (s.flags & TCP_SYN) === 0 && s.payloadWireLength === 0 && this.forgotten.has(this.hash(s))) return undefined;
    let side: -1 | 0 | 1 = conn ? this.lookedUpSide : -1;
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
      if (!peer.peerAckValid || seqDiff(s.ack, peer.peerAck) > 0) {
        peer.peerAck = s.ack;
        peer.peerAckFrame = ctx.frame;
        peer.peerAckTime = ctx.time;
      }
      peer.peerAckValid = true;
    }

    const a = conn.analysis;
    if (a !== undefined) {
      if (conn.ignored && a.wanted === Wanted.Undecided) {
        conn.analysis = undefined;
      } else {
        // analyzeSegment is too big to be inlined here; what follows it is rare, so kept out of
        // this function (which must stay small enough for its lookup to be inlined).
        const ev = analyzeSegment(a, dir, s, ctx.frame, ctx.rel ?? ctx.time, this.win);
        if (ev !== 0 || a.watching !== 0) this.analyzed(conn, a, dir, ev, s, ctx);
      }
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
    if (conn.idleListed) {
      if (!conn.ignored && !conn.finished && (conn.user !== undefined || conn.dirs[0].position + conn.dirs[1].position > 0)) this.unlistIdle(conn);
      else this.touchIdle(conn);
    } else if (conn.finished) {
      // Ended (FIN both ways, or RST): closed once idle like the untaken ones, so its state goes
      // and a day of short connections does not stay open to the capture's end.
      this.listIdle(conn);
    }
    // Traffic of no interest is forgotten once it ends: a capture of a million short connections
    // (a scan, a busy web server beside the storage) must not fill memory with them.
    if (conn.ignored && conn.finished) this.forget(conn);
    if (this.idleHead !== undefined || this.heldSegmentsTotal !== 0) this.sweep(ctx);
    return conn;
  }

  /**
   * The layer above recognised `conn` as wanted (a Login Request on a port not in `ports`): its
   * events so far (up to MAX_PENDING_EVENTS) join the table and the analysis goes on.
   */
  keep(conn: TcpConnection): void {
    const a = conn.analysis;
    if (!a || a.wanted === Wanted.Kept) return;
    a.wanted = Wanted.Kept;
    if (conn.idleListed) this.unlistIdle(conn);
    const p = a.pending;
    if (p) {
      for (let i = 0; i < p.length; i += 10) {
        const flags = p[i + 3];
        if (flags & (TcpEventFlag.Syn | TcpEventFlag.SynAck | TcpEventFlag.Rst)) this.noteAttempt(conn, a, p[i + 2] as Dir, flags, p[i + 4], p[i], p[i + 8]);
      }
    }
    this.listEvents(a);
  }

  /** Connections to this portal (a SendTargets TargetAddress) are wanted from their first SYN. */
  wantPortal(ipVersion: 4 | 6, addr: ArrayLike<number>, port: number): void {
    this.portals.add(portalKey(ipVersion, addr[0] ?? 0, addr[1] ?? 0, addr[2] ?? 0, addr[3] ?? 0, port));
  }

  /**
   * Tell the sink (`acked`) when the other side's ACK first covers the byte before stream position
   * `streamPosition` of `dir` (positions count as TcpDirection.position does). Watches must come in
   * stream order. Where an ACK already covered it, the sink hears at once, with the frame of the
   * highest ACK so far. false when the connection is not analysed or has too many watches pending.
   */
  watchAck(conn: TcpConnection, dir: Dir, streamPosition: number, token: number): boolean {
    const a = conn.analysis;
    if (!a || conn.closed) return false;
    const d = conn.dirs[dir];
    const target = (d.nextSeq - (d.position - streamPosition)) >>> 0;
    if (d.peerAckValid && seqDiff(d.peerAck, target) >= 0 && a.flows[dir].watches.size === 0) {
      this.sink.acked?.(conn, dir, token, d.peerAckFrame, d.peerAckTime);
      return true;
    }
    if (!a.flows[dir].watches.push(target, token)) return false;
    a.watching++;
    return true;
  }

  /** Forget the events of these connections (ids), ended and told by a live reader (watch). */
  forgetEvents(ids: ReadonlySet<number>): void {
    this.eventTable.removeConnections(ids);
  }

  /** The events table (frame order). Complete after `finish()`. */
  events(): TcpEvents {
    return this.eventTable.finish();
  }

  /** Connection attempts to wanted ports and portals. Complete after `finish()`. */
  attempts(): TcpAttempts {
    return this.attemptTable.finish();
  }

  /**
   * Every connection analysed and kept (a wanted port or portal, or `keep()`), in order of first
   * packet: those whose entry closed, and with `includeOpen` the ones still open (a snapshot).
   */
  keptConnections(includeOpen = false): KeptConnections {
    const open: TcpConnection[] = [];
    if (includeOpen) for (const c of this.open) if (c.analysis?.wanted === Wanted.Kept) open.push(c);
    return this.keptTable.finish(open);
  }

  /** Connections forgotten because they carried no iSCSI (ended, idle, or too many at once). */
  get forgottenCount(): number {
    return this.forgottenConnections;
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

  /** TCP connections not yet closed: what is live (an ended one closes once idle). */
  get openCount(): number {
    return this.open.size;
  }

  /** How many TCP connections the capture held (each incarnation of a reused 4-tuple counts). */
  get count(): number {
    return this.nextId;
  }

  /** End of capture: release held data (with holes before it) and close every connection. */
  finish(ctx: PacketContext): void {
    // Deleting the entry being visited is safe while iterating a Set.
    for (const c of this.open) {
      this.flushHeld(c, 0, c.dirs[0], ctx);
      this.flushHeld(c, 1, c.dirs[1], ctx);
      this.close(c);
    }
  }

  // ------------------------------------------------------------------ analysis

  /** A segment with events, or an ACK that may end watches. */
  private analyzed(conn: TcpConnection, a: TcpConnectionAnalysis, dir: Dir, ev: number, s: TcpSegment, ctx: PacketContext): void {
    if (ev !== 0) {
      if (a.wanted === Wanted.Kept) {
        if (!a.holdingEvents) {
          this.eventTable.add(ctx.frame, conn.id, dir, ev, s.seq, s.ack, s.payloadWireLength, this.win.win, ctx.time, this.win.rto);
        } else {
          (a.pending ??= []).push(ctx.frame, conn.id, dir, ev, s.seq, s.ack, s.payloadWireLength, this.win.win, ctx.time, this.win.rto);
          if (a.pending.length >= MAX_PENDING_EVENTS * 10) this.listEvents(a);
        }
        if (ev & (TcpEventFlag.Syn | TcpEventFlag.SynAck | TcpEventFlag.Rst)) this.noteAttempt(conn, a, dir, ev, s.seq, ctx.frame, ctx.time);
      } else if (a.pending === undefined || a.pending.length < MAX_PENDING_EVENTS * 10) {
        (a.pending ??= []).push(ctx.frame, conn.id, dir, ev, s.seq, s.ack, s.payloadWireLength, this.win.win, ctx.time, this.win.rto);
      } else {
        a.pendingDropped++;
      }
    }
    if (s.flags & TCP_ACK) {
      const w = a.flows[dir ^ 1].watches;
      while (w.size > 0 && seqDiff(s.ack, w.frontSeq()) >= 0) {
        a.watching--;
        this.sink.acked?.(conn, (dir ^ 1) as Dir, w.shift(), ctx.frame, ctx.time);
      }
    }
  }

  /** A Kept connection's held events join the table, and the ones after them go there at once. */
  private listEvents(a: TcpConnectionAnalysis): void {
    a.holdingEvents = false;
    const p = a.pending;
    a.pending = undefined;
    if (!p) return;
    for (let i = 0; i < p.length; i += 10) {
      this.eventTable.add(p[i], p[i + 1], p[i + 2], p[i + 3], p[i + 4], p[i + 5], p[i + 6], p[i + 7], p[i + 8], p[i + 9]);
    }
  }

  /** SYN, SYN-ACK or RST of a wanted connection: attempts and their answers. */
  private noteAttempt(conn: TcpConnection, a: TcpConnectionAnalysis, dir: Dir, ev: number, seq: number, frame: number, time: number): void {
    const t = this.attemptTable;
    if (ev & TcpEventFlag.Syn) {
      if (a.attempt !== -1 && a.attemptClient === dir && a.attemptIsn === seq) {
        if (a.attempt >= 0) t.resent(a.attempt, frame, time);
        a.attemptSyns++;
      } else {
        a.attempt = t.add(conn.id, conn.ipVersion, conn.addr[dir], conn.addr[dir ^ 1], conn.port[dir], conn.port[dir ^ 1], seq, frame, time);
        a.attemptClient = dir;
        a.attemptIsn = seq;
        a.attemptSyns = 1;
        a.attemptAnswered = false;
      }
    } else if (a.attempt !== -1 && dir !== a.attemptClient) {
      const how = ev & TcpEventFlag.SynAck ? AttemptAnswer.SynAck : AttemptAnswer.Rst;
      if (a.attempt >= 0) t.setAnswer(a.attempt, how, frame, time);
      else if (!a.attemptAnswered) {
        a.attemptAnswered = true;
        t.droppedAnswer(how, a.attemptSyns);
      }
    }
  }

  private isNewIncarnation(conn: TcpConnection, side: Dir, s: TcpSegment): boolean {
    const a = conn.analysis;
    // As Wireshark splits conversations: a SYN whose sequence number is not the flow's first one
    // starts a new connection; one repeating it is a retransmission, even after the end.
    if (a) return a.isOtherIsn(side, s.seq);
    const d = conn.dirs[side];
    if (!d.synSeen) return conn.finished || d.started;
    return s.seq !== d.isn || conn.finished;
  }

  // ------------------------------------------------------------------ reassembly

  private payload(conn: TcpConnection, dir: Dir, d: TcpDirection, s: TcpSegment, b: Uint8Array, ctx: PacketContext): void {
    if (conn.analysis?.holdingEvents) this.listEvents(conn.analysis);
    // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
    let seq = s.flags & TCP_SYN ? (s.seq + 1) >>> 0 : s.seq;
    if (!d.started) {
      d.started = true;
      d.midstream = true;
      d.nextSeq = seq;
    }
    const fileOff = ctx.fileOffset + (s.payloadOffset - ctx.dataOffset);
    let off = s.payloadOffset;
    let len = s.payloadLength;
    let missingTail = s.payloadWireLength - s.payloadLength;
    let fo = fileOff;
    const ahead = seqDiff(seq, d.nextSeq);
    if (ahead < 0) {
      // Retransmission: keep only what lies beyond what we already have (first copy wins).
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
        this.hold(conn, dir, d, seq, b, off, len, missingTail, ctx.frame, fo, ctx);
        return;
      }
    }
    if (d.held.length > 0) {
      // Deliver what comes before the first held segment from the packet itself; the rest joins
      // the held segments, where bytes seen before win.
      const room = seqDiff(d.held[0].seq, seq);
      const now = room < len ? room : len;
      const nowMissing = room < len ? 0 : Math.min(missingTail, room - len);
      this.deliver(conn, dir, d, b, off, now, nowMissing, ctx.frame, ctx.time, fo);
      if (now + nowMissing < len + missingTail) {
        this.hold(conn, dir, d, (seq + now + nowMissing) >>> 0, b, off + now, len - now, missingTail - nowMissing, ctx.frame, fo + now, ctx);
      }
      this.releaseHeld(conn, dir, d, ctx.frame, ctx.time);
      return;
    }
    this.deliver(conn, dir, d, b, off, len, missingTail, ctx.frame, ctx.time, fo);
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

  /**
   * Hold [seq, seq + len + missingTail) (captured bytes b[off, off + len), then bytes the snaplen
   * cut) until it fits. Where it overlaps held segments, the held bytes stand (first copy wins) and
   * a difference is reported; the rest is copied in as new held segments.
   */
  private hold(conn: TcpConnection, dir: Dir, d: TcpDirection, seq: number, b: Uint8Array, off: number, len: number, missingTail: number, frame: number, fileOffset: number, ctx: PacketContext): void {
    const total = len + missingTail;
    if (total <= 0) return;
    const held = d.held;
    let cursor = 0; // offset into the new segment of the first byte not yet placed
    let i = 0;
    // Held segments are sorted and disjoint; find the first that ends after seq.
    while (i < held.length && seqDiff(held[i].seq + held[i].bytes.length + held[i].missingTail, seq) <= 0) i++;
    for (; i < held.length && cursor < total; i++) {
      const h = held[i];
      const hs = seqDiff(h.seq, seq); // held segment's start relative to the new one
      if (hs >= total) break;
      if (hs > cursor) {
        this.insertPiece(conn, d, i, seq, b, off, len, cursor, hs, frame, ctx.time, fileOffset);
        i++;
      }
      const hEnd = hs + h.bytes.length + h.missingTail;
      this.compareOverlap(conn, dir, d, h, hs, b, off, len, Math.max(cursor, hs), Math.min(total, hEnd), frame);
      if (hEnd > cursor) cursor = hEnd;
    }
    if (cursor < total) this.insertPiece(conn, d, i, seq, b, off, len, cursor, total, frame, ctx.time, fileOffset);
    this.checkHeldLimits(conn, dir, d, ctx);
  }

  /** Copy [from, to) of the new segment (offsets into it) in as a held segment at index i. */
  private insertPiece(conn: TcpConnection, d: TcpDirection, i: number, seq: number, b: Uint8Array, off: number, len: number, from: number, to: number, frame: number, time: number, fileOffset: number): void {
    const capFrom = from < len ? from : len;
    const capTo = to < len ? to : len;
    const bytes = b.slice(off + capFrom, off + capTo);
    const h: HeldSegment = { seq: (seq + from) >>> 0, bytes, missingTail: (to - from) - (capTo - capFrom), frame, time, fileOffset: fileOffset + capFrom };
    d.held.splice(i, 0, h);
    d.heldBytes += bytes.length;
    this.heldTotal += bytes.length + HELD_SEGMENT_COST;
    this.heldSegmentsTotal++;
    this.holding.add(conn);
  }

  /** Compare the captured bytes of [from, to) (offsets into the new segment) with held segment h
   *  (which starts at offset hs) and report a difference. */
  private compareOverlap(conn: TcpConnection, dir: Dir, d: TcpDirection, h: HeldSegment, hs: number, b: Uint8Array, off: number, len: number, from: number, to: number, frame: number): void {
    const end = Math.min(to, len, hs + h.bytes.length);
    let differ = 0;
    for (let k = from; k < end; k++) if (b[off + k] !== h.bytes[k - hs]) differ++;
    if (differ === 0) return;
    d.conflicts++;
    if (d.conflicts <= MAX_CONFLICT_REPORTS) this.sink.conflict?.(conn, dir, differ, 'first', h.frame, frame);
  }

  private checkHeldLimits(conn: TcpConnection, dir: Dir, d: TcpDirection, ctx: PacketContext): void {
    let limit: HeldLimit | undefined;
    if (d.held.length > MAX_HELD_SEGMENTS) limit = 'direction-segments';
    else if (d.heldBytes > MAX_HELD_BYTES) limit = 'direction-bytes';
    else if (this.heldSegmentsTotal > MAX_HELD_SEGMENTS_TOTAL) limit = 'total-segments';
    else if (this.heldTotal > MAX_HELD_TOTAL) limit = 'total-bytes';
    if (!limit) return;
    this.sink.capped?.(conn, dir, limit, ctx.frame, ctx.time);
    this.declareHole(conn, dir, d, ctx);
    if (limit === 'total-segments' || limit === 'total-bytes') {
      // Still over: stop waiting on the connections that have held data longest.
      for (const c of this.holding) {
        if (this.heldSegmentsTotal <= MAX_HELD_SEGMENTS_TOTAL && this.heldTotal <= MAX_HELD_TOTAL) break;
        for (const side of [0, 1] as const) {
          if (c.dirs[side].held.length === 0) continue;
          this.sink.capped?.(c, side, limit, ctx.frame, ctx.time);
          this.flushHeld(c, side, c.dirs[side], ctx);
        }
      }
    }
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

  /**
   * Hand on held segments that now fit at the front of the stream. Where frame `filled` closed the
   * hole before them, they join the stream there, at its time: the receiver had none of them
   * sooner, and Wireshark (reassembling out-of-order segments) shows their PDUs in that frame.
   * Where the hole was given up on (0), each keeps its own frame: nothing later delivered it.
   */
  private releaseHeld(conn: TcpConnection, dir: Dir, d: TcpDirection, filled = 0, filledTime = 0): void {
    while (d.held.length) {
      const h = d.held[0];
      const ahead = seqDiff(h.seq, d.nextSeq);
      if (ahead > 0) break;
      d.held.shift();
      d.heldBytes -= h.bytes.length;
      this.heldTotal -= h.bytes.length + HELD_SEGMENT_COST;
      this.heldSegmentsTotal--;
      const skip = -ahead;
      const total = h.bytes.length + h.missingTail;
      if (skip >= total) continue;
      const frame = filled > h.frame ? filled : h.frame;
      const time = filled > h.frame ? filledTime : h.time;
      if (skip >= h.bytes.length) {
        this.deliver(conn, dir, d, h.bytes, 0, 0, total - skip, frame, time, h.fileOffset);
      } else {
        this.deliver(conn, dir, d, h.bytes, skip, h.bytes.length - skip, h.missingTail, frame, time, h.fileOffset + skip);
      }
    }
    if (d.held.length === 0) {
      d.held = []; // let the array's storage go
      if (conn.dirs[0].held.length === 0 && conn.dirs[1].held.length === 0) this.holding.delete(conn);
    }
  }

  /** The stream ends (FIN, RST, capture end, idle): whatever is held comes after holes. */
  private flushHeld(conn: TcpConnection, dir: Dir, d: TcpDirection, ctx: PacketContext): void {
    while (d.held.length) {
      this.missingUpTo(conn, dir, d, d.held[0].seq, ctx.frame, ctx.time);
      this.releaseHeld(conn, dir, d);
    }
  }

  // ------------------------------------------------------------------ connections

  /** Forget what carries no iSCSI once idle or too many; release held data of idle connections. */
  private sweep(ctx: PacketContext): void {
    let c = this.idleHead;
    while (c && (this.idleCount > MAX_UNTAKEN || ctx.time - c.lastTime > IDLE_TIMEOUT)) {
      this.forget(c);
      c = this.idleHead;
    }
    if (this.heldSegmentsTotal === 0 || ++this.packetsSinceSweep < 4096) return;
    this.packetsSinceSweep = 0;
    for (const h of this.holding) {
      if (ctx.time - h.lastTime <= IDLE_TIMEOUT) continue;
      this.flushHeld(h, 0, h.dirs[0], ctx);
      this.flushHeld(h, 1, h.dirs[1], ctx);
    }
  }

  private listIdle(c: TcpConnection): void {
    c.idleListed = true;
    c.idlePrev = this.idleTail;
    c.idleNext = undefined;
    if (this.idleTail) this.idleTail.idleNext = c;
    else this.idleHead = c;
    this.idleTail = c;
    this.idleCount++;
  }

  private unlistIdle(c: TcpConnection): void {
    if (!c.idleListed) return;
    c.idleListed = false;
    if (c.idlePrev) c.idlePrev.idleNext = c.idleNext;
    else this.idleHead = c.idleNext;
    if (c.idleNext) c.idleNext.idlePrev = c.idlePrev;
    else this.idleTail = c.idlePrev;
    c.idlePrev = c.idleNext = undefined;
    this.idleCount--;
  }

  private touchIdle(c: TcpConnection): void {
    if (this.idleTail === c) return;
    this.unlistIdle(c);
    this.listIdle(c);
  }

  private forget(conn: TcpConnection): void {
    const h = this.hashOf(conn);
    // Not when close() listed it among the kept connections, or counted it itself.
    if (!this.close(conn)) this.forgottenConnections++;
    this.forgotten.add(h);
    if (this.forgotten.size > FORGOTTEN_KEPT) this.forgotten.delete(this.forgotten.values().next().value as number);
  }

  /** Close `conn`; true when it is accounted for: listed among the kept connections, or counted
   *  as forgotten here (one kept from its first SYN that carried nothing, past the listing bound). */
  private close(conn: TcpConnection): boolean {
    if (conn.closed) return true;
    conn.closed = true;
    this.unlink(conn);
    this.unlistIdle(conn);
    this.open.delete(conn);
    if (conn.dirs[0].held.length || conn.dirs[1].held.length) {
      // Only a forgotten connection can still hold data here (the others were flushed).
      for (const d of conn.dirs) {
        for (const h of d.held) {
          this.heldTotal -= h.bytes.length + HELD_SEGMENT_COST;
          this.heldSegmentsTotal--;
        }
        d.held = [];
        d.heldBytes = 0;
      }
      this.holding.delete(conn);
    }
    const a = conn.analysis;
    let accounted = false;
    if (a?.wanted === Wanted.Kept) {
      accounted = true;
      if (!a.holdingEvents) this.keptTable.add(conn);
      else if (this.emptyListed < MAX_EMPTY_LISTED) {
        this.emptyListed++;
        this.listEvents(a);
        this.keptTable.add(conn);
      } else {
        // Its attempt stays in the attempts table, which keeps no reference to the connection.
        this.forgottenConnections++;
        this.attemptTable.unlink(a.attempt);
      }
    }
    if (a) {
      endZeroWindows(a, conn.lastTime - a.epochOffset);
      a.pending = undefined;
      for (const side of [0, 1] as const) {
        const w = a.flows[side].watches;
        while (w.size > 0) {
          a.watching--;
          this.sink.acked?.(conn, side, w.shift(), 0, conn.lastTime);
        }
      }
    }
    this.sink.closed(conn);
    return accounted;
  }

  private hash(s: TcpSegment): number {
    return tupleHash(s.src0 ^ s.src1 ^ s.src2 ^ s.src3, s.srcPort, s.dst0 ^ s.dst1 ^ s.dst2 ^ s.dst3, s.dstPort);
  }

  /** The connection of `s` (its side in lookedUpSide), or undefined. */
  private lookup(s: TcpSegment): TcpConnection | undefined {
    const last = this.last;
    if (last && !last.closed) {
      const side = last.sideOf(s);
      if (side >= 0) {
        this.lookedUpSide = side as Dir;
        return last;
      }
    }
    for (let c = this.buckets.get(this.hash(s)); c; c = c.nextInBucket) {
      const side = c.sideOf(s);
      if (side >= 0) {
        this.last = c;
        this.lookedUpSide = side as Dir;
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
    c.analysis = new TcpConnectionAnalysis(this.wanted(s) ? Wanted.Kept : Wanted.Undecided, ctx.time - (ctx.rel ?? ctx.time));
    this.listIdle(c);
    return c;
  }

  private wanted(s: TcpSegment): boolean {
    if (this.ports.has(s.dstPort) || this.ports.has(s.srcPort)) return true;
    if (this.portals.size === 0) return false;
    return this.portals.has(portalKey(s.ipVersion, s.dst0, s.dst1, s.dst2, s.dst3, s.dstPort))
      || this.portals.has(portalKey(s.ipVersion, s.src0, s.src1, s.src2, s.src3, s.srcPort));
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

/** The kept connections (columns), in order of first packet (TcpConnection.id). */
export interface KeptConnections {
  count: number;
  id: Uint32Array;
  /** TcpConnection.clientSide: the side that sent the opening SYN, -1 when not captured. */
  clientSide: Int8Array;
  /** Ports of side 0 and side 1, two per row. */
  ports: Uint16Array;
  firstFrame: Uint32Array;
  firstTime: Float64Array;
}

class KeptConnectionTableBuilder {
  private count = 0;
  private id = new Uint32Array(64);
  private clientSide = new Int8Array(64);
  private ports = new Uint16Array(128);
  private firstFrame = new Uint32Array(64);
  private firstTime = new Float64Array(64);
  /** Rows came in closing order, not id order. */
  private unordered = false;

  add(c: TcpConnection): void {
    this.addRow(c.id, c.clientSide, c.port[0], c.port[1], c.firstFrame, c.firstTime);
  }

  addRow(id: number, clientSide: number, port0: number, port1: number, firstFrame: number, firstTime: number): void {
    const i = this.count;
    if (i === this.id.length) {
      const n = i * 2;
      this.id = grownTo(this.id, n);
      this.clientSide = grownTo(this.clientSide, n);
      this.ports = grownTo(this.ports, n * 2);
      this.firstFrame = grownTo(this.firstFrame, n);
      this.firstTime = grownTo(this.firstTime, n);
    }
    if (i > 0 && id < this.id[i - 1]) this.unordered = true;
    this.id[i] = id;
    this.clientSide[i] = clientSide;
    this.ports[i * 2] = port0;
    this.ports[i * 2 + 1] = port1;
    this.firstFrame[i] = firstFrame;
    this.firstTime[i] = firstTime;
    this.count = i + 1;
  }

  finish(open: TcpConnection[]): KeptConnections {
    // Connections still open (a snapshot) join a copy; the table itself goes on as it was.
    if (open.length > 0) {
      const b = new KeptConnectionTableBuilder();
      for (let i = 0; i < this.count; i++) b.addRow(this.id[i], this.clientSide[i], this.ports[i * 2], this.ports[i * 2 + 1], this.firstFrame[i], this.firstTime[i]);
      for (const c of open) b.add(c);
      return b.finish([]);
    }
    const n = this.count;
    const order = Array.from({ length: n }, (_, i) => i);
    if (this.unordered) order.sort((a, b) => this.id[a] - this.id[b]);
    const out: KeptConnections = {
      count: n, id: new Uint32Array(n), clientSide: new Int8Array(n), ports: new Uint16Array(n * 2),
      firstFrame: new Uint32Array(n), firstTime: new Float64Array(n),
    };
    for (let j = 0; j < n; j++) {
      const k = order[j];
      out.id[j] = this.id[k];
      out.clientSide[j] = this.clientSide[k];
      out.ports[j * 2] = this.ports[k * 2];
      out.ports[j * 2 + 1] = this.ports[k * 2 + 1];
      out.firstFrame[j] = this.firstFrame[k];
      out.firstTime[j] = this.firstTime[k];
    }
    return out;
  }
}

function grownTo<T extends Uint32Array | Uint16Array | Int8Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

function portalKey(v: number, w0: number, w1: number, w2: number, w3: number, port: number): string {
  return `${v}/${w0 >>> 0},${w1 >>> 0},${w2 >>> 0},${w3 >>> 0}/${port}`;
}
