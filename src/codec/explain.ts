// Explains the host log lines users meet around iSCSI incidents in terms of what a capture shows:
// the Linux initiator (kernel libiscsi / iscsi_tcp / scsi_transport_iscsi, the SCSI midlayer and
// block layer, open-iscsi iscsid and iscsiadm) and the targets (Linux LIO, tgtd). Message texts are
// the printk / log formats of those sources (drivers/scsi/libiscsi.c, scsi_transport_iscsi.c,
// scsi_lib.c, drivers/target/iscsi/*.c, target_core_tmr.c, open-iscsi usr/initiator.c, io.c,
// login.c, session_mgmt.c, tgt usr/iscsi/*.c, usr/target.c). Error numbers and names: the kernel's
// include/scsi/iscsi_if.h enum iscsi_err (ISCSI_ERR_BASE 1000 + n) and enum iscsi_conn_state; the
// short texts after the names are open-iscsi's usr/kern_err_table.c. `lookFor` names finding kinds
// of docs/findings.md.

import { byteSwap32 } from './bytes.ts';
import { loginStatusName, rejectReasonName, tmfResponseName } from './names.ts';

export interface ErrorCodeInfo {
  code: number;
  /** Kernel enum name, e.g. "ISCSI_ERR_NOP_TIMEDOUT". */
  errorName: string;
  /** open-iscsi's text for it, as iscsid prints it after the name. */
  text: string;
  /** One plain sentence. */
  meaning: string;
  /** What it looks like in a capture. */
  onTheWire: string;
  /** Finding kinds (docs/findings.md) to look at. */
  lookFor: string[];
}

export interface PingTimeoutNumbers {
  timeoutSecs: number;
  recvTimeoutSecs: number;
  /** Jiffies values as logged. */
  lastRx: number;
  lastPing: number;
  now: number;
  /** now − last rx: how long nothing had been received. */
  rxAgeJiffies: number;
  /** now − last ping: how long the ping had been outstanding. */
  pingAgeJiffies: number;
  /** HZ implied by pingAge ≈ timeout × HZ (the kernel fires once that much has passed), when it
   *  lands near a usual value (100, 250, 300, 1000); else undefined. */
  estimatedHz?: number;
  /** HZ used for the seconds below: estimatedHz, or 1000 when it could not be estimated. */
  hz: number;
  rxAgeSecs: number;
  pingAgeSecs: number;
  /** The same ages in seconds under each usual assumption. */
  secondsAtHz: { hz1000: { rxAge: number; pingAge: number }; hz250: { rxAge: number; pingAge: number } };
}

/** Which message a line is. Initiator side first (kernel, iscsid / iscsiadm, SCSI and block layer),
 *  then the targets (LIO, tgtd); the names say what happened, `source` says who wrote it. */
export type ExplanationKind =
  | 'conn-error' | 'ping-timeout' | 'session-recovery-timeout' | 'operational-now' | 'operational-after-recovery'
  | 'conn-shutdown' | 'login-ok' | 'login-failed' | 'logout-ok' | 'logout-failed' | 'login-auth-failed'
  | 'login-rejected' | 'connect-failed' | 'target-dropping' | 'pdu-rejected'
  | 'device-offline' | 'device-offlined' | 'scsi-result' | 'io-error'
  | 'login-timeout' | 'login-negotiation-failed' | 'initiator-not-authorized' | 'target-not-found'
  | 'abort-task' | 'abort-task-done' | 'task-aborted' | 'lun-reset' | 'lun-reset-done' | 'dataout-timeout'
  | 'target-ping-timeout' | 'send-failed' | 'time2retain-expired' | 'no-such-lun' | 'unexpected-cmdsn'
  | 'digest-error' | 'backstore-io-error';

/** Who writes the line: the Linux kernel's iSCSI initiator, open-iscsi's iscsid or iscsiadm, the
 *  kernel's SCSI midlayer / block layer, the Linux LIO target (kernel), tgt's tgtd. */
export type LogSource = 'kernel' | 'iscsid' | 'iscsiadm' | 'scsi' | 'lio' | 'tgtd';

export interface Explanation {
  /** Which message this is. */
  kind: ExplanationKind;
  source: LogSource;
  /** The side of the iSCSI connection whose host writes the line. */
  side: 'initiator' | 'target';
  /** iscsi_err number (1001–1022) where the line carries or implies one. */
  code?: number;
  errorName?: string;
  meaning: string;
  onTheWire: string;
  lookFor: string[];
  /** "session id:connection id", e.g. "3:0", where present (the initiator's sid, not the TSIH). */
  connection?: string;
  sessionId?: number;
  cid?: number;
  /** iscsid's connection state number and its enum iscsi_conn_state name, where present. */
  state?: number;
  stateName?: string;
  ping?: PingTimeoutNumbers;
  /** Seconds a timer waited: session recovery (replacement_timeout), iscsid's NOP-Out timeout. */
  recoverySecs?: number;
  timeoutSecs?: number;
  /** Login attempts before the connection became operational again. */
  attempts?: number;
  /** Target name (IQN / EUI / NAA) where the line names it. For connect-failed, the address (as before). */
  target?: string;
  initiator?: string;
  /** "address:port" of the target portal ("[v6]:port" for IPv6), where the line names one. */
  portal?: string;
  iface?: string;
  /** ISID as the codec writes it ("00:02:3d:00:00:04"), from an LIO I_T nexus. */
  isid?: string;
  tpgt?: number;
  loginStatusClass?: number;
  loginStatusDetail?: number;
  loginStatusText?: string;
  /** A task tag as logged (LIO prints it in decimal, tgtd in hex, both in host byte order). */
  taskTag?: number;
  /** The Initiator Task Tags the logged tag can be on the wire: as printed and byte-swapped (the
   *  target reads the big-endian ITT bytes as a host integer). */
  taskTagOnWire?: number[];
  tmfResponse?: number;
  tmfResponseText?: string;
  /** Task Management function logged (5 LOGICAL UNIT RESET, 1 ABORT TASK …). */
  tmfFunction?: number;
  opcode?: number;
  itt?: number;
  rejectReason?: number;
  rejectReasonText?: string;
  /** SCSI address "host:channel:id:lun" and disk name ("sdb") where the SCSI layer names them. */
  scsiDevice?: string;
  disk?: string;
  hostByte?: string;
  driverByte?: string;
  sector?: number;
  operation?: string;
  /** A negative errno as logged (-32) and its name (EPIPE). */
  errno?: number;
  errnoName?: string;
  lun?: number;
  cmdSN?: number;
  expCmdSN?: number;
}

const RELOGIN = 'then the initiator closes the TCP connection (FIN or RST) and logs in again with the same ISID';
const AFTER = ['closed-without-logout', 'connection-reset', 'session-reinstatement'];

