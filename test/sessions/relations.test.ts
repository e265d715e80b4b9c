// The model owns every relation as row references. On every shared capture the relations it drew
// are checked against Wireshark's decode (.tshark.tsv), paired by the RFC 7143 rules directly on
// tshark's rows: a NOP-Out ping and the NOP-In with its ITT (§11.18-19), a target NOP-In and the
// NOP-Out echoing its TTT, a TMF request and the response with its ITT (§11.5-6), a Logout Request
// and its response, a SCSI Command and its status (SCSI Response, or Data-In with S) by ITT.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Analysis } from '../../src/engine/index.ts';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, readTsv, sharedCaptures } from '../support/shared.ts';
import type { TsvRow } from '../support/shared.ts';

const RESERVED = 0xffffffff;

/** Pairs of (request frame, answer frame or 0) per TCP stream, from tshark's rows. */
function pairs(tsv: TsvRow[], isRequest: (r: TsvRow) => boolean, isAnswer: (r: TsvRow) => boolean, key: (r: TsvRow) => string, answerKey = key): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  const waiting = new Map<string, number>();
  for (const r of tsv) {
    const stream = r['tcp.stream'];
    if (isRequest(r)) {
      const k = `${stream}/${key(r)}`;
      out.push([stream, Number(r['frame.number']), 0]);
      waiting.set(k, out.length - 1);
    } else if (isAnswer(r)) {
      const k = `${stream}/${answerKey(r)}`;
      const i = waiting.get(k);
      if (i !== undefined) {
        out[i][2] = Number(r['frame.number']);
        waiting.delete(k);
      }
    }
  }
  return out;
}

/** The model's relations of a kind, as (conn, from frame, answer frame or 0). */
function relations(a: Analysis, kind: string): Array<[string, number, number]> {
  return a.model.relations.filter((r) => r.kind === kind)
    .map((r) => [String(r.conn), a.pdus.frame[r.from], r.answer >= 0 ? a.pdus.frame[r.answer] : 0] as [string, number, number]);
}

const tag = (col: string) => (r: TsvRow): string => String(Number(r[col]));
const sorted = (x: Array<[string, number, number]>) => [...x].sort((p, q) => p[1] - q[1] || Number(p[0]) - Number(q[0]));

// midstream and the snaplen captures: Wireshark decodes only part of the PDUs there.
const WHOLE = sharedCaptures().filter((n) => !n.startsWith('snaplen') && n !== 'midstream.pcap');

describe('the model relates PDUs as Wireshark’s decode does', () => {
  test.each(WHOLE)('%s: pings, target pings, TMFs, logouts, command status', (name) => {
    const { analysis } = analyzeFile(join(CAPTURES, name));
    const tsv = readTsv(join(CAPTURES, `${name}.tshark.tsv`));
    const itt = (r: TsvRow) => Number(r['iscsi.initiatortasktag']);
    const ttt = (r: TsvRow) => Number(r['iscsi.targettransfertag']);
    expect(sorted(relations(analysis, 'ping'))).toEqual(sorted(pairs(tsv,
      (r) => r.opcode_name === 'NOP Out' && itt(r) !== RESERVED,
      (r) => r.opcode_name === 'NOP In' && itt(r) !== RESERVED, tag('iscsi.initiatortasktag'))));
    expect(sorted(relations(analysis, 'target-ping'))).toEqual(sorted(pairs(tsv,
      (r) => r.opcode_name === 'NOP In' && itt(r) === RESERVED && ttt(r) !== RESERVED,
      (r) => r.opcode_name === 'NOP Out' && ttt(r) !== RESERVED, tag('iscsi.targettransfertag'))));
    expect(sorted(relations(analysis, 'tmf'))).toEqual(sorted(pairs(tsv,
      (r) => r.opcode_name === 'Task Management Function',
      (r) => r.opcode_name === 'Task Management Function Response', tag('iscsi.initiatortasktag'))));
    expect(sorted(relations(analysis, 'logout'))).toEqual(sorted(pairs(tsv,
      (r) => r.opcode_name === 'Logout Command',
      (r) => r.opcode_name === 'Logout Response', tag('iscsi.initiatortasktag'))));
    // command ↔ status: the task table, per SCSI Command
    const status = pairs(tsv, (r) => r.opcode_name === 'SCSI Command',
      (r) => r.opcode_name === 'SCSI Response' || (r.opcode_name === 'SCSI Data In' && r['iscsi.scsiresponse.status'] !== ''),
      tag('iscsi.initiatortasktag'));
    const t = analysis.model.tasks;
    const ours: Array<[string, number, number]> = [];
    for (let i = 0; i < t.count; i++) ours.push([String(t.conn[i]), t.frame[i], t.statusFrame[i]]);
    expect(sorted(ours)).toEqual(sorted(status));
  });

  test('every row a relation names is a PDU of its connection; tmf-task joins the command a TMF names', () => {
    for (const name of WHOLE) {
      const { analysis } = analyzeFile(join(CAPTURES, name));
      const c = analysis.pdus;
      for (const r of analysis.model.relations) {
        expect(c.conn[r.from], name).toBe(r.conn);
        if (r.answer >= 0) expect(c.conn[r.answer], name).toBe(r.conn);
        if ('control' in r.to) expect(analysis.connections[r.conn].control[r.to.control], name).toBeDefined();
      }
    }
    // slow-target-abort: ABORT TASK names the READ(16) whose ITT is its Referenced Task Tag (tshark).
    const { analysis } = analyzeFile(join(CAPTURES, 'slow-target-abort.pcap'));
    const tsv = readTsv(join(CAPTURES, 'slow-target-abort.pcap.tshark.tsv'));
    const abort = analysis.model.tmfs.find((m) => m.fn === 1)!;
    const read = tsv.find((r) => r.opcode_name === 'SCSI Command' && Number(r['iscsi.initiatortasktag']) === abort.referencedTaskTag)!;
    const rel = analysis.model.relations[abort.taskRelation];
    expect(rel.kind).toBe('tmf-task');
    expect(analysis.pdus.frame[rel.from]).toBe(Number(read['frame.number']));
    expect(analysis.pdus.frame[rel.answer]).toBe(abort.request.frame);
  });

  test('an unanswered ping waits until the initiator gave up: its FIN (initiator-ping-timeout, frames from tshark)', () => {
    const { analysis } = analyzeFile(join(CAPTURES, 'initiator-ping-timeout.pcap'));
    const unanswered = analysis.model.relations.filter((r) => r.kind === 'ping' && r.fate !== 'answered');
    expect(unanswered.length).toBe(5);
    for (const r of unanswered) {
      expect('control' in r.to).toBe(true);
      const e = analysis.connections[r.conn].control[(r.to as { control: number }).control];
      expect(e.kind).toBe('FIN');
      expect(e.by).toBe('initiator');
    }
    // Each links to the finding that reports it.
    for (const [k, r] of analysis.model.relations.entries()) {
      if (r.kind !== 'ping') continue;
      const f = analysis.findings[analysis.relationFindings[k]];
      expect(f.kind).toBe(r.fate === 'answered' ? 'nop-ping' : 'nop-ping-unanswered');
      expect(f.frame).toBe(analysis.pdus.frame[r.from]);
    }
  });
});
