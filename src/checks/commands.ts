import { scsiStatusName, tmfFunctionName } from '../codec/index.ts';
import { lunValue } from '../iscsi/index.ts';
import { TaskFate, deadline } from '../sessions/index.ts';
import type { EndEvent, TmfRecord } from '../sessions/index.ts';
import { formatMs, hexTag } from '../text/index.ts';
import type { CheckContext } from './context.ts';
import { commandName, endWords, finding, frameList, lazyMessage, linuxError, msBetween, tcpAckDetails, tcpAckText } from './format.ts';
import type { TcpAckDetails } from './format.ts';
import type { Finding } from './types.ts';

/**
 * SCSI command latency from the task table (RFC 7143 §11.3-11.4): a command slower than slowMs to
 * get its status is a slow-command; one that got none before its connection ended is a
 * command-unanswered (a warning when the capture simply ended first). Commands a TMF aborted with
 * "function complete" get no status by design and are left out. The PDU at fault is the command.
 */
export function checkCommands(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const t = ctx.model.tasks;
  const luns = ctx.framed.luns;
  // The first TMF that named or covered each command, for the message.
  const tmfOf = new Map<number, number>();
  ctx.model.tmfs.forEach((r, k) => { if (r.task >= 0 && !tmfOf.has(r.task)) tmfOf.set(r.task, k); });
  for (let i = 0; i < t.count; i++) {
    const fate = t.fate[i];
    if (fate === TaskFate.Completed) {
      if ((t.statusTime[i] - t.time[i]) * 1000 <= ctx.options.slowMs) continue;
    } else if (fate !== TaskFate.Unanswered && fate !== TaskFate.OutstandingAtCaptureEnd && fate !== TaskFate.AnsweredLate) {
      continue;
    }
    // Only the commands worth a finding get past here.
    const name = commandName(t.scsiOpcode[i], t.cdb1[i]);
    const lun = lunValue(luns, t.lun[i]);
    const base = { itt: t.itt[i], scsiOpcode: t.scsiOpcode[i], scsiOpcodeName: name, lun };
    const tmf = tmfOf.get(i);
    // The message names the TMF that followed: its record is the message's source (the model holds it).
    const source: TmfRecord | undefined = tmf === undefined ? undefined : ctx.model.tmfs[tmf];
    const where = { conn: t.conn[i], frame: t.frame[i], row: t.row[i] };
    if (fate === TaskFate.Completed) {
      const latencyMs = msBetween(t.time[i], t.statusTime[i]);
      out.push(finding('slow-command', 'warning', where, t.time[i], frameList([t.frame[i], t.statusFrame[i]]),
        lazyMessage(slowText, source), { ...base, latencyMs, status: t.status[i] }));
      continue;
    }
    const conn = ctx.model.connections[t.conn[i]];
    const d = deadline(conn.end, t.frame[i], ctx.captureEnd);
    const waitedMs = msBetween(t.time[i], d.time);
    const answeredLateMs = fate === TaskFate.AnsweredLate ? msBetween(t.time[i], t.statusTime[i]) : undefined;
    const tcp = tcpAckDetails(ctx.model.taskAcks.get(i), t.time[i], d.time);
    out.push(finding('command-unanswered', d.event === 'capture-end' ? 'warning' : 'error', where, t.time[i],
      frameList([t.frame[i], d.event === 'capture-end' ? undefined : d.frame, answeredLateMs !== undefined ? t.statusFrame[i] : undefined, tcp.tcpAckFrame]),
      lazyMessage(unansweredText, source), { ...base, waitedMs, then: d.event, answeredLateMs, ...tcp }));
  }
  return out;
}

/** "READ(16) ITT 0x… on LUN 1" */
function commandWords(f: Finding): string {
  return `${f.scsiOpcodeName as string} ITT ${hexTag(f.itt as number)} on LUN ${f.lun as number}`;
}

function slowText(f: Finding, tmf: TmfRecord | undefined): string {
  return `${commandWords(f)} took ${formatMs(f.latencyMs as number)} to get its status (${scsiStatusName(f.status as number)})${tmfWords(f, tmf)} — the target or its backing store is slow`;
}

function unansweredText(f: Finding, tmf: TmfRecord | undefined): string {
  const then = f.then as EndEvent;
  let message = `${commandWords(f)} got no status in ${formatMs(f.waitedMs as number)}${tmfWords(f, tmf)}; `;
  if (then === 'capture-end') message += 'it was still outstanding when the capture ended';
  else {
    message += endWords(then);
    if (then === 'target-fin' || then === 'target-reset') message += ` under it — what open-iscsi reports as ${linuxError(1020)}`;
    else message += ' with the command outstanding';
  }
  message += tcpAckText(f as TcpAckDetails, 'command');
  if (f.answeredLateMs !== undefined) message += `; the status came only ${formatMs(f.answeredLateMs as number)} after the command`;
  return message;
}

/** The TMF that named the command, from the command's time (the finding's). */
function tmfWords(f: Finding, r: TmfRecord | undefined): string {
  if (r === undefined) return '';
  const after = msBetween(f.time, r.request.time);
  return `; the initiator sent ${tmfFunctionName(r.fn)} after ${formatMs(after)} (frame ${r.request.frame})`;
}
