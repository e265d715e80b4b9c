import { bhsDataSegmentLength, bhsProblem, crc32c, parseTextKeys, u32le } from '../codec/index.ts';

/** PDU framing of one iSCSI connection's two byte streams (RFC 7143 §11.1-11.2, digests §13.1). */

export const BHS_LENGTH = 48;
/** TotalAHSLength is one byte of 4-byte words. */
const MAX_HEADER = BHS_LENGTH + 255 * 4 + 4;

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
  /** 4 when CRC32C header digests are on for Full Feature Phase PDUs, 0 when off, -1 unknown. */
  headerDigest = -1;
  dataDigest = -1;
  /** MaxRecvDataSegmentLength declared by the initiator (for Data-In…) and by the target (for Data-Out…); 0 unknown. */
  initiatorMaxRecv = 0;
  targetMaxRecv = 0;
  loginComplete = false;
  /** Some login text was not captured (snaplen): a key we did not see may still have been sent. */
  loginKeysIncomplete = false;
  /** Keys offered and answered during login, last value wins, in the order first seen. */
  readonly initiatorKeys = new Map<string, string>();
  readonly targetKeys = new Map<string, string>();

  /** A connection whose first bytes we saw starts in login: no digests until it says otherwise. */
  startsWithLogin(): void {
    if (this.headerDigest < 0) this.headerDigest = 0;
    if (this.dataDigest < 0) this.dataDigest = 0;
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
    this.initiatorMaxRecv = this.maxRecv(this.initiatorKeys.get('MaxRecvDataSegmentLength'));
    this.targetMaxRecv = this.maxRecv(this.targetKeys.get('MaxRecvDataSegmentLength'));
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
  /** Stream position of the BHS in this direction. */
  streamPosition: number;
}

export interface FramerSink {
  pdu(p: FramedPdu): void;
  /** Bytes of this direction the framer could not assign to any PDU (lost sync, mid-stream start). */
  unframed?(fromTarget: boolean, bytes: number, resyncFrame: number, missing: number, lossFrame: number, lossTime: number): void;
}

const enum Mode { Sync, Resync }

/** Bytes kept while looking for PDU boundaries; a candidate PDU longer than this is not confirmed. */
const RESYNC_LIMIT = 4 << 20;

interface Piece {
  /** Index of the piece's first byte in the resync buffer. */
  at: number;
  length: number;
  /** Stream position of the first byte. */
  position: number;
  frame: number;
  time: number;
  fileOffset: number;
}

const OPCODE_OK_FROM_INITIATOR = new Uint8Array(64);
const OPCODE_OK_FROM_TARGET = new Uint8Array(64);
for (const op of [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x1c, 0x1d, 0x1e]) OPCODE_OK_FROM_INITIATOR[op] = 1;
for (const op of [0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x31, 0x32, 0x3c, 0x3d, 0x3e, 0x3f]) OPCODE_OK_FROM_TARGET[op] = 1;

/**
 * Cuts one direction of a connection into PDUs. Payload bytes are skipped, not copied, except the
 * few data segments that matter (text keys, sense) and, while resynchronising, a bounded window.
 */
export class DirectionFramer {
  private mode = Mode.Sync;
  private readonly opcodeOk: Uint8Array;
  /** Stream position of the next byte fed. */
  private position = 0;

