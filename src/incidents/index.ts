// Incidents: the findings grouped into what happened — causal chains per connection, session and
// initiator–target pair, each with a headline a person can act on and the steps that show it.
// Every finding belongs to at most one incident; routine info findings belong to none.
import type { Finding } from '../checks/index.ts';
import type { FramedCapture } from '../iscsi/index.ts';
import type { SessionModel } from '../sessions/index.ts';
import { IncidentContext, pushAll, RANK } from './context.ts';
import { loginFailures, loginLoops, loginsUnanswered } from './logins.ts';
import { captureLoss, connectionsLost, digestErrors, protocolViolations, slowCommands, windowsClosed } from './other.ts';
import { pingTimeouts } from './ping-timeout.ts';
import { sequenceDefects } from './sequence.ts';
import { portalsDown, targetDowns, targetPingTimeouts } from './target.ts';
import { readerStalls, transportLosses } from './transport.ts';
import { taskAborts } from './task-abort.ts';
import type { Incident } from './types.ts';

export type * from './types.ts';

/** Most specific first: each takes the findings that tell its story before a broader one could. */
const BUILDERS: ReadonlyArray<(ctx: IncidentContext) => Incident[]> = [
  taskAborts, pingTimeouts, targetPingTimeouts, sequenceDefects, targetDowns, loginLoops, loginFailures, loginsUnanswered,
  digestErrors, windowsClosed, transportLosses, readerStalls, connectionsLost, portalsDown, slowCommands, protocolViolations, captureLoss,
];

/** The incidents of an analysed capture, worst first (severity, then start). */
export function buildIncidents(framed: FramedCapture, model: SessionModel, findings: readonly Finding[]): Incident[] {
  const ctx = new IncidentContext(framed, model, findings);
  const out: Incident[] = [];
  for (const build of BUILDERS) pushAll(out, build(ctx));
  return out.sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.start - b.start);
}
