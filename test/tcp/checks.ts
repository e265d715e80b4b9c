import { readFileSync } from 'node:fs';
import { AttemptAnswer, LONG_ZERO_WINDOW } from '../../src/tcp/index.ts';
import type { Dir, TcpConnection } from '../../src/tcp/index.ts';
import { ourEventRows, readTsv, runTcpFile, tsharkEventRows } from './support.ts';
import type { EventRow, TcpRun } from './support.ts';

/**
 * What a capture's references say against what we make of it, as plain values to compare:
 * tshark's per-frame TCP analysis (CAP.tcpflags.tsv) and ../shared/lab/tcp-faults/tcpfacts.py's
 * facts (CAP.facts.json). Shared by the fixture tests and the live test.
 */

export interface Facts {
  tcp_streams: Array<{ stream: number; client: string; server: string }>;
  syn_attempts: Array<{ stream: number; frame: number; isn: number; answer: string; answer_frame?: number }>;
  zero_window_episodes: Array<{ stream: number; role: 'client' | 'server'; start_frame: number; end_frame: number | null; duration_s: number | null; peer_flag_counts: Record<string, number> }>;
  retransmissions: { chains: Array<{ stream: number; from: string; seq: number; retransmissions: number; frames: number[] }> };
  nop_out_pings: Array<{ stream: number; frame: number; tcp_seq_last_byte?: number; acked_by_target_tcp?: boolean; ack_frame?: number; acked_within_5s?: boolean }>;
}

export function readFacts(cap: string): Facts {
  return JSON.parse(readFileSync(`${cap}.facts.json`, 'utf8')) as Facts;
}

/** Our events and tshark's, row for row. */
export function eventsBoth(cap: string, r: TcpRun): { ours: EventRow[]; tshark: EventRow[] } {
  return { ours: ourEventRows(r.events), tshark: tsharkEventRows(readTsv(`${cap}.tcpflags.tsv`)) };
}

interface AttemptRow { tcpConn: number; firstFrame: number; lastFrame: number; syns: number; answer: number; answerFrame: number }

/** tcpfacts lists each SYN; an attempt is the SYNs of one stream with one ISN, answered by the
 *  server's first SYN-ACK or RST after them. */
export function attemptsBoth(r: TcpRun, f: Facts): { ours: AttemptRow[]; facts: AttemptRow[] } {
  const want = new Map<string, AttemptRow>();
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
  const ours: AttemptRow[] = [];
  for (let i = 0; i < a.count; i++) {
    ours.push({ tcpConn: a.tcpConn[i], firstFrame: a.firstSynFrame[i], lastFrame: a.lastSynFrame[i], syns: a.syns[i], answer: a.answer[i], answerFrame: a.answerFrame[i] });
  }
  return { ours, facts: [...want.values()] };
}

/** Our side of a connection that tcpfacts calls client or server. */
export function roleSide(c: TcpConnection, role: 'client' | 'server', f: Facts): Dir {
  const s = f.tcp_streams.find((x) => x.stream === c.id);
  if (!s) throw new Error(`stream ${c.id} not in the facts`);
  const port = Number((role === 'client' ? s.client : s.server).split(':')[1]);
  return c.port[0] === port ? 0 : 1;
}

interface ZeroWindowRow { conn: number; side: Dir; episodes: number; time: number; long: Array<{ start: number; end: number; probes: number }> }

/** Per connection and side: zero-window episodes, their closed time (ms, rounded to µs), and those
 *  over LONG_ZERO_WINDOW with their probes. */
export function zeroWindowsBoth(r: TcpRun, f: Facts): { ours: ZeroWindowRow[]; facts: ZeroWindowRow[] } {
  const ours: ZeroWindowRow[] = [], facts: ZeroWindowRow[] = [];
  const ms = (s: number): number => Math.round(s * 1e6) / 1e3;
  for (const [id, fig] of r.figures) {
    const c = r.conns.get(id) as TcpConnection;
    for (const side of [0, 1] as const) {
      const eps = f.zero_window_episodes.filter((e) => e.stream === id && roleSide(c, e.role, f) === side);
      const d = fig.dirs[side];
      ours.push({ conn: id, side, episodes: d.zeroWindowEpisodes, time: ms(d.zeroWindowTime), long: d.longZeroWindows.map((e) => ({ start: e.startFrame, end: e.endFrame, probes: e.probes })) });
      facts.push({
        conn: id, side, episodes: eps.length,
        time: ms(eps.reduce((n, e) => n + (e.duration_s ?? 0), 0)),
        long: eps.filter((e) => (e.duration_s ?? 0) > LONG_ZERO_WINDOW).map((e) => ({
          start: e.start_frame,
          end: e.end_frame as number,
          // Linux probes a zero window with a segment one byte before the next: a keep-alive to Wireshark.
          probes: (e.peer_flag_counts.zero_window_probe ?? 0) + (e.peer_flag_counts.keep_alive ?? 0),
        })),
      });
    }
  }
  return { ours, facts };
}

/**
 * Watch each NOP-Out ping's last byte once the stream has reached it, as the engine does when it
 * frames the PDU (the stream starts at ISN + 1); the frame of the target's ACK that covered it
 * (0: never), ours and tcpfacts'.
 */
export function pingAcksBoth(cap: string, f: Facts): { ours: Array<number | undefined>; facts: number[]; watched: number } {
  const pings = f.nop_out_pings.filter((p) => p.tcp_seq_last_byte !== undefined);
  const isn = new Map(f.syn_attempts.map((s) => [s.stream, s.isn]));
  const todo = pings.map((p, i) => ({ i, stream: p.stream, pos: ((p.tcp_seq_last_byte as number) + 1 - ((isn.get(p.stream) as number) + 1)) >>> 0, set: false }));
  let watched = 0;
  const r = runTcpFile(cap, {
    ports: [3260],
    onStream(re, conn, dir) {
      if (dir !== conn.clientSide) return;
      for (const t of todo) {
        if (t.set || t.stream !== conn.id || conn.dirs[dir].position < t.pos) continue;
        t.set = true;
        if (re.watchAck(conn, dir, t.pos, t.i)) watched++;
      }
    },
  });
  const got = new Map(r.acked.map((a) => [a.token, a.frame]));
  return { ours: pings.map((_p, i) => got.get(i)), facts: pings.map((p) => (p.acked_by_target_tcp ? (p.ack_frame as number) : 0)), watched };
}
