import { formatMs, hexTag } from '../text/index.ts';
import { RESERVED_TAG } from '../codec/index.ts';
import { lunValue } from '../iscsi/index.ts';
import { deadline } from '../sessions/index.ts';
import type { EndEvent, StrayEcho, TargetPingRecord } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { endWords, finding, frameList, lazyMessage, linuxError, msBetween } from './format.ts';
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
    out.push(judge(ctx, p));
  }
  for (const e of ctx.model.strayEchoes) out.push(mismatch(ctx, e));
  return out;
}

function judge(ctx: CheckContext, p: TargetPingRecord): Finding {
  const conn = ctx.model.connections[p.conn];
  const d = deadline(conn.end, p.request.frame, ctx.captureEnd);
  const superseded = p.supersededBy !== undefined && (p.echo === undefined || p.echo.frame > p.supersededBy.frame);
  const where = { conn: p.conn, frame: p.request.frame, row: p.request.row, relation: p.relation };
  if (p.echo !== undefined && !superseded && p.echo.frame <= d.frame) {
    const rttMs = msBetween(p.request.time, p.echo.time);
    return finding('target-ping', 'info', where, p.request.time, frameList([p.request.frame, p.echo.frame]),
      lazyMessage(echoedText, p), { ttt: p.ttt, rttMs });
  }
  const until = superseded ? (p.supersededBy as { frame: number; time: number }) : d;
  const then = superseded ? 'next-ping' : d.event;
  const waitedMs = msBetween(p.request.time, until.time);
  const answeredLateMs = p.echo !== undefined ? msBetween(p.request.time, p.echo.time) : undefined;
  return finding('target-ping-unanswered', 'error', where, p.request.time,
    frameList([p.request.frame, then === 'capture-end' ? undefined : until.frame, p.echo?.frame]),
    lazyMessage(unansweredText, p), { ttt: p.ttt, waitedMs, then, answeredLateMs });
}

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
