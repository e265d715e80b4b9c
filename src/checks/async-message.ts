import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import { rowsOf } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList } from './format.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { OP_ASYNC_MESSAGE, ascAscqName, asyncEventName, parseSense, senseKeyName } = codec;
const { asyncEvent: asyncEventOf, asyncParameter1, lunIndexOf, lunValue, opcode } = iscsi;

/** What each AsyncEvent asks of the initiator (RFC 7143 §11.9.1). */
function consequence(event: number): string {
  switch (event) {
    case 0: return 'a SCSI asynchronous event';
    case 1: return 'the target asks the initiator to log out (within Parameter3 seconds)';
    case 2: return 'the target will drop this connection';
    case 3: return 'the target will drop all connections of the session';
    case 4: return 'the target asks to renegotiate operational parameters';
    default: return 'a vendor-specific or reserved event';
  }
}

/** Asynchronous Messages (RFC 7143 §11.9): the target telling the initiator something unasked; the PDU at fault is the message. */
export function checkAsyncMessages(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.framed.pdus;
  const op_ = opcode;
  for (const conn of ctx.model.connections) {
    const rows = rowsOf(ctx.model.rows, conn.conn);
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      if (op_(c, i) !== OP_ASYNC_MESSAGE) continue;
      const asyncEvent = asyncEventOf(c, i);
      const eventText = asyncEventName(asyncEvent);
      let message = `Asynchronous Message: ${eventText} — ${consequence(asyncEvent)}`;
      let sense: { senseKey: number; asc: number; ascq: number } | undefined;
      const data = ctx.framed.details.get(i)?.data;
      if (asyncEvent === 0 && data !== undefined && data.length >= 2) {
        const senseLength = (data[0] << 8) | data[1];
        const s = parseSense(data, 2, senseLength);
        if (s !== undefined) {
          sense = { senseKey: s.senseKey, asc: s.asc, ascq: s.ascq };
          message += ` on LUN ${lunValue(ctx.framed.luns, lunIndexOf(c, i))}: ${senseKeyName(s.senseKey)}, ${ascAscqName(s.asc, s.ascq)}`;
        }
      }
      out.push(finding('async-message', 'warning', { conn: conn.conn, frame: c.frame[i], row: i, field: 'asyncEvent' }, c.time[i], frameList([c.frame[i]]), message,
        { asyncEvent, eventText, parameter1: asyncParameter1(c, i), ...sense }));
    }
  }
  return out;
}
