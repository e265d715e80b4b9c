// The page's worker: reads the dropped files in Blob.slice chunks — one capture, or several read as
// one (a tcpdump ring, rotated files: src/engine analyzeCaptures, as the CLI does), and any host logs
// dropped with them, told apart by their first bytes — runs the engine, and hands the complete
// Analysis back with its typed arrays transferred (moved, not copied). It then stays with the files,
// so the PDU detail view can ask it to re-read and decode one PDU, and places host logs on the
// capture's timeline (src/engine placeLogs, the code `iscsi-inspect logs` runs), again when the
// user sets a log's offset. The page never parses.

import * as Comlink from 'comlink';
import { blobChunks, unpackFileOffset } from '../src/capture/index.ts';
import { SNIFF_BYTES, analysisBuffers, analyze, analyzeCaptures, logContext, placeLogs, startsLikeCapture } from '../src/engine/index.ts';
import type { Analysis, LogContext, LogsJsonLine, LogsJsonOffset } from '../src/engine/index.ts';
import { GzipHeaderStore, readPdu, useGzipHeaders } from './pdu-detail.ts';
import type { PduDetailData, PduDetailRequest } from './pdu-detail.ts';

export type { PduDetailData, PduDetailRequest, HeaderSource, DigestState } from './pdu-detail.ts';

export interface WorkerProgress {
  fileBytes: number;
  totalBytes: number;
  packets: number;
  pdus: number;
}

/** Host logs placed on the capture's clock, as `iscsi-inspect logs --json` gives them. */
export interface PageLogs {
  files: string[];
  offsets: LogsJsonOffset[];
  /** Every recognised line and, for context, plain lines up to MAX_PLAIN_TO_PAGE, in capture-time order. */
  lines: LogsJsonLine[];
  /** Plain lines (no iSCSI meaning) not sent to the page, and not kept by the engine. */
  plainNotShown: number;
  /** Lines past MAX_LINES_TO_PAGE, in capture-time order, not sent at all. */
  linesNotShown: number;
  /** Offsets the user set (file index, seconds). */
  userOffsets: Array<[number, number]>;
}

export interface WorkerResult {
  analysis: Analysis;
  /** Milliseconds spent in analyze(). */
  analyzeMs: number;
  /** The captures read (as one, when several), in the order given. */
  captures: string[];
  /** Said when the captures overlapped in time and were merged by time. */
  merged: string | undefined;
  logs: PageLogs | undefined;
}

/** Thrown (across the worker boundary, as its message) when memory ran out. */
const OOM_PREFIX = 'OUT_OF_MEMORY: ';
/** The page holds the recognised lines and this many plain ones: a 1 GB log is read in the worker, not shipped. */
const MAX_PLAIN_TO_PAGE = 20_000;
/** And no more lines than this in all (a log of nothing but iSCSI errors is still a log someone made). */
const MAX_LINES_TO_PAGE = 200_000;

let files: Blob[] = [];
/** Header bytes kept while a gzip capture was read (then every detail read comes from them). */
let gzipKept = false;
let logCtx: LogContext | undefined;
let logs: Array<{ name: string; blob: Blob }> = [];
const userOffsets = new Map<number, number>();

async function head(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
}

/** Which of the files are captures (pcap, pcapng, inside gzip too) and which are logs, by their first bytes. */
async function kinds(blobs: readonly Blob[]): Promise<Array<'capture' | 'log'>> {
  return Promise.all(blobs.map(async (b) => ((await startsLikeCapture(await head(b))) ? 'capture' : 'log')));
}

/** A name not yet taken by an earlier log ("x.log", "x.log (2)"). */
function uniqueName(name: string): string {
  let n = name;
  for (let k = 2; logs.some((l) => l.name === n); k++) n = `${name} (${k})`;
  return n;
}

async function place(): Promise<PageLogs | undefined> {
  if (!logCtx || logs.length === 0) return undefined;
  const placed = await placeLogs(logCtx, logs.map((l) => ({ name: l.name, read: () => blobChunks(l.blob) })), userOffsets.size ? userOffsets : undefined);
  const lines: LogsJsonLine[] = [];
  let plain = 0;
  let notShown = placed.droppedPlainLines;
  let cut = 0;
  for (const l of placed.json.lines) {
    if (lines.length >= MAX_LINES_TO_PAGE) cut++;
    else if (l.kind !== undefined || l.conn !== undefined) lines.push(l);
    else if (plain < MAX_PLAIN_TO_PAGE) { plain++; lines.push(l); } else notShown++;
  }
  return { files: logs.map((l) => l.name), offsets: placed.json.offsets, lines, plainNotShown: notShown, linesNotShown: cut, userOffsets: [...userOffsets] };
}

