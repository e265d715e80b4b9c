// Is this a plausible BHS? Header rules of RFC 7143 §11 that a sender MUST follow and that can be
// checked from the 48 header bytes alone. Used two ways:
//  - bhsProblem(): the framer's resynchronisation test (first problem only, no allocation on the
//    common failing paths — every message below is a constant or built only when returned);
//  - collectBhsProblems(): every problem, for decodePdu's `problems`.

import { allZero, hexNum, u24, u32 } from './bytes.ts';
import {
  BIT_FINAL, BIT_IMMEDIATE, OP_ASYNC_MESSAGE, OP_DATA_IN, OP_DATA_OUT, OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE,
  OP_LOGOUT_REQUEST, OP_LOGOUT_RESPONSE, OP_NOP_IN, OP_NOP_OUT, OP_R2T, OP_REJECT, OP_SCSI_COMMAND,
  OP_SCSI_RESPONSE, OP_SNACK_REQUEST, OP_TASK_MGMT_REQUEST, OP_TASK_MGMT_RESPONSE, OP_TEXT_REQUEST,
  OP_TEXT_RESPONSE, RESERVED_TAG, isKnownOpcode, isTargetOpcode, isVendorOpcode,
} from './bhs.ts';
import { isScsiStatus } from './scsi.ts';

export interface BhsCheckOptions {
  /** Accept vendor-specific opcodes (0x1c–0x1e, 0x3c–0x3e). Off by default: their headers have no
   *  fixed fields to check, so about 1 random block in 60 would pass as one. */
  acceptVendor?: boolean;
}

// Messages of the checks that reject most non-headers, made once so a resync scan does not allocate.
const MSG_UNDEFINED: string[] = [];
const MSG_VENDOR: string[] = [];
const MSG_WRONG_DIRECTION: string[] = [];
for (let op = 0; op < 64; op++) {
  MSG_UNDEFINED.push(`undefined opcode ${hexNum(op)}`);
  MSG_VENDOR.push(`vendor-specific opcode ${hexNum(op)}`);
  MSG_WRONG_DIRECTION.push(isTargetOpcode(op) ? `target opcode ${hexNum(op)} sent by the initiator` : `initiator opcode ${hexNum(op)} sent by the target`);
}

// Returns msg (stop) when collecting only the first problem, else records it and returns undefined.
function bad(out: string[] | undefined, msg: string): string | undefined {
  if (out === undefined) return msg;
  out.push(msg);
  return undefined;
}

function loginStagesProblem(flags: number): string | undefined {
  const t = (flags & 0x80) !== 0;
  const c = (flags & 0x40) !== 0;
  const csg = (flags >> 2) & 3;
  const nsg = flags & 3;
  if (t && c) return 'Login with both T and C set';
  if (csg === 2 || csg === 3) return `Login CSG ${csg} (only 0 or 1 during login)`;
  if (t && (nsg === 2 || nsg <= csg)) return `Login transit from CSG ${csg} to NSG ${nsg}`;
  return undefined;
}

// The rules about byte 0 alone: reserved bit, opcode, direction, I bit.
function byte0Problems(b0: number, fromTarget: boolean | undefined, acceptVendor: boolean, out: string[] | undefined): string | undefined {
  let r: string | undefined;
  const op = b0 & 0x3f;
  const target = isTargetOpcode(op);
  if ((b0 & 0x80) !== 0 && (r = bad(out, 'reserved bit 0x80 of byte 0 is set')) !== undefined) return r;
  if (!isKnownOpcode(op)) {
    if (isVendorOpcode(op)) {
      if (!acceptVendor && (r = bad(out, MSG_VENDOR[op])) !== undefined) return r;
    } else if ((r = bad(out, MSG_UNDEFINED[op])) !== undefined) return r;
  }
  if (fromTarget !== undefined && fromTarget !== target && (r = bad(out, MSG_WRONG_DIRECTION[op])) !== undefined) return r;
  const imm = (b0 & BIT_IMMEDIATE) !== 0;
  if (target) {
    if (imm && (r = bad(out, 'I bit set on a target PDU')) !== undefined) return r;
  } else if (op === OP_DATA_OUT || op === OP_SNACK_REQUEST) {
    if (imm && (r = bad(out, 'I bit set on a Data-Out or SNACK')) !== undefined) return r;
  } else if (op === OP_LOGIN_REQUEST) {
    if (!imm && (r = bad(out, 'I bit not set on a Login Request')) !== undefined) return r;
  }
  return undefined;
}

