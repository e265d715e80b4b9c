import { CaptureError, CaptureReader, linkTypeName } from '../capture/index.ts';
import type { CaptureInfo, PacketRecord, PacketSink } from '../capture/index.ts';
import {
  OP_ASYNC_MESSAGE, OP_DATA_IN, OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, OP_LOGOUT_REQUEST, OP_LOGOUT_RESPONSE, OP_NOP_IN, OP_NOP_OUT, OP_REJECT,
  OP_SCSI_COMMAND, OP_SCSI_RESPONSE,
  OP_SNACK_REQUEST, OP_TASK_MGMT_REQUEST, OP_TASK_MGMT_RESPONSE, OP_TEXT_REQUEST, OP_TEXT_RESPONSE, bhsProblem, opcodeOf, parseTextKeys,
  toHex, u32,
} from '../codec/index.ts';
import {
  decodeTcp, formatAddress, isSupportedLinkType, newTcpSegment, parseAddress, SkipReason, TCP_FIN, TCP_RST, TCP_SYN,
} from '../net/index.ts';
import { connectionFigures, NO_TCP_CONN, TcpReassembler } from '../tcp/index.ts';
import type { Dir, HeldLimit, PacketContext, StreamSink, TcpConnection, TcpConnectionFigures } from '../tcp/index.ts';
import { ConnectionFraming, DirectionFramer, NO_LUN, PduState, PduTableBuilder } from '../iscsi/index.ts';
import type {
  CaptureSummary, ConnectionEnd, ConnectionSummary, ConnectionTcp, ControlEvent, FramedCapture, FramedPdu, FramerSink, GapRecord,
  PduDetail, PduRow, StreamDir, TcpCapture, UnframedCause,
} from '../iscsi/index.ts';
import type { CheckOptions } from '../checks/index.ts';
import { buildAnalysis } from './build.ts';
import type { Analysis } from './types.ts';

export interface AnalyzerOptions {
  /** TCP ports to treat as iSCSI besides 3260. */
  ports?: readonly number[];
  /** Called for every PDU as it is framed, with its row index (not yet in frame order) and its
   *  connection as recognised; Analyzer.connIndex() gives the number the results use. */
  onPdu?: (p: FramedPdu, conn: number, row: number) => void;
  /** Thresholds of the protocol checks (slow command, churn window …); defaults otherwise. */
  checks?: Partial<CheckOptions>;
}

export const ISCSI_PORT = 3260;

/** Overlap conflicts and held-data limits listed per connection (the rest are counted). */
const MAX_TCP_NOTES = 64;

/** How far timestamps must go back to be a clock step rather than the interleaving of CPUs or queues. */
const TIME_STEP_BACK_S = 0.01;

/** Rare PDU types whose whole header is kept: the columns hold bytes 0-39 only, and these carry
 *  more after that (Async Parameter2/3, Logout Time2Wait/Time2Retain, Text/Login continuations). */
const KEEP_HEADER = new Uint8Array(64);
for (const op of [OP_TASK_MGMT_REQUEST, OP_LOGIN_REQUEST, OP_TEXT_REQUEST, OP_LOGOUT_REQUEST, OP_SNACK_REQUEST, OP_TASK_MGMT_RESPONSE,
  OP_LOGIN_RESPONSE, OP_TEXT_RESPONSE, OP_LOGOUT_RESPONSE, OP_ASYNC_MESSAGE, OP_REJECT]) KEEP_HEADER[op] = 1;

/**
 * Small byte strings kept for the detail view (headers, login and text data) are copied into shared
 * slabs: a buffer of its own costs each one ~200 bytes besides its bytes, and a capture can hold
 * hundreds of thousands (every TMF and login keeps its header). Larger ones get their own buffer,
 * so a slab held by one survivor (a live reader lets connections go) stays small.
 */
class ByteSlab {
  private slab = new Uint8Array(0);
  private used = 0;

  copy(bytes: Uint8Array, length: number): Uint8Array {
    if (length <= 0) return NO_BYTES;
    if (length > SLAB_PIECE_MAX) return bytes.slice(0, length);
    if (this.used + length > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + length);
    out.set(bytes.subarray(0, length));
    this.used += length;
    return out;
  }
}

const SLAB_BYTES = 16 << 10;
const SLAB_PIECE_MAX = 2 << 10;
const NO_BYTES = new Uint8Array(0);

/**
 * Bytes finishing allocates for a PDU of each opcode (Analyzer.finishBytes), with room: a ping or a
 * login becomes a record, a relation and a finding; a TMF a record, relations, a finding and often
 * an incident; a Reject or an Async Message a finding; routine I/O a few bytes of the model's rows.
 */
const FINISH_COST = new Uint16Array(64).fill(16);
for (const [op, bytes] of [
  [OP_NOP_OUT, 700], [OP_NOP_IN, 400], [OP_LOGIN_REQUEST, 700], [OP_LOGIN_RESPONSE, 200], [OP_TASK_MGMT_REQUEST, 3000],
  [OP_TASK_MGMT_RESPONSE, 300], [OP_SCSI_COMMAND, 150], [OP_TEXT_REQUEST, 300], [OP_TEXT_RESPONSE, 300], [OP_LOGOUT_REQUEST, 300],
  [OP_LOGOUT_RESPONSE, 300], [OP_REJECT, 1500], [OP_ASYNC_MESSAGE, 1500],
] as const) FINISH_COST[op] = bytes;

