import { opcodeName } from '../codec/index.ts';
import type { Finding } from '../engine/types.ts';
import { PduState } from '../engine/pdu-table.ts';
import { Op, RESERVED_TAG, carriesExpStatSN } from '../sessions/index.ts';
import { blindRows } from './blind.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, hex32 } from './format.ts';
import { serialAdd, serialDiff, serialGt } from './serial.ts';

/**
 * StatSN per connection (RFC 7143 §4.2.2.2). Each PDU that consumes a StatSN must carry the previous
 * one + 1 (statsn-gap); an initiator must not acknowledge (ExpStatSN) a StatSN the target has not
 * sent (expstatsn-ahead) — the classic cause is counting a NOP-In with ITT 0xffffffff or an R2T,
 * which only carry the next StatSN. Counting restarts on each connection, after the capture lost
 * target bytes, and is not disturbed by failed-login responses.
 *
 * An initiator that miscounts does so every time the cause recurs, so the episodes (from the first
 * PDU ahead until it is no longer ahead) are told once per connection and cause, with their count.
 * Counting an R2T (libiscsi does: it takes every StatSN field with a valid ITT as consumed) is a
 * warning at ErrorRecoveryLevel 0: the status it pre-acknowledges is the very next one, which the
 * target does not retain anyway. Counting a target NOP-In, an R2T with ErrorRecoveryLevel > 0, or
 * no visible cause, is an error.
 */
export function checkStatSN(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.analysis.pdus;
  const unsure = blindRows(ctx.analysis, ctx.rows);
  // Hot loop: columns and constants in locals, the per-opcode rules inline (see fields.ts).
  const { b0, b1, itt: ittCol, w24, w28, w36, frame: frameCol, time: timeCol, state } = c;
  const { LoginResponse, R2T } = Op;
  const RESYNCED = PduState.Resynced;
  const advances = ADVANCES;
  const acks = ACKS;
  const RESERVED = RESERVED_TAG;
  const gt = serialGt;
  const add = serialAdd;
  for (const conn of ctx.model.connections) {
    const rows = ctx.rows.rows[conn.conn];
    if (rows === undefined) continue;
    let known = false;
    /** The StatSN the next status must carry. */
    let expected = 0;
    let lastFrame = 0;
    /** The last PDU that carried the next StatSN without consuming it. */
    let carrierFrame = 0;
    let carrierOp = 0;
    let carrierSN = 0;
    let ahead = false;
    const episodes = new Map<Cause, Episode>();
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const op = b0[i] & 0x3f;
      if ((op & 0x20) !== 0) {
        if ((state[i] & RESYNCED) !== 0) { known = false; ahead = false; }
        // A refused login's response starts no StatSN sequence (the connection closes).
        if (op === LoginResponse && w36[i] >>> 24 !== 0) continue;
        const sn = w24[i];
        const rule = advances[op];
        // 1: consumes a StatSN; 2: a NOP-In, which does only when it answers a ping (ITT ≠
        // 0xffffffff); 3: a Data-In, only with S = 1; 4: carries the next one (R2T).
        const consumes = rule === 1 || (rule === 2 && ittCol[i] !== RESERVED) || (rule === 3 && (b1[i] & 0x01) !== 0);
        if (consumes) {
          if (known && sn !== expected) out.push(gap(conn.conn, timeCol[i], lastFrame, frameCol[i], op, ittCol[i], expected, sn));
          expected = add(sn, 1);
          known = true;
          lastFrame = frameCol[i];
        } else if (rule === 4 || rule === 2) {
          if (!known) { expected = sn; known = true; }
          carrierFrame = frameCol[i];
          carrierOp = op;
          carrierSN = sn;
        }
      } else if (known && acks[op] === 1 && unsure[i] === 0) {
        const esn = w28[i];
        if (gt(esn, expected)) {
          if (!ahead) {
            const counted = carrierFrame > lastFrame && add(carrierSN, 1) === esn;
            const cause: Cause = !counted ? 'unknown' : carrierOp === R2T ? 'r2t' : 'nop-in';
            const e = episodes.get(cause);
            if (e !== undefined) e.count++;
            else {
              episodes.set(cause, {
                count: 1, time: timeCol[i], frames: frameList(lastFrame, counted ? carrierFrame : undefined, frameCol[i]),
                op, esn, last: serialAdd(expected, -1), carrierFrame: counted ? carrierFrame : 0,
              });
            }
          }
          ahead = true;
        } else {
          ahead = false;
        }
      }
    }
    // At ErrorRecoveryLevel ≥ 1 the target keeps status for retransmission until acknowledged, so
    // acknowledging too early can lose it; at 0 (the default) it keeps nothing.
    const erl = Number(conn.negotiated.ErrorRecoveryLevel ?? '0');
    for (const [cause, e] of episodes) out.push(aheadFinding(conn.conn, cause, e, erl > 0));
  }
  return out;
}

