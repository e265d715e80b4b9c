// Golden test: every PDU of the shared captures, decoded from the real bytes, against Wireshark's
// decode of the same PDU (captures/*.tshark.tsv, tshark 4.0.17). The walker only uses the lengths
// in each BHS to find the next one; all expected values come from the tsv.

import { describe, expect, test } from 'vitest';
import { byteSwap32, textKey } from '../../src/codec/index.ts';
import type { Pdu } from '../../src/codec/index.ts';
import { FULL_CAPTURES, readTsv, walkCapture } from './helpers/capture.ts';
import type { TsvRow, WalkedPdu } from './helpers/capture.ts';

const num = (s: string): number => (s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s));
const bool = (s: string): boolean => s === '1';

// What our decode says for a tsv column, or undefined when the PDU type has no such field.
function ours(p: Pdu, col: string): number | boolean | string | undefined {
  const r = p as unknown as Record<string, unknown>;
  const pick = (k: string): number | boolean | string | undefined => {
    const v = r[k];
    return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? v : undefined;
  };
  switch (col) {
    case 'iscsi.opcode': return p.opcode;
    case 'iscsi.I': return p.immediate;
    case 'iscsi.flags': return p.flags;
    case 'iscsi.totalahslength': return p.totalAHSLength;
    case 'iscsi.datasegmentlength': return p.dataSegmentLength;
    case 'iscsi.lun': return pick('lun');
    case 'iscsi.initiatortasktag': return p.itt;
    case 'iscsi.targettransfertag': return pick('ttt');
    case 'iscsi.cmdsn': return pick('cmdSN');
    case 'iscsi.expstatsn': return pick('expStatSN');
    case 'iscsi.statsn': return pick('statSN');
    case 'iscsi.expcmdsn': return pick('expCmdSN');
    case 'iscsi.maxcmdsn': return pick('maxCmdSN');
    case 'iscsi.datasn': return pick('dataSN');
    case 'iscsi.r2tsn': return pick('r2tSN');
    case 'iscsi.expdatasn': return pick('expDataSN');
    case 'iscsi.bufferOffset': return pick('bufferOffset');
    case 'iscsi.desireddatalength': return pick('desiredDataTransferLength');
    case 'iscsi.scsicommand.expecteddatatransferlength': return pick('expectedDataTransferLength');
    case 'iscsi.scsiresponse.residualcount': return pick('residualCount');
    case 'iscsi.scsidata.readresidualcount': return pick('residualCount');
    case 'iscsi.scsiresponse.status': return pick('status');
    case 'iscsi.scsiresponse.response': return p.opcode === 0x21 ? p.response : undefined;
    case 'iscsi.scsiresponse.senselength': return pick('senseLength');
    case 'iscsi.taskmanfun.function': return pick('tmfFunction');
    case 'iscsi.taskmanfun.referencedtasktag': return pick('referencedTaskTag');
    case 'iscsi.refcmdsn': return pick('refCmdSN');
    case 'iscsi.taskmanfun.response': return p.opcode === 0x22 ? p.response : undefined;
    case 'iscsi.login.T': return pick('transit');
    case 'iscsi.login.C':
    case 'iscsi.text.C': return pick('cont');
    case 'iscsi.text.F': return p.final;
    case 'iscsi.login.csg': return pick('csg');
    case 'iscsi.login.nsg': return pick('nsg');
    case 'iscsi.login.status': return p.opcode === 0x23 ? (p.loginStatusClass << 8) | p.loginStatusDetail : undefined;
    case 'iscsi.isid': return pick('isid');
    case 'iscsi.tsih': return pick('tsih');
    case 'iscsi.cid': return pick('cid');
    case 'iscsi.versionmax': return pick('versionMax');
    case 'iscsi.versionmin': return pick('versionMin');
    case 'iscsi.versionactive': return pick('versionActive');
    case 'iscsi.logout.reason': return pick('logoutReason');
    case 'iscsi.logout.response': return p.opcode === 0x26 ? p.response : undefined;
    case 'iscsi.time2wait': return pick('time2Wait');
    case 'iscsi.time2retain': return pick('time2Retain');
    case 'iscsi.reject.reason': return pick('rejectReason');
    case 'iscsi.asyncevent': return pick('asyncEvent');
    case 'iscsi.parameter1': return pick('parameter1');
    case 'iscsi.parameter2': return pick('parameter2');
    case 'iscsi.parameter3': return pick('parameter3');
    case 'iscsi.snack.type': return pick('snackType');
    // Wireshark prints the big-endian reading of the 4 digest bytes.
    case 'iscsi.headerdigest32': return p.headerDigest !== undefined ? byteSwap32(p.headerDigest.received) : undefined;
    case 'iscsi.datadigest32': return p.dataDigest !== undefined ? byteSwap32(p.dataDigest.received) : undefined;
    case 'iscsi.keyvalue': return 'keys' in p ? p.keys.map(([k, v]) => `${k}=${v}`).join(';') : undefined;
    default: return undefined;
  }
}

