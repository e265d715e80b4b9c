// The relations the ladder draws between PDUs of one connection: a ping and its answer (or the
// silence after it), a target ping and its echo, a TMF and the command it aborted, login and logout
// exchanges. Derived from the columns (ITT / TTT matching) and coloured by the findings that name
// the same frames. Only the PDUs that take part produce objects; routine I/O produces none.

import type { ConnectionSummary, Finding, PduColumns, Severity } from '../../engine/index.ts';
import { logoutReasonName, tmfFunctionName, tmfResponseName, loginStatusName } from '../../codec/index.ts';
import { Op, RESERVED_TAG, opcode } from './fields.ts';
import { fmtDuration, hexTag, plural } from './format.ts';

/** A point in the connection's story: a PDU (position in the connection's rows), a TCP control
 *  event (index in ConnectionSummary.control) or the end of the capture. */
export type Endpoint = { pdu: number } | { ctl: number } | { captureEnd: true };

export type RelationKind =
  | 'nop-ping' | 'nop-silence' | 'target-ping' | 'target-ping-unanswered' | 'ttt-echo-mismatch'
  | 'tmf-target' | 'tmf-answer' | 'tmf-unanswered' | 'login' | 'logout' | 'finding';

export interface Relation {
  kind: RelationKind;
  from: Endpoint;
  to: Endpoint;
  label: string;
  /** How alarming: drives the colour. */
  severity: Severity | 'none';
  /** Extra PDUs it concerns (e.g. every unanswered ping of a silence). */
  also?: number[];
}

export interface ConnContext {
  c: PduColumns;
  rows: Uint32Array;
  conn: ConnectionSummary;
  captureEnd: number;
}

/** Time of an endpoint. */
export function endpointTime(ctx: ConnContext, e: Endpoint): number {
  if ('pdu' in e) return ctx.c.time[ctx.rows[e.pdu]];
  if ('ctl' in e) return ctx.conn.control[e.ctl]?.time ?? ctx.captureEnd;
  return ctx.captureEnd;
}

function controlText(ctl: ConnectionSummary['control'][number]): string {
  return `${ctl.by} ${ctl.kind}`;
}

/** Where the initiator gave up on the connection, or where it ended: the first FIN/RST by the
 *  initiator, else the first FIN/RST at all, else the capture's end. */
export function givingUp(conn: ConnectionSummary): Endpoint {
  let any = -1;
  for (let i = 0; i < conn.control.length; i++) {
    const e = conn.control[i];
    if (e.kind === 'SYN') continue;
    if (e.by === 'initiator') return { ctl: i };
    if (any < 0) any = i;
  }
  return any >= 0 ? { ctl: any } : { captureEnd: true };
}

function endpointText(ctx: ConnContext, e: Endpoint): string {
  if ('ctl' in e) return controlText(ctx.conn.control[e.ctl]);
  if ('captureEnd' in e) return 'capture end';
  return 'next PDU';
}

