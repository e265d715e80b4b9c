import { pduBuffers } from '../iscsi/index.ts';
import { modelBuffers } from '../sessions/index.ts';
import type { Analysis } from './types.ts';

/** Every typed array of an Analysis, for a postMessage transfer list (moved, not copied). */
export function analysisBuffers(a: Analysis): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>([...pduBuffers(a.pdus), ...modelBuffers(a.model)]);
  const t = a.tcp;
  const views: unknown[] = [a.relationFindings, a.findingRows, ...Object.values(t.connections), ...Object.values(t.events), ...Object.values(t.attempts),
    t.acks.row, t.acks.frame, t.acks.time];
  for (const v of views) if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}
