// SCSI names (SPC-4 / SBC-3 wording, upper case as in the T10 standards) and sense-data parsing.
// Wireshark (packet-scsi.c, packet-scsi-sbc.c) uses mixed case, e.g. "Read(10)" for READ(10).

import { hexNum } from './bytes.ts';

// ---- CDB operation codes: SPC (all device types) and SBC (direct access block devices)
const SCSI_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x00, 'TEST UNIT READY'],
  [0x01, 'REZERO UNIT'],
  [0x03, 'REQUEST SENSE'],
  [0x04, 'FORMAT UNIT'],
  [0x07, 'REASSIGN BLOCKS'],
  [0x08, 'READ(6)'],
  [0x0a, 'WRITE(6)'],
  [0x0b, 'SEEK(6)'],
  [0x12, 'INQUIRY'],
  [0x15, 'MODE SELECT(6)'],
  [0x16, 'RESERVE(6)'],
  [0x17, 'RELEASE(6)'],
  [0x18, 'COPY'],
  [0x1a, 'MODE SENSE(6)'],
  [0x1b, 'START STOP UNIT'],
  [0x1c, 'RECEIVE DIAGNOSTIC RESULTS'],
  [0x1d, 'SEND DIAGNOSTIC'],
  [0x1e, 'PREVENT ALLOW MEDIUM REMOVAL'],
  [0x25, 'READ CAPACITY(10)'],
  [0x28, 'READ(10)'],
  [0x2a, 'WRITE(10)'],
  [0x2b, 'SEEK(10)'],
  [0x2e, 'WRITE AND VERIFY(10)'],
  [0x2f, 'VERIFY(10)'],
  [0x34, 'PRE-FETCH(10)'],
  [0x35, 'SYNCHRONIZE CACHE(10)'],
  [0x36, 'LOCK UNLOCK CACHE(10)'],
  [0x37, 'READ DEFECT DATA(10)'],
  [0x3b, 'WRITE BUFFER'],
  [0x3c, 'READ BUFFER'],
  [0x3e, 'READ LONG(10)'],
  [0x3f, 'WRITE LONG(10)'],
  [0x41, 'WRITE SAME(10)'],
  [0x42, 'UNMAP'],
  [0x48, 'SANITIZE'],
  [0x4c, 'LOG SELECT'],
  [0x4d, 'LOG SENSE'],
  [0x50, 'XDWRITE(10)'],
  [0x51, 'XPWRITE(10)'],
  [0x52, 'XDREAD(10)'],
  [0x53, 'XDWRITEREAD(10)'],
  [0x55, 'MODE SELECT(10)'],
  [0x56, 'RESERVE(10)'],
  [0x57, 'RELEASE(10)'],
  [0x5a, 'MODE SENSE(10)'],
  [0x5e, 'PERSISTENT RESERVE IN'],
  [0x5f, 'PERSISTENT RESERVE OUT'],
  [0x7f, 'VARIABLE LENGTH CDB'],
  [0x80, 'XDWRITE EXTENDED(16)'],
  [0x83, 'EXTENDED COPY'],
  [0x84, 'RECEIVE COPY RESULTS'],
  [0x86, 'ACCESS CONTROL IN'],
  [0x87, 'ACCESS CONTROL OUT'],
  [0x88, 'READ(16)'],
  [0x89, 'COMPARE AND WRITE'],
  [0x8a, 'WRITE(16)'],
  [0x8b, 'ORWRITE(16)'],
  [0x8c, 'READ ATTRIBUTE'],
  [0x8d, 'WRITE ATTRIBUTE'],
  [0x8e, 'WRITE AND VERIFY(16)'],
  [0x8f, 'VERIFY(16)'],
  [0x90, 'PRE-FETCH(16)'],
  [0x91, 'SYNCHRONIZE CACHE(16)'],
  [0x92, 'LOCK UNLOCK CACHE(16)'],
  [0x93, 'WRITE SAME(16)'],
  [0x9e, 'SERVICE ACTION IN(16)'],
  [0x9f, 'SERVICE ACTION OUT(16)'],
  [0xa0, 'REPORT LUNS'],
  [0xa2, 'SECURITY PROTOCOL IN'],
  [0xa3, 'MAINTENANCE IN'],
  [0xa4, 'MAINTENANCE OUT'],
  [0xa8, 'READ(12)'],
  [0xaa, 'WRITE(12)'],
  [0xae, 'WRITE AND VERIFY(12)'],
  [0xaf, 'VERIFY(12)'],
  [0xb5, 'SECURITY PROTOCOL OUT'],
  [0xb7, 'READ DEFECT DATA(12)'],
]);

