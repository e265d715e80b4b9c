// The short labels the ladder draws on each PDU arrow, from the PDU table's accessors. Each field
// carries its key as `pdus` output names it, so the page can mark the one a finding says is wrong.
// Nothing here allocates per PDU except the label strings of the arrows on screen.

import {
  OP_ASYNC_MESSAGE, OP_DATA_IN, OP_DATA_OUT, OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, OP_LOGOUT_REQUEST, OP_LOGOUT_RESPONSE,
  OP_NOP_IN, OP_NOP_OUT, OP_R2T, OP_REJECT, OP_SCSI_COMMAND, OP_SCSI_RESPONSE, OP_TASK_MGMT_REQUEST, OP_TASK_MGMT_RESPONSE,
  OP_TEXT_REQUEST, OP_TEXT_RESPONSE, RESERVED_TAG, asyncEventName, logoutReasonName, opcodeName, rejectReasonName,
  scsiOpcodeName, scsiStatusName, senseKeyName, tmfFunctionName, tmfResponseName,
} from '../../codec/index.ts';
import {
  asyncEvent, cmdSN, dataInHasStatus, dataSN, dataSegmentLength, expStatSN, expectedDataTransferLength, itt as ittOf,
  loginCsg, loginNsg, loginStatusClass, loginStatusDetail, loginTransit, logoutReason, opcode, pduLun, r2tSN,
  referencedTaskTag, rejectReason, response, scsiOpcode, scsiStatus, statSN, tmfFunction, ttt as tttOf,
} from '../../iscsi/index.ts';
import type { PduColumns } from '../../iscsi/index.ts';
import type { SessionModel } from '../../sessions/index.ts';
import { fmtInt, hexTag } from '../../text/index.ts';

const SHORT: Record<number, string> = {
  0x00: 'NOP-Out', 0x01: 'SCSI Command', 0x02: 'TMF Request', 0x03: 'Login Request', 0x04: 'Text Request',
  0x05: 'Data-Out', 0x06: 'Logout Request', 0x10: 'SNACK', 0x20: 'NOP-In', 0x21: 'SCSI Response',
  0x22: 'TMF Response', 0x23: 'Login Response', 0x24: 'Text Response', 0x25: 'Data-In', 0x26: 'Logout Response',
  0x31: 'R2T', 0x32: 'Async Message', 0x3f: 'Reject',
};

/** Short name for the ladder: "TMF Request" rather than "Task Management Function Request". */
export function shortName(op: number): string {
  return SHORT[op] ?? opcodeName(op);
}

const STAGE_SHORT = ['security', 'operational', 'reserved', 'full feature'];

/** One field on an arrow: its key in `pdus` output and the text shown. */
export interface LabelField {
  key: string;
  text: string;
}

export interface ArrowLabel {
  /** What: "SCSI Command READ(10)", "NOP-In (ping reply)". */
  title: string;
  /** Key fields: ITT, CmdSN, LUN … */
  fields: LabelField[];
}

/** The fields as one line: "ITT 0x… · CmdSN 12 · LUN 1". */
export function fieldsText(l: ArrowLabel): string {
  return l.fields.map((f) => f.text).join(' · ');
}

/** Sense key and ASC/ASCQ of a SCSI Response's sense data, as the model holds it: "ILLEGAL REQUEST 24/00". */
export function senseText(senses: SessionModel['senses'], row: number): string | undefined {
  const s = senses.get(row);
  if (!s) return undefined;
  const h = (n: number): string => n.toString(16).padStart(2, '0');
  return `${senseKeyName(s.senseKey)} ${h(s.asc)}/${h(s.ascq)}`;
}

