// Named reads of the raw BHS words in the PDU columns (RFC 7143 §11; see pdu-table.ts), and the
// short labels the ladder draws. Nothing here allocates per PDU except the label strings of the
// arrows on screen.

import type { PduColumns, PduDetail } from '../../engine/index.ts';
import { NO_LUN } from '../../engine/index.ts';
import {
  loginStageName, logoutReasonName, opcodeName, rejectReasonName, scsiOpcodeName, scsiStatusName, tmfFunctionName,
  tmfResponseName, asyncEventName, parseSense, senseKeyName,
} from '../../codec/index.ts';
import { hexTag, fmtInt } from './format.ts';
import { cmdSN, dataInHasStatus, dataSegmentLength, expStatSN, Op, opcode, RESERVED_TAG, scsiOpcode, scsiStatus, statSN } from '../../sessions/index.ts';

// The column accessors are the sessions layer's (one reading of the BHS words for checks and page).
export {
  cmdSN, dataInHasStatus, dataSegmentLength, expCmdSN, expStatSN, isTargetOpcode, maxCmdSN, Op, opcode, RESERVED_TAG,
  scsiOpcode, scsiStatus, statSN, totalAhsWords, ttt,
} from '../../sessions/index.ts';

/** LUN number as Wireshark shows it (first level, low 14 bits), or undefined for Login PDUs. */
export function lunNumber(c: PduColumns, luns: readonly string[], r: number): number | undefined {
  const idx = c.lun[r];
  if (idx === NO_LUN) return undefined;
  const raw = luns[idx];
  if (raw === undefined) return undefined;
  return parseInt(raw.slice(0, 4), 16) & 0x3fff;
}

/** Does this PDU type carry a LUN that means something? */
export function carriesLun(op: number): boolean {
  return op === Op.ScsiCommand || op === Op.TmfRequest || op === Op.DataOut || op === Op.R2T || op === Op.NopOut || op === Op.NopIn;
}

/** Advances StatSN (RFC 7143 §4.2.2.2; iscsi-reference "Sequence numbers"). */
export function carriesStatus(c: PduColumns, r: number): boolean {
  const op = opcode(c, r);
  switch (op) {
    case Op.ScsiResponse: case Op.TmfResponse: case Op.LoginResponse: case Op.TextResponse: case Op.LogoutResponse:
    case Op.Async: case Op.Reject:
      return true;
    case Op.NopIn: return c.itt[r] !== RESERVED_TAG;
    case Op.DataIn: return dataInHasStatus(c, r);
    default: return false;
  }
}

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

export interface ArrowLabel {
  /** What: "SCSI Command READ(10)", "NOP-In (ping reply)". */
  title: string;
  /** Key fields: "ITT 0x… · CmdSN 12 · LUN 1". */
  fields: string;
}

/** Sense key and ASC/ASCQ of a SCSI Response's kept sense data: "ILLEGAL REQUEST 24/00". */
export function senseText(details: ReadonlyMap<number, PduDetail> | undefined, r: number): string | undefined {
  const d = details?.get(r);
  if (!d || d.data.length < 4) return undefined;
  const len = (d.data[0] << 8) | d.data[1];
  const s = parseSense(d.data, 2, Math.min(len, d.data.length - 2));
  if (!s) return undefined;
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `${senseKeyName(s.senseKey)} ${h(s.asc)}/${h(s.ascq)}`;
}

