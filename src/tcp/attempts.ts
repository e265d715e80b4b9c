/**
 * Connection attempts: every SYN (and SYN retransmission) to a wanted port or portal, grouped per
 * attempt (same 4-tuple and initial sequence number), with how it was answered.
 */

export const enum AttemptAnswer {
  /** No SYN-ACK or RST from the server (yet). */
  None = 0,
  SynAck = 1,
  Rst = 2,
}

/** The attempt columns; row i is one attempt, in order of its first SYN. */
export interface TcpAttempts {
  count: number;
  /** TcpConnection.id that carried the attempt; NO_TCP_CONN when that connection, which carried no
   *  payload, is not listed (a port scan past the listing bound). */
  tcpConn: Uint32Array;
  ipVersion: Uint8Array;
  /** Client and server addresses, four 32-bit words each per row (IPv4 uses word 0). */
  clientAddr: Uint32Array;
  serverAddr: Uint32Array;
  clientPort: Uint16Array;
  serverPort: Uint16Array;
  isn: Uint32Array;
  /** SYNs sent for this attempt (the first and its retransmissions). */
  syns: Uint32Array;
  firstSynFrame: Uint32Array;
  firstSynTime: Float64Array;
  lastSynFrame: Uint32Array;
  lastSynTime: Float64Array;
  /** The SYN before the last one (0 / NaN for an attempt of one SYN): the last one a SYN-ACK to the
   *  last SYN leaves unanswered. */
  prevSynFrame: Uint32Array;
  prevSynTime: Float64Array;
  /** AttemptAnswer: the server's first SYN-ACK or RST after the first SYN. */
  answer: Uint8Array;
  answerFrame: Uint32Array;
  answerTime: Float64Array;
  /** Attempts not recorded because the table was full (a SYN flood), and how many of those were
   *  answered: by RST, by a SYN-ACK to the first SYN, by a SYN-ACK only after SYN retransmissions. */
  dropped: number;
  droppedRefused: number;
  droppedConnected: number;
  droppedAnsweredLate: number;
  /** And by nothing (what is left). */
  droppedUnanswered: number;
  /** The first SYN of the first attempt not recorded, and the time of the last one (0 when none). */
  droppedFirstFrame: number;
  droppedFirstTime: number;
  droppedLastTime: number;
}

/** TcpAttemptTableBuilder.add's answer when the table is full. */
export const DROPPED_ATTEMPT = -2;

/** TcpAttempts.tcpConn of an attempt whose connection is not listed. */
export const NO_TCP_CONN = 0xffffffff;

/** A SYN flood must not grow the table without bound; the count of the rest is kept. */
export const MAX_ATTEMPTS = 1 << 18;

function grown<T extends Uint32Array | Uint16Array | Uint8Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

export class TcpAttemptTableBuilder {
  count = 0;
  dropped = 0;
  private droppedRefused = 0;
  private droppedConnected = 0;
  private droppedAnsweredLate = 0;
  private droppedFirstFrame = 0;
  private droppedFirstTime = 0;
  private droppedLastTime = 0;
  private cap = 64;
  private tcpConn = new Uint32Array(this.cap);
  private ipVersion = new Uint8Array(this.cap);
  private clientAddr = new Uint32Array(this.cap * 4);
  private serverAddr = new Uint32Array(this.cap * 4);
  private clientPort = new Uint16Array(this.cap);
  private serverPort = new Uint16Array(this.cap);
  private isn = new Uint32Array(this.cap);
  private syns = new Uint32Array(this.cap);
  private firstSynFrame = new Uint32Array(this.cap);
  private firstSynTime = new Float64Array(this.cap);
  private lastSynFrame = new Uint32Array(this.cap);
  private lastSynTime = new Float64Array(this.cap);
  private prevSynFrame = new Uint32Array(this.cap);
  private prevSynTime = new Float64Array(this.cap);
  private answer = new Uint8Array(this.cap);
  private answerFrame = new Uint32Array(this.cap);
  private answerTime = new Float64Array(this.cap);

  /** A new attempt; returns its row, or DROPPED_ATTEMPT when the table is full. */
  add(tcpConn: number, ipVersion: number, client: ArrayLike<number>, server: ArrayLike<number>, clientPort: number, serverPort: number, isn: number, frame: number, time: number): number {
    if (this.count >= MAX_ATTEMPTS) {
      if (this.dropped++ === 0) {
        this.droppedFirstFrame = frame;
        this.droppedFirstTime = time;
      }
      this.droppedLastTime = time;
      return DROPPED_ATTEMPT;
    }
    if (this.count === this.cap) this.resize(this.cap * 2);
    const i = this.count++;
    this.tcpConn[i] = tcpConn;
    this.ipVersion[i] = ipVersion;
    for (let k = 0; k < 4; k++) {
      this.clientAddr[i * 4 + k] = client[k];
      this.serverAddr[i * 4 + k] = server[k];
    }
    this.clientPort[i] = clientPort;
    this.serverPort[i] = serverPort;
    this.isn[i] = isn;
    this.syns[i] = 1;
    this.firstSynFrame[i] = this.lastSynFrame[i] = frame;
    this.firstSynTime[i] = this.lastSynTime[i] = time;
    this.prevSynFrame[i] = 0;
    this.prevSynTime[i] = Number.NaN;
    this.answer[i] = AttemptAnswer.None;
    this.answerFrame[i] = 0;
    this.answerTime[i] = 0;
    return i;
  }

  /** The attempt's connection will not be listed. */
  unlink(row: number): void {
    if (row >= 0) this.tcpConn[row] = NO_TCP_CONN;
  }

