// Command latency of one connection, from the model's task table (command ↔ status paired there):
// the answered commands' latencies grouped for the histogram. Typed arrays, no object per command.

import type { Analysis } from '../../engine/index.ts';
import { lunValue } from '../../iscsi/index.ts';
import { TaskFate } from '../../sessions/index.ts';

export interface Latencies {
  count: number;
  /** Seconds. */
  latency: Float64Array;
  /** Task index of each (into model.tasks). */
  task: Uint32Array;
  /** LUN number (-1 unknown). */
  lun: Int32Array;
  scsiOp: Uint8Array;
  /** Commands that got no status before their connection ended (or the capture did). */
  unanswered: number;
}

export function connectionLatencies(a: Analysis, conn: number): Latencies {
  const t = a.model.tasks;
  let n = 0;
  let unanswered = 0;
  for (let i = 0; i < t.count; i++) {
    if (t.conn[i] !== conn) continue;
    if (t.statusRow[i] >= 0) n++;
    else if (t.fate[i] === TaskFate.Unanswered || t.fate[i] === TaskFate.OutstandingAtCaptureEnd) unanswered++;
  }
  const latency = new Float64Array(n);
  const task = new Uint32Array(n);
  const lun = new Int32Array(n);
  const scsiOp = new Uint8Array(n);
  let k = 0;
  for (let i = 0; i < t.count; i++) {
    if (t.conn[i] !== conn || t.statusRow[i] < 0) continue;
    latency[k] = t.latencyMs[i] / 1000;
    task[k] = i;
    lun[k] = lunValue(a.luns, t.lun[i]);
    scsiOp[k] = t.scsiOpcode[i];
    k++;
  }
  return { count: n, latency, task, lun, scsiOp, unanswered };
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
    groups.push({ key, members: Uint32Array.from(m), sorted: Float64Array.from(m, (i) => l.latency[i]).sort() });
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
