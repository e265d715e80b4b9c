import type { PduColumns } from '../engine/pdu-table.ts';

/**
 * Each connection's PDU rows in frame order, as views into one array (4 bytes a PDU, two passes,
 * no per-PDU allocation). Checks walk one connection at a time through these.
 */
export interface ConnRows {
  /** rows[conn] lists that connection's row numbers in ascending order. */
  rows: Uint32Array[];
}

export function connRows(pdus: PduColumns, connections: number): ConnRows {
  const n = pdus.count;
  const conn = pdus.conn;
  let conns = connections;
  for (let i = 0; i < n; i++) if (conn[i] >= conns) conns = conn[i] + 1;
  const counts = new Uint32Array(conns + 1);
  for (let i = 0; i < n; i++) counts[conn[i] + 1]++;
  for (let c = 0; c < conns; c++) counts[c + 1] += counts[c];
  const all = new Uint32Array(n);
  const fill = counts.slice(0, conns);
  for (let i = 0; i < n; i++) all[fill[conn[i]]++] = i;
  const rows: Uint32Array[] = [];
  for (let c = 0; c < conns; c++) rows.push(all.subarray(counts[c], counts[c + 1]));
  return { rows };
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
