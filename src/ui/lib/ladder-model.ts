// The ladder's layout math, kept apart from drawing so it can be tested and reused:
//  - bands: runs of routine I/O (commands, data, R2T, GOOD responses) that no finding or relation
//    touches and no idle gap interrupts, collapsible into one labelled element;
//  - items: what is drawn, in order: PDU arrows, bands, TCP control events (SYN/FIN/RST), TCP marks
//    (retransmissions, lost segments, ACKs, attempts … — tcp-marks.ts);
//  - layout: the y of every item (typed arrays), in true-time mode (idle time to scale, bursts at
//    least a row apart) or compact mode (one row per item, a small marker for idle gaps);
//  - window: the items a viewport shows (binary search), so the DOM holds only those.

import { OP_DATA_IN, OP_DATA_OUT, OP_R2T, OP_SCSI_COMMAND, OP_SCSI_RESPONSE } from '../../codec/index.ts';
import { dataInHasStatus, dataSegmentLength, opcode, response, scsiOpcode, scsiStatus } from '../../iscsi/index.ts';
import type { ConnectionSummary, PduColumns } from '../../iscsi/index.ts';

export const ItemKind = { Pdu: 0, Band: 1, Control: 2, Tcp: 3 } as const;
export type ItemKindValue = (typeof ItemKind)[keyof typeof ItemKind];

export const ROW_H = 40;
export const BAND_H = 46;
export const CTRL_H = 24;
/** A TCP mark's row (a retransmission, a lost segment, an ACK, a connection attempt …). */
export const TCP_H = 26;
/** An idle gap at least this long gets a marker (compact) or a label (true time). */
export const GAP_S = 0.25;
/** Height of the idle marker in compact mode. */
export const GAP_H = 18;
/** This many TCP marks with only routine I/O between them are a dense run: they fold into a band. */
export const DENSE_TCP_RUN = 12;

/** How a TCP mark takes part in the ladder's sequence. */
export const TcpState = { Hidden: 0, Fixed: 1, Foldable: 2 } as const;

/**
 * The TCP marks the ladder interleaves with the PDUs, in frame order: a mark sits before the PDUs
 * completed in its frame. `state` says whether it is drawn and whether it may fold into a band of
 * routine I/O (the routine ones do; a notable one keeps its row unless it is one of a dense run).
 */
export interface TcpSeq {
  count: number;
  frame: Uint32Array;
  time: Float64Array;
  state: Uint8Array;
}

export interface Bands {
  count: number;
  /** Band b covers sequence positions [start[b], end[b]). */
  start: Uint32Array;
  end: Uint32Array;
  /** The drawn sequence: ≥ 0 a PDU position in the rows, < 0 the TCP mark ~v. Without TCP marks, seq[p] = p. */
  seq: Int32Array;
  tcp: TcpSeq | undefined;
}

/** Is this PDU routine I/O (collapsible)? */
export function isRoutine(c: PduColumns, r: number): boolean {
  switch (opcode(c, r)) {
    case OP_SCSI_COMMAND:
    case OP_DATA_OUT:
    case OP_R2T:
      return true;
    case OP_DATA_IN:
      return !dataInHasStatus(c, r) || scsiStatus(c, r) === 0;
    case OP_SCSI_RESPONSE:
      return response(c, r) === 0 && scsiStatus(c, r) === 0;
    default:
      return false;
  }
}

/** PDUs and drawn TCP marks merged in frame order (a mark before the PDUs of its frame). */
export function ladderSeq(c: PduColumns, rows: Uint32Array, tcp?: TcpSeq): Int32Array {
  let drawn = 0;
  if (tcp) for (let k = 0; k < tcp.count; k++) if (tcp.state[k] !== TcpState.Hidden) drawn++;
  const seq = new Int32Array(rows.length + drawn);
  let p = 0;
  let k = 0;
  for (let i = 0; i < seq.length; i++) {
    while (tcp && k < tcp.count && tcp.state[k] === TcpState.Hidden) k++;
    if (tcp && k < tcp.count && (p >= rows.length || tcp.frame[k] <= c.frame[rows[p]])) seq[i] = ~k++;
    else seq[i] = p++;
  }
  return seq;
}

function seqTime(c: PduColumns, rows: Uint32Array, tcp: TcpSeq | undefined, v: number): number {
  return v >= 0 ? c.time[rows[v]] : tcp!.time[~v];
}

