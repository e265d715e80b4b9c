import { opcodeName, rejectReasonName } from '../codec/index.ts';
import type { Finding } from '../engine/types.ts';
import { Op, isTargetOpcode, opcode } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, hex32, hex8 } from './format.ts';

/** How far back to look for the PDU a Reject names. */
const LOOK_BACK = 4096;

/**
 * A Reject (RFC 7143 §11.17) carries the header of the PDU the target refused in its data segment;
 * the finding names that PDU (opcode, ITT) and points at it when it is in the capture.
 */
export function checkRejects(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.analysis.pdus;
  const b0 = c.b0;
  const REJECT = Op.Reject;
  for (const conn of ctx.model.connections) {
    const rows = ctx.rows.rows[conn.conn];
    if (rows === undefined) continue;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      if ((b0[i] & 0x3f) !== REJECT) continue;
      const reason = c.b2[i];
      const data = ctx.analysis.details.get(i)?.data;
      const rejectedOpcode = data !== undefined && data.length >= 1 ? data[0] & 0x3f : undefined;
      const rejectedItt = data !== undefined && data.length >= 20
        ? ((data[16] << 24) | (data[17] << 16) | (data[18] << 8) | data[19]) >>> 0 : undefined;
      let rejectedFrame: number | undefined;
      if (rejectedOpcode !== undefined && rejectedItt !== undefined) {
        for (let j = k - 1; j >= 0 && j >= k - LOOK_BACK; j--) {
          const r = rows[j];
          const op = opcode(c, r);
          if (!isTargetOpcode(op) && op === rejectedOpcode && c.itt[r] === rejectedItt) { rejectedFrame = c.frame[r]; break; }
        }
      }
      const what = rejectedOpcode === undefined ? 'a PDU (its header is not in the capture)'
        : `a ${opcodeName(rejectedOpcode)}${rejectedItt !== undefined ? ` (ITT ${hex32(rejectedItt)}${rejectedFrame ? `, frame ${rejectedFrame}` : ''})` : ''}`;
      out.push(finding('reject', 'error', { conn: conn.conn }, c.time[i], frameList(rejectedFrame, c.frame[i]),
        `The target rejected ${what}: "${rejectReasonName(reason)}" (reason ${hex8(reason)})`,
        { reason, reasonText: rejectReasonName(reason), rejectedOpcode, rejectedItt, rejectedFrame }));
    }
  }
  return out;
}