const api = {
  /**
   * Analyse what was dropped or chosen: one file is a capture; of several, those that start like a
   * capture are read as one capture and the others placed as host logs.
   */
  async analyze(blobs: Blob[], names: string[], ports: number[], onProgress: (p: WorkerProgress) => void, chunkSize = 4 << 20): Promise<WorkerResult> {
    const t0 = performance.now();
    const kind = blobs.length === 1 ? ['capture' as const] : await kinds(blobs);
    const captures = blobs.filter((_, i) => kind[i] === 'capture');
    const captureNames = names.filter((_, i) => kind[i] === 'capture');
    if (captures.length === 0) throw new Error(`none of ${names.join(', ')} is a capture (pcap or pcapng, gzip-compressed or not); open a capture first, then drop a log beside it`);
    const totalBytes = captures.reduce((n, b) => n + b.size, 0);
    let last = 0;
    let analysis: Analysis;
    const gz = await Promise.all(captures.map(async (b) => {
      const h = new Uint8Array(await b.slice(0, 2).arrayBuffer());
      return h[0] === 0x1f && h[1] === 0x8b;
    }));
    const gzip = gz.some(Boolean) ? new GzipHeaderStore() : undefined;
    let merged: string | undefined;
    try {
      const options = {
        totalBytes,
        ports,
        onPdu: gzip ? (p: Parameters<GzipHeaderStore['add']>[0]) => gzip.add(p) : undefined,
        onProgress: (p: { fileBytes: number; packets: number; pdus: number }) => {
          const now = performance.now();
          if (now - last < 80 && p.fileBytes < totalBytes) return;
          last = now;
          void onProgress({ fileBytes: p.fileBytes, totalBytes, packets: p.packets, pdus: p.pdus });
        },
      };
      analysis = captures.length === 1
        ? await analyze(blobChunks(captures[0], chunkSize), options)
        : await analyzeCaptures(captures.map((b, i) => ({ name: captureNames[i], chunks: blobChunks(b, chunkSize) })), { ...options, onMerged: (m) => { merged = m; } });
    } catch (e) {
      throw asWorkerError(e);
    }
    files = captures;
    gzipKept = gzip !== undefined;
    gzip?.finish();
    useGzipHeaders(gzip);
    // Taken before the Analysis' arrays move to the page: what placing logs needs later.
    logCtx = logContext(analysis);
    logs = [];
    userOffsets.clear();
    blobs.forEach((b, i) => { if (kind[i] === 'log') logs.push({ name: uniqueName(names[i]), blob: b }); });
    const placed = await place().catch(() => undefined);
    const result: WorkerResult = { analysis, analyzeMs: performance.now() - t0, captures: captureNames, merged, logs: placed };
    return Comlink.transfer(result, analysisBuffers(analysis));
  },

  /** Which files start like a capture and which are logs. */
  async kinds(blobs: Blob[]): Promise<Array<'capture' | 'log'>> {
    return kinds(blobs);
  },

  /** Host logs dropped beside the analysed capture: placed with the others. */
  async addLogs(blobs: Blob[], names: string[]): Promise<PageLogs | undefined> {
    blobs.forEach((b, i) => logs.push({ name: uniqueName(names[i]), blob: b }));
    return place();
  },

  /** The user's offset for log `file` (seconds, log clock − capture clock), or undefined to find it again from the events. */
  async setLogOffset(file: number, seconds: number | undefined): Promise<PageLogs | undefined> {
    if (seconds === undefined || !Number.isFinite(seconds)) userOffsets.delete(file);
    else userOffsets.set(file, seconds);
    return place();
  },

  /** Re-read and decode one PDU of the analysed file for the detail view. */
  async pduDetail(request: PduDetailRequest): Promise<PduDetailData> {
    try {
      if (files.length <= 1 || gzipKept) return await readPdu(files[0], request);
      // Several captures read as one: the offset names the file and the place in it.
      const { file, offset } = unpackFileOffset(request.fileOffset);
      return { ...(await readPdu(files[file], { ...request, fileOffset: offset })), file };
    } catch (e) {
      throw asWorkerError(e);
    }
  },
};

function asWorkerError(e: unknown): Error {
  if (e instanceof RangeError && /alloc|memory|Invalid typed array length|Array buffer/i.test(e.message)) {
    return new Error(`${OOM_PREFIX}${e.message}`);
  }
  if (e instanceof Error) {
    const err = new Error(e.message);
    err.name = e.name;
    return err;
  }
  return new Error(String(e));
}

export type WorkerApi = typeof api;

Comlink.expose(api);