/** Relations of one connection, in order of their first endpoint. */
export function connectionRelations(ctx: ConnContext): Relation[] {
  const { c, rows } = ctx;
  const out: Relation[] = [];
  const pings = new Map<number, number>(); // ITT → NOP-Out position
  const targetPings = new Map<number, number>(); // TTT → NOP-In position
  const tmfs = new Map<number, number>(); // ITT → TMF request position
  const logouts = new Map<number, number>();
  let loginStart = -1;
  const unansweredPings: number[] = [];
  const end = givingUp(ctx.conn);
  const endTime = endpointTime(ctx, end);
  for (let p = 0; p < rows.length; p++) {
    const r = rows[p];
    const op = opcode(c, r);
    const itt = c.itt[r];
    switch (op) {
      case Op.NopOut: {
        const ttt = c.w20[r];
        if (itt !== RESERVED_TAG) {
          pings.set(itt, p);
        } else if (ttt !== RESERVED_TAG) {
          const q = targetPings.get(ttt);
          if (q !== undefined) {
            targetPings.delete(ttt);
            out.push({ kind: 'target-ping', from: { pdu: q }, to: { pdu: p }, severity: 'none',
              label: `target ping TTT ${hexTag(ttt)} echoed after ${fmtDuration(c.time[r] - c.time[rows[q]])}` });
          } else {
            out.push({ kind: 'ttt-echo-mismatch', from: { pdu: p }, to: { pdu: p }, severity: 'error',
              label: `echoes TTT ${hexTag(ttt)}, which no outstanding target ping offered` });
          }
        }
        break;
      }
      case Op.NopIn: {
        const ttt = c.w20[r];
        if (itt !== RESERVED_TAG) {
          const q = pings.get(itt);
          if (q !== undefined) {
            pings.delete(itt);
            const t0 = c.time[rows[q]];
            const late = givenUpBefore(ctx, end, c.time[r]);
            out.push({ kind: 'nop-ping', from: { pdu: q }, to: { pdu: p }, severity: late ? 'error' : 'none',
              label: late ? `late answer after ${fmtDuration(c.time[r] - t0)} (the initiator had given up)` : `ping RTT ${fmtDuration(c.time[r] - t0)}` });
          }
        } else if (ttt !== RESERVED_TAG) {
          // A new target ping: the previous one not echoed by now is unanswered.
          for (const [t, q] of targetPings) {
            out.push({ kind: 'target-ping-unanswered', from: { pdu: q }, to: { pdu: p }, severity: 'error',
              label: `target ping TTT ${hexTag(t)} never echoed (${fmtDuration(c.time[r] - c.time[rows[q]])} until the next ping)` });
          }
          targetPings.clear();
          targetPings.set(ttt, p);
        }
        break;
      }
      case Op.TmfRequest: {
        tmfs.set(itt, p);
        const ref = c.w20[r];
        const fn = c.b1[r] & 0x7f;
        if (ref !== RESERVED_TAG) {
          const q = lastCommandBefore(c, rows, p, ref);
          if (q >= 0) {
            out.push({ kind: 'tmf-target', from: { pdu: q }, to: { pdu: p }, severity: 'warning',
              label: `${tmfFunctionName(fn)} of ITT ${hexTag(ref)}: the command had waited ${fmtDuration(c.time[r] - c.time[rows[q]])}` });
          }
        }
        break;
      }
      case Op.TmfResponse: {
        const q = tmfs.get(itt);
        if (q !== undefined) {
          tmfs.delete(itt);
          const fn = c.b1[rows[q]] & 0x7f;
          out.push({ kind: 'tmf-answer', from: { pdu: q }, to: { pdu: p }, severity: 'warning',
            label: `${tmfFunctionName(fn)} answered after ${fmtDuration(c.time[r] - c.time[rows[q]])}: ${tmfResponseName(c.b2[r])}` });
        }
        break;
      }
      case Op.LoginRequest:
        if (loginStart < 0) loginStart = p;
        break;
      case Op.LoginResponse: {
        const cls = c.w36[r] >>> 24;
        const detail = (c.w36[r] >>> 16) & 0xff;
        const done = cls !== 0 || ((c.b1[r] & 0x80) !== 0 && (c.b1[r] & 3) === 3);
        if (done) {
          const from = loginStart >= 0 ? loginStart : p;
          out.push({ kind: 'login', from: { pdu: from }, to: { pdu: p }, severity: cls !== 0 ? 'error' : 'none',
            label: cls !== 0 ? `login failed: ${loginStatusName(cls, detail)}` : `login ${fmtDuration(c.time[r] - c.time[rows[from]])}, success` });
          loginStart = -1;
        }
        break;
      }
      case Op.LogoutRequest:
        logouts.set(itt, p);
        break;
      case Op.LogoutResponse: {
        const q = logouts.get(itt);
        if (q !== undefined) {
          logouts.delete(itt);
          out.push({ kind: 'logout', from: { pdu: q }, to: { pdu: p }, severity: 'none',
            label: `logout (${logoutReasonName(c.b1[rows[q]] & 0x7f).toLowerCase()}) ${fmtDuration(c.time[r] - c.time[rows[q]])}` });
        }
        break;
      }
      default:
        break;
    }
  }
  // Pings never answered (those answered after the give-up were labelled late above).
  for (const [, q] of pings) unansweredPings.push(q);
  unansweredPings.sort((x, y) => x - y);
  for (const q of lateAnswered(out)) if (!unansweredPings.includes(q)) unansweredPings.push(q);
  unansweredPings.sort((x, y) => x - y);
  if (unansweredPings.length > 0) {
    const first = unansweredPings[0];
    const t0 = c.time[rows[first]];
    out.push({ kind: 'nop-silence', from: { pdu: first }, to: end, severity: 'error', also: unansweredPings,
      label: `${plural(unansweredPings.length, 'ping')} unanswered: ${fmtDuration(endTime - t0)} of silence until ${endpointText(ctx, end)}` });
  }
  for (const [t, q] of targetPings) {
    const stop = firstControlAfter(ctx, c.time[rows[q]]);
    out.push({ kind: 'target-ping-unanswered', from: { pdu: q }, to: stop, severity: 'error',
      label: `target ping TTT ${hexTag(t)} never echoed: ${fmtDuration(endpointTime(ctx, stop) - c.time[rows[q]])} until ${endpointText(ctx, stop)}` });
  }
  for (const [, q] of tmfs) {
    const fn = c.b1[rows[q]] & 0x7f;
    out.push({ kind: 'tmf-unanswered', from: { pdu: q }, to: end, severity: 'error',
      label: `${tmfFunctionName(fn)} never answered: ${fmtDuration(endTime - c.time[rows[q]])} until ${endpointText(ctx, end)}` });
  }
  out.sort((x, y) => startOf(x) - startOf(y));
  return out;
}