const ERRORS: readonly ErrorCodeInfo[] = [
  {
    code: 1000, errorName: 'ISCSI_ERR_BASE', text: 'base of the kernel iSCSI error numbers',
    meaning: '1000 is the base the kernel adds its iSCSI error numbers to; it is not an error of its own.',
    onTheWire: 'nothing: no message carries it', lookFor: [],
  },
  {
    code: 1001, errorName: 'ISCSI_ERR_DATASN', text: 'Received invalid data sequence number from target',
    meaning: 'A Data-In (or R2T) arrived whose DataSN was not the next one the initiator expected for that command.',
    onTheWire: `a SCSI Data-In whose DataSN skips or repeats a number within one ITT; ${RELOGIN}`,
    lookFor: ['capture-gap', ...AFTER],
  },
  {
    code: 1002, errorName: 'ISCSI_ERR_DATA_OFFSET', text: 'Seeking offset beyond the size of the iSCSI segment',
    meaning: "A Data-In's BufferOffset and length did not fit the command's buffer.",
    onTheWire: `a SCSI Data-In whose BufferOffset + DataSegmentLength runs past the command's Expected Data Transfer Length; ${RELOGIN}`,
    lookFor: ['capture-gap', ...AFTER],
  },
  {
    code: 1003, errorName: 'ISCSI_ERR_MAX_CMDSN', text: 'Received invalid command sequence number from target',
    meaning: 'The target advertised a MaxCmdSN the initiator cannot accept (below ExpCmdSN − 1).',
    onTheWire: `a target PDU whose MaxCmdSN is more than one below its ExpCmdSN; ${RELOGIN}`,
    lookFor: ['command-window-closed', 'cmdsn-out-of-window', ...AFTER],
  },
  {
    code: 1004, errorName: 'ISCSI_ERR_EXP_CMDSN', text: 'Received invalid expected command sequence number from target',
    meaning: 'The target advertised an ExpCmdSN outside the range of CmdSNs the initiator had sent.',
    onTheWire: `a target PDU whose ExpCmdSN is ahead of the last CmdSN sent or behind an earlier ExpCmdSN; ${RELOGIN}`,
    lookFor: ['cmdsn-out-of-window', 'command-window-closed', ...AFTER],
  },
  {
    code: 1005, errorName: 'ISCSI_ERR_BAD_OPCODE', text: 'Received an invalid iSCSI opcode',
    meaning: 'The initiator received a PDU whose opcode it does not accept at that point.',
    onTheWire: `a target PDU with an unexpected opcode (vendor-specific, or not valid in full feature phase), or data read as a header after a framing error; ${RELOGIN}`,
    lookFor: ['reject', 'capture-gap', ...AFTER],
  },
  {
    code: 1006, errorName: 'ISCSI_ERR_DATALEN', text: 'Invalid data length value',
    meaning: "A received PDU's DataSegmentLength was larger than the initiator accepts (its MaxRecvDataSegmentLength) or inconsistent with the PDU.",
    onTheWire: `a target PDU whose DataSegmentLength exceeds the MaxRecvDataSegmentLength the initiator declared at login; ${RELOGIN}`,
    lookFor: ['capture-gap', ...AFTER],
  },
  {
    code: 1007, errorName: 'ISCSI_ERR_AHSLEN', text: 'Received an invalid AHS length',
    meaning: 'A received PDU carried an Additional Header Segment length the initiator cannot accept.',
    onTheWire: `a target PDU with TotalAHSLength not 0 (targets send no AHS); ${RELOGIN}`,
    lookFor: ['capture-gap', ...AFTER],
  },
  {
    code: 1008, errorName: 'ISCSI_ERR_PROTO', text: 'iSCSI protocol violation',
    meaning: 'The target broke an iSCSI protocol rule the initiator checks.',
    onTheWire: `a target PDU that contradicts the protocol state (e.g. an R2T for a read, a Reject the initiator cannot recover from, a bad TTT); ${RELOGIN}`,
    lookFor: ['reject', 'ttt-echo-mismatch', 'statsn-gap', 'async-message', ...AFTER],
  },
  {
    code: 1009, errorName: 'ISCSI_ERR_LUN', text: 'LUN mismatch',
    meaning: 'A PDU named a LUN other than the one of the task it belongs to.',
    onTheWire: `a target PDU whose LUN differs from its command's; ${RELOGIN}`,
    lookFor: [...AFTER],
  },
  {
    code: 1010, errorName: 'ISCSI_ERR_BAD_ITT', text: 'Received invalid initiator task tag from target',
    meaning: 'The target sent a PDU with an Initiator Task Tag that matches no task the initiator has outstanding.',
    onTheWire: `a SCSI Response, Data-In, R2T or NOP-In whose ITT matches no outstanding command — often the answer to a command already aborted; ${RELOGIN}`,
    lookFor: ['tmf', 'command-unanswered', 'statsn-gap', ...AFTER],
  },
  {
    code: 1011, errorName: 'ISCSI_ERR_CONN_FAILED', text: 'iSCSI connection failed',
    meaning: 'The connection failed (a socket error, or the initiator failed it on purpose).',
    onTheWire: `the TCP connection ends, by RST or FIN, often after a silence; ${RELOGIN}`,
    lookFor: ['connection-reset', 'closed-without-logout', 'capture-gap', 'session-reinstatement'],
  },
  {
    code: 1012, errorName: 'ISCSI_ERR_R2TSN', text: 'Received invalid R2T (Ready to Transfer) data sequence number from target',
    meaning: 'An R2T arrived whose R2TSN was not the next one the initiator expected for that command.',
    onTheWire: `an R2T whose R2TSN skips or repeats a number within one ITT; ${RELOGIN}`,
    lookFor: ['capture-gap', ...AFTER],
  },
  {
    code: 1013, errorName: 'ISCSI_ERR_SESSION_FAILED', text: 'iSCSI session failed',
    meaning: 'The whole session failed, not only one connection.',
    onTheWire: 'every connection of the session ends; new logins follow, or fail',
    lookFor: ['login-failure', 'session-reinstatement', 'connection-reset', 'closed-without-logout'],
  },
  {
    code: 1014, errorName: 'ISCSI_ERR_HDR_DGST', text: 'Header digest mismatch',
    meaning: "The CRC32C of a received header did not match its HeaderDigest.",
    onTheWire: `a PDU whose header digest does not verify (HeaderDigest=CRC32C negotiated); ${RELOGIN}`,
    lookFor: ['digest-error', ...AFTER],
  },
  {
    code: 1015, errorName: 'ISCSI_ERR_DATA_DGST', text: 'Data digest mismatch',
    meaning: "The CRC32C of a received data segment did not match its DataDigest.",
    onTheWire: `a PDU whose data digest does not verify (DataDigest=CRC32C negotiated); ${RELOGIN}`,
    lookFor: ['digest-error', ...AFTER],
  },
  {
    code: 1016, errorName: 'ISCSI_ERR_PARAM_NOT_FOUND', text: 'Parameter not found',
    meaning: 'iscsid set or read a connection parameter the kernel module does not know: a local version or configuration mismatch.',
    onTheWire: 'nothing of its own; the login may not complete',
    lookFor: ['login-failure'],
  },
  {
    code: 1017, errorName: 'ISCSI_ERR_NO_SCSI_CMD', text: 'Could not look up SCSI command',
    meaning: 'A response or data PDU arrived for a task whose SCSI command the initiator no longer has.',
    onTheWire: `a SCSI Response or Data-In for an ITT that was aborted or completed before; ${RELOGIN}`,
    lookFor: ['tmf', 'command-unanswered', ...AFTER],
  },
  {
    code: 1018, errorName: 'ISCSI_ERR_INVALID_HOST', text: 'iSCSI host is in an invalid state',
    meaning: 'The iSCSI host (adapter) went into an invalid state, e.g. it is being removed; iscsid shuts the connection down instead of recovering it.',
    onTheWire: 'the connection closes and no new login follows',
    lookFor: ['closed-without-logout', 'connection-reset'],
  },
  {
    code: 1019, errorName: 'ISCSI_ERR_XMIT_FAILED', text: 'Transmission of iSCSI packet failed',
    meaning: 'Sending a PDU on the socket failed.',
    onTheWire: `the initiator's side stops (TCP retransmissions, a RST or a vanished peer) and the connection ends; ${RELOGIN}`,
    lookFor: ['connection-reset', 'capture-gap', 'closed-without-logout', 'session-reinstatement'],
  },
  {
    code: 1020, errorName: 'ISCSI_ERR_TCP_CONN_CLOSE', text: 'TCP connection closed',
    meaning: 'The TCP connection was closed under the initiator: the target (or something in between) sent a FIN or RST.',
    onTheWire: 'a FIN or RST from the target side on a logged-in connection, with no Logout exchange; then a new TCP connection and a Login with the same ISID',
    lookFor: ['connection-reset', 'closed-without-logout'],
  },
  {
    code: 1021, errorName: 'ISCSI_ERR_SCSI_EH_SESSION_RST', text: 'Session was dropped as a result of SCSI error recovery',
    meaning: 'SCSI error handling gave up on task management (ABORT TASK, LOGICAL UNIT RESET or TARGET RESET timed out or failed) and reset the session by dropping the connection.',
    onTheWire: `commands outstanding past the SCSI timeout, then Task Management requests (ABORT TASK, LOGICAL UNIT RESET, TARGET WARM RESET) answered late or never; ${RELOGIN}`,
    lookFor: ['tmf-unanswered', 'slow-command', 'command-unanswered'],
  },
  {
    code: 1022, errorName: 'ISCSI_ERR_NOP_TIMEDOUT', text: 'A NOP has timed out',
    meaning: 'A NOP-Out ping from the initiator got no NOP-In answer in time.',
    onTheWire: `a NOP-Out ping with a valid ITT that got no NOP-In within noop_out_timeout (default 5 s); ${RELOGIN}`,
    lookFor: ['nop-ping-unanswered'],
  },
];
const BY_CODE: ReadonlyMap<number, ErrorCodeInfo> = new Map(ERRORS.map((e) => [e.code, e]));

