// Command latency of one connection: each SCSI Command paired with its status (a SCSI Response,
// or a Data-In with the S bit) by ITT; latency = status time − command time. Typed arrays, one
// entry per answered command.

import type { PduColumns } from '../../engine/index.ts';
import { Op, lunNumber, opcode, scsiOpcode, dataInHasStatus } from './fields.ts';

export interface Latencies {
  count: number;
  /** Seconds. */
  latency: Float64Array;
  /** Positions (in the connection's rows) of the command and of its status. */
  cmdPos: Uint32Array;
  respPos: Uint32Array;
  /** LUN number (-1 unknown). */
  lun: Int32Array;
  scsiOp: Uint8Array;
  /** Commands with no status by the end of the capture (positions). */
  unanswered: Uint32Array;
}

export function commandLatencies(c: PduColumns, luns: readonly string[], rows: Uint32Array): Latencies {
  const outstanding = new Map<number, number>();
  let cap = 64;
  let latency = new Float64Array(cap);
  let cmdPos = new Uint32Array(cap);
  let respPos = new Uint32Array(cap);
  let n = 0;
  for (let p = 0; p < rows.length; p++) {
    const r = rows[p];
    const op = opcode(c, r);
    if (op === Op.ScsiCommand) {
      outstanding.set(c.itt[r], p);
    } else if (op === Op.ScsiResponse || (op === Op.DataIn && dataInHasStatus(c, r))) {
      const q = outstanding.get(c.itt[r]);
      if (q === undefined) continue;
      outstanding.delete(c.itt[r]);
      if (n === cap) {
        cap *= 2;
        latency = grow(latency, cap);
        cmdPos = grow(cmdPos, cap);
        respPos = grow(respPos, cap);
      }
      latency[n] = c.time[r] - c.time[rows[q]];
      cmdPos[n] = q;
      respPos[n] = p;
      n++;
    }
  }
  const lun = new Int32Array(n);
  const scsiOp = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[cmdPos[i]];
    lun[i] = lunNumber(c, luns, r) ?? -1;
    scsiOp[i] = scsiOpcode(c, r);
  }
  return {
    count: n, latency: latency.subarray(0, n), cmdPos: cmdPos.subarray(0, n), respPos: respPos.subarray(0, n), lun, scsiOp,
    unanswered: Uint32Array.from([...outstanding.values()].sort((a, b) => a - b)),
  };
}

function grow<T extends Float64Array | Uint32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export type GroupBy = 'all' | 'op' | 'lun';

export interface LatencyGroup {
  key: string;
  /** Indices into the Latencies arrays. */
  members: Uint32Array;
  /** Their latencies, sorted ascending. */
  sorted: Float64Array;
}

/** Groups by SCSI opcode or LUN (largest first), or one group of all. */
export function groupLatencies(l: Latencies, by: GroupBy, opName: (op: number) => string): LatencyGroup[] {
  const keys = new Map<string, number[]>();
  for (let i = 0; i < l.count; i++) {
    const key = by === 'all' ? 'all commands' : by === 'op' ? opName(l.scsiOp[i]) : l.lun[i] < 0 ? 'LUN ?' : `LUN ${l.lun[i]}`;
    let m = keys.get(key);
    if (!m) keys.set(key, (m = []));
    m.push(i);
  }
  const groups: LatencyGroup[] = [];
  for (const [key, m] of keys) {
    const members = Uint32Array.from(m);
    const sorted = Float64Array.from(m, (i) => l.latency[i]).sort();
    groups.push({ key, members, sorted });
  }
  groups.sort((a, b) => b.members.length - a.members.length || a.key.localeCompare(b.key));
  return groups;
}

/** The q-quantile (0..1) of an ascending array, nearest rank. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
