import { bhsDataSegmentLength, bhsProblem, crc32c, parseTextKeys, u32le } from '../codec/index.ts';
import { DigestEvidence } from './digests.ts';
import type { DigestLength, SideDigests, UnnegotiatedDigest } from './digests.ts';

/** PDU framing of one iSCSI connection's two byte streams (RFC 7143 §11.1-11.2, digests §13.1). */

export const BHS_LENGTH = 48;

/** How much of a data segment is kept, per opcode: only what the checks and the detail view read. */
function dataToKeep(opcode: number): number {
  switch (opcode) {
    case 0x03: case 0x23: case 0x04: case 0x24: return 65536; // text keys
    case 0x21: case 0x32: return 260; // SenseLength + sense data
    case 0x3f: return 48; // the rejected BHS
    default: return 0;
  }
}

export const enum DigestCheck { None = 0, Ok = 1, Bad = 2, Unchecked = 3 }

/** Per connection: what the login negotiated (or what framing found out when the login was not captured). */
export class ConnectionFraming {
  /** 4 when CRC32C header digests are on for Full Feature Phase PDUs, 0 when off, -1 unknown. Without a
   *  captured login, what a side was proven to send. */
  headerDigest: DigestLength = -1;
  dataDigest: DigestLength = -1;
  /** MaxRecvDataSegmentLength declared by the initiator (for Data-In…) and by the target (for Data-Out…); 0 unknown. */
  initiatorMaxRecv = 0;
  targetMaxRecv = 0;
  loginComplete = false;
  /** Some login text was not captured (snaplen): a key we did not see may still have been sent. */
  loginKeysIncomplete = false;
  /** Keys offered and answered during login, last value wins, in the order first seen. */
  readonly initiatorKeys = new Map<string, string>();
  readonly targetKeys = new Map<string, string>();
  /** What each side sends, as its bytes show it: [initiator, target]. */
  readonly sent: readonly [SideDigests, SideDigests] = [
    { header: new DigestEvidence(), data: new DigestEvidence() },
    { header: new DigestEvidence(), data: new DigestEvidence() },
  ];
  /** Where a side was proven to send other digests than the login agreed, in the order proven. */
  readonly unnegotiatedDigests: UnnegotiatedDigest[] = [];
  /** What the captured login agreed (-1: no login seen, or its keys were cut). */
  private negotiatedHeader: DigestLength = -1;
  private negotiatedData: DigestLength = -1;

  /** A connection whose first bytes we saw starts in login: no digests until it says otherwise. */
  startsWithLogin(): void {
    if (this.headerDigest < 0) this.headerDigest = 0;
    if (this.dataDigest < 0) this.dataDigest = 0;
    for (const s of this.sent) {
      if (s.header.value < 0) s.header.reset(0);
      if (s.data.value < 0) s.data.reset(0);
    }
  }

  /** Apply the final Login Response: the answer's value is the negotiated one (RFC 7143 §6.2). */
  completeLogin(): void {
    this.loginComplete = true;
    // A key absent from complete login text takes its RFC default; absent from cut text, it is unknown.
    const unknown = this.loginKeysIncomplete ? undefined : 'None';
    const hd = negotiated(this.targetKeys.get('HeaderDigest'), this.initiatorKeys.get('HeaderDigest')) ?? unknown;
    const dd = negotiated(this.targetKeys.get('DataDigest'), this.initiatorKeys.get('DataDigest')) ?? unknown;
    this.headerDigest = hd === undefined ? -1 : hd === 'CRC32C' ? 4 : 0;
    this.dataDigest = dd === undefined ? -1 : dd === 'CRC32C' ? 4 : 0;
    this.negotiatedHeader = this.headerDigest;
    this.negotiatedData = this.dataDigest;
    for (const s of this.sent) {
      s.header.reset(this.headerDigest, this.headerDigest);
      s.data.reset(this.dataDigest, this.dataDigest);
    }
    this.initiatorMaxRecv = this.maxRecv(this.initiatorKeys.get('MaxRecvDataSegmentLength'));
    this.targetMaxRecv = this.maxRecv(this.targetKeys.get('MaxRecvDataSegmentLength'));
  }

  /** A side's framer proved what it sends in one digest slot. */
  noteProof(fromTarget: boolean, which: 'header' | 'data'): void {
    const ev = this.sent[fromTarget ? 1 : 0][which];
    const agreed = which === 'header' ? this.negotiatedHeader : this.negotiatedData;
    const by = fromTarget ? 'target' : 'initiator';
    if (agreed >= 0 && ev.value !== agreed && !this.unnegotiatedDigests.some((u) => u.which === which && u.by === by)) {
      this.unnegotiatedDigests.push({
        which, by, negotiated: agreed === 4 ? 'CRC32C' : 'None', sent: ev.value === 4 ? 'CRC32C' : 'None', fromFrame: ev.fromFrame, pdus: ev.provenBy,
      });
    }
    if (which === 'header' && this.headerDigest < 0) this.headerDigest = ev.value;
    if (which === 'data' && this.dataDigest < 0) this.dataDigest = ev.value;
  }

  private maxRecv(declared: string | undefined): number {
    if (declared === undefined) return this.loginKeysIncomplete ? 0 : 8192;
    const n = Number(declared);
    return Number.isInteger(n) && n > 0 ? n : 0;
  }
}

function negotiated(answer: string | undefined, offer: string | undefined): string | undefined {
  // A target's list means it offered and the initiator chose; a single value is the choice.
  if (answer !== undefined && !answer.includes(',')) return answer;
  if (offer !== undefined && !offer.includes(',')) return offer;
  return answer === undefined && offer === undefined ? undefined : 'None';
}

/** One framed PDU, handed to the sink; the object and its buffers are reused for the next PDU. */
export interface FramedPdu {
  fromTarget: boolean;
  /** BHS + AHS (header digest excluded). */
  header: Uint8Array;
  headerLength: number;
  firstFrame: number;
  headerFrame: number;
  /** Frame of the PDU's last byte (the last captured byte when truncated). */
  frame: number;
  time: number;
  fileOffset: number;
  /** Some bytes of the PDU were not in the capture. */
  truncated: boolean;
  headerDigest: DigestCheck;
  dataDigest: DigestCheck;
  /** First bytes of the data segment for the PDU types whose data matters (keys, sense, reject). */
  data: Uint8Array;
  dataLength: number;
  /** All of the kept data was captured. */
  dataComplete: boolean;
  /** First PDU after the framer lost and found the PDU boundaries again. */
  resynced: boolean;
  /** Stream position of the BHS in this direction (0 = the first byte after the SYN, or the first byte
   *  captured). */
  streamPosition: number;
  /** Stream position just past the PDU's last byte (padding and digests included). */
  streamEnd: number;
}