/**
 * Checks 48 bytes at `off` (the caller ensures they are present) against the header rules.
 * fromTarget: the direction the bytes travel (true: target → initiator), or undefined to skip the
 * direction rule. `out` collects every problem; without it the first problem is returned.
 */
export function checkBhs(
  b: Uint8Array, o: number, fromTarget: boolean | undefined, out: string[] | undefined, opts?: BhsCheckOptions,
): string | undefined {
  let r: string | undefined;
  const b0 = b[o];
  const op = b0 & 0x3f;
  const flags = b[o + 1];
  const imm = (b0 & BIT_IMMEDIATE) !== 0;
  if ((r = byte0Problems(b0, fromTarget, opts?.acceptVendor === true, out)) !== undefined) return r;
  if (!isKnownOpcode(op)) return undefined;

  const ahs = b[o + 4];
  const dsl = u24(b, o + 5);
  const itt = u32(b, o + 16);
  if (ahs !== 0 && op !== OP_SCSI_COMMAND && (r = bad(out, 'TotalAHSLength not 0 (AHS are defined only for SCSI Command)')) !== undefined) return r;
  const f = (flags & BIT_FINAL) !== 0;
  const fixedF = op !== OP_SCSI_COMMAND && op !== OP_TEXT_REQUEST && op !== OP_TEXT_RESPONSE &&
    op !== OP_DATA_OUT && op !== OP_DATA_IN && op !== OP_LOGIN_REQUEST && op !== OP_LOGIN_RESPONSE;
  if (fixedF && !f && (r = bad(out, 'F bit not set (always 1 for this opcode)')) !== undefined) return r;
  const noData = op === OP_TASK_MGMT_REQUEST || op === OP_TASK_MGMT_RESPONSE || op === OP_R2T ||
    op === OP_LOGOUT_REQUEST || op === OP_LOGOUT_RESPONSE || op === OP_SNACK_REQUEST;
  if (noData && dsl !== 0 && (r = bad(out, 'DataSegmentLength not 0 on a PDU without data segment')) !== undefined) return r;
  const ittAllOnes = itt === RESERVED_TAG;

  switch (op) {
    case OP_NOP_OUT: {
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 32, 48) && (r = bad(out, 'reserved bytes 32-47 not zero')) !== undefined) return r;
      const ttt = u32(b, o + 20);
      if (!ittAllOnes && ttt !== RESERVED_TAG && (r = bad(out, 'NOP-Out with both ITT and TTT not 0xffffffff')) !== undefined) return r;
      if (ittAllOnes && !imm && (r = bad(out, 'NOP-Out with ITT 0xffffffff must be immediate')) !== undefined) return r;
      break;
    }
    case OP_NOP_IN: {
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 36, 48) && (r = bad(out, 'reserved bytes 36-47 not zero')) !== undefined) return r;
      if (!ittAllOnes && u32(b, o + 20) !== RESERVED_TAG && (r = bad(out, 'NOP-In with both ITT and TTT not 0xffffffff')) !== undefined) return r;
      break;
    }
    case OP_SCSI_COMMAND: {
      if ((flags & 0x18) !== 0 && (r = bad(out, 'reserved flag bits 0x18 set')) !== undefined) return r;
      if ((flags & 0x07) > 4 && (r = bad(out, `reserved task attribute ${flags & 7}`)) !== undefined) return r;
      if (!f && (flags & 0x20) === 0 && (r = bad(out, 'F = 0 on a command that is not a write')) !== undefined) return r;
      if (dsl !== 0 && (flags & 0x20) === 0 && (r = bad(out, 'immediate data on a command that is not a write')) !== undefined) return r;
      if (b[o + 2] !== 0 && (r = bad(out, 'reserved byte 2 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a SCSI Command')) !== undefined) return r;
      break;
    }
    case OP_SCSI_RESPONSE: {
      if ((flags & 0x61) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if ((flags & 0x18) === 0x18 && (r = bad(out, 'both o and u set')) !== undefined) return r;
      if ((flags & 0x06) === 0x06 && (r = bad(out, 'both O and U set')) !== undefined) return r;
      const resp = b[o + 2];
      if (resp > 1 && resp < 0x80 && (r = bad(out, `reserved iSCSI response ${hexNum(resp)}`)) !== undefined) return r;
      if (resp === 0 && !isScsiStatus(b[o + 3]) && (r = bad(out, `undefined SCSI status ${hexNum(b[o + 3])}`)) !== undefined) return r;
      if (!allZero(b, o, 8, 16) && (r = bad(out, 'reserved bytes 8-15 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a SCSI Response')) !== undefined) return r;
      break;
    }
    case OP_TASK_MGMT_REQUEST: {
      const fn = flags & 0x7f;
      if ((fn === 0 || fn > 12) && (r = bad(out, `undefined task management function ${fn}`)) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 40, 48) && (r = bad(out, 'reserved bytes 40-47 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Task Management request')) !== undefined) return r;
      break;
    }
    case OP_TASK_MGMT_RESPONSE: {
      const resp = b[o + 2];
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (resp > 7 && resp !== 255 && (r = bad(out, `undefined task management response ${resp}`)) !== undefined) return r;
      if (b[o + 3] !== 0 && (r = bad(out, 'reserved byte 3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 8, 16) && (r = bad(out, 'reserved bytes 8-15 not zero')) !== undefined) return r;
      if (!allZero(b, o, 20, 24) && (r = bad(out, 'reserved bytes 20-23 not zero')) !== undefined) return r;
      if (!allZero(b, o, 36, 48) && (r = bad(out, 'reserved bytes 36-47 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Task Management response')) !== undefined) return r;
      break;
    }
    case OP_LOGIN_REQUEST: {
      if ((flags & 0x30) !== 0 && (r = bad(out, 'reserved flag bits 0x30 set')) !== undefined) return r;
      if ((b[o + 8] & 0xc0) === 0xc0 && (r = bad(out, 'reserved ISID type 3')) !== undefined) return r;
      const stages = loginStagesProblem(flags);
      if (stages !== undefined && (r = bad(out, stages)) !== undefined) return r;
      if (b[o + 3] > b[o + 2] && (r = bad(out, 'Version-min above Version-max')) !== undefined) return r;
      if (!allZero(b, o, 22, 24) && (r = bad(out, 'reserved bytes 22-23 not zero')) !== undefined) return r;
      if (!allZero(b, o, 32, 48) && (r = bad(out, 'reserved bytes 32-47 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Login Request')) !== undefined) return r;
      break;
    }
    case OP_LOGIN_RESPONSE: {
      if ((flags & 0x30) !== 0 && (r = bad(out, 'reserved flag bits 0x30 set')) !== undefined) return r;
      if ((b[o + 8] & 0xc0) === 0xc0 && (r = bad(out, 'reserved ISID type 3')) !== undefined) return r;
      const cls = b[o + 36];
      if (cls > 3 && (r = bad(out, `undefined login status class ${cls}`)) !== undefined) return r;
      if (cls === 0) {
        const stages = loginStagesProblem(flags);
        if (stages !== undefined && (r = bad(out, stages)) !== undefined) return r;
      }
      if (!allZero(b, o, 20, 24) && (r = bad(out, 'reserved bytes 20-23 not zero')) !== undefined) return r;
      if (!allZero(b, o, 38, 48) && (r = bad(out, 'reserved bytes 38-47 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Login Response')) !== undefined) return r;
      break;
    }
    case OP_TEXT_REQUEST:
    case OP_TEXT_RESPONSE: {
      if ((flags & 0x3f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (f && (flags & 0x40) !== 0 && (r = bad(out, 'Text PDU with both F and C set')) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      const from = op === OP_TEXT_REQUEST ? 32 : 36;
      if (!allZero(b, o, from, 48) && (r = bad(out, `reserved bytes ${from}-47 not zero`)) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Text PDU')) !== undefined) return r;
      break;
    }
    case OP_DATA_OUT: {
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 24, 28) && (r = bad(out, 'reserved bytes 24-27 not zero')) !== undefined) return r;
      if (!allZero(b, o, 32, 36) && (r = bad(out, 'reserved bytes 32-35 not zero')) !== undefined) return r;
      if (!allZero(b, o, 44, 48) && (r = bad(out, 'reserved bytes 44-47 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Data-Out')) !== undefined) return r;
      break;
    }
    case OP_DATA_IN: {
      if ((flags & 0x38) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      const s = (flags & 0x01) !== 0;
      if (s && !f && (r = bad(out, 'S set without F')) !== undefined) return r;
      // Beyond RFC 7143 (it only says 0-length data segments "should be avoided"): a Data-In that
      // carries neither data nor status says nothing; rejecting it keeps "25 00 00 …" runs out.
      if (!s && dsl === 0 && (r = bad(out, 'Data-In with neither data nor status')) !== undefined) return r;
      if ((flags & 0x06) === 0x06 && (r = bad(out, 'both O and U set')) !== undefined) return r;
      if (b[o + 2] !== 0 && (r = bad(out, 'reserved byte 2 not zero')) !== undefined) return r;
      if (s && !isScsiStatus(b[o + 3]) && (r = bad(out, `undefined SCSI status ${hexNum(b[o + 3])}`)) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Data-In')) !== undefined) return r;
      break;
    }
    case OP_LOGOUT_REQUEST: {
      const reason = flags & 0x7f;
      if (reason > 2 && (r = bad(out, `undefined logout reason ${reason}`)) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 8, 16) && (r = bad(out, 'reserved bytes 8-15 not zero')) !== undefined) return r;
      if (!allZero(b, o, 22, 24) && (r = bad(out, 'reserved bytes 22-23 not zero')) !== undefined) return r;
      if (!allZero(b, o, 32, 48) && (r = bad(out, 'reserved bytes 32-47 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Logout Request')) !== undefined) return r;
      break;
    }
    case OP_LOGOUT_RESPONSE: {
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (b[o + 2] > 3 && (r = bad(out, `undefined logout response ${b[o + 2]}`)) !== undefined) return r;
      if (b[o + 3] !== 0 && (r = bad(out, 'reserved byte 3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 8, 16) && (r = bad(out, 'reserved bytes 8-15 not zero')) !== undefined) return r;
      if (!allZero(b, o, 20, 24) && (r = bad(out, 'reserved bytes 20-23 not zero')) !== undefined) return r;
      if (!allZero(b, o, 36, 40) && (r = bad(out, 'reserved bytes 36-39 not zero')) !== undefined) return r;
      if (!allZero(b, o, 44, 48) && (r = bad(out, 'reserved bytes 44-47 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on a Logout Response')) !== undefined) return r;
      break;
    }
    case OP_SNACK_REQUEST: {
      if ((flags & 0x70) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if ((flags & 0x0f) > 3 && (r = bad(out, `undefined SNACK type ${flags & 0x0f}`)) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 24, 28) && (r = bad(out, 'reserved bytes 24-27 not zero')) !== undefined) return r;
      if (!allZero(b, o, 32, 40) && (r = bad(out, 'reserved bytes 32-39 not zero')) !== undefined) return r;
      break;
    }
    case OP_R2T: {
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (ittAllOnes && (r = bad(out, 'ITT 0xffffffff on an R2T')) !== undefined) return r;
      if (u32(b, o + 20) === RESERVED_TAG && (r = bad(out, 'TTT 0xffffffff on an R2T')) !== undefined) return r;
      if (u32(b, o + 44) === 0 && (r = bad(out, 'R2T with Desired Data Transfer Length 0')) !== undefined) return r;
      break;
    }
    case OP_ASYNC_MESSAGE: {
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      if (!allZero(b, o, 2, 4) && (r = bad(out, 'reserved bytes 2-3 not zero')) !== undefined) return r;
      if (!ittAllOnes && (r = bad(out, 'Asynchronous Message with ITT not 0xffffffff')) !== undefined) return r;
      if (!allZero(b, o, 20, 24) && (r = bad(out, 'reserved bytes 20-23 not zero')) !== undefined) return r;
      if (!allZero(b, o, 44, 48) && (r = bad(out, 'reserved bytes 44-47 not zero')) !== undefined) return r;
      const ev = b[o + 36];
      if (ev > 4 && ev < 248 && (r = bad(out, `reserved async event ${ev}`)) !== undefined) return r;
      break;
    }
    case OP_REJECT: {
      if ((flags & 0x7f) !== 0 && (r = bad(out, 'reserved flag bits set')) !== undefined) return r;
      const reason = b[o + 2];
      if ((reason === 0 || reason > 0x0c) && (r = bad(out, `undefined reject reason ${hexNum(reason)}`)) !== undefined) return r;
      if (b[o + 3] !== 0 && (r = bad(out, 'reserved byte 3 not zero')) !== undefined) return r;
      if (!allZero(b, o, 8, 16) && (r = bad(out, 'reserved bytes 8-15 not zero')) !== undefined) return r;
      if (!ittAllOnes && (r = bad(out, 'Reject with ITT not 0xffffffff')) !== undefined) return r;
      if (!allZero(b, o, 20, 24) && (r = bad(out, 'reserved bytes 20-23 not zero')) !== undefined) return r;
      if (!allZero(b, o, 40, 48) && (r = bad(out, 'reserved bytes 40-47 not zero')) !== undefined) return r;
      if (dsl < 48 && (r = bad(out, 'Reject without the rejected 48-byte header')) !== undefined) return r;
      break;
    }
    default:
      break;
  }
  return undefined;
}

/**
 * undefined when the 48 bytes at `off` could be a valid BHS sent in that direction (fromTarget:
 * true for target → initiator), else a short reason. Strict enough for resynchronisation: ASCII
 * text and zero-filled blocks never pass (F bit / reserved bytes / direction), and random bytes
 * pass about once in a million (see test/codec/bhs-problem.test.ts). Fewer than 48 bytes → a reason.
 */
export function bhsProblem(bytes: Uint8Array, off: number, fromTarget: boolean, opts?: BhsCheckOptions): string | undefined {
  if (off < 0 || bytes.length - off < 48) return 'fewer than 48 bytes';
  // Byte 0 alone rejects most non-headers: answer those from a table (a resync scan calls this at
  // every offset), then run the full check.
  const first = (fromTarget ? (opts?.acceptVendor ? B0_TARGET_V : B0_TARGET) : (opts?.acceptVendor ? B0_INIT_V : B0_INIT))[bytes[off]];
  if (first !== undefined) return first;
  return checkBhs(bytes, off, fromTarget, undefined, opts);
}

// Byte-0 verdicts per direction and vendor option (the first byte-0 problem, or undefined).
function byte0Table(fromTarget: boolean, acceptVendor: boolean): (string | undefined)[] {
  const t: (string | undefined)[] = [];
  for (let b0 = 0; b0 < 256; b0++) t.push(byte0Problems(b0, fromTarget, acceptVendor, undefined));
  return t;
}
const B0_INIT = byte0Table(false, false);
const B0_TARGET = byte0Table(true, false);
const B0_INIT_V = byte0Table(false, true);
const B0_TARGET_V = byte0Table(true, true);

/** Every header-rule problem of the 48 bytes at `off` (direction not checked unless given). */
export function collectBhsProblems(bytes: Uint8Array, off: number, fromTarget?: boolean): string[] {
  const out: string[] = [];
  if (off < 0 || bytes.length - off < 48) {
    out.push('fewer than 48 bytes');
    return out;
  }
  checkBhs(bytes, off, fromTarget, out, { acceptVendor: true });
  return out;
}