/** Per iSCSI connection state while reading. */
class IscsiConnection implements FramerSink {
  readonly framing = new ConnectionFraming();
  /** Framers by TCP side. */
  readonly framers: [DirectionFramer | undefined, DirectionFramer | undefined] = [undefined, undefined];
  pdus = 0;
  readonly gaps: GapRecord[] = [];
  unframedBytes = 0;
  truncatedPdus = 0;
  readonly control: ControlEvent[] = [];
  login: { isid?: string; tsih?: number; requestTsih?: number; cid?: number } = {};
  loginStatus: number | undefined;
  /** TCP stream position (TcpDirection.position) of each framer's stream position 0. */
  readonly streamBase: [number, number] = [0, 0];
  readonly conflicts: ConnectionTcp['conflicts'] = [];
  conflictCount = 0;
  readonly heldLimits: ConnectionTcp['heldLimits'] = [];
  /** Its PDUs and TCP events were let go (Analyzer.retire). */
  retired = false;
  /** Its TCP figures, taken when it closed (its analysis is let go then). */
  figures: TcpConnectionFigures | undefined = undefined;

  constructor(
    readonly index: number,
    readonly tcp: TcpConnection,
    /** TCP side of the initiator. */
    readonly initiatorSide: Dir,
    private readonly analyzer: Analyzer,
  ) {}

  /** The framer of `side`; `position` is the TCP stream position of the bytes about to be handed to it. */
  framer(side: Dir, startsAtStreamStart: boolean, position: number): DirectionFramer {
    let f = this.framers[side];
    if (!f) {
      this.streamBase[side] = position;
      const fromTarget = side !== this.initiatorSide;
      if (startsAtStreamStart && !fromTarget) this.framing.startsWithLogin();
      f = new DirectionFramer(fromTarget, this.framing, this, startsAtStreamStart);
      this.framers[side] = f;
    }
    return f;
  }

  pdu(p: FramedPdu): void {
    this.pdus++;
    if (p.truncated) this.truncatedPdus++;
    this.analyzer.addPdu(this, p);
  }

  unframed(fromTarget: boolean, bytes: number, resyncFrame: number, missing: number, lossFrame: number, lossTime: number, cause: UnframedCause): void {
    this.unframedBytes += bytes;
    if (missing > 0 || resyncFrame > 0 || cause === 'lost-sync') {
      this.gaps.push({ dir: fromTarget ? 'T>I' : 'I>T', bytesMissing: missing, bytesSkipped: bytes, resyncFrame, lossFrame, lossTime, cause });
    }
  }
}

/**
 * The one analysis pipeline: capture records → TCP segments → per-direction streams → PDUs in
 * columns. Push chunks of any size; `finish()` returns the Analysis (partial if the capture broke).
 */
export class Analyzer implements PacketSink, StreamSink {
  private readonly reader: CaptureReader;
  private readonly reassembler: TcpReassembler;
  private readonly seg = newTcpSegment();
  private readonly ctx: PacketContext = { frame: 0, time: 0, fileOffset: 0, dataOffset: 0, rel: 0 };
  /** The whole second PacketContext.rel counts from (the first timestamp's). */
  private relBase = Number.NaN;
  private readonly ports: Set<number>;
  readonly table = new PduTableBuilder();
  private readonly conns: IscsiConnection[] = [];
  /** The same, in order of first packet (TCP connection id): what numbers them in the results. */
  private readonly byFirstPacket: IscsiConnection[] = [];
  /** Connections whose TCP entry is still open. */
  private readonly active = new Set<IscsiConnection>();
  private readonly details = new Map<number, PduDetail>();
  private readonly detailBytes = new ByteSlab();
  private readonly headerFrames = new Map<number, { frame: number; header: Uint8Array }>();
  private readonly lunIndex = new Map<string, number>();
  private readonly luns: string[] = [];
  private lastLunHi = -1;
  private lastLunLo = -1;
  private lastLun = 0;
  private error: CaptureError | undefined;
  private packets = 0;
  private firstTime = Number.NaN;
  private lastTime = Number.NaN;
  /** The earliest and latest timestamps: a capture's clock can step back (NTP, merged files). */
  private earliest = Number.NaN;
  private latest = Number.NaN;
  private backwards: { frame: number; byMs: number; count: number } | undefined;
  private truncatedPackets = 0;
  private snaplenCut = 0;
  private cutTo = 0;
  private readonly linkTypes = new Map<number, number>();
  private runLinkType = -1;
  private runLength = 0;
  private readonly skipped = { notIp: 0, notTcp: 0, fragments: 0, truncated: 0, malformed: 0, unsupportedLink: 0, lengthExceedsPacket: 0, extensionHeaderLimit: 0 };
  private finished = false;
  private analysis: Analysis | undefined;
  private external: CaptureInfo | undefined;
  /** Reused for every PDU added to the table. */
  private readonly row: PduRow = { time: 0, fileOffset: 0, frame: 0, firstFrame: 0, conn: 0, state: 0, lun: 0 };
  /** ACK watches answered: PDU row (as added) → frame and time of the ACK (0: never). */
  private ackCount = 0;
  private ackRow = new Uint32Array(256);
  private ackFrame = new Uint32Array(256);
  private ackTime = new Float64Array(256);
  private readonly portals = new Set<string>();
  /** What finishing will make of the PDUs read so far (FINISH_COST), and the SCSI commands and the
   *  statuses seen: a command left waiting becomes a finding, often an incident. */
  private finishCost = 0;
  private commandsSeen = 0;
  private statusesSeen = 0;