/** Per target opcode, how it treats StatSN (RFC 7143 §4.2.2.2), as fields.ts advancesStatSN / carriesNextStatSN. */
const ADVANCES = (() => {
  const t = new Uint8Array(64);
  for (const op of [Op.ScsiResponse, Op.TmfResponse, Op.LoginResponse, Op.TextResponse, Op.LogoutResponse, Op.Async, Op.Reject]) t[op] = 1;
  t[Op.NopIn] = 2;
  t[Op.DataIn] = 3;
  t[Op.R2T] = 4;
  return t;
})();

/** Initiator opcodes with an ExpStatSN field (fields.ts carriesExpStatSN). */
const ACKS = (() => {
  const t = new Uint8Array(64);
  for (let op = 0; op < 0x20; op++) if (carriesExpStatSN(op)) t[op] = 1;
  return t;
})();

type Cause = 'nop-in' | 'r2t' | 'unknown';

interface Episode {
  count: number;
  time: number;
  frames: number[];
  op: number;
  esn: number;
  last: number;
  carrierFrame: number;
}

function gap(conn: number, time: number, prevFrame: number, frame: number, op: number, itt: number, expected: number, got: number): Finding {
  const d = serialDiff(expected, got);
  const what = d > 0 ? `${d} StatSN${d === 1 ? '' : 's'} skipped: status the target never sent, or the capture missed`
    : 'StatSN went backwards: the target repeated or reordered status';
  return finding('statsn-gap', 'warning', { conn }, time, frameList(prevFrame, frame),
    `${opcodeName(op)} (ITT ${hex32(itt)}) carries StatSN ${got}, expected ${expected} (the previous + 1) — ${what}`,
    { expected, got });
}

function aheadFinding(conn: number, cause: Cause, e: Episode, recovery: boolean): Finding {
  let message = `${opcodeName(e.op)} acknowledges ExpStatSN ${e.esn} but the target has sent StatSN only up to ${e.last}`;
  if (cause === 'r2t') {
    message += ` — the initiator counted the StatSN of the R2T at frame ${e.carrierFrame}, which carries the next StatSN without consuming it (libiscsi does this); ${recovery
      ? 'with ErrorRecoveryLevel > 0 the target may discard that status before sending it, so it cannot be recovered'
      : 'harmless at ErrorRecoveryLevel 0, but the acknowledgement runs ahead of the status'}`;
  } else if (cause === 'nop-in') {
    message += ` — the initiator counted the StatSN of the NOP-In at frame ${e.carrierFrame} (ITT 0xffffffff), which does not consume one; its next real status will look out of order to it`;
  } else {
    message += ' — it acknowledges status it cannot have received';
  }
  if (e.count > 1) message += ` (${e.count} times on this connection)`;
  return finding('expstatsn-ahead', cause === 'r2t' && !recovery ? 'warning' : 'error', { conn }, e.time, e.frames, message,
    { expStatSN: e.esn, lastStatSN: e.last, counted: cause === 'unknown' ? undefined : cause === 'r2t' ? 'R2T' : 'NOP-In', occurrences: e.count });
}
