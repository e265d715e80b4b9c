// The ladder's PDU filter against Wireshark: for each query, the frames it keeps equal the frames of
// the PDUs tshark decoded with those field values (.tshark.tsv beside each capture).

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, readTsv } from '../support/shared.ts';
import type { TsvRow } from '../support/shared.ts';
import { filterRows, parsePduQuery, pduMatcher } from '../../src/ui/lib/pdu-filter.ts';
import { mergeRows, rowsOf } from '../../src/sessions/index.ts';
import type { Analysis } from '../../src/engine/index.ts';

function load(file: string): { a: Analysis; tshark: TsvRow[]; all: Uint32Array } {
  const { analysis: a } = analyzeFile(join(CAPTURES, file));
  const all = mergeRows(a.model.connections.map((c) => rowsOf(a.model.rows, c.conn)));
  return { a, tshark: readTsv(join(CAPTURES, `${file}.tshark.tsv`)), all };
}

/** Frames (one per PDU, in order) the query keeps. */
function kept(a: Analysis, all: Uint32Array, q: string): number[] {
  return [...filterRows(all, pduMatcher(a, parsePduQuery(q)))].map((r) => a.pdus.frame[r]);
}
const framesOf = (rows: TsvRow[]) => rows.map((r) => Number(r['frame.number']));
const hex = (v: string) => (v === '' ? undefined : Number(v));

describe('PDU filter, initiator-ping-timeout.pcap', () => {
  const { a, tshark, all } = load('initiator-ping-timeout.pcap');

  test('no terms: everything', () => {
    expect(kept(a, all, '   ')).toEqual(framesOf(tshark));
    expect(pduMatcher(a, parsePduQuery(''))).toBeUndefined();
  });

  test('itt, a bare tag, opcode names and numbers', () => {
    expect(kept(a, all, 'itt:0x191ae5b9')).toEqual(framesOf(tshark.filter((r) => r['iscsi.initiatortasktag'] === '0x191ae5b9')));
    expect(kept(a, all, '0x191ae5b9')).toEqual(framesOf(tshark.filter((r) => r['iscsi.initiatortasktag'] === '0x191ae5b9')));
    expect(kept(a, all, 'op:nop-out')).toEqual(framesOf(tshark.filter((r) => r['iscsi.opcode'] === '0x00')));
    expect(kept(a, all, 'NOP')).toEqual(framesOf(tshark.filter((r) => r['iscsi.opcode'] === '0x00' || r['iscsi.opcode'] === '0x20')));
    expect(kept(a, all, 'op:0x20')).toEqual(framesOf(tshark.filter((r) => r['iscsi.opcode'] === '0x20')));
    expect(kept(a, all, 'op:"login response"')).toEqual(framesOf(tshark.filter((r) => r['iscsi.opcode'] === '0x23')));
  });

  test('sequence numbers only where the PDU carries them', () => {
    const cmd = tshark.find((r) => r['iscsi.opcode'] === '0x00' && r['iscsi.cmdsn'] !== '')!['iscsi.cmdsn'];
    expect(kept(a, all, `cmdsn:${cmd}`)).toEqual(framesOf(tshark.filter((r) => r['iscsi.cmdsn'] === cmd && r['iscsi.opcode'] !== '0x03')));
    expect(kept(a, all, 'statsn:6')).toEqual(framesOf(tshark.filter((r) => hex(r['iscsi.statsn']) === 6)));
    expect(kept(a, all, 'expstatsn=6')).toEqual(framesOf(tshark.filter((r) => hex(r['iscsi.expstatsn']) === 6)));
  });

  test('frames, connections, and terms together', () => {
    expect(kept(a, all, 'frame:20-30')).toEqual(framesOf(tshark.filter((r) => Number(r['frame.number']) >= 20 && Number(r['frame.number']) <= 30)));
    expect(kept(a, all, 'frame:38')).toEqual([38]);
    expect(kept(a, all, 'conn:1 op:login')).toEqual(framesOf(tshark.filter((r) => r['tcp.stream'] === '1' && (r['iscsi.opcode'] === '0x03' || r['iscsi.opcode'] === '0x23'))));
  });

  test('what it does not understand it says, and applies the rest', () => {
    const q = parsePduQuery('color:red itt:zz nop');
    expect(q.problems).toHaveLength(2);
    expect(q.terms.map((t) => t.key)).toEqual(['word']);
    expect(parsePduQuery('frame:9-x').problems).toHaveLength(1);
  });
});

describe('PDU filter, slow-target-abort.pcap', () => {
  const { a, tshark, all } = load('slow-target-abort.pcap');

  test('SCSI opcode by name or number, LUN', () => {
    const reads = tshark.filter((r) => r['iscsi.opcode'] === '0x01' && /^read/i.test(r['scsi.opcode_name']));
    expect(reads.length).toBeGreaterThan(0);
    expect(kept(a, all, 'scsi:read')).toEqual(framesOf(reads));
    expect(kept(a, all, 'scsi:0x88')).toEqual(framesOf(tshark.filter((r) => r['iscsi.opcode'] === '0x01' && r['scsi.opcode'] === '0x88')));
    expect(kept(a, all, 'op:"SCSI Command" lun:0')).toEqual(framesOf(tshark.filter((r) => r['iscsi.opcode'] === '0x01' && r['iscsi.lun'] === '0x0000')));
    expect(kept(a, all, 'op:tmf')).toEqual(framesOf(tshark.filter((r) => r['iscsi.opcode'] === '0x02' || r['iscsi.opcode'] === '0x22')));
  });

  test('follow a task: the command, its Data-In and status (ITT of the READ(16))', () => {
    const read16 = tshark.find((r) => r['iscsi.opcode'] === '0x01' && r['scsi.opcode'] === '0x88')!;
    const row = [...all].find((r) => a.pdus.frame[r] === Number(read16['frame.number']))!;
    const task = a.model.rowTask[row];
    expect(task).toBeGreaterThanOrEqual(0);
    // tshark: the PDUs of that ITT that are SCSI Command, Data-In or SCSI Response (not the TMFs naming it)
    const itt = read16['iscsi.initiatortasktag'];
    const want = tshark.filter((r) => r['iscsi.initiatortasktag'] === itt && ['0x01', '0x25', '0x21'].includes(r['iscsi.opcode']));
    expect(kept(a, all, `task:${task}`)).toEqual(framesOf(want));
  });
});