  constructor(private readonly options: AnalyzerOptions = {}) {
    this.reader = new CaptureReader(this);
    this.ports = new Set([ISCSI_PORT, ...(options.ports ?? [])]);
    this.reassembler = new TcpReassembler(this, { ports: this.ports });
  }

  get bytesRead(): number {
    return this.input().bytesConsumed;
  }

  get packetCount(): number {
    return this.packets;
  }

  get pduCount(): number {
    return this.table.count;
  }

  /**
   * About what finishing (the session model, the checks, the incidents) allocates on top of what
   * reading holds, from the counts that drive it, with room: per PDU by kind (FINISH_COST), ~2.5 KB
   * a command still waiting for its status, ~5 KB an iSCSI connection (its summary, model and
   * checks). Measured in a heap held after a full collection (the hostile-scale shapes: a NOP-Out
   * ping ~0.36 KB, a silent login's connection ~2.7 KB, a unit of the TMF storm ~5.1 KB) and
   * at the peak while finishing (~1.3× that). A memory guard weighs it against the room left:
   * past V8's limit the process dies with a trace.
   */
  get finishBytes(): number {
    return this.finishCost + Math.max(0, this.commandsSeen - this.statusesSeen) * 2500 + this.conns.length * 5000;
  }

  /** TCP connections open in the reassembler: those that ended are closed once idle for two minutes. */
  get openTcpConnections(): number {
    return this.reassembler.openCount;
  }

  /**
   * The connection number a PDU reported with `conn` (the order in which connections were found to
   * be iSCSI) has in the results, where connections are numbered in order of their first packet.
   * Final for every PDU below settledFrame(); after finish(), final for all.
   */
  connIndex(conn: number): number {
    const id = this.conns[conn].tcp.id;
    let lo = 0, hi = this.byFirstPacket.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.byFirstPacket[mid].tcp.id < id) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /**
   * Every PDU reported in a frame below this one has been handed to onPdu already: what a streaming
   * consumer may print in frame order. PDUs still held (out-of-order segments, a PDU being read, a
   * resynchronisation window) can only land in frames at or after it.
   */
  settledFrame(): number {
    let min = this.ctx.frame + 1;
    min = Math.min(min, this.reassembler.heldFrame(), this.reassembler.undecidedFrame());
    for (const c of this.active) {
      const f = Math.min(c.framers[0]?.pendingFrame() ?? Infinity, c.framers[1]?.pendingFrame() ?? Infinity);
      if (f < min) min = f;
    }
    return this.finished ? Infinity : min;
  }

  /**
   * A live reader (watch) has told everything about these ended connections (result numbers): let
   * their PDU rows, side tables and TCP events go, so reading for hours holds only what is live.
   * Their summaries stay (marked retired), and their numbers do not change; bytes that still come
   * on them are not framed.
   */
  retire(conns: readonly number[]): void {
    const ids = new Set<number>();
    for (const k of conns) {
      const c = this.byFirstPacket[k];
      if (!c || c.retired) continue;
      c.retired = true;
      ids.add(c.tcp.id);
    }
    if (ids.size === 0) return;
    const map = this.table.removeRows((conn) => this.conns[conn].retired);
    const rekey = <V>(m: Map<number, V>): void => {
      const entries = [...m];
      m.clear();
      for (const [k, v] of entries) if (map[k] >= 0) m.set(map[k], v);
    };
    rekey(this.details);
    rekey(this.headerFrames);
    let w = 0;
    for (let j = 0; j < this.ackCount; j++) {
      const row = map[this.ackRow[j]];
      if (row < 0) continue;
      this.ackRow[w] = row;
      this.ackFrame[w] = this.ackFrame[j];
      this.ackTime[w] = this.ackTime[j];
      w++;
    }
    this.ackCount = w;
    this.reassembler.forgetEvents(ids);
  }

  /** Packets come from elsewhere (several files merged, see mergeCaptures) through packet(); this
   *  says what those files held together. */
  setInput(info: CaptureInfo): void {
    this.external = info;
  }

  private input(): CaptureInfo {
    return this.external ?? this.reader.info;
  }

  /** Reading has stopped for good (the capture is unreadable past a point): the rest of the input is of no use. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Feed the next chunk of the capture file. After a CaptureError further chunks are ignored. */
  push(chunk: Uint8Array): void {
    if (this.error || this.finished) return;
    try {
      this.reader.push(chunk);
    } catch (e) {
      if (e instanceof CaptureError) this.error = e;
      else throw e;
    }
  }

  /** Reading stopped for a reason outside the capture reader (a broken gzip stream); results so far stand. */
  fail(e: CaptureError): void {
    if (!this.error) this.error = e;
  }

  /** The capture's bytes came out of a decompressor (only changes what the results say). */
  setCompression(kind: 'gzip'): void {
    this.reader.compression = kind;
  }

