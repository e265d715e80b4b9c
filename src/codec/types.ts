// The decoded PDU: a discriminated union by `opcode` (RFC 7143 §11). Field names follow the
// `pdus --format jsonl` keys of docs/findings.md where one exists (cmdSN, statSN, tmfFunction, csg …).
//
// Numbers: tags and sequence numbers are unsigned 32-bit (0 .. 4294967295); 0xffffffff is the
// reserved tag. Byte views (`data`, `senseData`, `rejectedBhs` …) point into the bytes given to
// decodePdu: copy them if you keep them past the input buffer's life. `cdb` is a copy.

import type { SenseInfo, SenseInput } from './scsi.ts';
import type { TextKey } from './textkeys.ts';

/** A received digest and, when verified, the CRC32C computed over the bytes it covers.
 *  Values are CRC32C values as crc32c() returns them (the wire carries them least-significant byte
 *  first; Wireshark prints the big-endian reading of the wire bytes, i.e. byteSwap32 of these). */
export interface DigestCheck {
  received: number;
  computed?: number;
  ok?: boolean;
}

/** One Additional Header Segment (RFC 7143 §11.2.2). */
export interface Ahs {
  /** AHSType: 1 Extended CDB, 2 Bidirectional Read Data Length. */
  type: number;
  /** AHSLength as in the header: the bytes after AHSType (type-specific byte + data), before padding. */
  length: number;
  /** View of those `length` bytes (first the type-specific / reserved byte, then the data). */
  data: Uint8Array;
}

export interface PduBase {
  /** RFC 7143 name of the opcode (opcodeName). */
  name: string;
  /** I bit (byte 0, 0x40). */
  immediate: boolean;
  /** F bit (byte 1, 0x80). For Login PDUs this bit is T (transit) and `final` mirrors it. */
  final: boolean;
  /** Byte 1 as on the wire (F plus opcode-specific flags). */
  flags: number;
  /** TotalAHSLength in 4-byte words, as in the header. */
  totalAHSLength: number;
  dataSegmentLength: number;
  itt: number;
  ahs: Ahs[];
  /** Present when decoded with headerDigest: true and the 4 bytes are there. */
  headerDigest?: DigestCheck;
  /** Present when decoded with dataDigest: true, DataSegmentLength > 0 and the bytes are there. */
  dataDigest?: DigestCheck;
  /** BHS + AHS (+ header digest) in bytes. */
  headerLength: number;
  /** Zero bytes after the data segment up to a multiple of 4 (0–3). */
  padding: number;
  /** Whole PDU on the wire: header + data + padding (+ data digest). */
  length: number;
  /** View of the data segment bytes present (without padding); shorter than dataSegmentLength when truncated. */
  data: Uint8Array;
  /** The bytes given did not hold the whole PDU (`length`). */
  truncated: boolean;
  /** What does not conform to RFC 7143 (reserved bits set, lengths out of range, bad digest …). */
  problems: string[];
}

export interface LunFields {
  /** The LUN's first level as a number, as Wireshark shows iscsi.lun / scsi.lun: the low 14 bits
   *  of bytes 8–9 (SAM-2 peripheral 0x00nn → nn, flat 0x40nn|… → 0..16383). */
  lun: number;
  /** The 8 LUN bytes as 16 lower-case hex digits, e.g. "0001000000000000". */
  lunRaw: string;
}

export interface InitiatorSeq {
  cmdSN: number;
  expStatSN: number;
}