/** Name of a CDB operation code (byte 0), e.g. 0x28 → "READ(10)". */
export function scsiOpcodeName(op: number): string {
  return SCSI_OPCODES.get(op) ?? `Unknown SCSI opcode ${hexNum(op)}`;
}

// Service actions (byte 1, low 5 bits) of the opcodes that multiplex commands.
const SERVICE_ACTIONS: ReadonlyMap<number, ReadonlyMap<number, string>> = new Map([
  [0x9e, new Map([
    [0x10, 'READ CAPACITY(16)'],
    [0x11, 'READ LONG(16)'],
    [0x12, 'GET LBA STATUS'],
    [0x13, 'REPORT REFERRALS'],
  ])],
  [0x9f, new Map([[0x11, 'WRITE LONG(16)']])],
  [0xa3, new Map([
    [0x05, 'REPORT IDENTIFYING INFORMATION'],
    [0x0a, 'REPORT TARGET PORT GROUPS'],
    [0x0b, 'REPORT ALIASES'],
    [0x0c, 'REPORT SUPPORTED OPERATION CODES'],
    [0x0d, 'REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS'],
    [0x0e, 'REPORT PRIORITY'],
    [0x0f, 'REPORT TIMESTAMP'],
  ])],
  [0xa4, new Map([
    [0x06, 'SET IDENTIFYING INFORMATION'],
    [0x0a, 'SET TARGET PORT GROUPS'],
    [0x0b, 'CHANGE ALIASES'],
    [0x0e, 'SET PRIORITY'],
    [0x0f, 'SET TIMESTAMP'],
  ])],
  [0x83, new Map([
    [0x00, 'EXTENDED COPY(LID1)'],
    [0x01, 'EXTENDED COPY(LID4)'],
    [0x10, 'POPULATE TOKEN'],
    [0x11, 'WRITE USING TOKEN'],
  ])],
  [0x84, new Map([
    [0x00, 'RECEIVE COPY STATUS(LID1)'],
    [0x01, 'RECEIVE COPY DATA(LID1)'],
    [0x03, 'RECEIVE COPY OPERATING PARAMETERS'],
    [0x04, 'RECEIVE COPY FAILURE DETAILS(LID1)'],
    [0x05, 'RECEIVE COPY STATUS(LID4)'],
    [0x07, 'RECEIVE ROD TOKEN INFORMATION'],
  ])],
]);
// VARIABLE LENGTH CDB (0x7f): service action in bytes 8–9.
const VARIABLE_LENGTH: ReadonlyMap<number, string> = new Map([
  [0x0009, 'READ(32)'],
  [0x000a, 'VERIFY(32)'],
  [0x000b, 'WRITE(32)'],
  [0x000c, 'WRITE AND VERIFY(32)'],
  [0x000d, 'WRITE SAME(32)'],
  [0x000e, 'ORWRITE(32)'],
]);

/** Name of a whole CDB, resolving service actions: a 0x9e CDB with service action 0x10 is
 *  "READ CAPACITY(16)", 0xa3/0x0a "REPORT TARGET PORT GROUPS". Falls back to scsiOpcodeName. */
export function scsiCommandName(cdb: Uint8Array, off = 0, len = cdb.length - off): string {
  if (len < 1) return 'Empty CDB';
  const op = cdb[off];
  const sa = SERVICE_ACTIONS.get(op);
  if (sa !== undefined && len >= 2) {
    const n = sa.get(cdb[off + 1] & 0x1f);
    if (n !== undefined) return n;
  }
  if (op === 0x7f && len >= 10) {
    const n = VARIABLE_LENGTH.get((cdb[off + 8] << 8) | cdb[off + 9]);
    if (n !== undefined) return n;
  }
  return scsiOpcodeName(op);
}

