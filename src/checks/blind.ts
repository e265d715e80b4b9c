import type { Analysis } from '../engine/types.ts';
import { PduState } from '../engine/pdu-table.ts';
import type { ConnRows } from '../sessions/index.ts';

/**
 * Initiator PDUs sent while the capture was losing the target's bytes: between the last target PDU
 * before a gap and the one where framing resumed (or the connection's end, if it never did). What
 * they acknowledge or rely on (StatSN, the CmdSN window) may come from PDUs the capture lost, so the
 * sequence checks skip them. One byte per PDU row, 1 = blind.
 */
export function blindRows(analysis: Analysis, rows: ConnRows): Uint8Array {
  const c = analysis.pdus;
  const blind = new Uint8Array(c.count);
  const { b0, state } = c;
  const RESYNCED = PduState.Resynced;
  for (const s of analysis.connections) {
    const list = rows.rows[s.conn];
    if (list === undefined) continue;
    let lost = s.gaps.some((g) => g.dir === 'T>I' && g.resyncFrame === 0);
    for (let k = list.length - 1; k >= 0; k--) {
      const i = list[k];
      if ((b0[i] & 0x20) !== 0) lost = (state[i] & RESYNCED) !== 0; // a target PDU: did framing resume at it?
      else if (lost) blind[i] = 1;
    }
  }
  return blind;
}
