import type { PduRow } from './analyze.ts';
import type { TsvRow } from './shared.ts';

/**
 * Our PDUs against Wireshark's (.tshark.tsv rows, as lab/reference.py writes them): each row must be
 * one of ours in the same frame with the same header fields.
 */

/** pducount.py's names for opcodes (Wireshark's, with underscores). */
const PDUCOUNT_NAME: Record<number, string> = {
  0x00: 'NOP_Out', 0x01: 'SCSI_Command', 0x02: 'Task_Management_Function', 0x03: 'Login_Command',
  0x04: 'Text_Command', 0x05: 'SCSI_Data_Out', 0x06: 'Logout_Command', 0x10: 'SNACK_Request',
  0x20: 'NOP_In', 0x21: 'SCSI_Response', 0x22: 'Task_Management_Function_Response', 0x23: 'Login_Response',
  0x24: 'Text_Response', 0x25: 'SCSI_Data_In', 0x26: 'Logout_Response', 0x31: 'Ready_To_Transfer',
  0x32: 'Asynchronous_Message', 0x3f: 'Reject',
};

/** tshark column → our jsonl key, with how tshark prints it. */
const FIELDS: Array<[string, string, 'hex' | 'dec']> = [
  ['iscsi.initiatortasktag', 'itt', 'hex'],
  ['iscsi.targettransfertag', 'ttt', 'hex'],
  ['iscsi.cmdsn', 'cmdSN', 'dec'],
  ['iscsi.expstatsn', 'expStatSN', 'dec'],
  ['iscsi.statsn', 'statSN', 'dec'],
  ['iscsi.expcmdsn', 'expCmdSN', 'dec'],
  ['iscsi.maxcmdsn', 'maxCmdSN', 'dec'],
  ['iscsi.datasn', 'dataSN', 'dec'],
  ['iscsi.r2tsn', 'r2tSN', 'dec'],
  ['iscsi.datasegmentlength', 'dataSegmentLength', 'dec'],
];

export interface Agreement {
  tsharkPdus: number;
  matched: number;
  mismatches: string[];
  missedByWireshark: PduRow[];
}

export function compare(capture: string, ours: PduRow[], rows: TsvRow[]): Agreement {
  const byFrame = new Map<number, PduRow[]>();
  const file = (frame: number, p: PduRow): void => {
    const list = byFrame.get(frame) ?? [];
    list.push(p);
    byFrame.set(frame, list);
  };
  for (const p of ours) {
    file(p.frame, p);
    // A PDU the snaplen cut cannot be reassembled: Wireshark shows it where its header is.
    if (p.truncated === true && p.headerFrame !== p.frame) file(p.headerFrame as number, p);
  }
  const used = new Set<PduRow>();
  const mismatches: string[] = [];
  let matched = 0;
  for (const r of rows) {
    const frame = Number(r['frame.number']);
    const opcode = parseInt(r['iscsi.opcode'], 16);
    const candidates = (byFrame.get(frame) ?? []).filter((p) => !used.has(p) && p.opcode === opcode);
    // Several PDUs of one opcode in a frame: the first unused one in stream order, as tshark lists them.
    const p = candidates.find((c) => c.itt === parseInt(r['iscsi.initiatortasktag'], 16)) ?? candidates[0];
    if (!p) {
      mismatches.push(`${capture} frame ${frame}: Wireshark's ${r.opcode_name} (ITT ${r['iscsi.initiatortasktag']}) not found`);
      continue;
    }
    used.add(p);
    const diffs: string[] = [];
    for (const [col, key, kind] of FIELDS) {
      const v = r[col];
      if (v === '') continue;
      // A Data-In without S carries no StatSN (its field is reserved): tshark still prints the field's
      // bytes, the pdus contract leaves the key out.
      if (key === 'statSN' && opcode === 0x25 && p.statSN === undefined) continue;
      const want = kind === 'hex' ? parseInt(v, 16) : Number(v);
      if (p[key] !== want) diffs.push(`${key} ${String(p[key])} ≠ ${want}`);
    }
    if (diffs.length) mismatches.push(`${capture} frame ${frame} ${r.opcode_name}: ${diffs.join(', ')}`);
    else matched++;
  }
  return { tsharkPdus: rows.length, matched, mismatches, missedByWireshark: ours.filter((p) => !used.has(p)) };
}

export function countByName(pdus: PduRow[]): Record<string, number> {
  const r: Record<string, number> = {};
  for (const p of pdus) {
    const n = PDUCOUNT_NAME[p.opcode] ?? `opcode 0x${p.opcode.toString(16).padStart(2, '0')}`;
    r[n] = (r[n] ?? 0) + 1;
  }
  return r;
}

