// The ladder's layout math, kept apart from drawing so it can be tested and reused:
//  - bands: runs of routine I/O (commands, data, R2T, GOOD responses) that no finding or relation
//    touches and no idle gap interrupts, collapsible into one labelled element;
//  - items: what is drawn, in order: PDU arrows, bands, TCP control events (SYN/FIN/RST);
//  - layout: the y of every item (typed arrays), in true-time mode (idle time to scale, bursts at
//    least a row apart) or compact mode (one row per item, a small marker for idle gaps);
//  - window: the items a viewport shows (binary search), so the DOM holds only those.

import { OP_DATA_IN, OP_DATA_OUT, OP_R2T, OP_SCSI_COMMAND, OP_SCSI_RESPONSE } from '../../codec/index.ts';
import { dataInHasStatus, dataSegmentLength, opcode, response, scsiOpcode, scsiStatus } from '../../iscsi/index.ts';
import type { ConnectionSummary, PduColumns } from '../../iscsi/index.ts';

export const ItemKind = { Pdu: 0, Band: 1, Control: 2 } as const;
export type ItemKindValue = (typeof ItemKind)[keyof typeof ItemKind];

export const ROW_H = 40;
export const BAND_H = 46;
export const CTRL_H = 24;
/** An idle gap at least this long gets a marker (compact) or a label (true time). */
export const GAP_S = 0.25;
/** Height of the idle marker in compact mode. */
export const GAP_H = 18;

export interface Bands {
  count: number;
  /** Band b covers connection positions [start[b], end[b]). */
  start: Uint32Array;
  end: Uint32Array;
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

/**
 * Runs of at least `minRun` routine PDUs. `marked[p]` (optional) keeps position p out of any band
 * (a finding or relation names it); an idle gap of `gapS` or more ends a band.
 */
export function findBands(c: PduColumns, rows: Uint32Array, marked: Uint8Array | undefined, minRun = 16, gapS = GAP_S): Bands {
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
  for (let p = 0; p < rows.length; p++) {
    const r = rows[p];
    const ok = isRoutine(c, r) && !(marked && marked[p]);
    if (ok && runStart >= 0 && c.time[r] - c.time[rows[p - 1]] >= gapS) close(p);
    if (ok) {
      if (runStart < 0) runStart = p;
    } else {
      close(p);
    }
  }
  close(rows.length);
  return { count: starts.length, start: Uint32Array.from(starts), end: Uint32Array.from(ends) };
}

export interface Items {
  count: number;
  kind: Uint8Array;
  /** PDU: position in the connection's rows; Band: band index; Control: index in conn.control. */
  ref: Uint32Array;
  /** Position (in the connection's rows) → item index showing it (a band for collapsed PDUs). */
  posToItem: Uint32Array;
  /** Control index → item index. */
  ctlToItem: Int32Array;
}

/**
 * The drawn sequence: PDUs in frame order, collapsed bands in place of their PDUs, TCP control
 * events where their frame falls (a SYN before the PDUs of its frame, FIN/RST after them).
 */
export function buildItems(c: PduColumns, rows: Uint32Array, control: ConnectionSummary['control'], bands: Bands, collapsed: (b: number) => boolean): Items {
  const ctlOrder = control.map((_, i) => i).sort((a, b) => control[a].frame - control[b].frame || kindRank(control[a].kind) - kindRank(control[b].kind));
  // Upper bound of the item count: every PDU and every control event.
  const cap = rows.length + control.length;
  const kind = new Uint8Array(cap);
  const ref = new Uint32Array(cap);
  const posToItem = new Uint32Array(rows.length);
  const ctlToItem = new Int32Array(control.length).fill(-1);
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
  for (let p = 0; p < rows.length;) {
    emitControlsBefore(c.frame[rows[p]]);
    while (b < bands.count && bands.end[b] <= p) b++;
    if (b < bands.count && bands.start[b] === p && collapsed(b)) {
      kind[n] = ItemKind.Band;
      ref[n] = b;
      const e = bands.end[b];
      for (let q = p; q < e; q++) posToItem[q] = n;
      n++;
      p = e;
      continue;
    }
    kind[n] = ItemKind.Pdu;
    ref[n] = p;
    posToItem[p] = n;
    n++;
    p++;
  }
  emitControlsBefore(Number.POSITIVE_INFINITY);
  return { count: n, kind: kind.subarray(0, n), ref: ref.subarray(0, n), posToItem, ctlToItem };
}

function kindRank(k: 'SYN' | 'FIN' | 'RST'): number {
  return k === 'SYN' ? 0 : k === 'FIN' ? 1 : 2;
}

export function itemHeight(kind: number): number {
  return kind === ItemKind.Band ? BAND_H : kind === ItemKind.Control ? CTRL_H : ROW_H;
}

/** Start and end time of an item (a band spans its PDUs). */
export function itemTimes(c: PduColumns, rows: Uint32Array, control: ConnectionSummary['control'], bands: Bands, items: Items, i: number): [number, number] {
  const k = items.kind[i];
  const ref = items.ref[i];
  if (k === ItemKind.Pdu) {
    const t = c.time[rows[ref]];
    return [t, t];
  }
  if (k === ItemKind.Band) return [c.time[rows[bands.start[ref]]], c.time[rows[bands.end[ref] - 1]]];
  const t = control[ref].time;
  return [t, t];
}

export interface Layout {
  /** y of item i's top; top[count] is the total height. */
  top: Float64Array;
  /** Idle seconds before item i (0 when below GAP_S). */
  gapBefore: Float32Array;
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
  let y = 0;
  let prevEnd = Number.NaN;
  let prevH = 0;
  for (let i = 0; i < n; i++) {
    const [t0, t1] = itemTimes(c, rows, control, bands, items, i);
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
  return { top, gapBefore };
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

/** Band summary: PDU count, duration, the commands in it by SCSI opcode. */
export function bandSummary(c: PduColumns, rows: Uint32Array, bands: Bands, b: number): { pdus: number; seconds: number; commands: Map<number, number>; bytes: number } {
  const s = bands.start[b];
  const e = bands.end[b];
  const commands = new Map<number, number>();
  let bytes = 0;
  for (let p = s; p < e; p++) {
    const r = rows[p];
    const op = opcode(c, r);
    if (op === OP_SCSI_COMMAND) {
      const so = scsiOpcode(c, r);
      commands.set(so, (commands.get(so) ?? 0) + 1);
    } else if (op === OP_DATA_IN || op === OP_DATA_OUT) {
      bytes += dataSegmentLength(c, r);
    }
  }
  return { pdus: e - s, seconds: c.time[rows[e - 1]] - c.time[rows[s]], commands, bytes };
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
