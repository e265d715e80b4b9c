// Basic Header Segment layout (RFC 7143 §11.2) and allocation-free accessors for the framer's hot path.
// Every accessor reads from (bytes, off) where off is the first byte of the BHS; the caller must
// have checked that the bytes it reads are present (BHS_LENGTH bytes for the whole header).

import { u24, u32 } from './bytes.ts';

export const BHS_LENGTH = 48;
/** Largest DataSegmentLength the 24-bit field can carry. */
export const MAX_DATA_SEGMENT_LENGTH = 0xffffff;
/** A digest (header or data) is 4 bytes on the wire. */
export const DIGEST_LENGTH = 4;
/** The reserved tag value (ITT / TTT) 0xffffffff. */
export const RESERVED_TAG = 0xffffffff;

// Byte offsets inside the BHS.
export const BHS_OPCODE = 0;
export const BHS_FLAGS = 1;
export const BHS_TOTAL_AHS_LENGTH = 4;
export const BHS_DATA_SEGMENT_LENGTH = 5;
export const BHS_LUN = 8;
export const BHS_ISID = 8;
export const BHS_TSIH = 14;
export const BHS_ITT = 16;
export const BHS_TTT = 20;
export const BHS_CID = 20;
export const BHS_CMDSN = 24;
export const BHS_STATSN = 24;
export const BHS_EXPSTATSN = 28;
export const BHS_EXPCMDSN = 28;
export const BHS_MAXCMDSN = 32;
export const BHS_CDB = 32;

// Bits of byte 0 and byte 1.
export const BIT_IMMEDIATE = 0x40;
export const OPCODE_MASK = 0x3f;
/** Set in every target opcode (0x20..0x3f). */
export const TARGET_OPCODE_BIT = 0x20;
export const BIT_FINAL = 0x80;

// Opcodes (RFC 7143 §11.2.1.2). Initiator:
export const OP_NOP_OUT = 0x00;
export const OP_SCSI_COMMAND = 0x01;
export const OP_TASK_MGMT_REQUEST = 0x02;
export const OP_LOGIN_REQUEST = 0x03;
export const OP_TEXT_REQUEST = 0x04;
export const OP_DATA_OUT = 0x05;
export const OP_LOGOUT_REQUEST = 0x06;
export const OP_SNACK_REQUEST = 0x10;
export const OP_VENDOR_I0 = 0x1c;
export const OP_VENDOR_I1 = 0x1d;
export const OP_VENDOR_I2 = 0x1e;
// Target:
export const OP_NOP_IN = 0x20;
export const OP_SCSI_RESPONSE = 0x21;
export const OP_TASK_MGMT_RESPONSE = 0x22;
export const OP_LOGIN_RESPONSE = 0x23;
export const OP_TEXT_RESPONSE = 0x24;
export const OP_DATA_IN = 0x25;
export const OP_LOGOUT_RESPONSE = 0x26;
export const OP_R2T = 0x31;
export const OP_ASYNC_MESSAGE = 0x32;
export const OP_VENDOR_T0 = 0x3c;
export const OP_VENDOR_T1 = 0x3d;
export const OP_VENDOR_T2 = 0x3e;
export const OP_REJECT = 0x3f;

/** The 6-bit opcode. */
export function bhsOpcode(b: Uint8Array, o: number): number {
  return b[o] & OPCODE_MASK;
}

/** The I (immediate delivery) bit of byte 0. */
export function bhsImmediate(b: Uint8Array, o: number): boolean {
  return (b[o] & BIT_IMMEDIATE) !== 0;
}

/** Byte 1: the F bit plus the opcode-specific flags. */
export function bhsFlags(b: Uint8Array, o: number): number {
  return b[o + 1];
}

/** The F (final) bit of byte 1 (the T bit for Login PDUs, which sits in the same place). */
export function bhsFinal(b: Uint8Array, o: number): boolean {
  return (b[o + 1] & BIT_FINAL) !== 0;
}

/** TotalAHSLength in 4-byte words, as in the header. */
export function bhsTotalAHSLength(b: Uint8Array, o: number): number {
  return b[o + BHS_TOTAL_AHS_LENGTH];
}

export function bhsDataSegmentLength(b: Uint8Array, o: number): number {
  return u24(b, o + BHS_DATA_SEGMENT_LENGTH);
}

export function bhsItt(b: Uint8Array, o: number): number {
  return u32(b, o + BHS_ITT);
}

/** Bytes 20..23: TTT, or CID (Login / Logout request), SNACK tag, RefTaskTag or EDTL by opcode. */
export function bhsTtt(b: Uint8Array, o: number): number {
  return u32(b, o + BHS_TTT);
}

/** True for opcodes a target sends (bit 0x20), false for initiator opcodes. */
export function isTargetOpcode(op: number): boolean {
  return (op & TARGET_OPCODE_BIT) !== 0;
}

/** Initiator and target opcodes that RFC 7143 defines (vendor-specific excluded). */
export function isKnownOpcode(op: number): boolean {
  return (op <= 0x06) || op === OP_SNACK_REQUEST || (op >= 0x20 && op <= 0x26) ||
    op === OP_R2T || op === OP_ASYNC_MESSAGE || op === OP_REJECT;
}

export function isVendorOpcode(op: number): boolean {
  return (op >= 0x1c && op <= 0x1e) || (op >= 0x3c && op <= 0x3e);
}

/** DataSegmentLength rounded up to a multiple of 4 (the padding is on the wire). */
export function paddedLength(dataSegmentLength: number): number {
  return (dataSegmentLength + 3) & ~3;
}

/** Header length on the wire: BHS + AHS (+ header digest). */
export function headerLength(b: Uint8Array, o: number, headerDigest: boolean): number {
  return BHS_LENGTH + b[o + BHS_TOTAL_AHS_LENGTH] * 4 + (headerDigest ? DIGEST_LENGTH : 0);
}

/** Whole PDU length on the wire, from the 48 bytes of its BHS: BHS + AHS (+ header digest) +
 *  data + padding (+ data digest, only when DataSegmentLength > 0). */
export function pduLength(b: Uint8Array, o: number, headerDigest: boolean, dataDigest: boolean): number {
  const dsl = u24(b, o + BHS_DATA_SEGMENT_LENGTH);
  return BHS_LENGTH + b[o + BHS_TOTAL_AHS_LENGTH] * 4 + (headerDigest ? DIGEST_LENGTH : 0) +
    ((dsl + 3) & ~3) + (dataDigest && dsl > 0 ? DIGEST_LENGTH : 0);
}
