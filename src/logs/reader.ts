// A log file, streamed: bytes → lines → LogLine records (prefix read, meaning from the explainer).
// Nothing is kept here but counts: the caller's onLine decides what to keep, so a 1 GB log runs in
// the memory of one line plus whatever the caller holds (every line, or only the recognised ones).

import { explainLogLine } from '../codec/index.ts';
import type { Explanation } from '../codec/index.ts';
import { LineSplitter } from './lines.ts';
import type { LineSplitterOptions } from './lines.ts';
import { LOG_FORMATS, PrefixReader } from './prefix.ts';
import type { LogFormat } from './prefix.ts';
import { clockOf } from './stamp.ts';
import type { LogClock, Stamp } from './stamp.ts';

export interface LogLine {
  /** Index of the file among those the caller reads (its own numbering). */
  file: number;
  /** 1-based line number in the file. */
  line: number;
  /** The line as in the file, without its terminator; a cut line holds its first maxLineBytes. */
  text: string;
  cut: boolean;
  format: LogFormat;
  stamp?: Stamp;
  /** The kernel's boot-relative stamp inside a syslog or journal kernel line. */
  bootSeconds?: number;
  host?: string;
  program?: string;
  pid?: number;
  /** The text after the prefix. */
  message: string;
  /** The explainer's reading, for the lines it recognises. */
  explanation?: Explanation;
}

export interface LogFileSummary {
  file: number;
  lines: number;
  /** Lines the explainer recognised. */
  recognised: number;
  /** Lines longer than maxLineBytes. */
  cut: number;
  /** Lines with a timestamp, per clock. */
  stamped: Record<LogClock, number>;
  /** Lines per format. */
  formats: Record<LogFormat, number>;
  /** The format most lines are in ("plain" when none has a timestamp). */
  format: LogFormat;
  /** The clock most stamped lines are on; undefined when no line has a timestamp. */
  clock?: LogClock;
  /** Coarsest stamp resolution seen on that clock, in seconds. */
  resolution?: number;
  /** True when some utc stamps stated different zones (a log written across a zone change). */
  mixedZones: boolean;
}

export type LineHandler = (line: LogLine) => void;

export type LogReaderOptions = LineSplitterOptions;

function zeroFormats(): Record<LogFormat, number> {
  const r = {} as Record<LogFormat, number>;
  for (const f of LOG_FORMATS) r[f] = 0;
  return r;
}

export class LogReader {
  private readonly splitter: LineSplitter;
  private readonly prefixes = new PrefixReader();
  private recognised = 0;
  private cut = 0;
  private readonly stamped: Record<LogClock, number> = { utc: 0, wall: 0, boot: 0 };
  private readonly resolutions: Record<LogClock, number> = { utc: 0, wall: 0, boot: 0 };
  private readonly formats = zeroFormats();
  private zone: number | undefined;
  private mixedZones = false;

  constructor(readonly file: number, private readonly onLine: LineHandler, opts: LogReaderOptions = {}) {
    this.splitter = new LineSplitter((text, n, cut) => this.line(text, n, cut), opts);
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  /** Ends the file and says what was in it. */
  end(): LogFileSummary {
    this.splitter.end();
    let format: LogFormat = 'plain';
    for (const f of LOG_FORMATS) if (f !== 'plain' && this.formats[f] > (format === 'plain' ? 0 : this.formats[format])) format = f;
    let clock: LogClock | undefined;
    for (const c of ['utc', 'wall', 'boot'] as const) if (this.stamped[c] > (clock === undefined ? 0 : this.stamped[clock])) clock = c;
    const s: LogFileSummary = {
      file: this.file, lines: this.splitter.lines, recognised: this.recognised, cut: this.cut,
      stamped: { ...this.stamped }, formats: { ...this.formats }, format, mixedZones: this.mixedZones,
    };
    if (clock !== undefined) {
      s.clock = clock;
      s.resolution = this.resolutions[clock];
    }
    return s;
  }

  private line(text: string, n: number, cut: boolean): void {
    const p = this.prefixes.read(text);
    const x = explainLogLine(p.message);
    // One object shape for every line (absent fields are undefined), which keeps the hot path fast.
    const l: LogLine = {
      file: this.file, line: n, text, cut, format: p.format, stamp: p.stamp, bootSeconds: p.bootSeconds,
      host: p.host, program: p.program, pid: p.pid, message: p.message, explanation: x,
    };
    this.formats[p.format]++;
    if (cut) this.cut++;
    if (x !== undefined) this.recognised++;
    const st = p.stamp;
    if (st !== undefined) {
      const c = clockOf(st.kind);
      this.stamped[c]++;
      if (st.resolution > this.resolutions[c]) this.resolutions[c] = st.resolution;
      if (st.zoneMinutes !== undefined) {
        if (this.zone === undefined) this.zone = st.zoneMinutes;
        else if (this.zone !== st.zoneMinutes) this.mixedZones = true;
      }
    }
    this.onLine(l);
  }
}

/** Reads a whole log from its chunks (any size, sync or async). */
export async function readLog(
  file: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onLine: LineHandler, opts: LogReaderOptions = {},
): Promise<LogFileSummary> {
  const r = new LogReader(file, onLine, opts);
  for await (const c of chunks) r.push(c);
  return r.end();
}

export interface CollectedLog {
  lines: LogLine[];
  summary: LogFileSummary;
}

/** Reads a log keeping every line ("all") or only the lines the explainer recognises. */
export async function collectLog(
  file: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, keep: 'all' | 'recognised' = 'all',
  opts: LogReaderOptions = {},
): Promise<CollectedLog> {
  const lines: LogLine[] = [];
  const summary = await readLog(file, chunks, keep === 'all' ? (l) => lines.push(l) : (l) => { if (l.explanation) lines.push(l); }, opts);
  return { lines, summary };
}

/** A small log already in memory (a paste, a test). */
export function parseLogText(text: string, file = 0, opts: LogReaderOptions = {}): CollectedLog {
  const lines: LogLine[] = [];
  const r = new LogReader(file, (l) => lines.push(l), opts);
  r.push(new TextEncoder().encode(text));
  return { lines, summary: r.end() };
}
