import { runChecks } from '../checks/index.ts';
import type { CheckOptions } from '../checks/index.ts';
import { buildIncidents } from '../incidents/index.ts';
import type { FramedCapture } from '../iscsi/index.ts';
import { buildModel } from '../sessions/index.ts';
import type { Analysis } from './types.ts';

/** The one place an Analysis is made, complete: the model from the framed capture, then the findings, then the incidents they form. */
export function buildAnalysis(framed: FramedCapture, checks: Partial<CheckOptions> = {}): Analysis {
  const model = buildModel(framed);
  const { findings, relationFindings, findingRows } = runChecks(framed, model, checks);
  const incidents = buildIncidents(framed, model, findings);
  return { ...framed, model, findings, relationFindings, findingRows, incidents };
}
