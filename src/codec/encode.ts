// encodePdu: typed input → wire bytes (BHS + AHS + header digest + data + padding + data digest).
// Defaults make a valid PDU from just an opcode; see PduInput in types.ts. Unlike decodePdu, the
// encoder throws (RangeError) on input it cannot represent: an ISID that is not 6 bytes, more than
// 1020 bytes of AHS, a data segment above 2^24 − 1 bytes, an output buffer that is too small.

import { fromHex, putU16, putU24, putU32, putU32le, u32 } from './bytes.ts';
import {
  BHS_LENGTH, DIGEST_LENGTH, MAX_DATA_SEGMENT_LENGTH, OP_ASYNC_MESSAGE, OP_DATA_IN, OP_DATA_OUT,
  OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, OP_LOGOUT_REQUEST, OP_LOGOUT_RESPONSE, OP_NOP_IN, OP_NOP_OUT, OP_R2T,
  OP_REJECT, OP_SCSI_COMMAND, OP_SCSI_RESPONSE, OP_SNACK_REQUEST, OP_TASK_MGMT_REQUEST, OP_TASK_MGMT_RESPONSE,
  OP_TEXT_REQUEST, OP_TEXT_RESPONSE, RESERVED_TAG,
} from './bhs.ts';
import { crc32c } from './crc32c.ts';
import { AHS_BIDI_READ_LENGTH, AHS_EXTENDED_CDB } from './names.ts';
import { buildSense } from './scsi.ts';
import { encodeTextKeys } from './textkeys.ts';
import type { DigestOptions, PduInput } from './types.ts';

const EMPTY = new Uint8Array(0);
const FF = RESERVED_TAG;

/** Writes a LUN number into 8 bytes at o: < 256 as SAM-2 peripheral (00 nn), < 16384 as flat
 *  (0x40|hi, lo), up to 65535 as the raw first two bytes; bytes 2–7 zero. */
export function writeLun(out: Uint8Array, o: number, lun: number): void {
  out.fill(0, o, o + 8);
  if (lun < 256) out[o + 1] = lun;
  else if (lun < 16384) putU16(out, o, 0x4000 | lun);
  else putU16(out, o, lun & 0xffff);
}

