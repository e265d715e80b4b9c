import { readFileSync } from 'node:fs';
import { CaptureReader } from '../../src/capture/index.ts';
import type { PacketRecord } from '../../src/capture/index.ts';
import { decodeTcp, newTcpSegment, SkipReason } from '../../src/net/index.ts';
import { connectionFigures, TcpReassembler, tcpEventNames } from '../../src/tcp/index.ts';
import type { Dir, HeldLimit, PacketContext, StreamSink, TcpAttempts, TcpConnection, TcpConnectionFigures, TcpEvents, TcpReassemblerOptions } from '../../src/tcp/index.ts';
import { readTsv } from '../support/shared.ts';
import type { TsvRow } from '../support/shared.ts';

/** What a capture read through src/capture + src/net + src/tcp (no engine) gives. */
export interface TcpRun {
  events: TcpEvents;
  attempts: TcpAttempts;
  /** Figures of every connection, by TcpConnection id, taken when it closed. */
  figures: Map<number, TcpConnectionFigures>;
  conns: Map<number, TcpConnection>;
  acked: Array<{ conn: number; dir: Dir; token: number; frame: number; time: number }>;
  conflicts: Array<{ conn: number; dir: Dir; bytes: number; used: string; firstFrame: number; laterFrame: number }>;
  capped: Array<{ conn: number; dir: Dir; limit: HeldLimit; frame: number }>;
  skipped: Map<SkipReason, number>;
  reassembler: TcpReassembler;
  /** Bytes handed to the sink per connection id and side (missing bytes as their count). */
  delivered: Map<number, [number, number]>;
  missing: Map<number, [number, number]>;
  /** With `collect`: the streams as text (one char per byte; '?' for a missing one). */
  bytes: Map<number, [string, string]>;
}

export interface TcpRunOptions extends TcpReassemblerOptions {
  /** Called after each delivery of data or of missing bytes (e.g. to set ACK watches). */
  onStream?: (r: TcpReassembler, conn: TcpConnection, dir: Dir) => void;
  /** Capture bytes are fed in chunks of this size (default: all at once). */
  chunk?: number;
  /** Keep the bytes delivered (in `bytes`, per connection id and side; missing bytes as '?'). */
  collect?: boolean;
  /** Called as each segment is fed, before it is (to act as the layer above would). */
  beforeSegment?: (r: TcpReassembler, frame: number) => void;
}

export function runTcp(bytes: Uint8Array, options: TcpRunOptions = { ports: [3260] }): TcpRun {
  const out: Omit<TcpRun, 'events' | 'attempts' | 'reassembler'> = {
    figures: new Map(), conns: new Map(), acked: [], conflicts: [], capped: [], skipped: new Map(), delivered: new Map(), missing: new Map(), bytes: new Map(),
  };
  const keep = (c: TcpConnection, dir: Dir, text: string): void => {
    let v = out.bytes.get(c.id);
    if (!v) out.bytes.set(c.id, (v = ['', '']));
    v[dir] += text;
  };
  const bump = (m: Map<number, [number, number]>, c: TcpConnection, dir: Dir, n: number): void => {
    let v = m.get(c.id);
    if (!v) m.set(c.id, (v = [0, 0]));
    v[dir] += n;
  };
  let r: TcpReassembler | undefined;
  const sink: StreamSink = {
    data(c, dir, b, off, len) {
      bump(out.delivered, c, dir, len);
      if (options.collect) keep(c, dir, String.fromCharCode(...b.subarray(off, off + len)));
      if (r) options.onStream?.(r, c, dir);
    },
    missing(c, dir, n) {
      bump(out.missing, c, dir, n);
      if (options.collect) keep(c, dir, '?'.repeat(n));
      if (r) options.onStream?.(r, c, dir);
    },
    control() {},
    closed(c) {
      out.conns.set(c.id, c);
      const f = connectionFigures(c);
      if (f) out.figures.set(c.id, f);
    },
    acked(c, dir, token, frame, time) { out.acked.push({ conn: c.id, dir, token, frame, time }); },
    conflict(c, dir, bytes, used, firstFrame, laterFrame) { out.conflicts.push({ conn: c.id, dir, bytes, used, firstFrame, laterFrame }); },
    capped(c, dir, limit, frame) { out.capped.push({ conn: c.id, dir, limit, frame }); },
  };
  const re = new TcpReassembler(sink, options);
  r = re;
  const seg = newTcpSegment();
  const ctx: PacketContext = { frame: 0, time: 0, fileOffset: 0, dataOffset: 0 };
  let relBase = Number.NaN;
  const reader = new CaptureReader({
    packet(p: PacketRecord) {
      const why = decodeTcp(p.linkType, p.data, p.dataOffset, p.capLen, seg, p.origLen);
      if (why !== SkipReason.None || seg.headerTruncated) {
        out.skipped.set(why, (out.skipped.get(why) ?? 0) + 1);
        return;
      }
      ctx.frame = p.frame;
      ctx.time = p.tsSec + p.tsNsec * 1e-9;
      // As the engine does: exact seconds since the first timestamp's whole second.
      if (Number.isNaN(relBase)) relBase = p.tsSec;
      ctx.rel = (p.tsSec - relBase) + p.tsNsec * 1e-9;
      ctx.fileOffset = p.fileOffset;
      ctx.dataOffset = p.dataOffset;
      options.beforeSegment?.(re, p.frame);
      re.segment(seg, p.data, ctx);
    },
  });
  const step = options.chunk ?? bytes.length;
  for (let o = 0; o < bytes.length; o += step) reader.push(bytes.subarray(o, Math.min(bytes.length, o + step)));
  reader.end();
  re.finish(ctx);
  return { ...out, events: re.events(), attempts: re.attempts(), reassembler: re };
}

