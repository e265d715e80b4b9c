import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import { rowsOf } from '../sessions/index.ts';
import { hexTag } from '../text/index.ts';
import { blindRows } from './blind.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList } from './format.ts';
import { serialAdd, serialDiff, serialGt } from './serial.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { CARRIES_EXPSTATSN, OP_LOGIN_RESPONSE, OP_R2T, RESERVED_TAG, STATSN_RULE, StatSNRule, opcodeName } = codec;
const { advancesStatSN, dataInHasStatus, expStatSN, fromTarget, isResynced, itt: ittOf, loginStatusClass, opcode, statSN } = iscsi;

/**
 * StatSN per connection (RFC 7143 §4.2.2.2). Each PDU that consumes a StatSN must carry the previous
 * one + 1 (statsn-gap, at fault: the PDU whose StatSN jumped); an initiator must not acknowledge
 * (ExpStatSN) a StatSN the target has not sent (expstatsn-ahead, at fault: the initiator PDU that
 * carries it) — the classic cause is counting a NOP-In with ITT 0xffffffff or an R2T, which only
 * carry the next StatSN. Counting restarts on each connection, after the capture lost target bytes,
 * and is not disturbed by failed-login responses.
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
  const c = ctx.framed.pdus;
  const unsure = blindRows(ctx.framed, ctx.model.rows);
  // Hot loop: accessors and tables in locals.
  const op_ = opcode, target_ = fromTarget, resynced_ = isResynced, sn_ = statSN, esn_ = expStatSN, itt_ = ittOf;
  const status_ = dataInHasStatus, loginClass_ = loginStatusClass;
  const rules = STATSN_RULE;
  const acks = CARRIES_EXPSTATSN;
  const { frame: frameCol, time: timeCol } = c;
  const gt = serialGt;
  const add = serialAdd;
  for (const conn of ctx.model.connections) {
    const rows = rowsOf(ctx.model.rows, conn.conn);
    let known = false;
    /** The StatSN the next status must carry. */
    let expected = 0;
    let lastFrame = 0;
    /** Positions in `rows` of the last status and of the last PDU that carried the next StatSN
     *  without consuming it: both can be in one frame (a Data-In with status, then an R2T). */
    let lastPos = -1;
    let carrierPos = -1;
    let carrierFrame = 0;
    let carrierOp = 0;
    let carrierSN = 0;
    let ahead = false;
    /** The highest StatSN a status carried so far: what an ExpStatSN may acknowledge (+ 1), also
     *  when the target sent its statuses out of order. */
    let highest = 0;
    /** The second PDU of a transposition (-1 none), and the StatSN due after it. */
    let swapped = -1;
    let afterSwap = 0;
    const episodes = new Map<Cause, Episode>();
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const op = op_(c, i);
      if (target_(c, i)) {
        if (resynced_(c, i)) { known = false; ahead = false; }
        // A refused login's response starts no StatSN sequence (the connection closes).
        if (op === OP_LOGIN_RESPONSE && loginClass_(c, i) !== 0) continue;
        const sn = sn_(c, i);
        const rule = rules[op];
        const consumes = rule === StatSNRule.Consumes || (rule === StatSNRule.ConsumesIfAnswer && itt_(c, i) !== RESERVED_TAG)
          || (rule === StatSNRule.ConsumesIfStatus && status_(c, i));
        if (consumes) {
          if (i === swapped) {
            // The second of a transposed pair, already told: the sequence goes on after both.
            swapped = -1;
            expected = afterSwap;
            lastFrame = frameCol[i];
            lastPos = k;
            continue;
          }
          if (known && sn !== expected) {
            // What happened, told from the status that follows: two swapped, one wrong value, or a gap.
            const next = nextStatus(ctx, rows, k);
            const nextSN = next >= 0 ? sn_(c, next) : undefined;
            if (sn === add(expected, 1) && nextSN === expected) {
              out.push(transposed(conn.conn, i, next, c, expected));
              if (gt(sn, highest)) highest = sn;
              swapped = next;
              afterSwap = add(expected, 2);
              lastFrame = frameCol[i];
              lastPos = k;
              continue;
            }
            if (nextSN === add(expected, 1)) {
              out.push(wrongValue(conn.conn, i, timeCol[i], lastFrame, frameCol[i], op, itt_(c, i), expected, sn, frameCol[next]));
              // Reported for itself; what the initiator may acknowledge counts it too (a wrong value
              // and a reordering look alike from one status ahead).
              if (gt(sn, highest)) highest = sn;
              expected = add(expected, 1);
              lastFrame = frameCol[i];
              lastPos = k;
              continue;
            }
            out.push(gap(conn.conn, i, timeCol[i], lastFrame, frameCol[i], op, itt_(c, i), expected, sn));
          }
          if (!known || gt(sn, highest)) highest = sn;
          expected = add(sn, 1);
          known = true;
          lastFrame = frameCol[i];
          lastPos = k;
        } else if (rule === StatSNRule.CarriesNext || rule === StatSNRule.ConsumesIfAnswer) {
          if (!known) { expected = sn; highest = serialAdd(sn, -1); known = true; }
          // Keep the carrier of the highest next StatSN since the last status (out-of-order statuses
          // come with out-of-order R2Ts: 173, then 172).
          if (carrierPos < lastPos || !gt(carrierSN, sn)) {
            carrierFrame = frameCol[i];
            carrierPos = k;
            carrierOp = op;
            carrierSN = sn;
          }
        }
      } else if (known && acks[op] === 1 && unsure[i] === 0) {
        const esn = esn_(c, i);
        if (gt(esn, add(highest, 1))) {
          if (!ahead) {
            // The carrier came after the last status, or carries the StatSN due after the highest
            // (a target that sends its statuses out of order assigns the R2T's before them).
            const counted = add(carrierSN, 1) === esn && (carrierPos > lastPos || carrierSN === add(highest, 1));
            const cause: Cause = !counted ? 'unknown' : carrierOp === OP_R2T ? 'r2t' : 'nop-in';
            const e = episodes.get(cause);
            if (e !== undefined) e.count++;
            else {
              episodes.set(cause, {
                count: 1, time: timeCol[i], frame: frameCol[i], row: i, frames: frameList([lastFrame, counted ? carrierFrame : undefined, frameCol[i]]),
                op, esn, last: highest, carrierFrame: counted ? carrierFrame : 0,
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

type Cause = 'nop-in' | 'r2t' | 'unknown';

interface Episode {
  count: number;
  time: number;
  /** The first initiator PDU ahead: the one at fault. */
  frame: number;
  row: number;
  frames: number[];
  op: number;
  esn: number;
  last: number;
  carrierFrame: number;
}

/** The next status PDU (one that consumes a StatSN) after position k of a connection's rows, -1 none. */
function nextStatus(ctx: CheckContext, rows: Uint32Array, k: number): number {
  const c = ctx.framed.pdus;
  for (let j = k + 1; j < rows.length && j <= k + 4096; j++) {
    const r = rows[j];
    if (isResynced(c, r)) return -1;
    if (fromTarget(c, r) && advancesStatSN(c, r) && !(opcode(c, r) === OP_LOGIN_RESPONSE && loginStatusClass(c, r) !== 0)) return r;
  }
  return -1;
}

/** Two status PDUs sent in each other's place: every StatSN is there, nothing is missing. */
function transposed(conn: number, first: number, second: number, c: CheckContext['framed']['pdus'], expected: number): Finding {
  const a = add2(expected, 1);
  return finding('statsn-transposition', 'warning', { conn, frame: c.frame[first], row: first, field: 'statSN' }, c.time[first],
    frameList([c.frame[first], c.frame[second]]),
    `The target sent StatSN ${a} (${opcodeName(opcode(c, first))}, ITT ${hexTag(ittOf(c, first))}) before StatSN ${expected} (${opcodeName(opcode(c, second))}, ITT ${hexTag(ittOf(c, second))}, frame ${c.frame[second]}): two statuses swapped on the wire — nothing is missing, but an initiator that checks the order may take the first for a gap`,
    { expected, got: a, swappedWithFrame: c.frame[second] });
}

/** One status with a wrong StatSN, the sequence going on as if it had the right one. */
function wrongValue(conn: number, row: number, time: number, prevFrame: number, frame: number, op: number, itt: number, expected: number, got: number, nextFrame: number): Finding {
  return finding('statsn-wrong-value', 'warning', { conn, frame, row, field: 'statSN' }, time, frameList([prevFrame, frame, nextFrame]),
    `${opcodeName(op)} (ITT ${hexTag(itt)}) carries StatSN ${got} where ${expected} was due, and the next status goes on from ${expected} (frame ${nextFrame}): one wrong value, not a gap — nothing is missing`,
    { expected, got });
}

function add2(s: number, n: number): number {
  return (s + n) >>> 0;
}

function gap(conn: number, row: number, time: number, prevFrame: number, frame: number, op: number, itt: number, expected: number, got: number): Finding {
  const d = serialDiff(expected, got);
  const what = d > 0 ? `${d} StatSN${d === 1 ? '' : 's'} skipped: status the target never sent, or the capture missed`
    : 'StatSN went backwards: the target repeated or reordered status';
  return finding('statsn-gap', 'warning', { conn, frame, row, field: 'statSN' }, time, frameList([prevFrame, frame]),
    `${opcodeName(op)} (ITT ${hexTag(itt)}) carries StatSN ${got}, expected ${expected} (the previous + 1) — ${what}`,
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
  return finding('expstatsn-ahead', cause === 'r2t' && !recovery ? 'warning' : 'error', { conn, frame: e.frame, row: e.row, field: 'expStatSN' }, e.time, e.frames, message,
    { expStatSN: e.esn, lastStatSN: e.last, counted: cause === 'unknown' ? undefined : cause === 'r2t' ? 'R2T' : 'NOP-In', occurrences: e.count });
}
