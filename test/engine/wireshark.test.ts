import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import type { PduRow } from '../support/analyze.ts';
import { CAPTURES, pduCount, readTsv, sharedCaptures } from '../support/shared.ts';
import type { TsvRow } from '../support/shared.ts';

/**
 * Wireshark agreement: every PDU tshark decoded in a shared capture (its .tshark.tsv, one row per
 * PDU, in the frame that completed it) must be one of ours, in the same frame, with the same header
 * fields. Where lab/pducount.py's independent walk gives a count, ours must equal it.
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

interface Agreement {
  tsharkPdus: number;
  matched: number;
  mismatches: string[];
  missedByWireshark: PduRow[];
}

function compare(capture: string, ours: PduRow[], rows: TsvRow[]): Agreement {
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
      const want = kind === 'hex' ? parseInt(v, 16) : Number(v);
      if (p[key] !== want) diffs.push(`${key} ${String(p[key])} ≠ ${want}`);
    }
    if (diffs.length) mismatches.push(`${capture} frame ${frame} ${r.opcode_name}: ${diffs.join(', ')}`);
    else matched++;
  }
  return { tsharkPdus: rows.length, matched, mismatches, missedByWireshark: ours.filter((p) => !used.has(p)) };
}

function countByName(pdus: PduRow[]): Record<string, number> {
  const r: Record<string, number> = {};
  for (const p of pdus) {
    const n = PDUCOUNT_NAME[p.opcode] ?? `opcode 0x${p.opcode.toString(16).padStart(2, '0')}`;
    r[n] = (r[n] ?? 0) + 1;
  }
  return r;
}

const SNAPLEN = new Set(['snaplen-96.pcap', 'snaplen-128.pcap']);

describe('Wireshark agreement on the shared captures', () => {
  for (const capture of sharedCaptures()) {
    test(capture, () => {
      const tsvPath = join(CAPTURES, `${capture}.tshark.tsv`);
      expect(existsSync(tsvPath)).toBe(true);
      const rows = readTsv(tsvPath);
      const { analysis, pdus } = analyzeFile(join(CAPTURES, capture));
      expect(analysis.error).toBeUndefined();
      const a = compare(capture, pdus, rows);
      expect(a.mismatches).toEqual([]);
      expect(a.matched).toBe(rows.length);

      const independent = pduCount(capture);
      if (independent && !SNAPLEN.has(capture)) {
        // The independent walk and ours see the same PDUs, type by type.
        expect(pdus.length).toBe(independent.total);
        expect(countByName(pdus)).toEqual(independent.byName);
      }
      if (capture === 'midstream.pcap') {
        // Wireshark resynchronises only where a segment starts with a BHS: it misses the Data-In
        // PDUs that begin inside segments of the target's stream (19 of 42).
        expect(rows.length).toBe(23);
        expect(a.missedByWireshark.map((p) => p.opcode)).toEqual(Array(19).fill(0x25));
      } else if (!SNAPLEN.has(capture)) {
        expect(a.missedByWireshark).toEqual([]);
      }
    });
  }

  test('snaplen 128: every PDU Wireshark decodes, marked truncated where cut', () => {
    const rows = readTsv(join(CAPTURES, 'snaplen-128.pcap.tshark.tsv'));
    const { analysis, pdus } = analyzeFile(join(CAPTURES, 'snaplen-128.pcap'));
    const a = compare('snaplen-128.pcap', pdus, rows);
    expect(a.mismatches).toEqual([]);
    expect(a.matched).toBe(154);
    expect(analysis.capture.truncatedPackets).toBeGreaterThan(0);
    expect(pdus.some((p) => p.truncated === true)).toBe(true);
  });

  test('snaplen 96: no whole BHS in any frame: no PDUs invented, truncation reported', () => {
    const { analysis, pdus } = analyzeFile(join(CAPTURES, 'snaplen-96.pcap'));
    expect(pdus).toEqual([]);
    expect(analysis.capture.snaplen).toBe(96);
    expect(analysis.capture.truncatedPackets).toBeGreaterThan(1000);
    expect(analysis.connections.length).toBe(1);
  });
});