/** Why bytes of a stream went unframed: the capture began inside the stream, it lost bytes, or a
 *  header was not where the previous PDU said the next one starts. */
export type UnframedCause = 'stream-start' | 'capture-hole' | 'lost-sync';

export interface FramerSink {
  pdu(p: FramedPdu): void;
  /** Bytes of this direction the framer could not assign to any PDU (lost sync, mid-stream start).
   *  `resyncFrame` 0: framing never resumed before the stream ended. */
  unframed?(fromTarget: boolean, bytes: number, resyncFrame: number, missing: number, lossFrame: number, lossTime: number, cause: UnframedCause): void;
}

const enum Mode { Sync, Resync, Hold }
/** The 4 bytes after a header or a data segment, read before anyone knows whether they are a digest. */
const enum Peek { None, Header, Data }
const enum Verdict { No, Yes, Wait }

/** Bytes kept while looking for PDU boundaries; a candidate PDU longer than this is not confirmed. */
const RESYNC_LIMIT = 4 << 20;
/** Bytes held to see which of two framings the next header confirms; past this, the CRC32C decides. */
const HOLD_LIMIT = 1 << 20;
/**
 * Segments a resync or hold window may span. Each costs a Piece (~70 bytes), so in 1-byte segments
 * the byte limits above would cost 70 times the bytes; 16,384 segments still cover RESYNC_LIMIT at
 * any MSS of 256 bytes or more. Past it, a candidate still waiting for its successor is not confirmed.
 */
const MAX_WINDOW_PIECES = 16384;
/** Numbers per run of header bytes: its index in the header, frame, time, file offset. */
const RUN_STRIDE = 4;
/**
 * A framer's small buffers share one ArrayBuffer: the BHS (48 bytes), the 4 peeked bytes, then as
 * Float64s where each peeked byte came from (12) and two runs of header bytes. Each typed array of
 * its own cost ~300 bytes beyond its contents, and a capture can hold 100,000s of connections.
 */
const STATE_PEEK = BHS_LENGTH;
const STATE_WHERE = BHS_LENGTH + 8;
const STATE_RUNS = STATE_WHERE + 12 * 8;
const STATE_BYTES = STATE_RUNS + 2 * RUN_STRIDE * 8;
/** What an ended framer points its buffers at until bytes come again. */
const NO_BYTES = new Uint8Array(0);
const NO_NUMBERS = new Float64Array(0);

interface Piece {
  /** Index of the piece's first byte in the window buffer. */
  at: number;
  length: number;
  /** Stream position of the first byte. */
  position: number;
  frame: number;
  time: number;
  fileOffset: number;
}

/** A window of held bytes to frame again, from stream position `expect` on. */
interface Replay {
  buf: Uint8Array;
  pieces: Piece[];
  i: number;
  expect: number;
  end: number;
}

const EMPTY = new Uint8Array(0);

const OPCODE_OK_FROM_INITIATOR = new Uint8Array(64);
const OPCODE_OK_FROM_TARGET = new Uint8Array(64);
for (const op of [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x1c, 0x1d, 0x1e]) OPCODE_OK_FROM_INITIATOR[op] = 1;
for (const op of [0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x31, 0x32, 0x3c, 0x3d, 0x3e, 0x3f]) OPCODE_OK_FROM_TARGET[op] = 1;

function isLogin(opcode: number): boolean {
  return opcode === 0x03 || opcode === 0x23;
}

/** Login and Text PDUs: their data segment is text keys. */
function hasTextKeys(opcode: number): boolean {
  return opcode === 0x03 || opcode === 0x23 || opcode === 0x04 || opcode === 0x24;
}

/**
 * Cuts one direction of a connection into PDUs. Payload bytes are skipped, not copied, except the
 * few data segments that matter (text keys, sense) and, while resynchronising or deciding between two
 * framings, a bounded window.
 *
 * Digests are taken from the bytes: after the headers and data segments of a side not yet proven to
 * send none, the next 4 bytes are read before deciding whether they are a CRC32C. Where that
 * agrees with what the side is believed to send, framing goes on; where it does not, the bytes are
 * held until the next header shows which framing is right. Each verdict counts towards proving what
 * the side sends (DIGEST_PROOF in a row), which is what the connection reports.
 */
export class DirectionFramer {
  private mode = Mode.Sync;
  private readonly opcodeOk: Uint8Array;
  private readonly side: SideDigests;
  /** Stream position of the next byte fed. */
  private position = 0;

  // --- in sync: the PDU being read. Buffers are sized for what comes, not for what a header may
  // claim: a connection costs what it holds (100,000 connections, each a few bytes, once took 6 GB).
  /** BHS + AHS; grown to the header's length once its BHS says it (TotalAHSLength is one byte of
   *  4-byte words: at most 1,068 bytes). */
  private hdr = NO_BYTES;
  private hdrHave = 0;
  /** BHS_LENGTH until the BHS is in, then BHS + AHS. */
  private hdrNeed = BHS_LENGTH;
  /** Where each run of header bytes came from (a header may span segments), for losing sync exactly:
   *  RUN_STRIDE numbers a run (its index in the header, frame, time, file offset). */
  private hdrRuns = 0;
  private hdrRun = NO_NUMBERS;
  private pduOpen = false;
  /** Set once the header is framed: bytes still to skip (data, padding, a digest not checked). */
  private inData = false;
  private dataRemaining = 0;
  private dataTotal = 0;
  private dataProper = 0;
  /** CRC32C of the data segment is being computed (to check a digest, or to learn whether one follows). */
  private crcData = false;
  private dataCrc = 0;
  /** After the data segment, read 4 bytes before deciding whether they are its digest. */
  private peekAfterData = false;
  private pduHd = 0;
  private pduDd = 0;
  private pduHeaderDigest = DigestCheck.None;
  private pduDataDigest = DigestCheck.None;
  /** This PDU's verdict on the side's digests, counted when it is emitted: 1 present, 0 absent, -1 none. */
  private obsHeader = -1;
  private obsData = -1;
  private keepLimit = 0;
  /** The kept start of the data segment: grown as its bytes come (a DataSegmentLength reserves nothing). */
  private keep = EMPTY;
  private keepLength = 0;
  private pduTruncated = false;
  private pduStart = 0;
  private pduFirstFrame = 0;
  private pduHeaderFrame = 0;
  private pduLastFrame = 0;
  private pduLastTime = 0;
  private pduFileOffset = 0;
  /** Where BHS + AHS were complete (the header's frame when no digest follows). */
  private headerEndFrame = 0;
  private headerEndTime = 0;
  private resynced = false;

