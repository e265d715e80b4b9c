import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import { rowsOf } from '../sessions/index.ts';
import { fmtInt } from '../text/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, lazyMessage } from './format.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, opcodeName } = codec;
const { dataSegmentLength, fromTarget, opcode } = iscsi;

/** During login, and where a side declared nothing, a receiver takes 8192 bytes (RFC 7143 §13.12). */
const DEFAULT_MAX_RECV = 8192;
/** One finding per connection and direction: a crafted capture may break the limit on every PDU. */

/**
 * A PDU whose DataSegmentLength exceeds the MaxRecvDataSegmentLength its receiver declared
 * (RFC 7143 §13.12): a receiver may close the connection over it (Linux: ISCSI_ERR_DATALEN, 1006).
 * Login PDUs are held to 8192 bytes, the limit in force before any declaration. The PDU at fault is
 * the first over the limit, per connection and direction.
 */
export function checkDataSegmentLimits(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.framed.pdus;
  const dsl_ = dataSegmentLength, target_ = fromTarget, op_ = opcode;
  const isLogin = (op: number): boolean => op === OP_LOGIN_REQUEST || op === OP_LOGIN_RESPONSE;
  for (const summary of ctx.framed.connections) {
    const rows = rowsOf(ctx.model.rows, summary.conn);
    const declared = (keys: Record<string, string>): number | undefined => {
      const v = Number(keys.MaxRecvDataSegmentLength);
      return Number.isInteger(v) && v > 0 ? v : undefined;
    };
    // The initiator's declaration limits what the target sends, and the other way round.
    const limitFromTarget = declared(summary.initiatorKeys);
    const limitFromInitiator = declared(summary.targetKeys);
    const seen = [false, false];
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const op = op_(c, i);
      const dsl = dsl_(c, i);
      if (dsl <= DEFAULT_MAX_RECV) continue;
      const fromTarget = target_(c, i);
      const login = isLogin(op);
      // Without the login in the capture we do not know the limit: say nothing.
      const limit = login ? DEFAULT_MAX_RECV : fromTarget ? limitFromTarget : limitFromInitiator;
      if (limit === undefined || dsl <= limit || seen[fromTarget ? 1 : 0]) continue;
      seen[fromTarget ? 1 : 0] = true;
      let count = 0;
      for (let j = k; j < rows.length; j++) {
        const r = rows[j];
        if (target_(c, r) === fromTarget && dsl_(c, r) > (isLogin(op_(c, r)) ? DEFAULT_MAX_RECV : limit)) count++;
      }
      out.push(finding('data-segment-over-limit', 'warning', { conn: summary.conn, frame: c.frame[i], row: i, field: 'dataSegmentLength' }, c.time[i], frameList([c.frame[i]]),
        lazyMessage(overText, op), { dataSegmentLength: dsl, maxRecvDataSegmentLength: limit, dir: fromTarget ? 'T>I' : 'I>T', occurrences: count }));
    }
  }
  return out;
}

/** The source is the PDU's opcode. */
function overText(f: Finding, op: number): string {
  const receiver = f.dir === 'T>I' ? 'initiator' : 'target';
  const login = op === OP_LOGIN_REQUEST || op === OP_LOGIN_RESPONSE;
  const count = f.occurrences as number;
  return `${opcodeName(op)} carries a ${fmtInt(f.dataSegmentLength as number)}-byte data segment but the ${receiver} declared MaxRecvDataSegmentLength ${fmtInt(f.maxRecvDataSegmentLength as number)}${login ? ' (the login limit)' : ''}`
    + `${count > 1 ? ` (${count} PDUs on this connection)` : ''} — a receiver may drop the connection over it (Linux: ISCSI_ERR_DATALEN, 1006)`;
}
