import { formatMs, hexTag } from '../text/index.ts';
import { RESERVED_TAG } from '../codec/index.ts';
import { lunValue } from '../iscsi/index.ts';
import type { EndEvent, StrayEcho, TargetPingRecord } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { REQUEST_PLACE, derivedFinding, endWords, finding, frameList, linuxError, msBetween, requestDeadline, requestKeys } from './format.ts';
import type { Finding } from './types.ts';

/**
 * Target pings (RFC 7143 §11.19): a NOP-In with ITT 0xffffffff and a valid TTT must be echoed by a
 * NOP-Out with ITT 0xffffffff carrying that TTT and the ping's LUN. A ping counts as unanswered when
 * the target's next ping, the connection's end or the capture's end comes first (`then`:
 * "next-ping", or how the connection ended). A NOP-Out whose TTT no waiting ping offered, or that
 * echoes one with another ITT or LUN, is a ttt-echo-mismatch, at fault in its wrong field.
 */
export function checkTargetPings(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const p of ctx.model.targetPings) {
    if (p.fate === 'unknown') continue;
    out.push(echoed(p, ctx) ? echoedFinding(p, ctx) : unansweredFinding(p, ctx));
  }
  for (const e of ctx.model.strayEchoes) out.push(mismatch(ctx, e));
  return out;
}

// A target pings every few seconds for as long as a session is idle: these findings are derived
// from the ping record when read, as the initiator's pings' are (format.ts derivedFinding).

/** The target pinged again before any echo (or before the echo came). */
function superseded(p: TargetPingRecord): boolean {
  return p.supersededBy !== undefined && (p.echo === undefined || p.echo.frame > p.supersededBy.frame);
}

function echoed(p: TargetPingRecord, ctx: CheckContext): boolean {
  return p.echo !== undefined && !superseded(p) && p.echo.frame <= requestDeadline(p, ctx).frame;
}

/** Where the wait ended: the target's next ping, or the connection's or the capture's end. */
function until(p: TargetPingRecord, ctx: CheckContext): { frame: number; time: number; then: EndEvent | 'next-ping' } {
  if (superseded(p)) {
    const next = p.supersededBy as { frame: number; time: number };
    return { frame: next.frame, time: next.time, then: 'next-ping' };
  }
  const d = requestDeadline(p, ctx);
  return { frame: d.frame, time: d.time, then: d.event };
}

function echoedFrames(p: TargetPingRecord): number[] {
  return frameList([p.request.frame, p.echo?.frame]);
}

const echoedFinding = derivedFinding<TargetPingRecord, CheckContext>([
  ...requestKeys<TargetPingRecord>('target-ping', 'info', echoedFrames),
  { key: 'message', get: (_p, _c, f) => echoedText(f), always: true },
  { key: 'ttt', get: (p) => p.ttt },
  { key: 'rttMs', get: (p) => msBetween(p.request.time, (p.echo as { time: number }).time) },
], REQUEST_PLACE);

function unansweredFrames(p: TargetPingRecord, ctx: CheckContext): number[] {
  const u = until(p, ctx);
  return frameList([p.request.frame, u.then === 'capture-end' ? undefined : u.frame, p.echo?.frame]);
}

const unansweredFinding = derivedFinding<TargetPingRecord, CheckContext>([
  ...requestKeys<TargetPingRecord>('target-ping-unanswered', 'error', unansweredFrames),
  { key: 'message', get: (p, _c, f) => unansweredText(f, p), always: true },
  { key: 'ttt', get: (p) => p.ttt },
  { key: 'waitedMs', get: (p, ctx) => msBetween(p.request.time, until(p, ctx).time) },
  { key: 'then', get: (p, ctx) => until(p, ctx).then },
  { key: 'answeredLateMs', get: (p) => (p.echo !== undefined ? msBetween(p.request.time, p.echo.time) : undefined) },
], REQUEST_PLACE);

function echoedText(f: Finding): string {
  return `Target NOP-In ping TTT ${hexTag(f.ttt as number)} echoed by the initiator's NOP-Out in ${formatMs(f.rttMs as number)}`;
}

function unansweredText(f: Finding, p: TargetPingRecord): string {
  const then = f.then as EndEvent | 'next-ping';
  let message = `Target NOP-In ping TTT ${hexTag(f.ttt as number)} got no NOP-Out echo for ${formatMs(f.waitedMs as number)}`;
  if (then === 'next-ping') message += ' before the target pinged again';
  else if (then === 'capture-end') message += '; the capture ended with it still waiting';
  else {
    message += `; ${endWords(then)}`;
    if (then === 'target-fin' || then === 'target-reset') message += ` — the target gave up on the initiator (a Linux initiator reports ${linuxError(1020)}); the initiator is not reading the connection or ignores target pings`;
  }
  if (f.answeredLateMs !== undefined) message += `; the echo came only after ${formatMs(f.answeredLateMs as number)} (frame ${p.echo?.frame})`;
  return message;
}

function mismatch(ctx: CheckContext, e: StrayEcho): Finding {
  const ping = e.ping >= 0 ? ctx.model.targetPings[e.ping] : undefined;
  const luns = ctx.framed.luns;
  let message: string;
  let field: string;
  if (ping !== undefined && e.itt !== RESERVED_TAG) {
    field = 'itt';
    message = `NOP-Out echoing target ping TTT ${hexTag(e.ttt)} carries ITT ${hexTag(e.itt)}: an echo must carry ITT 0xffffffff (RFC 7143 §11.18), or the target takes it for a new ping`;
  } else if (ping !== undefined) {
    field = 'lun';
    message = `NOP-Out echoing target ping TTT ${hexTag(e.ttt)} carries LUN ${lunValue(luns, e.lun)}, not the ping's LUN ${lunValue(luns, ping.lun)}`;
  } else if (e.expectedTtt === RESERVED_TAG) {
    field = 'ttt';
    message = `NOP-Out carries TTT ${hexTag(e.ttt)} but no target NOP-In ping offered it (none was waiting); a NOP-Out that answers nothing must carry TTT 0xffffffff`;
  } else {
    field = 'ttt';
    message = `NOP-Out carries TTT ${hexTag(e.ttt)} that no target NOP-In offered; the waiting target ping has TTT ${hexTag(e.expectedTtt)}`;
  }
  return finding('ttt-echo-mismatch', 'error', { conn: e.conn, frame: e.at.frame, row: e.at.row, field }, e.at.time, frameList([ping?.request.frame, e.at.frame]), message,
    { ttt: e.ttt, expectedTtt: e.expectedTtt, itt: e.itt });
}
