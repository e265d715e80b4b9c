import type { TcpSegment } from '../net/index.ts';
import { UnackedRing, WatchRing } from './rings.ts';

/**
 * Wireshark 4.0's TCP sequence analysis (epan/dissectors/packet-tcp.c,
 * tcp_analyze_sequence_number and what dissect_tcp does around it), per connection and
 * direction, in one streaming pass: tshark's own single pass sees the frames in the same order and
 * keeps the same state, so every flag can be set when its frame arrives. Names follow the C code.
 */

const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;

// Event bits (TcpEventFlag, in TCP_EVENT_NAMES order), used as the analysis flags as well.
const RETRANSMISSION = 1 << 0;
const FAST_RETRANSMISSION = 1 << 1;
const SPURIOUS_RETRANSMISSION = 1 << 2;
const OUT_OF_ORDER = 1 << 3;
const LOST_PACKET = 1 << 4;
const ACK_LOST_PACKET = 1 << 5;
const DUPLICATE_ACK = 1 << 6;
const ZERO_WINDOW = 1 << 7;
const ZERO_WINDOW_PROBE = 1 << 8;
const ZERO_WINDOW_PROBE_ACK = 1 << 9;
const WINDOW_FULL = 1 << 10;
const WINDOW_UPDATE = 1 << 11;
const KEEP_ALIVE = 1 << 12;
const KEEP_ALIVE_ACK = 1 << 13;
const EV_SYN = 1 << 14;
const EV_SYN_ACK = 1 << 15;
const EV_FIN = 1 << 16;
const EV_RST = 1 << 17;

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS: past it a SYN or FIN no longer counts its sequence number. */
const MAX_UNACKED_SEGMENTS = 10000;
/** Out-of-order threshold before the handshake RTT is known (3 ms), and the fast-retransmission
 *  window after the last duplicate ACK (20 ms), as in packet-tcp.c. */
const OOO_THRESHOLD_NS = 3_000_000;
const FAST_RETRANSMISSION_WINDOW_NS = 20_000_000;

/** Retransmissions less than this apart are one burst (findings.md: tcp-retransmissions). */
export const RETRANSMISSION_BURST_GAP = 5;
/** Zero-window episodes longer than this are listed one by one (findings.md: tcp-zero-window). */
export const LONG_ZERO_WINDOW = 0.1;
const MAX_LISTED = 256;
const MAX_WATCHES = 1 << 16;
/** Events of a connection not yet known to be wanted, held until it is (or is not). */
export const MAX_PENDING_EVENTS = 64;

/** Retransmissions of one direction less than RETRANSMISSION_BURST_GAP apart. */
export interface RetransmissionBurst {
  firstFrame: number;
  firstTime: number;
  lastFrame: number;
  lastTime: number;
  segments: number;
  bytes: number;
  /** The longest wait before a retransmission, seconds, as Wireshark's tcp.analysis.rto measures
   *  it (from the oldest segment not yet acknowledged); -1 where none was measured. */
  longestWait: number;
  /** The most retransmissions of one segment (RTO back-offs). */
  backoffs: number;
}

/** A side advertising a zero window, until it opens the window again. */
export interface ZeroWindowEpisode {
  startFrame: number;
  startTime: number;
  /** 0 while (or when, at the end) still closed. */
  endFrame: number;
  endTime: number;
  /** Zero-window probes (and keep-alives, which is what Linux probes look like) from the peer. */
  probes: number;
}

/**
 * The per-direction state packet-tcp.c keeps in tcp_flow_t / tcp_analyze_seq_flow_info_t lives
 * in TcpConnectionAnalysis.st (32-bit words, sequence numbers as int32 bit patterns) and .tm
 * (times): typed arrays are read and written here for every segment, without the boxing object
 * fields holding numbers beyond 2^30 would cost. Word offsets within one direction's block:
 */
