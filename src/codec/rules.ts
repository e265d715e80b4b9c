// Per-opcode protocol facts the framer, the model and the checks all rely on (RFC 7143 §4.2.2,
// §11). Each is stated once, here, on raw header values, so that no layer above spells its own copy.

import {
  OP_ASYNC_MESSAGE, OP_DATA_IN, OP_DATA_OUT, OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, OP_LOGOUT_REQUEST,
  OP_LOGOUT_RESPONSE, OP_NOP_IN, OP_NOP_OUT, OP_R2T, OP_REJECT, OP_SCSI_COMMAND, OP_SCSI_RESPONSE,
  OP_SNACK_REQUEST, OP_TASK_MGMT_REQUEST, OP_TASK_MGMT_RESPONSE, OP_TEXT_REQUEST, OP_TEXT_RESPONSE,
  OPCODE_MASK, RESERVED_TAG,
} from './bhs.ts';

/** The 6-bit opcode of BHS byte 0 (the I bit and the reserved bit masked off). */
export function opcodeOf(byte0: number): number {
  return byte0 & OPCODE_MASK;
}

/** How a target PDU treats StatSN (RFC 7143 §4.2.2.2, §11.7.4, §11.19.3). */
export const StatSNRule = {
  /** Carries no StatSN (initiator PDUs, vendor-specific ones). */
  None: 0,
  /** Consumes one: SCSI/TMF/Login/Text/Logout Response, Async Message, Reject. */
  Consumes: 1,
  /** NOP-In: consumes one when it answers a ping (ITT ≠ 0xffffffff); otherwise it only carries the next. */
  ConsumesIfAnswer: 2,
  /** Data-In: consumes one only with S = 1 (it carries the command's status); otherwise the field is reserved. */
  ConsumesIfStatus: 3,
  /** R2T: carries the next StatSN without consuming it. */
  CarriesNext: 4,
} as const;

/** StatSNRule by opcode. */
export const STATSN_RULE: Uint8Array = (() => {
  const t = new Uint8Array(64);
  for (const op of [OP_SCSI_RESPONSE, OP_TASK_MGMT_RESPONSE, OP_LOGIN_RESPONSE, OP_TEXT_RESPONSE, OP_LOGOUT_RESPONSE,
    OP_ASYNC_MESSAGE, OP_REJECT]) t[op] = StatSNRule.Consumes;
  t[OP_NOP_IN] = StatSNRule.ConsumesIfAnswer;
  t[OP_DATA_IN] = StatSNRule.ConsumesIfStatus;
  t[OP_R2T] = StatSNRule.CarriesNext;
  return t;
})();

/** Data-In byte 1 bit 0: S, the PDU carries the command's status (and a StatSN). */
export const DATA_IN_STATUS_BIT = 0x01;

/**
 * Does a target PDU consume a StatSN? `itt` and `flags` (BHS byte 1) decide for NOP-In and Data-In;
 * the rest follow from the opcode.
 */
export function consumesStatSN(op: number, itt: number, flags: number): boolean {
  switch (STATSN_RULE[op & OPCODE_MASK]) {
    case StatSNRule.Consumes: return true;
    case StatSNRule.ConsumesIfAnswer: return itt !== RESERVED_TAG;
    case StatSNRule.ConsumesIfStatus: return (flags & DATA_IN_STATUS_BIT) !== 0;
    default: return false;
  }
}

/** Does a target PDU carry the next StatSN without consuming it (an R2T, a NOP-In that answers nothing)? */
export function carriesNextStatSN(op: number, itt: number): boolean {
  const rule = STATSN_RULE[op & OPCODE_MASK];
  return rule === StatSNRule.CarriesNext || (rule === StatSNRule.ConsumesIfAnswer && itt === RESERVED_TAG);
}

function table(ops: readonly number[]): Uint8Array {
  const t = new Uint8Array(64);
  for (const op of ops) t[op] = 1;
  return t;
}

/** Initiator opcodes with an ExpStatSN field (every defined one). */
export const CARRIES_EXPSTATSN: Uint8Array = table([OP_NOP_OUT, OP_SCSI_COMMAND, OP_TASK_MGMT_REQUEST, OP_LOGIN_REQUEST,
  OP_TEXT_REQUEST, OP_DATA_OUT, OP_LOGOUT_REQUEST, OP_SNACK_REQUEST]);

/**
 * Initiator opcodes numbered by CmdSN (RFC 7143 §3.2.2.1). Login is left out: no command window
 * exists before the first Login Response.
 */
export const NUMBERED_BY_CMDSN: Uint8Array = table([OP_NOP_OUT, OP_SCSI_COMMAND, OP_TASK_MGMT_REQUEST, OP_TEXT_REQUEST,
  OP_LOGOUT_REQUEST]);

/** Target opcodes advertising ExpCmdSN / MaxCmdSN (every defined one). */
export const CARRIES_CMD_WINDOW: Uint8Array = table([OP_NOP_IN, OP_SCSI_RESPONSE, OP_TASK_MGMT_RESPONSE, OP_LOGIN_RESPONSE,
  OP_TEXT_RESPONSE, OP_DATA_IN, OP_LOGOUT_RESPONSE, OP_R2T, OP_ASYNC_MESSAGE, OP_REJECT]);

/** Login PDU byte 1: T (0x80), CSG (bits 2-3), NSG (bits 0-1); stage 3 is Full Feature Phase. */
export const LOGIN_TRANSIT_BIT = 0x80;
export const FULL_FEATURE_PHASE = 3;

/** A Login PDU with T = 1 and NSG = 3: the transition to Full Feature Phase (RFC 7143 §11.12.3). */
export function transitsToFullFeature(flags: number): boolean {
  return (flags & LOGIN_TRANSIT_BIT) !== 0 && (flags & 3) === FULL_FEATURE_PHASE;
}

/** A Login Response that ends the login phase: a failure (status class ≠ 0) or the final success. */
export function endsLogin(flags: number, statusClass: number): boolean {
  return statusClass !== 0 || transitsToFullFeature(flags);
}

/**
 * What a Task Management function acts on (RFC 7143 §11.5.1): one task named by the Referenced Task
 * Tag, the tasks of its LUN, or all tasks of the target.
 */
export function tmfScope(fn: number): 'task' | 'lun' | 'target' | 'none' {
  switch (fn) {
    case 1: case 8: case 9: return 'task'; // ABORT TASK, TASK REASSIGN, QUERY TASK
    case 2: case 4: case 5: case 10: return 'lun'; // ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET, QUERY TASK SET
    case 6: case 7: case 11: return 'target'; // TARGET WARM/COLD RESET, I_T NEXUS RESET
    default: return 'none';
  }
}

/** TMF functions that complete without ending the task they name: TASK REASSIGN, QUERY TASK, QUERY TASK SET. */
export function tmfEndsTasks(fn: number): boolean {
  return fn !== 8 && fn !== 9 && fn !== 10;
}