/** The kernel iscsi_err entry for a number (1000–1022), or undefined. */
export function explainErrorCode(code: number): ErrorCodeInfo | undefined {
  const e = BY_CODE.get(code);
  return e === undefined ? undefined : { ...e, lookFor: [...e.lookFor] };
}

const CONN_STATES: readonly (readonly [string, string])[] = [
  ['FREE', 'the connection slot is not in use'],
  ['XPT_WAIT', 'waiting for the TCP connection to be made'],
  ['IN_LOGIN', 'login in progress'],
  ['LOGGED_IN', 'logged in, in full feature phase'],
  ['IN_LOGOUT', 'logout in progress'],
  ['LOGOUT_REQUESTED', 'the target asked for a logout (Asynchronous Message)'],
  ['CLEANUP_WAIT', 'waiting for cleanup after a failure'],
];

/** Name of an iscsid connection state (enum iscsi_conn_state without the ISCSI_CONN_STATE_ prefix),
 *  e.g. 3 → "LOGGED_IN"; undefined outside 0–6. */
export function connStateName(n: number): string | undefined {
  return CONN_STATES[n]?.[0];
}

/** What a connection state means, e.g. 3 → "logged in, in full feature phase". */
export function connStateMeaning(n: number): string | undefined {
  return CONN_STATES[n]?.[1];
}

function fromCode(kind: ExplanationKind, source: LogSource, code: number): Explanation {
  const e = BY_CODE.get(code);
  if (e === undefined) {
    return {
      kind, source, side: 'initiator', code, meaning: `Error ${code} is not one of the kernel's iSCSI error numbers (1001–1022).`,
      onTheWire: 'unknown', lookFor: [],
    };
  }
  return {
    kind, source, side: 'initiator', code, errorName: e.errorName, meaning: e.meaning, onTheWire: e.onTheWire,
    lookFor: [...e.lookFor],
  };
}

function withConn(x: Explanation, sid: string | undefined, cid: string | undefined): Explanation {
  if (sid !== undefined && cid !== undefined) {
    x.sessionId = Number(sid);
    x.cid = Number(cid);
    x.connection = `${sid}:${cid}`;
  }
  return x;
}

const HZ_CANDIDATES = [100, 250, 300, 1000];

function pingNumbers(timeout: number, recv: number, lastRx: number, lastPing: number, now: number): PingTimeoutNumbers {
  const age = (a: number): number => (now >= a ? now - a : now + 2 ** 32 - a); // 32-bit jiffies wrap
  const rxAge = age(lastRx);
  const pingAge = age(lastPing);
  let estimatedHz: number | undefined;
  if (timeout > 0) {
    const perSec = pingAge / timeout;
    for (const hz of HZ_CANDIDATES) if (perSec >= hz && perSec <= hz * 1.15) estimatedHz = hz;
  }
  const hz = estimatedHz ?? 1000;
  const secs = (j: number, z: number): number => Math.round((j / z) * 1000) / 1000;
  const n: PingTimeoutNumbers = {
    timeoutSecs: timeout, recvTimeoutSecs: recv, lastRx, lastPing, now,
    rxAgeJiffies: rxAge, pingAgeJiffies: pingAge, hz,
    rxAgeSecs: secs(rxAge, hz), pingAgeSecs: secs(pingAge, hz),
    secondsAtHz: {
      hz1000: { rxAge: secs(rxAge, 1000), pingAge: secs(pingAge, 1000) },
      hz250: { rxAge: secs(rxAge, 250), pingAge: secs(pingAge, 250) },
    },
  };
  if (estimatedHz !== undefined) n.estimatedHz = estimatedHz;
  return n;
}

const RE_KERNEL_REPORTED = /Kernel reported iSCSI connection (\d+):(\d+) error \((\d+)(?:\s*-\s*(.*))?\) state \((\d+)\)/;
const RE_PING = /(?:connection(\d+):(\d+):\s*)?ping timeout of (\d+) secs expired, recv timeout (\d+), last rx (\d+), last ping (\d+), now (\d+)/;
const RE_CONN_ERROR = /(?:connection(\d+):(\d+):\s*)?(?:detected )?conn error \((\d+)\)/;
const RE_RECOVERED = /connection(\d+):(\d+) is operational after recovery \((\d+) attempts?\)/;
const RE_RECOVERY_TIMEOUT = /session(\d+): session recovery timed out after (\d+) secs/;
const RE_AUTH_FAILED = /Login authentication failed with target\s*([^\s,]*)/;
const RE_LOGIN_REJECTED = /login rejected: ([^(]*)\(([0-9a-fA-F]{2})\/([0-9a-fA-F]{2})\)/;
const RE_CONNECT_FAILED = /connect to (\S+) failed \(([^)]*)\)/;