export interface TargetSeq {
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

/** 0x00 (§11.18). */
export interface NopOutPdu extends PduBase, LunFields, InitiatorSeq {
  opcode: 0x00;
  ttt: number;
}

/** 0x20 (§11.19). */
export interface NopInPdu extends PduBase, LunFields, TargetSeq {
  opcode: 0x20;
  ttt: number;
}

/** 0x01 (§11.3). */
export interface ScsiCommandPdu extends PduBase, LunFields, InitiatorSeq {
  opcode: 0x01;
  /** R bit (0x40). */
  read: boolean;
  /** W bit (0x20). */
  write: boolean;
  /** ATTR (byte 1 & 0x07): 0 Untagged, 1 Simple, 2 Ordered, 3 Head of Queue, 4 ACA. */
  attr: number;
  /** Byte 3: Command Reference Number (RFC 7144 §4.2.1; reserved in RFC 7143). */
  crn: number;
  expectedDataTransferLength: number;
  /** The CDB: 16 bytes from the BHS, followed by the Extended CDB AHS bytes when present (a copy). */
  cdb: Uint8Array;
  /** cdb[0]. */
  scsiOpcode: number;
  /** Expected Bidirectional Read Data Length, from an AHS of type 2. */
  bidiReadLength?: number;
}

/** 0x21 (§11.4). */
export interface ScsiResponsePdu extends PduBase, TargetSeq {
  opcode: 0x21;
  /** o (0x10): bidirectional read residual overflow. */
  bidiOverflow: boolean;
  /** u (0x08): bidirectional read residual underflow. */
  bidiUnderflow: boolean;
  /** O (0x04): residual overflow. */
  overflow: boolean;
  /** U (0x02): residual underflow. */
  underflow: boolean;
  /** iSCSI Response byte: 0x00 Command Completed at Target, 0x01 Target Failure. */
  response: number;
  /** SCSI status (valid when response is 0). */
  status: number;
  snackTag: number;
  expDataSN: number;
  bidiReadResidualCount: number;
  residualCount: number;
  /** SenseLength field at the start of a non-empty data segment. */
  senseLength?: number;
  /** View of the sense bytes (clamped to what is present). */
  senseData?: Uint8Array;
  /** Parsed sense: key, ASC, ASCQ (fixed 0x70/0x71 and descriptor 0x72/0x73 formats). */
  sense?: SenseInfo;
  /** View of response data after the sense data, when any. */
  responseData?: Uint8Array;
}

/** 0x02 (§11.5). */
export interface TaskMgmtRequestPdu extends PduBase, LunFields, InitiatorSeq {
  opcode: 0x02;
  /** Byte 1 & 0x7f: 1 ABORT TASK … 8 TASK REASSIGN (9–12 RFC 7144). */
  tmfFunction: number;
  referencedTaskTag: number;
  refCmdSN: number;
  expDataSN: number;
}

/** 0x22 (§11.6). */
export interface TaskMgmtResponsePdu extends PduBase, TargetSeq {
  opcode: 0x22;
  response: number;
}

interface LoginFields {
  /** T bit (0x80). */
  transit: boolean;
  /** C bit (0x40): text continues in the next PDU. */
  cont: boolean;
  /** Current stage (byte 1 >> 2 & 3): 0 security, 1 operational, 3 full feature. */
  csg: number;
  /** Next stage (byte 1 & 3), meaningful when transit is set. */
  nsg: number;
  versionMax: number;
  /** ISID (bytes 8–13) as Wireshark shows it: six lower-case hex bytes joined by ':' ("80:de:c7:3e:00:00"). */
  isid: string;
  tsih: number;
  keys: TextKey[];
}

/** 0x03 (§11.12). */
export interface LoginRequestPdu extends PduBase, InitiatorSeq, LoginFields {
  opcode: 0x03;
  versionMin: number;
  cid: number;
}

/** 0x23 (§11.13). */
export interface LoginResponsePdu extends PduBase, TargetSeq, LoginFields {
  opcode: 0x23;
  versionActive: number;
  loginStatusClass: number;
  loginStatusDetail: number;
}

/** 0x04 (§11.10). */
export interface TextRequestPdu extends PduBase, LunFields, InitiatorSeq {
  opcode: 0x04;
  /** C bit (0x40). */
  cont: boolean;
  ttt: number;
  keys: TextKey[];
}

/** 0x24 (§11.11). */
export interface TextResponsePdu extends PduBase, LunFields, TargetSeq {
  opcode: 0x24;
  cont: boolean;
  ttt: number;
  keys: TextKey[];
}

/** 0x05 (§11.7). */
export interface DataOutPdu extends PduBase, LunFields {
  opcode: 0x05;
  ttt: number;
  expStatSN: number;
  dataSN: number;
  bufferOffset: number;
}

/** 0x25 (§11.7). statSN and status carry meaning only when statusPresent (S) is set. */
export interface DataInPdu extends PduBase, LunFields, TargetSeq {
  opcode: 0x25;
  /** A bit (0x40): acknowledge requested. */
  ack: boolean;
  /** O bit (0x04). */
  overflow: boolean;
  /** U bit (0x02). */
  underflow: boolean;
  /** S bit (0x01): the PDU carries SCSI status (and a StatSN). */
  statusPresent: boolean;
  status: number;
  ttt: number;
  dataSN: number;
  bufferOffset: number;
  residualCount: number;
}

/** 0x06 (§11.14). */
export interface LogoutRequestPdu extends PduBase, InitiatorSeq {
  opcode: 0x06;
  /** Byte 1 & 0x7f: 0 close session, 1 close connection, 2 remove connection for recovery. */
  logoutReason: number;
  cid: number;
}

/** 0x26 (§11.15). */
export interface LogoutResponsePdu extends PduBase, TargetSeq {
  opcode: 0x26;
  response: number;
  time2Wait: number;
  time2Retain: number;
}

/** 0x10 (§11.16). */
export interface SnackRequestPdu extends PduBase, LunFields {
  opcode: 0x10;
  /** Byte 1 & 0x0f: 0 Data/R2T, 1 Status, 2 DataACK, 3 R-Data. */
  snackType: number;
  /** Bytes 20–23: Target Transfer Tag, SNACK Tag or 0xffffffff. */
  ttt: number;
  expStatSN: number;
  begRun: number;
  runLength: number;
}

/** 0x31 (§11.8). */
export interface R2tPdu extends PduBase, LunFields, TargetSeq {
  opcode: 0x31;
  ttt: number;
  r2tSN: number;
  bufferOffset: number;
  desiredDataTransferLength: number;
}

/** 0x32 (§11.9). */
export interface AsyncMessagePdu extends PduBase, LunFields, TargetSeq {
  opcode: 0x32;
  asyncEvent: number;
  asyncVCode: number;
  parameter1: number;
  parameter2: number;
  parameter3: number;
  senseLength?: number;
  senseData?: Uint8Array;
  sense?: SenseInfo;
  /** View of iSCSI event data after the sense data, when any. */
  eventData?: Uint8Array;
}

/** 0x3f (§11.17). */
export interface RejectPdu extends PduBase, TargetSeq {
  opcode: 0x3f;
  rejectReason: number;
  /** Bytes 36–39: DataSN/R2TSN (or reserved). */
  dataSN: number;
  /** View of the rejected PDU's 48-byte header (the data segment), when present. */
  rejectedBhs?: Uint8Array;
  rejectedOpcode?: number;
  rejectedItt?: number;
}

/** Opcodes RFC 7143 does not define (vendor-specific ones among them). */
export type OtherOpcode =
  | 0x07 | 0x08 | 0x09 | 0x0a | 0x0b | 0x0c | 0x0d | 0x0e | 0x0f
  | 0x11 | 0x12 | 0x13 | 0x14 | 0x15 | 0x16 | 0x17 | 0x18 | 0x19 | 0x1a | 0x1b | 0x1c | 0x1d | 0x1e | 0x1f
  | 0x27 | 0x28 | 0x29 | 0x2a | 0x2b | 0x2c | 0x2d | 0x2e | 0x2f | 0x30
  | 0x33 | 0x34 | 0x35 | 0x36 | 0x37 | 0x38 | 0x39 | 0x3a | 0x3b | 0x3c | 0x3d | 0x3e;

/** Vendor-specific (0x1c–0x1e, 0x3c–0x3e) or undefined opcode: only the common fields and the raw header. */
export interface OtherPdu extends PduBase {
  opcode: OtherOpcode;
  vendor: boolean;
  /** View of the 48 BHS bytes. */
  bhs: Uint8Array;
}

export type Pdu =
  | NopOutPdu | ScsiCommandPdu | TaskMgmtRequestPdu | LoginRequestPdu | TextRequestPdu | DataOutPdu
  | LogoutRequestPdu | SnackRequestPdu
  | NopInPdu | ScsiResponsePdu | TaskMgmtResponsePdu | LoginResponsePdu | TextResponsePdu | DataInPdu
  | LogoutResponsePdu | R2tPdu | AsyncMessagePdu | RejectPdu
  | OtherPdu;

export interface DigestOptions {
  headerDigest?: boolean;
  dataDigest?: boolean;
}

export interface DecodeOptions extends DigestOptions {
  /** Compute CRC32C over the data segment to verify a data digest (default true). The header
   *  digest is always verified (48 + AHS bytes). */
  verifyDataDigest?: boolean;
}

// ---- encoder input ------------------------------------------------------------------------

/** An AHS to write: `data` is everything after AHSType (type-specific byte first); padding is added. */
export interface AhsInput {
  type: number;
  data: Uint8Array;
}

/** Fields every encoder input may carry besides the opcode's own fields. */
export interface CommonInput {
  /** LUN number (0..16383: < 256 as SAM-2 peripheral 00 nn, else flat 0x40|hi lo; 16384..65535 are
   *  written as the raw first two bytes). Ignored when lunRaw is given. */
  lun?: number;
  /** The 8 LUN bytes, as bytes or hex text. */
  lunRaw?: Uint8Array | string;
  /** Extra AHS entries, written after the ones the encoder derives (extended CDB, bidi read length). */
  ahs?: readonly AhsInput[];
  /** The data segment bytes (for Login/Text see `keys`, for SCSI Response/Async see `sense`;
   *  when given with those, they come first and `data` follows). */
  data?: Uint8Array;
  /** Login / Text: key=value pairs, encoded as "k=v\0" each. */
  keys?: ReadonlyArray<readonly [string, string]>;
  /** SCSI Response / Async Message: sense data (raw bytes, or key/ASC/ASCQ to build it); written
   *  as SenseLength (2 bytes) + sense. */
  sense?: Uint8Array | SenseInput;
  /** Login: ISID as 6 bytes or hex text ("80:de:c7:3e:00:00" or "80dec73e0000"). */
  isid?: Uint8Array | string;
  /** Override the DataSegmentLength written in the header (default: the data segment's length).
   *  The data bytes written are unchanged; this is for making malformed PDUs or headers alone. */
  dataSegmentLength?: number;
  /** Override TotalAHSLength (in words) written in the header; the AHS bytes written are unchanged. */
  totalAHSLength?: number;
  /** Override byte 1 entirely (after all flag fields are applied). */
  flags?: number;
}

type OutputOnly =
  | 'opcode' | 'name' | 'flags' | 'totalAHSLength' | 'dataSegmentLength' | 'ahs' | 'headerDigest'
  | 'dataDigest' | 'headerLength' | 'padding' | 'length' | 'data' | 'truncated' | 'problems' | 'lun'
  | 'lunRaw' | 'isid' | 'keys' | 'sense' | 'senseLength' | 'senseData' | 'responseData' | 'eventData'
  | 'rejectedOpcode' | 'rejectedItt' | 'vendor';

type InputOf<P extends Pdu> = { opcode: P['opcode'] } & Partial<Omit<P, OutputOnly>> & CommonInput;
type DistributeInput<P> = P extends Pdu ? InputOf<P> : never;

/**
 * What encodePdu takes: the opcode plus any of that PDU type's decoded fields, all optional, plus
 * CommonInput. Defaults: ITT 0 (0xffffffff for NOP-In, Async and Reject); TTT 0xffffffff (R2T: 0);
 * Referenced Task Tag 0xffffffff; sequence numbers, lengths, status and LUN 0; F = 1; I = 0 except
 * Login Request (I = 1); SCSI Command ATTR 0 (Untagged); TMF function 1 (ABORT TASK); Reject reason
 * 0x04 (Protocol Error). Data-In has S = 0 unless statusPresent: give it data or status.
 * A ScsiCommand `cdb` longer than 16 bytes goes into an Extended CDB AHS; `scsiOpcode` alone makes a
 * 16-byte CDB with that opcode; `bidiReadLength` adds the type-2 AHS. Reject `rejectedBhs` becomes
 * the data segment.
 */
export type PduInput = DistributeInput<Pdu>;

export type { SenseInfo, SenseInput, TextKey };
