/**
 * The connection / session model: what the PDUs of a capture say about logins, sessions, tasks and
 * how each connection ended. Plain data only (typed arrays and small records), so it crosses a
 * worker boundary by structured clone. Nothing here is per PDU: routine I/O (Data-In/Out, R2T) only
 * bumps counters of its command.
 */

import type { Side } from '../iscsi/index.ts';

/**
 * How a request's wait ended when no answer came in time (docs/findings.md `then`): the first FIN or
 * RST on the connection, by whom, or the end of the capture.
 */
export type EndEvent = 'initiator-fin' | 'initiator-reset' | 'target-fin' | 'target-reset' | 'capture-end';

/** A moment in the capture: the frame that shows it and its time (seconds since the epoch). */
export interface Moment {
  frame: number;
  time: number;
}

/** A PDU of the connection: its row in the PDU table, frame and time. */
export interface PduMoment extends Moment {
  row: number;
}

/**
 * Where something on a connection's ladder is: a PDU (its row), a TCP control event (its index in
 * the connection's ConnectionSummary.control), or the end of the capture.
 */
export type Endpoint = { row: number } | { control: number } | { captureEnd: true };

/**
 * Whether the peer's TCP acknowledged a request's last byte (src/tcp's ACK watch): the ACK that first
 * covered it; null when the connection ended first (not even TCP took it). Said only for requests
 * iSCSI did not answer in time, and only where the connection's TCP was analysed.
 */
export type TcpAck = Moment | null;

/** How a request's wait ended. */
export type Fate = 'answered' | 'unanswered' | 'outstanding-at-capture-end' | 'unknown' | 'answered-late';

/**
 * A relation between PDUs that the model decided (request ↔ answer, or the moment the wait ended):
 * what the ladder draws. `from` is the PDU that opened it; `to` the answering PDU when it came in
 * time, else where the wait ended (the FIN/RST that gave up, the target's next ping, the capture's
 * end). `answer` is the answering PDU's row even when it came too late (-1: none came).
 */
export interface Relation {
  kind: RelationKind;
  conn: number;
  from: number;
  to: Endpoint;
  answer: number;
  fate: Fate;
  /** For a ping, TMF or login iSCSI did not answer in time: did the target's TCP acknowledge it? */
  tcpAck?: TcpAck;
}

/**
 * ping: NOP-Out ping → its NOP-In; target-ping: target NOP-In → the NOP-Out echoing its TTT;
 * tmf: TMF request → its response; tmf-task: the command a TMF names (or the oldest it covers) → the
 * TMF request; login: first Login Request → the Login Response that ended the login; logout: Logout
 * Request → Response; text: Text Request → Response (SendTargets).
 */
export type RelationKind = 'ping' | 'target-ping' | 'tmf' | 'tmf-task' | 'login' | 'logout' | 'text';

/** The login phase of one connection (RFC 7143 §6.3, §11.12-11.13). */
export interface LoginInfo {
  /** First Login Request (row -1 when only the response was captured). */
  request: PduMoment;
  /** The Login Response that ended the login: the final one (T=1, NSG=3) or the first that failed. */
  response: PduMoment | undefined;
  /** Status of that response (class 0 = success). */
  statusClass: number | undefined;
  statusDetail: number | undefined;
  /** The connection reached Full Feature Phase. */
  fullFeature: boolean;
  /** Index into SessionModel.relations. */
  relation: number;
}

export interface LogoutInfo {
  request: PduMoment;
  /** Logout Request reason (byte 1 & 0x7f): 0 close session, 1 close connection, 2 remove for recovery. */
  reason: number;
  response: PduMoment | undefined;
  /** Logout Response byte 2: 0 success. */
  responseCode: number | undefined;
  relation: number;
}

/** How a connection ended on the wire. */
export interface ConnectionEndInfo {
  /** The first FIN or RST of either side ('open': neither was captured). */
  kind: 'fin' | 'rst' | 'open';
  by: Side | undefined;
  /** Frame/time of that FIN or RST; for 'open', the capture's last frame and time. */
  frame: number;
  time: number;
  /** Its index in ConnectionSummary.control (-1 for 'open'). */
  control: number;
  /** The same as the `then` of an unanswered request waiting at this point. */
  event: EndEvent;
  /** A Logout Request and its Response were exchanged before it. */
  loggedOut: boolean;
  /** Requests still waiting for their answer at this point (commands, NOP-Out pings, TMFs, target pings). */
  outstanding: { commands: number; pings: number; tmfs: number; targetPings: number };
  /** Later FIN/RST events (e.g. the RST a closed socket sends when late data arrives). */
  later: Array<{ kind: 'FIN' | 'RST'; by: Side; frame: number; time: number; control: number }>;
}

