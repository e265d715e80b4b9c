import { PcapWriter } from '../capture/index.ts';
import type { PcapWriterOptions } from '../capture/index.ts';
import { encodePdu } from '../codec/index.ts';
import type { DigestOptions, PduInput } from '../codec/index.ts';
import { buildTcpFrame, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../net/index.ts';

/**
 * Writes synthetic captures of iSCSI conversations: real Ethernet/IPv4/TCP framing around PDUs
 * from the codec's encoder, with full control over segmentation, order, loss and timing. Tests use
 * it to build the cases real peers will not produce on demand; the benchmark to make big captures.
 */

export type Side = 'initiator' | 'target';

export interface Endpoint {
  ip: number;
  port: number;
}

/** "10.0.0.1:3260" → { ip, port }. */
export function endpoint(text: string): Endpoint {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)$/.exec(text);
  if (!m) throw new Error(`not an IPv4 endpoint: ${text}`);
  const [a, b, c, d, port] = m.slice(1).map(Number);
  return { ip: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, port };
}

export class SynthCapture {
  readonly writer: PcapWriter;
  /** Frames written so far (the next frame's number is frames + 1). */
  frames = 0;
  private clock = 0;

  constructor(options: PcapWriterOptions & { start?: number } = {}) {
    this.writer = new PcapWriter({ nanosecond: true, ...options });
    this.clock = options.start ?? 1_700_000_000;
  }

  /** Current capture time in seconds since the epoch. */
  get now(): number {
    return this.clock;
  }

  /** Move the clock forward (seconds). */
  wait(seconds: number): this {
    this.clock += seconds;
    return this;
  }

  /** Write one frame at the current time; returns its frame number. `capLen` cuts it like a snaplen. */
  frame(bytes: Uint8Array, capLen = bytes.length): number {
    const sec = Math.floor(this.clock);
    const nsec = Math.min(999_999_999, Math.round((this.clock - sec) * 1e9));
    this.writer.addPacket(sec, nsec, capLen < bytes.length ? bytes.subarray(0, capLen) : bytes, bytes.length);
    return ++this.frames;
  }

  connection(initiator: string, target: string, isn: { initiator?: number; target?: number } = {}): SynthConnection {
    return new SynthConnection(this, endpoint(initiator), endpoint(target), isn.initiator ?? 1000, isn.target ?? 5000);
  }

  bytes(): Uint8Array {
    return this.writer.toBytes();
  }
}

export interface SendOptions {
  /** Largest payload per segment (default 65483, as on loopback). */
  mss?: number;
  /** Seconds between consecutive segments (default 0). */
  spacing?: number;
  /** Header/data digests to add to each PDU. */
  digests?: DigestOptions;
}

export class SynthConnection {
  /** Next sequence number per side. */
  private readonly next: Record<Side, number>;

  constructor(
    readonly capture: SynthCapture,
    readonly initiator: Endpoint,
    readonly target: Endpoint,
    initiatorIsn: number,
    targetIsn: number,
  ) {
    this.next = { initiator: initiatorIsn >>> 0, target: targetIsn >>> 0 };
  }

  /** Sequence number the side will use for its next byte. */
  seq(side: Side): number {
    return this.next[side];
  }

  private frameSpec(side: Side, seq: number, flags: number, payload?: Uint8Array) {
    const [src, dst] = side === 'initiator' ? [this.initiator, this.target] : [this.target, this.initiator];
    const other: Side = side === 'initiator' ? 'target' : 'initiator';
    return { src: src.ip, dst: dst.ip, srcPort: src.port, dstPort: dst.port, seq, ack: this.next[other], flags, payload };
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(): this {
    this.capture.frame(buildTcpFrame(this.frameSpec('initiator', (this.next.initiator - 1) >>> 0, TCP_SYN)));
    this.capture.frame(buildTcpFrame({ ...this.frameSpec('target', (this.next.target - 1) >>> 0, TCP_SYN | TCP_ACK) }));
    this.capture.frame(buildTcpFrame(this.frameSpec('initiator', this.next.initiator, TCP_ACK)));
    return this;
  }

  /** Encode PDUs and send their bytes as one stream write; returns the frame numbers used. */
  send(side: Side, pdus: PduInput | PduInput[], options: SendOptions = {}): number[] {
    const list = Array.isArray(pdus) ? pdus : [pdus];
    const parts = list.map((p) => encodePdu(p, options.digests));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    return this.sendBytes(side, bytes, options);
  }

  /** Send raw stream bytes in segments of at most `mss`. */
  sendBytes(side: Side, bytes: Uint8Array, options: SendOptions = {}): number[] {
    const mss = options.mss ?? 65483;
    const frames: number[] = [];
    for (let o = 0; o < bytes.length; o += mss) {
      if (o > 0 && options.spacing) this.capture.wait(options.spacing);
      const chunk = bytes.subarray(o, Math.min(bytes.length, o + mss));
      frames.push(this.segment(side, this.next[side], chunk));
      this.next[side] = (this.next[side] + chunk.length) >>> 0;
    }
    return frames;
  }

  /**
   * Write one segment at an explicit sequence number without moving the stream on: for
   * retransmissions, reordering and overlaps. `capLen` cuts the frame like a snaplen would.
   */
  segment(side: Side, seq: number, payload: Uint8Array, flags = TCP_ACK | TCP_PSH, capLen?: number): number {
    const f = buildTcpFrame(this.frameSpec(side, seq >>> 0, flags, payload));
    return this.capture.frame(f, capLen ?? f.length);
  }

  /** Move a side's stream on by `n` bytes that are never written (capture loss). */
  skip(side: Side, n: number): void {
    this.next[side] = (this.next[side] + n) >>> 0;
  }

  /** A bare ACK from `side` acknowledging everything the other side sent. */
  ack(side: Side): number {
    return this.capture.frame(buildTcpFrame(this.frameSpec(side, this.next[side], TCP_ACK)));
  }

  fin(side: Side): number {
    const f = this.capture.frame(buildTcpFrame(this.frameSpec(side, this.next[side], TCP_FIN | TCP_ACK)));
    this.next[side] = (this.next[side] + 1) >>> 0;
    return f;
  }

  rst(side: Side): number {
    return this.capture.frame(buildTcpFrame(this.frameSpec(side, this.next[side], TCP_RST | TCP_ACK)));
  }
}

/** Login Request + Response pair keys for a normal session, as libiscsi and tgt exchange them. */
export function loginKeys(initiatorName: string, targetName: string, opts: { headerDigest?: boolean; dataDigest?: boolean; discovery?: boolean } = {}): {
  request: Array<[string, string]>;
  response: Array<[string, string]>;
} {
  const hd = opts.headerDigest ? 'CRC32C' : 'None';
  const dd = opts.dataDigest ? 'CRC32C' : 'None';
  const request: Array<[string, string]> = [['InitiatorName', initiatorName]];
  if (opts.discovery) request.push(['SessionType', 'Discovery']);
  else request.push(['TargetName', targetName], ['SessionType', 'Normal']);
  request.push(['HeaderDigest', opts.headerDigest ? 'CRC32C,None' : 'None'], ['DataDigest', opts.dataDigest ? 'CRC32C,None' : 'None'],
    ['MaxRecvDataSegmentLength', '262144']);
  const response: Array<[string, string]> = [['TargetPortalGroupTag', '1'], ['HeaderDigest', hd], ['DataDigest', dd],
    ['MaxRecvDataSegmentLength', '8192']];
  return { request, response };
}
