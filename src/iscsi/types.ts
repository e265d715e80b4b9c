// What reading and framing a capture yields, before any protocol relation is drawn: the capture's
// summary, each iSCSI connection as TCP and the framer saw it, and the PDU table with its side
// tables. The session model (src/sessions) and the checks are built from this.

import type { HeldLimit, TcpAttempts, TcpEvents } from '../tcp/index.ts';
import type { UnnegotiatedDigest } from './digests.ts';
import type { UnframedCause } from './framer.ts';
import type { PduColumns } from './pdu-table.ts';

export interface CaptureSummary {
  format: 'pcap' | 'pcapng' | undefined;
  /** The file was gzip-compressed: file offsets then count in the decompressed stream. */
  compression: 'gzip' | undefined;
  /** Bytes of the (decompressed) capture read. */
  bytes: number;
  packets: number;
  /** The earliest and the latest timestamp (not the first and last record's: clocks can step back). */
  firstTime: number | undefined;
  lastTime: number | undefined;
  /** Where timestamps first went backwards (frame, by how much) and how often they did. */
  timeBackwards: { frame: number; byMs: number; count: number } | undefined;
  linkTypes: Array<{ linkType: number; name: string; packets: number; supported: boolean }>;
  /** Packets whose captured length is below their length on the wire. */
  truncatedPackets: number;
  /** TCP segments whose payload the snaplen cut. */
  snaplenCutSegments: number;
  snaplen: number | undefined;
  /**
   * The most bytes captured of a packet whose TCP payload was cut: what the packets were really cut
   * to. Below `snaplen` where the file was cut after capture (editcap -s) or the header lies.
   */
  cutTo?: number;
  /** The finest timestamp resolution of the capture's interfaces, in seconds (1e-6 for pcap, 1e-9 for nanosecond files). */
  timeResolution: number;
  skipped: {
    notIp: number; notTcp: number; fragments: number; truncated: number; malformed: number; unsupportedLink: number;
    /** IPv4 Total Length or IPv6 Payload Length above the packet's length on the wire. */
    lengthExceedsPacket: number;
    /** More IPv6 extension headers than a real packet has. */
    extensionHeaderLimit: number;
  };
  tcpConnections: number;
  /** TCP connections not in FramedCapture.tcp.connections: those that never carried iSCSI and were
   *  forgotten once idle or ended, and those to an iSCSI port that carried no byte at all past the
   *  listing bound (a port scan: their attempts are still counted). */
  forgottenTcpConnections: number;
}

export type Side = 'initiator' | 'target';

export type ConnectionEnd =
  | { kind: 'open' }
  | { kind: 'fin' | 'rst'; by: Side; frame: number; time: number };

export interface GapRecord {
  dir: 'I>T' | 'T>I';
  /** Bytes the capture did not hold. */
  bytesMissing: number;
  /** Bytes skipped before PDU boundaries were found again (missing ones included). */
  bytesSkipped: number;
  /** Frame where framing resumed (0 if it never did). */
  resyncFrame: number;
  /** The last frame with bytes before the loss (or the first frame of a mid-stream start), and its time. */
  lossFrame: number;
  lossTime: number;
  /** Why: the capture began mid-stream, it lost bytes, or bytes that are there held no PDU boundary. */
  cause: UnframedCause;
}

/** A TCP control segment of an iSCSI connection (SYN, FIN or RST), in capture order. */
export interface ControlEvent {
  kind: 'SYN' | 'FIN' | 'RST';
  by: Side;
  frame: number;
  time: number;
}

export type StreamDir = 'I>T' | 'T>I';

/** What TCP did under one iSCSI connection (Wireshark's TCP analysis, src/tcp). */
export interface ConnectionTcp {
  /** Index into TcpCapture.connections (the `tcpConn` of `iscsi-inspect tcp`). */
  tcpConn: number;
  /** SYN → SYN-ACK → ACK (tcp.analysis.initial_rtt), ms; undefined without the handshake. */
  handshakeRttMs: number | undefined;
  retransmittedSegments: Record<StreamDir, number>;
  retransmittedBytes: Record<StreamDir, number>;
  /** How long each side advertised a zero window, in all (ms). */
  zeroWindowMs: Record<Side, number>;
  /** Retransmissions less than 5 s apart, per direction, in time order. */
  bursts: Array<{
    dir: StreamDir; firstFrame: number; firstTime: number; lastFrame: number; lastTime: number;
    segments: number; bytes: number;
    /** Original to the retransmission that got through (tcp.analysis.rto), ms; undefined where not measured. */
    longestWaitMs: number | undefined;
    backoffs: number;
  }>;
  /** Zero windows longer than 100 ms, by the side that advertised it (stopped reading). */
  zeroWindows: Array<{ by: Side; startFrame: number; startTime: number; endFrame: number; endTime: number; probes: number }>;
  /** Overlapping segments whose bytes differed from the copy already seen (first ones; `conflictCount` counts all). */
  conflicts: Array<{ dir: StreamDir; bytes: number; used: 'first' | 'last'; firstFrame: number; laterFrame: number }>;
  conflictCount: number;
  /** Where out-of-order data reached the reassembler's bound, so bytes were declared missing. */
  heldLimits: Array<{ dir: StreamDir; limit: HeldLimit; frame: number; time: number }>;
}