  /** The complete Analysis of what was pushed (built once: later calls return the same object). */
  finish(): Analysis {
    if (this.analysis) return this.analysis;
    if (!this.finished) {
      this.finished = true;
      if (!this.error && this.external === undefined) {
        try {
          this.reader.end();
        } catch (e) {
          if (e instanceof CaptureError) this.error = e;
          else throw e;
        }
      }
      this.reassembler.finish(this.ctx);
    }
    this.analysis = buildAnalysis(this.framed(), this.options.checks);
    return this.analysis;
  }

  // ------------------------------------------------------------------ capture → TCP

  packet(p: PacketRecord): void {
    this.packets++;
    const time = p.hasTime ? p.tsSec + p.tsNsec * 1e-9 : this.lastTime;
    if (p.hasTime) {
      if (Number.isNaN(this.firstTime)) this.firstTime = this.earliest = time;
      else if (time < this.lastTime) this.timeWentBack(p.frame, time);
      if (time < this.earliest) this.earliest = time;
      if (!(time < this.latest)) this.latest = time;
      this.lastTime = time;
    }
    if (p.capLen < p.origLen) this.truncatedPackets++;
    if (p.linkType !== this.runLinkType) this.countLinkTypeRun(p.linkType);
    this.runLength++;
    const s = this.seg;
    const why = decodeTcp(p.linkType, p.data, p.dataOffset, p.capLen, s, p.origLen);
    if (why !== SkipReason.None) {
      this.skip(why);
      return;
    }
    if (s.headerTruncated) {
      this.skipped.truncated++;
      return;
    }
    const ctx = this.ctx;
    ctx.frame = p.frame;
    ctx.time = time;
    if (p.hasTime) {
      if (Number.isNaN(this.relBase)) this.relBase = p.tsSec;
      ctx.rel = (p.tsSec - this.relBase) + p.tsNsec * 1e-9;
    }
    ctx.fileOffset = p.fileOffset;
    ctx.dataOffset = p.dataOffset;
    if (s.payloadLength < s.payloadWireLength) {
      this.snaplenCut++;
      if (p.capLen > this.cutTo) this.cutTo = p.capLen;
    }
    this.reassembler.segment(s, p.data, ctx);
  }

  private timeWentBack(frame: number, time: number): void {
    // A capture taken on several CPUs or queues interleaves packets a few microseconds out of order:
    // normal, and harmless once durations are clamped. A clock stepped back is told.
    if (this.lastTime - time < TIME_STEP_BACK_S) return;
    if (this.backwards) this.backwards.count++;
    else this.backwards = { frame, byMs: Math.round((this.lastTime - time) * 1e6) / 1e3, count: 1 };
  }

  /** Packets are counted per link type in runs: a Map update per packet costs more than the rest of the count. */
  private countLinkTypeRun(next: number): void {
    if (this.runLength > 0) this.linkTypes.set(this.runLinkType, (this.linkTypes.get(this.runLinkType) ?? 0) + this.runLength);
    this.runLinkType = next;
    this.runLength = 0;
  }

  private skip(why: SkipReason): void {
    const k = this.skipped;
    switch (why) {
      case SkipReason.NotIp: k.notIp++; break;
      case SkipReason.NotTcp: k.notTcp++; break;
      case SkipReason.Fragment: k.fragments++; break;
      case SkipReason.Truncated: k.truncated++; break;
      case SkipReason.Malformed: k.malformed++; break;
      case SkipReason.UnsupportedLink: k.unsupportedLink++; break;
      case SkipReason.LengthExceedsPacket: k.lengthExceedsPacket++; break;
      case SkipReason.ExtensionHeaderLimit: k.extensionHeaderLimit++; break;
      case SkipReason.None: break;
    }
  }

  // ------------------------------------------------------------------ TCP → iSCSI

  data(tcp: TcpConnection, dir: Dir, b: Uint8Array, off: number, len: number, frame: number, time: number, fileOffset: number): void {
    let c = tcp.user as IscsiConnection | undefined;
    if (!c) {
      c = this.classify(tcp, dir, b, off, len);
      if (!c) return;
    }
    // Late bytes of a connection already told and let go (watch) are not taken up again.
    if (c.retired) return;
    const d = tcp.dirs[dir];
    const atStart = d.synSeen && d.position - len === 0;
    c.framer(dir, atStart, d.position - len).data(b, off, len, frame, time, fileOffset);
  }

  missing(tcp: TcpConnection, dir: Dir, n: number, frame: number, time: number): void {
    const c = tcp.user as IscsiConnection | undefined;
    if (!c || c.retired) return;
    c.framer(dir, false, tcp.dirs[dir].position - n).missing(n, frame, time);
  }

  acked(_tcp: TcpConnection, _dir: Dir, token: number, frame: number, time: number): void {
    const i = this.ackCount;
    if (i === this.ackRow.length) {
      const row = new Uint32Array(i * 2), fr = new Uint32Array(i * 2), tm = new Float64Array(i * 2);
      row.set(this.ackRow);
      fr.set(this.ackFrame);
      tm.set(this.ackTime);
      this.ackRow = row;
      this.ackFrame = fr;
      this.ackTime = tm;
    }
    this.ackRow[i] = token;
    this.ackFrame[i] = frame;
    this.ackTime[i] = time;
    this.ackCount = i + 1;
  }

