import type { TcpSegment } from '../net/index.ts';
import { gtSeq, leSeq, ltSeq, OriginalsRing, UnackedRing, WatchRing } from './rings.ts';

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
const OOO_THRESHOLD = 0.003;
const FAST_RETRANSMISSION_WINDOW = 0.02;

/** Retransmissions less than this apart are one burst (findings.md: tcp-retransmissions). */
export const RETRANSMISSION_BURST_GAP = 5;
/** Zero-window episodes longer than this are listed one by one (findings.md: tcp-zero-window). */
export const LONG_ZERO_WINDOW = 0.1;
const MAX_LISTED = 256;
const MAX_ORIGINALS = 4096;
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
  /** Longest time from a segment's first transmission to its (last) retransmission, seconds;
   *  -1 where no first transmission was seen. */
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

/** The per-direction state packet-tcp.c keeps in tcp_flow_t / tcp_analyze_seq_flow_info_t. */
export class TcpFlow {
  baseSeq = 0;
  baseSeqSet = false;
  /** Highest sequence number seen + 1 (0: none yet, as in Wireshark). */
  nextseq = 0;
  nextseqTime = 0;
  maxseqtobeacked = 0;
  lastack = 0;
  lastackTime = 0;
  /** The last window field as sent (unscaled); 0xffffffff before any. */
  window = 0xffffffff;
  /** Window scale shift: -1 unknown, -2 known not to be used. */
  winScale = -1;
  isFirstAck = false;
  dupacknum = 0;
  lastnondupack = 0;
  lastsegmentflags = 0;
  readonly unacked = new UnackedRing(MAX_UNACKED_SEGMENTS);
  /** The peer's ACK value at the last full compaction of `unacked`. */
  compactedAt = -1;

  // ---- figures of the data this side sent
  retransmittedSegments = 0;
  retransmittedBytes = 0;
  longestRetransmissionWait = -1;
  backoffs = 0;
  readonly bursts: RetransmissionBurst[] = [];
  readonly originals = new OriginalsRing(MAX_ORIGINALS);

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

/** The analysis of one connection (both directions). */
export class TcpConnectionAnalysis {
  readonly flows: [TcpFlow, TcpFlow] = [new TcpFlow(), new TcpFlow()];
  wanted: Wanted;
  /** Most recent SYN (without ACK): ts_mru_syn. */
  mruSyn = 0;
  hasMruSyn = false;
  /** SYN to the first pure ACK, seconds (ts_first_rtt; 0 while unknown, as in Wireshark). */
  firstRtt = 0;
  /** Row in the attempts table of the connection's current attempt, -1 when none. */
  attempt = -1;
  /** The side that sent that attempt's SYN. */
  attemptClient = 0;
  /** Held events (9 numbers each) while Undecided. */
  pending: number[] | undefined = undefined;
  pendingDropped = 0;

