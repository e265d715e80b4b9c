import type { SessionModel } from './types.ts';

/** The model's typed arrays (task table, rows, row → task), for a postMessage transfer list; the rest is small. */
export function modelBuffers(model: SessionModel): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (v: unknown): void => { if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer); };
  for (const v of Object.values(model.tasks as unknown as Record<string, unknown>)) add(v);
  add(model.rows.rows);
  add(model.rows.start);
  add(model.rowTask);
  add(model.opcodeCounts);
  add(model.tcp.eventRows.rows);
  add(model.tcp.eventRows.start);
  return [...out];
}