  conflict(tcp: TcpConnection, dir: Dir, bytes: number, used: 'first' | 'last', firstFrame: number, laterFrame: number): void {
    const c = tcp.user as IscsiConnection | undefined;
    if (!c) return;
    c.conflictCount++;
    if (c.conflicts.length < MAX_TCP_NOTES) c.conflicts.push({ dir: dir === c.initiatorSide ? 'I>T' : 'T>I', bytes, used, firstFrame, laterFrame });
  }

  capped(tcp: TcpConnection, dir: Dir, limit: HeldLimit, frame: number, time: number): void {
    const c = tcp.user as IscsiConnection | undefined;
    if (!c || c.heldLimits.length >= MAX_TCP_NOTES) return;
    c.heldLimits.push({ dir: dir === c.initiatorSide ? 'I>T' : 'T>I', limit, frame, time });
  }

  control(tcp: TcpConnection, dir: Dir, flag: number, frame: number, time: number): void {
    const c = tcp.user as IscsiConnection | undefined;
    if (!c) return;
    const by = dir === c.initiatorSide ? 'initiator' : 'target';
    c.control.push({ kind: flag === TCP_SYN ? 'SYN' : flag === TCP_FIN ? 'FIN' : 'RST', by, frame, time });
    // A FIN or RST ends what its sender sends; the other side's bytes already on the wire may still
    // arrive and complete a PDU (the direction ends when the connection closes).
    if (flag === TCP_FIN || flag === TCP_RST) c.framers[dir]?.end();
  }

  closed(tcp: TcpConnection): void {
    const c = tcp.user as IscsiConnection | undefined;
    if (!c) return;
    c.framers[0]?.end();
    c.framers[1]?.end();
    // A closed connection keeps what its summary reads; its framers and TCP analysis (~5 KB, with
    // their rings and windows) go now — a capture of a day's logins holds thousands of them.
    c.framers[0] = c.framers[1] = undefined;
    c.figures = connectionFigures(tcp);
    tcp.analysis = undefined;
    this.active.delete(c);
  }

  /** Is this TCP connection iSCSI? By port, or by a Login Request as its first bytes. */
  private classify(tcp: TcpConnection, dir: Dir, b: Uint8Array, off: number, len: number): IscsiConnection | undefined {
    if (tcp.ignored) return undefined;
    let initiatorSide: Dir | -1 = -1;
    const p0 = this.ports.has(tcp.port[0]), p1 = this.ports.has(tcp.port[1]);
    if (p0 && p1) initiatorSide = tcp.clientSide >= 0 ? (tcp.clientSide as Dir) : 0;
    else if (p1) initiatorSide = 0;
    else if (p0) initiatorSide = 1;
    else if (len >= 48 && opcodeOf(b[off]) === OP_LOGIN_REQUEST && tcp.dirs[dir].position - len === 0 && bhsProblem(b, off, false) === undefined) {
      initiatorSide = dir;
    }
    if (initiatorSide < 0) {
      tcp.ignored = true;
      return undefined;
    }
    const c = new IscsiConnection(this.conns.length, tcp, initiatorSide as Dir, this);
    this.conns.push(c);
    let k = this.byFirstPacket.length;
    while (k > 0 && this.byFirstPacket[k - 1].tcp.id > tcp.id) k--;
    this.byFirstPacket.splice(k, 0, c);
    this.active.add(c);
    tcp.user = c;
    this.reassembler.keep(tcp);
    // Control events seen before we knew (the handshake) belong to the connection's story.
    const syns = ([0, 1] as const).filter((side) => tcp.dirs[side].synSeen).sort((a, b) => tcp.dirs[a].synFrame - tcp.dirs[b].synFrame);
    for (const side of syns) {
      const d = tcp.dirs[side];
      c.control.push({ kind: 'SYN', by: side === c.initiatorSide ? 'initiator' : 'target', frame: d.synFrame, time: d.synTime });
    }
    return c;
  }

  // ------------------------------------------------------------------ PDUs → columns

  addPdu(c: IscsiConnection, p: FramedPdu): void {
    const h = p.header;
    const opcode = opcodeOf(h[0]);
    const login = opcode === OP_LOGIN_REQUEST || opcode === OP_LOGIN_RESPONSE;
    const row = this.row;
    row.time = p.time;
    row.fileOffset = p.fileOffset;
    row.frame = p.frame;
    row.firstFrame = p.firstFrame;
    row.conn = c.index;
    row.state = (p.truncated ? PduState.Truncated : 0) | (p.resynced ? PduState.Resynced : 0)
      | (p.headerDigest << PduState.HeaderDigestShift) | (p.dataDigest << PduState.DataDigestShift);
    // Login PDUs carry ISID and TSIH where others carry the LUN.
    row.lun = login ? NO_LUN : this.lunOf(u32(h, 8), u32(h, 12));
    const i = this.table.add(h, row);
    // A header cut across segments is not contiguous in the file: keep its bytes for re-reading.
    if (p.headerFrame !== p.firstFrame) this.headerFrames.set(i, { frame: p.headerFrame, header: h.slice(0, p.headerLength) });
    if (login) this.noteLogin(c, p, opcode);
    if (p.dataLength > 0 || KEEP_HEADER[opcode] === 1) this.keepDetail(i, p, opcode);
    // A request that expects an answer: did the peer's TCP take it? (said where iSCSI never answered)
    if (!p.fromTarget && (opcode === OP_SCSI_COMMAND || opcode === OP_TASK_MGMT_REQUEST || opcode === OP_LOGIN_REQUEST
      || (opcode === OP_NOP_OUT && u32(h, 16) !== 0xffffffff))) {
      const side = c.initiatorSide;
      this.reassembler.watchAck(c.tcp, side, c.streamBase[side] + p.streamEnd, i);
    }
    if (opcode === OP_TEXT_RESPONSE && p.dataLength > 0) this.notePortals(p);
    this.finishCost += FINISH_COST[opcode];
    if (opcode === OP_SCSI_COMMAND) this.commandsSeen++;
    else if (opcode === OP_SCSI_RESPONSE || (opcode === OP_DATA_IN && (h[1] & 0x01) !== 0)) this.statusesSeen++;
    this.options.onPdu?.(p, c.index, i);
  }