const STRING_COLS = new Set(['iscsi.isid', 'iscsi.keyvalue']);
const BOOL_COLS = new Set(['iscsi.I', 'iscsi.login.T', 'iscsi.login.C', 'iscsi.text.C', 'iscsi.text.F']);
const SKIP = new Set(['frame.number', 'frame.time_epoch', 'tcp.stream', 'ip.src', 'tcp.srcport', 'ip.dst', 'tcp.dstport',
  'pdu_in_frame', 'opcode_name', 'scsi.lun', 'scsi.opcode', 'scsi.opcode_name', 'ws.expert', 'ws.malformed']);

function compare(w: WalkedPdu, row: TsvRow): string[] {
  const diffs: string[] = [];
  for (const [col, val] of Object.entries(row)) {
    if (SKIP.has(col) || val === '') continue;
    const mine = ours(w.pdu, col);
    const want = STRING_COLS.has(col) ? val : BOOL_COLS.has(col) ? bool(val) : num(val);
    if (mine !== want) diffs.push(`${col}: tshark ${val}, ours ${String(mine)}`);
  }
  // The SCSI layer's opcode is Wireshark's task tracking; for a SCSI Command it is the CDB's byte 0.
  if (w.pdu.opcode === 0x01 && row['scsi.opcode'] !== '' && w.pdu.scsiOpcode !== num(row['scsi.opcode'])) {
    diffs.push(`scsi.opcode: tshark ${row['scsi.opcode']}, ours ${w.pdu.scsiOpcode}`);
  }
  return diffs;
}


describe('decode agrees with Wireshark on every PDU', () => {
  for (const file of FULL_CAPTURES) {
    test(file, () => {
      const walked = walkCapture(file);
      const rows = readTsv(`${file}.tshark.tsv`);
      const byKey = new Map(walked.map((w) => [`${w.frame}/${w.pduInFrame}`, w]));
      // pducount.txt (an independent walk) and Wireshark agree on the count for these captures.
      expect(walked.length).toBe(rows.length);
      const diffs: string[] = [];
      for (const row of rows) {
        const w = byKey.get(`${row['frame.number']}/${row.pdu_in_frame}`);
        if (w === undefined) {
          diffs.push(`frame ${row['frame.number']}#${row.pdu_in_frame}: no PDU of ours ends there`);
          continue;
        }
        for (const d of compare(w, row)) diffs.push(`frame ${row['frame.number']}#${row.pdu_in_frame} ${row.opcode_name}: ${d}`);
        if (w.pdu.truncated) diffs.push(`frame ${row['frame.number']}: truncated`);
        if (w.pdu.headerDigest !== undefined && !w.pdu.headerDigest.ok) diffs.push(`frame ${row['frame.number']}: header digest does not verify`);
      }
      expect(diffs.slice(0, 20)).toEqual([]);
      // Real PDUs from tgt and libiscsi break no header rule.
      const problems = walked.filter((w) => w.pdu.problems.length > 0)
        .map((w) => `frame ${w.frame} ${w.pdu.name}: ${w.pdu.problems.join('; ')}`);
      expect(problems.slice(0, 20)).toEqual([]);
    });
  }
});

