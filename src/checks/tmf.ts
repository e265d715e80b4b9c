import { tmfFunctionName, tmfResponseName, tmfScope } from '../codec/index.ts';
import { lunValue } from '../iscsi/index.ts';
import { deadline } from '../sessions/index.ts';
import type { TmfRecord } from '../sessions/index.ts';
import { formatMs, hexTag } from '../text/index.ts';
import type { CheckContext } from './context.ts';
import { commandName, endWords, finding, frameList, lazyMessage, linuxError, msBetween, tcpAckDetails, tcpAckText } from './format.ts';
import type { TcpAckDetails } from './format.ts';
import type { Finding } from './types.ts';

/**
 * Task management (RFC 7143 §11.5-11.6): every TMF request is worth seeing with the command it
 * names (ABORT TASK: the Referenced Task Tag is that command's ITT) or, for a LUN- or target-wide
 * function, the oldest command it found outstanding; a TMF with no response before the connection
 * ended is what makes Linux drop the session (ISCSI_ERR_SCSI_EH_SESSION_RST, 1021). The PDU at
 * fault is the TMF request.
 */
export function checkTmfs(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const r of ctx.model.tmfs) {
    if (r.fate === 'unknown') continue;
    out.push(r.fate === 'answered' ? answered(ctx, r) : unanswered(ctx, r));
  }
  return out;
}

interface Referenced {
  referencedFrame: number | undefined;
  outstandingMs: number | undefined;
  text: string;
}

/** The command a TMF names or covers, in words: "for ITT 0x… (READ(16) at frame 45, outstanding 3.0 s)". */
function referenced(ctx: CheckContext, r: TmfRecord): Referenced {
  const t = ctx.model.tasks;
  const scope = tmfScope(r.fn);
  const lun = lunValue(ctx.framed.luns, r.lun);
  let text = scope === 'task' ? ` for ITT ${hexTag(r.referencedTaskTag)}` : scope === 'lun' ? ` of LUN ${lun}` : '';
  if (r.task < 0) {
    if (scope === 'task') text += ' (a task not in the capture)';
    return { referencedFrame: undefined, outstandingMs: undefined, text };
  }
  const outstandingMs = msBetween(t.time[r.task], r.request.time);
  const cmd = `${commandName(t.scsiOpcode[r.task], t.cdb1[r.task])} at frame ${t.frame[r.task]}`;
  const done = t.statusFrame[r.task] > 0 && t.statusFrame[r.task] < r.request.frame;
  if (scope === 'task') {
    text += done ? ` (${cmd}, which had already completed)` : ` (${cmd}, outstanding ${formatMs(outstandingMs)})`;
  } else {
    text += ` (its oldest command then: ${commandName(t.scsiOpcode[r.task], t.cdb1[r.task])} ITT ${hexTag(t.itt[r.task])} from frame ${t.frame[r.task]}, outstanding ${formatMs(outstandingMs)})`;
  }
  return { referencedFrame: t.frame[r.task], outstandingMs, text };
}

/** What a TMF's message is made from: the record and the model it names commands in. */
interface TmfSource {
  ctx: CheckContext;
  r: TmfRecord;
}

function answered(ctx: CheckContext, r: TmfRecord): Finding {
  const ref = referenced(ctx, r);
  const response = r.responseCode as number;
  const rsp = r.response as { frame: number; time: number };
  const responseMs = msBetween(r.request.time, rsp.time);
  return finding('tmf', 'warning', { conn: r.conn, frame: r.request.frame, row: r.request.row, relation: [r.relation, r.taskRelation] }, r.request.time,
    frameList([ref.referencedFrame, r.request.frame, rsp.frame]), lazyMessage(answeredText, { ctx, r }), {
      tmfFunction: r.fn, tmfFunctionName: tmfFunctionName(r.fn), referencedTaskTag: r.referencedTaskTag,
      referencedFrame: ref.referencedFrame, outstandingMs: ref.outstandingMs, response, responseText: tmfResponseName(response),
      responseMs, lun: lunValue(ctx.framed.luns, r.lun),
    });
}