  /** A SendTargets answer names portals: connections to them are iSCSI from their first SYN. */
  private notePortals(p: FramedPdu): void {
    if (this.portals.size >= 4096) return;
    for (const [key, value] of parseTextKeys(p.data, 0, p.dataLength)) {
      if (key !== 'TargetAddress') continue;
      // TargetAddress=domainname[:port][,portal-group-tag] (RFC 7143 §13.8); IPv6 in brackets.
      const m = /^(?:\[([^\]]+)\]|([^:,]+))(?::(\d+))?(?:,\d+)?$/.exec(value);
      if (!m) continue;
      const addr = parseAddress(m[1] ?? m[2]);
      const port = m[3] === undefined ? ISCSI_PORT : Number(m[3]);
      if (!addr || port < 1 || port > 65535) continue;
      const portal = `${addr.version}/${addr.words.join(',')}/${port}`;
      if (this.portals.has(portal)) continue;
      this.portals.add(portal);
      this.reassembler.wantPortal(addr.version, addr.words, port);
    }
  }

  private lunOf(hi: number, lo: number): number {
    if (hi === this.lastLunHi && lo === this.lastLunLo) return this.lastLun;
    const key = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
    let idx = this.lunIndex.get(key);
    if (idx === undefined) {
      // More distinct LUNs than a real SAN has is noise from a crafted capture: pool them.
      idx = this.luns.length < NO_LUN - 1 ? this.luns.length : NO_LUN - 1;
      if (idx === this.luns.length) this.luns.push(key);
      this.lunIndex.set(key, idx);
    }
    this.lastLunHi = hi;
    this.lastLunLo = lo;
    this.lastLun = idx;
    return idx;
  }

  private noteLogin(c: IscsiConnection, p: FramedPdu, opcode: number): void {
    const h = p.header;
    // As Wireshark and the codec show it: "80:de:c7:3e:00:00".
    c.login.isid = toHex(h, 8, 6, ':');
    const tsih = (h[14] << 8) | h[15];
    // The first Login Request's TSIH says new session (0) or an added connection; the last
    // Login Response's is the session's handle.
    if (opcode === OP_LOGIN_REQUEST && c.login.requestTsih === undefined) c.login.requestTsih = tsih;
    c.login.tsih = tsih;
    if (opcode === OP_LOGIN_REQUEST) c.login.cid = (h[20] << 8) | h[21];
    if (opcode === OP_LOGIN_RESPONSE) c.loginStatus = (h[36] << 8) | h[37];
  }

  private keepDetail(i: number, p: FramedPdu, opcode: number): void {
    const data = this.detailBytes.copy(p.data, p.dataLength);
    const header = KEEP_HEADER[opcode] === 1 ? this.detailBytes.copy(p.header, p.headerLength) : undefined;
    this.details.set(i, { data, dataComplete: p.dataComplete, opcode, header });
  }

  // ------------------------------------------------------------------ result

  /** TcpConnection ids of TcpCapture.connections (sorted), from the last tcpCapture(). */
  private keptIds: Uint32Array = new Uint32Array(0);

  /** The TCP analysis, renumbered over the kept connections and tied to the iSCSI connections. */
  private tcpCapture(snapshot: boolean, ackRow: Uint32Array): TcpCapture {
    const kept = this.reassembler.keptConnections(snapshot);
    this.keptIds = kept.id;
    const n = kept.count;
    const conn = new Int32Array(n).fill(-1);
    const initiatorSide = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const cs = kept.clientSide[i];
      // "I>T" is from the side that sent the SYN, else from the side not on an iSCSI port.
      initiatorSide[i] = cs >= 0 ? cs : this.ports.has(kept.ports[i * 2]) ? 1 : 0;
    }
    this.byFirstPacket.forEach((c, k) => {
      const i = indexOfId(kept.id, c.tcp.id);
      if (i < 0) return;
      conn[i] = k;
      initiatorSide[i] = c.initiatorSide;
    });
    const ev = this.reassembler.events();
    const evConn = new Int32Array(ev.count);
    const fromTarget = new Uint8Array(ev.count);
    let lastId = -1, lastIndex = -1;
    for (let j = 0; j < ev.count; j++) {
      const id = ev.tcpConn[j];
      if (id !== lastId) {
        lastId = id;
        lastIndex = indexOfId(kept.id, id);
      }
      // Every event belongs to a kept connection; one still open in a snapshot is kept too.
      const i = lastIndex < 0 ? 0 : lastIndex;
      ev.tcpConn[j] = i;
      evConn[j] = conn[i];
      fromTarget[j] = ev.dir[j] === initiatorSide[i] ? 0 : 1;
    }
    const attempts = this.reassembler.attempts();
    for (let j = 0; j < attempts.count; j++) {
      // An attempt whose connection is not listed keeps NO_TCP_CONN (past any row).
      if (attempts.tcpConn[j] !== NO_TCP_CONN) attempts.tcpConn[j] = Math.max(0, indexOfId(kept.id, attempts.tcpConn[j]));
    }
    return {
      connections: { count: n, conn, initiatorSide, firstFrame: kept.firstFrame, firstTime: kept.firstTime },
      events: { ...ev, conn: evConn, fromTarget },
      attempts,
      acks: { count: ackRow.length, row: ackRow, frame: this.ackFrame.slice(0, this.ackCount), time: this.ackTime.slice(0, this.ackCount) },
    };
  }

  /**
   * The Analysis of what has been read so far, while reading goes on (a live capture): PDUs still
   * being reassembled or held are not in it yet, and waits still open end at its last packet.
   */
  snapshot(): Analysis {
    return buildAnalysis(this.framed(true), this.options.checks);
  }

  private framed(snapshot = false): FramedCapture {
    this.countLinkTypeRun(-1);
    // Number connections in order of first packet (they were numbered as they were recognised).
    const renumber = this.conns.map((c) => this.connIndex(c.index));
    const moved = renumber.some((n, i) => n !== i) ? renumber : undefined;
    const { columns, order } = snapshot ? this.table.snapshot(moved) : this.table.finish(moved);
    let details = this.details;
    let headerFrames = this.headerFrames;
    const ackRow = this.ackRow.slice(0, this.ackCount);
    if (order) {
      // Rows moved: re-key the side tables by their new row numbers.
      const rank = new Uint32Array(order.length);
      for (let j = 0; j < order.length; j++) rank[order[j]] = j;
      details = new Map([...details].map(([k, v]) => [rank[k], v]));
      headerFrames = new Map([...headerFrames].map(([k, v]) => [rank[k], v]));
      for (let j = 0; j < ackRow.length; j++) ackRow[j] = rank[ackRow[j]];
    }
    const capture: CaptureSummary = {
      format: this.input().format ?? undefined,
      compression: this.input().compression ?? undefined,
      bytes: this.input().bytesConsumed,
      packets: this.packets,
      firstTime: Number.isNaN(this.earliest) ? undefined : this.earliest,
      lastTime: Number.isNaN(this.latest) ? undefined : this.latest,
      timeBackwards: this.backwards,
      linkTypes: [...this.linkTypes].map(([linkType, packets]) => ({ linkType, name: linkTypeName(linkType), packets, supported: isSupportedLinkType(linkType) })),
      truncatedPackets: this.truncatedPackets,
      snaplenCutSegments: this.snaplenCut,
      snaplen: smallestSnaplen(this.input().interfaces.map((f) => f.snaplen)),
      ...(this.cutTo > 0 && { cutTo: this.cutTo }),
      timeResolution: finestResolution(this.input().interfaces.map((f) => f.timeUnitsPerSecond)),
      skipped: { ...this.skipped },
      tcpConnections: this.reassembler.count,
      forgottenTcpConnections: this.reassembler.forgottenCount,
    };
    const tcp = this.tcpCapture(snapshot, ackRow);
    const tcpConnOf = (c: IscsiConnection): number => {
      const ids = tcp.connections;
      const i = indexOfId(this.keptIds, c.tcp.id);
      return i >= 0 && ids.conn[i] >= 0 ? i : -1;
    };
    return {
      capture,
      connections: this.byFirstPacket.map((c, i) => summarize(c, i, tcpConnOf(c))),
      pdus: columns,
      headerFrames,
      details,
      luns: this.luns,
      tcp,
      error: this.error ? { kind: this.error.kind, message: this.error.message } : unreadableLinkTypes(capture),
    };
  }
}