  constructor(wanted: Wanted) {
    this.wanted = wanted;
  }
}

const scratch = { wait: -1, count: 0 };

/**
 * Run Wireshark's sequence analysis for one segment of `a`, sent by side `dir`; returns the event
 * bits (analysis flags and SYN / SYN-ACK / FIN / RST) and leaves the window as tshark shows it
 * (tcp.window_size) in `out.win`.
 */
export function analyzeSegment(a: TcpConnectionAnalysis, dir: 0 | 1, s: TcpSegment, frame: number, time: number, out: { win: number }): number {
  const fwd = a.flows[dir], rev = a.flows[dir ^ 1];
  const seq = s.seq, ack = s.ack, seglen = s.payloadWireLength, flags = s.flags, window = s.window;
  const synFinRst = flags & (SYN | FIN | RST);
  const synFin = flags & (SYN | FIN);

  // dissect_tcp, before the analysis: a SYN repeating the flow's first sequence number is the
  // same connection (a different one started a new connection, see TcpReassembler); Wireshark
  // then goes back to the highest in-order sequence number (issue 17616).
  if (flags & SYN) {
    if ((flags & ACK) === 0) {
      if (fwd.baseSeqSet && seq === fwd.baseSeq) fwd.nextseq = fwd.maxseqtobeacked;
    } else if (fwd.baseSeqSet && seq !== fwd.baseSeq) {
      fwd.baseSeq = seq; // issue 16944
    }
  }

  if (!fwd.baseSeqSet) {
    fwd.baseSeq = flags & SYN ? seq : (seq - 1) >>> 0;
    fwd.baseSeqSet = true;
  }
  if (!rev.baseSeqSet && flags & ACK) {
    rev.baseSeq = (ack - 1) >>> 0;
    rev.baseSeqSet = true;
  }

  let f = 0;
  finishedFwd: {
    if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
      f |= ZERO_WINDOW_PROBE;
      break finishedFwd;
    }
    if (window === 0 && synFinRst === 0) f |= ZERO_WINDOW;
    if (fwd.nextseq !== 0 && gtSeq(seq, fwd.nextseq) && (flags & RST) === 0) f |= LOST_PACKET;
    if (seglen <= 1 && seq === ((fwd.nextseq - 1) >>> 0) && synFinRst === 0) f |= KEEP_ALIVE;
    const repeats = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastack && synFinRst === 0;
    if (repeats && window !== 0 && window !== fwd.window) f |= WINDOW_UPDATE;
    if (seglen > 0 && rev.winScale !== -1 && synFinRst === 0) {
      const shift = rev.isFirstAck || rev.winScale === -2 ? 0 : rev.winScale;
      if (((seq + seglen) >>> 0) === ((rev.lastack + ((rev.window << shift) >>> 0)) >>> 0)) f |= WINDOW_FULL;
    }
    if (repeats && window !== 0 && window === fwd.window && rev.lastsegmentflags & KEEP_ALIVE) {
      f |= KEEP_ALIVE_ACK;
      break finishedFwd;
    }
    if (repeats && window === 0 && window === fwd.window && rev.lastsegmentflags & ZERO_WINDOW_PROBE) {
      f |= ZERO_WINDOW_PROBE_ACK;
      break finishedFwd;
    }
    if (repeats && window !== 0 && window === fwd.window) {
      fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1;
      f |= DUPLICATE_ACK;
    }
  }

  if (ack !== fwd.lastack) {
    fwd.lastnondupack = frame;
    fwd.dupacknum = 0;
  }

  if (rev.maxseqtobeacked !== 0 && gtSeq(ack, rev.maxseqtobeacked) && flags & ACK) {
    // Plain unsigned comparison here, as in the C code.
    if (rev.maxseqtobeacked > rev.nextseq) {
      rev.maxseqtobeacked = rev.nextseq;
      f |= ACK_LOST_PACKET;
    } else {
      if (rev.dupacknum === 0) f |= ACK_LOST_PACKET;
      rev.dupacknum = -1;
    }
  }

  if ((seglen > 0 || synFin !== 0) && (f & KEEP_ALIVE) === 0) {
    retransmissionType: {
      let seqNotAdvanced = fwd.nextseq !== 0 && ltSeq(seq, fwd.nextseq);
      // Data starting one byte before nextseq follows a zero-window probe: new data.
      if (seglen > 1 && ((fwd.nextseq - 1) >>> 0) === seq) seqNotAdvanced = false;
      if (seglen > 0 && rev.lastack !== 0 && leSeq((seq + seglen) >>> 0, rev.lastack)) {
        f |= SPURIOUS_RETRANSMISSION;
        break retransmissionType;
      }
      // Times are compared as Wireshark's unsigned nanosecond deltas: a negative one is huge.
      let t = time - rev.lastackTime;
      if (seqNotAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && t >= 0 && t < FAST_RETRANSMISSION_WINDOW) {
        f |= FAST_RETRANSMISSION;
        break retransmissionType;
      }
      t = time - fwd.nextseqTime;
      const threshold = a.firstRtt !== 0 ? a.firstRtt : OOO_THRESHOLD;
      if (seqNotAdvanced && t >= 0 && t < threshold && fwd.nextseq !== ((seq + seglen + (synFin !== 0 ? 1 : 0)) >>> 0)) {
        f |= OUT_OF_ORDER;
        break retransmissionType;
      }
      if (seqNotAdvanced) f |= RETRANSMISSION;
    }
  }

