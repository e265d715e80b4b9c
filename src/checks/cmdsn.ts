import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import { mergeRows, rowsOf } from '../sessions/index.ts';
import { formatMs, hexTag } from '../text/index.ts';
import { blindRows } from './blind.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, msBetween } from './format.ts';
import { serialAdd, serialInWindow, serialLt, serialMax } from './serial.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { CARRIES_CMD_WINDOW, NUMBERED_BY_CMDSN, OP_LOGIN_RESPONSE, opcodeName } = codec;
const { cmdSN, expCmdSN, fromTarget, isImmediate, itt, loginStatusClass, maxCmdSN, opcode } = iscsi;

/**
 * The command window, per session (RFC 7143 §4.2.2.1): a non-immediate command must carry a CmdSN in
 * [ExpCmdSN, MaxCmdSN] as last advertised by the target (cmdsn-out-of-window, at fault: the command;
 * the target drops it silently); MaxCmdSN = ExpCmdSN − 1 closes the window, and holding it closed
 * longer than windowClosedMs stalls the initiator (command-window-closed, at fault: the target PDU
 * that closed it). Values with MaxCmdSN < ExpCmdSN − 1 are to be ignored, and so are those of a
 * refused login.
 */
export function checkCmdSN(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.framed.pdus;
  const blind = blindRows(ctx.framed, ctx.model.rows);
  // Hot loop: accessors, tables and helpers in locals.
  const op_ = opcode, target_ = fromTarget, exp_ = expCmdSN, max_ = maxCmdSN, sn_ = cmdSN, imm_ = isImmediate;
  const loginClass_ = loginStatusClass;
  const { frame: frameCol, time: timeCol, conn: connCol } = c;
  const window = CARRIES_CMD_WINDOW;
  const commands = NUMBERED_BY_CMDSN;
  const lt = serialLt;
  const add = serialAdd;
  const max2 = serialMax;
  const inWindow = serialInWindow;
  for (const s of ctx.model.sessions) {
    const rows = mergeRows(s.conns.map((k) => rowsOf(ctx.model.rows, k)));
    let known = false;
    let exp = 0;
    let max = 0;
    let advertFrame = 0;
    let closed: { row: number; frame: number; time: number; conn: number; exp: number; max: number } | undefined;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const op = op_(c, i);
      if (target_(c, i)) {
        if (window[op] === 0) continue;
        if (op === OP_LOGIN_RESPONSE && loginClass_(c, i) !== 0) continue;
        const e = exp_(c, i);
        const m = max_(c, i);
        if (lt(add(m, 1), e)) continue;
        exp = known ? max2(exp, e) : e;
        max = known ? max2(max, m) : m;
        known = true;
        advertFrame = frameCol[i];
        const isClosed = add(max, 1) === exp;
        if (isClosed && closed === undefined) closed = { row: i, frame: frameCol[i], time: timeCol[i], conn: connCol[i], exp, max };
        else if (!isClosed && closed !== undefined) {
          const f = windowClosed(ctx, closed, { frame: frameCol[i], time: timeCol[i] }, false);
          if (f) out.push(f);
          closed = undefined;
        }
      } else if (known && commands[op] === 1 && !imm_(c, i) && blind[i] === 0) {
        const sn = sn_(c, i);
        if (!inWindow(sn, exp, max)) {
          out.push(finding('cmdsn-out-of-window', 'warning', { conn: connCol[i], frame: frameCol[i], row: i, field: 'cmdSN' }, timeCol[i],
            frameList([advertFrame, frameCol[i]]),
            `${opcodeName(op)} (ITT ${hexTag(itt(c, i))}) carries CmdSN ${sn} outside the window [${exp}, ${max}] the target last advertised (frame ${advertFrame}) — ${lt(sn, exp) ? 'an old CmdSN the target has already used: it' : 'beyond MaxCmdSN: the target'} will drop the command without an answer`,
            { cmdSN: sn, expCmdSN: exp, maxCmdSN: max }));
        }
      }
    }
    if (closed !== undefined) {
      let endTime = -Infinity;
      let endFrame = 0;
      for (const k of s.conns) {
        const e = ctx.model.connections[k].end;
        if (e.time > endTime) endTime = e.time;
        if (e.frame > endFrame) endFrame = e.frame;
      }
      const f = windowClosed(ctx, closed, { frame: endFrame, time: endTime }, true);
      if (f) out.push(f);
    }
  }
  return out;
}

function windowClosed(ctx: CheckContext, from: { row: number; frame: number; time: number; conn: number; exp: number; max: number },
  to: { frame: number; time: number }, atEnd: boolean): Finding | undefined {
  const durationMs = msBetween(from.time, to.time);
  if (durationMs <= ctx.options.windowClosedMs) return undefined;
  return finding('command-window-closed', 'warning', { conn: from.conn, frame: from.frame, row: from.row, field: 'maxCmdSN' }, from.time,
    frameList([from.frame, atEnd ? undefined : to.frame]),
    `The target held the command window closed (MaxCmdSN ${from.max} = ExpCmdSN ${from.exp} − 1) for ${formatMs(durationMs)}${atEnd ? ', until the session ended' : ''}: the initiator could send no new command — the target is out of resources or stalled`,
    { durationMs });
}