  // --- the 4 bytes after a header or data segment
  private peek = Peek.None;
  private peekHave = 0;
  private peekPos = 0;
  private peekBytes = NO_BYTES;
  /** Frame, time and file offset of each peeked byte: [frame × 4, time × 4, offset × 4]. */
  private peekWhere = NO_NUMBERS;

  // --- holding bytes until the next header says whether the peeked 4 were a digest
  private holdKind = Peek.None;
  private holdMatch = false;
  private holdBase = 0;

  // --- resynchronising or holding: a window of recent bytes and where they came from
  private rbuf: Uint8Array = EMPTY;
  private rlen = 0;
  private pieces: Piece[] = [];
  private scanFrom = 0;
  private unframedFrom = 0;
  private unframedMissing = 0;
  private unframedCause: UnframedCause = 'stream-start';
  /** The last frame (and time) with bytes before framing was lost. */
  private lossFrame = 0;
  private lossTime = 0;
  private lastFrame = 0;
  private lastTime = 0;
  /** Windows to frame again, innermost last (a replay may itself start a hold or a resync). */
  private readonly replays: Replay[] = [];

  private readonly out: FramedPdu;

  constructor(
    readonly fromTarget: boolean,
    private readonly conn: ConnectionFraming,
    private readonly sink: FramerSink,
    /** The stream's first byte is the first byte of the connection (a SYN was seen). */
    startsAtStreamStart: boolean,
  ) {
    this.opcodeOk = fromTarget ? OPCODE_OK_FROM_TARGET : OPCODE_OK_FROM_INITIATOR;
    this.side = conn.sent[fromTarget ? 1 : 0];
    this.allocate();
    this.out = {
      fromTarget, header: this.hdr, headerLength: 0, firstFrame: 0, headerFrame: 0, frame: 0, time: 0,
      fileOffset: 0, truncated: false, headerDigest: DigestCheck.None, dataDigest: DigestCheck.None,
      data: this.keep, dataLength: 0, dataComplete: true, resynced: false, streamPosition: 0, streamEnd: 0,
    };
    if (!startsAtStreamStart) {
      this.mode = Mode.Resync;
      this.resynced = true;
      this.unframedCause = 'stream-start';
    }
  }

