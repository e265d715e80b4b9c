// What `iscsi-inspect tcp`, `connections --json` and `findings --json` say of a capture's TCP, beside
// what tshark (CAP.tcpflags.tsv, test/fixtures/tcp/README.md) and ../shared/lab/tcp-faults/tcpfacts.py
// (CAP.facts.json) say: plain values to compare. Shared by the fixture tests and the live test.
import { existsSync, readFileSync } from 'node:fs';
import { jsonLines, runCli } from './run.ts';
import { readTsv, tsharkEvents } from '../tcp/support.ts';
import type { TsvRow } from '../support/shared.ts';

export interface CliEventRow { frame: number; tcpConn: number; dir: string; events: string[]; seq: number; ack: number; len: number; win: number }

/** The TSV of tshark's reading beside a capture (test/fixtures/tcp keeps the shared captures' in shared/). */
export function tsvOf(cap: string): TsvRow[] {
  const beside = `${cap}.tcpflags.tsv`;
  return readTsv(existsSync(beside) ? beside : cap.replace(/.*\//, `${import.meta.dirname}/../fixtures/tcp/shared/`) + '.tcpflags.tsv');
}

/** `iscsi-inspect tcp` and tshark's rows with at least one event, in one shape. tshark numbers every
 *  TCP stream; these captures hold only iSCSI ones, so tcp.stream is our tcpConn. "I>T" is from the
 *  side that sent the SYN, else from the non-iSCSI port. */
export async function tcpCommandBoth(cap: string, ports: number[] = [3260]): Promise<{ ours: CliEventRow[]; tshark: CliEventRow[]; code: number }> {
  const args = ['tcp', cap, ...ports.filter((p) => p !== 3260).flatMap((p) => ['--port', String(p)])];
  const r = await runCli(args);
  const ours = jsonLines(r.stdout).map((o) => ({
    frame: o.frame as number, tcpConn: o.tcpConn as number, dir: o.dir as string, events: o.events as string[],
    seq: o.seq as number, ack: o.ack as number, len: o.len as number, win: o.win as number,
  }));
  const rows = tsvOf(cap);
  // The SYN sender of each stream (its client), else the port that is not iSCSI's.
  const client = new Map<string, string>();
  for (const row of rows) {
    if (!row['tcp.stream'] || client.has(row['tcp.stream'])) continue;
    if (row['tcp.flags.syn'] === '1' && row['tcp.flags.ack'] !== '1') client.set(row['tcp.stream'], row['tcp.srcport']);
  }
  const tshark: CliEventRow[] = [];
  for (const row of rows) {
    const stream = row['tcp.stream'];
    if (!stream) continue;
    const events = tsharkEvents(row);
    if (events.length === 0) continue;
    const from = row['tcp.srcport'];
    const initiator = client.get(stream) ?? (ports.includes(Number(from)) ? row['tcp.dstport'] : from);
    tshark.push({
      frame: Number(row['frame.number']), tcpConn: Number(stream), dir: from === initiator ? 'I>T' : 'T>I', events,
      seq: Number(row['tcp.seq']), ack: Number(row['tcp.ack']), len: Number(row['tcp.len']), win: Number(row['tcp.window_size']),
    });
  }
  return { ours, tshark, code: r.code };
}

export interface TcpFigureRow { tcpConn: number; handshakeRttMs: number | undefined; retransmittedSegments: Record<string, number>; retransmittedBytes: Record<string, number> }

/** Per iSCSI connection, `connections --json`'s tcp figures and the same from tshark: initial_rtt, and
 *  the segments with payload tshark calls (fast, spurious) retransmissions, per direction. */
export async function figuresBoth(cap: string): Promise<{ ours: TcpFigureRow[]; tshark: TcpFigureRow[] }> {
  const r = await runCli(['connections', cap, '--json']);
  const conns = JSON.parse(r.stdout) as Array<{ initiator: { port: number }; tcp?: TcpFigureRow & { zeroWindowMs: unknown } }>;
  const ours = conns.map((c) => ({
    tcpConn: c.tcp?.tcpConn ?? -1, handshakeRttMs: c.tcp?.handshakeRttMs, retransmittedSegments: c.tcp?.retransmittedSegments ?? {}, retransmittedBytes: c.tcp?.retransmittedBytes ?? {},
  }));
  const rows = tsvOf(cap);
  const tshark = conns.map((c, k) => {
    const stream = String(ours[k].tcpConn);
    const mine = rows.filter((row) => row['tcp.stream'] === stream);
    const rtt = mine.find((row) => row['tcp.analysis.initial_rtt'])?.['tcp.analysis.initial_rtt'];
    const segs: Record<string, number> = { 'I>T': 0, 'T>I': 0 };
    const bytes: Record<string, number> = { 'I>T': 0, 'T>I': 0 };
    for (const row of mine) {
      const len = Number(row['tcp.len']);
      if (len === 0 || !(row['tcp.analysis.retransmission'] || row['tcp.analysis.fast_retransmission'] || row['tcp.analysis.spurious_retransmission'])) continue;
      const dir = Number(row['tcp.srcport']) === c.initiator.port ? 'I>T' : 'T>I';
      segs[dir]++;
      bytes[dir] += len;
    }
    return { tcpConn: ours[k].tcpConn, handshakeRttMs: rtt === undefined ? undefined : Math.round(Number(rtt) * 1e6) / 1e3, retransmittedSegments: segs, retransmittedBytes: bytes };
  });
  return { ours, tshark };
}

interface Facts {
  first_frame_epoch: number;
  tcp_streams: Array<{ stream: number; client: string; server: string }>;
  syn_attempts: Array<{ stream: number; frame: number; t: number; to: string; answer: string; answer_frame?: number; answer_t?: number }>;
  zero_window_episodes: Array<{ stream: number; role: 'client' | 'server'; start_frame: number; end_frame: number | null; duration_s: number | null; peer_flag_counts: Record<string, number> }>;
  nop_out_pings: Array<{ stream: number; frame: number; answered: boolean; answer_after_initiator_fin_or_rst: boolean; answered_within_5s: boolean; acked_by_target_tcp?: boolean; ack_frame?: number; initiator_fin_or_rst_frame?: number }>;
}

export function readFacts(cap: string): Facts {
  return JSON.parse(readFileSync(`${cap}.facts.json`, 'utf8')) as Facts;
}

const ms = (s: number): number => Math.round(s * 1e6) / 1e3;

/**
 * The connect findings, and what the SYNs tcpfacts lists say they must be: refused attempts (SYN →
 * RST) in runs of consecutive ones to a portal, and SYNs that got nothing (each with its
 * retransmissions; a run ends with the SYN-ACK that came at last).
 */
export function connectBoth(findings: Array<Record<string, unknown>>, f: Facts): {
  ours: Array<{ kind: string; attempts: number; frame: number; spanMs: number; answeredAfterMs?: number }>;
  facts: Array<{ kind: string; attempts: number; frame: number; spanMs: number; answeredAfterMs?: number }>;
} {
  const ours = findings.filter((x) => x.kind === 'connect-refused' || x.kind === 'connect-unanswered').map((x) => ({
    kind: x.kind as string, attempts: x.attempts as number, frame: x.frame as number, spanMs: x.spanMs as number,
    ...(typeof x.answeredAfterMs === 'number' && { answeredAfterMs: x.answeredAfterMs }),
  }));
  const want: typeof ours = [];
  const syns = [...f.syn_attempts].sort((a, b) => a.frame - b.frame);
  const epoch = (t: number): number => f.first_frame_epoch + t;
  let k = 0;
  while (k < syns.length) {
    const s = syns[k];
    if (s.answer === 'RST') {
      let end = k;
      while (end + 1 < syns.length && syns[end + 1].answer === 'RST' && syns[end + 1].to === s.to) end++;
      want.push({ kind: 'connect-refused', attempts: end - k + 1, frame: s.frame, spanMs: ms(epoch(syns[end].t) - epoch(s.t)) });
      k = end + 1;
    } else if (s.answer === 'nothing') {
      let end = k;
      while (end + 1 < syns.length && syns[end + 1].answer === 'nothing' && syns[end + 1].to === s.to) end++;
      const answered = end + 1 < syns.length && syns[end + 1].answer === 'SYN-ACK' && syns[end + 1].to === s.to ? syns[end + 1] : undefined;
      const waitEnd = answered ? (answered.answer_t as number) : syns[end].t;
      if (waitEnd - s.t > 3) {
        want.push({
          kind: 'connect-unanswered', attempts: end - k + 1, frame: s.frame, spanMs: ms(epoch(syns[end].t) - epoch(s.t)),
          ...(answered && { answeredAfterMs: ms(epoch(answered.answer_t as number) - epoch(s.t)) }),
        });
      }
      k = answered ? end + 2 : end + 1;
    } else k++;
  }
  return { ours, facts: want };
}

/** tcp-zero-window findings against tcpfacts' episodes over 100 ms (by role: the client is the initiator). */
export function zeroWindowBoth(findings: Array<Record<string, unknown>>, f: Facts): {
  ours: Array<{ by: string; frame: number; durationMs: number; probes: number }>;
  facts: Array<{ by: string; frame: number; durationMs: number; probes: number }>;
} {
  const ours = findings.filter((x) => x.kind === 'tcp-zero-window').map((x) => ({ by: x.by as string, frame: x.frame as number, durationMs: x.durationMs as number, probes: x.probes as number }));
  const facts = f.zero_window_episodes.filter((e) => (e.duration_s ?? 0) > 0.1).map((e) => ({
    by: e.role === 'client' ? 'initiator' : 'target', frame: e.start_frame, durationMs: ms(e.duration_s as number),
    // Linux probes a zero window with a segment one byte before the next: a keep-alive to Wireshark.
    probes: (e.peer_flag_counts.zero_window_probe ?? 0) + (e.peer_flag_counts.keep_alive ?? 0),
  }));
  return { ours, facts };
}

/** tcpAcked of each unanswered NOP-Out ping, and what tcpfacts says: the target's TCP acknowledged
 *  it before the initiator gave up (its FIN or RST). */
export function pingAcksBoth(findings: Array<Record<string, unknown>>, f: Facts): {
  ours: Array<{ frame: number; tcpAcked: unknown; tcpAckFrame: unknown }>;
  facts: Array<{ frame: number; tcpAcked: unknown; tcpAckFrame: unknown }>;
} {
  const ours = findings.filter((x) => x.kind === 'nop-ping-unanswered').map((x) => ({ frame: x.frame as number, tcpAcked: x.tcpAcked, tcpAckFrame: x.tcpAckFrame }));
  const facts = f.nop_out_pings.filter((p) => !p.answered || p.answer_after_initiator_fin_or_rst).map((p) => {
    const giveUp = p.initiator_fin_or_rst_frame ?? Infinity;
    const acked = p.acked_by_target_tcp === true;
    return { frame: p.frame, tcpAcked: acked && (p.ack_frame as number) <= giveUp, tcpAckFrame: acked ? p.ack_frame : undefined };
  });
  return { ours, facts };
}