  // --- in sync: the PDU being read
  private readonly hdr = new Uint8Array(MAX_HEADER);
  private hdrHave = 0;
  private hdrNeed = BHS_LENGTH;
  /** Set once BHS+AHS are in: bytes still to skip (data, padding, digests). */
  private inData = false;
  private dataRemaining = 0;
  /** Of dataRemaining, how many are data proper (not padding/digest). */
  private dataProper = 0;
  private digestBytesHave = 0;
  private readonly digestBytes = new Uint8Array(4);
  private dataCrc = 0;
  /** 4 when this PDU's data segment is followed by a data digest. */
  private dataDigestLength = 0;
  /** The digest can still be verified: no byte of the data segment was missing. */
  private dataDigestCheckable = false;
  private keepLimit = 0;
  private keep = new Uint8Array(64);
  private keepLength = 0;
  private pduTruncated = false;
  private pduStart = 0;
  private pduFirstFrame = 0;
  private pduHeaderFrame = 0;
  private pduLastFrame = 0;
  private pduLastTime = 0;
  private pduFileOffset = 0;
  private pduHeaderDigest = DigestCheck.None;
  private probingHeaderDigest = false;
  /** Where BHS + AHS were complete, for a header whose digest we probed for. */
  private probeFrame = 0;
  private probeTime = 0;
  private probeFileOffset = 0;
  private resynced = false;

  // --- resynchronising: a window of recent bytes and where they came from
  private rbuf = new Uint8Array(0);
  private rlen = 0;
  private pieces: Piece[] = [];
  private scanFrom = 0;
  private unframedFrom = 0;
  private unframedMissing = 0;
  /** The last frame (and time) with bytes before framing was lost. */
  private lossFrame = 0;
  private lossTime = 0;
  private lastFrame = 0;
  private lastTime = 0;

  private readonly out: FramedPdu;

  constructor(
    readonly fromTarget: boolean,
    private readonly conn: ConnectionFraming,
    private readonly sink: FramerSink,
    /** The stream's first byte is the first byte of the connection (a SYN was seen). */
    startsAtStreamStart: boolean,
  ) {
    this.opcodeOk = fromTarget ? OPCODE_OK_FROM_TARGET : OPCODE_OK_FROM_INITIATOR;
    this.out = {
      fromTarget, header: this.hdr, headerLength: 0, firstFrame: 0, headerFrame: 0, frame: 0, time: 0,
      fileOffset: 0, truncated: false, headerDigest: DigestCheck.None, dataDigest: DigestCheck.None,
      data: this.keep, dataLength: 0, dataComplete: true, resynced: false, streamPosition: 0,
    };
    if (!startsAtStreamStart) {
      this.mode = Mode.Resync;
      this.resynced = true;
    }
  }

