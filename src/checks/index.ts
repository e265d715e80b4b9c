// Protocol checks (docs/findings.md): pure functions of the framed capture and the session model,
// each in its own module, each naming the PDU at fault. runChecks is what the engine calls once.
import type { FramedCapture } from '../iscsi/index.ts';
import { captureEndOf } from '../sessions/index.ts';
import type { SessionModel } from '../sessions/index.ts';
import { checkAsyncMessages } from './async-message.ts';
import { checkCapture } from './capture.ts';
import { checkLoginChurn } from './churn.ts';
import { checkCmdSN } from './cmdsn.ts';
import { checkCommands } from './commands.ts';
import { checkConnectionEnds } from './connection-end.ts';
import type { CheckContext } from './context.ts';
import { checkDigests } from './digest.ts';
import { faultRowOf, forgetPlace, relationsOf } from './format.ts';
import { checkLoginFailures, checkLoginsUnanswered } from './login.ts';
import { checkNopPings } from './nop-ping.ts';
import { checkOptions } from './options.ts';
import type { CheckOptions } from './options.ts';
import { checkReinstatements } from './reinstatement.ts';
import { checkRejects } from './reject.ts';
import { checkDataSegmentLimits } from './limits.ts';
import { checkStatSN } from './statsn.ts';
import { checkTargetPings } from './target-ping.ts';
import { checkTmfs } from './tmf.ts';
import { checkUnnegotiatedDigests } from './unnegotiated.ts';
import { checkExpCmdSNAhead } from './expcmdsn.ts';
import { checkTcp } from './tcp.ts';
import type { Finding } from './types.ts';

export { DEFAULT_CHECK_OPTIONS, checkOptions } from './options.ts';
export type { CheckOptions } from './options.ts';
export type { CheckContext } from './context.ts';
export * from './serial.ts';
export { FINDING_KINDS } from './kinds.ts';
export type { Finding, Severity } from './types.ts';
export { endWords, linuxError } from './format.ts';

/** Every check, in no particular order: the findings are sorted afterwards. */
export const CHECKS: ReadonlyArray<(ctx: CheckContext) => Finding[]> = [
  checkNopPings, checkTargetPings, checkStatSN, checkCmdSN, checkCommands, checkTmfs, checkLoginFailures, checkLoginsUnanswered,
  checkLoginChurn, checkReinstatements, checkConnectionEnds, checkRejects, checkAsyncMessages, checkDigests, checkCapture,
  checkDataSegmentLimits, checkUnnegotiatedDigests, checkExpCmdSNAhead, checkTcp,
];

export interface CheckResult {
  /** Sorted by time, then frame, then kind. */
  findings: Finding[];
  /** For each model relation, the index in `findings` of the finding that reports it (-1: none). */
  relationFindings: Int32Array;
  /** For each finding, the PDU table row of the PDU at fault (-1: a TCP segment, or none). */
  findingRows: Int32Array;
}

/** The findings of a framed capture and its model. Throws RangeError for an option that is not a number ≥ 0. */
export function runChecks(framed: FramedCapture, model: SessionModel, options: Partial<CheckOptions> = {}): CheckResult {
  const ctx: CheckContext = { framed, model, options: checkOptions(options), captureEnd: captureEndOf(framed) };
  const findings: Finding[] = [];
  for (const check of CHECKS) for (const f of check(ctx)) findings.push(f);
  sortFindings(findings);
  const relationFindings = new Int32Array(model.relations.length).fill(-1);
  const findingRows = new Int32Array(findings.length).fill(-1);
  findings.forEach((f, k) => {
    for (const r of relationsOf(f) ?? []) if (relationFindings[r] < 0) relationFindings[r] = k;
    findingRows[k] = faultRowOf(f);
    forgetPlace(f);
  });
  return { findings, relationFindings, findingRows };
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.time - b.time || (a.frame ?? a.frames[0] ?? 0) - (b.frame ?? b.frames[0] ?? 0)
    || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}