const BASE_SEQ = 0;
const BASE_SEQ_SET = 1;
/** Highest sequence number seen + 1 (0: none yet, as in Wireshark). */
const NEXTSEQ = 2;
const MAXSEQTOBEACKED = 3;
const LASTACK = 4;
/** The last window field as sent (unscaled); 0xffffffff (-1) before any. */
const WINDOW = 5;
/** Window scale shift: -1 unknown, -2 known not to be used. */
const WIN_SCALE = 6;
const IS_FIRST_ACK = 7;
const DUPACKNUM = 8;
const LASTSEGMENTFLAGS = 9;
/** The peer's ACK value at the last full compaction of `unacked`, and whether there was one. */
const COMPACTED_AT = 10;
const COMPACTED = 11;
const STRIDE = 12;
// Times per direction: when nextseq last moved, and of the last segment (lastacktime).
const NEXTSEQ_TIME = 0;
const LASTACK_TIME = 1;
const TSTRIDE = 2;

/** One direction's analysis beyond the hot state: figures and bounded rings. */
export class TcpFlow {
  readonly unacked = new UnackedRing(MAX_UNACKED_SEGMENTS);

  // ---- figures of the data this side sent
  retransmittedSegments = 0;
  retransmittedBytes = 0;
  longestRetransmissionWait = -1;
  backoffs = 0;
  readonly bursts: RetransmissionBurst[] = [];
  /** The segment retransmitted last, and how often in a row. */
  chainSeq = 0;
  chainCount = 0;

  // ---- figures of the window this side advertised
  zeroWindowEpisodes = 0;
  /** Closed episodes; an open one adds up to the connection's last packet. */
  zeroWindowTime = 0;
  /** Episodes longer than LONG_ZERO_WINDOW (the first MAX_LISTED). */
  readonly longZeroWindows: ZeroWindowEpisode[] = [];
  zwOpen = false;
  zwStartFrame = 0;
  zwStartTime = 0;
  zwProbes = 0;

  /** ACK watches on this side's data. */
  readonly watches = new WatchRing(MAX_WATCHES);
}

export const enum Wanted {
  /** Not known yet: events are held (up to MAX_PENDING_EVENTS). */
  Undecided = 0,
  Kept = 1,
}

function initialFlowWords(): Int32Array {
  const st = new Int32Array(2 * STRIDE);
  for (const o of [0, STRIDE]) {
    st[o + WINDOW] = -1; // Wireshark starts from G_MAXUINT32
    st[o + WIN_SCALE] = -1;
  }
  return st;
}

/** The analysis of one connection (both directions). */
export class TcpConnectionAnalysis {
  readonly flows: [TcpFlow, TcpFlow] = [new TcpFlow(), new TcpFlow()];
  /** Both directions' tcp_flow_t words (STRIDE each, by TcpConnection side). */
  readonly st = initialFlowWords();
  readonly tm = new Float64Array(2 * TSTRIDE);
  wanted: Wanted;
  /** Most recent SYN (without ACK): ts_mru_syn. */
  mruSyn = 0;
  hasMruSyn = false;
  /** SYN to the first pure ACK, seconds (ts_first_rtt; 0 while unknown, as in Wireshark). */
  firstRtt = 0;
  /** Row in the attempts table of the connection's current attempt, -1 when none, DROPPED_ATTEMPT
   *  when the table was full (the attempt is counted, and its answer too). */
  attempt = -1;
  /** The side that sent that attempt's SYN, its initial sequence number and SYNs so far. */
  attemptClient = 0;
  attemptIsn = 0;
  attemptSyns = 0;
  /** A dropped attempt's answer was counted. */
  attemptAnswered = false;
  /** ACK watches pending on both sides. */
  watching = 0;
  /** Held events (10 numbers each) while Undecided, or while a Kept connection has carried no
   *  payload (`holdingEvents`). */
  pending: number[] | undefined = undefined;
  /** Kept from its first SYN, but no payload yet: its events wait in `pending`, because a
   *  connection that never carries a byte (one SYN of a port scan) is listed only while few are. */
  holdingEvents = false;
  pendingDropped = 0;