// iscsid's "Connection%d:%d to [target: %s, portal: %s,%d] through [iface: %s] is operational now"
// and "… is shutdown." (usr/initiator.c).
const RE_CONN_TO = /Connection(\d+):(\d+) to \[target: ([^,\]]*), portal: ([^\]]*),(\d+)\] through \[iface: ([^\]]*)\] is (operational now|shutdown)/;
const RE_NOP_TIMEDOUT = /Nop-out timedout after (\d+) seconds on connection (\d+):(\d+) state \((\d+)\)/;
// usr/initiator.c: "session %d login rejected: Initiator failed authentication with target",
// conn_error(…, "login rejected: initiator failed authorization with target"), "login rejected:
// redirection type 0x%x not supported", "login response with unknown status class 0x%x, detail 0x%x".
const RE_SESSION_AUTH = /session (\d+) login rejected: Initiator failed authentication with target/;
const RE_AUTHORIZATION = /login rejected: initiator failed authorization with target/;
const RE_REDIRECT = /login rejected: redirection type 0x([0-9a-fA-F]+) not supported/;
const RE_UNKNOWN_CLASS = /login response with unknown status class 0x([0-9a-fA-F]+), detail 0x([0-9a-fA-F]+)/;
// conn_error's prefix "connection%d:%d " on the messages above.
const RE_CONN_PREFIX = /connection(\d+):(\d+)[: ]/;
// usr/initiator.c "cannot make a connection to %s:%s (%d,%d)", usr/io.c "cannot make connection to
// %s:%s (%s)", "connect to %s timed out".
const RE_CANNOT_CONNECT = /cannot make (?:a )?connection to (\S+?):? \(([^)]*)\)/;
const RE_CONNECT_TIMED_OUT = /connect to (\S+) timed out/;
// usr/session_mgmt.c (iscsiadm).
const RE_ADM_LOGIN = /(Could not login|Login) to \[iface: ([^,\]]*), target: ([^,\]]*), portal: ([^\]]*),(\d+)\](?:\s*successful)?/;
const RE_ADM_LOGOUT = /(Could not logout|Logout) of \[sid: (\d+), target: ([^,\]]*), portal: ([^\]]*),(\d+)\](?:\s*successful)?/;
// usr/initiator.c async events 2 and 3.
const RE_DROPPING = /Target dropping (all connections|\d+), reconnect min (\d+) max (\d+)/;
// libiscsi.c iscsi_handle_reject.
const RE_PDU_REJECTED = /pdu \(op 0x([0-9a-fA-F]+) itt 0x([0-9a-fA-F]+)\) rejected(?:\. Reason code 0x([0-9a-fA-F]+)| due to DataDigest error)/;
// SCSI midlayer (scsi_lib.c, scsi_error.c, scsi_logging.c) and block layer (blk-core.c).
const RE_SCSI_DEV = /(?:sd|scsi|sr|st|sg) (\d+:\d+:\d+:\d+):?\s*(?:\[(\w+)\])?/;
const RE_OFFLINE_DEVICE = /rejecting I\/O to offline device/;
const RE_OFFLINED = /Device offlined - not ready after error recovery/;
const RE_RESULT = /Result: hostbyte=(\w+) driverbyte=(\w+)/;
const RE_IO_ERROR = /I\/O error, dev (\w+), sector (\d+)(?: op 0x[0-9a-fA-F]+:\((\w+)\))?/;
// LIO (drivers/target/iscsi, target_core_tmr.c, target_core_device.c).
const RE_LIO_LOGIN_TIMEOUT = /iSCSI Login timeout on Network Portal (\S+)/;
const RE_LIO_NEGOTIATION = /iSCSI Login negotiation failed/;
const RE_LIO_NOT_AUTHORIZED = /iSCSI Initiator Node: (\S+) is not authorized to access iSCSI target portal group: (\d+)/;
const RE_LIO_NO_TARGET = /Unable to locate Target IQN: (\S+) in Storage Node/;
const RE_LIO_ABORT = /ABORT_TASK: Found referenced (\S+) task_tag: ?(0x[0-9a-fA-F]+|\d+)/;
const RE_LIO_ABORT_DONE = /ABORT_TASK: Sending (TMR_FUNCTION_COMPLETE|TMR_TASK_DOES_NOT_EXIST) for ref_tag: ?(0x[0-9a-fA-F]+|-?\d+)/;
const RE_LIO_LUN_RESET = /LUN_RESET: (TMR|Preempt) (starting for|for) \[([^\]]*)\](?:, tas: (\d+)| Complete)/;
const RE_LIO_DATAOUT = /Unable to recover from DataOut timeout while in ERL=(\d+), closing iSCSI connection for I_T Nexus (\S+)/;
const RE_LIO_NOPIN = /Did not receive response to NOPIN on CID: (\d+)(?:, failing connection for I_T Nexus (\S+)| on SID: (\d+))/;
const RE_LIO_SEND = /(?:Unexpected ret: (-?\d+) send data (\d+)|tx_data returned (-?\d+), expecting (\d+))/;
const RE_LIO_T2R = /Time2Retain timer expired for SID: (\d+), cleaning up iSCSI session/;
const RE_LIO_NO_LUN = /Detected NON_EXISTENT_LUN Access for 0x([0-9a-fA-F]+)(?: from (\S+))?/;
// An LIO I_T nexus: "%s,i,0x%6phN,%s,t,0x%02x" (initiator name, ISID, target name, TPGT).
const RE_NEXUS = /^([^\s,]+),i,0x([0-9a-fA-F]{12}),([^\s,]+),t,0x([0-9a-fA-F]+)$/;
// tgtd (usr/iscsi/iscsi_tcp.c, usr/target.c, usr/bs_rdwr.c, usr/iscsi/iscsid.c): eprintf writes
// "function(line) message".
const RE_TGT_NOP = /tcp connection timed out after (\d+) failed NOP-OUT/;
const RE_TGT_ABORT_SET = /abort_task_set\(\d+\) found ([0-9a-fA-F]+) (\d+)/;
const RE_TGT_ABORT_CMD = /abort_cmd\(\d+\) found ([0-9a-fA-F]+) ([0-9a-fA-F]+)/;
const RE_TGT_IO_ERROR = /io error (?:0x)?[0-9a-fA-F]+ ([0-9a-fA-F]+) (-?\d+) (\d+) (\d+), (.*)$/;
const RE_TGT_CMDSN = /unexpected cmd_sn \((\d+),(\d+)\)/;
const RE_TGT_DIGEST = /rx hdr digest error 0x([0-9a-fA-F]+) calc 0x([0-9a-fA-F]+)/;

/** Words every rule's message contains one of: the explainer runs over every line of a log, most
 *  of which are none of these messages, so a line is tried against the rules only when it holds
 *  one. (Tested: every message of the rules passes.) */
const HINT_WORDS = [
  'Kernel reported', 'ping timeout', 'Nop-out timedout', 'conn error', 'operational', 'is shutdown', 'session recovery',
  'authentication', 'login rejected', 'unknown status class', 'connect to ', 'cannot make', 'Login to [', 'Could not log',
  'Logout of [', 'Target dropping', 'pdu (op', 'offline device', 'Device offlined', 'hostbyte=', 'I/O error, dev',
  'Login timeout', 'Login negotiation failed', 'is not authorized', 'Unable to locate Target IQN', 'ABORT_TASK', 'LUN_RESET',
  'DataOut timeout', 'response to NOPIN', 'Unexpected ret', 'tx_data returned', 'Time2Retain', 'NON_EXISTENT_LUN',
  'failed NOP-OUT', 'abort_task_set(', 'abort_cmd(', 'io error', 'unexpected cmd_sn', 'digest error',
];
const escapeRe = (w: string): string => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// The lookahead on the words' first letters lets the regex engine skip most positions cheaply
// (about a third faster than the bare alternation on typical syslog lines).
const HINT = new RegExp(`(?=[${[...new Set(HINT_WORDS.map((w) => escapeRe(w[0])))].join('')}])(?:${HINT_WORDS.map(escapeRe).join('|')})`);

// Negative errno values the LIO transmit path logs (include/uapi/asm-generic/errno*.h).
const ERRNO: ReadonlyMap<number, string> = new Map([
  [1, 'EPERM'], [4, 'EINTR'], [5, 'EIO'], [11, 'EAGAIN'], [12, 'ENOMEM'], [22, 'EINVAL'], [32, 'EPIPE'],
  [103, 'ECONNABORTED'], [104, 'ECONNRESET'], [107, 'ENOTCONN'], [110, 'ETIMEDOUT'], [111, 'ECONNREFUSED'],
  [113, 'EHOSTUNREACH'],
]);

// SCSI host bytes (include/scsi/scsi_status.h enum scsi_host_status) as an iSCSI initiator sets them.
const HOST_BYTES: ReadonlyMap<string, { meaning: string; onTheWire: string; lookFor: string[] }> = new Map([
  ['DID_TRANSPORT_FAILFAST', {
    meaning: 'The iSCSI session stayed down longer than replacement_timeout (or fast_io_fail_tmo), so the transport class fails I/O at once instead of queueing it.',
    onTheWire: 'the session\'s connection ended (FIN / RST, a ping timeout) and no Login for its ISID reached full feature phase within replacement_timeout; the command itself never went out',
    lookFor: ['session-reinstatement', 'login-failure', 'connection-reset', 'closed-without-logout', 'nop-ping-unanswered'],
  }],
  ['DID_TRANSPORT_DISRUPTED', {
    meaning: 'The command was outstanding when the iSCSI connection failed; libiscsi hands it back for retry (after recovery, or to multipath).',
    onTheWire: 'a SCSI Command without its SCSI Response before the connection ended (FIN / RST), then a relogin',
    lookFor: ['command-unanswered', 'closed-without-logout', 'connection-reset', 'nop-ping-unanswered', 'tmf-unanswered'],
  }],
  ['DID_TIME_OUT', {
    meaning: 'The SCSI command timer expired (the sd timeout, 30 s by default) before the target answered; error handling (ABORT TASK, resets) follows.',
    onTheWire: 'a SCSI Command outstanding for the device timeout with no SCSI Response / Data-In, then a Task Management Function Request (ABORT TASK) naming its ITT',
    lookFor: ['slow-command', 'command-unanswered', 'tmf', 'tmf-unanswered'],
  }],
  ['DID_IMM_RETRY', {
    meaning: 'The session is in recovery; the command is retried at once and waits for the relogin.',
    onTheWire: 'no connection in full feature phase at that moment: a relogin is in progress or being retried',
    lookFor: ['session-reinstatement', 'login-failure', 'closed-without-logout'],
  }],
  ['DID_NO_CONNECT', {
    meaning: 'There is no session to send the command on (logged out, or being removed).',
    onTheWire: 'the session ended with a Logout or the connection closed and no relogin follows',
    lookFor: ['logout', 'closed-without-logout', 'connection-reset'],
  }],
  ['DID_ABORT', {
    meaning: 'The command was aborted (by SCSI error handling, an ABORT TASK or a reset).',
    onTheWire: 'a Task Management Function Request (ABORT TASK, LOGICAL UNIT RESET) naming or covering the command',
    lookFor: ['tmf', 'tmf-unanswered', 'slow-command'],
  }],
  ['DID_RESET', {
    meaning: 'The command was ended by a reset (LOGICAL UNIT RESET, TARGET RESET, or a session reset).',
    onTheWire: 'a Task Management Function Request with a reset function, or the connection dropped and relogged in',
    lookFor: ['tmf', 'tmf-unanswered', 'session-reinstatement'],
  }],
  ['DID_ERROR', {
    meaning: 'The initiator driver hit an internal error on the command (e.g. a malformed or unexpected response).',
    onTheWire: 'a SCSI Response or Data-In that breaks the protocol for that command (residuals, lengths, a Reject)',
    lookFor: ['reject', 'data-segment-over-limit', 'statsn-gap'],
  }],
  ['DID_BAD_TARGET', {
    meaning: 'The target or LUN is not there for the initiator.',
    onTheWire: 'no session to that target, or commands to a LUN the target does not report',
    lookFor: ['login-failure'],
  }],
]);