/**
 * Runs of at least `minRun` routine elements: routine PDUs and foldable TCP marks. `marked[p]`
 * (optional) keeps PDU position p out of any band (a finding or relation names it); an idle gap of
 * `gapS` or more ends a band; a notable TCP mark ends it too, unless it is one of a dense run
 * (`DENSE_TCP_RUN` notable marks with only routine I/O between them), which folds like routine I/O.
 */
export function findBands(c: PduColumns, rows: Uint32Array, marked: Uint8Array | undefined, minRun = 16, gapS = GAP_S, tcp?: TcpSeq): Bands {
  const seq = ladderSeq(c, rows, tcp);
  const n = seq.length;
  const routine = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = seq[i];
    routine[i] = v >= 0 ? (isRoutine(c, rows[v]) && !(marked && marked[v]) ? 1 : 0) : tcp!.state[~v] === TcpState.Foldable ? 1 : 0;
  }
  if (tcp && tcp.count > 0) {
    // Dense runs of notable marks fold too.
    let runStart = -1;
    let marks = 0;
    let prev = Number.NaN;
    const close = (i: number): void => {
      if (runStart >= 0 && marks >= DENSE_TCP_RUN) for (let j = runStart; j < i; j++) if (seq[j] < 0) routine[j] = 1;
      runStart = -1;
      marks = 0;
    };
    for (let i = 0; i < n; i++) {
      const v = seq[i];
      const t = seqTime(c, rows, tcp, v);
      if (runStart >= 0 && t - prev >= gapS) close(i);
      prev = t;
      if (v < 0 && !routine[i]) {
        if (runStart < 0) runStart = i;
        marks++;
      } else if (!routine[i]) close(i);
    }
    close(n);
  }
  const starts: number[] = [];
  const ends: number[] = [];
  let runStart = -1;
  const close = (p: number) => {
    if (runStart >= 0 && p - runStart >= minRun) {
      starts.push(runStart);
      ends.push(p);
    }
    runStart = -1;
  };
  for (let p = 0; p < n; p++) {
    const ok = routine[p] === 1;
    if (ok && runStart >= 0 && seqTime(c, rows, tcp, seq[p]) - seqTime(c, rows, tcp, seq[p - 1]) >= gapS) close(p);
    if (ok) {
      if (runStart < 0) runStart = p;
    } else {
      close(p);
    }
  }
  close(n);
  return { count: starts.length, start: Uint32Array.from(starts), end: Uint32Array.from(ends), seq, tcp };
}

export interface Items {
  count: number;
  kind: Uint8Array;
  /** PDU: position in the connection's rows; Band: band index; Control: index in conn.control; Tcp: mark index. */
  ref: Uint32Array;
  /** Position (in the connection's rows) → item index showing it (a band for collapsed PDUs). */
  posToItem: Uint32Array;
  /** Control index → item index. */
  ctlToItem: Int32Array;
  /** TCP mark → item index showing it (a band for folded marks; -1 not drawn). */
  tcpToItem: Int32Array;
}

/**
 * The drawn sequence: PDUs and TCP marks in frame order, collapsed bands in place of what they
 * hold, TCP control events where their frame falls (a SYN before the PDUs of its frame, FIN/RST
 * after them).
 */