  /**
   * The analysis counts time from the capture's start (PacketContext.rel); this added gives seconds
   * since the epoch again, for the times it reports (bursts, zero-window episodes).
   */
  readonly epochOffset: number;

  constructor(wanted: Wanted, epochOffset = 0) {
    this.wanted = wanted;
    this.holdingEvents = wanted === Wanted.Kept;
    this.epochOffset = epochOffset;
  }

  /** Whether a SYN with sequence number `seq` from `side` starts a new connection, as Wireshark
   *  decides it: the side's first sequence number is known and this is not it. */
  isOtherIsn(side: 0 | 1, seq: number): boolean {
    const o = side * STRIDE;
    return this.st[o + BASE_SEQ_SET] !== 0 && (seq | 0) !== this.st[o + BASE_SEQ];
  }
}


/**
 * Run Wireshark's sequence analysis for one segment of `a`, sent by side `dir`; returns the event
 * bits (analysis flags and SYN / SYN-ACK / FIN / RST) and leaves the window as tshark shows it
 * (tcp.window_size) in `out.win`, and for a retransmission how long its data had waited
 * (tcp.analysis.rto, seconds; -1 otherwise) in `out.rto`.
 */
export function analyzeSegment(a: TcpConnectionAnalysis, dir: 0 | 1, s: TcpSegment, frame: number, time: number, out: { win: number; rto: number }): number {
  const st = a.st;
  const F = dir === 0 ? 0 : STRIDE;
  const seq = s.seq | 0, seglen = s.payloadWireLength, flags = s.flags, window = s.window;
  // Most segments continue their stream in order: new data (more than one byte), or an ACK that
  // moves on. Of all the checks below only a full window, an ACK beyond what was seen and a
  // spurious retransmission can apply to them; they take the short way, with the same result.
  if ((flags & (SYN | FIN | RST)) === 0 && seq === st[F + NEXTSEQ] && seq !== 0 && window !== 0 && s.windowScale < 0
    && (seglen > 1 || (seglen === 0 && (s.ack | 0) !== st[F + LASTACK])) && st[STRIDE - F + BASE_SEQ_SET] !== 0) {
    return inOrder(a, st, dir, F, seq, s.ack | 0, seglen, flags, window, frame, time, out);
  }
  return anySegment(a, dir, s, frame, time, out);
}

