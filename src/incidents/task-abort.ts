import { scsiCommandName, tmfFunctionName, tmfResponseName } from '../codec/index.ts';
import { linuxError } from '../checks/index.ts';
import { TaskFate } from '../sessions/index.ts';
import type { TmfRecord } from '../sessions/index.ts';
import { formatMs, hexTag } from '../text/index.ts';
import type { IncidentContext } from './context.ts';
import { connName, pushAll } from './context.ts';
import { followUp } from './follow-up.ts';
import type { Incident, IncidentStep } from './types.ts';

/**
 * A slow or unanswered command, the ABORT TASK / LU RESET / TARGET RESET that followed (a chain of
 * TMFs, each sent while the one before waited), and the outcome: answered, unanswered, the session
 * reset (Linux 1021) and the re-login.
 */
export function taskAborts(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  const { tmfs, tasks: t } = ctx.model;
  const escalated = new Set<number>();
  for (const r of tmfs) if (r.next >= 0) escalated.add(r.next);
  const byRequest = new Map<string, number>();
  tmfs.forEach((r, k) => byRequest.set(`${r.conn}/${r.request.frame}`, k));
  const tmfFinding = new Map<number, number>();
  for (const i of ctx.open('tmf', 'tmf-unanswered')) {
    const f = ctx.findings[i];
    const k = byRequest.get(`${f.conn}/${f.frame}`);
    if (k !== undefined) tmfFinding.set(k, i);
  }
  tmfs.forEach((root, k) => {
    if (escalated.has(k) || !tmfFinding.has(k)) return;
    const chainTmfs: Array<{ r: TmfRecord; k: number }> = [];
    for (let j = k; j >= 0 && chainTmfs.length < 16; j = tmfs[j].next) chainTmfs.push({ r: tmfs[j], k: j });
    const conn = root.conn;
    const findings: number[] = [];
    const chain: IncidentStep[] = [];
    const task = chainTmfs.map((x) => x.r.task).find((x) => x >= 0) ?? -1;
    let what = 'a command';
    if (task >= 0) {
      what = `${scsiCommandName(Uint8Array.of(t.scsiOpcode[task], t.cdb1[task]))} ITT ${hexTag(t.itt[task])}`;
      chain.push({ time: t.time[task], frame: t.frame[task], conn, what: `${what} sent` });
      pushAll(findings, ctx.openAt(conn, t.frame[task], 'slow-command', 'command-unanswered'));
    }
    const parts: string[] = [];
    let sessionDropped = false;
    for (const { r, k: j } of chainTmfs) {
      const fi = tmfFinding.get(j);
      if (fi !== undefined) findings.push(fi);
      const name = tmfFunctionName(r.fn);
      const after = task >= 0 ? ` ${formatMs((r.request.time - t.time[task]) * 1000)} after the command` : '';
      chain.push({ time: r.request.time, frame: r.request.frame, conn, what: `the initiator sent ${name}${after}` });
      if (r.response !== undefined) {
        const answer = tmfResponseName(r.responseCode as number);
        chain.push({ time: r.response.time, frame: r.response.frame, conn, what: `${name} answered "${answer}" after ${formatMs((r.response.time - r.request.time) * 1000)}${r.fate === 'answered-late' ? ', too late' : ''}` });
        parts.push(`${name} (answered "${answer}" after ${formatMs((r.response.time - r.request.time) * 1000)})`);
      } else {
        parts.push(`${name} (never answered)`);
        if (r.fate === 'unanswered') sessionDropped = true;
      }
    }
    // The last TMF decides: one that succeeded lets the initiator carry on.
    const lastAnswered = chainTmfs[chainTmfs.length - 1].r.responseCode === 0;
    if (lastAnswered) sessionDropped = false;
    let status = '';
    if (task >= 0 && t.statusRow[task] >= 0) {
      const lat = t.latencyMs[task];
      const firstAnswer = chainTmfs.find((x) => x.r.response !== undefined)?.r.response;
      const beforeAbort = firstAnswer !== undefined && t.statusTime[task] <= firstAnswer.time;
      const slowStatus = lat > 1000;
      chain.push({ time: t.statusTime[task], frame: t.statusFrame[task], conn, what: `${slowStatus ? 'the target finally sent' : 'the target sent'} the command's status after ${formatMs(lat)}` });
      status = slowStatus ? `; the target answered the command only after ${formatMs(lat)}`
        : `; the command's status came after ${formatMs(lat)}${beforeAbort ? ', before the abort\'s answer: the command had completed before the abort reached the target' : ''}`;
    } else if (task >= 0 && t.fate[task] === TaskFate.Aborted) {
      status = '; the command was aborted (it got no status)';
    }
    const m = ctx.model.connections[conn];
    let outcome = '';
    if (sessionDropped && m.end.kind !== 'open') {
      pushAll(findings, ctx.openOn(conn, 'closed-without-logout', 'connection-reset'));
      chain.push({ time: m.end.time, frame: m.end.frame, conn, what: `the connection ended (${m.end.kind.toUpperCase()} by the ${m.end.by}) with the task management unanswered — what Linux reports as ${linuxError(1021)}` });
      outcome = `; the initiator dropped the session (Linux 1021)`;
      const next = followUp(ctx, conn, chain, findings);
      if (next) outcome += ` and ${next.replace(/^the initiator /, '')}`;
    } else if (lastAnswered) {
      outcome = '; the session recovered without a reset';
    }
    // Counted to the TMF that named the command: one before it in the chain may predate the command.
    const namer = chainTmfs.find((x) => x.r.task === task);
    const waited = task >= 0 && namer ? ` waited ${formatMs((namer.r.request.time - t.time[task]) * 1000)}, then` : '';
    const slow = task >= 0 && (t.statusRow[task] < 0 || t.latencyMs[task] > 1000) ? ' — a slow or stalled backing store' : '';
    const sent = `the initiator sent ${runsOf(parts).join(', then ')}`;
    const headline = task >= 0 ? `${what} on ${connName(conn)}${waited} ${sent}${status}${outcome}${slow}.` : `On ${connName(conn)} ${sent}${status}${outcome}${slow}.`;
    out.push(ctx.make('task-abort', findings, chain, headline.charAt(0).toUpperCase() + headline.slice(1)));
  });
  return out;
}

/** The same step told once with its count: "ABORT TASK SET (never answered), 16 times". */
function runsOf(parts: string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < parts.length;) {
    let j = k + 1;
    while (j < parts.length && parts[j] === parts[k]) j++;
    out.push(j - k > 1 ? `${parts[k]}, ${j - k} times` : parts[k]);
    k = j;
  }
  return out;
}
