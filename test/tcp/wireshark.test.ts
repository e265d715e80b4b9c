import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RETRANSMISSION_BURST_GAP } from '../../src/tcp/index.ts';
import { CAPTURES, sharedCaptures } from '../support/shared.ts';
import { ourEventRows, readTsv, runTcpFile, tsharkEventRows } from './support.ts';
import type { TcpRun } from './support.ts';
import type { TsvRow } from '../support/shared.ts';

/**
 * TCP analysis against Wireshark 4.0 on real lossy captures made with ../shared/lab/tcp-faults
 * (test/fixtures/tcp/README.md): for every frame, the events we set equal tshark's tcp.analysis.*
 * flags plus SYN / SYN-ACK / FIN / RST from tcp.flags, on the same connection, with the same
 * sequence, acknowledgment, length and (scaled) window. The figures are checked against what
 * tshark printed: tcp.analysis.initial_rtt, the retransmitted segments and tcp.analysis.rto.
 */

export const FIXTURES = join(import.meta.dirname, '../fixtures/tcp');
const captures = readdirSync(FIXTURES).filter((f) => f.endsWith('.pcap')).sort();

const runs = new Map<string, TcpRun>();
function run(cap: string): TcpRun {
  let r = runs.get(cap);
  if (!r) runs.set(cap, (r = runTcpFile(join(FIXTURES, cap), { ports: [3260] })));
  return r;
}

/** Which side of our connection `stream` sent row r (by source port: the lab's ports differ). */
function sideOf(r: TcpRun, row: TsvRow): 0 | 1 {
  const c = r.conns.get(Number(row['tcp.stream']));
  if (!c) throw new Error(`no connection ${row['tcp.stream']}`);
  return Number(row['tcp.srcport']) === c.port[0] ? 0 : 1;
}

describe('TCP events equal tshark 4.0 frame for frame', () => {
  test('the lab fixtures are there', () => {
    expect(captures).toEqual(expect.arrayContaining(['loss-t2i.pcap', 'loss-i2t-rx.pcap', 'loss-heavy-rto.pcap', 'zerowin-initiator.pcap', 'refused.pcap', 'blackhole.pcap', 'acked-no-reply.pcap']));
  });

  for (const cap of captures) {
    test(cap, () => {
      const r = run(cap);
      const tsv = readTsv(join(FIXTURES, `${cap}.tcpflags.tsv`));
      const theirs = tsharkEventRows(tsv);
      expect(theirs.length).toBeGreaterThan(0);
      expect(ourEventRows(r.events)).toEqual(theirs);
      // One connection per tshark stream.
      const streams = new Set(tsv.filter((x) => x['tcp.stream'] !== '').map((x) => x['tcp.stream']));
      expect(r.conns.size).toBe(streams.size);
    });
  }

  test('between them, the captures show every kind of event the lab can make', () => {
    const seen = new Set<string>();
    for (const cap of captures) for (const e of ourEventRows(run(cap).events)) for (const n of e.events) seen.add(n);
    expect([...seen].sort()).toEqual(expect.arrayContaining([
      'duplicate-ack', 'fast-retransmission', 'fin', 'keep-alive', 'lost-segment', 'out-of-order',
      'retransmission', 'rst', 'spurious-retransmission', 'syn', 'syn-ack', 'window-full', 'window-update', 'zero-window',
    ]));
  });
});

describe('the shared captures: events equal tshark 4.0 (its rows with an event, in fixtures/tcp/shared)', () => {
  for (const cap of sharedCaptures()) {
    test(cap, () => {
      // nonstandard-port.pcap's iSCSI runs on 3261; the others on 3260.
      const r = runTcpFile(join(CAPTURES, cap), { ports: [3260, 3261] });
      const theirs = tsharkEventRows(readTsv(join(FIXTURES, 'shared', `${cap}.tcpflags.tsv`)));
      expect(theirs.length).toBeGreaterThan(0);
      expect(ourEventRows(r.events)).toEqual(theirs);
    });
  }
});

describe('connection figures agree with tshark', () => {
  for (const cap of captures) {
    test(`${cap}: handshake RTT is tcp.analysis.initial_rtt`, () => {
      const r = run(cap);
      const tsv = readTsv(join(FIXTURES, `${cap}.tcpflags.tsv`));
      const irtt = new Map<number, number>();
      for (const row of tsv) if (row['tcp.analysis.initial_rtt'] && row['tcp.stream']) irtt.set(Number(row['tcp.stream']), Number(row['tcp.analysis.initial_rtt']));
      for (const [id, f] of r.figures) {
        if (irtt.has(id)) expect(f.handshakeRtt).toBeCloseTo(irtt.get(id) as number, 6);
        else expect(f.handshakeRtt).toBeNaN();
      }
      expect(irtt.size).toBeGreaterThan(0);
    });

    test(`${cap}: retransmitted segments, bytes, bursts and the longest wait (tcp.analysis.rto)`, () => {
      const r = run(cap);
      const tsv = readTsv(join(FIXTURES, `${cap}.tcpflags.tsv`));
      type Side = { segments: number; bytes: number; rto: number; bursts: Array<{ first: number; last: number; segments: number; bytes: number }>; lastT: number };
      const want = new Map<string, Side>();
      // tshark's retransmissions with payload (fast and spurious ones carry tcp.analysis.retransmission too).
      const times = new Map<number, number>();
      for (let i = 0; i < r.events.count; i++) times.set(r.events.frame[i], r.events.time[i]);
      for (const row of tsv) {
        if (!row['tcp.analysis.retransmission'] || Number(row['tcp.len']) === 0) continue;
        const key = `${row['tcp.stream']}/${sideOf(r, row)}`;
        let s = want.get(key);
        if (!s) want.set(key, (s = { segments: 0, bytes: 0, rto: -1, bursts: [], lastT: -Infinity }));
        const frame = Number(row['frame.number']);
        const t = times.get(frame) as number;
        s.segments++;
        s.bytes += Number(row['tcp.len']);
        if (row['tcp.analysis.rto']) s.rto = Math.max(s.rto, Number(row['tcp.analysis.rto']));
        if (t - s.lastT >= RETRANSMISSION_BURST_GAP) s.bursts.push({ first: frame, last: frame, segments: 0, bytes: 0 });
        const b = s.bursts[s.bursts.length - 1];
        b.last = frame;
        b.segments++;
        b.bytes += Number(row['tcp.len']);
        s.lastT = t;
      }
      for (const [id, f] of r.figures) {
        for (const side of [0, 1] as const) {
          const w = want.get(`${id}/${side}`);
          const d = f.dirs[side];
          expect({ segments: d.retransmittedSegments, bytes: d.retransmittedBytes }).toEqual({ segments: w?.segments ?? 0, bytes: w?.bytes ?? 0 });
          expect(d.bursts.map((b) => ({ first: b.firstFrame, last: b.lastFrame, segments: b.segments, bytes: b.bytes }))).toEqual(w?.bursts ?? []);
          if (w && w.rto >= 0) expect(d.longestRetransmissionWait).toBeCloseTo(w.rto, 6);
          else expect(d.longestRetransmissionWait).toBe(-1);
        }
      }
    });
  }
});