/** analyzeSegment for a segment that continues its stream in order (see there). */
function inOrder(a: TcpConnectionAnalysis, st: Int32Array, dir: 0 | 1, F: number, seq: number, ack: number, seglen: number, flags: number, window: number, frame: number, time: number, out: { win: number; rto: number }): number {
  const R = STRIDE - F;
  const tm = a.tm, FT = dir * TSTRIDE;
  const revLastack = st[R + LASTACK];
  let f = 0;
  if (seglen > 0) {
    const rs = st[R + WIN_SCALE];
    if (rs !== -1) {
      const shift = st[R + IS_FIRST_ACK] !== 0 || rs === -2 ? 0 : rs;
      if (((seq + seglen) | 0) === ((revLastack + (st[R + WINDOW] << shift)) | 0)) f |= WINDOW_FULL;
    }
  }
  if (ack !== st[F + LASTACK]) st[F + DUPACKNUM] = 0;
  const revMax = st[R + MAXSEQTOBEACKED];
  if (revMax !== 0 && ((revMax - ack) | 0) < 0 && flags & ACK) {
    f |= ACK_LOST_PACKET;
    st[R + MAXSEQTOBEACKED] = st[R + NEXTSEQ];
  }
  const fwd = dir === 0 ? a.flows[0] : a.flows[1];
  const rev = dir === 0 ? a.flows[1] : a.flows[0];
  if (seglen > 0) {
    if (revLastack !== 0 && ((seq + seglen - revLastack) | 0) <= 0) f |= SPURIOUS_RETRANSMISSION;
    const nextseq = (seq + seglen) | 0;
    if (!fwd.unacked.push(nextseq, time) && (st[F + COMPACTED] === 0 || st[F + COMPACTED_AT] !== revLastack)) {
      st[F + COMPACTED] = 1;
      st[F + COMPACTED_AT] = revLastack;
      fwd.unacked.compact(revLastack);
      fwd.unacked.push(nextseq, time);
    }
    st[F + NEXTSEQ] = nextseq;
    tm[FT + NEXTSEQ_TIME] = time;
  }
  if (seq === st[F + MAXSEQTOBEACKED] || st[F + MAXSEQTOBEACKED] === 0) st[F + MAXSEQTOBEACKED] = st[F + NEXTSEQ];
  st[F + WINDOW] = window;
  st[F + LASTACK] = ack;
  tm[FT + LASTACK_TIME] = time;
  st[F + LASTSEGMENTFLAGS] = f;
  rev.unacked.popAcked(ack);
  const ws = st[F + WIN_SCALE];
  out.win = ws >= 0 ? (window << ws) >>> 0 : window;
  out.rto = -1;
  if (flags & ACK) {
    if (a.firstRtt === 0 && a.hasMruSyn) a.firstRtt = time - a.mruSyn;
    st[F + IS_FIRST_ACK] = 0;
  }
  if (f === 0 && !fwd.zwOpen && !rev.zwOpen) return 0;
  return figures(fwd, rev, f, flags, seq, seglen, window, frame, time, -1);
}

