// Explains Linux initiator log lines (kernel libiscsi / iscsi_tcp and open-iscsi iscsid) in terms of
// what a capture shows. Error numbers and names: the kernel's include/scsi/iscsi_if.h enum iscsi_err
// (ISCSI_ERR_BASE 1000 + n) and enum iscsi_conn_state; the short texts after the names are open-iscsi's
// usr/kern_err_table.c. `lookFor` names finding kinds of docs/findings.md.

import { loginStatusName } from './names.ts';

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

export interface Explanation {
  /** Which message this is. */
  kind: 'conn-error' | 'ping-timeout' | 'session-recovery-timeout' | 'operational-after-recovery' |
    'login-auth-failed' | 'login-rejected' | 'connect-failed';
  /** iscsi_err number (1001–1022) where the line carries or implies one. */
  code?: number;
  errorName?: string;
  meaning: string;
  onTheWire: string;
  lookFor: string[];
  /** "session id:connection id", e.g. "3:0", where present. */
  connection?: string;
  sessionId?: number;
  cid?: number;
  /** iscsid's connection state number and its enum iscsi_conn_state name, where present. */
  state?: number;
  stateName?: string;
  ping?: PingTimeoutNumbers;
  /** session recovery timeout (replacement_timeout) in seconds. */
  recoverySecs?: number;
  /** Login attempts before the connection became operational again. */
  attempts?: number;
  target?: string;
  loginStatusClass?: number;
  loginStatusDetail?: number;
  loginStatusText?: string;
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

function fromCode(kind: Explanation['kind'], code: number): Explanation {
  const e = BY_CODE.get(code);
  if (e === undefined) {
    return {
      kind, code, meaning: `Error ${code} is not one of the kernel's iSCSI error numbers (1001–1022).`,
      onTheWire: 'unknown', lookFor: [],
    };
  }
  return { kind, code, errorName: e.errorName, meaning: e.meaning, onTheWire: e.onTheWire, lookFor: [...e.lookFor] };
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
const RE_LOGIN_REJECTED = /login rejected: (.*?)\s*\(([0-9a-fA-F]{2})\/([0-9a-fA-F]{2})\)/;
const RE_CONNECT_FAILED = /connect to (\S+) failed \(([^)]*)\)/;

/**
 * Explains one kernel / iscsid log line (syslog or dmesg prefixes are fine), or undefined when the
 * line is none of the known messages: "Kernel reported iSCSI connection S:C error (N - …) state (S)",
 * "connectionS:C: ping timeout of … secs expired, …", "[detected] conn error (N)",
 * "connectionS:C is operational after recovery (N attempts)", "sessionS: session recovery timed out
 * after N secs", "Login authentication failed with target …", "login rejected: … (CC/DD)",
 * "connect to ADDR failed (reason)".
 */
export function explainLogLine(line: string): Explanation | undefined {
  let m = RE_KERNEL_REPORTED.exec(line);
  if (m) {
    const x = withConn(fromCode('conn-error', Number(m[3])), m[1], m[2]);
    const state = Number(m[5]);
    x.state = state;
    const sn = connStateName(state);
    if (sn !== undefined) x.stateName = sn;
    return x;
  }
  m = RE_PING.exec(line);
  if (m) {
    const ping = pingNumbers(Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]));
    const x = withConn(fromCode('ping-timeout', 1022), m[1], m[2]);
    const hzNote = ping.estimatedHz !== undefined
      ? `HZ looks like ${ping.estimatedHz} (the ping age is about ${ping.timeoutSecs} s worth of jiffies at that rate)`
      : 'HZ assumed 1000';
    x.meaning = `The initiator's NOP-Out ping got no NOP-In within ${ping.timeoutSecs} s: nothing had been received for ` +
      `${ping.rxAgeJiffies} jiffies (${ping.secondsAtHz.hz1000.rxAge} s at HZ=1000, ${ping.secondsAtHz.hz250.rxAge} s at HZ=250) ` +
      `and the ping had waited ${ping.pingAgeJiffies} jiffies (${ping.secondsAtHz.hz1000.pingAge} s / ${ping.secondsAtHz.hz250.pingAge} s); ` +
      `${hzNote}. The kernel then fails the connection with ISCSI_ERR_NOP_TIMEDOUT (1022).`;
    x.ping = ping;
    return x;
  }
  m = RE_CONN_ERROR.exec(line);
  if (m) return withConn(fromCode('conn-error', Number(m[3])), m[1], m[2]);
  m = RE_RECOVERED.exec(line);
  if (m) {
    const attempts = Number(m[3]);
    return withConn({
      kind: 'operational-after-recovery', attempts,
      meaning: `The connection failed earlier and iscsid logged in again; the login succeeded after ${attempts} attempt${attempts === 1 ? '' : 's'}.`,
      onTheWire: 'after the failed connection closed, new TCP connections each carrying a Login with the same ISID (session reinstatement); the failed attempts end early (refused SYN, no Login Response, or a Login Response with an error status), the last one reaches full feature phase',
      lookFor: ['session-reinstatement', 'login-failure', 'closed-without-logout', 'connection-reset'],
    }, m[1], m[2]);
  }
  m = RE_RECOVERY_TIMEOUT.exec(line);
  if (m) {
    const secs = Number(m[2]);
    return {
      kind: 'session-recovery-timeout', sessionId: Number(m[1]), recoverySecs: secs,
      meaning: `The session could not be re-established within replacement_timeout (${secs} s), so the kernel failed its outstanding and new I/O; the disks go offline until a login succeeds.`,
      onTheWire: `the session's connection ended ${secs} s or more before; since then no Login for its ISID reached full feature phase (connection attempts refused or unanswered, logins failing or answered late)`,
      lookFor: ['login-failure', 'connection-reset', 'closed-without-logout', 'session-reinstatement', 'tmf-unanswered'],
    };
  }
  m = RE_AUTH_FAILED.exec(line);
  if (m) {
    const x: Explanation = {
      kind: 'login-auth-failed', loginStatusClass: 2, loginStatusDetail: 1, loginStatusText: loginStatusName(2, 1),
      meaning: 'The target refused the login because authentication (CHAP) failed: wrong user name or secret, or CHAP required on one side only.',
      onTheWire: 'a Login Request in the security negotiation stage (CSG 0) with AuthMethod / CHAP_* keys, answered by a Login Response with status 0x0201 (Authentication failure); then the TCP connection closes',
      lookFor: ['login-failure', 'login-churn'],
    };
    if (m[1]) x.target = m[1];
    return x;
  }
  m = RE_LOGIN_REJECTED.exec(line);
  if (m) {
    const cls = parseInt(m[2], 16);
    const detail = parseInt(m[3], 16);
    const text = loginStatusName(cls, detail);
    return {
      kind: 'login-rejected', loginStatusClass: cls, loginStatusDetail: detail, loginStatusText: text,
      meaning: `The target answered the login with status class ${cls}, detail ${detail} (${text}).`,
      onTheWire: `a Login Response with Status-Class ${cls} and Status-Detail ${detail}; then the TCP connection closes`,
      lookFor: ['login-failure', 'login-churn'],
    };
  }
  m = RE_CONNECT_FAILED.exec(line);
  if (m) {
    return {
      kind: 'connect-failed', target: m[1],
      meaning: `The initiator could not open a TCP connection to ${m[1]} (${m[2]}).`,
      onTheWire: `SYNs to ${m[1]} answered by a RST (refused) or not at all (timed out); no iSCSI PDUs on that attempt`,
      lookFor: ['connection-reset', 'session-reinstatement', 'login-churn'],
    };
  }
  return undefined;
}
