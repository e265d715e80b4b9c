import { decodePdu, loginStatusName, scsiOpcodeName, tmfFunctionName } from '../codec/index.ts';
import type { Pdu } from '../codec/index.ts';

/** Where a PDU was found: what the framer knows beyond the PDU's own bytes. */
export interface PduPlace {
  conn: number;
  fromTarget: boolean;
  frame: number;
  firstFrame: number;
  headerFrame: number;
  time: number;
  truncated: boolean;
}

/** The header fields, in the contract's order; each PDU type's decoded object has exactly those it carries. */
const SEQUENCE_KEYS = ['ttt', 'lun', 'cmdSN', 'expStatSN', 'statSN', 'expCmdSN', 'maxCmdSN', 'dataSN', 'r2tSN'] as const;

/** Decode a PDU from its header (BHS + AHS, no digest) and the kept start of its data segment. */
export function decodeKept(header: Uint8Array, headerLength: number, data: Uint8Array, dataLength: number): Pdu {
  const bytes = new Uint8Array(headerLength + dataLength);
  bytes.set(header.subarray(0, headerLength));
  bytes.set(data.subarray(0, dataLength), headerLength);
  return decodePdu(bytes, 0, bytes.length);
}

/**
 * One PDU as the `pdus --format jsonl` contract (docs/findings.md) names its keys. A key is present
 * only where the PDU type carries the field (Data-In carries a StatSN only with S = 1). Added to the
 * contract: `keysCut: true` on a Login or Text PDU the capture holds whole but whose text keys are
 * listed only as far as the framer keeps them (the first 64 KiB): the rest were never read.
 */
export function pduRecord(p: Pdu, at: PduPlace): Record<string, unknown> {
  const r: Record<string, unknown> = {
    conn: at.conn,
    dir: at.fromTarget ? 'T>I' : 'I>T',
    frame: at.frame,
    firstFrame: at.firstFrame,
    headerFrame: at.headerFrame,
    time: at.time,
    opcode: p.opcode,
    name: p.name,
    immediate: p.immediate,
    final: p.final,
    itt: p.itt,
  };
  const fields = p as unknown as Record<string, number>;
  for (const key of SEQUENCE_KEYS) {
    if (!(key in p)) continue;
    // Data-In's LUN is reserved unless it carries a TTT, and its StatSN means nothing without S.
    if (p.opcode === 0x25 && ((key === 'lun' && p.ttt === 0xffffffff) || (key === 'statSN' && !p.statusPresent))) continue;
    r[key] = fields[key];
  }
  r.dataSegmentLength = p.dataSegmentLength;
  r.totalAHSLength = p.totalAHSLength;
  r.truncated = at.truncated;
  addTypeKeys(r, p);
  return r;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The keys each PDU type adds beyond the common ones. */
function addTypeKeys(r: Record<string, unknown>, p: Pdu): void {
  switch (p.opcode) {
    case 0x01:
      Object.assign(r, {
        scsiOpcode: p.scsiOpcode, scsiOpcodeName: scsiOpcodeName(p.scsiOpcode), cdb: hex(p.cdb),
        read: p.read, write: p.write, expectedDataTransferLength: p.expectedDataTransferLength,
      });
      break;
    case 0x21:
      Object.assign(r, { response: p.response, status: p.status, residualCount: p.residualCount, expDataSN: p.expDataSN });
      if (p.sense) Object.assign(r, { senseKey: p.sense.senseKey, asc: p.sense.asc, ascq: p.sense.ascq });
      break;
    case 0x02:
      Object.assign(r, {
        tmfFunction: p.tmfFunction, tmfFunctionName: tmfFunctionName(p.tmfFunction),
        referencedTaskTag: p.referencedTaskTag, refCmdSN: p.refCmdSN, expDataSN: p.expDataSN,
      });
      break;
    case 0x22:
      r.response = p.response;
      break;
    case 0x03:
    case 0x23:
      Object.assign(r, { transit: p.transit, continue: p.cont, csg: p.csg, nsg: p.nsg, isid: p.isid, tsih: p.tsih });
      if (p.opcode === 0x03) r.cid = p.cid;
      else {
        Object.assign(r, {
          loginStatusClass: p.loginStatusClass, loginStatusDetail: p.loginStatusDetail,
          loginStatusText: loginStatusName(p.loginStatusClass, p.loginStatusDetail),
        });
      }
      r.keys = p.keys;
      if (keysCut(p, r)) r.keysCut = true;
      break;
    case 0x04:
    case 0x24:
      Object.assign(r, { continue: p.cont, keys: p.keys });
      if (keysCut(p, r)) r.keysCut = true;
      break;
    case 0x05:
      r.bufferOffset = p.bufferOffset;
      break;
    case 0x25:
      Object.assign(r, { bufferOffset: p.bufferOffset, statusPresent: p.statusPresent, residualCount: p.residualCount });
      if (p.statusPresent) r.status = p.status;
      break;
    case 0x06:
      Object.assign(r, { logoutReason: p.logoutReason, cid: p.cid });
      break;
    case 0x26:
      Object.assign(r, { response: p.response, time2Wait: p.time2Wait, time2Retain: p.time2Retain });
      break;
    case 0x10:
      Object.assign(r, { snackType: p.snackType, begRun: p.begRun, runLength: p.runLength });
      break;
    case 0x31:
      Object.assign(r, { bufferOffset: p.bufferOffset, desiredDataTransferLength: p.desiredDataTransferLength });
      break;
    case 0x32:
      Object.assign(r, { asyncEvent: p.asyncEvent, asyncVCode: p.asyncVCode, parameter1: p.parameter1, parameter2: p.parameter2, parameter3: p.parameter3 });
      if (p.sense) Object.assign(r, { senseKey: p.sense.senseKey, asc: p.sense.asc, ascq: p.sense.ascq });
      break;
    case 0x3f:
      r.rejectReason = p.rejectReason;
      if (p.rejectedOpcode !== undefined) r.rejectedOpcode = p.rejectedOpcode;
      if (p.rejectedItt !== undefined) r.rejectedItt = p.rejectedItt;
      break;
    default:
      break;
  }
}

/** Fewer data bytes decoded than the BHS declares, in a PDU the capture held whole. */
function keysCut(p: Pdu, r: Record<string, unknown>): boolean {
  return r.truncated !== true && p.data.length < p.dataSegmentLength;
}

/** Columns of `pdus --format tsv`, in order. */
export const TSV_COLUMNS = [
  'conn', 'dir', 'frame', 'firstFrame', 'headerFrame', 'time', 'opcode', 'name', 'immediate', 'final', 'itt', 'ttt',
  'lun', 'cmdSN', 'expStatSN', 'statSN', 'expCmdSN', 'maxCmdSN', 'dataSN', 'r2tSN', 'dataSegmentLength',
  'totalAHSLength', 'truncated',
] as const;