export function buildItems(c: PduColumns, rows: Uint32Array, control: ConnectionSummary['control'], bands: Bands, collapsed: (b: number) => boolean): Items {
  const ctlOrder = control.map((_, i) => i).sort((a, b) => control[a].frame - control[b].frame || kindRank(control[a].kind) - kindRank(control[b].kind));
  const seq = bands.seq;
  const tcp = bands.tcp;
  // Upper bound of the item count: every element and every control event.
  const cap = seq.length + control.length;
  const kind = new Uint8Array(cap);
  const ref = new Uint32Array(cap);
  const posToItem = new Uint32Array(rows.length);
  const ctlToItem = new Int32Array(control.length).fill(-1);
  const tcpToItem = new Int32Array(tcp?.count ?? 0).fill(-1);
  let n = 0;
  let ci = 0;
  let b = 0;
  const emitControlsBefore = (frame: number) => {
    while (ci < ctlOrder.length) {
      const e = control[ctlOrder[ci]];
      if (e.frame < frame || (e.frame === frame && e.kind === 'SYN')) {
        kind[n] = ItemKind.Control;
        ref[n] = ctlOrder[ci];
        ctlToItem[ctlOrder[ci]] = n;
        n++;
        ci++;
      } else break;
    }
  };
  const frameOf = (v: number): number => (v >= 0 ? c.frame[rows[v]] : tcp!.frame[~v]);
  for (let p = 0; p < seq.length;) {
    emitControlsBefore(frameOf(seq[p]));
    while (b < bands.count && bands.end[b] <= p) b++;
    if (b < bands.count && bands.start[b] === p && collapsed(b)) {
      kind[n] = ItemKind.Band;
      ref[n] = b;
      const e = bands.end[b];
      for (let q = p; q < e; q++) {
        const v = seq[q];
        if (v >= 0) posToItem[v] = n;
        else tcpToItem[~v] = n;
      }
      n++;
      p = e;
      continue;
    }
    const v = seq[p];
    if (v >= 0) {
      kind[n] = ItemKind.Pdu;
      ref[n] = v;
      posToItem[v] = n;
    } else {
      kind[n] = ItemKind.Tcp;
      ref[n] = ~v;
      tcpToItem[~v] = n;
    }
    n++;
    p++;
  }
  emitControlsBefore(Number.POSITIVE_INFINITY);
  return { count: n, kind: kind.subarray(0, n), ref: ref.subarray(0, n), posToItem, ctlToItem, tcpToItem };
}

function kindRank(k: 'SYN' | 'FIN' | 'RST'): number {
  return k === 'SYN' ? 0 : k === 'FIN' ? 1 : 2;
}

export function itemHeight(kind: number): number {
  return kind === ItemKind.Band ? BAND_H : kind === ItemKind.Control ? CTRL_H : kind === ItemKind.Tcp ? TCP_H : ROW_H;
}

/** Start and end time of an item (a band spans what it holds). */
export function itemTimes(c: PduColumns, rows: Uint32Array, control: ConnectionSummary['control'], bands: Bands, items: Items, i: number): [number, number] {
  const k = items.kind[i];
  const ref = items.ref[i];
  if (k === ItemKind.Pdu) {
    const t = c.time[rows[ref]];
    return [t, t];
  }
  if (k === ItemKind.Tcp) {
    const t = bands.tcp!.time[ref];
    return [t, t];
  }
  if (k === ItemKind.Band) return [seqTime(c, rows, bands.tcp, bands.seq[bands.start[ref]]), seqTime(c, rows, bands.tcp, bands.seq[bands.end[ref] - 1])];
  const t = control[ref].time;
  return [t, t];
}

export interface Layout {
  /** y of item i's top; top[count] is the total height. */
  top: Float64Array;
  /** Idle seconds before item i (0 when below GAP_S). */
  gapBefore: Float32Array;
  /** Start and end time of item i. */
  start: Float64Array;
  end: Float64Array;
}

export type LadderMode = 'time' | 'compact';

/**
 * y positions. True time: each item sits max(previous height, pxPerSec × idle time) below the
 * previous one, so idle gaps and timeouts are to scale and a burst still gets a row per PDU.
 * Compact: one row per item, plus GAP_H where the idle time is at least GAP_S.
 */
export function layoutItems(c: PduColumns, rows: Uint32Array, control: ConnectionSummary['control'], bands: Bands, items: Items, mode: LadderMode, pxPerSec: number): Layout {
  const n = items.count;
  const top = new Float64Array(n + 1);
  const gapBefore = new Float32Array(n);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  let y = 0;
  let prevEnd = Number.NaN;
  let prevH = 0;
  for (let i = 0; i < n; i++) {
    const [t0, t1] = itemTimes(c, rows, control, bands, items, i);
    start[i] = t0;
    end[i] = t1;
    const dt = Number.isNaN(prevEnd) ? 0 : Math.max(0, t0 - prevEnd);
    if (i > 0) {
      if (mode === 'time') y += Math.max(prevH, dt * pxPerSec);
      else y += prevH + (dt >= GAP_S ? GAP_H : 0);
    }
    if (dt >= GAP_S) gapBefore[i] = dt;
    top[i] = y;
    prevH = itemHeight(items.kind[i]);
    prevEnd = t1;
  }
  top[n] = n > 0 ? y + prevH : 0;
  return { top, gapBefore, start, end };
}

/**
 * The y of a moment on the ladder (a zero window's end, say), between the items around it: within
 * an item that spans it (a band), in proportion; in the idle space between two items, in proportion
 * to the idle time. Before the first item its top, after the last the bottom of the last.
 */
