import * as iscsi from '../iscsi/index.ts';
import type { FramedCapture } from '../iscsi/index.ts';
import { rowsOf } from '../sessions/index.ts';
import type { ConnRows } from '../sessions/index.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { fromTarget, isResynced } = iscsi;

/**
 * Initiator PDUs sent while the capture was losing the target's bytes: between the last target PDU
 * before a gap and the one where framing resumed (or the connection's end, if it never did). What
 * they acknowledge or rely on (StatSN, the CmdSN window) may come from PDUs the capture lost, so the
 * sequence checks skip them. One byte per PDU row, 1 = blind.
 */
export function blindRows(framed: FramedCapture, rows: ConnRows): Uint8Array {
  const c = framed.pdus;
  const blind = new Uint8Array(c.count);
  const target = fromTarget, resynced = isResynced;
  for (const s of framed.connections) {
    const list = rowsOf(rows, s.conn);
    let lost = s.gaps.some((g) => g.dir === 'T>I' && g.resyncFrame === 0);
    for (let k = list.length - 1; k >= 0; k--) {
      const i = list[k];
      if (target(c, i)) lost = resynced(c, i); // a target PDU: did framing resume at it?
      else if (lost) blind[i] = 1;
    }
  }
  return blind;
}