export interface ConnectionModel {
  conn: number;
  /** "address:port" of each end ("[v6 address]:port" for IPv6). */
  initiator: string;
  portal: string;
  /** The initiator's address alone: what names the initiator when the login was not captured. */
  initiatorAddress: string;
  initiatorName: string | undefined;
  targetName: string | undefined;
  initiatorAlias: string | undefined;
  targetAlias: string | undefined;
  /** SessionType as the initiator declared it ("Normal" when the login said nothing). */
  sessionType: 'Discovery' | 'Normal' | undefined;
  /** ISID as Wireshark shows it: "80:de:c7:3e:00:00". */
  isid: string | undefined;
  /** TSIH the target gave in its final Login Response. */
  tsih: number | undefined;
  cid: number | undefined;
  login: LoginInfo | undefined;
  /** Operational keys in force: the target's answer, else the initiator's declaration. */
  negotiated: Record<string, string>;
  /** The connection is in Full Feature Phase: a successful login, or a capture that began after it. */
  loggedIn: boolean;
  logout: LogoutInfo | undefined;
  end: ConnectionEndInfo;
  /** Index into SessionModel.sessions. */
  session: number;
  firstFrame: number;
  lastFrame: number;
  firstTime: number;
  lastTime: number;
  pdus: number;
  /** SCSI commands sent on the connection. */
  commands: number;
  /** Text Request / Response exchanges (SendTargets in a discovery session). */
  textRequests: number;
  /** This connection's relations: SessionModel.relations[relations[0] .. relations[1]). */
  relations: [number, number];
}

export interface SessionInfo {
  index: number;
  initiatorName: string | undefined;
  isid: string | undefined;
  targetName: string | undefined;
  tsih: number | undefined;
  sessionType: 'Discovery' | 'Normal' | undefined;
  conns: number[];
  firstTime: number;
  lastTime: number;
}

/** What became of a SCSI command (TaskTable.fate). */
export const TaskFate = {
  /** Status arrived (SCSI Response or Data-In with S=1) before the connection ended. */
  Completed: 0,
  /** No status before the connection's first FIN/RST. */
  Unanswered: 1,
  /** Still waiting when the capture ended, connection open. */
  OutstandingAtCaptureEnd: 2,
  /** A Task Management function answered "function complete" covered it. */
  Aborted: 3,
  /** Its status may be in bytes the capture lost (a gap in the target's stream). */
  Unknown: 4,
  /** The ITT was used again by a new command while this one waited. */
  Replaced: 5,
  /** Status arrived, but only after the connection's first FIN/RST. */
  AnsweredLate: 6,
} as const;

/** The task table: one entry per SCSI Command PDU, in columns (RFC 7143 §11.3-11.8). */
export interface TaskTable {
  count: number;
  conn: Uint32Array;
  itt: Uint32Array;
  /** PDU row, frame and time of the SCSI Command. */
  row: Uint32Array;
  frame: Uint32Array;
  time: Float64Array;
  /** Index into Analysis.luns. */
  lun: Uint16Array;
  /** CDB byte 0 and byte 1 (service action for 0x9e/0x9f/0xa3 …). */
  scsiOpcode: Uint8Array;
  cdb1: Uint8Array;
  cmdSN: Uint32Array;
  expectedLength: Uint32Array;
  /** Bit 0 R, bit 1 W, bit 2 immediate. */
  flags: Uint8Array;
  /** PDU row / frame / time of the status (SCSI Response or Data-In with S=1); -1 / 0 / NaN if none. */
  statusRow: Int32Array;
  statusFrame: Uint32Array;
  statusTime: Float64Array;
  /** SCSI status byte, -1 when no status came. */
  status: Int16Array;
  /** iSCSI Response byte of a SCSI Response (0 completed at target, 1 target failure); -1 otherwise. */
  response: Int16Array;
  /** Status time − command time in ms (NaN when no status came). */
  latencyMs: Float64Array;
  r2ts: Uint32Array;
  dataIns: Uint32Array;
  dataOuts: Uint32Array;
  /** TaskFate. */
  fate: Uint8Array;
}

/** A Task Management Function request and what answered it (RFC 7143 §11.5-11.6). */
export interface TmfRecord {
  conn: number;
  itt: number;
  request: PduMoment;
  /** Byte 1 & 0x7f: 1 ABORT TASK … 8 TASK REASSIGN. */
  fn: number;
  lun: number;
  referencedTaskTag: number;
  refCmdSN: number;
  /** Index into the task table of the command it names (ABORT TASK, TASK REASSIGN) or, for a
   *  LUN- or target-wide function, of the oldest command it found outstanding there; -1 if none. */
  task: number;
  response: PduMoment | undefined;
  responseCode: number | undefined;
  fate: Fate;
  /** The next TMF the initiator sent on the connection while this one waited, on the same LUN or
   *  resetting the whole target: its escalation (-1: none). */
  next: number;
  /** Index into SessionModel.relations of request → response (and of task → request, when `task` ≥ 0). */
  relation: number;
  taskRelation: number;
  /** Not answered in time: did the target's TCP acknowledge the request? (undefined: not known) */
  tcpAck?: TcpAck;
}