/** analyzeSegment for any segment: tcp_analyze_sequence_number step by step. */
function anySegment(a: TcpConnectionAnalysis, dir: 0 | 1, s: TcpSegment, frame: number, time: number, out: { win: number; rto: number }): number {
  const st = a.st, tm = a.tm;
  const F = dir * STRIDE, R = STRIDE - F; // this direction's words, the other's
  const FT = dir * TSTRIDE, RT = TSTRIDE - FT;
  const fwd = a.flows[dir], rev = a.flows[dir ^ 1];
  const seq = s.seq | 0, ack = s.ack | 0, seglen = s.payloadWireLength, flags = s.flags, window = s.window;
  const synFinRst = flags & (SYN | FIN | RST);
  const synFin = flags & (SYN | FIN);

  if (flags & SYN || st[F + BASE_SEQ_SET] === 0 || st[R + BASE_SEQ_SET] === 0) baseSeqs(st, F, R, seq, ack, flags);

  const nextseq0 = st[F + NEXTSEQ];
  const lastack0 = st[F + LASTACK];
  const window0 = st[F + WINDOW];
  const revLastack = st[R + LASTACK];
  let f = 0;
  finishedFwd: {
    if (seglen === 1 && seq === nextseq0 && st[R + WINDOW] === 0) {
      f |= ZERO_WINDOW_PROBE;
      break finishedFwd;
    }
    if (window === 0 && synFinRst === 0) f |= ZERO_WINDOW;
    if (nextseq0 !== 0 && ((nextseq0 - seq) | 0) < 0 && (flags & RST) === 0) f |= LOST_PACKET;
    if (synFinRst !== 0) break finishedFwd; // what follows never applies to SYN, FIN or RST
    if (seglen <= 1 && seq === ((nextseq0 - 1) | 0)) f |= KEEP_ALIVE;
    if (seglen === 0) {
      if (seq !== nextseq0 || ack !== lastack0) break finishedFwd;
      // Repeats the last sequence and ACK numbers.
      if (window !== 0 && window !== window0) f |= WINDOW_UPDATE;
      if (window !== window0) break finishedFwd;
      if (window !== 0) {
        if (st[R + LASTSEGMENTFLAGS] & KEEP_ALIVE) {
          f |= KEEP_ALIVE_ACK;
        } else {
          st[F + DUPACKNUM]++;
          f |= DUPLICATE_ACK;
        }
      } else if (st[R + LASTSEGMENTFLAGS] & ZERO_WINDOW_PROBE) {
        f |= ZERO_WINDOW_PROBE_ACK;
      }
    } else {
      const rs = st[R + WIN_SCALE];
      if (rs !== -1) {
        const shift = st[R + IS_FIRST_ACK] !== 0 || rs === -2 ? 0 : rs;
        if (((seq + seglen) | 0) === ((revLastack + (st[R + WINDOW] << shift)) | 0)) f |= WINDOW_FULL;
      }
    }
  }

  if (ack !== lastack0) st[F + DUPACKNUM] = 0;

  // An ACK beyond what the other side was seen to send; from then on, beyond its highest
  // sequence number. (Later Wireshark versions flag this once per loss; 4.0 on every such ACK.)
  const revMax = st[R + MAXSEQTOBEACKED];
  if (revMax !== 0 && ((revMax - ack) | 0) < 0 && flags & ACK) {
    f |= ACK_LOST_PACKET;
    st[R + MAXSEQTOBEACKED] = st[R + NEXTSEQ];
  }

  let rto = -1;
  if ((seglen > 0 || synFin !== 0) && (f & KEEP_ALIVE) === 0) {
    let seqNotAdvanced = nextseq0 !== 0 && ((seq - nextseq0) | 0) < 0;
    // Data starting one byte before nextseq follows a zero-window probe: new data.
    if (seqNotAdvanced && seglen > 1 && ((nextseq0 - 1) | 0) === seq) seqNotAdvanced = false;
    if (seglen > 0 && revLastack !== 0 && ((seq + seglen - revLastack) | 0) <= 0) {
      f |= SPURIOUS_RETRANSMISSION;
    } else if (seqNotAdvanced) {
      // Times are compared as Wireshark's unsigned nanosecond deltas (a negative one is huge), in
      // whole nanoseconds: times here count from the capture's start, so a delta rounds exactly
      // (a 30 µs gap against a 30 µs first RTT is not "less than").
      const sinceAck = time - tm[RT + LASTACK_TIME];
      const sinceNext = time - tm[FT + NEXTSEQ_TIME];
      const sinceNextNs = Math.round(sinceNext * 1e9);
      if (st[R + DUPACKNUM] >= 2 && revLastack === seq && sinceAck >= 0 && Math.round(sinceAck * 1e9) < FAST_RETRANSMISSION_WINDOW_NS) {
        f |= FAST_RETRANSMISSION;
      } else if (sinceNext >= 0 && sinceNextNs < (a.firstRtt !== 0 ? Math.round(a.firstRtt * 1e9) : OOO_THRESHOLD_NS)
        && nextseq0 !== ((seq + seglen + (synFin !== 0 ? 1 : 0)) | 0)) {
        f |= OUT_OF_ORDER;
      } else {
        f |= RETRANSMISSION;
        rto = fwd.unacked.size > 0 ? time - fwd.unacked.oldestTime() : sinceNext;
      }
    }
  }

  let nextseq = (seq + seglen) | 0;
  if (seglen > 0 || synFin !== 0) {
    // Wireshark counts SYN and FIN only for segments it adds to its (bounded) unacked list.
    const ual = synFin !== 0 ? (nextseq + 1) | 0 : nextseq;
    let added = fwd.unacked.push(ual, time);
    if (!added && (st[F + COMPACTED] === 0 || st[F + COMPACTED_AT] !== revLastack)) {
      st[F + COMPACTED] = 1;
      st[F + COMPACTED_AT] = revLastack;
      fwd.unacked.compact(revLastack);
      added = fwd.unacked.push(ual, time);
    }
    if (added) nextseq = ual;
  }
  if ((f & ZERO_WINDOW_PROBE) === 0) {
    if (((st[F + NEXTSEQ] - nextseq) | 0) < 0 || st[F + NEXTSEQ] === 0) {
      st[F + NEXTSEQ] = nextseq;
      tm[FT + NEXTSEQ_TIME] = time;
    }
    if (seq === st[F + MAXSEQTOBEACKED] || st[F + MAXSEQTOBEACKED] === 0) st[F + MAXSEQTOBEACKED] = st[F + NEXTSEQ];
  }
  st[F + WINDOW] = window;
  st[F + LASTACK] = ack;
  tm[FT + LASTACK_TIME] = time;
  st[F + LASTSEGMENTFLAGS] = f;
  rev.unacked.popAcked(ack);

  // ---- dissect_tcp after the analysis: the window as shown, the handshake, window scaling.
  const ws = st[F + WIN_SCALE];
  out.win = (flags & SYN) === 0 && ws >= 0 ? (window << ws) >>> 0 : window;
  out.rto = rto;
  if (flags & SYN || s.windowScale >= 0) {
    handshake(a, st, F, R, flags, s.windowScale, time);
  } else if (flags & ACK) {
    if (a.firstRtt === 0 && a.hasMruSyn) a.firstRtt = time - a.mruSyn;
    st[F + IS_FIRST_ACK] = 0;
  }

  // ---- our figures
  if (f === 0 && synFinRst === 0 && !fwd.zwOpen && !rev.zwOpen) return 0;
  return figures(fwd, rev, f, flags, seq, seglen, window, frame, time, rto);
}