function answeredText(f: Finding, { ctx, r }: TmfSource): string {
  const ref = referenced(ctx, r);
  const response = r.responseCode as number;
  let message = `${tmfFunctionName(r.fn)}${ref.text} answered "${tmfResponseName(response)}" in ${formatMs(f.responseMs as number)}`;
  if (response === 1 && ref.referencedFrame !== undefined) message += ' — the command had completed before the abort reached the target';
  else if (response !== 0) message += ' — the task management function did not succeed';
  return message;
}

/** The first later TMF of the escalation chain answered "function complete", if any. */
function escalationSucceeded(ctx: CheckContext, r: TmfRecord): TmfRecord | undefined {
  for (let k = r.next, n = 0; k >= 0 && n < 16; k = ctx.model.tmfs[k].next, n++) {
    if (ctx.model.tmfs[k].responseCode === 0) return ctx.model.tmfs[k];
  }
  return undefined;
}

function unanswered(ctx: CheckContext, r: TmfRecord): Finding {
  const ref = referenced(ctx, r);
  const conn = ctx.model.connections[r.conn];
  const d = deadline(conn.end, r.request.frame, ctx.captureEnd);
  const waitedMs = msBetween(r.request.time, d.time);
  const tcp = tcpAckDetails(r.tcpAck, r.request.time, d.time);
  return finding('tmf-unanswered', 'error', { conn: r.conn, frame: r.request.frame, row: r.request.row, relation: [r.relation, r.taskRelation] }, r.request.time,
    frameList([ref.referencedFrame, r.request.frame, d.event === 'capture-end' ? undefined : d.frame, r.response?.frame, tcp.tcpAckFrame]),
    lazyMessage(unansweredText, { ctx, r }), {
      tmfFunction: r.fn, tmfFunctionName: tmfFunctionName(r.fn), referencedTaskTag: r.referencedTaskTag,
      referencedFrame: ref.referencedFrame, outstandingMs: ref.outstandingMs, waitedMs, then: d.event,
      answeredLateMs: r.response !== undefined ? msBetween(r.request.time, r.response.time) : undefined,
      lun: lunValue(ctx.framed.luns, r.lun),
      ...tcp,
    });
}

function unansweredText(f: Finding, { ctx, r }: TmfSource): string {
  const ref = referenced(ctx, r);
  const conn = ctx.model.connections[r.conn];
  const d = deadline(conn.end, r.request.frame, ctx.captureEnd);
  const next = r.next >= 0 ? ctx.model.tmfs[r.next] : undefined;
  let message = `${tmfFunctionName(r.fn)}${ref.text} got no response in ${formatMs(f.waitedMs as number)}`;
  if (next !== undefined) {
    message += `; the initiator escalated to ${tmfFunctionName(next.fn)} ${formatMs(msBetween(r.request.time, next.request.time))} later (frame ${next.request.frame})`;
  }
  const loggedOutFirst = conn.logout?.response !== undefined && conn.logout.request.frame > r.request.frame && conn.logout.response.frame <= d.frame;
  // An escalation that completed ends the error handling: the session is not reset over this one.
  const recovered = escalationSucceeded(ctx, r);
  if (recovered !== undefined) message += `; the ${tmfFunctionName(recovered.fn)} that followed succeeded, so a Linux initiator recovers without resetting the session`;
  else if (d.event === 'capture-end') message += '; the capture ended with it still waiting';
  else if (loggedOutFirst) message += `; the target never answered it: the connection was logged out, then ${endWords(d.event)}`;
  else {
    message += `; ${endWords(d.event)}`;
    message += d.event === 'target-fin' || d.event === 'target-reset'
      ? ` — what open-iscsi reports as ${linuxError(1020)}`
      : ` — a TMF that never completes is what makes open-iscsi drop the session: ${linuxError(1021)}`;
  }
  message += tcpAckText(f as TcpAckDetails, 'request');
  if (f.answeredLateMs !== undefined) message += `; the response came only ${formatMs(f.answeredLateMs as number)} after the request`;
  return message;
}
