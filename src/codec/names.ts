// Names of iSCSI codes, worded as in RFC 7143 (and RFC 7144 where it added values).
// Wireshark (packet-iscsi.c) words several of them differently; see the notes beside each table.

import { hexNum } from './bytes.ts';

function lookup(table: ReadonlyMap<number, string>, v: number, unknown: (v: number) => string): string {
  return table.get(v) ?? unknown(v);
}

// ---- opcodes (RFC 7143 §11.2.1.2; Wireshark says "NOP Out", "Login Command", "Ready To Transfer" …)
const OPCODES: ReadonlyMap<number, string> = new Map([
  [0x00, 'NOP-Out'],
  [0x01, 'SCSI Command'],
  [0x02, 'Task Management Function Request'],
  [0x03, 'Login Request'],
  [0x04, 'Text Request'],
  [0x05, 'SCSI Data-Out'],
  [0x06, 'Logout Request'],
  [0x10, 'SNACK Request'],
  [0x20, 'NOP-In'],
  [0x21, 'SCSI Response'],
  [0x22, 'Task Management Function Response'],
  [0x23, 'Login Response'],
  [0x24, 'Text Response'],
  [0x25, 'SCSI Data-In'],
  [0x26, 'Logout Response'],
  [0x31, 'R2T'],
  [0x32, 'Asynchronous Message'],
  [0x3f, 'Reject'],
]);

/** RFC 7143 name of a 6-bit opcode; "Vendor-specific (0x1c)" for 0x1c–0x1e / 0x3c–0x3e,
 *  "Unknown opcode 0xNN" otherwise. */
export function opcodeName(op: number): string {
  const n = OPCODES.get(op);
  if (n !== undefined) return n;
  if ((op >= 0x1c && op <= 0x1e) || (op >= 0x3c && op <= 0x3e)) return `Vendor-specific (${hexNum(op)})`;
  return `Unknown opcode ${hexNum(op)}`;
}

// ---- Task management (RFC 7143 §11.5.1; 9–12 from RFC 7144 §4.1)
const TMF_FUNCTIONS: ReadonlyMap<number, string> = new Map([
  [1, 'ABORT TASK'],
  [2, 'ABORT TASK SET'],
  [3, 'CLEAR ACA'],
  [4, 'CLEAR TASK SET'],
  [5, 'LOGICAL UNIT RESET'],
  [6, 'TARGET WARM RESET'],
  [7, 'TARGET COLD RESET'],
  [8, 'TASK REASSIGN'],
  [9, 'QUERY TASK'],
  [10, 'QUERY TASK SET'],
  [11, 'I_T NEXUS RESET'],
  [12, 'QUERY ASYNCHRONOUS EVENT'],
]);
export function tmfFunctionName(fn: number): string {
  return lookup(TMF_FUNCTIONS, fn, (v) => `Unknown function ${v}`);
}

// RFC 7143 §11.6.1 (7 from RFC 7144). Wireshark: 1 "Task not in task set", 4 "Task failover not supported".
const TMF_RESPONSES: ReadonlyMap<number, string> = new Map([
  [0, 'Function complete'],
  [1, 'Task does not exist'],
  [2, 'LUN does not exist'],
  [3, 'Task still allegiant'],
  [4, 'Task allegiance reassignment not supported'],
  [5, 'Task management function not supported'],
  [6, 'Function authorization failed'],
  [7, 'Function succeeded'],
  [255, 'Function rejected'],
]);
export function tmfResponseName(r: number): string {
  return lookup(TMF_RESPONSES, r, (v) => `Unknown response ${v}`);
}

// ---- Login (RFC 7143 §11.13.5)
const LOGIN_STATUS: ReadonlyMap<number, string> = new Map([
  [0x0000, 'Success'],
  [0x0101, 'Target moved temporarily'],
  [0x0102, 'Target moved permanently'],
  [0x0200, 'Initiator error'],
  [0x0201, 'Authentication failure'],
  [0x0202, 'Authorization failure'],
  [0x0203, 'Not found'],
  [0x0204, 'Target removed'],
  [0x0205, 'Unsupported version'],
  [0x0206, 'Too many connections'],
  [0x0207, 'Missing parameter'],
  [0x0208, "Can't include in session"],
  [0x0209, 'Session type not supported'],
  [0x020a, 'Session does not exist'],
  [0x020b, 'Invalid during login'],
  [0x0300, 'Target error'],
  [0x0301, 'Service unavailable'],
  [0x0302, 'Out of resources'],
]);
const LOGIN_STATUS_CLASS: ReadonlyMap<number, string> = new Map([
  [0, 'Success'],
  [1, 'Redirection'],
  [2, 'Initiator Error'],
  [3, 'Target Error'],
]);
export function loginStatusClassName(cls: number): string {
  return lookup(LOGIN_STATUS_CLASS, cls, (v) => `Unknown status class ${v}`);
}
/** Text of a Login Response status, e.g. (2, 1) → "Authentication failure". */
export function loginStatusName(statusClass: number, statusDetail: number): string {
  const n = LOGIN_STATUS.get(((statusClass & 0xff) << 8) | (statusDetail & 0xff));
  if (n !== undefined) return n;
  return `${loginStatusClassName(statusClass)} (detail ${hexNum(statusDetail)})`;
}

