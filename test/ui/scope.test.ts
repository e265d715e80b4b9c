// Ladder scopes on a real capture: initiator-ping-timeout.pcap (the lab's README: the target
// freezes, 5 NOP-Out pings go unanswered, the initiator closes with a FIN and logs in again on a new
// connection; the late NOP-In draws an RST). Expected frames come from tshark's decode beside the
// capture (.tshark.tsv) and from `tshark -Y 'tcp.flags.fin==1 || tcp.flags.reset==1 || tcp.flags.syn==1'`
// (SYN 1, 2 and 32, 33; FIN 31 on tcp.stream 0, 54 and 55 on stream 1; RST 39 on stream 0).

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, readTsv } from '../support/shared.ts';
import { connScope, ladderView, pairScope, scopeFor, scopeFromKey, scopesOf, sessionScope } from '../../src/ui/lib/scope.ts';
import { findingsByConn, findingsOfScope, ladderRelations } from '../../src/ui/lib/view.ts';

const FILE = 'initiator-ping-timeout.pcap';
const { analysis: a } = analyzeFile(join(CAPTURES, FILE));
const tshark = readTsv(join(CAPTURES, `${FILE}.tshark.tsv`));
/** tshark's iSCSI PDUs as [frame, opcode], in frame order, for the given TCP streams. */
const pdusOf = (streams: string[]) => tshark.filter((r) => streams.includes(r['tcp.stream'])).map((r) => [Number(r['frame.number']), Number(r['iscsi.opcode'])]);

describe('ladder scopes', () => {
  test('the two connections are two sessions (each ISID its own) of one initiator–target pair', () => {
    const isids = new Map<string, Set<string>>();
    for (const r of tshark) if (r['iscsi.isid']) (isids.get(r['tcp.stream']) ?? isids.set(r['tcp.stream'], new Set()).get(r['tcp.stream'])!).add(r['iscsi.isid']);
    expect([...isids.get('0')!]).toEqual(['80:13:a2:0b:00:00']);
    expect([...isids.get('1')!]).toEqual(['80:96:0b:2f:00:00']);
    expect(sessionScope(a, 0)).toBeUndefined();
    expect(pairScope(a, 0)?.conns).toEqual([0, 1]);
    expect(scopesOf(a, 1).map((s) => s.kind)).toEqual(['conn', 'pair']);
    // an incident on both connections opens the pair
    expect(scopeFor(a, [1, 0])).toEqual(pairScope(a, 0));
    expect(scopeFor(a, [1])).toEqual(connScope(1));
    expect(scopeFor(a, [7])).toBeUndefined();
  });

  test('a scope survives the URL hash; junk names nothing', () => {
    for (const s of [connScope(1), pairScope(a, 0)!]) expect(scopeFromKey(a, s.key)).toEqual(s);
    expect(scopeFromKey(a, 'conn:9')).toBeUndefined();
    expect(scopeFromKey(a, 'nonsense')).toBeUndefined();
    expect(scopeFromKey(a, 'conns:0,1')?.conns).toEqual([0, 1]);
  });

  test('the pair ladder holds both connections\' PDUs in frame order, as tshark decodes them', () => {
    const v = ladderView(a, pairScope(a, 0)!);
    const got = [...v.rows].map((r) => [a.pdus.frame[r], a.pdus.b0[r] & 0x3f]);
    expect(got).toEqual(pdusOf(['0', '1']));
    // the late NOP-In on conn 0 sits right before conn 1's Login Response, 104 µs apart
    const nopIn = tshark.find((r) => r['tcp.stream'] === '0' && r['iscsi.opcode'] === '0x20' && Number(r['frame.number']) > 31)!;
    const loginResp = tshark.find((r) => r['tcp.stream'] === '1' && r['iscsi.opcode'] === '0x23')!;
    const frames = got.map(([f]) => f);
    expect(frames.indexOf(Number(loginResp['frame.number'])) - frames.indexOf(Number(nopIn['frame.number']))).toBe(1);
    // the TCP control events of both, in frame order, each with its connection
    expect(v.control.map((e) => [e.frame, e.kind, v.controlConn[v.control.indexOf(e)]])).toEqual([
      [1, 'SYN', 0], [2, 'SYN', 0], [31, 'FIN', 0], [32, 'SYN', 1], [33, 'SYN', 1], [39, 'RST', 0], [54, 'FIN', 1], [55, 'FIN', 1],
    ]);
    for (let k = 0; k < v.control.length; k++) expect(v.ctlIndex(v.controlConn[k], v.controlIndex[k])).toBe(k);
  });

  test('relations of the pair ladder: the silence until the FIN, and the relogin from conn 0\'s FIN to conn 1\'s Login', () => {
    const v = ladderView(a, pairScope(a, 0)!);
    const rels = ladderRelations(a, v, findingsOfScope(findingsByConn(a.findings), v.scope.conns));
    const frameOf = (e: (typeof rels)[number]['from']) => ('pos' in e ? a.pdus.frame[v.rows[e.pos]] : 'ctl' in e ? v.control[e.ctl].frame : -1);
    const reconnect = rels.filter((r) => r.kind === 'reconnect');
    expect(reconnect).toHaveLength(1);
    const firstLogin = tshark.find((r) => r['tcp.stream'] === '1' && r['iscsi.opcode'] === '0x03')!;
    expect([frameOf(reconnect[0].from), frameOf(reconnect[0].to)]).toEqual([31, Number(firstLogin['frame.number'])]);
    expect(a.findings[reconnect[0].finding].kind).toBe('relogin');
    // the five unanswered NOP-Outs of conn 0 (tshark: NOP-Outs with an ITT no NOP-In echoes before the FIN) are one silence
    const answeredBeforeFin = new Set(tshark.filter((r) => r['iscsi.opcode'] === '0x20' && Number(r['frame.number']) < 31).map((r) => r['iscsi.initiatortasktag']));
    const lost = tshark.filter((r) => r['tcp.stream'] === '0' && r['iscsi.opcode'] === '0x00' && r['iscsi.initiatortasktag'] !== '0xffffffff' && !answeredBeforeFin.has(r['iscsi.initiatortasktag'])).map((r) => Number(r['frame.number']));
    expect(lost).toHaveLength(5);
    const silence = rels.filter((r) => r.kind === 'silence');
    expect(silence).toHaveLength(1);
    expect([frameOf(silence[0].from), ...silence[0].also.map((p) => a.pdus.frame[v.rows[p]])]).toEqual(lost);
    expect(frameOf(silence[0].to)).toBe(31);
    // it stands for every unanswered ping's finding, so none is noted twice
    expect(silence[0].carries.map((i) => a.findings[i].frame ?? -1).sort((x, y) => x - y)).toEqual(lost);
  });

  test('the connection ladder of conn 1 alone has no reconnect: the failed connection is not in it', () => {
    const v = ladderView(a, connScope(1));
    expect([...v.rows].map((r) => a.pdus.frame[r])).toEqual(pdusOf(['1']).map(([f]) => f));
    const rels = ladderRelations(a, v, findingsOfScope(findingsByConn(a.findings), [1]));
    expect(rels.some((r) => r.kind === 'reconnect')).toBe(false);
  });
});
