import { pduBuffers } from '../iscsi/index.ts';
import { modelBuffers } from '../sessions/index.ts';
import type { Analysis } from './types.ts';

/** Every typed array of an Analysis, for a postMessage transfer list (moved, not copied). */
export function analysisBuffers(a: Analysis): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>([...pduBuffers(a.pdus), ...modelBuffers(a.model)]);
  if (a.relationFindings.buffer instanceof ArrayBuffer) out.add(a.relationFindings.buffer);
  return [...out];
}