/** A SYN (or a segment from a side with no base sequence number yet): dissect_tcp's conversation
 *  checks before the analysis, and the analysis' base sequence numbers. */
function baseSeqs(st: Int32Array, F: number, R: number, seq: number, ack: number, flags: number): void {
  // A SYN repeating the flow's first sequence number is the same connection (a different one
  // started a new connection, see TcpReassembler); Wireshark then goes back to the highest
  // in-order sequence number (issue 17616).
  if (flags & SYN) {
    if ((flags & ACK) === 0) {
      if (st[F + BASE_SEQ_SET] !== 0 && seq === st[F + BASE_SEQ]) st[F + NEXTSEQ] = st[F + MAXSEQTOBEACKED];
    } else if (st[F + BASE_SEQ_SET] !== 0 && seq !== st[F + BASE_SEQ]) {
      st[F + BASE_SEQ] = seq; // issue 16944
    }
  }
  if (st[F + BASE_SEQ_SET] === 0) {
    st[F + BASE_SEQ] = flags & SYN ? seq : seq - 1;
    st[F + BASE_SEQ_SET] = 1;
  }
  if (st[R + BASE_SEQ_SET] === 0 && flags & ACK) {
    st[R + BASE_SEQ] = ack - 1;
    st[R + BASE_SEQ_SET] = 1;
  }
}

/** After the analysis of a SYN or a segment with a Window Scale option: the handshake RTT's start,
 *  the window scale (verify_tcp_window_scaling: used only where both SYNs offered it). */
function handshake(a: TcpConnectionAnalysis, st: Int32Array, F: number, R: number, flags: number, windowScale: number, time: number): void {
  if (windowScale >= 0) st[F + WIN_SCALE] = windowScale;
  if (flags & SYN) {
    st[F + IS_FIRST_ACK] = 1;
    if ((flags & ACK) === 0) {
      a.mruSyn = time;
      a.hasMruSyn = true;
    }
    if (st[F + WIN_SCALE] === -1) {
      st[F + WIN_SCALE] = -2;
      st[R + WIN_SCALE] = -2;
    } else if (flags & ACK && st[R + WIN_SCALE] === -2) {
      st[F + WIN_SCALE] = -2;
    }
  } else if (flags & ACK) {
    if (a.firstRtt === 0 && a.hasMruSyn) a.firstRtt = time - a.mruSyn;
    st[F + IS_FIRST_ACK] = 0;
  }
}