function ex(kind: ExplanationKind, source: LogSource, meaning: string, onTheWire: string, lookFor: string[]): Explanation {
  const side = source === 'lio' || source === 'tgtd' ? 'target' : 'initiator';
  return { kind, source, side, meaning, onTheWire, lookFor };
}

/** "addr:port", bracketing an IPv6 address. */
function portalOf(addr: string, port: string | number): string {
  const a = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

/** "10.0.0.5:3260", "[fe80::1]:3260" or getnameinfo's "fe80::1:3260": the last colon starts the port. */
function splitPortal(s: string): string {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(s) ?? /^(.*):(\d+)$/.exec(s);
  return m ? portalOf(m[1], m[2]) : s;
}

function isidOf(hex12: string): string {
  return hex12.toLowerCase().replace(/(..)(?!$)/g, '$1:');
}

function withNexus(x: Explanation, nexus: string | undefined): Explanation {
  const m = nexus === undefined ? null : RE_NEXUS.exec(nexus);
  if (m) {
    if (m[1] !== '(null)') x.initiator = m[1];
    x.isid = isidOf(m[2]);
    x.target = m[3];
    x.tpgt = parseInt(m[4], 16);
  }
  return x;
}

function withTag(x: Explanation, text: string, radix: 10 | 16): Explanation {
  const v = text.startsWith('0x') || text.startsWith('0X') ? parseInt(text.slice(2), 16) : parseInt(text, radix);
  if (Number.isSafeInteger(v) && v >= 0) {
    x.taskTag = v;
    if (v <= 0xffffffff) {
      const s = byteSwap32(v);
      x.taskTagOnWire = s === v ? [v] : [v, s];
    }
  }
  return x;
}

function withConnPrefix(x: Explanation, line: string): Explanation {
  const m = RE_CONN_PREFIX.exec(line);
  return m ? withConn(x, m[1], m[2]) : x;
}

function withScsiDevice(x: Explanation, line: string): Explanation {
  const m = RE_SCSI_DEV.exec(line);
  if (m) {
    x.scsiDevice = m[1];
    if (m[2] !== undefined) x.disk = m[2];
  }
  return x;
}

function withLogin(x: Explanation, cls: number, detail: number): Explanation {
  x.loginStatusClass = cls;
  x.loginStatusDetail = detail;
  x.loginStatusText = loginStatusName(cls, detail);
  return x;
}

const LOGIN_FAIL_WIRE = 'a Login Response with a non-zero Status-Class; then the TCP connection closes';
const RELOGIN_WIRE = 'after the failed connection closed, new TCP connections each carrying a Login with the same ISID (session reinstatement); the failed attempts end early (refused SYN, no Login Response, or a Login Response with an error status), the last one reaches full feature phase';

type Rule = (line: string) => Explanation | undefined;

// Most specific first: "Kernel reported … error (N …)" before the bare "conn error (N)".
const RULES: readonly Rule[] = [
  (line) => {
    const m = RE_KERNEL_REPORTED.exec(line);
    if (!m) return undefined;
    const x = withConn(fromCode('conn-error', 'iscsid', Number(m[3])), m[1], m[2]);
    const state = Number(m[5]);
    x.state = state;
    const sn = connStateName(state);
    if (sn !== undefined) x.stateName = sn;
    return x;
  },
  (line) => {
    const m = RE_PING.exec(line);
    if (!m) return undefined;
    const ping = pingNumbers(Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]));
    const x = withConn(fromCode('ping-timeout', 'kernel', 1022), m[1], m[2]);
    const hzNote = ping.estimatedHz !== undefined
      ? `HZ looks like ${ping.estimatedHz} (the ping age is about ${ping.timeoutSecs} s worth of jiffies at that rate)`
      : 'HZ assumed 1000';
    x.meaning = `The initiator's NOP-Out ping got no NOP-In within ${ping.timeoutSecs} s: nothing had been received for ` +
      `${ping.rxAgeJiffies} jiffies (${ping.secondsAtHz.hz1000.rxAge} s at HZ=1000, ${ping.secondsAtHz.hz250.rxAge} s at HZ=250) ` +
      `and the ping had waited ${ping.pingAgeJiffies} jiffies (${ping.secondsAtHz.hz1000.pingAge} s / ${ping.secondsAtHz.hz250.pingAge} s); ` +
      `${hzNote}. The kernel then fails the connection with ISCSI_ERR_NOP_TIMEDOUT (1022).`;
    x.ping = ping;
    x.timeoutSecs = ping.timeoutSecs;
    return x;
  },
  (line) => {
    const m = RE_NOP_TIMEDOUT.exec(line);
    if (!m) return undefined;
    const secs = Number(m[1]);
    const x = withConn(fromCode('ping-timeout', 'iscsid', 1022), m[2], m[3]);
    x.timeoutSecs = secs;
    x.state = Number(m[4]);
    const sn = connStateName(x.state);
    if (sn !== undefined) x.stateName = sn;
    x.meaning = `iscsid's own NOP-Out ping got no NOP-In within ${secs} s, so it drops the session and recovers it (the same ISCSI_ERR_NOP_TIMEDOUT case as the kernel's ping timeout).`;
    return x;
  },
  (line) => {
    const m = RE_CONN_ERROR.exec(line);
    return m ? withConn(fromCode('conn-error', 'kernel', Number(m[3])), m[1], m[2]) : undefined;
  },
  (line) => {
    const m = RE_RECOVERED.exec(line);
    if (!m) return undefined;
    const attempts = Number(m[3]);
    const x = withConn(ex('operational-after-recovery', 'iscsid',
      `The connection failed earlier and iscsid logged in again; the login succeeded after ${attempts} attempt${attempts === 1 ? '' : 's'}.`,
      RELOGIN_WIRE, ['session-reinstatement', 'relogin', 'login-failure', 'closed-without-logout', 'connection-reset']), m[1], m[2]);
    x.attempts = attempts;
    return x;
  },
  (line) => {
    const m = RE_CONN_TO.exec(line);
    if (!m) return undefined;
    const now = m[7] === 'operational now';
    const x = now
      ? ex('operational-now', 'iscsid',
        'The first login of this session succeeded: the connection is in full feature phase and the SCSI host is scanned for LUNs.',
        'a Login Request / Login Response exchange ending with T=1, NSG=3 (full feature phase) and status 0x0000, with a TSIH assigned; then REPORT LUNS and INQUIRY commands',
        ['login-failure', 'session-reinstatement'])
      : ex('conn-shutdown', 'iscsid',
        'iscsid shut the connection down on purpose (a logout, or the session being removed).',
        'a Logout Request (reason 0, close the session) and its Logout Response, then the FIN of the TCP connection',
        ['logout', 'closed-without-logout']);
    withConn(x, m[1], m[2]);
    x.target = m[3];
    x.portal = portalOf(m[4], m[5]);
    x.iface = m[6];
    return x;
  },
  (line) => {
    const m = RE_RECOVERY_TIMEOUT.exec(line);
    if (!m) return undefined;
    const secs = Number(m[2]);
    const x = ex('session-recovery-timeout', 'kernel',
      `The session could not be re-established within replacement_timeout (${secs} s), so the kernel failed its outstanding and new I/O; the disks go offline until a login succeeds.`,
      `the session's connection ended ${secs} s or more before; since then no Login for its ISID reached full feature phase (connection attempts refused or unanswered, logins failing or answered late)`,
      ['login-failure', 'connection-reset', 'closed-without-logout', 'session-reinstatement', 'tmf-unanswered', 'connect-refused', 'connect-unanswered']);
    x.sessionId = Number(m[1]);
    x.recoverySecs = secs;
    return x;
  },
  (line) => {
    const m = RE_SESSION_AUTH.exec(line) ?? RE_AUTH_FAILED.exec(line);
    if (!m) return undefined;
    const x = withLogin(ex('login-auth-failed', 'iscsid',
      'The target refused the login because authentication (CHAP) failed: wrong user name or secret, or CHAP required on one side only.',
      'a Login Request in the security negotiation stage (CSG 0) with AuthMethod / CHAP_* keys, answered by a Login Response with status 0x0201 (Authentication failure); then the TCP connection closes',
      ['login-failure', 'login-churn']), 2, 1);
    if (m[0].startsWith('session')) x.sessionId = Number(m[1]);
    else if (m[1]) x.target = m[1];
    return x;
  },
  (line) => {
    const m = RE_AUTHORIZATION.exec(line);
    if (!m) return undefined;
    return withConnPrefix(withLogin(ex('login-rejected', 'iscsid',
      'The target refused the login: this initiator is not allowed to access the target (its ACL does not list the initiator name).',
      'a Login Response with status 0x0202 (Authorization failure); then the TCP connection closes',
      ['login-failure', 'login-churn']), 2, 2), line);
  },
  (line) => {
    const m = RE_REDIRECT.exec(line);
    if (!m) return undefined;
    const detail = parseInt(m[1], 16);
    return withConnPrefix(withLogin(ex('login-rejected', 'iscsid',
      `The target redirected the login with a redirection type (0x${m[1]}) iscsid does not handle.`,
      `a Login Response with Status-Class 1 (Redirection) and Status-Detail ${detail}`,
      ['login-failure']), 1, detail), line);
  },
  (line) => {
    const m = RE_LOGIN_REJECTED.exec(line) ?? RE_UNKNOWN_CLASS.exec(line);
    if (!m) return undefined;
    const named = m.length === 4;
    const cls = parseInt(named ? m[2] : m[1], 16);
    const detail = parseInt(named ? m[3] : m[2], 16);
    const text = loginStatusName(cls, detail);
    return withConnPrefix(withLogin(ex('login-rejected', 'iscsid',
      `The target answered the login with status class ${cls}, detail ${detail} (${text}).`,
      `a Login Response with Status-Class ${cls} and Status-Detail ${detail}; then the TCP connection closes`,
      ['login-failure', 'login-churn']), cls, detail), line);
  },
  (line) => {
    const m = RE_CONNECT_FAILED.exec(line) ?? RE_CANNOT_CONNECT.exec(line) ?? RE_CONNECT_TIMED_OUT.exec(line);
    if (!m) return undefined;
    const why = m[2] ?? 'timed out';
    const portal = splitPortal(m[1]);
    const x = withConnPrefix(ex('connect-failed', 'iscsid',
      `The initiator could not open a TCP connection to ${portal} (${why}).`,
      `SYNs to ${portal} answered by a RST (refused) or not at all (timed out); no iSCSI PDUs on that attempt`,
      ['connect-refused', 'connect-unanswered', 'connection-reset', 'session-reinstatement', 'login-churn']), line);
    x.target = m[1];
    x.portal = portal;
    return x;
  },
  (line) => {
    const m = RE_ADM_LOGIN.exec(line);
    if (!m) return undefined;
    const ok = m[1] === 'Login';
    const x = ok
      ? ex('login-ok', 'iscsiadm', 'iscsiadm logged in to the target: the session is in full feature phase.',
        'a Login Request / Login Response exchange ending in full feature phase (T=1, NSG=3, status 0x0000), with a TSIH assigned',
        ['login-failure'])
      : ex('login-failed', 'iscsiadm', 'iscsiadm could not log in to the target; the line after it says why (iscsid\'s error text).',
        `no TCP connection to the portal, or ${LOGIN_FAIL_WIRE}`,
        ['login-failure', 'connect-refused', 'connect-unanswered', 'login-churn']);
    x.iface = m[2];
    x.target = m[3];
    x.portal = portalOf(m[4], m[5]);
    return x;
  },
  (line) => {
    const m = RE_ADM_LOGOUT.exec(line);
    if (!m) return undefined;
    const ok = m[1] === 'Logout';
    const x = ok
      ? ex('logout-ok', 'iscsiadm', 'iscsiadm logged the session out cleanly.',
        'a Logout Request (reason 0, close the session) answered by a Logout Response with response 0, then FINs',
        ['logout'])
      : ex('logout-failed', 'iscsiadm', 'iscsiadm could not log the session out (it may be in recovery, or in use).',
        'no Logout Response, or one with a non-zero response; or no Logout at all',
        ['logout', 'closed-without-logout']);
    x.sessionId = Number(m[2]);
    x.target = m[3];
    x.portal = portalOf(m[4], m[5]);
    return x;
  },
  (line) => {
    const m = RE_DROPPING.exec(line);
    if (!m) return undefined;
    const all = m[1] === 'all connections';
    return withConnPrefix(ex('target-dropping', 'iscsid',
      `The target announced it will drop ${all ? 'all connections of the session' : 'a connection'} (it may be restarting or failing over); reconnect after ${m[2]}–${m[3]} s.`,
      `an Asynchronous Message with AsyncEvent ${all ? 3 : 2} (Parameter2 ${m[2]} = Time2Wait, Parameter3 ${m[3]} = Time2Retain), then the target closes the connection`,
      ['async-message', 'closed-without-logout', 'connection-reset']), line);
  },
  (line) => {
    const m = RE_PDU_REJECTED.exec(line);
    if (!m) return undefined;
    const reason = m[3] === undefined ? 2 : parseInt(m[3], 16);
    const x = withConnPrefix(ex('pdu-rejected', 'kernel',
      `The target rejected a PDU the initiator sent (opcode 0x${m[1]}, ITT 0x${m[2]}): ${rejectReasonName(reason)}.`,
      `a Reject PDU whose Reason is 0x${reason.toString(16).padStart(2, '0')} and whose data segment is the header of the rejected PDU (ITT 0x${m[2]})`,
      ['reject', 'digest-error']), line);
    x.opcode = parseInt(m[1], 16);
    x.itt = parseInt(m[2], 16);
    x.rejectReason = reason;
    x.rejectReasonText = rejectReasonName(reason);
    return x;
  },
  (line) => {
    if (!RE_OFFLINE_DEVICE.test(line)) return undefined;
    return withScsiDevice(ex('device-offline', 'scsi',
      'The disk is offline: every new I/O to it fails at once. It went offline after SCSI error recovery failed or the iSCSI session recovery timed out (replacement_timeout).',
      'nothing for these I/Os: they never reach the wire. Before it: commands that went unanswered, task management that timed out, or a session that never logged in again',
      ['command-unanswered', 'tmf-unanswered', 'login-failure', 'closed-without-logout', 'connection-reset']), line);
  },
  (line) => {
    if (!RE_OFFLINED.test(line)) return undefined;
    return withScsiDevice(ex('device-offlined', 'scsi',
      'SCSI error handling gave up on the disk (aborts and resets did not bring it back, the test commands failed) and took it offline.',
      'commands outstanding past the SCSI timeout, Task Management Function Requests (ABORT TASK, LOGICAL UNIT RESET, TARGET WARM RESET) answered late or never, TEST UNIT READY failing, and often a dropped connection (1021)',
      ['slow-command', 'command-unanswered', 'tmf-unanswered', 'tmf']), line);
  },
  (line) => {
    const m = RE_RESULT.exec(line);
    if (!m) return undefined;
    const h = HOST_BYTES.get(m[1]);
    const x = withScsiDevice(ex('scsi-result', 'scsi',
      h?.meaning ?? `The command failed with host byte ${m[1]}, driver byte ${m[2]}.`,
      h?.onTheWire ?? 'the command\'s SCSI Command and its response (or their absence) around that moment',
      h?.lookFor ?? ['command-unanswered', 'slow-command']), line);
    x.hostByte = m[1];
    x.driverByte = m[2];
    return x;
  },
  (line) => {
    const m = RE_IO_ERROR.exec(line);
    if (!m) return undefined;
    const x = ex('io-error', 'scsi',
      `The block layer failed an I/O to ${m[1]} at sector ${m[2]}${m[3] ? ` (${m[3]})` : ''}; it reaches the file system or application as EIO.`,
      'the failing command on the wire (a SCSI Response with CHECK CONDITION, or no response before a reset), or nothing at all when the disk was already offline or the session down',
      ['command-unanswered', 'tmf-unanswered', 'closed-without-logout', 'connection-reset']);
    x.disk = m[1];
    x.sector = Number(m[2]);
    if (m[3]) x.operation = m[3];
    return x;
  },
  (line) => {
    const m = RE_LIO_LOGIN_TIMEOUT.exec(line);
    if (!m) return undefined;
    const x = ex('login-timeout', 'lio',
      'A login on this portal did not complete within the target\'s login timeout (15 s), so the target\'s login thread gave up on it. Often the login thread was stuck: e.g. reinstating a session whose old tasks cannot be aborted.',
      'a Login Request answered late or never (the initiator may retry with new TCP connections); the connection closes about 15 s after the SYN',
      ['login-failure', 'login-churn', 'session-reinstatement', 'tmf-unanswered']);
    x.portal = splitPortal(m[1]);
    return x;
  },
  (line) => RE_LIO_NEGOTIATION.test(line) ? ex('login-negotiation-failed', 'lio',
    'The target failed a login during negotiation (bad keys, a refused initiator, a login timeout, or the connection dropping mid-login).',
    'a Login Request answered with a Login Response carrying a non-zero status, or the TCP connection closing during login',
    ['login-failure', 'login-churn']) : undefined,
  (line) => {
    const m = RE_LIO_NOT_AUTHORIZED.exec(line);
    if (!m) return undefined;
    const x = withLogin(ex('initiator-not-authorized', 'lio',
      `The target refused the login of ${m[1]}: its portal group ${m[2]} has no ACL for that initiator name.`,
      'a Login Response with status 0x0202 (Authorization failure) to a Login Request carrying that InitiatorName; then the connection closes',
      ['login-failure', 'login-churn']), 2, 2);
    x.initiator = m[1];
    x.tpgt = Number(m[2]);
    return x;
  },
  (line) => {
    const m = RE_LIO_NO_TARGET.exec(line);
    if (!m) return undefined;
    const x = withLogin(ex('target-not-found', 'lio',
      `The initiator asked for a target name (${m[1]}) this target does not have.`,
      'a Login Request whose TargetName is not configured, answered by a Login Response with status 0x0203 (Not found)',
      ['login-failure', 'login-churn']), 2, 3);
    x.target = m[1];
    return x;
  },
  (line) => {
    const m = RE_LIO_ABORT.exec(line);
    if (!m) return undefined;
    const x = withTag(ex('abort-task', 'lio',
      'The target received an ABORT TASK and found the command it names still in progress; it waits for that command to finish (a slow backstore keeps it waiting) before answering.',
      'a Task Management Function Request with function 1 (ABORT TASK) whose Referenced Task Tag is that command\'s ITT; its TMF Response comes only when the backstore returns',
      ['tmf', 'tmf-unanswered', 'slow-command', 'command-unanswered']), m[2], 10);
    x.tmfFunction = 1;
    return x;
  },
  (line) => {
    const m = RE_LIO_ABORT_DONE.exec(line);
    if (!m) return undefined;
    const response = m[1] === 'TMR_FUNCTION_COMPLETE' ? 0 : 1;
    const x = withTag(ex('abort-task-done', 'lio',
      response === 0
        ? 'The target aborted the command and answers the ABORT TASK with "function complete".'
        : 'The target did not find the command the ABORT TASK names (it had completed already, or never arrived) and answers "task does not exist".',
      `a Task Management Function Response with Response ${response} (${tmfResponseName(response)}) to the ABORT TASK naming that ITT`,
      ['tmf', 'tmf-unanswered']), m[2], 10);
    x.tmfFunction = 1;
    x.tmfResponse = response;
    x.tmfResponseText = tmfResponseName(response);
    return x;
  },
  (line) => {
    const m = RE_LIO_LUN_RESET.exec(line);
    if (!m) return undefined;
    const done = m[2] === 'for';
    const x = ex(done ? 'lun-reset-done' : 'lun-reset', 'lio',
      done ? `The target finished a LOGICAL UNIT RESET of ${m[3]}: the LU's tasks are aborted.`
        : `The target started a LOGICAL UNIT RESET of ${m[3]} (${m[1] === 'TMR' ? 'a Task Management request' : 'a PERSISTENT RESERVE OUT PREEMPT AND ABORT'}); it aborts every task of the LU and waits for them.`,
      done ? 'the Task Management Function Response (function complete) to the LOGICAL UNIT RESET'
        : 'a Task Management Function Request with function 5 (LOGICAL UNIT RESET), usually after ABORT TASKs that did not come back',
      ['tmf', 'tmf-unanswered', 'slow-command']);
    x.tmfFunction = 5;
    return x;
  },
  (line) => {
    const m = RE_LIO_DATAOUT.exec(line);
    if (!m) return undefined;
    return withNexus(ex('dataout-timeout', 'lio',
      'The target sent an R2T and the Data-Out it asked for did not arrive within dataout_timeout; at ErrorRecoveryLevel 0 it cannot recover, so it closes the connection.',
      'an R2T whose solicited Data-Out PDUs never come (or come late), then the target closes the connection (FIN / RST) and the initiator relogs in; on the initiator this is a 1020 (TCP connection closed)',
      ['command-unanswered', 'closed-without-logout', 'connection-reset', 'session-reinstatement', 'tcp-retransmissions', 'tcp-zero-window']), m[2]);
  },
  (line) => {
    const m = RE_LIO_NOPIN.exec(line);
    if (!m) return undefined;
    const x = withNexus(ex('target-ping-timeout', 'lio',
      'The target\'s NOP-In ping got no NOP-Out answer within nopin_response_timeout, so the target fails the connection.',
      'a NOP-In with a valid TTT (ITT 0xffffffff) from the target with no NOP-Out echoing that TTT, then the target closes the connection',
      ['target-ping-unanswered', 'closed-without-logout', 'connection-reset']), m[2]);
    x.cid = Number(m[1]);
    return x;
  },
  (line) => {
    const m = RE_LIO_SEND.exec(line);
    if (!m) return undefined;
    const err = Number(m[1] ?? m[3]);
    const x = ex('send-failed', 'lio',
      `The target could not send a PDU (${m[2] ?? m[4]} bytes): the socket returned ${err}${ERRNO.get(-err) ? ` (${ERRNO.get(-err)})` : ''} — the initiator had already closed or reset the connection.`,
      'the initiator\'s FIN or RST shortly before, on a connection the target was still answering (often a Login Response after the initiator gave up on a slow login)',
      ['connection-reset', 'closed-without-logout', 'login-failure']);
    if (err < 0) {
      x.errno = err;
      const n = ERRNO.get(-err);
      if (n !== undefined) x.errnoName = n;
    }
    return x;
  },
  (line) => {
    const m = RE_LIO_T2R.exec(line);
    if (!m) return undefined;
    const x = ex('time2retain-expired', 'lio',
      'The session\'s connection failed and no initiator came back within DefaultTime2Retain, so the target dropped the session and its tasks.',
      'the session\'s last connection ended (FIN / RST) with no relogin for the ISID in Time2Retain seconds',
      ['closed-without-logout', 'connection-reset', 'session-reinstatement']);
    x.sessionId = Number(m[1]);
    return x;
  },
  (line) => {
    const m = RE_LIO_NO_LUN.exec(line);
    if (!m) return undefined;
    const x = ex('no-such-lun', 'lio',
      `The initiator sent a command to LUN ${parseInt(m[1], 16)}, which is not mapped for it: the target answers CHECK CONDITION (ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED).`,
      'SCSI Commands to that LUN answered by SCSI Responses with status CHECK CONDITION and sense 05/25/00; usually after the LUN mapping changed',
      ['command-unanswered']);
    x.lun = parseInt(m[1], 16);
    if (m[2] !== undefined) x.initiator = m[2];
    return x;
  },
  (line) => {
    const m = RE_TGT_NOP.exec(line);
    if (!m) return undefined;
    const x = ex('target-ping-timeout', 'tgtd',
      `tgtd's NOP-In pings (nop_interval) went unanswered ${m[1]} times (nop_count), so it closes the connection. (tgtd calls its pings NOP-OUT in this message.)`,
      `${m[1]} NOP-Ins with a valid TTT from the target and no NOP-Out echoing them, then the target's FIN`,
      ['target-ping-unanswered', 'closed-without-logout', 'connection-reset']);
    return x;
  },
  (line) => {
    const m = RE_TGT_ABORT_SET.exec(line);
    if (!m) return undefined;
    // usr/target.c target_mgmt_request: ABORT TASK passes the Referenced Task Tag; ABORT TASK SET
    // tag 0 and all 1; LOGICAL UNIT RESET and CLEAR TASK SET tag 0 with the LUN, all 0.
    if (m[2] !== '0') {
      const x = ex('abort-task', 'tgtd', 'tgtd is aborting every task of the I_T nexus (ABORT TASK SET).',
        'a Task Management Function Request with function 2 (ABORT TASK SET)', ['tmf', 'tmf-unanswered', 'slow-command']);
      x.tmfFunction = 2;
      return x;
    }
    if (/^0+$/.test(m[1])) {
      const x = ex('lun-reset', 'tgtd',
        'tgtd is aborting every task of a logical unit (a LOGICAL UNIT RESET or CLEAR TASK SET); tasks the backing store already has finish first.',
        'a Task Management Function Request with function 5 (LOGICAL UNIT RESET) or 4 (CLEAR TASK SET), answered once the LU\'s tasks are gone',
        ['tmf', 'tmf-unanswered', 'slow-command']);
      x.tmfFunction = 5;
      return x;
    }
    const x = withTag(ex('abort-task', 'tgtd', 'tgtd received an ABORT TASK and looks for the command it names.',
      'a Task Management Function Request with function 1 (ABORT TASK) whose Referenced Task Tag is that command\'s ITT',
      ['tmf', 'tmf-unanswered', 'slow-command']), m[1], 16);
    x.tmfFunction = 1;
    return x;
  },
  (line) => {
    const m = RE_TGT_ABORT_CMD.exec(line);
    if (!m) return undefined;
    return withTag(ex('task-aborted', 'tgtd',
      'tgtd found the command a task management request names and aborts it (if the backstore already has it, the TMF Response waits for it to finish).',
      'the command\'s SCSI Command earlier, the Task Management Function Request naming it, and its TMF Response',
      ['tmf', 'tmf-unanswered', 'slow-command']), m[1], 16);
  },
  (line) => {
    const m = RE_TGT_IO_ERROR.exec(line);
    if (!m) return undefined;
    const x = ex('backstore-io-error', 'tgtd',
      `tgtd's backing store failed a command (SCSI opcode 0x${m[1]}, ${m[3]} bytes at offset ${m[4]}): ${m[5]}.`,
      'a SCSI Response with status CHECK CONDITION (MEDIUM ERROR or similar sense) for that command',
      ['command-unanswered', 'slow-command']);
    x.opcode = parseInt(m[1], 16);
    return x;
  },
  (line) => {
    const m = RE_TGT_CMDSN.exec(line);
    if (!m) return undefined;
    const x = ex('unexpected-cmdsn', 'tgtd',
      `tgtd received a command with CmdSN ${m[1]}, older than the ExpCmdSN ${m[2]} it expects, and rejects it.`,
      `a SCSI Command (or other non-immediate request) whose CmdSN ${m[1]} is below the target's ExpCmdSN ${m[2]}`,
      ['cmdsn-out-of-window', 'reject']);
    x.cmdSN = Number(m[1]);
    x.expCmdSN = Number(m[2]);
    return x;
  },
  (line) => RE_TGT_DIGEST.test(line) ? ex('digest-error', 'tgtd',
    'tgtd received a PDU whose header digest (CRC32C) does not match its header.',
    'a PDU from the initiator whose HeaderDigest does not verify; the target then closes the connection',
    ['digest-error', 'closed-without-logout']) : undefined,
];

