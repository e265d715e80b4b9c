// Every line on the capture's clock, in capture-time order, tied to the iSCSI connection it speaks
// of where the alignment supports it: a matched line takes its wire event's connection; a line
// about a task management request (a task tag, a reset) takes the one request it can be, between
// the request and its answer; a line naming "connectionS:C" takes the connection of the session
// that S's matched lines point at, alive at its moment; a line naming a portal, target, initiator
// or ISID takes the one connection alive then that carries those names.

import type { Explanation, ExplanationKind } from '../codec/index.ts';
import { placeLine } from './align.ts';
import type { Alignment, FileOffset } from './align.ts';
import type { WireConn, WireEvent } from './events.ts';
import type { LogLine } from './reader.ts';

export interface TimelineOptions {
  captureStart: number;
  /** The capture's connections; without them only matched lines are tied. */
  conns?: readonly WireConn[];
  /** How far outside a connection's lifetime a line may still be tied to it, seconds. */
  slackS?: number;
}

export type TieReason = 'match' | 'session' | 'names' | 'task';

export interface PlacedLine {
  file: number;
  line: number;
  text: string;
  /** Capture clock, seconds since the epoch; undefined where the line cannot be placed. */
  time?: number;
  kind?: ExplanationKind;
  conn?: number;
  /** Why the line is tied to `conn`. */
  tie?: TieReason;
  /** The wire event (index) the line matched. */
  event?: number;
}

/** The one task management request a line about one can be: its tag (or, without one, its
 *  function), the line's moment between the request and its answer (30 s for an unanswered one). */
function taskEvent(x: Explanation, t: number, wire: readonly WireEvent[], slack: number): number | undefined {
  const fns = x.tmfFunction === 5 ? [4, 5] : x.tmfFunction === undefined ? [] : [x.tmfFunction];
  let found: number | undefined;
  for (let j = 0; j < wire.length; j++) {
    const w = wire[j];
    if (w.kind !== 'tmf') continue;
    const tagged = x.taskTagOnWire !== undefined;
    if (tagged ? w.referencedTaskTag === undefined || !x.taskTagOnWire?.includes(w.referencedTaskTag) : !fns.includes(w.function)) continue;
    if (t < w.time - slack || t > (w.responseTime ?? w.time + 30) + slack) continue;
    if (found !== undefined) return undefined;
    found = j;
  }
  return found;
}

function key(file: number, line: number): string {
  return `${file}:${line}`;
}

function norm(s: string | undefined): string | undefined {
  return s?.toLowerCase();
}

function alive(c: WireConn, t: number, slack: number): boolean {
  return t >= c.start - slack && (c.end === undefined || t <= c.end + slack);
}

/** The connection alive at t among cs: one whose lifetime holds t, else the one that ended last
 *  before t (a line logged as its connection went). */
function atTime(cs: readonly WireConn[], t: number, slack: number): WireConn | undefined {
  const live = cs.filter((c) => alive(c, t, slack));
  const inside = live.filter((c) => alive(c, t, 0));
  const pool = inside.length ? inside : live;
  if (pool.length === 0) return undefined;
  const distinct = new Set(pool.map((c) => c.conn));
  if (distinct.size === 1) return pool[0];
  // Several: the latest started at or before t (a relogin replaced the others).
  const before = pool.filter((c) => c.start <= t).sort((a, b) => b.start - a.start);
  return before.length === 1 || (before.length > 1 && before[0].start !== before[1].start) ? before[0] : undefined;
}

/**
 * The timeline of `lines` (every line of the files, or any subset): each placed by its file's
 * offset and tied to a connection where the alignment supports it; in capture-time order. A line
 * that cannot be placed keeps its place in its file, after the placed line before it.
 */