/** The latest SCSI Command with this ITT before position p (TMFs are rare: a scan back, not a map
 *  of every command). */
function lastCommandBefore(c: PduColumns, rows: Uint32Array, p: number, itt: number): number {
  for (let q = p - 1; q >= 0; q--) {
    const r = rows[q];
    if (c.itt[r] === itt && (c.b0[r] & 0x3f) === Op.ScsiCommand) return q;
  }
  return -1;
}

function lateAnswered(rel: Relation[]): number[] {
  const r: number[] = [];
  for (const x of rel) if (x.kind === 'nop-ping' && x.severity === 'error' && 'pdu' in x.from) r.push(x.from.pdu);
  return r;
}

function givenUpBefore(ctx: ConnContext, end: Endpoint, t: number): boolean {
  if (!('ctl' in end)) return false;
  const e = ctx.conn.control[end.ctl];
  return e.by === 'initiator' && e.time < t;
}

function firstControlAfter(ctx: ConnContext, t: number): Endpoint {
  for (let i = 0; i < ctx.conn.control.length; i++) {
    const e = ctx.conn.control[i];
    if (e.kind !== 'SYN' && e.time >= t) return { ctl: i };
  }
  return { captureEnd: true };
}

function startOf(r: Relation): number {
  return 'pdu' in r.from ? r.from.pdu : Number.MAX_SAFE_INTEGER;
}

/** Finding kinds the column-derived relations already draw (their findings colour them instead). */
export const DRAWN_KINDS = new Set([
  'nop-ping', 'nop-ping-unanswered', 'target-ping', 'target-ping-unanswered', 'ttt-echo-mismatch', 'tmf',
  'tmf-unanswered', 'logout',
]);

/** Findings of this connection that span several of its PDUs (and that no column-derived relation
 *  draws), as brackets. */
export function findingRelations(findings: readonly Finding[], positions: (f: Finding) => number[]): Relation[] {
  const out: Relation[] = [];
  for (const f of findings) {
    if (DRAWN_KINDS.has(f.kind)) continue;
    const pos = positions(f);
    if (pos.length < 2) continue;
    const first = pos[0];
    const last = pos[pos.length - 1];
    out.push({ kind: 'finding', from: { pdu: first }, to: { pdu: last }, severity: f.severity, label: f.message, also: pos });
  }
  return out;
}
