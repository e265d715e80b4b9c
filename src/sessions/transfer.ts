import type { SessionModel } from './types.ts';

/** The task table's buffers, for a postMessage transfer list (the rest of the model is small). */
export function modelBuffers(model: SessionModel): ArrayBuffer[] {
  const t = model.tasks as unknown as Record<string, unknown>;
  const out: ArrayBuffer[] = [];
  for (const v of Object.values(t)) if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.push(v.buffer);
  return out;
}