  data(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void {
    const end = off + len;
    if (this.mode === Mode.Sync) {
      this.lastFrame = frame;
      this.lastTime = time;
    } else if (this.pieces.length === 0 && this.lossFrame === 0) {
      // A mid-stream start: the loss is everything before the capture's first bytes here.
      this.lossFrame = frame;
      this.lossTime = time;
    }
    while (off < end) {
      if (this.mode === Mode.Resync) {
        this.addPiece(b, off, end - off, frame, time, fileOffset);
        this.scan(false);
        return;
      }
      const used = this.inData ? this.consumeData(b, off, end - off, frame, time) : this.consumeHeader(b, off, end - off, frame, time, fileOffset);
      off += used;
      fileOffset += used;
      this.position += used;
    }
  }

  /**
   * The lowest frame a PDU not yet emitted by this framer can be reported in, judging by the bytes it
   * already holds (Infinity when it holds none). Bytes still to come bring frames of their own.
   */
  pendingFrame(): number {
    if (this.mode === Mode.Resync) return this.pieces.length ? this.pieces[0].frame : Infinity;
    return this.inData || this.hdrHave > 0 ? Math.min(this.pduFirstFrame, this.pduLastFrame) : Infinity;
  }

  /** `n` bytes of the stream are not in the capture. */
  missing(n: number, frame: number, time: number): void {
    if (n <= 0) return;
    if (this.mode === Mode.Resync) {
      this.position += n;
      this.unframedMissing += n;
      this.scan(false);
      return;
    }
    if (this.inData) {
      this.pduTruncated = true;
      const inPdu = Math.min(n, this.dataRemaining);
      this.skipData(inPdu);
      this.position += inPdu;
      n -= inPdu;
      if (this.dataRemaining === 0) this.emit();
      if (n === 0) return;
    } else if (this.hdrHave >= BHS_LENGTH) {
      // The BHS is in; AHS or header digest are not. We still know where the PDU ends.
      this.pduTruncated = true;
      const lost = Math.min(n, this.hdrNeed - this.hdrHave);
      this.hdrHave += lost;
      this.position += lost;
      n -= lost;
      if (this.hdrHave === this.hdrNeed) this.headerComplete(frame, time);
      if (this.inData && n > 0) { this.missing(n, frame, time); return; }
      if (n === 0) return;
    } else if (this.hdrHave > 0) {
      n += this.hdrHave; // a BHS cut short is lost with the hole
      this.position -= this.hdrHave;
      this.hdrHave = 0;
    }
    // The next PDU starts inside the hole: look for one after it.
    this.mode = Mode.Resync;
    this.resynced = true;
    this.lossFrame = this.lastFrame || frame;
    this.lossTime = this.lastFrame ? this.lastTime : time;
    this.unframedFrom = this.position;
    this.position += n;
    this.unframedMissing = n;
    this.pieces.length = 0;
    this.rlen = 0;
    this.scanFrom = 0;
  }

  /** The stream ended (FIN, RST or end of capture). */
  end(): void {
    if (this.mode === Mode.Resync) {
      this.scan(true);
      if (this.mode === Mode.Resync) {
        this.reportUnframed(undefined, 0);
        return;
      }
    }
    if (this.mode === Mode.Sync) {
      if (this.inData || this.hdrHave >= BHS_LENGTH) {
        this.pduTruncated = true;
        if (!this.inData) {
          this.hdrHave = this.hdrNeed;
          this.headerComplete(this.pduLastFrame, this.pduLastTime);
        }
        if (this.inData) this.emit();
      }
      this.hdrHave = 0;
    }
  }

  // ---------------------------------------------------------------- in sync

  private consumeHeader(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): number {
    if (this.hdrHave === 0) {
      this.pduStart = this.position;
      this.pduFirstFrame = frame;
      this.pduFileOffset = fileOffset;
      this.pduTruncated = false;
      this.hdrNeed = BHS_LENGTH;
    }
    const take = Math.min(len, this.hdrNeed - this.hdrHave);
    // A byte loop: headers are small, and a subarray per PDU is garbage on the hot path.
    const hdr = this.hdr;
    for (let i = 0, j = this.hdrHave; i < take; i++, j++) hdr[j] = b[off + i];
    const before = this.hdrHave;
    this.hdrHave += take;
    this.pduLastFrame = frame;
    this.pduLastTime = time;
    if (before < BHS_LENGTH && this.hdrHave >= BHS_LENGTH) {
      const h = this.hdr;
      if ((h[0] & 0x80) !== 0 || this.opcodeOk[h[0] & 0x3f] === 0) {
        // Not a BHS where one must be: we were out of step. Look again from the next byte.
        const bad = this.hdrHave;
        const copy = this.hdr.slice(0, bad);
        const pos = this.pduStart;
        this.hdrHave = 0;
        this.mode = Mode.Resync;
        this.resynced = true;
        this.pieces.length = 0;
        this.rlen = 0;
        this.scanFrom = 0;
        this.unframedFrom = pos;
        this.unframedMissing = 0;
        this.lossFrame = this.pduFirstFrame;
        this.lossTime = time;
        this.position = pos;
        this.addPiece(copy, 0, bad, this.pduFirstFrame, time, this.pduFileOffset);
        this.scanFrom = 1;
        this.position -= take; // addPiece counted these bytes; the caller adds `take` again
        return take;
      }
      const ahs = h[4] * 4;
      const login = (h[0] & 0x3f) === 0x03 || (h[0] & 0x3f) === 0x23;
      let hd = 0;
      this.probingHeaderDigest = false;
      if (!login) {
        if (this.conn.headerDigest > 0) hd = 4;
        else if (this.conn.headerDigest < 0) { hd = 4; this.probingHeaderDigest = true; }
      }
      this.hdrNeed = BHS_LENGTH + ahs + hd;
    }
    if (this.probingHeaderDigest && this.hdrHave >= this.hdrNeed - 4 && before < this.hdrNeed - 4) {
      this.probeFrame = frame;
      this.probeTime = time;
    }
    if (this.probingHeaderDigest && this.hdrHave > this.hdrNeed - 4 && before <= this.hdrNeed - 4) {
      // Where the 4 probed bytes begin in the file: they may be the start of the next PDU.
      this.probeFileOffset = fileOffset + (this.hdrNeed - 4 - before);
    }
    if (this.hdrHave === this.hdrNeed) {
      if (this.probingHeaderDigest) this.settleHeaderDigestProbe(frame, time);
      else this.headerComplete(frame, time);
    }
    return take;
  }

  /** The login was not captured: does a CRC32C of the header follow it? (Wireshark does the same.) */
  private settleHeaderDigestProbe(frame: number, time: number): void {
    const hl = this.hdrNeed - 4;
    const want = crc32c(this.hdr, 0, hl);
    const got = u32le(this.hdr, hl);
    if (want === got) {
      this.conn.headerDigest = 4;
      this.headerComplete(frame, time);
      return;
    }
    // No digest: the 4 bytes belong to the data segment (or the next PDU). Frame them as such,
    // at their own stream position, then let the caller go on where it was.
    this.conn.headerDigest = 0;
    const extra = this.hdr.slice(hl, hl + 4);
    const outer = this.position;
    const extraFileOffset = this.probeFileOffset;
    this.hdrNeed = hl;
    this.hdrHave = hl;
    this.headerComplete(this.probeFrame, this.probeTime);
    this.position = this.pduStart + hl;
    this.data(extra, 0, 4, frame, time, extraFileOffset);
    this.position = outer;
  }

  private headerComplete(frame: number, time: number): void {
    const h = this.hdr;
    const opcode = h[0] & 0x3f;
    const ahs = h[4] * 4;
    const dsl = bhsDataSegmentLength(h, 0);
    const login = opcode === 0x03 || opcode === 0x23;
    const hd = this.hdrNeed - BHS_LENGTH - ahs;
    this.pduHeaderFrame = frame;
    this.pduLastFrame = frame;
    this.pduLastTime = time;
    this.pduHeaderDigest = DigestCheck.None;
    if (hd === 4) {
      const hl = BHS_LENGTH + ahs;
      if (this.pduTruncated) this.pduHeaderDigest = DigestCheck.Unchecked;
      else {
        const got = u32le(h, hl);
        this.pduHeaderDigest = crc32c(h, 0, hl) === got ? DigestCheck.Ok : DigestCheck.Bad;
      }
    }
    const dd = dsl > 0 && !login && this.conn.dataDigest > 0 ? 4 : 0;
    const padded = (dsl + 3) & ~3;
    this.dataProper = dsl;
    this.dataRemaining = padded + dd;
    this.dataDigestLength = dd;
    this.dataDigestCheckable = dd === 4 && !this.pduTruncated;
    this.digestBytesHave = 0;
    this.dataCrc = 0;
    this.keepLimit = Math.min(dsl, dataToKeep(opcode));
    if (this.keep.length < this.keepLimit) this.keep = new Uint8Array(Math.max(this.keepLimit, this.keep.length * 2));
    this.keepLength = 0;
    this.inData = true;
    this.hdrHave = 0;
    if (this.dataRemaining === 0) this.emit();
  }

  private consumeData(b: Uint8Array, off: number, len: number, frame: number, time: number): number {
    const take = Math.min(len, this.dataRemaining);
    const consumedBefore = this.dataConsumed();
    if (this.keepLength < this.keepLimit && consumedBefore === this.keepLength) {
      const k = Math.min(take, this.keepLimit - this.keepLength);
      this.keep.set(b.subarray(off, off + k), this.keepLength);
      this.keepLength += k;
    }
    if (this.dataDigestCheckable) this.digestData(b, off, take, consumedBefore);
    this.dataRemaining -= take;
    this.pduLastFrame = frame;
    this.pduLastTime = time;
    if (this.dataRemaining === 0) this.emit();
    return take;
  }

  /** Bytes of data segment + padding + digest consumed so far. */
  private dataConsumed(): number {
    return ((this.dataProper + 3) & ~3) + this.dataDigestLength - this.dataRemaining;
  }

  private digestData(b: Uint8Array, off: number, take: number, consumedBefore: number): void {
    const padded = (this.dataProper + 3) & ~3;
    const crcPart = Math.max(0, Math.min(take, padded - consumedBefore));
    if (crcPart > 0) this.dataCrc = crc32c(b, off, crcPart, this.dataCrc);
    for (let i = crcPart; i < take; i++) this.digestBytes[this.digestBytesHave++] = b[off + i];
  }

  /** Bytes the capture lost: nothing to keep, and the data digest can no longer be checked. */
  private skipData(n: number): void {
    this.dataDigestCheckable = false;
    this.dataRemaining -= n;
  }

  private emit(): void {
    const o = this.out;
    const h = this.hdr;
    const ahs = h[4] * 4;
    o.headerLength = BHS_LENGTH + ahs;
    o.firstFrame = this.pduFirstFrame;
    o.headerFrame = this.pduHeaderFrame;
    o.frame = this.pduLastFrame;
    o.time = this.pduLastTime;
    o.fileOffset = this.pduFileOffset;
    o.truncated = this.pduTruncated;
    o.headerDigest = this.pduHeaderDigest;
    o.dataDigest = DigestCheck.None;
    const login = (h[0] & 0x3f) === 0x03 || (h[0] & 0x3f) === 0x23;
    if (this.dataDigestLength === 4) {
      if (this.dataDigestCheckable && this.digestBytesHave === 4) {
        const d = this.digestBytes;
        const got = u32le(d, 0);
        o.dataDigest = this.dataCrc === got ? DigestCheck.Ok : DigestCheck.Bad;
      } else o.dataDigest = DigestCheck.Unchecked;
    }
    o.data = this.keep;
    o.dataLength = this.keepLength;
    o.dataComplete = this.keepLength === this.keepLimit && !(this.pduTruncated && this.keepLength < this.keepLimit);
    o.resynced = this.resynced;
    o.streamPosition = this.pduStart;
    this.resynced = false;
    this.inData = false;
    this.hdrHave = 0;
    if (login) this.noteLogin(h, this.keep, this.keepLength, o.dataComplete);
    this.sink.pdu(o);
  }

  private noteLogin(h: Uint8Array, data: Uint8Array, len: number, complete: boolean): void {
    if (!complete) this.conn.loginKeysIncomplete = true;
    const keys = this.fromTarget ? this.conn.targetKeys : this.conn.initiatorKeys;
    for (const [k, v] of parseTextKeys(data, 0, len)) keys.set(k, v);
    const transit = (h[1] & 0x80) !== 0;
    const nsg = h[1] & 0x03;
    if (this.fromTarget && transit && nsg === 3 && h[36] === 0) this.conn.completeLogin();
  }

  // ---------------------------------------------------------------- resynchronising

  private addPiece(b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void {
    if (this.rlen + len > this.rbuf.length) {
      this.compact();
      if (this.rlen + len > this.rbuf.length) {
        const grown = new Uint8Array(Math.max(this.rlen + len, this.rbuf.length * 2, 65536));
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
    if (ps.length === 0) return -2;
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
        if (verdict === 'wait') {
          this.scanFrom = at;
          return;
        }
        if (verdict === 'yes') {
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
    if (this.rlen > RESYNC_LIMIT) this.compact();
  }

  private confirm(at: number, runEnd: number, atEnd: boolean): 'yes' | 'no' | 'wait' {
    const b = this.rbuf;
    const op = b[at] & 0x3f;
    const login = op === 0x03 || op === 0x23;
    const ahs = b[at + 4] * 4;
    const hl = BHS_LENGTH + ahs;
    let hdOptions: number[];
    if (login || this.conn.headerDigest === 0) hdOptions = [0];
    else if (this.conn.headerDigest === 4) hdOptions = [4];
    else {
      // Unknown: a matching CRC32C after the header settles it on its own.
      if (at + hl + 4 <= runEnd) {
        const got = u32le(b, at + hl);
        if (crc32c(b, at, hl) === got) {
          this.conn.headerDigest = 4;
          return 'yes';
        }
        hdOptions = [0];
      } else hdOptions = [0, 4];
    }
    if (this.conn.headerDigest === 4 && !login && at + hl + 4 <= runEnd) {
      const got = u32le(b, at + hl);
      return crc32c(b, at, hl) === got ? 'yes' : 'no';
    }
    const ddOptions = login || this.conn.dataDigest === 0 ? [0] : this.conn.dataDigest === 4 ? [4] : [0, 4];
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
          if (atEnd && nextPos === this.position) return 'yes';
          waiting = true;
          continue;
        }
        if (idx === -1) {
          if (isSegmentStart) return 'yes';
          continue;
        }
        const nextRunEnd = this.runEnd(this.pieceAt(idx));
        if (idx + BHS_LENGTH > nextRunEnd) {
          // The successor's BHS is cut: by the end of what we have so far (wait), or by a hole.
          if (nextRunEnd === this.rlen && this.position === this.positionOfIndex(this.rlen - 1) + 1 && !atEnd) { waiting = true; continue; }
          if (isSegmentStart) return 'yes';
          continue;
        }
        if (this.plausibleAt(idx, nextRunEnd)) {
          if (!login && this.conn.headerDigest < 0) this.conn.headerDigest = hd;
          if (dd === 4 && this.conn.dataDigest < 0) this.conn.dataDigest = 4;
          if (dd === 0 && this.conn.dataDigest < 0 && bhsDataSegmentLength(b, at) > 0) this.conn.dataDigest = 0;
          return 'yes';
        }
      }
    }
    if (waiting && !atEnd) return 'wait';
    return 'no';
  }

  private positionOfIndex(at: number): number {
    const p = this.pieces[this.pieceAt(at)];
    return p.position + (at - p.at);
  }

  /** Boundary found at window index `at`: frame from there on, replaying the window. */
  private resume(at: number): void {
    const rbuf = this.rbuf;
    const pieces = this.pieces;
    const startPos = this.positionOfIndex(at);
    const endPos = this.position;
    this.reportUnframed(startPos, pieces[this.pieceAt(at)].frame);
    this.rbuf = new Uint8Array(0);
    this.rlen = 0;
    this.pieces = [];
    this.scanFrom = 0;
    this.mode = Mode.Sync;
    this.hdrHave = 0;
    this.inData = false;
    this.position = startPos;
    let expect = startPos;
    for (const p of pieces) {
      const pEnd = p.position + p.length;
      if (pEnd <= startPos) continue;
      if (p.position > expect) this.missing(p.position - expect, p.frame, p.time);
      const skip = Math.max(0, startPos - p.position);
      this.data(rbuf, p.at + skip, p.length - skip, p.frame, p.time, p.fileOffset + skip);
      expect = pEnd;
    }
    if (endPos > expect) this.missing(endPos - expect, pieces[pieces.length - 1]?.frame ?? 0, pieces[pieces.length - 1]?.time ?? 0);
  }

  /** Tell the sink about the bytes no PDU claimed, and where framing resumed (0: it did not). */
  private reportUnframed(upTo: number | undefined, resyncFrame: number): void {
    const from = this.unframedFrom;
    const to = upTo ?? this.position;
    if (to > from && this.sink.unframed) this.sink.unframed(this.fromTarget, to - from, resyncFrame, this.unframedMissing, this.lossFrame, this.lossTime);
    this.unframedFrom = to;
    this.unframedMissing = 0;
    this.lossFrame = 0;
  }
}
