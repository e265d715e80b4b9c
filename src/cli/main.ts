import { open, stat } from 'node:fs/promises';
import { CaptureError, CaptureReader, maybeGunzip, mergeCaptures } from '../capture/index.ts';
import type { CaptureSource, NonPacketRecord, PacketRecord } from '../capture/index.ts';
import { explainLogLine, opcodeName } from '../codec/index.ts';
import { analyzeCaptures, placeLogs, SNIFF_BYTES, startsLikeCapture } from '../engine/index.ts';
import type { PlacedLogs } from '../engine/index.ts';
import type { LogsJsonLine } from '../logs/index.ts';
import type { Analysis, Analyzer, Finding } from '../engine/index.ts';
import type { FramedPdu } from '../iscsi/index.ts';
import { decodeKept, pduRecord, TSV_COLUMNS } from '../iscsi/index.ts';
import { tcpEventNames } from '../tcp/index.ts';
import { fmtBytes, fmtInt, fmtRel, formatMs, printable } from '../text/index.ts';
import { checkLogOffsets, EXIT, helpText, parseArgs, UsageError, USAGE } from './args.ts';
import type { CliArgs } from './args.ts';
import { Output, writeJsonArray } from './io.ts';
import { guardStdout, isAllocationFailure, MemoryGuard, OutputError } from './exit.ts';
import type { TableWriter } from './tables.ts';
import { captureChunks, captureName, InputError } from './sources.ts';
import { findingText, incidentText, statusLine, Watcher } from './watch.ts';

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs one command; returns the exit status (args.ts EXIT: 0 analysed, 1 unreadable capture, 2 usage, 3 out of memory, 4 output failed). */
export async function main(argv: readonly string[], io: Streams = process): Promise<number> {
  // `iscsi-inspect pdus big.pcap | head`: a closed pipe ends the listing, it is not an error.
  if (io.stdout === process.stdout) guardStdout();
  const stderr = (line: string): void => { io.stderr.write(`${line}\n`); };
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr(`iscsi-inspect: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    io.stdout.write(`${helpText(args.command)}\n`);
    return 0;
  }
  const out = new Output(io.stdout);
  try {
    switch (args.command) {
      case 'explain': return explain(args, out);
      case 'frames': return await frames(args, out, stderr);
      case 'watch': return await watch(args, out, stderr);
      default: return await analysed(args, out, stderr);
    }
  } catch (e) {
    await out.flush();
    if (e instanceof UsageError) {
      stderr(`iscsi-inspect: ${e.message}\n${USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof OutputError) {
      stderr(`iscsi-inspect: ${e.message}`);
      return EXIT.outputFailed;
    }
    if (isAllocationFailure(e)) {
      stderr(`iscsi-inspect: out of memory: ${oneLine(e as Error)}`);
      return EXIT.outOfMemory;
    }
    if (e instanceof CaptureError || e instanceof InputError || isFileError(e)) {
      stderr(`iscsi-inspect: ${oneLine(e)}`);
      return 1;
    }
    throw e;
  } finally {
    await out.flush();
  }
}

/** The Parquet file of `--format parquet -o FILE` (its code is loaded only then). */
async function parquetTable(args: CliArgs): Promise<TableWriter | undefined> {
  if (args.format !== 'parquet' || args.output === undefined) return undefined;
  const { openTable } = await import('./tables.ts');
  return openTable(args.command === 'findings' ? 'findings' : args.command === 'tcp' ? 'tcp' : 'pdus', args.output, captureName(args.positional[0]));
}

function isFileError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

function oneLine(e: Error): string {
  if (isFileError(e)) {
    const what = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'permission denied' : e.code;
    return `${e.path ?? 'capture'}: ${what}`;
  }
  return e.message.replace(/\s*\n\s*/g, ' ');
}


/** Nanoseconds since the epoch as a decimal string (a double cannot hold them). */
export function timeNs(sec: number, nsec: number): string {
  if (sec > 0) return `${sec}${String(nsec).padStart(9, '0')}`;
  return (BigInt(sec) * 1_000_000_000n + BigInt(nsec)).toString();
}

