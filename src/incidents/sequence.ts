import { plural } from '../text/index.ts';
import type { IncidentContext } from './context.ts';
import { append, connName, pushAll } from './context.ts';
import { followUp } from './follow-up.ts';
import type { Incident, IncidentStep } from './types.ts';

/**
 * Sequence numbers that break the protocol: StatSN jumps (a single wrong value, which makes two
 * jumps — away and back — is one incident), ExpStatSN acknowledging status not sent, CmdSNs outside
 * the window (with the commands the target then silently dropped), TTTs no ping offered.
 */
export function sequenceDefects(ctx: IncidentContext): Incident[] {
  const out: Incident[] = [];
  // StatSN: jumps on one connection within a few status PDUs of each other tell one story.
  const gaps = new Map<number, number[]>();
  for (const i of ctx.open('statsn-gap', 'statsn-transposition', 'statsn-wrong-value')) {
    const c = ctx.findings[i].conn as number;
    append(gaps, c, i);
  }
  for (const [conn, list] of gaps) {
    let run: number[] = [];
    const flush = (): void => {
      if (!run.length) return;
      out.push(statSNIncident(ctx, conn, run));
      run = [];
    };
    for (const i of list) {
      const f = ctx.findings[i];
      const prev = run.length ? ctx.findings[run[run.length - 1]] : undefined;
      // Back on track within a few frames of the jump: the same defect.
      if (prev && !(f.frames[0] !== undefined && prev.frame !== undefined && f.frames[0] <= prev.frame + 1000 && f.time - prev.time < 5)) flush();
      run.push(i);
    }
    flush();
  }
  for (const i of ctx.open('expstatsn-ahead')) {
    const f = ctx.findings[i];
    const conn = f.conn as number;
    const who = f.counted === 'R2T' ? 'counts the StatSN an R2T carries (libiscsi does)' : f.counted === 'NOP-In' ? 'counts the StatSN of a NOP-In that answers nothing' : 'acknowledges status it was not sent';
    const headline = `The initiator on ${connName(conn)} ${who}, so its ExpStatSN runs ahead of the target's StatSN${Number(f.occurrences) > 1 ? ` (${plural(Number(f.occurrences), 'time')})` : ''}${f.severity === 'warning' ? ' — harmless at ErrorRecoveryLevel 0' : ''}.`;
    out.push(ctx.make('sequence-defect', [i], [{ time: f.time, frame: f.frame as number, conn, what: `ExpStatSN ${String(f.expStatSN)} acknowledged; the target had sent StatSN only up to ${String(f.lastStatSN)}` }], headline));
  }
  const windows = new Map<number, number[]>();
  for (const i of ctx.open('cmdsn-out-of-window')) {
    const c = ctx.findings[i].conn as number;
    append(windows, c, i);
  }
  for (const [conn, list] of windows) {
    const findings = [...list];
    const chain: IncidentStep[] = list.map((i) => {
      const f = ctx.findings[i];
      return { time: f.time, frame: f.frame as number, conn, what: `CmdSN ${String(f.cmdSN)} outside the window [${String(f.expCmdSN)}, ${String(f.maxCmdSN)}]` };
    });
    const frames = new Set(list.map((i) => ctx.findings[i].frame));
    const dropped = ctx.openOn(conn, 'command-unanswered').filter((i) => frames.has(ctx.findings[i].frame));
    pushAll(findings, dropped);
    let headline = `The initiator sent ${plural(list.length, 'command')} on ${connName(conn)} with a CmdSN outside the window the target advertised`;
    if (dropped.length) headline += `; the target dropped ${dropped.length === list.length ? 'them' : plural(dropped.length, 'of them', 'of them')} without an answer`;
    const m = ctx.model.connections[conn];
    if (dropped.length && m.end.kind !== 'open') {
      pushAll(findings, ctx.openOn(conn, 'closed-without-logout', 'connection-reset'));
      chain.push({ time: m.end.time, frame: m.end.frame, conn, what: `the ${m.end.by} ${m.end.kind === 'fin' ? 'closed' : 'reset'} the connection` });
      headline += ` and the ${m.end.by} ${m.end.kind === 'fin' ? 'closed' : 'reset'} the connection`;
      const next = followUp(ctx, conn, chain, findings);
      if (next) headline += `; ${next}`;
    }
    out.push(ctx.make('sequence-defect', findings, chain, `${headline}.`));
  }
  for (const i of ctx.open('expcmdsn-ahead')) {
    const f = ctx.findings[i];
    const conn = f.conn as number;
    const chain: IncidentStep[] = [
      { time: f.time, frame: f.countedFrame as number, conn, what: `the initiator sent an immediate command (CmdSN ${Number(f.expCmdSN) - 1}) that must not advance CmdSN` },
      { time: f.time, frame: f.frame as number, conn, what: `the target answered with ExpCmdSN ${String(f.expCmdSN)}: it counted it` },
    ];
    out.push(ctx.make('sequence-defect', [i], chain,
      `The target on ${connName(conn)} counted an immediate command in its ExpCmdSN (RFC 7143 §4.2.2.1 says it must not), so the initiator's next command looks old to it — a target defect (istgt does this with immediate Text and Logout); libiscsi then refuses to send and waits.`));
  }
  for (const i of ctx.open('ttt-echo-mismatch')) {
    const f = ctx.findings[i];
    out.push(ctx.make('sequence-defect', [i], [{ time: f.time, frame: f.frame as number, conn: f.conn as number, what: f.message }],
      `A NOP-Out on ${connName(f.conn as number)} echoes a Target Transfer Tag no waiting target ping offered: ${f.message.charAt(0).toLowerCase()}${f.message.slice(1)}.`));
  }
  return out;
}

function statSNIncident(ctx: IncidentContext, conn: number, list: number[]): Incident {
  const fs = list.map((i) => ctx.findings[i]);
  const chain: IncidentStep[] = fs.map((f) => ({ time: f.time, frame: f.frame as number, conn, what: `StatSN ${String(f.got)} where ${String(f.expected)} was due` }));
  let headline: string;
  const first = fs[0];
  const back = fs.length === 2 && Number(fs[1].got) === Number(first.expected) + 1;
  if (fs.length === 1 && first.kind === 'statsn-transposition') headline = `The target sent two statuses in each other's place on ${connName(conn)} at ${ctx.at(first.time)} (StatSN ${String(first.got)} before ${String(first.expected)}): nothing is missing`;
  else if (fs.length === 1 && first.kind === 'statsn-wrong-value') headline = `The target sent one wrong StatSN (${String(first.got)} instead of ${String(first.expected)}) on ${connName(conn)} at ${ctx.at(first.time)}, then continued in sequence`;
  else if (back) headline = `The target sent one wrong StatSN (${String(first.got)} instead of ${String(first.expected)}) on ${connName(conn)} at ${ctx.at(first.time)}, then continued in sequence`;
  else headline = `StatSN on ${connName(conn)} is out of sequence ${plural(fs.length, 'time')} from ${ctx.at(first.time)} — status the target skipped or repeated, or that the capture missed`;
  return ctx.make('sequence-defect', list, chain, `${headline}.`);
}