  /** Another SYN of the same attempt (a retransmission). */
  resent(row: number, frame: number, time: number): void {
    this.syns[row]++;
    this.prevSynFrame[row] = this.lastSynFrame[row];
    this.prevSynTime[row] = this.lastSynTime[row];
    this.lastSynFrame[row] = frame;
    this.lastSynTime[row] = time;
  }

  answered(row: number): boolean {
    return this.answer[row] !== AttemptAnswer.None;
  }

  setAnswer(row: number, how: AttemptAnswer, frame: number, time: number): void {
    if (this.answer[row] !== AttemptAnswer.None) return;
    this.answer[row] = how;
    this.answerFrame[row] = frame;
    this.answerTime[row] = time;
  }

  /** The answer to an attempt the full table did not record, after `syns` SYNs. */
  droppedAnswer(how: AttemptAnswer, syns: number): void {
    if (how === AttemptAnswer.Rst) this.droppedRefused++;
    else if (syns > 1) this.droppedAnsweredLate++;
    else this.droppedConnected++;
  }

  private resize(n: number): void {
    this.tcpConn = grown(this.tcpConn, n);
    this.ipVersion = grown(this.ipVersion, n);
    this.clientAddr = grown(this.clientAddr, n * 4);
    this.serverAddr = grown(this.serverAddr, n * 4);
    this.clientPort = grown(this.clientPort, n);
    this.serverPort = grown(this.serverPort, n);
    this.isn = grown(this.isn, n);
    this.syns = grown(this.syns, n);
    this.firstSynFrame = grown(this.firstSynFrame, n);
    this.firstSynTime = grown(this.firstSynTime, n);
    this.lastSynFrame = grown(this.lastSynFrame, n);
    this.lastSynTime = grown(this.lastSynTime, n);
    this.prevSynFrame = grown(this.prevSynFrame, n);
    this.prevSynTime = grown(this.prevSynTime, n);
    this.answer = grown(this.answer, n);
    this.answerFrame = grown(this.answerFrame, n);
    this.answerTime = grown(this.answerTime, n);
    this.cap = n;
  }

  /** Trimmed columns (a snapshot: the builder may go on). */
  finish(): TcpAttempts {
    const n = this.count;
    return {
      count: n,
      tcpConn: this.tcpConn.slice(0, n),
      ipVersion: this.ipVersion.slice(0, n),
      clientAddr: this.clientAddr.slice(0, n * 4),
      serverAddr: this.serverAddr.slice(0, n * 4),
      clientPort: this.clientPort.slice(0, n),
      serverPort: this.serverPort.slice(0, n),
      isn: this.isn.slice(0, n),
      syns: this.syns.slice(0, n),
      firstSynFrame: this.firstSynFrame.slice(0, n),
      firstSynTime: this.firstSynTime.slice(0, n),
      lastSynFrame: this.lastSynFrame.slice(0, n),
      lastSynTime: this.lastSynTime.slice(0, n),
      prevSynFrame: this.prevSynFrame.slice(0, n),
      prevSynTime: this.prevSynTime.slice(0, n),
      answer: this.answer.slice(0, n),
      answerFrame: this.answerFrame.slice(0, n),
      answerTime: this.answerTime.slice(0, n),
      dropped: this.dropped,
      droppedRefused: this.droppedRefused,
      droppedConnected: this.droppedConnected,
      droppedAnsweredLate: this.droppedAnsweredLate,
      droppedUnanswered: this.dropped - this.droppedRefused - this.droppedConnected - this.droppedAnsweredLate,
      droppedFirstFrame: this.droppedFirstFrame,
      droppedFirstTime: this.droppedFirstTime,
      droppedLastTime: this.droppedLastTime,
    };
  }
}

/** Attempts to one portal (server address and port), in order of first SYN. */
export interface PortalAttempts {
  ipVersion: 4 | 6;
  /** Server address words (IPv4: word 0). */
  addr: [number, number, number, number];
  port: number;
  /** Rows of TcpAttempts, in order. */
  rows: number[];
  synAcked: number;
  refused: number;
  unanswered: number;
  /** SYNs sent in all (first SYNs and retransmissions). */
  syns: number;
  firstFrame: number;
  firstTime: number;
  /** The last SYN sent to the portal. */
  lastFrame: number;
  lastTime: number;
}

/** Group attempts per portal, portals in order of their first attempt. */
export function attemptsByPortal(a: TcpAttempts): PortalAttempts[] {
  const byKey = new Map<string, PortalAttempts>();
  const out: PortalAttempts[] = [];
  for (let i = 0; i < a.count; i++) {
    const w = a.serverAddr;
    const key = `${a.ipVersion[i]}/${w[i * 4]},${w[i * 4 + 1]},${w[i * 4 + 2]},${w[i * 4 + 3]}/${a.serverPort[i]}`;
    let p = byKey.get(key);
    if (!p) {
      p = {
        ipVersion: a.ipVersion[i] as 4 | 6,
        addr: [w[i * 4], w[i * 4 + 1], w[i * 4 + 2], w[i * 4 + 3]],
        port: a.serverPort[i],
        rows: [], synAcked: 0, refused: 0, unanswered: 0, syns: 0,
        firstFrame: a.firstSynFrame[i], firstTime: a.firstSynTime[i], lastFrame: 0, lastTime: 0,
      };
      byKey.set(key, p);
      out.push(p);
    }
    p.rows.push(i);
    p.syns += a.syns[i];
    if (a.answer[i] === AttemptAnswer.SynAck) p.synAcked++;
    else if (a.answer[i] === AttemptAnswer.Rst) p.refused++;
    else p.unanswered++;
    if (a.lastSynFrame[i] >= p.lastFrame) {
      p.lastFrame = a.lastSynFrame[i];
      p.lastTime = a.lastSynTime[i];
    }
  }
  return out;
}