export function yAtTime(layout: Layout, items: Items, t: number): number {
  const n = items.count;
  if (n === 0) return 0;
  const { top, start, end } = layout;
  // first item that ends at or after t
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (end[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= n) return top[n];
  const i = lo;
  const h = itemHeight(items.kind[i]);
  if (t >= start[i]) return end[i] > start[i] ? top[i] + (h * (t - start[i])) / (end[i] - start[i]) : top[i];
  if (i === 0) return top[0];
  const y0 = top[i - 1] + itemHeight(items.kind[i - 1]);
  const span = start[i] - end[i - 1];
  if (!(span > 0) || top[i] <= y0) return top[i];
  return y0 + ((top[i] - y0) * (t - end[i - 1])) / span;
}

/** A pleasant default scale for true time: the connection in about `targetPx`, within limits. */
export function defaultPxPerSec(durationS: number, targetPx = 900): number {
  if (!(durationS > 0)) return 100;
  const v = targetPx / durationS;
  return Math.min(400, Math.max(2, v));
}

/** Items intersecting [y0, y1): [first, last) (binary search on top). */
export function visibleRange(top: Float64Array, count: number, y0: number, y1: number): [number, number] {
  // first item whose bottom (top[i + 1]) is beyond y0
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (top[mid + 1] <= y0) lo = mid + 1;
    else hi = mid;
  }
  const first = lo;
  hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (top[mid] < y1) lo = mid + 1;
    else hi = mid;
  }
  return [first, Math.max(first, lo)];
}

/** Browsers cap element heights (Chrome ~33.5M px, Firefox ~17.9M px): beyond this the scrollbar
 *  stands for a scaled virtual height. */
export const MAX_SCROLL_PX = 8_000_000;

/** scrollTop → virtual y, for a virtual height that may exceed what a scroll area can be. */
export function scrollToVirtual(scrollTop: number, total: number, viewport: number): number {
  const spacer = Math.min(total, MAX_SCROLL_PX);
  if (total <= MAX_SCROLL_PX || spacer <= viewport) return scrollTop;
  return (scrollTop * (total - viewport)) / (spacer - viewport);
}

export function virtualToScroll(y: number, total: number, viewport: number): number {
  const spacer = Math.min(total, MAX_SCROLL_PX);
  if (total <= MAX_SCROLL_PX || spacer <= viewport) return y;
  return (y * (spacer - viewport)) / (total - viewport);
}

/** Band summary: PDU count, duration, the commands in it by SCSI opcode, bytes, and the TCP marks folded into it. */
export function bandSummary(c: PduColumns, rows: Uint32Array, bands: Bands, b: number): { pdus: number; seconds: number; commands: Map<number, number>; bytes: number; tcp: number[] } {
  const s = bands.start[b];
  const e = bands.end[b];
  const commands = new Map<number, number>();
  let bytes = 0;
  let pdus = 0;
  const tcp: number[] = [];
  for (let p = s; p < e; p++) {
    const v = bands.seq[p];
    if (v < 0) {
      tcp.push(~v);
      continue;
    }
    pdus++;
    const r = rows[v];
    const op = opcode(c, r);
    if (op === OP_SCSI_COMMAND) {
      const so = scsiOpcode(c, r);
      commands.set(so, (commands.get(so) ?? 0) + 1);
    } else if (op === OP_DATA_IN || op === OP_DATA_OUT) {
      bytes += dataSegmentLength(c, r);
    }
  }
  const t = (v: number) => seqTime(c, rows, bands.tcp, v);
  return { pdus, seconds: t(bands.seq[e - 1]) - t(bands.seq[s]), commands, bytes, tcp };
}

/** Greedy lane assignment for brackets: spans [a, b] that overlap get different lanes. */
export function assignLanes(spans: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const lanes = new Uint8Array(spans.length);
  const order = spans.map((_, i) => i).sort((x, y) => spans[x][0] - spans[y][0] || spans[y][1] - spans[x][1]);
  const laneEnd: number[] = [];
  for (const i of order) {
    const [a, b] = spans[i];
    let l = laneEnd.findIndex((e) => e < a);
    if (l < 0) {
      l = laneEnd.length;
      laneEnd.push(b);
    } else laneEnd[l] = b;
    lanes[i] = Math.min(255, l);
  }
  return lanes;
}
