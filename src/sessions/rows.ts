import type { PduColumns } from '../iscsi/index.ts';
import type { ConnRows } from './types.ts';

/** Each connection's PDU rows in frame order, in one array (4 bytes a PDU, two passes, no per-PDU allocation). */
export function connRows(pdus: PduColumns, connections: number): ConnRows {
  const n = pdus.count;
  const conn = pdus.conn;
  let conns = connections;
  for (let i = 0; i < n; i++) if (conn[i] >= conns) conns = conn[i] + 1;
  const start = new Uint32Array(conns + 1);
  for (let i = 0; i < n; i++) start[conn[i] + 1]++;
  for (let c = 0; c < conns; c++) start[c + 1] += start[c];
  const rows = new Uint32Array(n);
  const fill = start.slice(0, conns);
  for (let i = 0; i < n; i++) rows[fill[conn[i]]++] = i;
  return { rows, start };
}

/** Connection `conn`'s rows, as a view (no copy). */
export function rowsOf(r: ConnRows, conn: number): Uint32Array {
  if (conn < 0 || conn + 1 >= r.start.length) return new Uint32Array(0);
  return r.rows.subarray(r.start[conn], r.start[conn + 1]);
}

/** Rows of several connections merged in row (frame) order: a session's PDUs. */
export function mergeRows(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 1) return lists[0];
  let total = 0;
  for (const l of lists) total += l.length;
  const out = new Uint32Array(total);
  let o = 0;
  for (const l of lists) { out.set(l, o); o += l.length; }
  return out.sort();
}

/** First position p in `rows` (ascending) with rows[p] >= row. */
export function lowerBoundRow(rows: Uint32Array, row: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid] < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position p in `rows` with frame[rows[p]] >= frame (rows are in frame order). */
export function lowerBoundFrame(pdus: PduColumns, rows: Uint32Array, frame: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pdus.frame[rows[mid]] < frame) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows (in `rows`) of the PDUs completed in the given frames, in frame order. */
export function rowsInFrames(pdus: PduColumns, rows: Uint32Array, frames: readonly number[]): number[] {
  const out: number[] = [];
  const sorted = [...new Set(frames)].sort((x, y) => x - y);
  for (const f of sorted) {
    for (let p = lowerBoundFrame(pdus, rows, f); p < rows.length && pdus.frame[rows[p]] === f; p++) out.push(rows[p]);
  }
  return out;
}
