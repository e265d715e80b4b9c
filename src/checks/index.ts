// Protocol checks (docs/findings.md): pure functions of the Analysis and the session model, each in
// its own module. runChecks is what the engine calls once a capture is read.
import type { Analysis, Finding } from '../engine/types.ts';
import { buildModel, captureEndOf, connRows } from '../sessions/index.ts';
import type { SessionModel } from '../sessions/index.ts';
import { checkAsyncMessages } from './async-message.ts';
import { checkCapture } from './capture.ts';
import { checkLoginChurn } from './churn.ts';
import { checkCmdSN } from './cmdsn.ts';
import { checkCommands } from './commands.ts';
import { checkConnectionEnds } from './connection-end.ts';
import type { CheckContext } from './context.ts';
import { checkDigests } from './digest.ts';
import { checkLoginFailures } from './login.ts';
import { checkNopPings } from './nop-ping.ts';
import { checkOptions } from './options.ts';
import type { CheckOptions } from './options.ts';
import { checkReinstatements } from './reinstatement.ts';
import { checkRejects } from './reject.ts';
import { checkDataSegmentLimits } from './limits.ts';
import { checkStatSN } from './statsn.ts';
import { checkTargetPings } from './target-ping.ts';
import { checkTmfs } from './tmf.ts';

export { DEFAULT_CHECK_OPTIONS, checkOptions } from './options.ts';
export type { CheckOptions } from './options.ts';
export type { CheckContext } from './context.ts';
export * from './serial.ts';
export { FINDING_KINDS } from './kinds.ts';
export { buildModel, modelBuffers } from '../sessions/index.ts';
export type { SessionModel } from '../sessions/index.ts';

/** Every check, in no particular order: the findings are sorted afterwards. */
export const CHECKS: ReadonlyArray<(ctx: CheckContext) => Finding[]> = [
  checkNopPings, checkTargetPings, checkStatSN, checkCmdSN, checkCommands, checkTmfs, checkLoginFailures,
  checkLoginChurn, checkReinstatements, checkConnectionEnds, checkRejects, checkAsyncMessages, checkDigests, checkCapture,
  checkDataSegmentLimits,
];

/**
 * The session model and the findings of a read capture, sharing one index of each connection's
 * rows. Throws RangeError for an option that is not a number ≥ 0.
 */
export function analyzeSessions(analysis: Analysis, options: Partial<CheckOptions> = {}): { model: SessionModel; findings: Finding[] } {
  const opts = checkOptions(options);
  const rows = connRows(analysis.pdus, analysis.connections.length);
  const model = buildModel(analysis, rows);
  return { model, findings: run({ analysis, model, options: opts, rows, captureEnd: captureEndOf(analysis) }) };
}

/** The findings of a read capture, sorted by time (then frame, then kind). Pass the model when it
 *  is already built (buildModel) to avoid building it twice. */
export function runChecks(analysis: Analysis, options: Partial<CheckOptions> = {}, model?: SessionModel): Finding[] {
  if (model === undefined) return analyzeSessions(analysis, options).findings;
  const rows = connRows(analysis.pdus, analysis.connections.length);
  return run({ analysis, model, options: checkOptions(options), rows, captureEnd: captureEndOf(analysis) });
}

function run(ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const check of CHECKS) for (const f of check(ctx)) findings.push(f);
  return sortFindings(findings);
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.time - b.time || (a.frames[0] ?? 0) - (b.frames[0] ?? 0) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}
