import { opcodeName } from '../codec/index.ts';
import type { Finding } from '../engine/types.ts';
import { Op, carriesCmdWindow, isCommand, mergeRows } from '../sessions/index.ts';
import { blindRows } from './blind.ts';
import type { CheckContext } from './context.ts';
import { duration, finding, frameList, hex32, msBetween } from './format.ts';
import { serialAdd, serialInWindow, serialLt, serialMax } from './serial.ts';

/**
 * The command window, per session (RFC 7143 §4.2.2.1): a non-immediate command must carry a CmdSN in
 * [ExpCmdSN, MaxCmdSN] as last advertised by the target (cmdsn-out-of-window; the target drops it
 * silently); MaxCmdSN = ExpCmdSN − 1 closes the window, and holding it closed longer than
 * windowClosedMs stalls the initiator (command-window-closed). Values with MaxCmdSN < ExpCmdSN − 1
 * are to be ignored, and so are those of a refused login.
 */
export function checkCmdSN(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.analysis.pdus;
  const blind = blindRows(ctx.analysis, ctx.rows);
  // Hot loop: columns, constants and helpers in locals.
  const { b0, w24, w28, w32, w36, frame: frameCol, time: timeCol, conn: connCol } = c;
  const LoginResponse = Op.LoginResponse;
  const window = WINDOW;
  const commands = COMMANDS;
  const lt = serialLt;
  const add = serialAdd;
  const max2 = serialMax;
  const inWindow = serialInWindow;
  for (const s of ctx.model.sessions) {
    const rows = mergeRows(s.conns.map((k) => ctx.rows.rows[k] ?? new Uint32Array(0)));
    let known = false;
    let exp = 0;
    let max = 0;
    let advertFrame = 0;
    let closed: { frame: number; time: number; conn: number; exp: number; max: number } | undefined;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const op = b0[i] & 0x3f;
      if ((op & 0x20) !== 0) {
        if (window[op] === 0) continue;
        if (op === LoginResponse && w36[i] >>> 24 !== 0) continue;
        const e = w28[i];
        const m = w32[i];
        if (lt(add(m, 1), e)) continue;
        exp = known ? max2(exp, e) : e;
        max = known ? max2(max, m) : m;
        known = true;
        advertFrame = frameCol[i];
        const isClosed = add(max, 1) === exp;
        if (isClosed && closed === undefined) closed = { frame: frameCol[i], time: timeCol[i], conn: connCol[i], exp, max };
        else if (!isClosed && closed !== undefined) {
          const f = windowClosed(ctx, closed, { frame: frameCol[i], time: timeCol[i] }, false);
          if (f) out.push(f);
          closed = undefined;
        }
      } else if (known && commands[op] === 1 && (b0[i] & 0x40) === 0 && blind[i] === 0) {
        const sn = w24[i];
        if (!inWindow(sn, exp, max)) {
          out.push(finding('cmdsn-out-of-window', 'warning', { conn: connCol[i] }, timeCol[i], frameList(advertFrame, frameCol[i]),
            `${opcodeName(op)} (ITT ${hex32(c.itt[i])}) carries CmdSN ${sn} outside the window [${exp}, ${max}] the target last advertised (frame ${advertFrame}) — ${lt(sn, exp) ? 'an old CmdSN the target has already used: it' : 'beyond MaxCmdSN: the target'} will drop the command without an answer`,
            { cmdSN: sn, expCmdSN: exp, maxCmdSN: max }));
        }
      }
    }
    if (closed !== undefined) {
      const endTime = Math.max(...s.conns.map((k) => ctx.model.connections[k].end.time));
      const endFrame = Math.max(...s.conns.map((k) => ctx.model.connections[k].end.frame));
      const f = windowClosed(ctx, closed, { frame: endFrame, time: endTime }, true);
      if (f) out.push(f);
    }
  }
  return out;
}

/** Target opcodes advertising ExpCmdSN / MaxCmdSN (fields.ts carriesCmdWindow). */
const WINDOW = (() => {
  const t = new Uint8Array(64);
  for (let op = 0x20; op < 0x40; op++) if (carriesCmdWindow(op)) t[op] = 1;
  return t;
})();

/** Initiator opcodes numbered by CmdSN (fields.ts isCommand). */
const COMMANDS = (() => {
  const t = new Uint8Array(64);
  for (let op = 0; op < 0x20; op++) if (isCommand(op)) t[op] = 1;
  return t;
})();

function windowClosed(ctx: CheckContext, from: { frame: number; time: number; conn: number; exp: number; max: number },
  to: { frame: number; time: number }, atEnd: boolean): Finding | undefined {
  const durationMs = msBetween(from.time, to.time);
  if (durationMs <= ctx.options.windowClosedMs) return undefined;
  return finding('command-window-closed', 'warning', { conn: from.conn }, from.time, frameList(from.frame, atEnd ? undefined : to.frame),
    `The target held the command window closed (MaxCmdSN ${from.max} = ExpCmdSN ${from.exp} − 1) for ${duration(durationMs)}${atEnd ? ', until the session ended' : ''}: the initiator could send no new command — the target is out of resources or stalled`,
    { durationMs });
}