/** Index of `id` in the sorted `ids`, -1 if absent. */
function indexOfId(ids: Uint32Array, id: number): number {
  let lo = 0, hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] < id) lo = mid + 1;
    else if (ids[mid] > id) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/** A capture none of whose packets we can decode says so, naming what it holds. */
function unreadableLinkTypes(c: CaptureSummary): { kind: string; message: string } | undefined {
  if (c.packets === 0 || c.linkTypes.some((l) => l.supported)) return undefined;
  const what = c.linkTypes.map((l) => `link type ${l.linkType} (${l.name})`).join(', ');
  return {
    kind: 'unsupported-link-type',
    message: `This is a ${c.format ?? 'capture'} file with ${what}; no TCP found (readable link types: Ethernet, Linux cooked v1/v2, raw IP, BSD loopback)`,
  };
}

/** Seconds per timestamp unit of the finest interface (µs when none says). */
function finestResolution(unitsPerSecond: number[]): number {
  let best = 1e6;
  for (const u of unitsPerSecond) if (u > best && Number.isFinite(u)) best = u;
  return 1 / best;
}

/** The capture's effective snaplen: the smallest one any interface set (0 means none). */
function smallestSnaplen(snaplens: number[]): number | undefined {
  let min: number | undefined;
  for (const n of snaplens) if (n > 0 && (min === undefined || n < min)) min = n;
  return min;
}