export function runTcpFile(path: string, options?: TcpRunOptions): TcpRun {
  return runTcp(new Uint8Array(readFileSync(path)), options);
}

/** The tshark fields our reference TSVs (fixtures README) hold, analysis flags in event order. */
export const TSHARK_FLAG_FIELDS: Array<[string, string]> = [
  ['retransmission', 'tcp.analysis.retransmission'],
  ['fast-retransmission', 'tcp.analysis.fast_retransmission'],
  ['spurious-retransmission', 'tcp.analysis.spurious_retransmission'],
  ['out-of-order', 'tcp.analysis.out_of_order'],
  ['lost-segment', 'tcp.analysis.lost_segment'],
  ['ack-lost-segment', 'tcp.analysis.ack_lost_segment'],
  ['duplicate-ack', 'tcp.analysis.duplicate_ack'],
  ['zero-window', 'tcp.analysis.zero_window'],
  ['zero-window-probe', 'tcp.analysis.zero_window_probe'],
  ['zero-window-probe-ack', 'tcp.analysis.zero_window_probe_ack'],
  ['window-full', 'tcp.analysis.window_full'],
  ['window-update', 'tcp.analysis.window_update'],
  ['keep-alive', 'tcp.analysis.keep_alive'],
  ['keep-alive-ack', 'tcp.analysis.keep_alive_ack'],
];

/** tshark's event names for one TSV row: tcp.analysis.* set, then syn / syn-ack / fin / rst from
 *  tcp.flags (in TCP_EVENT_NAMES order). Missing columns count as unset. */
export function tsharkEvents(r: TsvRow): string[] {
  const out: string[] = [];
  for (const [name, field] of TSHARK_FLAG_FIELDS) if (r[field]) out.push(name);
  if (r['tcp.flags.syn'] === '1') out.push(r['tcp.flags.ack'] === '1' ? 'syn-ack' : 'syn');
  if (r['tcp.flags.fin'] === '1') out.push('fin');
  if (r['tcp.flags.reset'] === '1') out.push('rst');
  return out;
}

export interface EventRow {
  frame: number;
  /** Our TcpConnection id; tshark's tcp.stream (both count connections in order of first packet). */
  stream: number;
  events: string[];
  seq: number;
  ack: number;
  len: number;
  win: number;
}

export function ourEventRows(e: TcpEvents): EventRow[] {
  const rows: EventRow[] = [];
  for (let i = 0; i < e.count; i++) {
    rows.push({ frame: e.frame[i], stream: e.tcpConn[i], events: tcpEventNames(e.flags[i]), seq: e.seq[i], ack: e.ack[i], len: e.len[i], win: e.win[i] });
  }
  return rows;
}

/** tshark's rows with at least one event, in the same shape (only TCP frames of `streams`, when given). */
export function tsharkEventRows(rows: TsvRow[], streams?: Set<string>): EventRow[] {
  const out: EventRow[] = [];
  for (const r of rows) {
    if (!r['tcp.stream'] || (streams && !streams.has(r['tcp.stream']))) continue;
    const events = tsharkEvents(r);
    if (events.length === 0) continue;
    out.push({ frame: Number(r['frame.number']), stream: Number(r['tcp.stream']), events, seq: Number(r['tcp.seq']), ack: Number(r['tcp.ack']), len: Number(r['tcp.len']), win: Number(r['tcp.window_size']) });
  }
  return out;
}

export { readTsv };