export function timeline(lines: readonly LogLine[], a: Alignment, wire: readonly WireEvent[], opts: TimelineOptions): PlacedLine[] {
  const slack = opts.slackS ?? 2;
  const offsets = new Map<number, FileOffset>(a.offsets.map((o) => [o.file, o]));
  const matched = new Map<string, number>(a.matches.map((m) => [key(m.file, m.line), m.event]));

  // Session numbers of each file's log → the capture's session, where every matched line that
  // names the number points at one session.
  const sessionOf = new Map<string, number | null>();
  for (const l of lines) {
    const j = matched.get(key(l.file, l.line));
    const sid = l.explanation?.sessionId;
    if (j === undefined || sid === undefined) continue;
    const s = wire[j].session;
    if (s === undefined) continue;
    const k = key(l.file, sid);
    const prev = sessionOf.get(k);
    sessionOf.set(k, prev === undefined || prev === s ? s : null);
  }

  const conns = opts.conns ?? [];
  const out: PlacedLine[] = [];
  for (const l of lines) {
    const p: PlacedLine = { file: l.file, line: l.line, text: l.text };
    const t = placeLine(l, offsets.get(l.file), opts.captureStart);
    if (t !== undefined) p.time = t;
    const x = l.explanation;
    if (x !== undefined) p.kind = x.kind;
    const j = matched.get(key(l.file, l.line));
    if (j !== undefined) {
      p.event = j;
      const c = wire[j].conn;
      if (c !== undefined) {
        p.conn = c;
        p.tie = 'match';
      }
    } else if (x !== undefined && t !== undefined && (x.taskTagOnWire !== undefined || x.tmfFunction !== undefined) &&
      taskEvent(x, t, wire, slack) !== undefined) {
      const k = taskEvent(x, t, wire, slack) as number;
      p.event = k;
      const c = wire[k].conn;
      if (c !== undefined) {
        p.conn = c;
        p.tie = 'task';
      }
    } else if (x !== undefined && t !== undefined && conns.length) {
      const s = x.sessionId === undefined ? undefined : sessionOf.get(key(l.file, x.sessionId));
      if (s !== undefined && s !== null) {
        const c = atTime(conns.filter((k) => k.session === s && (x.cid === undefined || k.cid === undefined || k.cid === x.cid)), t, slack);
        if (c !== undefined) {
          p.conn = c.conn;
          p.tie = 'session';
        }
      }
      if (p.conn === undefined && (x.portal !== undefined || x.isid !== undefined || x.initiator !== undefined ||
        (x.target !== undefined && x.kind !== 'connect-failed'))) {
        const c = atTime(conns.filter((k) =>
          (x.portal === undefined || (k.portal !== undefined && norm(k.portal) === norm(x.portal))) &&
          (x.isid === undefined || (k.isid !== undefined && norm(k.isid) === norm(x.isid))) &&
          (x.initiator === undefined || (k.initiator !== undefined && norm(k.initiator) === norm(x.initiator))) &&
          (x.target === undefined || x.kind === 'connect-failed' || (k.target !== undefined && norm(k.target) === norm(x.target)))), t, slack);
        if (c !== undefined) {
          p.conn = c.conn;
          p.tie = 'names';
        }
      }
    }
    out.push(p);
  }

  // Order: by time; an unplaced line sorts with the placed line before it in its file.
  const sortTime = new Float64Array(out.length);
  const lastByFile = new Map<number, number>();
  const order = out.map((_, i) => i).sort((i, k) => out[i].file - out[k].file || out[i].line - out[k].line);
  for (const i of order) {
    const p = out[i];
    const t = p.time ?? lastByFile.get(p.file) ?? -Infinity;
    if (p.time !== undefined) lastByFile.set(p.file, p.time);
    sortTime[i] = t;
  }
  const idx = out.map((_, i) => i).sort((i, k) =>
    (sortTime[i] < sortTime[k] ? -1 : sortTime[i] > sortTime[k] ? 1 : 0) || out[i].file - out[k].file || out[i].line - out[k].line);
  return idx.map((i) => out[i]);
}
