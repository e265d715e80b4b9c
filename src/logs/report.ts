// The logs --json object of docs/findings.md ("logs --json: the host's log on the capture's
// timeline"): offsets per file and every line in capture-time order. The engine says which
// finding / incident a line belongs to (through the wire event it matched); the rest is here.

import type { Alignment } from './align.ts';
import type { PlacedLine } from './timeline.ts';

export interface LogsJsonOffset {
  file: string;
  seconds?: number;
  source: 'events' | 'clock' | 'user' | 'none';
  matches: number;
  spreadMs?: number;
  // Additions to the contract: the clock the log is on, a wall clock's zone and skew, a tie.
  clock?: string;
  zone?: string;
  skewSeconds?: number;
  ambiguous?: boolean;
}

export interface LogsJsonLine {
  file: string;
  line: number;
  text: string;
  time?: number;
  kind?: string;
  conn?: number;
  finding?: number;
  incident?: number;
}

export interface LogsJson {
  offsets: LogsJsonOffset[];
  lines: LogsJsonLine[];
}

export type Belongs = (p: PlacedLine) => { finding?: number; incident?: number } | undefined;

/** Seconds to the microsecond (capture timestamps have no more), without binary noise. */
function micro(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}

/** `files` names the log files by index (as given on the command line). */
export function logsJson(files: readonly string[], a: Alignment, placed: readonly PlacedLine[], belongs?: Belongs): LogsJson {
  const name = (i: number): string => files[i] ?? String(i);
  const offsets = a.offsets.map((o): LogsJsonOffset => {
    const r: LogsJsonOffset = { file: name(o.file), source: o.source, matches: o.matches };
    if (o.seconds !== undefined) r.seconds = micro(o.seconds);
    if (o.spreadMs !== undefined) r.spreadMs = o.spreadMs;
    if (o.clock !== undefined) r.clock = o.clock;
    if (o.zone !== undefined) r.zone = o.zone;
    if (o.skewSeconds !== undefined) r.skewSeconds = micro(o.skewSeconds);
    if (o.ambiguous) r.ambiguous = true;
    return r;
  });
  const lines = placed.map((p): LogsJsonLine => {
    const r: LogsJsonLine = { file: name(p.file), line: p.line, text: p.text };
    if (p.time !== undefined) r.time = micro(p.time);
    if (p.kind !== undefined) r.kind = p.kind;
    if (p.conn !== undefined) r.conn = p.conn;
    const b = belongs?.(p);
    if (b?.finding !== undefined) r.finding = b.finding;
    if (b?.incident !== undefined) r.incident = b.incident;
    return r;
  });
  return { offsets, lines };
}
