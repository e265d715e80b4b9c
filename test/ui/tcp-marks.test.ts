// The ladder's TCP marks (src/ui/lib/tcp-marks.ts) against Wireshark: on the lab's lossy, stalled,
// refused and unanswered captures (test/fixtures/tcp, their tshark reading `.tcpflags.tsv` and the
// lab's `.facts.json` beside each) every mark's name and frame is the TCP analysis flag tshark sets on
// that frame; the zero-window bands are the lab's zero-window episodes over 100 ms; the ACK marks are
// the frames where tshark shows the target's TCP acknowledging a request iSCSI never answered; the
// attempt marks are the lab's SYN attempts that were refused or went unanswered.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, readTsv } from '../support/shared.ts';
import { TCP_FIXTURES, facts as readFacts, iscsiStreams, tcpflags, tsharkMark } from './tshark-tcp.ts';
import { MarkKind, markName, tcpMarks } from '../../src/ui/lib/tcp-marks.ts';
import { connScope, ladderView, scopeFor } from '../../src/ui/lib/scope.ts';
import { requestAcks } from '../../src/ui/lib/view.ts';
import { ItemKind, TcpState, buildItems, findBands } from '../../src/ui/lib/ladder-model.ts';

const FIXTURES = TCP_FIXTURES;
const LAB = ['loss-t2i', 'loss-i2t-rx', 'loss-heavy-rto', 'zerowin-initiator', 'zerowin-target', 'blackhole', 'refused', 'acked-no-reply'];

describe('TCP marks agree with Wireshark on the lab captures', () => {
  for (const name of LAB) {
    test(name, () => {
      const file = join(FIXTURES, `${name}.pcap`);
      const { analysis: a } = analyzeFile(file);
      const tshark = tcpflags(file);
      const facts = readFacts(file);
      const iscsi = iscsiStreams(facts);
      const conns = a.model.connections.map((c) => c.conn);
      const m = tcpMarks(a, conns);
      const got: string[] = [];
      for (let k = 0; k < m.count; k++) {
        if (m.kind[k] === MarkKind.Ack || m.kind[k] === MarkKind.Attempt) continue;
        got.push(`${m.frame[k]} ${markName(m, k)}`);
      }
      const want = tshark.filter((r) => iscsi.has(r['tcp.stream'])).map((r) => [r['frame.number'], tsharkMark(r)]).filter(([, n]) => n !== undefined).map(([f, n]) => `${f} ${n}`);
      expect(got).toEqual(want);

      // Zero windows over 100 ms: a band of the side that advertised it, from its first zero window to the frame that opened it again.
      const bands = [];
      for (let k = 0; k < m.count; k++) {
        if (m.kind[k] !== MarkKind.ZeroWindow) continue;
        const z = a.connections[m.conn[k]].tcp!.zeroWindows[m.ref[k]];
        bands.push([z.by, z.startFrame, z.endFrame]);
      }
      expect(bands).toEqual(facts.zero_window_episodes.filter((z) => z.duration_s > 0.1).map((z) => [z.role === 'client' ? 'initiator' : 'target', z.start_frame, z.end_frame]));

      // Attempts that did not simply connect: refused (RST), unanswered, or answered after retransmitted SYNs.
      const attempts = [];
      for (let k = 0; k < m.count; k++) if (m.kind[k] === MarkKind.Attempt) attempts.push([m.frame[k], a.model.tcp.attempts[m.ref[k]].outcome]);
      const firstOfStream = new Map<number, Array<(typeof facts.syn_attempts)[number]>>();
      for (const s of facts.syn_attempts) (firstOfStream.get(s.stream) ?? firstOfStream.set(s.stream, []).get(s.stream)!).push(s);
      const wantAttempts = [...firstOfStream.values()].flatMap((list) => {
        const last = list[list.length - 1];
        if (list.length === 1 && last.answer === 'RST') return [[list[0].frame, 'refused']];
        if (list.length > 1 && last.answer === 'SYN-ACK') return [[list[0].frame, 'answered-late']];
        if (last.answer === 'nothing') return [[list[0].frame, 'unanswered']];
        return [];
      });
      expect(attempts).toEqual(wantAttempts);

      // ACKs of NOP-Out pings iSCSI did not answer before the initiator gave up (its FIN or RST; the
      // lab found the target's TCP ACK covering each ping's last byte). A ping answered late but
      // before the give-up (blackhole: 19.8 s) is answered: no ACK mark.
      const acks: number[] = [];
      for (let k = 0; k < m.count; k++) if (m.kind[k] === MarkKind.Ack) acks.push(m.frame[k]);
      const late = facts.nop_out_pings.filter((p) => (!p.answered || p.answer_after_initiator_fin_or_rst === true) && p.acked_by_target_tcp && p.ack_frame !== undefined);
      expect(acks).toEqual(late.map((p) => p.ack_frame));
    });
  }
});

/** tshark's TCP fields of a shared capture (test/ui/fixtures/*.tcpseq.tsv, made with tshark 4.0.17, absolute sequence numbers). */
function tcpSeq(file: string): Array<{ frame: number; stream: string; fromTarget: boolean; seq: number; len: number; ack: number; opcode: string; itt: string }> {
  return readTsv(join(import.meta.dirname, 'fixtures', `${file}.tcpseq.tsv`)).map((r) => ({
    frame: Number(r['frame.number']), stream: r['tcp.stream'], fromTarget: r['tcp.srcport'] === '3260', seq: Number(r['tcp.seq']), len: Number(r['tcp.len']),
    ack: Number(r['tcp.ack']), opcode: r['iscsi.opcode'], itt: r['iscsi.initiatortasktag'],
  }));
}