  let nextseq = (seq + seglen) >>> 0;
  if (seglen > 0 || synFin !== 0) {
    // Wireshark counts SYN and FIN only for segments it adds to its (bounded) unacked list.
    if (synFin !== 0) {
      if (fwd.unacked.push((nextseq + 1) >>> 0)) nextseq = (nextseq + 1) >>> 0;
      else if (fwd.compactedAt !== rev.lastack) {
        fwd.compactedAt = rev.lastack;
        fwd.unacked.compact(rev.lastack);
        if (fwd.unacked.push((nextseq + 1) >>> 0)) nextseq = (nextseq + 1) >>> 0;
      }
    } else if (!fwd.unacked.push(nextseq) && fwd.compactedAt !== rev.lastack) {
      fwd.compactedAt = rev.lastack;
      fwd.unacked.compact(rev.lastack);
      fwd.unacked.push(nextseq);
    }
  }
  const highest = fwd.nextseq;
  if ((gtSeq(nextseq, fwd.nextseq) || fwd.nextseq === 0) && (f & ZERO_WINDOW_PROBE) === 0) {
    fwd.nextseq = nextseq;
    fwd.nextseqTime = time;
  }
  if ((seq === fwd.maxseqtobeacked || fwd.maxseqtobeacked === 0) && (f & ZERO_WINDOW_PROBE) === 0) {
    fwd.maxseqtobeacked = fwd.nextseq;
  }
  fwd.window = window;
  fwd.lastack = ack;
  fwd.lastackTime = time;
  fwd.lastsegmentflags = f;
  rev.unacked.popAcked(ack);

  // ---- dissect_tcp after the analysis: the window as shown, the handshake, window scaling.
  out.win = (flags & SYN) === 0 && fwd.winScale >= 0 ? (window << fwd.winScale) >>> 0 : window;
  if (s.windowScale >= 0) fwd.winScale = s.windowScale;
  if (flags & SYN) {
    fwd.isFirstAck = true;
    if ((flags & ACK) === 0) {
      a.mruSyn = time;
      a.hasMruSyn = true;
    }
  } else if (flags & ACK) {
    if (a.hasMruSyn && a.firstRtt === 0) a.firstRtt = time - a.mruSyn;
    fwd.isFirstAck = false;
  }
  if (flags & SYN) {
    // verify_tcp_window_scaling: scaling is used only where both SYNs offered it.
    if (fwd.winScale === -1) {
      fwd.winScale = -2;
      rev.winScale = -2;
    } else if (flags & ACK && rev.winScale === -2) {
      fwd.winScale = -2;
    }
  }

  // ---- our figures
  if (seglen > 0) {
    if (f & (RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION)) {
      retransmitted(fwd, seq, seglen, frame, time);
    } else if ((f & (OUT_OF_ORDER | ZERO_WINDOW_PROBE)) === 0 && (highest === 0 || gtSeq(nextseq, highest))) {
      // First transmission. Where the segments before it never reached the capture, they were
      // sent about now: their retransmission's wait counts from here.
      if (f & LOST_PACKET) fwd.originals.push(highest, seq, time);
      fwd.originals.push(highest !== 0 && ltSeq(seq, highest) ? highest : seq, nextseq, time);
    }
  }
  if (flags & ACK) rev.originals.popAcked(ack);
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

function retransmitted(fl: TcpFlow, seq: number, len: number, frame: number, time: number): void {
  fl.retransmittedSegments++;
  fl.retransmittedBytes += len;
  fl.originals.resend(seq, len, time, scratch);
  if (scratch.wait > fl.longestRetransmissionWait) fl.longestRetransmissionWait = scratch.wait;
  if (scratch.count > fl.backoffs) fl.backoffs = scratch.count;
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
  if (scratch.wait > b.longestWait) b.longestWait = scratch.wait;
  if (scratch.count > b.backoffs) b.backoffs = scratch.count;
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