/** Figures of a segment with events (or while a zero window is open), and its event bits. */
function figures(fwd: TcpFlow, rev: TcpFlow, f: number, flags: number, seq: number, seglen: number, window: number, frame: number, time: number, rto: number): number {
  if (seglen > 0 && f & (RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION)) retransmitted(fwd, seq, seglen, frame, time, rto);
  // An episode runs from a zero-window segment to the side's next segment with a window again
  // (SYN and RST segments say nothing about it).
  if (rev.zwOpen && f & (ZERO_WINDOW_PROBE | KEEP_ALIVE)) rev.zwProbes++;
  if ((flags & (RST | SYN)) === 0) {
    if (fwd.zwOpen) {
      if (window !== 0) closeZeroWindow(fwd, frame, time);
    } else if (f & ZERO_WINDOW) {
      fwd.zwOpen = true;
      fwd.zwStartFrame = frame;
      fwd.zwStartTime = time;
      fwd.zwProbes = 0;
      fwd.zeroWindowEpisodes++;
    }
  }

  let ev = f;
  if (f & (FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION)) ev |= RETRANSMISSION;
  if (flags & SYN) ev |= flags & ACK ? EV_SYN_ACK : EV_SYN;
  if (flags & FIN) ev |= EV_FIN;
  if (flags & RST) ev |= EV_RST;
  return ev;
}

function retransmitted(fl: TcpFlow, seq: number, len: number, frame: number, time: number, rto: number): void {
  fl.retransmittedSegments++;
  fl.retransmittedBytes += len;
  if (fl.chainCount > 0 && seq === fl.chainSeq) fl.chainCount++;
  else {
    fl.chainSeq = seq;
    fl.chainCount = 1;
  }
  if (rto > fl.longestRetransmissionWait) fl.longestRetransmissionWait = rto;
  if (fl.chainCount > fl.backoffs) fl.backoffs = fl.chainCount;
  const bursts = fl.bursts;
  let b = bursts.length > 0 ? bursts[bursts.length - 1] : undefined;
  if (!b || (time - b.lastTime >= RETRANSMISSION_BURST_GAP && bursts.length < MAX_LISTED)) {
    b = { firstFrame: frame, firstTime: time, lastFrame: frame, lastTime: time, segments: 0, bytes: 0, longestWait: -1, backoffs: 0 };
    bursts.push(b);
  }
  b.lastFrame = frame;
  b.lastTime = time;
  b.segments++;
  b.bytes += len;
  if (rto > b.longestWait) b.longestWait = rto;
  if (fl.chainCount > b.backoffs) b.backoffs = fl.chainCount;
}

function closeZeroWindow(fl: TcpFlow, frame: number, time: number): void {
  fl.zwOpen = false;
  const d = time - fl.zwStartTime;
  fl.zeroWindowTime += d;
  if (d > LONG_ZERO_WINDOW && fl.longZeroWindows.length < MAX_LISTED) {
    fl.longZeroWindows.push({ startFrame: fl.zwStartFrame, startTime: fl.zwStartTime, endFrame: frame, endTime: time, probes: fl.zwProbes });
  }
}

/** The connection ends: an episode still open is listed as open (endFrame 0), lasting until `time`. */
export function endZeroWindows(a: TcpConnectionAnalysis, time: number): void {
  for (const fl of a.flows) {
    if (!fl.zwOpen) continue;
    fl.zwOpen = false;
    const d = time - fl.zwStartTime;
    fl.zeroWindowTime += d;
    if (d > LONG_ZERO_WINDOW && fl.longZeroWindows.length < MAX_LISTED) {
      fl.longZeroWindows.push({ startFrame: fl.zwStartFrame, startTime: fl.zwStartTime, endFrame: 0, endTime: time, probes: fl.zwProbes });
    }
  }
}