// ---- SCSI status (SAM-5 §5.3)
const SCSI_STATUS: ReadonlyMap<number, string> = new Map([
  [0x00, 'GOOD'],
  [0x02, 'CHECK CONDITION'],
  [0x04, 'CONDITION MET'],
  [0x08, 'BUSY'],
  [0x10, 'INTERMEDIATE'],
  [0x14, 'INTERMEDIATE-CONDITION MET'],
  [0x18, 'RESERVATION CONFLICT'],
  [0x22, 'COMMAND TERMINATED'],
  [0x28, 'TASK SET FULL'],
  [0x30, 'ACA ACTIVE'],
  [0x40, 'TASK ABORTED'],
]);
export function scsiStatusName(s: number): string {
  return SCSI_STATUS.get(s) ?? `Reserved status ${hexNum(s)}`;
}
/** True for the status codes SAM defines (used to judge whether a header is plausible). */
export function isScsiStatus(s: number): boolean {
  return SCSI_STATUS.has(s);
}

// ---- Sense keys (SPC-4 Table 48; 0xF is COMPLETED since SPC-5)
const SENSE_KEYS: readonly string[] = [
  'NO SENSE', 'RECOVERED ERROR', 'NOT READY', 'MEDIUM ERROR', 'HARDWARE ERROR', 'ILLEGAL REQUEST',
  'UNIT ATTENTION', 'DATA PROTECT', 'BLANK CHECK', 'VENDOR SPECIFIC', 'COPY ABORTED', 'ABORTED COMMAND',
  'EQUAL (obsolete)', 'VOLUME OVERFLOW', 'MISCOMPARE', 'COMPLETED',
];
export function senseKeyName(k: number): string {
  return SENSE_KEYS[k & 0x0f];
}