async function frames(args: CliArgs, out: Output, stderr: (line: string) => void): Promise<number> {
  const path = args.positional[0];
  const sink = {
    packet(p: PacketRecord) {
      const t = p.hasTime ? `,"timeNs":"${timeNs(p.tsSec, p.tsNsec)}"` : '';
      out.line(`{"frame":${p.frame}${t},"capLen":${p.capLen},"origLen":${p.origLen},"interface":${p.interfaceId},"linkType":${p.linkType}}`);
    },
  };
  // pcapng custom blocks take a frame number in Wireshark but hold no packet: no time, interface or link type.
  const onNonPacketRecord = (r: NonPacketRecord): void => {
    out.line(`{"frame":${r.frame},"capLen":${r.length},"origLen":${r.length},"blockType":${r.blockType}}`);
  };
  if (args.positional.length > 1) {
    const r = await mergeCaptures(sourcesOf(args.positional, out), sink, {
      onNonPacketRecord, onMerged: (m) => stderr(`iscsi-inspect: ${m}`), onChunk: () => out.maybeFlush(),
    });
    await out.flush();
    for (const e of r.errors) stderr(`iscsi-inspect: ${oneLine(e)}`);
    return r.errors.length ? 1 : 0;
  }
  const reader = new CaptureReader(sink, { onNonPacketRecord });
  try {
    for await (const chunk of maybeGunzip(captureChunks(path, { onOpen: ({ regular }) => { out.live = !regular; } }))) {
      reader.push(chunk);
      await out.maybeFlush();
    }
    reader.end();
  } catch (e) {
    if (e instanceof CaptureError) {
      await out.flush();
      stderr(`iscsi-inspect: ${oneLine(e)}`);
      return 1;
    }
    throw e;
  }
  return 0;
}

/** The capture files named, each read once (a FIFO or stdin is a live capture: print as it comes). */
function sourcesOf(names: readonly string[], out: Output): CaptureSource[] {
  return names.map((name) => ({ name: captureName(name), chunks: captureChunks(name, { onOpen: ({ regular }) => { if (!regular) out.live = true; } }) }));
}

/** Whether a file starts like a capture (pcap, pcapng; inside gzip too). A FIFO or device cannot be
 *  peeked at without consuming it, so it counts as a capture. */