/** What TCP did under the connection, by iSCSI direction and side. */
function tcpOf(c: IscsiConnection, tcpConn: number): ConnectionTcp | undefined {
  const f = tcpConn >= 0 ? c.figures ?? connectionFigures(c.tcp) : undefined;
  if (!f) return undefined;
  const i = c.initiatorSide;
  const r = (i ^ 1) as Dir;
  const ms = (s: number): number => Math.round(s * 1e6) / 1e3;
  const bursts: ConnectionTcp['bursts'] = [];
  const zeroWindows: ConnectionTcp['zeroWindows'] = [];
  for (const side of [i, r]) {
    const d = f.dirs[side];
    const dir: StreamDir = side === i ? 'I>T' : 'T>I';
    for (const b of d.bursts) {
      bursts.push({
        dir, firstFrame: b.firstFrame, firstTime: b.firstTime, lastFrame: b.lastFrame, lastTime: b.lastTime, segments: b.segments,
        bytes: b.bytes, longestWaitMs: b.longestWait >= 0 ? ms(b.longestWait) : undefined, backoffs: b.backoffs,
      });
    }
    for (const z of d.longZeroWindows) {
      zeroWindows.push({ by: side === i ? 'initiator' : 'target', startFrame: z.startFrame, startTime: z.startTime, endFrame: z.endFrame, endTime: z.endTime, probes: z.probes });
    }
  }
  bursts.sort((a, b) => a.firstTime - b.firstTime);
  zeroWindows.sort((a, b) => a.startTime - b.startTime);
  return {
    tcpConn,
    handshakeRttMs: Number.isNaN(f.handshakeRtt) ? undefined : ms(f.handshakeRtt),
    retransmittedSegments: { 'I>T': f.dirs[i].retransmittedSegments, 'T>I': f.dirs[r].retransmittedSegments },
    retransmittedBytes: { 'I>T': f.dirs[i].retransmittedBytes, 'T>I': f.dirs[r].retransmittedBytes },
    zeroWindowMs: { initiator: ms(f.dirs[i].zeroWindowTime), target: ms(f.dirs[r].zeroWindowTime) },
    bursts,
    zeroWindows,
    conflicts: c.conflicts.map((x) => ({ ...x })),
    conflictCount: c.conflictCount,
    heldLimits: c.heldLimits.map((x) => ({ ...x })),
  };
}

function summarize(c: IscsiConnection, conn: number, tcpConn: number): ConnectionSummary {
  const t = c.tcp;
  const i = c.initiatorSide;
  const r = (i ^ 1) as Dir;
  const initiator = formatAddress(t.ipVersion, t.addr[i][0], t.addr[i][1], t.addr[i][2], t.addr[i][3]);
  const target = formatAddress(t.ipVersion, t.addr[r][0], t.addr[r][1], t.addr[r][2], t.addr[r][3]);
  const f = c.framing;
  let end: ConnectionEnd = { kind: 'open' };
  const rst = c.control.find((e) => e.kind === 'RST');
  const fin = c.control.find((e) => e.kind === 'FIN');
  if (rst && (!fin || rst.frame <= fin.frame)) end = { kind: 'rst', by: rst.by, frame: rst.frame, time: rst.time };
  else if (fin) end = { kind: 'fin', by: fin.by, frame: fin.frame, time: fin.time };
  return {
    conn,
    initiator: { address: initiator, port: t.port[i] },
    target: { address: target, port: t.port[r] },
    firstFrame: t.firstFrame,
    lastFrame: t.lastFrame,
    firstTime: t.firstTime,
    lastTime: t.lastTime,
    synSeen: t.dirs[i].synSeen,
    midstream: t.dirs[0].midstream || t.dirs[1].midstream,
    pdus: c.pdus,
    truncatedPdus: c.truncatedPdus,
    unframedBytes: c.unframedBytes,
    missingBytes: t.dirs[0].missingBytes + t.dirs[1].missingBytes,
    gaps: c.gaps,
    headerDigest: f.headerDigest < 0 ? 'unknown' : f.headerDigest ? 'CRC32C' : 'None',
    unnegotiatedDigests: f.unnegotiatedDigests.map((u) => ({ ...u })),
    dataDigest: f.dataDigest < 0 ? 'unknown' : f.dataDigest ? 'CRC32C' : 'None',
    loginComplete: f.loginComplete,
    initiatorKeys: Object.fromEntries(f.initiatorKeys),
    targetKeys: Object.fromEntries(f.targetKeys),
    isid: c.login.isid,
    tsih: c.login.tsih,
    loginRequestTsih: c.login.requestTsih,
    cid: c.login.cid,
    loginStatus: c.loginStatus,
    control: c.control,
    end,
    tcp: tcpOf(c, tcpConn),
    ...(c.retired && { retired: true as const }),
  };
}