/** The label of one PDU arrow. */
export function arrowLabel(c: PduColumns, luns: readonly string[], r: number, senses: SessionModel['senses']): ArrowLabel {
  const op = opcode(c, r);
  const itt = ittOf(c, r);
  const f: LabelField[] = [];
  let title = shortName(op);
  const add = (key: string, text: string): void => { f.push({ key, text }); };
  const tag = (key: string, name: string, v: number): void => add(key, `${name} ${hexTag(v)}`);
  const lun = (): void => {
    const l = pduLun(c, luns, r);
    if (l !== undefined) add('lun', `LUN ${l}`);
  };
  const bytes = (): void => {
    const dsl = dataSegmentLength(c, r);
    if (dsl > 0) add('dataSegmentLength', `${fmtInt(dsl)} B`);
  };
  switch (op) {
    case OP_NOP_OUT: {
      const t = tttOf(c, r);
      if (itt !== RESERVED_TAG) title += ' (ping)';
      else if (t !== RESERVED_TAG) title += ' (ping echo)';
      tag('itt', 'ITT', itt);
      if (t !== RESERVED_TAG || itt === RESERVED_TAG) tag('ttt', 'TTT', t);
      add('cmdSN', `CmdSN ${cmdSN(c, r)}`);
      add('expStatSN', `ExpStatSN ${expStatSN(c, r)}`);
      break;
    }
    case OP_NOP_IN: {
      const t = tttOf(c, r);
      if (itt !== RESERVED_TAG) title += ' (ping reply)';
      else if (t !== RESERVED_TAG) title += ' (target ping)';
      tag('itt', 'ITT', itt);
      if (t !== RESERVED_TAG || itt === RESERVED_TAG) tag('ttt', 'TTT', t);
      add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    }
    case OP_SCSI_COMMAND: {
      title += ` ${scsiOpcodeName(scsiOpcode(c, r))}`;
      tag('itt', 'ITT', itt);
      lun();
      add('cmdSN', `CmdSN ${cmdSN(c, r)}`);
      const len = expectedDataTransferLength(c, r);
      if (len > 0) add('expectedDataTransferLength', `${fmtInt(len)} B`);
      break;
    }
    case OP_SCSI_RESPONSE: {
      const resp = response(c, r);
      title += resp === 0 ? ` ${scsiStatusName(scsiStatus(c, r))}` : ' Target Failure';
      const sense = resp === 0 ? senseText(senses, r) : undefined;
      if (sense) title += `: ${sense}`;
      tag('itt', 'ITT', itt);
      add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    }
    case OP_DATA_IN: {
      const status = dataInHasStatus(c, r);
      if (status) title += ` + ${scsiStatusName(scsiStatus(c, r))}`;
      tag('itt', 'ITT', itt);
      add('dataSN', `DataSN ${dataSN(c, r)}`);
      bytes();
      if (status) add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    }
    case OP_DATA_OUT:
      tag('itt', 'ITT', itt);
      add('dataSN', `DataSN ${dataSN(c, r)}`);
      bytes();
      break;
    case OP_R2T:
      tag('itt', 'ITT', itt);
      tag('ttt', 'TTT', tttOf(c, r));
      add('r2tSN', `R2TSN ${r2tSN(c, r)}`);
      break;
    case OP_TASK_MGMT_REQUEST: {
      title = `TMF ${tmfFunctionName(tmfFunction(c, r))}`;
      tag('itt', 'ITT', itt);
      const ref = referencedTaskTag(c, r);
      if (ref !== RESERVED_TAG) tag('referencedTaskTag', 'ref', ref);
      add('cmdSN', `CmdSN ${cmdSN(c, r)}`);
      break;
    }
    case OP_TASK_MGMT_RESPONSE:
      title = `TMF Response: ${tmfResponseName(response(c, r))}`;
      tag('itt', 'ITT', itt);
      add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    case OP_LOGIN_REQUEST:
    case OP_LOGIN_RESPONSE: {
      title += ` ${STAGE_SHORT[loginCsg(c, r)]}${loginTransit(c, r) ? ` → ${STAGE_SHORT[loginNsg(c, r)]}` : ''}`;
      if (op === OP_LOGIN_RESPONSE && loginStatusClass(c, r) !== 0) {
        title += ` FAILED ${((loginStatusClass(c, r) << 8) | loginStatusDetail(c, r)).toString(16).padStart(4, '0')}`;
      }
      tag('itt', 'ITT', itt);
      if (op === OP_LOGIN_REQUEST) add('cmdSN', `CmdSN ${cmdSN(c, r)}`);
      else add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    }
    case OP_TEXT_REQUEST:
    case OP_TEXT_RESPONSE:
      tag('itt', 'ITT', itt);
      if (op === OP_TEXT_REQUEST) add('cmdSN', `CmdSN ${cmdSN(c, r)}`);
      else add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    case OP_LOGOUT_REQUEST:
      title += `: ${logoutReasonName(logoutReason(c, r)).toLowerCase()}`;
      tag('itt', 'ITT', itt);
      add('cmdSN', `CmdSN ${cmdSN(c, r)}`);
      break;
    case OP_LOGOUT_RESPONSE:
      title += response(c, r) === 0 ? ' (success)' : ` (response ${response(c, r)})`;
      tag('itt', 'ITT', itt);
      add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    case OP_REJECT:
      title += `: ${rejectReasonName(rejectReason(c, r))}`;
      add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    case OP_ASYNC_MESSAGE:
      title += `: ${asyncEventName(asyncEvent(c, r))}`;
      add('statSN', `StatSN ${statSN(c, r)}`);
      break;
    default:
      tag('itt', 'ITT', itt);
      break;
  }
  return { title, fields: f };
}