// RFC 7143 §11.12.3 / §6.3
const LOGIN_STAGES: ReadonlyMap<number, string> = new Map([
  [0, 'SecurityNegotiation'],
  [1, 'LoginOperationalNegotiation'],
  [3, 'FullFeaturePhase'],
]);
/** CSG / NSG name. */
export function loginStageName(stage: number): string {
  return lookup(LOGIN_STAGES, stage, (v) => `Reserved stage ${v}`);
}

// ---- Logout (RFC 7143 §11.14.1, §11.15.1)
const LOGOUT_REASONS: ReadonlyMap<number, string> = new Map([
  [0, 'Close the session'],
  [1, 'Close the connection'],
  [2, 'Remove the connection for recovery'],
]);
export function logoutReasonName(r: number): string {
  return lookup(LOGOUT_REASONS, r, (v) => `Reserved reason ${v}`);
}
const LOGOUT_RESPONSES: ReadonlyMap<number, string> = new Map([
  [0, 'Connection or session closed successfully'],
  [1, 'CID not found'],
  [2, 'Connection recovery is not supported'],
  [3, 'Cleanup failed for various reasons'],
]);
export function logoutResponseName(r: number): string {
  return lookup(LOGOUT_RESPONSES, r, (v) => `Reserved response ${v}`);
}

// ---- Reject (RFC 7143 §11.17.1). 0x0b was "Negotiation Reset" in RFC 3720; RFC 7143 deprecates it.
const REJECT_REASONS: ReadonlyMap<number, string> = new Map([
  [0x01, 'Reserved'],
  [0x02, 'Data (payload) digest error'],
  [0x03, 'SNACK Reject'],
  [0x04, 'Protocol Error'],
  [0x05, 'Command not supported'],
  [0x06, 'Immediate command reject - too many immediate commands'],
  [0x07, 'Task in progress'],
  [0x08, 'Invalid data ack'],
  [0x09, 'Invalid PDU field'],
  [0x0a, "Long op reject - Can't generate Target Transfer Tag - out of resources"],
  [0x0b, 'Negotiation Reset (deprecated)'],
  [0x0c, 'Waiting for Logout'],
]);
export function rejectReasonName(r: number): string {
  return lookup(REJECT_REASONS, r, (v) => `Unknown reason ${hexNum(v)}`);
}

// ---- Asynchronous Message events (RFC 7143 §11.9.1)
const ASYNC_EVENTS: ReadonlyMap<number, string> = new Map([
  [0, 'SCSI asynchronous event (sense data)'],
  [1, 'Target requests Logout'],
  [2, 'Target will drop the connection'],
  [3, 'Target will drop all connections of the session'],
  [4, 'Target requests parameter negotiation'],
  [255, 'Vendor-specific iSCSI event'],
]);
export function asyncEventName(e: number): string {
  return lookup(ASYNC_EVENTS, e, (v) => `Reserved event ${v}`);
}

// ---- SNACK (RFC 7143 §11.16.1)
const SNACK_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'Data/R2T SNACK'],
  [1, 'Status SNACK'],
  [2, 'DataACK'],
  [3, 'R-Data SNACK'],
]);
export function snackTypeName(t: number): string {
  return lookup(SNACK_TYPES, t, (v) => `Reserved type ${v}`);
}

// ---- SCSI Response "Response" byte (RFC 7143 §11.4.3)
/** 0x00 "Command Completed at Target", 0x01 "Target Failure", 0x80–0xff vendor-specific. */
export function iscsiResponseName(r: number): string {
  if (r === 0x00) return 'Command Completed at Target';
  if (r === 0x01) return 'Target Failure';
  if (r >= 0x80) return `Vendor-specific (${hexNum(r)})`;
  return `Reserved (${hexNum(r)})`;
}

// ---- SCSI Command task attributes (RFC 7143 §11.3.1 ATTR)
const TASK_ATTRS: ReadonlyMap<number, string> = new Map([
  [0, 'Untagged'],
  [1, 'Simple'],
  [2, 'Ordered'],
  [3, 'Head of Queue'],
  [4, 'ACA'],
]);
export function taskAttributeName(a: number): string {
  return lookup(TASK_ATTRS, a, (v) => `Reserved attribute ${v}`);
}

// ---- AHS types (RFC 7143 §11.2.2.2)
export const AHS_EXTENDED_CDB = 1;
export const AHS_BIDI_READ_LENGTH = 2;
export function ahsTypeName(t: number): string {
  if (t === AHS_EXTENDED_CDB) return 'Extended CDB';
  if (t === AHS_BIDI_READ_LENGTH) return 'Bidirectional Read Data Length';
  if (t >= 60) return `Vendor-specific (${t})`;
  return `Reserved (${t})`;
}