/** The label of one PDU arrow, from the columns (and the kept sense data of a response). */
export function arrowLabel(c: PduColumns, luns: readonly string[], r: number, details?: ReadonlyMap<number, PduDetail>): ArrowLabel {
  const op = opcode(c, r);
  const itt = c.itt[r];
  const f: string[] = [];
  let title = shortName(op);
  const tag = (name: string, v: number) => f.push(`${name} ${v === RESERVED_TAG ? '0xffffffff' : hexTag(v)}`);
  const lun = () => {
    const l = lunNumber(c, luns, r);
    if (l !== undefined) f.push(`LUN ${l}`);
  };
  switch (op) {
    case Op.NopOut: {
      const t = c.w20[r];
      if (itt !== RESERVED_TAG) title += ' (ping)';
      else if (t !== RESERVED_TAG) title += ' (ping echo)';
      tag('ITT', itt);
      if (t !== RESERVED_TAG || itt === RESERVED_TAG) tag('TTT', t);
      f.push(`CmdSN ${cmdSN(c, r)}`, `ExpStatSN ${expStatSN(c, r)}`);
      break;
    }
    case Op.NopIn: {
      const t = c.w20[r];
      if (itt !== RESERVED_TAG) title += ' (ping reply)';
      else if (t !== RESERVED_TAG) title += ' (target ping)';
      tag('ITT', itt);
      if (t !== RESERVED_TAG || itt === RESERVED_TAG) tag('TTT', t);
      f.push(`StatSN ${statSN(c, r)}`);
      break;
    }
    case Op.ScsiCommand: {
      title += ` ${scsiOpcodeName(scsiOpcode(c, r))}`;
      tag('ITT', itt);
      lun();
      f.push(`CmdSN ${cmdSN(c, r)}`);
      const len = c.w20[r];
      if (len > 0) f.push(`${fmtInt(len)} B`);
      break;
    }
    case Op.ScsiResponse: {
      const resp = c.b2[r];
      title += resp === 0 ? ` ${scsiStatusName(scsiStatus(c, r))}` : ' Target Failure';
      const sense = resp === 0 && scsiStatus(c, r) === 0x02 ? senseText(details, r) : undefined;
      if (sense) title += `: ${sense}`;
      tag('ITT', itt);
      f.push(`StatSN ${statSN(c, r)}`);
      break;
    }
    case Op.DataIn: {
      if (dataInHasStatus(c, r)) title += ` + ${scsiStatusName(scsiStatus(c, r))}`;
      tag('ITT', itt);
      f.push(`DataSN ${c.w36[r]}`);
      const dsl = dataSegmentLength(c, r);
      if (dsl > 0) f.push(`${fmtInt(dsl)} B`);
      if (dataInHasStatus(c, r)) f.push(`StatSN ${statSN(c, r)}`);
      break;
    }
    case Op.DataOut: {
      tag('ITT', itt);
      f.push(`DataSN ${c.w36[r]}`);
      const dsl = dataSegmentLength(c, r);
      if (dsl > 0) f.push(`${fmtInt(dsl)} B`);
      break;
    }
    case Op.R2T:
      tag('ITT', itt);
      tag('TTT', c.w20[r]);
      f.push(`R2TSN ${c.w36[r]}`);
      break;
    case Op.TmfRequest:
      title = `TMF ${tmfFunctionName(c.b1[r] & 0x7f)}`;
      tag('ITT', itt);
      if (c.w20[r] !== RESERVED_TAG) tag('ref', c.w20[r]);
      f.push(`CmdSN ${cmdSN(c, r)}`);
      break;
    case Op.TmfResponse:
      title = `TMF Response: ${tmfResponseName(c.b2[r])}`;
      tag('ITT', itt);
      f.push(`StatSN ${statSN(c, r)}`);
      break;
    case Op.LoginRequest:
    case Op.LoginResponse: {
      const b1 = c.b1[r];
      const csg = (b1 >> 2) & 3;
      const nsg = b1 & 3;
      const transit = (b1 & 0x80) !== 0;
      title += ` ${STAGE_SHORT[csg]}${transit ? ` → ${STAGE_SHORT[nsg]}` : ''}`;
      if (op === Op.LoginResponse) {
        const cls = c.w36[r] >>> 24;
        if (cls !== 0) title += ` FAILED ${((c.w36[r] >>> 16) & 0xffff).toString(16).padStart(4, '0')}`;
      }
      tag('ITT', itt);
      f.push(op === Op.LoginRequest ? `CmdSN ${cmdSN(c, r)}` : `StatSN ${statSN(c, r)}`);
      break;
    }
    case Op.TextRequest:
    case Op.TextResponse:
      tag('ITT', itt);
      f.push(op === Op.TextRequest ? `CmdSN ${cmdSN(c, r)}` : `StatSN ${statSN(c, r)}`);
      break;
    case Op.LogoutRequest:
      title += `: ${logoutReasonName(c.b1[r] & 0x7f).toLowerCase()}`;
      tag('ITT', itt);
      f.push(`CmdSN ${cmdSN(c, r)}`);
      break;
    case Op.LogoutResponse:
      title += c.b2[r] === 0 ? ' (success)' : ` (response ${c.b2[r]})`;
      tag('ITT', itt);
      f.push(`StatSN ${statSN(c, r)}`);
      break;
    case Op.Reject:
      title += `: ${rejectReasonName(c.b2[r])}`;
      f.push(`StatSN ${statSN(c, r)}`);
      break;
    case Op.Async:
      title += `: ${asyncEventName(c.w36[r] >>> 24)}`;
      f.push(`StatSN ${statSN(c, r)}`);
      break;
    default:
      tag('ITT', itt);
      break;
  }
  return { title, fields: f.join(' · ') };
}

export { loginStageName };
