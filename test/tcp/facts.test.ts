import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AttemptAnswer, attemptsByPortal, LONG_ZERO_WINDOW } from '../../src/tcp/index.ts';
import type { Dir, TcpConnection } from '../../src/tcp/index.ts';
import { runTcpFile } from './support.ts';

/**
 * Connection attempts, zero-window episodes, retransmission back-offs and the ACK watch against
 * what ../shared/lab/tcp-faults/tcpfacts.py says of the same captures (its .facts.json, made from
 * the untrimmed captures: the trimmed fixtures have the same frames).
 */

const FIXTURES = join(import.meta.dirname, '../fixtures/tcp');

interface Facts {
  tcp_streams: Array<{ stream: number; client: string; server: string }>;
  syn_attempts: Array<{ stream: number; frame: number; isn: number; answer: string; answer_frame?: number }>;
  zero_window_episodes: Array<{ stream: number; role: 'client' | 'server'; start_frame: number; end_frame: number | null; duration_s: number | null; peer_flag_counts: Record<string, number> }>;
  retransmissions: { chains: Array<{ stream: number; from: string; seq: number; retransmissions: number; frames: number[] }> };
  nop_out_pings: Array<{ stream: number; frame: number; tcp_seq_last_byte?: number; acked_by_target_tcp?: boolean; ack_frame?: number; acked_within_5s?: boolean }>;
}

function facts(cap: string): Facts {
  return JSON.parse(readFileSync(join(FIXTURES, `${cap}.facts.json`), 'utf8')) as Facts;
}

/** Our side of a connection that tcpfacts calls client or server. */
function roleSide(c: TcpConnection, role: 'client' | 'server', f: Facts): Dir {
  const s = f.tcp_streams.find((x) => x.stream === c.id);
  if (!s) throw new Error(`stream ${c.id} not in the facts`);
  const port = Number((role === 'client' ? s.client : s.server).split(':')[1]);
  return c.port[0] === port ? 0 : 1;
}

const caps = ['acked-no-reply.pcap', 'blackhole.pcap', 'loss-heavy-rto.pcap', 'loss-i2t-rx.pcap', 'loss-t2i.pcap', 'refused.pcap', 'zerowin-initiator.pcap', 'zerowin-target.pcap'];