describe('specific PDUs, field by field against the tsv', () => {
  const find = (file: string, frame: number, idx = 0): Pdu => {
    const w = walkCapture(file).find((x) => x.frame === frame && x.pduInFrame === idx);
    if (w === undefined) throw new Error(`no PDU at ${file} frame ${frame}`);
    return w.pdu;
  };

  test('basic-io frame 4: the first Login Request', () => {
    const p = find('basic-io.pcap', 4);
    expect(p.opcode).toBe(0x03);
    if (p.opcode !== 0x03) return;
    // iscsi.initiatortasktag 0x19f3bd62, cmdsn 1052714800, expstatsn 1, T 1, C 0, csg 0x01, nsg 0x03,
    // isid 80:de:c7:3e:00:00, tsih 0x0000, cid 0x0000, versionmax/min 0x00, datasegmentlength 395
    expect(p.itt).toBe(0x19f3bd62);
    expect(p.cmdSN).toBe(1052714800);
    expect(p.expStatSN).toBe(1);
    expect([p.transit, p.cont, p.csg, p.nsg]).toEqual([true, false, 1, 3]);
    expect(p.isid).toBe('80:de:c7:3e:00:00');
    expect([p.tsih, p.cid, p.versionMax, p.versionMin]).toEqual([0, 0, 0, 0]);
    expect(p.dataSegmentLength).toBe(395);
    expect(p.immediate).toBe(true);
    expect(textKey(p.keys, 'InitiatorName')).toBe('iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-ls');
    expect(textKey(p.keys, 'SessionType')).toBe('Discovery');
    expect(p.keys.length).toBe(18);
  });

  test('basic-io frame 6: its Login Response', () => {
    const p = find('basic-io.pcap', 6);
    expect(p.opcode).toBe(0x23);
    if (p.opcode !== 0x23) return;
    expect([p.statSN, p.expCmdSN, p.maxCmdSN]).toEqual([0, 1052714800, 1052714801]);
    expect([p.loginStatusClass, p.loginStatusDetail, p.tsih]).toEqual([0, 0, 0x0100]);
    expect(textKey(p.keys, 'TargetPortalGroupTag')).toBe('1');
  });

  test('basic-io frames 8 and 9: SendTargets discovery', () => {
    const q = find('basic-io.pcap', 8);
    const r = find('basic-io.pcap', 9);
    expect(q.opcode === 0x04 && q.keys).toEqual([['SendTargets', 'All']]);
    expect(r.opcode === 0x24 && r.keys).toEqual([
      ['TargetName', 'iqn.2024-01.lab.tgt:disk1'], ['TargetAddress', '127.0.0.1:3260,1'],
      ['TargetName', 'iqn.2024-01.lab.tgt:disk2'], ['TargetAddress', '127.0.0.1:3260,1'],
    ]);
  });

  test('basic-io frame 22: SCSI Response with CHECK CONDITION and sense', () => {
    const p = find('basic-io.pcap', 22);
    expect(p.opcode).toBe(0x21);
    if (p.opcode !== 0x21) return;
    expect([p.status, p.response, p.senseLength, p.dataSegmentLength]).toEqual([0x02, 0, 18, 20]);
    expect(p.sense?.format).toBe('fixed');
  });

  test('slow-target-abort frames 47/58: ABORT TASK and its (late) response', () => {
    const q = find('slow-target-abort.pcap', 47);
    expect(q.opcode).toBe(0x02);
    if (q.opcode !== 0x02) return;
    expect([q.tmfFunction, q.referencedTaskTag, q.refCmdSN, q.lun, q.immediate]).toEqual([1, 0x1945508e, 1717200737, 1, true]);
    const r = find('slow-target-abort.pcap', 58);
    expect(r.opcode === 0x22 && [r.itt, r.response, r.statSN]).toEqual([0x19455090, 0, 16]);
  });

  test('basic-io frame 114: R2T', () => {
    const p = find('basic-io.pcap', 114);
    expect(p.opcode === 0x31 && [p.ttt, p.r2tSN, p.bufferOffset, p.desiredDataTransferLength, p.lun])
      .toEqual([0xd0a413e2, 0, 8192, 57344, 1]);
  });
});
