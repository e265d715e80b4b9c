import { pduBuffers } from '../iscsi/index.ts';
import { modelBuffers } from '../sessions/index.ts';
import type { Analysis } from './types.ts';

/** Every typed array of an Analysis, for a postMessage transfer list (moved, not copied). */
export function analysisBuffers(a: Analysis): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>([...pduBuffers(a.pdus), ...modelBuffers(a.model)]);
  for (const v of [a.relationFindings, a.findingRows]) if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}