/**
 * Explains one log line (syslog, journal or dmesg prefixes are fine), or undefined when the line is
 * none of the known messages. The initiator's kernel and iscsid lines ("Kernel reported iSCSI
 * connection S:C error (N - …) state (S)", "connectionS:C: ping timeout of … secs expired, …",
 * "[detected] conn error (N)", "ConnectionS:C to [target: …, portal: …] … is operational now",
 * "… is operational after recovery (N attempts)", "sessionS: session recovery timed out after N
 * secs", "login rejected: …", "connect to ADDR failed (reason)", iscsiadm's "Login to […]
 * successful."), the SCSI layer's ("rejecting I/O to offline device", "Result: hostbyte=DID_…",
 * "I/O error, dev sdX, sector N"), LIO's ("iSCSI Login timeout on Network Portal …", "ABORT_TASK:
 * Found referenced iSCSI task_tag: N", "Unable to recover from DataOut timeout while in ERL=0 …",
 * "Did not receive response to NOPIN …", "Unexpected ret: -32 send data 48" …) and tgtd's.
 */
export function explainLogLine(line: string): Explanation | undefined {
  if (!HINT.test(line)) return undefined;
  for (const rule of RULES) {
    const x = rule(line);
    if (x !== undefined) return x;
  }
  return undefined;
}

export interface ExcerptLine {
  /** 1-based line number in the excerpt. */
  line: number;
  text: string;
  explanation?: Explanation;
}

/** Longest line and most lines explainExcerpt reads: a paste is small; anything past is not read. */
export const EXCERPT_MAX_LINE = 4096;
export const EXCERPT_MAX_LINES = 10000;

/** Explains every line of a pasted excerpt (LF or CRLF); lines it does not recognise come back
 *  without an explanation. Reads at most EXCERPT_MAX_LINES lines of EXCERPT_MAX_LINE characters. */
export function explainExcerpt(text: string): ExcerptLine[] {
  const out: ExcerptLine[] = [];
  let start = 0;
  while (start < text.length && out.length < EXCERPT_MAX_LINES) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let t = text.slice(start, Math.min(end, start + EXCERPT_MAX_LINE));
    if (t.endsWith('\r')) t = t.slice(0, -1);
    const e: ExcerptLine = { line: out.length + 1, text: t };
    const x = explainLogLine(t);
    if (x !== undefined) e.explanation = x;
    out.push(e);
    start = end + 1;
  }
  return out;
}