/** The first target segment on the stream after `frame` whose ACK covers the request's last byte. */
function ackOf(rows: ReturnType<typeof tcpSeq>, frame: number): number | undefined {
  const req = rows.find((r) => r.frame === frame)!;
  return rows.find((r) => r.stream === req.stream && r.fromTarget && r.frame > frame && r.ack >= req.seq + req.len)?.frame;
}

describe('the ACK of a request iSCSI never answered', () => {
  test('initiator-ping-timeout: the target\'s TCP acknowledged each of the five pings; no ✕ on them', () => {
    const file = 'initiator-ping-timeout.pcap';
    const { analysis: a } = analyzeFile(join(CAPTURES, file));
    const rows = tcpSeq(file);
    // tshark: the NOP-Out pings whose ITT no NOP-In echoes before conn 0's FIN (frame 31)
    const answered = new Set(rows.filter((r) => r.opcode === '0x20' && r.frame < 31).map((r) => r.itt));
    const lost = rows.filter((r) => r.stream === '0' && r.opcode === '0x00' && r.itt !== '0xffffffff' && !answered.has(r.itt)).map((r) => r.frame);
    expect(lost).toEqual([21, 23, 25, 27, 29]);
    const want = lost.map((f) => ackOf(rows, f));
    expect(want).toEqual([22, 24, 26, 28, 30]);
    const view = ladderView(a, scopeFor(a, [0, 1])!);
    const m = view.tcp;
    const got: number[][] = [];
    for (let k = 0; k < m.count; k++) if (m.kind[k] === MarkKind.Ack) got.push([m.frame[k], a.pdus.frame[m.ref[k]]]);
    expect(got).toEqual(lost.map((f, i) => [want[i]!, f]));
    // every one of them delivered: the ladder draws "delivered, not answered", not ✕
    const delivered = requestAcks(a, view);
    for (const f of lost) {
      const p = [...view.rows].findIndex((r) => a.pdus.frame[r] === f);
      expect(delivered.get(p)?.frame).toBe(ackOf(rows, f));
    }
  });

  test('target-killed: the four commands the target never answered were each acknowledged by its TCP', () => {
    const file = 'target-killed.pcap';
    const { analysis: a } = analyzeFile(join(CAPTURES, file));
    const rows = tcpSeq(file);
    // tshark: SCSI Commands whose ITT no later target PDU carries
    const cmds = rows.filter((r) => r.opcode === '0x01' && !rows.some((x) => x.fromTarget && x.frame > r.frame && x.itt === r.itt));
    expect(cmds.map((r) => r.frame)).toEqual([688, 690, 693, 697]);
    const view = ladderView(a, connScope(0));
    const m = view.tcp;
    const got: number[] = [];
    for (let k = 0; k < m.count; k++) if (m.kind[k] === MarkKind.Ack) got.push(m.frame[k]);
    expect(got).toEqual([...new Set(cmds.map((r) => ackOf(rows, r.frame)))]);
    // the refused reconnects after the RST sit in conn 0's ladder (tshark: SYNs 700, 702, 704, 706, each answered by an RST)
    const attempts: number[] = [];
    for (let k = 0; k < m.count; k++) if (m.kind[k] === MarkKind.Attempt) attempts.push(m.frame[k]);
    const syns = readTsv(join(FIXTURES, 'shared', `${file}.tcpflags.tsv`)).filter((r) => r['tcp.flags.syn'] === '1' && r['tcp.flags.ack'] === '0' && Number(r['frame.number']) > 699).map((r) => Number(r['frame.number']));
    expect(attempts).toEqual(syns);
  });
});

describe('TCP marks in the ladder\'s sequence', () => {
  test('each drawn mark is one item in frame order; routine ones only when asked for', () => {
    const { analysis: a } = analyzeFile(join(FIXTURES, 'loss-heavy-rto.pcap'));
    const view = ladderView(a, connScope(0));
    const m = view.tcp;
    const state = (all: boolean) => Uint8Array.from({ length: m.count }, (_, k) => (m.kind[k] === MarkKind.Routine ? (all ? TcpState.Foldable : TcpState.Hidden) : TcpState.Fixed));
    for (const all of [false, true]) {
      const tcp = { count: m.count, frame: m.frame, time: m.time, state: state(all) };
      // no band: every PDU and every drawn mark its own item, in frame order
      const open = findBands(a.pdus, view.rows, undefined, 1e9, 0.25, tcp);
      const items = buildItems(a.pdus, view.rows, view.control, open, () => false);
      const frames: number[] = [];
      let marks = 0;
      for (let i = 0; i < items.count; i++) {
        if (items.kind[i] === ItemKind.Tcp) {
          marks++;
          frames.push(m.frame[items.ref[i]]);
        } else if (items.kind[i] === ItemKind.Pdu) frames.push(a.pdus.frame[view.rows[items.ref[i]]]);
      }
      expect(marks).toBe(tcp.state.filter((s) => s !== TcpState.Hidden).length);
      expect(frames).toEqual([...frames].sort((x, y) => x - y));
      for (let k = 0; k < m.count; k++) expect(items.tcpToItem[k] >= 0).toBe(tcp.state[k] !== TcpState.Hidden);
    }
  });
});