// ---- Additional sense code / qualifier (SPC-4 Annex D), a modest set of the common ones.
const ASC_ASCQ: ReadonlyMap<number, string> = new Map([
  [0x0000, 'NO ADDITIONAL SENSE INFORMATION'],
  [0x0006, 'I/O PROCESS TERMINATED'],
  [0x0016, 'OPERATION IN PROGRESS'],
  [0x001d, 'ATA PASS THROUGH INFORMATION AVAILABLE'],
  [0x0400, 'LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE'],
  [0x0401, 'LOGICAL UNIT IS IN PROCESS OF BECOMING READY'],
  [0x0402, 'LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED'],
  [0x0403, 'LOGICAL UNIT NOT READY, MANUAL INTERVENTION REQUIRED'],
  [0x0404, 'LOGICAL UNIT NOT READY, FORMAT IN PROGRESS'],
  [0x0407, 'LOGICAL UNIT NOT READY, OPERATION IN PROGRESS'],
  [0x0409, 'LOGICAL UNIT NOT READY, SELF-TEST IN PROGRESS'],
  [0x040a, 'LOGICAL UNIT NOT ACCESSIBLE, ASYMMETRIC ACCESS STATE TRANSITION'],
  [0x040b, 'LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE'],
  [0x040c, 'LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN UNAVAILABLE STATE'],
  [0x0411, 'LOGICAL UNIT NOT READY, NOTIFY (ENABLE SPINUP) REQUIRED'],
  [0x041b, 'LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS'],
  [0x0500, 'LOGICAL UNIT DOES NOT RESPOND TO SELECTION'],
  [0x0800, 'LOGICAL UNIT COMMUNICATION FAILURE'],
  [0x0801, 'LOGICAL UNIT COMMUNICATION TIME-OUT'],
  [0x0c00, 'WRITE ERROR'],
  [0x0c02, 'WRITE ERROR - AUTO REALLOCATION FAILED'],
  [0x1001, 'LOGICAL BLOCK GUARD CHECK FAILED'],
  [0x1002, 'LOGICAL BLOCK APPLICATION TAG CHECK FAILED'],
  [0x1003, 'LOGICAL BLOCK REFERENCE TAG CHECK FAILED'],
  [0x1100, 'UNRECOVERED READ ERROR'],
  [0x1401, 'RECORD NOT FOUND'],
  [0x1a00, 'PARAMETER LIST LENGTH ERROR'],
  [0x1d00, 'MISCOMPARE DURING VERIFY OPERATION'],
  [0x2000, 'INVALID COMMAND OPERATION CODE'],
  [0x2100, 'LOGICAL BLOCK ADDRESS OUT OF RANGE'],
  [0x2101, 'INVALID ELEMENT ADDRESS'],
  [0x2400, 'INVALID FIELD IN CDB'],
  [0x2500, 'LOGICAL UNIT NOT SUPPORTED'],
  [0x2600, 'INVALID FIELD IN PARAMETER LIST'],
  [0x2601, 'PARAMETER NOT SUPPORTED'],
  [0x2602, 'PARAMETER VALUE INVALID'],
  [0x2700, 'WRITE PROTECTED'],
  [0x2707, 'SPACE ALLOCATION FAILED WRITE PROTECT'],
  [0x2800, 'NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED'],
  [0x2900, 'POWER ON, RESET, OR BUS DEVICE RESET OCCURRED'],
  [0x2901, 'POWER ON OCCURRED'],
  [0x2902, 'SCSI BUS RESET OCCURRED'],
  [0x2903, 'BUS DEVICE RESET FUNCTION OCCURRED'],
  [0x2904, 'DEVICE INTERNAL RESET'],
  [0x2907, 'I_T NEXUS LOSS OCCURRED'],
  [0x2a00, 'PARAMETERS CHANGED'],
  [0x2a01, 'MODE PARAMETERS CHANGED'],
  [0x2a02, 'LOG PARAMETERS CHANGED'],
  [0x2a03, 'RESERVATIONS PREEMPTED'],
  [0x2a04, 'RESERVATIONS RELEASED'],
  [0x2a05, 'REGISTRATIONS PREEMPTED'],
  [0x2a06, 'ASYMMETRIC ACCESS STATE CHANGED'],
  [0x2a09, 'CAPACITY DATA HAS CHANGED'],
  [0x2a10, 'TIMESTAMP CHANGED'],
  [0x2c00, 'COMMAND SEQUENCE ERROR'],
  [0x2f00, 'COMMANDS CLEARED BY ANOTHER INITIATOR'],
  [0x2f01, 'COMMANDS CLEARED BY POWER LOSS NOTIFICATION'],
  [0x2f02, 'COMMANDS CLEARED BY DEVICE SERVER'],
  [0x3100, 'MEDIUM FORMAT CORRUPTED'],
  [0x3807, 'THIN PROVISIONING SOFT THRESHOLD REACHED'],
  [0x3a00, 'MEDIUM NOT PRESENT'],
  [0x3e00, 'LOGICAL UNIT HAS NOT SELF-CONFIGURED YET'],
  [0x3e01, 'LOGICAL UNIT FAILURE'],
  [0x3e02, 'TIMEOUT ON LOGICAL UNIT'],
  [0x3f00, 'TARGET OPERATING CONDITIONS HAVE CHANGED'],
  [0x3f01, 'MICROCODE HAS BEEN CHANGED'],
  [0x3f03, 'INQUIRY DATA HAS CHANGED'],
  [0x3f0e, 'REPORTED LUNS DATA HAS CHANGED'],
  [0x4400, 'INTERNAL TARGET FAILURE'],
  [0x4703, 'INFORMATION UNIT iuCRC ERROR DETECTED'],
  [0x4705, 'PROTOCOL SERVICE CRC ERROR'],
  [0x4900, 'INVALID MESSAGE ERROR'],
  [0x4b00, 'DATA PHASE ERROR'],
  [0x4b01, 'INVALID TARGET PORT TRANSFER TAG RECEIVED'],
  [0x4b02, 'TOO MUCH WRITE DATA'],
  [0x4b03, 'ACK/NAK TIMEOUT'],
  [0x4b04, 'NAK RECEIVED'],
  [0x4b05, 'DATA OFFSET ERROR'],
  [0x4b06, 'INITIATOR RESPONSE TIMEOUT'],
  [0x4b07, 'CONNECTION LOST'],
  [0x4c00, 'LOGICAL UNIT FAILED SELF-CONFIGURATION'],
  [0x5302, 'MEDIUM REMOVAL PREVENTED'],
  [0x5503, 'INSUFFICIENT RESOURCES'],
  [0x5504, 'INSUFFICIENT REGISTRATION RESOURCES'],
  [0x5d00, 'FAILURE PREDICTION THRESHOLD EXCEEDED'],
  [0x5e00, 'LOW POWER CONDITION ON'],
]);