async function looksLikeCapture(name: string): Promise<boolean> {
  const st = await stat(name).catch(() => undefined);
  if (st === undefined || !st.isFile()) return st !== undefined;
  const fh = await open(name, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return await startsLikeCapture(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** For `logs`: which arguments are captures and which are logs, by their first bytes. */
async function splitCapturesAndLogs(args: CliArgs): Promise<void> {
  if (args.command !== 'logs') return;
  const captures: string[] = [];
  for (const name of args.positional) {
    if (name === '-' || (await looksLikeCapture(name))) captures.push(name);
    else args.logs.push(name);
  }
  if (captures.length === 0) throw new UsageError(`logs: none of ${args.positional.join(', ')} is a capture (pcap or pcapng, gzip-compressed or not)`);
  if (args.logs.length === 0) throw new UsageError('logs: give at least one log file beside the capture');
  args.positional = captures;
  checkLogOffsets(args);
}

/** The check thresholds given on the command line. */
function checkThresholds(args: CliArgs): Record<string, number> {
  return {
    ...(args.slowMs !== undefined && { slowMs: args.slowMs }),
    ...(args.churnLogins !== undefined && { churnLogins: args.churnLogins }),
    ...(args.churnWindowS !== undefined && { churnWindowS: args.churnWindowS }),
  };
}

/** iscsi-inspect watch: settled findings and incidents as they happen (see watch.ts). */
async function watch(args: CliArgs, out: Output, stderr: (line: string) => void): Promise<number> {
  out.live = true;
  let told = 0;
  const watcher = new Watcher({
    finding: (f) => { told++; out.line(args.json ? JSON.stringify({ type: 'finding', ...f }) : findingText(f)); },
    incident: (i) => { out.line(args.json ? JSON.stringify({ type: 'incident', ...i }) : incidentText(i)); },
  }, args.churnWindowS ?? 60);
  const guard = new MemoryGuard();
  let current: Analyzer | undefined;
  let open = 0;
  let lastSnapshot = -Infinity;
  let snapshotMs = 0;
  let fresh = false;
  // A snapshot costs a pass over what was read: one every 2 s while data comes (less often when they
  // are slow), also when the input pauses — a live capture can be quiet for minutes.
  const look = (): void => {
    if (!current || !fresh) return;
    const now = performance.now();
    if (now - lastSnapshot < Math.max(2000, snapshotMs * 4)) return;
    fresh = false;
    const snap = current.snapshot();
    snapshotMs = performance.now() - now;
    lastSnapshot = performance.now();
    open = snap.model.connections.filter((c) => c.end.kind === 'open').length;
    // What is wholly told of an ended connection is let go: memory holds what is live.
    current.retire(watcher.tell(snap, false));
    void out.flush();
  };
  const ticker = setInterval(look, 500);
  const status = setInterval(() => { if (current) stderr(statusLine(current, open, told)); }, 5000);
  ticker.unref?.();
  status.unref?.();
  try {
    const analysis = await analyzeCaptures(sourcesOf(args.positional, out), {
      onMerged: (m) => stderr(`iscsi-inspect: ${m}`),
      ports: args.ports,
      checks: checkThresholds(args),
      afterChunk: async (a) => {
        guard.check(a.packetCount);
        current = a;
        fresh = true;
        look();
        await out.flush();
      },
    });
    clearInterval(ticker);
    watcher.tell(analysis, true);
    await out.flush();
    return analysedStatus(analysis, guard, stderr);
  } finally {
    clearInterval(ticker);
    clearInterval(status);
  }
}

async function analysed(args: CliArgs, out: Output, stderr: (line: string) => void): Promise<number> {
  await splitCapturesAndLogs(args);
  const path = args.positional.length === 1 ? args.positional[0] : `${args.positional[0]} and ${args.positional.length - 1} more`;
  const table = await parquetTable(args);
  const listing = args.command === 'pdus' ? new PduListing(out, args.format === 'tsv', table) : undefined;
  if (listing) {
    listing.onOverflow = (frame) => stderr(`iscsi-inspect: a PDU begun before frame ${frame} has not completed (its data may never come): PDUs after it are printed without waiting, so a late one may come out of frame order`);
  }
  const guard = new MemoryGuard();
  let analyzer: Analyzer | undefined;
  const analysis = await analyzeCaptures(sourcesOf(args.positional, out), {
    onMerged: (m) => stderr(`iscsi-inspect: ${m}`),
    ports: args.ports,
    checks: {
      ...(args.slowMs !== undefined && { slowMs: args.slowMs }),
      ...(args.churnLogins !== undefined && { churnLogins: args.churnLogins }),
      ...(args.churnWindowS !== undefined && { churnWindowS: args.churnWindowS }),
    },
    onPdu: listing && ((p, conn) => listing.add(p, conn)),
    afterChunk: (a) => {
      guard.check(a.packetCount, a.finishBytes);
      analyzer = a;
      return listing?.flush(a, a.settledFrame());
    },
  }).catch(async (e: unknown) => { await table?.abandon(); throw e; });
  if (listing && analyzer) await listing.flush(analyzer, Infinity);
  // An unreadable input prints nothing but its error; one that ran out of memory before its first
  // packet still prints what was read, empty as it is (valid JSON for a script).
  const nothingRead = analysis.capture.packets === 0 && analysis.error !== undefined && !guard.tripped;
  switch (nothingRead ? 'none' : args.command) {
    case 'none': break;
    case 'summary': printSummary(analysis, path, args, out); break;
    case 'connections': printConnections(analysis, args, out); break;
    case 'tcp': await printTcp(analysis, out, table); break;
    case 'findings': await printFindings(analysis, args, out, table, await logsOf(analysis, args, stderr)); break;
    case 'incidents': printIncidents(analysis, args, out, await logsOf(analysis, args, stderr)); break;
    case 'logs': printLogs(analysis, args, out, await logsOf(analysis, args, stderr)); break;
  }
  await out.flush();
  await table?.close();
  return analysedStatus(analysis, guard, stderr);
}

/** How a read capture ends: out of memory (3), unreadable past some point (1), or analysed (0). */
function analysedStatus(analysis: Analysis, guard: MemoryGuard, stderr: (line: string) => void): number {
  if (guard.tripped) {
    stderr(`iscsi-inspect: ${guard.tripped.message}`);
    return EXIT.outOfMemory;
  }
  if (analysis.error) {
    stderr(`iscsi-inspect: ${analysis.error.message}`);
    return 1;
  }
  return 0;
}

/**
 * `pdus` streams: each PDU is printed once no PDU of an earlier frame can still come (the engine's
 * settledFrame), so a huge capture starts printing at once and the listing stays in frame order.
 */
/** PDUs the listing holds back waiting for the frame order to settle, at most. */
const MAX_HELD_PDUS = 200_000;

class PduListing {
  private pending: Array<{ frame: number; seq: number; rec: Record<string, unknown> }> = [];
  private seq = 0;

  constructor(private readonly out: Output, private readonly tsv: boolean, private readonly table?: TableWriter) {
    if (tsv) out.line(TSV_COLUMNS.join('\t'));
  }

  add(p: FramedPdu, conn: number): void {
    const rec = pduRecord(decodeKept(p.header, p.headerLength, p.data, p.dataLength), {
      conn, fromTarget: p.fromTarget, frame: p.frame, firstFrame: p.firstFrame, headerFrame: p.headerFrame,
      time: p.time, truncated: p.truncated,
    });
    this.pending.push({ frame: p.frame, seq: this.seq++, rec });
  }

  /** Said once when the held PDUs had to go out before they settled. */
  onOverflow: ((frame: number) => void) | undefined;
  private overflowed = false;

  /**
   * Print what has settled; connections get their final numbers (first-packet order) as they go out.
   * A PDU whose data never comes holds the mark back for good: past MAX_HELD_PDUS waiting, the oldest
   * go out anyway (said once), so memory stays bounded and a later PDU may print out of frame order.
   */
  async flush(analyzer: Analyzer, settled: number): Promise<void> {
    const ready = this.pending;
    ready.sort((a, b) => a.frame - b.frame || a.seq - b.seq);
    let mark = settled;
    if (ready.length > MAX_HELD_PDUS) {
      mark = Math.max(mark, ready[ready.length - (MAX_HELD_PDUS >> 1)].frame);
      if (!this.overflowed) {
        this.overflowed = true;
        this.onOverflow?.(settled);
      }
    }
    let n = 0;
    while (n < ready.length && ready[n].frame < mark) {
      const { rec } = ready[n];
      rec.conn = analyzer.connIndex(rec.conn as number);
      if (this.table) await this.table.add(rec);
      else this.out.line(this.tsv ? tsvLine(rec) : JSON.stringify(rec));
      n++;
    }
    this.pending = ready.slice(n);
    await this.out.maybeFlush();
  }
}

function tsvLine(rec: Record<string, unknown>): string {
  return TSV_COLUMNS.map((k) => (rec[k] === undefined ? '' : String(rec[k]))).join('\t');
}

function pduCountsByName(a: Analysis): Record<string, number> {
  const counts: Array<[number, number]> = [];
  a.model.opcodeCounts.forEach((n, op) => { if (n > 0) counts.push([op, n]); });
  return Object.fromEntries(counts.sort((x, y) => y[1] - x[1] || x[0] - y[0]).map(([op, n]) => [opcodeName(op), n]));
}

function findingsBySeverity(findings: readonly Finding[]): Record<string, number> {
  const r: Record<string, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) r[f.severity]++;
  return r;
}

function printSummary(a: Analysis, path: string, args: CliArgs, out: Output): void {
  const c = a.capture;
  const summary = {
    file: path,
    format: c.format,
    bytes: c.bytes,
    packets: c.packets,
    firstTime: c.firstTime,
    lastTime: c.lastTime,
    durationS: c.firstTime !== undefined && c.lastTime !== undefined ? c.lastTime - c.firstTime : 0,
    linkTypes: c.linkTypes,
    tcpConnections: c.tcpConnections,
    forgottenTcpConnections: c.forgottenTcpConnections,
    connections: a.connections.length,
    sessions: a.model.sessions.length ?? 0,
    pdus: a.pdus.count,
    pdusByType: pduCountsByName(a),
    truncatedPackets: c.truncatedPackets,
    tcp: tcpSummary(a),
    findings: findingsBySeverity(a.findings),
    error: a.error?.message,
  };
  if (args.json) {
    out.line(JSON.stringify(summary, null, 2));
    return;
  }
  out.line(`${path}: ${c.format ?? 'unknown format'}, ${c.packets} packets, ${c.bytes} bytes, ${summary.durationS.toFixed(3)} s`);
  out.line(`  link types: ${c.linkTypes.map((l) => `${l.name} (${l.linkType}) ×${l.packets}${l.supported ? '' : ' — not decoded'}`).join(', ') || 'none'}`);
  const forgotten = c.forgottenTcpConnections > 0 ? ` (${fmtInt(c.forgottenTcpConnections)} carried no iSCSI and were not kept)` : '';
  out.line(`  TCP connections: ${fmtInt(c.tcpConnections)}${forgotten}, iSCSI connections: ${fmtInt(a.connections.length)}, sessions: ${fmtInt(summary.sessions)}, PDUs: ${fmtInt(a.pdus.count)}`);
  if (a.connections.length === 0 && c.tcpConnections > 0) {
    out.line('  no iSCSI found: no connection on port 3260 and none opening with a Login Request; if the target listens elsewhere and the capture starts mid-connection, name the port with --port N');
  }
  for (const [name, n] of Object.entries(summary.pdusByType)) out.line(`    ${String(n).padStart(8)}  ${name}`);
  if (c.truncatedPackets) out.line(`  ${c.truncatedPackets} packets cut by the snaplen (${c.snaplen ?? '?'} bytes)`);
  const t = summary.tcp;
  out.line(`  TCP under iSCSI: ${fmtInt(t.retransmittedSegments)} segments retransmitted, ${fmtInt(t.zeroWindowEpisodes)} zero-window episodes over 100 ms, ${fmtInt(t.attempts)} connection attempts (${fmtInt(t.refused)} refused, ${fmtInt(t.unanswered)} unanswered, ${fmtInt(t.answeredLate)} answered only after SYN retransmissions)`);
  out.line(`  findings: ${summary.findings.error} error, ${summary.findings.warning} warning, ${summary.findings.info} info`);
  if (a.error) out.line(`  reading stopped: ${a.error.message}`);
}

/** What TCP did under the iSCSI connections, in all (summary). */
function tcpSummary(a: Analysis): { events: number; retransmittedSegments: number; zeroWindowEpisodes: number; attempts: number; refused: number; unanswered: number; answeredLate: number } {
  let retransmittedSegments = 0, zeroWindowEpisodes = 0;
  for (const c of a.connections) {
    if (!c.tcp) continue;
    retransmittedSegments += c.tcp.retransmittedSegments['I>T'] + c.tcp.retransmittedSegments['T>I'];
    zeroWindowEpisodes += c.tcp.zeroWindows.length;
  }
  const t = a.model.tcp.attemptTotals;
  return { events: a.tcp.events.count, retransmittedSegments, zeroWindowEpisodes, attempts: t.attempts, refused: t.refused, unanswered: t.unanswered, answeredLate: t.answeredLate };
}

/** One connection as `connections --json` reports it: addresses and names, its session, login,
 *  logout and how it ended, negotiated digests and what the capture missed. */
/** The model's row, relation and control indices are its own: the output speaks in frames. */
const MODEL_INDICES = new Set(['row', 'relation', 'taskRelation', 'control']);
function withoutModelIndices(key: string, value: unknown): unknown {
  return MODEL_INDICES.has(key) && typeof value === 'number' ? undefined : value;
}

function connectionReport(a: Analysis, i: number): Record<string, unknown> {
  const c = a.connections[i];
  const m = a.model.connections[i];
  return {
    conn: c.conn,
    session: m?.session,
    sessionType: m?.sessionType,
    initiator: { ...c.initiator, name: m?.initiatorName, alias: m?.initiatorAlias },
    target: { ...c.target, name: m?.targetName, alias: m?.targetAlias },
    isid: c.isid,
    tsih: c.tsih,
    loginRequestTsih: c.loginRequestTsih,
    cid: c.cid,
    firstFrame: c.firstFrame,
    lastFrame: c.lastFrame,
    firstTime: c.firstTime,
    lastTime: c.lastTime,
    durationS: c.lastTime - c.firstTime,
    pdus: c.pdus,
    commands: m?.commands,
    login: m?.login,
    logout: m?.logout,
    end: m?.end ?? c.end,
    headerDigest: c.headerDigest,
    dataDigest: c.dataDigest,
    negotiated: m?.negotiated,
    initiatorKeys: c.initiatorKeys,
    targetKeys: c.targetKeys,
    synSeen: c.synSeen,
    midstream: c.midstream,
    truncatedPdus: c.truncatedPdus,
    missingBytes: c.missingBytes,
    gaps: c.gaps,
    tcp: c.tcp && {
      handshakeRttMs: c.tcp.handshakeRttMs,
      retransmittedSegments: c.tcp.retransmittedSegments,
      retransmittedBytes: c.tcp.retransmittedBytes,
      zeroWindowMs: c.tcp.zeroWindowMs,
      tcpConn: c.tcp.tcpConn,
    },
    findings: a.findings.filter((f) => f.conn === c.conn || f.conns?.includes(c.conn)).length,
  };
}

/** `tcp`: one object per TCP event, in frame order (docs/findings.md "tcp --format jsonl"). */
async function printTcp(a: Analysis, out: Output, table: TableWriter | undefined): Promise<void> {
  const e = a.tcp.events;
  for (let i = 0; i < e.count; i++) {
    const conn = e.conn[i] >= 0 ? e.conn[i] : undefined;
    const dir = e.fromTarget[i] ? 'T>I' : 'I>T';
    const events = tcpEventNames(e.flags[i]);
    if (table) {
      await table.add({ frame: e.frame[i], time: e.time[i], tcpConn: e.tcpConn[i], conn, dir, events, seq: e.seq[i], ack: e.ack[i], len: e.len[i], win: e.win[i] });
      continue;
    }
    out.line(`{"frame":${e.frame[i]},"time":${e.time[i]},"tcpConn":${e.tcpConn[i]}${conn === undefined ? '' : `,"conn":${conn}`},"dir":"${dir}","events":${JSON.stringify(events)},"seq":${e.seq[i]},"ack":${e.ack[i]},"len":${e.len[i]},"win":${e.win[i]}}`);
    await out.maybeFlush();
  }
}

function printConnections(a: Analysis, args: CliArgs, out: Output): void {
  if (args.json) {
    out.line(JSON.stringify(a.connections.map((_, i) => connectionReport(a, i)), withoutModelIndices, 2));
    return;
  }
  for (let i = 0; i < a.connections.length; i++) {
    const r = connectionReport(a, i) as { initiator: { address: string; port: number; name?: string }; target: { address: string; port: number; name?: string }; session?: number; sessionType?: string; durationS: number; pdus: number; findings: number };
    const c = a.connections[i];
    const m = a.model.connections[i];
    const endText = m === undefined || m.end.kind === 'open' ? 'open at capture end'
      : `${m.end.kind.toUpperCase()} by ${m.end.by} (frame ${m.end.frame})${m.end.loggedOut ? ' after Logout' : ''}`;
    const names = printable([r.initiator.name, r.target.name].filter(Boolean).join(' → '));
    out.line(`conn ${c.conn}: ${c.initiator.address}:${c.initiator.port} → ${c.target.address}:${c.target.port}  ${r.sessionType ?? 'unknown'} session ${r.session ?? '-'}  ${r.pdus} PDUs, ${r.durationS.toFixed(3)} s, ${endText}, ${r.findings} findings${names ? `  ${names}` : ''}`);
    const t = c.tcp;
    if (t) {
      const rtt = t.handshakeRttMs === undefined ? 'handshake not captured' : `handshake RTT ${formatMs(t.handshakeRttMs)}`;
      const re = (d: 'I>T' | 'T>I'): string => `${fmtInt(t.retransmittedSegments[d])} (${fmtBytes(t.retransmittedBytes[d])})`;
      out.line(`        TCP: ${rtt}; retransmitted I>T ${re('I>T')}, T>I ${re('T>I')}; zero window: initiator ${formatMs(t.zeroWindowMs.initiator)}, target ${formatMs(t.zeroWindowMs.target)}`);
    }
  }
}

/** "conn 3", or for a session-wide finding "conns 0,1,2,…,92 (90)". */
function connsText(f: Finding): string {
  if (f.conns === undefined || f.conns.length === 0) return `conn ${f.conn ?? '-'}`;
  const c = f.conns;
  return c.length <= 6 ? `conns ${c.join(',')}` : `conns ${c.slice(0, 3).join(',')},…,${c[c.length - 1]} (${c.length})`;
}

const SEVERITY_RANK = { info: 0, warning: 1, error: 2 } as const;

/** The log files given, placed on the capture's clock (undefined when none were given). */
async function logsOf(a: Analysis, args: CliArgs, stderr: (line: string) => void): Promise<PlacedLogs | undefined> {
  if (!args.logs.length) return undefined;
  const offsets = new Map<number, number>();
  args.logs.forEach((_, k) => { if (args.offsets.length) offsets.set(k, args.offsets.length === 1 ? args.offsets[0] : args.offsets[k]); });
  const placed = await placeLogs(a, args.logs.map((name) => ({ name, read: () => captureChunks(name) })), offsets.size ? offsets : undefined);
  for (const o of placed.json.offsets) {
    if (o.source === 'none') stderr(`iscsi-inspect: ${o.file}: no event in the log matches the capture and its clock states no zone, so its lines cannot be placed; give --offset S`);
  }
  if (placed.droppedPlainLines) stderr(`iscsi-inspect: ${placed.droppedPlainLines} log lines without an iSCSI meaning were not kept (the logs are too big to hold whole)`);
  return placed;
}

/** Log lines that belong to a finding (by its index) or an incident. */
function linesBy(logs: PlacedLogs | undefined, key: 'finding' | 'incident'): Map<number, LogsJsonLine[]> {
  const m = new Map<number, LogsJsonLine[]>();
  for (const l of logs?.json.lines ?? []) {
    const k = l[key];
    if (k === undefined) continue;
    const list = m.get(k);
    if (list) list.push(l);
    else m.set(k, [l]);
  }
  return m;
}

function printLogs(a: Analysis, args: CliArgs, out: Output, logs: PlacedLogs | undefined): void {
  if (!logs) return;
  if (args.json) {
    out.line(JSON.stringify(logs.json, null, 2));
    return;
  }
  const t0 = a.capture.firstTime ?? 0;
  for (const o of logs.json.offsets) {
    const how = o.source === 'events' ? `found from ${o.matches} matching event${o.matches === 1 ? '' : 's'}${o.spreadMs !== undefined ? `, agreeing within ${o.spreadMs} ms` : ''}`
      : o.source === 'user' ? 'given with --offset' : o.source === 'clock' ? 'from the clock the log states (no event matched)' : 'not found: the lines are not placed';
    out.line(`${o.file}: log clock − capture clock = ${o.seconds === undefined ? '?' : `${o.seconds.toFixed(3)} s`}${o.zone ? ` (time zone ${o.zone}${o.skewSeconds ? `, skew ${o.skewSeconds.toFixed(3)} s` : ''})` : ''}, ${how}${o.ambiguous ? ' — another offset fits as well' : ''}`);
  }
  for (const l of logs.json.lines) {
    const when = l.time === undefined ? '          ?' : fmtRel(l.time - t0);
    const tags = [l.conn !== undefined ? `conn ${l.conn}` : '', l.kind ?? '', l.incident !== undefined ? `incident ${l.incident}` : ''].filter(Boolean).join(' ');
    out.line(`${when}  ${l.file}:${l.line}${tags ? `  [${tags}]` : ''}  ${printable(l.text)}`);
  }
}

/** Incidents as docs/findings.md "incidents" names their keys; `findings` index `findings --json`. */
function printIncidents(a: Analysis, args: CliArgs, out: Output, logs?: PlacedLogs): void {
  const lines = linesBy(logs, 'incident');
  if (args.json) {
    out.line(JSON.stringify(logs ? a.incidents.map((inc, k) => (lines.has(k) ? { ...inc, log: lines.get(k) } : inc)) : a.incidents, null, 2));
    return;
  }
  if (a.incidents.length === 0) {
    out.line(a.findings.length ? `no incidents (${a.findings.length} findings, none part of a failure)` : 'no incidents, no findings');
    return;
  }
  const t0 = a.capture.firstTime ?? 0;
  const rel = (t: number): string => fmtRel(t - t0);
  for (const i of a.incidents) {
    out.line(`${i.severity.padEnd(7)} ${i.kind.padEnd(20)} conn ${i.conns.join(', ')}  ${rel(i.start)} … ${rel(i.end)}  (${i.findings.length} finding${i.findings.length === 1 ? '' : 's'})`);
    out.line(`  ${printable(i.headline)}`);
    for (const s of i.chain) out.line(`    ${rel(s.time)}  frame ${String(s.frame).padEnd(7)} conn ${String(s.conn).padEnd(3)} ${printable(s.what)}`);
    for (const l of lines.get(a.incidents.indexOf(i)) ?? []) {
      out.line(`    ${l.time === undefined ? '?' : rel(l.time)}  log ${l.file}:${l.line}  ${printable(l.text)}`);
    }
  }
}

async function printFindings(a: Analysis, args: CliArgs, out: Output, table: TableWriter | undefined, logs?: PlacedLogs): Promise<void> {
  const min = SEVERITY_RANK[args.minSeverity];
  const lines = linesBy(logs, 'finding');
  const list = a.findings.map((f, k) => (lines.has(k) ? { ...f, log: lines.get(k) } : f)).filter((f) => SEVERITY_RANK[f.severity] >= min);
  if (table) {
    for (const f of list) await table.add(f);
    return;
  }
  if (args.json) {
    await writeJsonArray(out, list);
    return;
  }
  if (list.length === 0) out.line('no findings');
  for (const f of list) {
    out.line(`${f.severity.padEnd(7)} ${f.kind.padEnd(24)} ${connsText(f)}  frame ${f.frame ?? '-'}  ${printable(f.message)}`);
    await out.maybeFlush();
  }
}

function explain(args: CliArgs, out: Output): number {
  const line = args.positional[0];
  const e = explainLogLine(line);
  if (args.json) {
    out.line(JSON.stringify(e ?? null, null, 2));
    return 0;
  }
  if (!e) {
    out.line('Not a line this tool recognises (expected a Linux kernel or iscsid iSCSI message).');
    return 0;
  }
  for (const [k, v] of Object.entries(e)) out.line(`${k}: ${printable(typeof v === 'string' ? v : JSON.stringify(v))}`);
  return 0;
}
