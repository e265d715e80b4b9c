import type { PduColumns } from '../engine/pdu-table.ts';
import { PduState } from '../engine/pdu-table.ts';

/**
 * Reading the raw BHS words of the PDU columns by their RFC 7143 §11 names. Which word holds what
 * depends on the opcode; the callers know the opcode, these only name the bytes.
 */

/** The reserved tag value (RFC 7143 §11.2.1.8): "no task" / "no answer expected". */
export const RESERVED_TAG = 0xffffffff;

export const Op = {
  NopOut: 0x00, ScsiCommand: 0x01, TmfRequest: 0x02, LoginRequest: 0x03, TextRequest: 0x04, DataOut: 0x05,
  LogoutRequest: 0x06, Snack: 0x10,
  NopIn: 0x20, ScsiResponse: 0x21, TmfResponse: 0x22, LoginResponse: 0x23, TextResponse: 0x24, DataIn: 0x25,
  LogoutResponse: 0x26, R2T: 0x31, Async: 0x32, Reject: 0x3f,
} as const;

export function opcode(c: PduColumns, i: number): number {
  return c.b0[i] & 0x3f;
}

/** Target opcodes are 0x20-0x3f. */
export function isTargetOpcode(op: number): boolean {
  return (op & 0x20) !== 0;
}

export function isImmediate(c: PduColumns, i: number): boolean {
  return (c.b0[i] & 0x40) !== 0;
}

/** Initiator PDUs: bytes 20-23 TTT (NOP-Out, Text, Data-Out), 24-27 CmdSN, 28-31 ExpStatSN. */
export function ttt(c: PduColumns, i: number): number { return c.w20[i]; }
export function cmdSN(c: PduColumns, i: number): number { return c.w24[i]; }
export function expStatSN(c: PduColumns, i: number): number { return c.w28[i]; }

/** Target PDUs: bytes 24-27 StatSN, 28-31 ExpCmdSN, 32-35 MaxCmdSN. */
export function statSN(c: PduColumns, i: number): number { return c.w24[i]; }
export function expCmdSN(c: PduColumns, i: number): number { return c.w28[i]; }
export function maxCmdSN(c: PduColumns, i: number): number { return c.w32[i]; }

/** Bytes 4-7: DataSegmentLength (low 24 bits) and TotalAHSLength in 4-byte words (high byte). */
export function dataSegmentLength(c: PduColumns, i: number): number { return c.w4[i] & 0xffffff; }
export function totalAhsWords(c: PduColumns, i: number): number { return c.w4[i] >>> 24; }

/** SCSI Command: CDB byte 0 (BHS byte 32). */
export function scsiOpcode(c: PduColumns, i: number): number { return c.w32[i] >>> 24; }

/** SCSI Response / Data-In: the SCSI status byte (byte 3). */
export function scsiStatus(c: PduColumns, i: number): number { return c.b3[i]; }

/** Data-In S bit (byte 1 & 0x01): the PDU carries the command's status and a StatSN. */
export function dataInHasStatus(c: PduColumns, i: number): boolean {
  return (c.b1[i] & 0x01) !== 0;
}

/** Login Response status class (byte 36) and detail (byte 37). */
export function loginStatusClass(c: PduColumns, i: number): number { return c.w36[i] >>> 24; }
export function loginStatusDetail(c: PduColumns, i: number): number { return (c.w36[i] >>> 16) & 0xff; }

/** Login PDU byte 1: T (0x80) and NSG (low 2 bits); NSG 3 = Full Feature Phase. */
export function loginTransitToFullFeature(c: PduColumns, i: number): boolean {
  return (c.b1[i] & 0x80) !== 0 && (c.b1[i] & 0x03) === 3;
}

/** Digest checks kept in the state bits (DigestCheck of src/iscsi/framer.ts: 2 = Bad). */
export const DIGEST_BAD = 2;
export function headerDigestCheck(c: PduColumns, i: number): number {
  return (c.state[i] >> PduState.HeaderDigestShift) & 3;
}
export function dataDigestCheck(c: PduColumns, i: number): number {
  return (c.state[i] >> PduState.DataDigestShift) & 3;
}
export function isResynced(c: PduColumns, i: number): boolean {
  return (c.state[i] & PduState.Resynced) !== 0;
}
export function isTruncated(c: PduColumns, i: number): boolean {
  return (c.state[i] & PduState.Truncated) !== 0;
}

/**
 * Does this target PDU consume a StatSN (RFC 7143 §4.2.2)? SCSI/TMF/Login/Text/Logout Responses,
 * Async Message, Reject, a NOP-In answering a ping (ITT ≠ 0xffffffff) and a Data-In with S = 1 do;
 * R2T and a NOP-In with ITT 0xffffffff only carry the next StatSN; a Data-In with S = 0 has none.
 */
export function advancesStatSN(c: PduColumns, i: number, op: number): boolean {
  switch (op) {
    case Op.ScsiResponse: case Op.TmfResponse: case Op.LoginResponse: case Op.TextResponse:
    case Op.LogoutResponse: case Op.Async: case Op.Reject:
      return true;
    case Op.NopIn: return c.itt[i] !== RESERVED_TAG;
    case Op.DataIn: return dataInHasStatus(c, i);
    default: return false;
  }
}

/** Target PDUs that carry the next StatSN without consuming it. */
export function carriesNextStatSN(c: PduColumns, i: number, op: number): boolean {
  return op === Op.R2T || (op === Op.NopIn && c.itt[i] === RESERVED_TAG);
}

/** Initiator PDUs with an ExpStatSN field (all but vendor-specific ones). */
export function carriesExpStatSN(op: number): boolean {
  return op === Op.NopOut || op === Op.ScsiCommand || op === Op.TmfRequest || op === Op.LoginRequest
    || op === Op.TextRequest || op === Op.DataOut || op === Op.LogoutRequest || op === Op.Snack;
}

/** Initiator PDUs that are commands in the CmdSN sense (RFC 7143 §3.2.2.1); Login is left out:
 *  no window exists before the first Login Response. */
export function isCommand(op: number): boolean {
  return op === Op.NopOut || op === Op.ScsiCommand || op === Op.TmfRequest || op === Op.TextRequest
    || op === Op.LogoutRequest;
}

/** Target PDUs with ExpCmdSN / MaxCmdSN (all defined ones). */
export function carriesCmdWindow(op: number): boolean {
  return op === Op.NopIn || op === Op.ScsiResponse || op === Op.TmfResponse || op === Op.LoginResponse
    || op === Op.TextResponse || op === Op.DataIn || op === Op.LogoutResponse || op === Op.R2T
    || op === Op.Async || op === Op.Reject;
}
