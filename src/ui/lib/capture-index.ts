// Facts the page derives once from the PDU columns, in the worker, and receives as transferable
// typed arrays: per-connection row lists (no object per PDU), PDU counts by opcode, and the few
// login / logout moments the session timeline marks.

import type { Analysis, PduColumns } from '../../engine/index.ts';

export interface TimelineMark {
  conn: number;
  time: number;
  frame: number;
  /** login: final successful Login Response; login-failed: status class ≠ 0; logout: Logout Request. */
  kind: 'login' | 'login-failed' | 'logout';
}

export interface CaptureIndex {
  /** All PDU rows grouped by connection, in frame order within each connection. */
  connRows: Uint32Array;
  /** Connection c's rows are connRows[connStart[c] .. connStart[c + 1]). */
  connStart: Uint32Array;
  /** PDUs by 6-bit opcode. */
  opcodeCounts: Uint32Array;
  marks: TimelineMark[];
}

/** One pass to count, one to fill: O(PDUs), two Uint32Arrays. */
export function buildIndex(a: Pick<Analysis, 'pdus' | 'connections'>): CaptureIndex {
  const c = a.pdus;
  const nConns = Math.max(a.connections.length, maxConn(c) + 1);
  const connStart = new Uint32Array(nConns + 1);
  const opcodeCounts = new Uint32Array(64);
  for (let i = 0; i < c.count; i++) {
    connStart[c.conn[i] + 1]++;
    opcodeCounts[c.b0[i] & 0x3f]++;
  }
  for (let k = 0; k < nConns; k++) connStart[k + 1] += connStart[k];
  const fill = connStart.slice(0, nConns);
  const connRows = new Uint32Array(c.count);
  const marks: TimelineMark[] = [];
  for (let i = 0; i < c.count; i++) {
    const conn = c.conn[i];
    connRows[fill[conn]++] = i;
    const op = c.b0[i] & 0x3f;
    if (op === 0x23) {
      const statusClass = c.w36[i] >>> 24;
      if (statusClass !== 0) marks.push({ conn, time: c.time[i], frame: c.frame[i], kind: 'login-failed' });
      else if ((c.b1[i] & 0x80) !== 0 && (c.b1[i] & 0x03) === 3) marks.push({ conn, time: c.time[i], frame: c.frame[i], kind: 'login' });
    } else if (op === 0x06) {
      marks.push({ conn, time: c.time[i], frame: c.frame[i], kind: 'logout' });
    }
  }
  return { connRows, connStart, opcodeCounts, marks };
}

function maxConn(c: PduColumns): number {
  let m = -1;
  for (let i = 0; i < c.count; i++) if (c.conn[i] > m) m = c.conn[i];
  return m;
}

/** Connection `conn`'s rows, as a view (no copy). */
export function rowsOf(index: CaptureIndex, conn: number): Uint32Array {
  if (conn < 0 || conn + 1 >= index.connStart.length) return new Uint32Array(0);
  return index.connRows.subarray(index.connStart[conn], index.connStart[conn + 1]);
}

/** The index's buffers, for a transfer list. */
export function indexBuffers(index: CaptureIndex): ArrayBuffer[] {
  return [index.connRows.buffer as ArrayBuffer, index.connStart.buffer as ArrayBuffer, index.opcodeCounts.buffer as ArrayBuffer];
}

/** First position p in `rows` with frame[rows[p]] >= frame (binary search; rows are in frame order). */
export function lowerBoundFrame(c: PduColumns, rows: Uint32Array, frame: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c.frame[rows[mid]] < frame) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Positions in `rows` of the PDUs in the given frames. */
export function positionsOfFrames(c: PduColumns, rows: Uint32Array, frames: readonly number[]): number[] {
  const out: number[] = [];
  const sorted = [...new Set(frames)].sort((x, y) => x - y);
  for (const f of sorted) {
    for (let p = lowerBoundFrame(c, rows, f); p < rows.length && c.frame[rows[p]] === f; p++) out.push(p);
  }
  return out;
}