  data(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void {
    if (this.hdr === NO_BYTES) this.allocate();
    this.feed(b, off, len, frame, time, fileOffset);
    this.drain();
  }

  private allocate(): void {
    const state = new ArrayBuffer(STATE_BYTES);
    this.hdr = new Uint8Array(state, 0, BHS_LENGTH);
    this.peekBytes = new Uint8Array(state, STATE_PEEK, 4);
    this.peekWhere = new Float64Array(state, STATE_WHERE, 12);
    this.hdrRun = new Float64Array(state, STATE_RUNS, 2 * RUN_STRIDE);
  }

  /**
   * Bytes this framer holds for what is still to come: the resync or hold window, windows being
   * framed again, the kept data segment, its small buffers. What an ended stream leaves is 0.
   */
  retainedBytes(): number {
    let n = this.rbuf.length + this.keep.length + (this.hdr === NO_BYTES ? 0 : STATE_BYTES);
    if (this.hdr.length > BHS_LENGTH) n += this.hdr.length;
    if (this.hdrRun.length > 2 * RUN_STRIDE) n += this.hdrRun.byteLength;
    for (const r of this.replays) n += r.buf.length;
    return n;
  }

  /**
   * The lowest frame a PDU not yet emitted by this framer can be reported in, judging by the bytes it
   * already holds (Infinity when it holds none). Bytes still to come bring frames of their own.
   */
  pendingFrame(): number {
    if (this.mode === Mode.Resync) return this.pieces.length ? this.pieces[0].frame : Infinity;
    let f = this.pduOpen ? Math.min(this.pduFirstFrame, this.pduLastFrame) : Infinity;
    if (this.mode === Mode.Hold && this.pieces.length) f = Math.min(f, this.pieces[0].frame);
    return f;
  }

  /** `n` bytes of the stream are not in the capture. */
  missing(n: number, frame: number, time: number): void {
    if (this.hdr === NO_BYTES) this.allocate();
    this.lose(n, frame, time);
    this.drain();
  }

  /** The stream ended (FIN, RST or end of capture). */
  end(): void {
    for (;;) {
      this.drain();
      if (this.mode === Mode.Resync) {
        this.scan(true);
        if (this.mode === Mode.Resync) {
          this.reportUnframed(undefined, 0);
          // Told unframed: no byte of the window can start a PDU now (bytes after the end, if any,
          // start a window of their own).
          this.rbuf = EMPTY;
          this.rlen = 0;
          this.pieces = [];
          this.scanFrom = 0;
          break;
        }
      } else if (this.mode === Mode.Hold) {
        this.holdCheck(true);
      } else if (this.peek !== Peek.None) {
        this.endPeek();
      } else if (!this.inData && this.hdrHave >= BHS_LENGTH) {
        // The BHS is in and the rest of the header never came.
        this.pduTruncated = true;
        this.hdrHave = this.hdrNeed;
        this.headerIn(this.pduLastFrame, this.pduLastTime);
      } else {
        if (this.inData) {
          this.pduTruncated = true;
          this.truncateData();
          this.emit();
        }
        this.hdrHave = 0;
        this.pduOpen = false;
        break;
      }
    }
    if (this.side.header.settle()) this.conn.noteProof(this.fromTarget, 'header');
    if (this.side.data.settle()) this.conn.noteProof(this.fromTarget, 'data');
    // What an ended stream still holds is its state, not its buffers (bytes after the end, if any
    // come, allocate them again).
    this.keep = EMPTY;
    if (this.hdrHave === 0 && this.peek === Peek.None) {
      this.hdr = NO_BYTES;
      this.peekBytes = NO_BYTES;
      this.peekWhere = NO_NUMBERS;
      this.hdrRun = NO_NUMBERS;
    }
  }

  // ---------------------------------------------------------------- in sync

  private feed(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void {
    const end = off + len;
    if (this.mode === Mode.Sync) {
      this.lastFrame = frame;
      this.lastTime = time;
    } else if (this.mode === Mode.Resync && this.pieces.length === 0 && this.lossFrame === 0) {
      // A mid-stream start: the loss is everything before the capture's first bytes here.
      this.lossFrame = frame;
      this.lossTime = time;
    }
    while (off < end) {
      if (this.mode !== Mode.Sync) {
        this.addPiece(b, off, end - off, frame, time, fileOffset);
        if (this.mode === Mode.Resync) this.scan(false);
        else this.holdCheck(false);
        return;
      }
      const n = end - off;
      const used = this.peek !== Peek.None ? this.consumePeek(b, off, n, frame, time, fileOffset)
        : this.inData ? this.consumeData(b, off, n, frame, time)
          : this.consumeHeader(b, off, n, frame, time, fileOffset);
      off += used;
      fileOffset += used;
    }
  }

  /** Frame the windows a resync or a hold let go of, in stream order. */
  private drain(): void {
    const rs = this.replays;
    while (rs.length > 0) {
      const r = rs[rs.length - 1];
      if (r.i >= r.pieces.length) {
        rs.pop();
        if (r.end > r.expect) {
          const last = r.pieces[r.pieces.length - 1];
          this.lose(r.end - r.expect, last?.frame ?? 0, last?.time ?? 0);
        }
        continue;
      }
      const p = r.pieces[r.i++];
      const pEnd = p.position + p.length;
      if (pEnd <= r.expect) continue;
      if (p.position > r.expect) this.lose(p.position - r.expect, p.frame, p.time);
      const skip = Math.max(0, r.expect - p.position);
      r.expect = pEnd;
      this.feed(r.buf, p.at + skip, p.length - skip, p.frame, p.time, p.fileOffset + skip);
    }
  }

  private lose(n: number, frame: number, time: number): void {
    while (n > 0) {
      if (this.mode === Mode.Resync) {
        this.position += n;
        this.unframedMissing += n;
        this.scan(false);
        return;
      }
      if (this.mode === Mode.Hold) {
        this.position += n;
        this.holdCheck(false);
        return;
      }
      if (this.peek !== Peek.None) {
        const ev = this.peek === Peek.Header ? this.side.header : this.side.data;
        if (ev.value === 4) {
          // The digest's bytes fall in the hole.
          const lost = Math.min(n, 4 - this.peekHave);
          // A truncated PDU is reported in the frame of its last captured byte.
          const k = this.peekHave - 1;
          const f = k >= 0 ? this.peekWhere[k] : this.peek === Peek.Header ? this.headerEndFrame : this.pduLastFrame;
          const t = k >= 0 ? this.peekWhere[4 + k] : this.peek === Peek.Header ? this.headerEndTime : this.pduLastTime;
          for (let i = 0; i < lost; i++) this.peekAt(this.peekHave + i, 0, f, t, 0);
          this.peekHave += lost;
          this.position += lost;
          n -= lost;
          this.pduTruncated = true;
          if (this.peekHave === 4) this.settlePeek();
        } else {
          // No digest expected: the PDU ended before the hole, or the hole is in its data.
          const kind = this.peek;
          this.peek = Peek.None;
          this.decide(kind, false, DigestCheck.None, false);
        }
        continue;
      }
      if (this.inData) {
        this.pduTruncated = true;
        this.truncateData();
        const inPdu = Math.min(n, this.dataRemaining);
        this.dataRemaining -= inPdu;
        this.position += inPdu;
        n -= inPdu;
        if (this.dataRemaining === 0) this.emit();
        continue;
      }
      if (this.hdrHave >= BHS_LENGTH) {
        // The BHS is in; the AHS is not. We still know where the header ends.
        this.pduTruncated = true;
        const lost = Math.min(n, this.hdrNeed - this.hdrHave);
        this.hdrHave += lost;
        this.position += lost;
        n -= lost;
        if (this.hdrHave === this.hdrNeed) this.headerIn(frame, time);
        continue;
      }
      if (this.hdrHave > 0) {
        n += this.hdrHave; // a BHS cut short is lost with the hole
        this.position -= this.hdrHave;
        this.hdrHave = 0;
        this.pduOpen = false;
      }
      // The next PDU starts inside the hole: look for one after it.
      this.startResync('capture-hole', this.lastFrame || frame, this.lastFrame ? this.lastTime : time);
      this.unframedFrom = this.position;
      this.position += n;
      this.unframedMissing = n;
      return;
    }
  }

  private startResync(cause: UnframedCause, lossFrame: number, lossTime: number): void {
    this.mode = Mode.Resync;
    this.resynced = true;
    this.unframedCause = cause;
    this.lossFrame = lossFrame;
    this.lossTime = lossTime;
    this.unframedMissing = 0;
    this.pieces = [];
    this.rlen = 0;
    this.scanFrom = 0;
  }

  private consumeHeader(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): number {
    if (this.hdrHave === 0) {
      this.pduStart = this.position;
      this.pduFirstFrame = frame;
      this.pduFileOffset = fileOffset;
      this.pduTruncated = false;
      this.hdrNeed = BHS_LENGTH;
      this.hdrRuns = 0;
      this.pduOpen = true;
    }
    const take = Math.min(len, this.hdrNeed - this.hdrHave);
    const runs = this.hdrRun;
    const r = (this.hdrRuns - 1) * RUN_STRIDE;
    if (r < 0 || runs[r + 1] !== frame || runs[r + 3] + (this.hdrHave - runs[r]) !== fileOffset) {
      if ((this.hdrRuns + 1) * RUN_STRIDE > runs.length) this.growRuns();
      const q = this.hdrRuns * RUN_STRIDE;
      const w = this.hdrRun;
      w[q] = this.hdrHave;
      w[q + 1] = frame;
      w[q + 2] = time;
      w[q + 3] = fileOffset;
      this.hdrRuns++;
    }
    // A byte loop: headers are small, and a subarray per PDU is garbage on the hot path.
    const hdr = this.hdr;
    for (let i = 0, j = this.hdrHave; i < take; i++, j++) hdr[j] = b[off + i];
    const before = this.hdrHave;
    this.hdrHave += take;
    this.position += take;
    this.pduLastFrame = frame;
    this.pduLastTime = time;
    if (before < BHS_LENGTH && this.hdrHave >= BHS_LENGTH) {
      if ((hdr[0] & 0x80) !== 0 || this.opcodeOk[hdr[0] & 0x3f] === 0) {
        this.lostSync(time);
        return take;
      }
      this.hdrNeed = BHS_LENGTH + hdr[4] * 4;
      if (this.hdrNeed > hdr.length) {
        const grown = new Uint8Array(this.hdrNeed);
        grown.set(hdr.subarray(0, BHS_LENGTH));
        this.hdr = grown;
      }
    }
    if (this.hdrHave === this.hdrNeed) this.headerIn(frame, time);
    return take;
  }

  private growRuns(): void {
    const grown = new Float64Array(Math.max(2 * RUN_STRIDE, this.hdrRun.length * 2));
    grown.set(this.hdrRun);
    this.hdrRun = grown;
  }

  /** Not a BHS where one must be: we were out of step. Look again from the header's second byte. */
  private lostSync(time: number): void {
    const bad = this.hdrHave;
    const pos = this.pduStart;
    this.hdrHave = 0;
    this.pduOpen = false;
    this.startResync('lost-sync', this.pduFirstFrame, time);
    this.unframedFrom = pos;
    this.position = pos;
    const runs = this.hdrRun;
    for (let r = 0; r < this.hdrRuns; r++) {
      const q = r * RUN_STRIDE;
      const at = runs[q];
      const to = r + 1 < this.hdrRuns ? runs[q + RUN_STRIDE] : bad;
      this.addPiece(this.hdr, at, to - at, runs[q + 1], runs[q + 2], runs[q + 3]);
    }
    this.scanFrom = 1;
    // A digest the side was not believed to send is one way to lose step: look at the bytes again.
    if (this.side.header.value !== 4) this.side.header.doubt();
    if (this.side.data.value !== 4) this.side.data.doubt();
  }

  /** BHS and AHS are in. */
  private headerIn(frame: number, time: number): void {
    this.headerEndFrame = frame;
    this.headerEndTime = time;
    const ev = this.side.header;
    // Login PDUs never carry digests (RFC 7143 §13.1). A side proven to send none is not asked again
    // until framing is lost (and a PDU waiting for the next bytes would wait for the next PDU).
    if (isLogin(this.hdr[0] & 0x3f) || (ev.proven && ev.value === 0)) {
      this.pduHeaderDigest = DigestCheck.None;
      this.obsHeader = -1;
      this.finishHeader(0, frame, time);
      return;
    }
    this.startPeek(Peek.Header);
  }

  private startPeek(kind: Peek): void {
    this.peek = kind;
    this.peekHave = 0;
    this.peekPos = this.position;
  }

  private peekAt(k: number, byte: number, frame: number, time: number, fileOffset: number): void {
    this.peekBytes[k] = byte;
    this.peekWhere[k] = frame;
    this.peekWhere[4 + k] = time;
    this.peekWhere[8 + k] = fileOffset;
  }

  private consumePeek(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): number {
    const take = Math.min(len, 4 - this.peekHave);
    for (let i = 0; i < take; i++) this.peekAt(this.peekHave + i, b[off + i], frame, time, fileOffset + i);
    this.peekHave += take;
    this.position += take;
    if (this.peekHave === 4) this.settlePeek();
    return take;
  }

  /** The 4 bytes after a header or data segment are in: a digest, or the next bytes? */
  private settlePeek(): void {
    const kind = this.peek;
    const ev = kind === Peek.Header ? this.side.header : this.side.data;
    if (this.pduTruncated) {
      // Bytes of the PDU are missing: nothing to check against, so the side's habit decides.
      this.peek = Peek.None;
      const present = ev.value === 4;
      this.decide(kind, present, present ? DigestCheck.Unchecked : DigestCheck.None, false);
      return;
    }
    const want = kind === Peek.Header ? crc32c(this.hdr, 0, this.hdrNeed) : this.dataCrc;
    const match = u32le(this.peekBytes, 0) === want;
    if (match !== (ev.value === 4)) {
      // A CRC32C the side is not believed to send, or none where it is: the next header decides.
      this.enterHold(kind, match);
      return;
    }
    this.peek = Peek.None;
    this.decide(kind, match, match ? DigestCheck.Ok : DigestCheck.None, true);
  }

  /** The stream ended during a peek. */
  private endPeek(): void {
    const kind = this.peek;
    const ev = kind === Peek.Header ? this.side.header : this.side.data;
    this.peek = Peek.None;
    if (ev.value === 4) {
      this.pduTruncated = true;
      this.decide(kind, true, DigestCheck.Unchecked, false);
    } else this.decide(kind, false, DigestCheck.None, false);
  }

  /** Frame the PDU with or without the digest; where there is none, the peeked bytes come next. */
  private decide(kind: Peek, present: boolean, check: DigestCheck, observe: boolean): void {
    const last = this.peekHave - 1;
    if (kind === Peek.Header) {
      this.obsHeader = observe ? (present ? 1 : 0) : -1;
      this.pduHeaderDigest = present ? check : DigestCheck.None;
      if (present) this.finishHeader(4, last >= 0 ? this.peekWhere[last] : this.headerEndFrame, last >= 0 ? this.peekWhere[4 + last] : this.headerEndTime);
      else {
        this.finishHeader(0, this.headerEndFrame, this.headerEndTime);
        this.refeedPeek();
      }
      return;
    }
    this.obsData = observe ? (present ? 1 : 0) : -1;
    this.pduDataDigest = present ? check : DigestCheck.None;
    this.pduDd = present ? 4 : 0;
    if (present && last >= 0) {
      this.pduLastFrame = this.peekWhere[last];
      this.pduLastTime = this.peekWhere[4 + last];
    }
    this.emit();
    if (!present) this.refeedPeek();
  }

  /**
   * The peeked bytes were no digest: frame them as what comes next, at their own positions and frames.
   * They cannot complete another peek (they are at most 4 bytes of data, or the start of a header).
   */
  private refeedPeek(): void {
    const n = this.peekHave;
    this.peekHave = 0;
    this.position = this.peekPos;
    let i = 0;
    while (i < n) {
      let j = i + 1;
      while (j < n && this.peekWhere[j] === this.peekWhere[i] && this.peekWhere[8 + j] === this.peekWhere[8 + j - 1] + 1) j++;
      this.feed(this.peekBytes, i, j - i, this.peekWhere[i], this.peekWhere[4 + i], this.peekWhere[8 + i]);
      i = j;
    }
  }

  private finishHeader(hd: number, frame: number, time: number): void {
    const h = this.hdr;
    const opcode = h[0] & 0x3f;
    const dsl = bhsDataSegmentLength(h, 0);
    this.pduHd = hd;
    this.pduHeaderFrame = frame;
    this.pduLastFrame = frame;
    this.pduLastTime = time;
    const padded = (dsl + 3) & ~3;
    this.dataProper = dsl;
    const ev = this.side.data;
    const digestable = dsl > 0 && !isLogin(opcode);
    // Computed while the side's habit is unproven (a CRC32C it was not believed to send shows here) and
    // whenever a digest is expected (to check it).
    this.crcData = digestable && !this.pduTruncated && (ev.value === 4 || !ev.proven);
    this.peekAfterData = this.crcData;
    this.pduDd = 0;
    this.pduDataDigest = DigestCheck.None;
    this.obsData = -1;
    let skip = 0;
    if (digestable && !this.crcData && ev.value === 4) {
      skip = 4;
      this.pduDd = 4;
      this.pduDataDigest = DigestCheck.Unchecked;
    }
    this.dataTotal = padded + skip;
    this.dataRemaining = this.dataTotal;
    this.dataCrc = 0;
    this.keepLimit = Math.min(dsl, dataToKeep(opcode));
    this.keepLength = 0;
    this.inData = true;
    this.hdrHave = 0;
    if (this.dataRemaining === 0) this.emit();
  }

  /** Bytes of the data segment are lost: its digest can no longer be checked or told from data. */
  private truncateData(): void {
    if (!this.crcData) return;
    this.crcData = false;
    if (!this.peekAfterData) return;
    this.peekAfterData = false;
    if (this.side.data.value === 4) {
      this.dataRemaining += 4;
      this.dataTotal += 4;
      this.pduDd = 4;
      this.pduDataDigest = DigestCheck.Unchecked;
    }
  }

  private consumeData(b: Uint8Array, off: number, len: number, frame: number, time: number): number {
    const take = Math.min(len, this.dataRemaining);
    const consumedBefore = this.dataTotal - this.dataRemaining;
    if (this.keepLength < this.keepLimit && consumedBefore === this.keepLength) {
      const k = Math.min(take, this.keepLimit - this.keepLength);
      if (this.keepLength + k > this.keep.length) {
        const grown = new Uint8Array(Math.min(this.keepLimit, Math.max(this.keepLength + k, this.keep.length * 2, 256)));
        grown.set(this.keep.subarray(0, this.keepLength));
        this.keep = grown;
      }
      this.keep.set(b.subarray(off, off + k), this.keepLength);
      this.keepLength += k;
    }
    if (this.crcData) this.dataCrc = crc32c(b, off, take, this.dataCrc);
    this.dataRemaining -= take;
    this.position += take;
    this.pduLastFrame = frame;
    this.pduLastTime = time;
    if (this.dataRemaining === 0) {
      if (this.peekAfterData) this.startPeek(Peek.Data);
      else this.emit();
    }
    return take;
  }

  private emit(): void {
    const o = this.out;
    const h = this.hdr;
    o.header = h;
    o.headerLength = BHS_LENGTH + h[4] * 4;
    o.firstFrame = this.pduFirstFrame;
    o.headerFrame = this.pduHeaderFrame;
    o.frame = this.pduLastFrame;
    o.time = this.pduLastTime;
    o.fileOffset = this.pduFileOffset;
    o.truncated = this.pduTruncated;
    o.headerDigest = this.pduHeaderDigest;
    o.dataDigest = this.pduDataDigest;
    o.data = this.keep;
    o.dataLength = this.keepLength;
    // Text keys are complete only where the whole data segment was kept: a key past the first 64 KiB
    // was never read (and may be the one that negotiated digests).
    o.dataComplete = this.keepLength === (hasTextKeys(h[0] & 0x3f) ? this.dataProper : this.keepLimit);
    o.resynced = this.resynced;
    o.streamPosition = this.pduStart;
    o.streamEnd = this.pduStart + o.headerLength + this.pduHd + ((this.dataProper + 3) & ~3) + this.pduDd;
    this.resynced = false;
    this.inData = false;
    this.hdrHave = 0;
    this.pduOpen = false;
    this.crcData = false;
    this.peekAfterData = false;
    if (this.obsHeader >= 0 && this.side.header.observe(this.obsHeader === 1, o.frame)) this.conn.noteProof(this.fromTarget, 'header');
    if (this.obsData >= 0 && this.side.data.observe(this.obsData === 1, o.frame)) this.conn.noteProof(this.fromTarget, 'data');
    this.obsHeader = -1;
    this.obsData = -1;
    if (isLogin(h[0] & 0x3f)) this.noteLogin(h, this.keep, this.keepLength, o.dataComplete);
    this.sink.pdu(o);
    // The sink copies what it keeps: between PDUs a framer holds no data (the few PDUs that keep
    // some — keys, sense, a rejected header — grow their own).
    this.keep = EMPTY;
  }

  private noteLogin(h: Uint8Array, data: Uint8Array, len: number, complete: boolean): void {
    if (!complete) this.conn.loginKeysIncomplete = true;
    const keys = this.fromTarget ? this.conn.targetKeys : this.conn.initiatorKeys;
    for (const [k, v] of parseTextKeys(data, 0, len)) keys.set(k, v);
    const transit = (h[1] & 0x80) !== 0;
    const nsg = h[1] & 0x03;
    if (this.fromTarget && transit && nsg === 3 && h[36] === 0) this.conn.completeLogin();
  }

  // ---------------------------------------------------------------- holding: digest or not?

  /** Keep the bytes from the peeked 4 on until the header after them shows which framing is right. */
  private enterHold(kind: Peek, match: boolean): void {
    this.peek = Peek.None;
    this.holdKind = kind;
    this.holdMatch = match;
    this.holdBase = this.peekPos;
    this.mode = Mode.Hold;
    this.pieces = [];
    this.rlen = 0;
    this.scanFrom = 0;
    this.position = this.peekPos;
    let i = 0;
    while (i < 4) {
      let j = i + 1;
      while (j < 4 && this.peekWhere[j] === this.peekWhere[i] && this.peekWhere[8 + j] === this.peekWhere[8 + j - 1] + 1) j++;
      this.addPiece(this.peekBytes, i, j - i, this.peekWhere[i], this.peekWhere[4 + i], this.peekWhere[8 + i]);
      i = j;
    }
  }

  /**
   * Which framing does the next header confirm? With the digest, the next BHS sits 4 bytes later than
   * without. A successor that validates (and whose own header digest matches, where header digests are
   * on) settles it; where neither does, the CRC32C's verdict stands.
   */
  private holdCheck(atEnd: boolean): void {
    const full = this.position - this.holdBase >= HOLD_LIMIT || this.pieces.length >= MAX_WINDOW_PIECES;
    const stop = atEnd || full;
    let present: Verdict;
    let absent: Verdict;
    if (this.holdKind === Peek.Header) {
      const dsl = bhsDataSegmentLength(this.hdr, 0);
      const padded = (dsl + 3) & ~3;
      const ev = this.side.data;
      // The PDU's own data digest is not decided yet: unless the side's habit is proven, either may be.
      const d1 = dsl > 0 && ev.proven && ev.value === 4 ? 4 : 0;
      const d2 = dsl > 0 && !ev.proven ? 4 : d1;
      // "Header digest, no data digest" and "no header digest, data digest" end at the same byte: a
      // data digest supposed must match the data it follows.
      const combo = (hd: number, dd: number): Verdict => {
        const next = this.judge(this.holdBase + hd + padded + dd, hd === 4, stop);
        if (dd === 0 || next === Verdict.No) return next;
        const digest = this.crcHolds(this.holdBase + hd, padded, stop);
        return digest === Verdict.No ? Verdict.No : digest === Verdict.Wait ? Verdict.Wait : next;
      };
      present = either(combo(4, d1), combo(4, d2));
      absent = either(combo(0, d1), combo(0, d2));
    } else {
      const crc = this.side.header.value === 4;
      present = this.judge(this.holdBase + 4, crc, stop);
      absent = this.judge(this.holdBase, crc, stop);
    }
    if (present === Verdict.Wait || (present === Verdict.No && absent === Verdict.Wait)) return;
    const isPresent = present === Verdict.Yes || absent !== Verdict.Yes;
    // A matching CRC32C the next header cannot confirm still counts against a run of PDUs without one.
    this.resolveHold(isPresent, isPresent ? present === Verdict.Yes || this.holdMatch : true);
  }

  /** Does a PDU boundary at stream position `pos` hold up: a BHS that validates (and its digest matches)? */
  private judge(pos: number, wantCrc: boolean, stop: boolean): Verdict {
    const idx = this.indexOfPosition(pos);
    if (idx === -2) {
      if (!stop) return Verdict.Wait;
      return pos === this.position ? Verdict.Yes : Verdict.No;
    }
    if (idx === -1) return Verdict.No;
    const runEnd = this.runEnd(this.pieceAt(idx));
    // More bytes can still extend this run (no hole after it yet).
    const open = !stop && runEnd === this.rlen && this.positionOfIndex(this.rlen - 1) + 1 === this.position;
    if (idx + BHS_LENGTH > runEnd) return open ? Verdict.Wait : Verdict.No;
    if (!this.plausibleAt(idx, runEnd)) return Verdict.No;
    const b = this.rbuf;
    if (!wantCrc || isLogin(b[idx] & 0x3f)) return Verdict.Yes;
    const hl = BHS_LENGTH + b[idx + 4] * 4;
    if (idx + hl + 4 > runEnd) return open ? Verdict.Wait : Verdict.No;
    return crc32c(b, idx, hl) === u32le(b, idx + hl) ? Verdict.Yes : Verdict.No;
  }

  /** Do the `len` bytes from stream position `pos` carry their CRC32C right after them? */
  private crcHolds(pos: number, len: number, stop: boolean): Verdict {
    const idx = this.indexOfPosition(pos);
    if (idx === -2) return stop ? Verdict.No : Verdict.Wait;
    if (idx === -1) return Verdict.No;
    const runEnd = this.runEnd(this.pieceAt(idx));
    if (idx + len + 4 > runEnd) {
      const open = !stop && runEnd === this.rlen && this.positionOfIndex(this.rlen - 1) + 1 === this.position;
      return open ? Verdict.Wait : Verdict.No;
    }
    return crc32c(this.rbuf, idx, len) === u32le(this.rbuf, idx + len) ? Verdict.Yes : Verdict.No;
  }

  private resolveHold(present: boolean, observe: boolean): void {
    const buf = this.rbuf;
    const pieces = this.pieces;
    const end = this.position;
    const base = this.holdBase;
    this.rbuf = EMPTY;
    this.pieces = [];
    this.rlen = 0;
    this.scanFrom = 0;
    this.mode = Mode.Sync;
    // The peeked bytes are the window's first 4, framed again below with the rest.
    const check = present ? (this.holdMatch ? DigestCheck.Ok : DigestCheck.Bad) : DigestCheck.None;
    if (this.holdKind === Peek.Header) {
      this.obsHeader = observe ? (present ? 1 : 0) : -1;
      this.pduHeaderDigest = check;
      if (present) this.finishHeader(4, this.peekWhere[3], this.peekWhere[4 + 3]);
      else this.finishHeader(0, this.headerEndFrame, this.headerEndTime);
    } else {
      this.obsData = observe ? (present ? 1 : 0) : -1;
      this.pduDataDigest = check;
      this.pduDd = present ? 4 : 0;
      if (present) {
        this.pduLastFrame = this.peekWhere[3];
        this.pduLastTime = this.peekWhere[4 + 3];
      }
      this.emit();
    }
    const start = present ? base + 4 : base;
    this.position = start;
    this.replays.push({ buf, pieces, i: 0, expect: start, end });
  }

  // ---------------------------------------------------------------- resynchronising

  private addPiece(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void {
    if (this.rlen + len > this.rbuf.length) {
      this.compact();
      if (this.rlen + len > this.rbuf.length) {
        // Grown as bytes come, from what the first segment needs: most windows hold a few hundred bytes
        // before a boundary is confirmed, and a resync window may grow to RESYNC_LIMIT.
        const grown = new Uint8Array(Math.max(this.rlen + len, this.rbuf.length * 2, 256));
        grown.set(this.rbuf.subarray(0, this.rlen));
        this.rbuf = grown;
      }
    }
    this.rbuf.set(b.subarray(off, off + len), this.rlen);
    this.pieces.push({ at: this.rlen, length: len, position: this.position, frame, time, fileOffset });
    this.rlen += len;
    this.position += len;
  }

  /** Drop window bytes before the scan point (they can no longer start a PDU). */
  private compact(): void {
    const cut = Math.min(this.scanFrom, this.rlen);
    if (cut === 0) return;
    let i = 0;
    while (i < this.pieces.length && this.pieces[i].at + this.pieces[i].length <= cut) i++;
    if (i < this.pieces.length && this.pieces[i].at < cut) {
      const p = this.pieces[i];
      const d = cut - p.at;
      p.at += d; p.length -= d; p.position += d; p.fileOffset += d;
    }
    this.pieces.splice(0, i);
    this.rbuf.copyWithin(0, cut, this.rlen);
    this.rlen -= cut;
    for (const p of this.pieces) p.at -= cut;
    this.scanFrom = 0;
  }

  /** Piece holding window index `at`. */
  private pieceAt(at: number): number {
    let lo = 0, hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pieces[mid].at <= at) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** Window index just past the contiguous run (no missing bytes) that holds piece i. */
  private runEnd(i: number): number {
    const ps = this.pieces;
    while (i + 1 < ps.length && ps[i + 1].position === ps[i].position + ps[i].length) i++;
    return ps[i].at + ps[i].length;
  }

  /** Window index of stream position `pos`: -1 if it falls in a hole, -2 if not yet received. */
  private indexOfPosition(pos: number): number {
    const ps = this.pieces;
    if (ps.length === 0) return pos >= this.position ? -2 : -1;
    const lastP = ps[ps.length - 1];
    if (pos >= lastP.position + lastP.length) return pos >= this.position ? -2 : -1;
    let lo = 0, hi = ps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ps[mid].position <= pos) lo = mid; else hi = mid - 1;
    }
    const p = ps[lo];
    if (pos < p.position || pos >= p.position + p.length) return -1;
    return p.at + (pos - p.position);
  }

  /** The largest data segment a PDU in this direction may carry, as far as we know. */
  private maxDataSegment(): number {
    const declared = this.fromTarget ? this.conn.initiatorMaxRecv : this.conn.targetMaxRecv;
    return declared > 0 ? Math.max(declared, 8192) : (1 << 24) - 1;
  }

  /** Size of the PDU whose BHS is at window index `at`, for the given digest lengths. */
  private pduSize(at: number, hd: number, dd: number): number {
    const b = this.rbuf;
    const dsl = bhsDataSegmentLength(b, at);
    return BHS_LENGTH + b[at + 4] * 4 + hd + ((dsl + 3) & ~3) + (dsl > 0 ? dd : 0);
  }

  private plausibleAt(at: number, runEnd: number): boolean {
    if (at + BHS_LENGTH > runEnd) return false;
    const b = this.rbuf;
    if ((b[at] & 0x80) !== 0 || this.opcodeOk[b[at] & 0x3f] === 0) return false;
    const dsl = bhsDataSegmentLength(b, at);
    if (dsl > this.maxDataSegment()) return false;
    return bhsProblem(b, at, this.fromTarget) === undefined;
  }

  /**
   * Look for a PDU boundary in the window: a BHS that validates and is confirmed by its header
   * digest or by a valid BHS right after it. Where the successor falls in a capture hole, a
   * candidate at the start of a segment is taken on its own (as Wireshark does).
   */
  private scan(atEnd: boolean): void {
    const ps = this.pieces;
    let i = ps.length ? this.pieceAt(this.scanFrom) : 0;
    while (i < ps.length) {
      const runEnd = this.runEnd(i);
      let at = Math.max(this.scanFrom, ps[i].at);
      for (; at + BHS_LENGTH <= runEnd; at++) {
        if ((this.rbuf[at] & 0x80) !== 0 || this.opcodeOk[this.rbuf[at] & 0x3f] === 0) continue;
        if (!this.plausibleAt(at, runEnd)) continue;
        const verdict = this.confirm(at, runEnd, atEnd);
        if (verdict === Verdict.Wait && ps.length < MAX_WINDOW_PIECES) {
          this.scanFrom = at;
          return;
        }
        if (verdict === Verdict.Yes) {
          this.resume(at);
          return;
        }
      }
      this.scanFrom = Math.max(this.scanFrom, at);
      // Skip to the piece after this run.
      let j = i;
      while (j + 1 < ps.length && ps[j + 1].position === ps[j].position + ps[j].length) j++;
      if (j + 1 >= ps.length) {
        // Keep the last partial header's worth of bytes: the next piece may complete it.
        this.scanFrom = Math.max(ps[i].at, Math.min(this.scanFrom, runEnd - BHS_LENGTH + 1));
        if (atEnd) this.scanFrom = runEnd;
        break;
      }
      this.scanFrom = ps[j + 1].at;
      i = j + 1;
    }
    if (this.rlen > RESYNC_LIMIT || this.pieces.length >= MAX_WINDOW_PIECES) this.compact();
  }

  /**
   * Is the candidate BHS at window index `at` a PDU boundary? Only finds the boundary: framing from
   * there re-reads the digests from the bytes (and counts them towards the side's habit).
   */
  private confirm(at: number, runEnd: number, atEnd: boolean): Verdict {
    const b = this.rbuf;
    const login = isLogin(b[at] & 0x3f);
    const hl = BHS_LENGTH + b[at + 4] * 4;
    const hev = this.side.header;
    const dev = this.side.data;
    let hdOptions: number[];
    if (login) hdOptions = [0];
    else if (at + hl + 4 <= runEnd) {
      // A CRC32C of the header right after it marks a header on its own.
      if (crc32c(b, at, hl) === u32le(b, at + hl)) return Verdict.Yes;
      // A side proven to send header digests puts one after every header.
      if (hev.value === 4 && hev.proven) return Verdict.No;
      hdOptions = [0];
    } else hdOptions = hev.value === 4 && hev.proven ? [4] : hev.value === 0 && hev.proven ? [0] : [0, 4];
    const ddOptions = login ? [0] : dev.proven ? [dev.value === 4 ? 4 : 0] : [0, 4];
    const startPos = this.positionOfIndex(at);
    const isSegmentStart = this.pieces[this.pieceAt(at)].at === at;
    let waiting = false;
    for (const hd of hdOptions) {
      for (const dd of ddOptions) {
        const size = this.pduSize(at, hd, dd);
        if (size > RESYNC_LIMIT) continue;
        const nextPos = startPos + size;
        const idx = this.indexOfPosition(nextPos);
        if (idx === -2) {
          if (atEnd && nextPos === this.position) return Verdict.Yes;
          waiting = true;
          continue;
        }
        if (idx === -1) {
          if (isSegmentStart) return Verdict.Yes;
          continue;
        }
        const nextRunEnd = this.runEnd(this.pieceAt(idx));
        if (idx + BHS_LENGTH > nextRunEnd) {
          // The successor's BHS is cut: by the end of what we have so far (wait), or by a hole.
          if (nextRunEnd === this.rlen && this.position === this.positionOfIndex(this.rlen - 1) + 1 && !atEnd) { waiting = true; continue; }
          if (isSegmentStart) return Verdict.Yes;
          continue;
        }
        if (this.plausibleAt(idx, nextRunEnd)) return Verdict.Yes;
      }
    }
    if (waiting && !atEnd) return Verdict.Wait;
    return Verdict.No;
  }

  private positionOfIndex(at: number): number {
    const p = this.pieces[this.pieceAt(at)];
    return p.position + (at - p.at);
  }

  /** Boundary found at window index `at`: frame from there on, replaying the window. */
  private resume(at: number): void {
    const startPos = this.positionOfIndex(at);
    this.reportUnframed(startPos, this.pieces[this.pieceAt(at)].frame);
    const buf = this.rbuf;
    const pieces = this.pieces;
    const end = this.position;
    this.rbuf = EMPTY;
    this.rlen = 0;
    this.pieces = [];
    this.scanFrom = 0;
    this.mode = Mode.Sync;
    this.hdrHave = 0;
    this.inData = false;
    this.pduOpen = false;
    this.peek = Peek.None;
    this.position = startPos;
    this.replays.push({ buf, pieces, i: 0, expect: startPos, end });
  }

  /** Tell the sink about the bytes no PDU claimed, and where framing resumed (0: it did not). */
  private reportUnframed(upTo: number | undefined, resyncFrame: number): void {
    const from = this.unframedFrom;
    const to = upTo ?? this.position;
    if (to > from && this.sink.unframed) {
      this.sink.unframed(this.fromTarget, to - from, resyncFrame, this.unframedMissing, this.lossFrame, this.lossTime, this.unframedCause);
    }
    this.unframedFrom = to;
    this.unframedMissing = 0;
    this.lossFrame = 0;
  }
}

function either(a: Verdict, b: Verdict): Verdict {
  if (a === Verdict.Yes || b === Verdict.Yes) return Verdict.Yes;
  return a === Verdict.Wait || b === Verdict.Wait ? Verdict.Wait : Verdict.No;
}
