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

/** Decode a PDU from its header (BHS + AHS, no digest) and the kept start of its data segment. */
export function decodeKept(header: Uint8Array, headerLength: number, data: Uint8Array, dataLength: number): Pdu {
  const bytes = new Uint8Array(headerLength + dataLength);
  bytes.set(header.subarray(0, headerLength));
  bytes.set(data.subarray(0, dataLength), headerLength);
  return decodePdu(bytes, 0, bytes.length);
}

/**
 * One PDU as the `pdus --format jsonl` contract (docs/findings.md) names its keys. A key is present
 * only where the PDU type carries the field (Data-In carries a StatSN only with S = 1).
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
  switch (p.opcode) {
    case 0x00:
      Object.assign(r, { ttt: p.ttt, lun: p.lun, cmdSN: p.cmdSN, expStatSN: p.expStatSN });
      break;
    case 0x20:
      Object.assign(r, { ttt: p.ttt, lun: p.lun, statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    case 0x01:
      Object.assign(r, { lun: p.lun, cmdSN: p.cmdSN, expStatSN: p.expStatSN });
      break;
    case 0x21:
      Object.assign(r, { statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    case 0x02:
      Object.assign(r, { lun: p.lun, cmdSN: p.cmdSN, expStatSN: p.expStatSN });
      break;
    case 0x22:
      Object.assign(r, { statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    case 0x03:
      Object.assign(r, { cmdSN: p.cmdSN, expStatSN: p.expStatSN });
      break;
    case 0x23:
      Object.assign(r, { statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    case 0x04:
      Object.assign(r, { ttt: p.ttt, lun: p.lun, cmdSN: p.cmdSN, expStatSN: p.expStatSN });
      break;
    case 0x24:
      Object.assign(r, { ttt: p.ttt, lun: p.lun, statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    case 0x05:
      Object.assign(r, { ttt: p.ttt, lun: p.lun, expStatSN: p.expStatSN, dataSN: p.dataSN });
      break;
    case 0x25:
      r.ttt = p.ttt;
      if (p.ttt !== 0xffffffff) r.lun = p.lun; // the LUN field is reserved unless a TTT is given
      if (p.statusPresent) r.statSN = p.statSN;
      Object.assign(r, { expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN, dataSN: p.dataSN });
      break;
    case 0x06:
      Object.assign(r, { cmdSN: p.cmdSN, expStatSN: p.expStatSN });
      break;
    case 0x26:
      Object.assign(r, { statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    case 0x10:
      Object.assign(r, { ttt: p.ttt, lun: p.lun, expStatSN: p.expStatSN });
      break;
    case 0x31:
      Object.assign(r, { ttt: p.ttt, lun: p.lun, statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN, r2tSN: p.r2tSN });
      break;
    case 0x32:
      Object.assign(r, { lun: p.lun, statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    case 0x3f:
      Object.assign(r, { statSN: p.statSN, expCmdSN: p.expCmdSN, maxCmdSN: p.maxCmdSN });
      break;
    default:
      break;
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
      break;
    case 0x04:
    case 0x24:
      Object.assign(r, { continue: p.cont, keys: p.keys });
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

/** Columns of `pdus --format tsv`, in order. */
export const TSV_COLUMNS = [
  'conn', 'dir', 'frame', 'firstFrame', 'headerFrame', 'time', 'opcode', 'name', 'immediate', 'final', 'itt', 'ttt',
  'lun', 'cmdSN', 'expStatSN', 'statSN', 'expCmdSN', 'maxCmdSN', 'dataSN', 'r2tSN', 'dataSegmentLength',
  'totalAHSLength', 'truncated',
] as const;
