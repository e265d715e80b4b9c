import { CaptureReader } from '../../src/capture/index.ts';
import type { PacketRecord } from '../../src/capture/index.ts';
import { bhsDataSegmentLength, u32 } from '../../src/codec/index.ts';
import { ConnectionFraming, DirectionFramer } from '../../src/iscsi/index.ts';
import type { DigestCheck, FramedPdu, UnframedCause } from '../../src/iscsi/index.ts';
import { decodeTcp, newTcpSegment, SkipReason, TCP_FIN, TCP_RST } from '../../src/net/index.ts';
import { TcpReassembler } from '../../src/tcp/index.ts';
import type { Dir, PacketContext, TcpConnection } from '../../src/tcp/index.ts';

/**
 * The framing layer on its own over a real capture: capture → TCP → one ConnectionFraming and two
 * DirectionFramers per connection, with nothing above. Connections are those with an iSCSI port on
 * one side (the initiator is the other side), numbered like tshark's tcp.stream when the capture holds
 * only iSCSI (in order of first packet).
 */

export interface FramedRecord {
  fromTarget: boolean;
  opcode: number;
  itt: number;
  dataSegmentLength: number;
  frame: number;
  firstFrame: number;
  headerFrame: number;
  streamPosition: number;
  streamEnd: number;
  headerDigest: DigestCheck;
  dataDigest: DigestCheck;
  truncated: boolean;
  resynced: boolean;
}

export interface UnframedRecord {
  fromTarget: boolean;
  bytes: number;
  resyncFrame: number;
  missing: number;
  cause: UnframedCause;
}

export interface FramedConnection {
  /** Order of first packet among all TCP connections of the capture (tshark's tcp.stream). */
  stream: number;
  framing: ConnectionFraming;
  pdus: FramedRecord[];
  unframed: UnframedRecord[];
}

export interface FrameOptions {
  ports?: number[];
  chunk?: number;
  /** Which framers a TCP RST ends: only the sender's (default: bytes the other side had in flight,
   *  captured after the RST, are still on the wire and get framed), or both, as the engine does now. */
  rst?: 'both' | 'sender';
}

export function frameCapture(bytes: Uint8Array, options: FrameOptions = {}): FramedConnection[] {
  const ports = new Set([3260, ...(options.ports ?? [])]);
  const conns: FramedConnection[] = [];
  interface State { c: FramedConnection; initiator: Dir; framers: [DirectionFramer | undefined, DirectionFramer | undefined] }
  const state = new Map<TcpConnection, State>();

  const of = (tcp: TcpConnection): State | undefined => {
    const known = state.get(tcp);
    if (known || tcp.ignored) return known;
    if (!ports.has(tcp.port[0]) && !ports.has(tcp.port[1])) {
      tcp.ignored = true;
      return undefined;
    }
    const c: FramedConnection = { stream: tcp.id, framing: new ConnectionFraming(), pdus: [], unframed: [] };
    conns.push(c);
    const s: State = { c, initiator: ports.has(tcp.port[1]) ? 0 : 1, framers: [undefined, undefined] };
    state.set(tcp, s);
    return s;
  };
  const framer = (tcp: TcpConnection, dir: Dir, atStart: boolean): DirectionFramer | undefined => {
    const s = of(tcp);
    if (!s) return undefined;
    let f = s.framers[dir];
    if (!f) {
      const fromTarget = dir !== s.initiator;
      if (atStart && !fromTarget) s.c.framing.startsWithLogin();
      const c = s.c;
      f = new DirectionFramer(fromTarget, c.framing, {
        pdu: (p: FramedPdu) => c.pdus.push(record(p)),
        unframed: (ft, n, resyncFrame, missing, _lossFrame, _lossTime, cause) => c.unframed.push({ fromTarget: ft, bytes: n, resyncFrame, missing, cause }),
      }, atStart);
      s.framers[dir] = f;
    }
    return f;
  };

  const reassembler = new TcpReassembler({
    data(tcp, dir, b, off, len, frame, time, fileOffset) {
      const d = tcp.dirs[dir];
      framer(tcp, dir, d.synSeen && d.position - len === 0)?.data(b, off, len, frame, time, fileOffset);
    },
    missing(tcp, dir, n, frame, time) {
      framer(tcp, dir, false)?.missing(n, frame, time);
    },
    control(tcp, dir, flag) {
      const s = state.get(tcp);
      if (flag === TCP_FIN) s?.framers[dir]?.end();
      if (flag === TCP_RST) {
        if (options.rst === 'both') for (const f of s?.framers ?? []) f?.end();
        else s?.framers[dir]?.end();
      }
    },
    closed(tcp) {
      for (const f of state.get(tcp)?.framers ?? []) f?.end();
    },
  });
  const seg = newTcpSegment();
  const ctx: PacketContext = { frame: 0, time: 0, fileOffset: 0, dataOffset: 0 };
  const reader = new CaptureReader({
    packet(p: PacketRecord) {
      if (decodeTcp(p.linkType, p.data, p.dataOffset, p.capLen, seg) !== SkipReason.None || seg.headerTruncated) return;
      ctx.frame = p.frame;
      ctx.time = p.hasTime ? p.tsSec + p.tsNsec * 1e-9 : 0;
      ctx.fileOffset = p.fileOffset;
      ctx.dataOffset = p.dataOffset;
      reassembler.segment(seg, p.data, ctx);
    },
  });
  const chunk = options.chunk ?? 1 << 20;
  for (let off = 0; off < bytes.length; off += chunk) reader.push(bytes.subarray(off, Math.min(bytes.length, off + chunk)));
  reader.end();
  reassembler.finish(ctx);
  // A PDU is handed on once its end is known, which may be after a later PDU of the other side:
  // list them in frame order, as the engine does.
  for (const c of conns) c.pdus.sort((a, b) => a.frame - b.frame);
  return conns.sort((a, b) => a.stream - b.stream);
}

function record(p: FramedPdu): FramedRecord {
  const h = p.header;
  return {
    fromTarget: p.fromTarget, opcode: h[0] & 0x3f, itt: u32(h, 16), dataSegmentLength: bhsDataSegmentLength(h, 0),
    frame: p.frame, firstFrame: p.firstFrame, headerFrame: p.headerFrame, streamPosition: p.streamPosition, streamEnd: p.streamEnd,
    headerDigest: p.headerDigest, dataDigest: p.dataDigest, truncated: p.truncated, resynced: p.resynced,
  };
}
