// Wire events of a shared capture built from tshark's decode alone (not from our engine):
// ../shared/captures/X.pcap.tshark.tsv (one row per PDU) and test/fixtures/logs/X.tcp.tsv
// (tshark -T fields of the SYN / FIN / RST segments). Connections are tcp.stream numbers; a
// session groups the connections of one initiator name and target name (a relogin with a new
// ISID, as libiscsi makes, stays in it).

import { join } from 'node:path';
import type { WireConn, WireEvent } from '../../src/logs/index.ts';
import { CAPTURES, readTsv } from '../support/shared.ts';
import type { TsvRow } from '../support/shared.ts';

export const FIXTURES = join(import.meta.dirname, '../fixtures/logs');

const NO_TAG = '0xffffffff';

function key(keys: string, name: string): string | undefined {
  for (const kv of keys.split(';')) if (kv.startsWith(`${name}=`)) return kv.slice(name.length + 1);
  return undefined;
}

export interface CaptureWire {
  events: WireEvent[];
  conns: WireConn[];
  start: number;
}

/** `pduDir` holds X.pcap.tshark.tsv: the shared captures, or the fixtures for one made here. */
export function wireOf(capture: string, pduDir = CAPTURES): CaptureWire {
  const pdus = readTsv(join(pduDir, `${capture}.pcap.tshark.tsv`));
  const tcp = readTsv(join(FIXTURES, `${capture}.tcp.tsv`));
  const time = (r: TsvRow): number => Number(r['frame.time_epoch']);
  const streams = [...new Set(tcp.map((r) => Number(r['tcp.stream'])))].sort((a, b) => a - b);
  const conns: WireConn[] = [];
  const events: WireEvent[] = [];
  const sessions: string[] = [];
  for (const s of streams) {
    const seg = tcp.filter((r) => Number(r['tcp.stream']) === s);
    const syn = seg.find((r) => r['tcp.flags.syn'] === '1' && r['tcp.flags.ack'] === '0');
    if (syn === undefined) continue;
    const iPort = syn['tcp.srcport'];
    const fromInitiator = (r: TsvRow): boolean => r['tcp.srcport'] === iPort;
    const p = pdus.filter((r) => Number(r['tcp.stream']) === s);
    const login = p.find((r) => r['iscsi.opcode'] === '0x03');
    const keys = login?.['iscsi.keyvalue'] ?? '';
    const initiator = key(keys, 'InitiatorName');
    const target = key(keys, 'TargetName');
    const sk = `${initiator} ${target}`;
    if (!sessions.includes(sk)) sessions.push(sk);
    const base = {
      conn: s, session: sessions.indexOf(sk), portal: `${syn['ip.dst']}:${syn['tcp.dstport']}`,
      ...(target ? { target } : {}), ...(initiator ? { initiator } : {}),
      ...(login ? { isid: login['iscsi.isid'] } : {}),
    };
    const ends = seg.filter((r) => r['tcp.flags.fin'] === '1' || r['tcp.flags.reset'] === '1');
    conns.push({ ...base, start: time(syn), end: time(ends[ends.length - 1] ?? syn), cid: Number(login?.['iscsi.cid'] ?? 0) });

    for (const r of p) {
      const op = r['iscsi.opcode'];
      if (op === '0x23' && r['iscsi.login.T'] === '1' && r['iscsi.login.nsg'] === '0x03' && r['iscsi.login.status'] === '0x0000') {
        events.push({ kind: 'login-ok', time: time(r), ...base, discovery: key(keys, 'SessionType') === 'Discovery' });
      }
      if (op === '0x26') events.push({ kind: 'logout', time: time(r), ...base });
      if (op === '0x02') {
        const rsp = p.find((q) => q['iscsi.opcode'] === '0x22' && q['iscsi.initiatortasktag'] === r['iscsi.initiatortasktag']);
        const rtt = r['iscsi.taskmanfun.referencedtasktag'];
        events.push({
          kind: 'tmf', time: time(r), ...base, function: parseInt(r['iscsi.taskmanfun.function'], 16),
          ...(rtt && rtt !== NO_TAG ? { referencedTaskTag: parseInt(rtt, 16) } : {}),
          ...(rsp ? { responseTime: time(rsp), response: parseInt(rsp['iscsi.taskmanfun.response'], 16) } : {}),
        });
      }
    }

    const close = ends[0];
    if (close === undefined) continue;
    const by = fromInitiator(close) ? 'initiator' : 'target';
    const afterLogout = p.some((r) => r['iscsi.opcode'] === '0x26' && time(r) <= time(close));
    events.push({ kind: 'conn-close', time: time(close), ...base, by, how: close['tcp.flags.reset'] === '1' ? 'rst' : 'fin', afterLogout });
    // An initiator ping (valid ITT) with no NOP-In of that ITT before the initiator's close.
    if (by === 'initiator') {
      const ping = p.find((r) => r['iscsi.opcode'] === '0x00' && r['iscsi.initiatortasktag'] !== NO_TAG && time(r) < time(close) &&
        !p.some((q) => q['iscsi.opcode'] === '0x20' && q['iscsi.initiatortasktag'] === r['iscsi.initiatortasktag'] && time(q) < time(close)));
      if (ping) events.push({ kind: 'ping-timeout', time: time(close), ...base, pingTime: time(ping) });
    } else {
      // A target ping (valid TTT) with no NOP-Out echoing it before the target's close.
      const ping = p.find((r) => r['iscsi.opcode'] === '0x20' && r['iscsi.targettransfertag'] !== NO_TAG && r['iscsi.targettransfertag'] !== '' &&
        !p.some((q) => q['iscsi.opcode'] === '0x00' && q['iscsi.targettransfertag'] === r['iscsi.targettransfertag'] && time(q) < time(close)));
      if (ping) events.push({ kind: 'target-ping-timeout', time: time(close), ...base, pingTime: time(ping) });
    }
  }
  events.sort((a, b) => a.time - b.time);
  return { events, conns, start: Math.min(...tcp.map(time)) };
}