describe('connection attempts equal tcpfacts.py syn_attempts', () => {
  for (const cap of caps) {
    test(cap, () => {
      const r = runTcpFile(join(FIXTURES, cap));
      const f = facts(cap);
      // tcpfacts lists each SYN; an attempt is the SYNs of one stream with one ISN. Its answer is
      // the server's first SYN-ACK or RST after them.
      const want = new Map<string, { tcpConn: number; firstFrame: number; lastFrame: number; syns: number; answer: number; answerFrame: number }>();
      for (const s of f.syn_attempts) {
        const k = `${s.stream}/${s.isn}`;
        let w = want.get(k);
        if (!w) want.set(k, (w = { tcpConn: s.stream, firstFrame: s.frame, lastFrame: s.frame, syns: 0, answer: AttemptAnswer.None, answerFrame: 0 }));
        w.syns++;
        w.lastFrame = s.frame;
        if (w.answer === AttemptAnswer.None && s.answer !== 'nothing') {
          w.answer = s.answer === 'RST' ? AttemptAnswer.Rst : AttemptAnswer.SynAck;
          w.answerFrame = s.answer_frame as number;
        }
      }
      const a = r.attempts;
      const ours = [];
      for (let i = 0; i < a.count; i++) {
        ours.push({ tcpConn: a.tcpConn[i], firstFrame: a.firstSynFrame[i], lastFrame: a.lastSynFrame[i], syns: a.syns[i], answer: a.answer[i], answerFrame: a.answerFrame[i] });
      }
      expect(ours).toEqual([...want.values()]);
    });
  }

  test('refused: reconnects answered with RST are separate attempts to one portal', () => {
    const r = runTcpFile(join(FIXTURES, 'refused.pcap'));
    const f = facts('refused.pcap');
    const portals = attemptsByPortal(r.attempts);
    expect(portals).toHaveLength(1);
    const rst = f.syn_attempts.filter((s) => s.answer === 'RST').length;
    const synAck = f.syn_attempts.filter((s) => s.answer === 'SYN-ACK').length;
    expect(rst).toBeGreaterThan(1);
    const server = f.tcp_streams[0].server.split(':');
    expect(portals[0]).toMatchObject({ port: Number(server[1]), refused: rst, synAcked: synAck, unanswered: 0, syns: f.syn_attempts.length });
    const [a, b, c, d] = server[0].split('.').map(Number);
    expect(portals[0].addr[0]).toBe(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
  });

  test('blackhole: a SYN retransmitted until answered is one attempt', () => {
    const r = runTcpFile(join(FIXTURES, 'blackhole.pcap'));
    const a = r.attempts;
    const most = a.syns.reduce((n, x) => Math.max(n, x), 0);
    const f = facts('blackhole.pcap');
    const byStream = new Map<number, number>();
    for (const s of f.syn_attempts) byStream.set(s.stream, (byStream.get(s.stream) ?? 0) + 1);
    expect(most).toBe([...byStream.values()].reduce((n, x) => Math.max(n, x), 0));
    expect(most).toBeGreaterThan(2);
  });
});

describe('zero-window episodes equal tcpfacts.py zero_window_episodes', () => {
  for (const cap of caps) {
    test(cap, () => {
      const r = runTcpFile(join(FIXTURES, cap));
      const f = facts(cap);
      for (const [id, fig] of r.figures) {
        const c = r.conns.get(id) as TcpConnection;
        for (const side of [0, 1] as const) {
          const eps = f.zero_window_episodes.filter((e) => e.stream === id && roleSide(c, e.role, f) === side);
          const d = fig.dirs[side];
          expect(d.zeroWindowEpisodes).toBe(eps.length);
          const closed = eps.filter((e) => e.duration_s !== null);
          expect(d.zeroWindowTime).toBeCloseTo(closed.reduce((n, e) => n + (e.duration_s as number), 0), 5);
          const long = eps.filter((e) => (e.duration_s ?? 0) > LONG_ZERO_WINDOW);
          expect(d.longZeroWindows.map((e) => ({ start: e.startFrame, end: e.endFrame, probes: e.probes }))).toEqual(long.map((e) => ({
            start: e.start_frame,
            end: e.end_frame,
            // Linux probes a zero window with a segment one byte before the next: a keep-alive to Wireshark.
            probes: (e.peer_flag_counts.zero_window_probe ?? 0) + (e.peer_flag_counts.keep_alive ?? 0),
          })));
        }
      }
    });
  }

  test('zerowin-initiator holds an episode over 100 ms, with probes', () => {
    const r = runTcpFile(join(FIXTURES, 'zerowin-initiator.pcap'));
    const long = [...r.figures.values()].flatMap((f) => f.dirs.flatMap((d) => d.longZeroWindows));
    expect(long.length).toBeGreaterThan(0);
    expect(long.some((e) => e.probes > 0)).toBe(true);
  });
});

describe('retransmission back-offs equal tcpfacts.py chains', () => {
  for (const cap of ['loss-heavy-rto.pcap', 'blackhole.pcap']) {
    test(cap, () => {
      const r = runTcpFile(join(FIXTURES, cap));
      const f = facts(cap);
      expect(f.retransmissions.chains.length).toBeGreaterThan(0);
      for (const [id, fig] of r.figures) {
        const c = r.conns.get(id) as TcpConnection;
        for (const side of [0, 1] as const) {
          const chains = f.retransmissions.chains.filter((x) => x.stream === id && Number(x.from.split(':')[1]) === c.port[side]);
          const most = chains.reduce((n, x) => Math.max(n, x.retransmissions), 0);
          // Chains of one retransmission are not listed by tcpfacts.
          if (most >= 2) expect(fig.dirs[side].backoffs).toBe(most);
          else expect(fig.dirs[side].backoffs).toBeLessThanOrEqual(1);
        }
      }
    });
  }
});

describe('ACK watch: did the target TCP acknowledge the NOP-Out? (tcpfacts.py nop_out_pings)', () => {
  for (const cap of ['acked-no-reply.pcap', 'blackhole.pcap']) {
    test(cap, () => {
      const f = facts(cap);
      const pings = f.nop_out_pings.filter((p) => p.tcp_seq_last_byte !== undefined);
      expect(pings.length).toBeGreaterThan(0);
      const isn = new Map(f.syn_attempts.map((s) => [s.stream, s.isn]));
      // Watch each ping's last byte once the stream has reached it, as the engine does when it
      // frames the PDU; the stream starts at ISN + 1.
      const todo = pings.map((p, i) => ({ i, stream: p.stream, pos: ((p.tcp_seq_last_byte as number) + 1 - ((isn.get(p.stream) as number) + 1)) >>> 0, set: false }));
      const r = runTcpFile(join(FIXTURES, cap), {
        ports: [3260],
        onStream(re, conn, dir) {
          if (dir !== conn.clientSide) return;
          for (const t of todo) {
            if (t.set || t.stream !== conn.id || conn.dirs[dir].position < t.pos) continue;
            t.set = true;
            expect(re.watchAck(conn, dir, t.pos, t.i)).toBe(true);
          }
        },
      });
      expect(todo.every((t) => t.set)).toBe(true);
      const got = new Map(r.acked.map((a) => [a.token, a.frame]));
      expect(pings.map((_p, i) => got.get(i))).toEqual(pings.map((p) => (p.acked_by_target_tcp ? p.ack_frame : 0)));
      expect(r.acked).toHaveLength(pings.length);
    });
  }

  test('blackhole holds a ping its target acknowledged only after the hole (later than the 5 s timeout)', () => {
    const late = facts('blackhole.pcap').nop_out_pings.filter((p) => p.acked_within_5s === false);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((p) => p.acked_by_target_tcp === true)).toBe(true);
  });
});
