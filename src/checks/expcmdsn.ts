import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import { mergeRows, rowsOf } from '../sessions/index.ts';
import { serialAdd, serialGt } from './serial.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList } from './format.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { opcodeName, OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, OP_LOGOUT_REQUEST } = codec;
const {
  carriesCmdWindow, cmdSN, endsLoginPhase, expCmdSN, fromTarget, isImmediate, loginStatusClass, numberedByCmdSN, opcode,
} = iscsi;

/**
 * The target's ExpCmdSN runs ahead of every CmdSN the initiator has used: it counted an immediate
 * command, which RFC 7143 §4.2.2.1 says does not advance CmdSN (istgt counts immediate Text and
 * Logout requests). The initiator's next command then carries a CmdSN the target takes for an old
 * one and drops; libiscsi, seeing the window ahead of it, refuses to send (iscsi-ls hangs). The PDU
 * at fault is the target PDU whose ExpCmdSN went too far; the immediate command it counted is named.
 */
export function checkExpCmdSNAhead(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.framed.pdus;
  for (const s of ctx.model.sessions) {
    // Commands the capture lost would look like a target counting ahead: say nothing then.
    if (s.conns.some((k) => ctx.framed.connections[k]?.gaps.some((g) => g.dir === 'I>T' && g.bytesMissing > 0))) continue;
    const rows = mergeRows(s.conns.map((k) => rowsOf(ctx.model.rows, k)));
    let loggedIn = false;
    /** The ExpCmdSN the target may show: one past the highest non-immediate CmdSN (or the login's). */
    let allowed = 0;
    let highest: number | undefined;
    const immediates: number[] = [];
    let counted = -1;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const op = opcode(c, i);
      if (op === OP_LOGIN_REQUEST) continue;
      if (op === OP_LOGIN_RESPONSE) {
        if (loginStatusClass(c, i) === 0 && endsLoginPhase(c, i)) {
          if (!loggedIn) allowed = expCmdSN(c, i);
          loggedIn = true;
        }
        continue;
      }
      if (!loggedIn) continue;
      if (!fromTarget(c, i)) {
        if (!numberedByCmdSN(c, i)) continue;
        const sn = cmdSN(c, i);
        if (isImmediate(c, i)) {
          immediates.push(i);
          if (immediates.length > 64) immediates.shift();
        } else {
          highest = highest === undefined || serialGt(sn, highest) ? sn : highest;
          if (serialGt(serialAdd(sn, 1), allowed)) allowed = serialAdd(sn, 1);
        }
        continue;
      }
      if (!carriesCmdWindow(c, i)) continue;
      const exp = expCmdSN(c, i);
      if (!serialGt(exp, allowed)) continue;
      // Which immediate command did it count? The latest whose CmdSN + 1 is the new ExpCmdSN.
      let req = -1;
      for (let j = immediates.length - 1; j >= 0; j--) {
        if (serialAdd(cmdSN(c, immediates[j]), 1) === exp) { req = immediates[j]; break; }
      }
      if (req < 0 || req === counted) continue;
      counted = req;
      // What followed: the initiator's next command, with the CmdSN the target now takes for old.
      let next = -1;
      for (let j = k + 1; j < rows.length && j <= k + 4096; j++) {
        const r = rows[j];
        if (!fromTarget(c, r) && numberedByCmdSN(c, r) && !isImmediate(c, r)) { next = r; break; }
      }
      let message = `The target's ExpCmdSN ${exp} runs ahead of every CmdSN the initiator has used${highest !== undefined ? ` (the highest ${highest})` : ''}: it counted the immediate ${opcodeName(opcode(c, req))} at frame ${c.frame[req]} (CmdSN ${cmdSN(c, req)}), which does not advance CmdSN (RFC 7143 §4.2.2.1)`;
      message += next >= 0 && !serialGt(cmdSN(c, next), serialAdd(exp, -1))
        ? ` — the initiator's next command (CmdSN ${cmdSN(c, next)}, frame ${c.frame[next]}) looks old to the target, which drops it`
        : opcode(c, req) === OP_LOGOUT_REQUEST ? ' — after a Logout nothing follows here, but a target that miscounts does the same to a Text Request (discovery then hangs)'
        : ' — the initiator\'s next command will look old to the target (libiscsi refuses to send it, and waits)';
      out.push(finding('expcmdsn-ahead', 'error', { conn: c.conn[i], frame: c.frame[i], row: i, field: 'expCmdSN' }, c.time[i],
        frameList([c.frame[req], c.frame[i], next >= 0 ? c.frame[next] : undefined]), message,
        { expCmdSN: exp, highestCmdSN: highest, countedFrame: c.frame[req], countedOpcode: opcode(c, req) }));
    }
  }
  return out;
}
