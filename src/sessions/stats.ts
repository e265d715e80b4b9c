import { scsiOpcodeName } from '../codec/index.ts';
import { lunName } from '../iscsi/index.ts';
import type { LatencyStats, TaskTable } from './types.ts';

/**
 * Latency of completed commands per LUN and per SCSI operation code: count, min, median, 95th
 * percentile (nearest rank) and max in ms. Sorting per group; no object per command.
 */
export function latencyStats(t: TaskTable, luns: readonly string[]): { byLun: LatencyStats[]; byOpcode: LatencyStats[] } {
  return {
    byLun: groupStats(t, t.lun, (k) => lunName(luns, k)),
    byOpcode: groupStats(t, t.scsiOpcode, (k) => scsiOpcodeName(k)),
  };
}

function groupStats(t: TaskTable, keyOf: Uint16Array | Uint8Array, name: (key: number) => string): LatencyStats[] {
  // Keys are small (an opcode byte, a LUN index): count in arrays indexed by key, then fill one
  // array of latencies grouped by key and sort each group in place.
  const size = keyOf instanceof Uint8Array ? 256 : 65536;
  const count = new Uint32Array(size);
  const done = new Uint32Array(size + 1);
  const lat = t.latencyMs;
  for (let i = 0; i < t.count; i++) {
    count[keyOf[i]]++;
    if (lat[i] === lat[i]) done[keyOf[i] + 1]++; // not NaN: a status came
  }
  for (let k = 0; k < size; k++) done[k + 1] += done[k];
  const values = new Float64Array(done[size]);
  const fill = done.slice(0, size);
  for (let i = 0; i < t.count; i++) if (lat[i] === lat[i]) values[fill[keyOf[i]]++] = lat[i];
  const out: LatencyStats[] = [];
  for (let k = 0; k < size; k++) {
    if (count[k] === 0) continue;
    const n = done[k + 1] - done[k];
    const v = values.subarray(done[k], done[k + 1]).sort();
    out.push({
      key: k, name: name(k), count: count[k], completed: n,
      minMs: n ? round3(v[0]) : Number.NaN,
      medianMs: n ? round3(n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : Number.NaN,
      p95Ms: n ? round3(v[Math.ceil(0.95 * n) - 1]) : Number.NaN,
      maxMs: n ? round3(v[n - 1]) : Number.NaN,
    });
  }
  return out;
}

/** Milliseconds to the microsecond: capture times are no finer, and floats print cleanly. */
export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
