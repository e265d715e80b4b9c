import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import { rowsOf } from '../sessions/index.ts';
import { hex, hexTag } from '../text/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList } from './format.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { OP_REJECT, opcodeName, opcodeOf, rejectReasonName, u32 } = codec;
const { fromTarget, itt, opcode, rejectReason } = iscsi;

/**
 * A Reject (RFC 7143 §11.17) carries the header of the PDU the target refused in its data segment;
 * the finding names that PDU (opcode, ITT) and points at it when it is in the capture. The PDU at
 * fault is the Reject itself (its reason says why).
 */
export function checkRejects(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.framed.pdus;
  const op_ = opcode;
  for (const conn of ctx.model.connections) {
    const rows = rowsOf(ctx.model.rows, conn.conn);
    let any = false;
    for (let k = 0; k < rows.length && !any; k++) any = op_(c, rows[k]) === OP_REJECT;
    if (!any) continue;
    // The latest initiator PDU by opcode and ITT: what a Reject's copied header names.
    const latest = new Map<string, number>();
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const op = op_(c, i);
      if (!fromTarget(c, i)) {
        latest.set(`${op}/${itt(c, i)}`, c.frame[i]);
        continue;
      }
      if (op !== OP_REJECT) continue;
      const reason = rejectReason(c, i);
      const data = ctx.framed.details.get(i)?.data;
      const rejectedOpcode = data !== undefined && data.length >= 1 ? opcodeOf(data[0]) : undefined;
      const rejectedItt = data !== undefined && data.length >= 20 ? u32(data, 16) : undefined;
      const rejectedFrame = rejectedOpcode !== undefined && rejectedItt !== undefined ? latest.get(`${rejectedOpcode}/${rejectedItt}`) : undefined;
      const what = rejectedOpcode === undefined ? 'a PDU (its header is not in the capture)'
        : `a ${opcodeName(rejectedOpcode)}${rejectedItt !== undefined ? ` (ITT ${hexTag(rejectedItt)}${rejectedFrame ? `, frame ${rejectedFrame}` : ''})` : ''}`;
      out.push(finding('reject', 'error', { conn: conn.conn, frame: c.frame[i], row: i, field: 'rejectReason' }, c.time[i], frameList([rejectedFrame, c.frame[i]]),
        `The target rejected ${what}: "${rejectReasonName(reason)}" (reason ${hex(reason)})`,
        { reason, reasonText: rejectReasonName(reason), rejectedOpcode, rejectedItt, rejectedFrame }));
    }
  }
  return out;
}