function bytesOf(v: Uint8Array | string, what: string, size: number): Uint8Array {
  const b = typeof v === 'string' ? fromHex(v) : v;
  if (b === undefined || b.length !== size) throw new RangeError(`${what} must be ${size} bytes`);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The data segment the input describes (keys / sense / rejected header first, then `data`). */
export function dataSegmentOf(input: PduInput): Uint8Array {
  const parts: Uint8Array[] = [];
  if (input.keys !== undefined) parts.push(encodeTextKeys(input.keys));
  if (input.sense !== undefined) {
    const s = input.sense instanceof Uint8Array ? input.sense : buildSense(input.sense);
    const len = new Uint8Array(2);
    putU16(len, 0, s.length);
    parts.push(len, s);
  }
  if (input.opcode === OP_REJECT && input.rejectedBhs !== undefined) parts.push(input.rejectedBhs);
  if (input.data !== undefined) parts.push(input.data);
  return parts.length === 0 ? EMPTY : concat(parts);
}

/** The AHS bytes the input describes: Extended CDB (cdb > 16 bytes), bidi read length, then `ahs`. */
export function ahsOf(input: PduInput): Uint8Array {
  const parts: Uint8Array[] = [];
  const add = (type: number, data: Uint8Array): void => {
    const a = new Uint8Array((3 + data.length + 3) & ~3);
    putU16(a, 0, data.length);
    a[2] = type;
    a.set(data, 3);
    parts.push(a);
  };
  if (input.opcode === OP_SCSI_COMMAND) {
    if (input.cdb !== undefined && input.cdb.length > 16) {
      const ext = new Uint8Array(input.cdb.length - 15); // reserved byte + CDB bytes 16..
      ext.set(input.cdb.subarray(16), 1);
      add(AHS_EXTENDED_CDB, ext);
    }
    if (input.bidiReadLength !== undefined) {
      const d = new Uint8Array(5);
      putU32(d, 1, input.bidiReadLength);
      add(AHS_BIDI_READ_LENGTH, d);
    }
  }
  if (input.ahs !== undefined) for (const a of input.ahs) add(a.type, a.data);
  const all = parts.length === 0 ? EMPTY : concat(parts);
  if (all.length > 255 * 4) throw new RangeError(`AHS of ${all.length} bytes exceeds 1020`);
  return all;
}

function flag(v: boolean | undefined, bit: number, dflt = false): number {
  return (v ?? dflt) ? bit : 0;
}

// Fills the 48 BHS bytes at o (which the caller has zeroed).
function writeBhs(input: PduInput, b: Uint8Array, o: number, ahsWords: number, dsl: number): void {
  const op = input.opcode;
  const seqT = (statSN?: number, expCmdSN?: number, maxCmdSN?: number): void => {
    putU32(b, o + 24, statSN ?? 0);
    putU32(b, o + 28, expCmdSN ?? 0);
    putU32(b, o + 32, maxCmdSN ?? 0);
  };
  const seqI = (cmdSN?: number, expStatSN?: number): void => {
    putU32(b, o + 24, cmdSN ?? 0);
    putU32(b, o + 28, expStatSN ?? 0);
  };
  let f1 = flag(input.final, 0x80, true);
  let itt = input.itt ?? 0;
  let hasLun = true;
  let immediate = input.immediate ?? false;
  switch (input.opcode) {
    case OP_NOP_OUT:
      putU32(b, o + 20, input.ttt ?? FF);
      seqI(input.cmdSN, input.expStatSN);
      break;
    case OP_NOP_IN:
      itt = input.itt ?? FF;
      putU32(b, o + 20, input.ttt ?? FF);
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      break;
    case OP_SCSI_COMMAND: {
      f1 |= flag(input.read, 0x40) | flag(input.write, 0x20) | ((input.attr ?? 0) & 0x07);
      b[o + 3] = input.crn ?? 0;
      putU32(b, o + 20, input.expectedDataTransferLength ?? 0);
      seqI(input.cmdSN, input.expStatSN);
      if (input.cdb !== undefined) b.set(input.cdb.subarray(0, 16), o + 32);
      else if (input.scsiOpcode !== undefined) b[o + 32] = input.scsiOpcode;
      break;
    }
    case OP_SCSI_RESPONSE:
      hasLun = false;
      f1 |= flag(input.bidiOverflow, 0x10) | flag(input.bidiUnderflow, 0x08) | flag(input.overflow, 0x04) |
        flag(input.underflow, 0x02);
      b[o + 2] = input.response ?? 0;
      b[o + 3] = input.status ?? 0;
      putU32(b, o + 20, input.snackTag ?? 0);
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      putU32(b, o + 36, input.expDataSN ?? 0);
      putU32(b, o + 40, input.bidiReadResidualCount ?? 0);
      putU32(b, o + 44, input.residualCount ?? 0);
      break;
    case OP_TASK_MGMT_REQUEST:
      f1 |= (input.tmfFunction ?? 1) & 0x7f;
      putU32(b, o + 20, input.referencedTaskTag ?? FF);
      seqI(input.cmdSN, input.expStatSN);
      putU32(b, o + 32, input.refCmdSN ?? 0);
      putU32(b, o + 36, input.expDataSN ?? 0);
      break;
    case OP_TASK_MGMT_RESPONSE:
      hasLun = false;
      b[o + 2] = input.response ?? 0;
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      break;
    case OP_LOGIN_REQUEST:
    case OP_LOGIN_RESPONSE: {
      hasLun = false;
      f1 = flag(input.transit ?? input.final, 0x80) | flag(input.cont, 0x40) | (((input.csg ?? 0) & 3) << 2) |
        ((input.nsg ?? 0) & 3);
      b[o + 2] = input.versionMax ?? 0;
      if (input.isid !== undefined) b.set(bytesOf(input.isid, 'ISID', 6), o + 8);
      putU16(b, o + 14, input.tsih ?? 0);
      if (input.opcode === OP_LOGIN_REQUEST) {
        immediate = input.immediate ?? true;
        b[o + 3] = input.versionMin ?? 0;
        putU16(b, o + 20, input.cid ?? 0);
        seqI(input.cmdSN, input.expStatSN);
      } else {
        b[o + 3] = input.versionActive ?? 0;
        seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
        b[o + 36] = input.loginStatusClass ?? 0;
        b[o + 37] = input.loginStatusDetail ?? 0;
      }
      break;
    }
    case OP_TEXT_REQUEST:
      f1 |= flag(input.cont, 0x40);
      putU32(b, o + 20, input.ttt ?? FF);
      seqI(input.cmdSN, input.expStatSN);
      break;
    case OP_TEXT_RESPONSE:
      f1 |= flag(input.cont, 0x40);
      putU32(b, o + 20, input.ttt ?? FF);
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      break;
    case OP_DATA_OUT:
      putU32(b, o + 20, input.ttt ?? FF);
      putU32(b, o + 28, input.expStatSN ?? 0);
      putU32(b, o + 36, input.dataSN ?? 0);
      putU32(b, o + 40, input.bufferOffset ?? 0);
      break;
    case OP_DATA_IN:
      f1 |= flag(input.ack, 0x40) | flag(input.overflow, 0x04) | flag(input.underflow, 0x02) |
        flag(input.statusPresent, 0x01);
      b[o + 3] = input.status ?? 0;
      putU32(b, o + 20, input.ttt ?? FF);
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      putU32(b, o + 36, input.dataSN ?? 0);
      putU32(b, o + 40, input.bufferOffset ?? 0);
      putU32(b, o + 44, input.residualCount ?? 0);
      break;
    case OP_LOGOUT_REQUEST:
      hasLun = false;
      f1 |= (input.logoutReason ?? 0) & 0x7f;
      putU16(b, o + 20, input.cid ?? 0);
      seqI(input.cmdSN, input.expStatSN);
      break;
    case OP_LOGOUT_RESPONSE:
      hasLun = false;
      b[o + 2] = input.response ?? 0;
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      putU16(b, o + 40, input.time2Wait ?? 0);
      putU16(b, o + 42, input.time2Retain ?? 0);
      break;
    case OP_SNACK_REQUEST:
      f1 |= (input.snackType ?? 0) & 0x0f;
      putU32(b, o + 20, input.ttt ?? FF);
      putU32(b, o + 28, input.expStatSN ?? 0);
      putU32(b, o + 40, input.begRun ?? 0);
      putU32(b, o + 44, input.runLength ?? 0);
      break;
    case OP_R2T:
      putU32(b, o + 20, input.ttt ?? 0);
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      putU32(b, o + 36, input.r2tSN ?? 0);
      putU32(b, o + 40, input.bufferOffset ?? 0);
      putU32(b, o + 44, input.desiredDataTransferLength ?? 0);
      break;
    case OP_ASYNC_MESSAGE:
      itt = input.itt ?? FF;
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      b[o + 36] = input.asyncEvent ?? 0;
      b[o + 37] = input.asyncVCode ?? 0;
      putU16(b, o + 38, input.parameter1 ?? 0);
      putU16(b, o + 40, input.parameter2 ?? 0);
      putU16(b, o + 42, input.parameter3 ?? 0);
      break;
    case OP_REJECT:
      hasLun = false;
      itt = input.itt ?? FF;
      b[o + 2] = input.rejectReason ?? 0x04;
      seqT(input.statSN, input.expCmdSN, input.maxCmdSN);
      putU32(b, o + 36, input.dataSN ?? 0);
      break;
    default: {
      // Vendor-specific / undefined opcode: start from the given header, then apply what was asked.
      hasLun = input.lun !== undefined || input.lunRaw !== undefined;
      if (input.bhs !== undefined) b.set(input.bhs.subarray(0, BHS_LENGTH), o);
      const base1 = b[o + 1];
      f1 = input.final === undefined ? base1 : (base1 & 0x7f) | (input.final ? 0x80 : 0);
      if (input.immediate === undefined) immediate = (b[o] & 0x40) !== 0;
      if (input.itt === undefined) itt = u32(b, o + 16);
      break;
    }
  }
  b[o] = (b[o] & 0x80) | (immediate ? 0x40 : 0) | op;
  b[o + 1] = input.flags ?? f1;
  b[o + 4] = input.totalAHSLength ?? ahsWords;
  putU24(b, o + 5, input.dataSegmentLength ?? dsl);
  putU32(b, o + 16, itt);
  if (hasLun) {
    if (input.lunRaw !== undefined) b.set(bytesOf(input.lunRaw, 'lunRaw', 8), o + 8);
    else writeLun(b, o + 8, input.lun ?? 0);
  }
}

/**
 * Writes the header alone — BHS + AHS (+ header digest) — at out[off] and returns the offset after
 * it. DataSegmentLength is `input.dataSegmentLength` if given, else the length of the input's data
 * segment; the caller then writes data, zero padding and (with data digests) crc32c of data +
 * padding, least-significant byte first. For generating big captures without copying payloads.
 */
export function encodeHeaderInto(input: PduInput, out: Uint8Array, off: number, opts?: DigestOptions): number {
  const ahs = ahsOf(input);
  const dsl = input.dataSegmentLength ?? dataSegmentOf(input).length;
  return writeHeader(input, out, off, ahs, dsl, opts);
}

function writeHeader(input: PduInput, out: Uint8Array, off: number, ahs: Uint8Array, dsl: number, opts?: DigestOptions): number {
  if (dsl > MAX_DATA_SEGMENT_LENGTH) throw new RangeError(`data segment of ${dsl} bytes exceeds 2^24 - 1`);
  const hlen = BHS_LENGTH + ahs.length + (opts?.headerDigest ? DIGEST_LENGTH : 0);
  if (off < 0 || out.length - off < hlen) throw new RangeError('output buffer too small for the header');
  out.fill(0, off, off + BHS_LENGTH);
  writeBhs(input, out, off, ahs.length / 4, dsl);
  out.set(ahs, off + BHS_LENGTH);
  let o = off + BHS_LENGTH + ahs.length;
  if (opts?.headerDigest) {
    putU32le(out, o, crc32c(out, off, o - off));
    o += DIGEST_LENGTH;
  }
  return o;
}

function pduSize(segLen: number, ahsLen: number, opts?: DigestOptions): number {
  return BHS_LENGTH + ahsLen + (opts?.headerDigest ? DIGEST_LENGTH : 0) + ((segLen + 3) & ~3) +
    (opts?.dataDigest && segLen > 0 ? DIGEST_LENGTH : 0);
}

// Header, data, zero padding, data digest; the caller has checked that out holds pduSize bytes.
function writePdu(input: PduInput, seg: Uint8Array, ahs: Uint8Array, out: Uint8Array, off: number, opts?: DigestOptions): number {
  const dataStart = writeHeader(input, out, off, ahs, input.dataSegmentLength ?? seg.length, opts);
  const padded = (seg.length + 3) & ~3;
  out.set(seg, dataStart);
  out.fill(0, dataStart + seg.length, dataStart + padded);
  let o = dataStart + padded;
  if (opts?.dataDigest && seg.length > 0) {
    putU32le(out, o, crc32c(out, dataStart, padded));
    o += DIGEST_LENGTH;
  }
  return o;
}

/** Bytes encodePdu will produce for this input. */
export function encodedLength(input: PduInput, opts?: DigestOptions): number {
  return pduSize(dataSegmentOf(input).length, ahsOf(input).length, opts);
}

/** Writes the whole PDU at out[off]; returns the offset after it. */
export function encodePduInto(input: PduInput, out: Uint8Array, off: number, opts?: DigestOptions): number {
  const seg = dataSegmentOf(input);
  const ahs = ahsOf(input);
  const total = pduSize(seg.length, ahs.length, opts);
  if (off < 0 || out.length - off < total) throw new RangeError(`output buffer too small (${total} bytes needed)`);
  return writePdu(input, seg, ahs, out, off, opts);
}

/**
 * Encodes a PDU, e.g. encodePdu({ opcode: 0x00, immediate: true, itt: 5, ttt: 0xffffffff, lun: 0,
 * cmdSN: 1, expStatSN: 1 }). Digests as negotiated on the connection (never on Login PDUs).
 */
export function encodePdu(input: PduInput, opts?: DigestOptions): Uint8Array {
  const seg = dataSegmentOf(input);
  const ahs = ahsOf(input);
  const out = new Uint8Array(pduSize(seg.length, ahs.length, opts));
  writePdu(input, seg, ahs, out, 0, opts);
  return out;
}
