// What the engine hands the logs layer about the capture: plain events, each at a moment of the
// capture clock, and (optionally) the connections with their lifetimes. The logs layer knows
// nothing of the engine's model beyond these.

interface WireEventBase {
  /** Capture clock, seconds since the epoch (the moment the decisive packet was captured). */
  time: number;
  /** The engine's iSCSI connection index. */
  conn?: number;
  /** The engine's session index (connections of one session share it across relogins). */
  session?: number;
  /** Target portal "address:port" ("[v6]:port"), target and initiator names, ISID ("80:13:a2:0b:00:00"). */
  portal?: string;
  target?: string;
  initiator?: string;
  isid?: string;
}

/** The initiator's NOP-Out went unanswered and it gave up: `time` is its FIN or RST (the moment
 *  a Linux initiator logs "ping timeout … expired"), `pingTime` the NOP-Out's. */
export interface PingTimeoutEvent extends WireEventBase {
  kind: 'ping-timeout';
  pingTime: number;
}

/** The target's NOP-In ping went unanswered and the target closed: `time` is its FIN or RST. */
export interface TargetPingTimeoutEvent extends WireEventBase {
  kind: 'target-ping-timeout';
  pingTime: number;
}

/** A logged-in connection ended: `time` is the first FIN or RST, `by` the side that sent it. */
export interface ConnCloseEvent extends WireEventBase {
  kind: 'conn-close';
  by: 'initiator' | 'target';
  how: 'fin' | 'rst';
  /** A Logout exchange came before (an orderly end). */
  afterLogout?: boolean;
  /** The kernel iscsi_err number the close means on a Linux initiator where the engine knows it
   *  (1020 target closed, 1022 after an unanswered ping, 1021 after task management). */
  code?: number;
}

/** A login reached full feature phase: `time` is the final Login Response (status 0, T=1, NSG=3). */
export interface LoginOkEvent extends WireEventBase {
  kind: 'login-ok';
  discovery?: boolean;
}

/** A Login Response with status class ≠ 0. */
export interface LoginFailedEvent extends WireEventBase {
  kind: 'login-failed';
  statusClass: number;
  statusDetail: number;
}

/** A Logout exchange: `time` is the Logout Response. */
export interface LogoutEvent extends WireEventBase {
  kind: 'logout';
}

/** A Task Management Function Request (`time`), and its response where one came. */
export interface TmfEvent extends WireEventBase {
  kind: 'tmf';
  /** RFC 7143 function: 1 ABORT TASK, 2 ABORT TASK SET, 5 LOGICAL UNIT RESET, 6 TARGET WARM RESET … */
  function: number;
  referencedTaskTag?: number;
  responseTime?: number;
  response?: number;
}

/** A connection attempt to a portal that failed: refused (RST) or unanswered; `time` is when the
 *  attempt ended (the RST, or the last unanswered SYN). */
export interface ConnectFailedEvent extends WireEventBase {
  kind: 'connect-failed';
  refused: boolean;
}

export type WireEvent =
  | PingTimeoutEvent | TargetPingTimeoutEvent | ConnCloseEvent | LoginOkEvent | LoginFailedEvent | LogoutEvent
  | TmfEvent | ConnectFailedEvent;

export type WireEventKind = WireEvent['kind'];

/** An iSCSI connection of the capture, for tying log lines that name a session or a portal. */
export interface WireConn {
  conn: number;
  session?: number;
  /** Capture clock: first packet and last packet (undefined while still open at the capture's end). */
  start: number;
  end?: number;
  /** The initiator's CID. */
  cid?: number;
  portal?: string;
  target?: string;
  initiator?: string;
  isid?: string;
}