/** An initiator NOP-Out ping (ITT ≠ 0xffffffff) and its NOP-In (RFC 7143 §11.18). */
export interface PingRecord {
  conn: number;
  itt: number;
  request: PduMoment;
  answer: PduMoment | undefined;
  fate: Fate;
  relation: number;
  /** Not answered in time: did the target's TCP acknowledge the ping? (undefined: not known) */
  tcpAck?: TcpAck;
}

/** A target NOP-In ping (TTT ≠ 0xffffffff) and the NOP-Out echoing its TTT (RFC 7143 §11.19). */
export interface TargetPingRecord {
  conn: number;
  ttt: number;
  lun: number;
  request: PduMoment;
  echo: PduMoment | undefined;
  /** The echo's ITT and LUN index (the echo must carry ITT 0xffffffff and the ping's LUN). */
  echoItt: number | undefined;
  echoLun: number | undefined;
  /** The next target ping on the connection, when it came before any echo. */
  supersededBy: PduMoment | undefined;
  fate: Fate;
  relation: number;
}

/** A NOP-Out carrying a TTT that no outstanding target ping offered. */
export interface StrayEcho {
  conn: number;
  at: PduMoment;
  ttt: number;
  itt: number;
  lun: number;
  /** The TTT of the target ping that was waiting for an echo then (0xffffffff if none). */
  expectedTtt: number;
  /** Index into targetPings of the ping whose TTT it echoed with a wrong ITT or LUN; -1 when no
   *  waiting ping offered the TTT. */
  ping: number;
}

/** Latency of completed commands for one LUN or one SCSI operation code. */
export interface LatencyStats {
  /** LUN index (byLun) or SCSI opcode (byOpcode). */
  key: number;
  /** "LUN 1" or "READ(10)". */
  name: string;
  /** Commands sent. */
  count: number;
  /** Of which got a status. */
  completed: number;
  minMs: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/** Each connection's PDU rows in frame order: connection c's are rows[start[c] .. start[c + 1]). */
export interface ConnRows {
  rows: Uint32Array;
  start: Uint32Array;
}

/** A connection attempt that did not simply connect (src/tcp's attempts, FramedCapture.tcp.attempts). */
export interface AttemptRecord {
  /** Row in FramedCapture.tcp.attempts. */
  attempt: number;
  /** Row in FramedCapture.tcp.connections; past its end when that connection carried no payload
   *  and is not listed (a port scan beyond the listing bound). */
  tcpConn: number;
  /** "address:port" of the side that sent the SYN, and of the portal it called ("[v6]:port"). */
  initiator: string;
  portal: string;
  /** RST to the SYN; no answer at all; or a SYN-ACK only after the SYN was retransmitted. */
  outcome: 'refused' | 'unanswered' | 'answered-late';
  /** SYNs sent for it (the first and its retransmissions). */
  syns: number;
  first: Moment;
  last: Moment;
  answer: Moment | undefined;
  /** The iSCSI connection it became (answered-late), else -1. */
  conn: number;
  /** The iSCSI connections of the same initiator host to the same portal just before and just after it (-1: none). */
  previousConn: number;
  nextConn: number;
}

/** TCP facts tied to the iSCSI connections. */
export interface TcpModel {
  /** Each iSCSI connection's TCP events (indices into FramedCapture.tcp.events), in frame order. */
  eventRows: ConnRows;
  /** In order of first SYN. */
  attempts: AttemptRecord[];
  /** Attempts of that kind not listed (a SYN flood). */
  attemptsNotListed: number;
  /** Every attempt of the capture by how it was answered, listed or not (those past the attempts
   *  table's bound too): connected is a SYN-ACK to the first SYN. */
  attemptTotals: { attempts: number; connected: number; refused: number; unanswered: number; answeredLate: number };
}

export interface SessionModel {
  connections: ConnectionModel[];
  sessions: SessionInfo[];
  tasks: TaskTable;
  tmfs: TmfRecord[];
  pings: PingRecord[];
  targetPings: TargetPingRecord[];
  strayEchoes: StrayEcho[];
  latency: { byLun: LatencyStats[]; byOpcode: LatencyStats[] };
  /** Every relation the model decided, connection by connection (ConnectionModel.relations). */
  relations: Relation[];
  rows: ConnRows;
  /** The task (index into `tasks`) each PDU row belongs to: its SCSI Command, R2Ts, Data-In/Out and
   *  status; -1 for PDUs of no SCSI task. */
  rowTask: Int32Array;
  /** PDUs by 6-bit opcode. */
  opcodeCounts: Uint32Array;
  /** Sense data of the SCSI Responses that carry CHECK CONDITION, by PDU row. */
  senses: Map<number, { senseKey: number; asc: number; ascq: number }>;
  /** For SCSI commands that got no status in time (index into `tasks`): did the target's TCP
   *  acknowledge the command? Commands whose TCP was not analysed are absent. */
  taskAcks: Map<number, TcpAck>;
  tcp: TcpModel;
}