/** Text of an ASC/ASCQ pair, e.g. (0x29, 0x00) → "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED".
 *  Pairs outside the table get a generic text ("ASC 0x04 ASCQ 0x88: LOGICAL UNIT NOT READY"
 *  where the ASC's family is known, vendor-specific ranges named). */
export function ascAscqName(asc: number, ascq: number): string {
  const n = ASC_ASCQ.get(((asc & 0xff) << 8) | (ascq & 0xff));
  if (n !== undefined) return n;
  const code = `ASC ${hexNum(asc)} ASCQ ${hexNum(ascq)}`;
  if (asc >= 0x80) return `${code}: vendor specific`;
  if (ascq >= 0x80) return `${code}: vendor specific qualifier`;
  if (asc === 0x04) return `${code}: LOGICAL UNIT NOT READY`;
  const family = ASC_ASCQ.get((asc & 0xff) << 8);
  return family !== undefined ? `${code}: ${family}` : code;
}

// ---- Sense data (SPC-4 §4.5)
export interface SenseInfo {
  /** Bytes of sense data present (after the iSCSI SenseLength field). */
  length: number;
  /** Response code, byte 0 & 0x7f: 0x70/0x71 fixed, 0x72/0x73 descriptor format. */
  responseCode: number;
  format: 'fixed' | 'descriptor' | 'unknown';
  /** 0x71 / 0x73: the sense is for an earlier command (deferred error). */
  deferred: boolean;
  senseKey: number;
  asc: number;
  ascq: number;
  /** Fixed format: the INFORMATION field when the VALID bit is set. */
  information?: number;
}

/**
 * Parses SCSI sense bytes (without the iSCSI SenseLength prefix). Returns undefined when there are
 * fewer than 2 bytes or the response code is not one of 0x70–0x73 with enough bytes for its key.
 * Fields beyond the bytes present read as 0 (a short fixed-format sense still yields its key).
 */
export function parseSense(b: Uint8Array, off: number, len: number): SenseInfo | undefined {
  const n = Math.max(0, Math.min(len, b.length - off));
  if (n < 2) return undefined;
  const at = (i: number): number => (i < n ? b[off + i] : 0);
  const rc = b[off] & 0x7f;
  if (rc === 0x70 || rc === 0x71) {
    if (n < 3) return undefined;
    const info: SenseInfo = {
      length: n, responseCode: rc, format: 'fixed', deferred: rc === 0x71,
      senseKey: at(2) & 0x0f, asc: at(12), ascq: at(13),
    };
    if ((b[off] & 0x80) !== 0 && n >= 7) info.information = at(3) * 0x1000000 + ((at(4) << 16) | (at(5) << 8) | at(6));
    return info;
  }
  if (rc === 0x72 || rc === 0x73) {
    return {
      length: n, responseCode: rc, format: 'descriptor', deferred: rc === 0x73,
      senseKey: at(1) & 0x0f, asc: at(2), ascq: at(3),
    };
  }
  return undefined;
}

/** Input for encoding sense data: builds 18 bytes of fixed-format (0x70) or 8 bytes of descriptor-format
 *  (0x72) sense. */
export interface SenseInput {
  senseKey: number;
  asc: number;
  ascq: number;
  format?: 'fixed' | 'descriptor';
  deferred?: boolean;
}

export function buildSense(s: SenseInput): Uint8Array {
  if (s.format === 'descriptor') {
    const d = new Uint8Array(8);
    d[0] = s.deferred ? 0x73 : 0x72;
    d[1] = s.senseKey & 0x0f;
    d[2] = s.asc;
    d[3] = s.ascq;
    return d;
  }
  const f = new Uint8Array(18);
  f[0] = s.deferred ? 0x71 : 0x70;
  f[2] = s.senseKey & 0x0f;
  f[7] = 10; // additional sense length
  f[12] = s.asc;
  f[13] = s.ascq;
  return f;
}