/**
 * The TCP connections to or from an iSCSI port (3260, --port, a portal a SendTargets answer named, or
 * recognised by their Login Request), in order of first packet, with their analysis events and
 * connection attempts. Columns, like the PDU table.
 */
export interface TcpCapture {
  connections: {
    count: number;
    /** The iSCSI connection it carried; -1 where none (an attempt that never connected). */
    conn: Int32Array;
    /** TcpConnection side of the initiator: the side that sent the SYN, else the non-iSCSI port's. */
    initiatorSide: Uint8Array;
    firstFrame: Uint32Array;
    firstTime: Float64Array;
  };
  /** Events in frame order; `tcpConn` indexes `connections`, `dir` is the TcpConnection side. */
  events: TcpEvents & {
    /** The iSCSI connection (-1: none). */
    conn: Int32Array;
    /** 1 where the segment came from the target (T>I). */
    fromTarget: Uint8Array;
  };
  /** Connection attempts, in order of first SYN; `tcpConn` indexes `connections`. */
  attempts: TcpAttempts;
  /**
   * Where the peer's TCP acknowledged the last byte of a PDU that expects an answer (NOP-Out ping,
   * SCSI Command, TMF request): PDU row → frame of that ACK, 0 where the connection ended first. A
   * row not listed was not watched (its connection's TCP was not analysed).
   */
  acks: { count: number; row: Uint32Array; frame: Uint32Array; time: Float64Array };
}

export interface ConnectionSummary {
  conn: number;
  initiator: { address: string; port: number };
  target: { address: string; port: number };
  firstFrame: number;
  lastFrame: number;
  firstTime: number;
  lastTime: number;
  /** The initiator's SYN is in the capture. */
  synSeen: boolean;
  /** A direction started without its SYN (capture began mid-connection). */
  midstream: boolean;
  pdus: number;
  truncatedPdus: number;
  unframedBytes: number;
  missingBytes: number;
  gaps: GapRecord[];
  headerDigest: 'None' | 'CRC32C' | 'unknown';
  /** Where a side's digests, proven from the bytes, differ from what its login agreed (istgt). */
  unnegotiatedDigests: UnnegotiatedDigest[];
  dataDigest: 'None' | 'CRC32C' | 'unknown';
  loginComplete: boolean;
  initiatorKeys: Record<string, string>;
  targetKeys: Record<string, string>;
  isid: string | undefined;
  /** TSIH of the final Login Response (the session's handle). */
  tsih: number | undefined;
  /** TSIH of the first Login Request: 0 for a new session (or a reinstatement), else the session joined. */
  loginRequestTsih: number | undefined;
  cid: number | undefined;
  loginStatus: number | undefined;
  control: ControlEvent[];
  end: ConnectionEnd;
  /** Undefined where the connection's TCP was not analysed. */
  tcp: ConnectionTcp | undefined;
  /** A live reader (watch) told everything about this ended connection and let its PDUs go: what
   *  is said of it now comes from this summary alone. */
  retired?: true;
}

/** Variable data kept for the few PDUs that carry it (login/text keys, sense, rejected header). */
export interface PduDetail {
  opcode: number;
  data: Uint8Array;
  dataComplete: boolean;
  /** BHS + AHS, for the rare PDU types whose fields go past what the columns hold. */
  header: Uint8Array | undefined;
}

/** A capture read and framed: everything the session model and the checks are built from. */
export interface FramedCapture {
  capture: CaptureSummary;
  connections: ConnectionSummary[];
  pdus: PduColumns;
  /** Rows whose header (BHS + AHS) ended in a later frame than it began: that frame, and the header's
   *  bytes, which are not contiguous in the file as other headers are at `fileOffset`. */
  headerFrames: Map<number, { frame: number; header: Uint8Array }>;
  details: Map<number, PduDetail>;
  /** LUN table: 8 LUN bytes as 16 hex digits, by index. */
  luns: string[];
  tcp: TcpCapture;
  /** Why reading stopped early, if it did; everything before it is in the results. */
  error: { kind: string; message: string } | undefined;
}
