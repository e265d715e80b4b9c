// What TCP did under the connections a ladder shows, as marks the ladder draws: the engine's TCP
// analysis events (Wireshark's tcp.analysis flags, the model's eventRows), each long zero-window
// period (ConnectionSummary.tcp.zeroWindows), the ACK with which the target's TCP took a request
// iSCSI never answered (the model's tcpAck / taskAcks), and connection attempts that did not simply
// connect (the model's tcp.attempts). Columns in frame order, like the rest of the ladder's data;
// nothing here decides a relation — the model did.

import { TCP_EVENT_NAMES, TcpEventFlag, tcpEventNames } from '../../engine/index.ts';
import type { Analysis, TcpEventName } from '../../engine/index.ts';
import type { AttemptRecord } from '../../sessions/index.ts';

/** How a mark is drawn. */
export const MarkKind = {
  /** retransmission, fast-retransmission, spurious-retransmission: a double arrowhead on the sender's arrow. */
  Retransmission: 0,
  /** out-of-order, lost-segment, ack-lost-segment, zero-window-probe, keep-alive: a small mark. */
  Event: 1,
  /** duplicate-ack, window-update, window-full (and the rest): drawn only when every TCP event is asked for. */
  Routine: 2,
  /** A zero window held longer than 100 ms: a band on the lifeline of the side that stopped reading. */
  ZeroWindow: 3,
  /** The target's TCP acknowledged a request iSCSI never answered. */
  Ack: 4,
  /** A connection attempt refused, unanswered, or answered only after SYN retransmissions. */
  Attempt: 5,
} as const;
export type MarkKindValue = (typeof MarkKind)[keyof typeof MarkKind];

/** The names a mark carries in `data-tcp`: Wireshark's event names, and `ack`. */
export const MARK_NAMES = [...TCP_EVENT_NAMES, 'ack'] as const;
export type MarkName = (typeof MARK_NAMES)[number];
const NAME_INDEX = new Map<string, number>(MARK_NAMES.map((n, i) => [n, i]));
const ACK = NAME_INDEX.get('ack')!;

const RETRANSMISSION = TcpEventFlag.Retransmission | TcpEventFlag.FastRetransmission | TcpEventFlag.SpuriousRetransmission;
const CONTROL = TcpEventFlag.Syn | TcpEventFlag.SynAck | TcpEventFlag.Fin | TcpEventFlag.Rst;
const SMALL = new Set<TcpEventName>(['out-of-order', 'lost-segment', 'ack-lost-segment', 'zero-window-probe', 'keep-alive']);

export interface TcpMarks {
  count: number;
  kind: Uint8Array;
  /** Index in MARK_NAMES: what `data-tcp` says. */
  name: Uint8Array;
  frame: Uint32Array;
  time: Float64Array;
  /** The iSCSI connection (an attempt: the one it became, else the one before it, else the one after). */
  conn: Int32Array;
  fromTarget: Uint8Array;
  /** Event: index in Analysis.tcp.events; ZeroWindow: index in the connection's tcp.zeroWindows;
   *  Ack: the PDU row it acknowledged (the first, when one ACK took several); Attempt: index in model.tcp.attempts. */
  ref: Int32Array;
  /** Index of the mark at `(conn, frame)` of a kind, for selection (-1 none). */
  find(frame: number, conn?: number): number;
}

/** What a TCP event's mark is called and how it is drawn; undefined for a segment the ladder shows otherwise (SYN, FIN, RST). */
export function classifyEvent(flags: number): { kind: MarkKindValue; name: TcpEventName } | undefined {
  if (flags & RETRANSMISSION) {
    // A retransmitted SYN is its connection attempt's mark (answered-late).
    if (flags & TcpEventFlag.Syn) return undefined;
    // tshark sets tcp.analysis.retransmission beside fast/spurious: the mark says which it was.
    const name = flags & TcpEventFlag.SpuriousRetransmission ? 'spurious-retransmission' : flags & TcpEventFlag.FastRetransmission ? 'fast-retransmission' : 'retransmission';
    return { kind: MarkKind.Retransmission, name };
  }
  if ((flags & ~CONTROL) === 0) return undefined;
  const name = tcpEventNames(flags & ~CONTROL)[0];
  return { kind: SMALL.has(name) ? MarkKind.Event : MarkKind.Routine, name };
}

/** The attempts a ladder of `conns` shows: those next to (or become) one of its connections. */
export function attemptsOf(a: Analysis, conns: readonly number[]): number[] {
  const want = new Set(conns);
  const out: number[] = [];
  a.model.tcp.attempts.forEach((r, k) => {
    if (want.has(r.conn) || want.has(r.previousConn) || want.has(r.nextConn)) out.push(k);
  });
  return out;
}

/** The connection an attempt is drawn with. */
export function attemptConn(r: AttemptRecord): number {
  return r.conn >= 0 ? r.conn : r.previousConn >= 0 ? r.previousConn : r.nextConn;
}

/** The TCP marks of a ladder showing `conns`, in frame order. */
export function tcpMarks(a: Analysis, conns: readonly number[]): TcpMarks {
  const ev = a.tcp.events;
  const er = a.model.tcp.eventRows;
  const want = new Set(conns);
  // Zero-window periods by connection and start frame: their mark stands for the zero-window event there.
  const zwStart = new Set<string>();
  let n = 0;
  for (const c of conns) {
    const zw = a.connections[c]?.tcp?.zeroWindows ?? [];
    for (const z of zw) zwStart.add(`${c}:${z.startFrame}`);
    n += zw.length;
    if (c + 1 < er.start.length) n += er.start[c + 1] - er.start[c];
  }
  // ACKs for requests iSCSI never answered: one mark per ACK frame and connection.
  const acks = new Map<string, { conn: number; frame: number; time: number; row: number }>();
  const addAck = (conn: number, row: number, ack: { frame: number; time: number } | null | undefined): void => {
    if (!ack || !want.has(conn)) return;
    const key = `${conn}:${ack.frame}`;
    const had = acks.get(key);
    if (!had || row < had.row) acks.set(key, { conn, frame: ack.frame, time: ack.time, row });
  };
  for (const c of conns) {
    const m = a.model.connections[c];
    if (!m) continue;
    for (let k = m.relations[0]; k < m.relations[1]; k++) {
      const r = a.model.relations[k];
      if (r.tcpAck) addAck(r.conn, r.from, r.tcpAck);
    }
  }
  const tasks = a.model.tasks;
  for (const [t, ack] of a.model.taskAcks) if (t < tasks.count) addAck(tasks.conn[t], tasks.row[t], ack);
  const attempts = attemptsOf(a, conns);
  n += acks.size + attempts.length;

  const kind = new Uint8Array(n);
  const name = new Uint8Array(n);
  const frame = new Uint32Array(n);
  const time = new Float64Array(n);
  const conn = new Int32Array(n);
  const fromTarget = new Uint8Array(n);
  const ref = new Int32Array(n);
  let k = 0;
  const put = (kd: number, nm: number, fr: number, t: number, c: number, ft: number, r: number): void => {
    kind[k] = kd; name[k] = nm; frame[k] = fr; time[k] = t; conn[k] = c; fromTarget[k] = ft; ref[k] = r;
    k++;
  };
  for (const c of conns) {
    if (c + 1 >= er.start.length) continue;
    for (let j = er.start[c]; j < er.start[c + 1]; j++) {
      const e = er.rows[j];
      const cls = classifyEvent(ev.flags[e]);
      if (!cls) continue;
      if (cls.name === 'zero-window' && zwStart.has(`${c}:${ev.frame[e]}`)) continue;
      put(cls.kind, NAME_INDEX.get(cls.name)!, ev.frame[e], ev.time[e], c, ev.fromTarget[e], e);
    }
    const zw = a.connections[c]?.tcp?.zeroWindows ?? [];
    zw.forEach((z, i) => put(MarkKind.ZeroWindow, NAME_INDEX.get('zero-window')!, z.startFrame, z.startTime, c, z.by === 'target' ? 1 : 0, i));
  }
  for (const x of acks.values()) put(MarkKind.Ack, ACK, x.frame, x.time, x.conn, 1, x.row);
  for (const i of attempts) {
    const r = a.model.tcp.attempts[i];
    put(MarkKind.Attempt, NAME_INDEX.get('syn')!, r.first.frame, r.first.time, attemptConn(r), 0, i);
  }
  const count = k;
  // Frame order; within a frame, the order the marks were added (events, periods, ACKs, attempts).
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((x, y) => frame[x] - frame[y] || x - y);
  const pick = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(src: T): T => {
    const out = new (src.constructor as new (n: number) => T)(count);
    for (let i = 0; i < count; i++) out[i] = src[order[i]];
    return out;
  };
  const marks = {
    count, kind: pick(kind), name: pick(name), frame: pick(frame), time: pick(time), conn: pick(conn), fromTarget: pick(fromTarget), ref: pick(ref),
  };
  return {
    ...marks,
    find(fr: number, c?: number): number {
      let lo = 0;
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (marks.frame[mid] < fr) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < count && marks.frame[i] === fr; i++) if (c === undefined || marks.conn[i] === c) return i;
      return -1;
    },
  };
}

export function markName(m: TcpMarks, k: number): MarkName {
  return MARK_NAMES[m.name[k]];
}

/** Every TCP event name of the segment behind an Event/Retransmission/Routine mark (control flags included). */
export function eventNamesOf(a: Analysis, m: TcpMarks, k: number): TcpEventName[] {
  const kd = m.kind[k];
  if (kd !== MarkKind.Retransmission && kd !== MarkKind.Event && kd !== MarkKind.Routine) return [];
  return tcpEventNames(a.tcp.events.flags[m.ref[k]]);
}

/** The requests an ACK mark acknowledged (PDU rows, frame order): pings, TMFs and commands of its connection acknowledged in that frame. */
export function ackedRows(a: Analysis, m: TcpMarks, k: number): number[] {
  if (m.kind[k] !== MarkKind.Ack) return [];
  const conn = m.conn[k];
  const fr = m.frame[k];
  const out: number[] = [];
  const cm = a.model.connections[conn];
  if (cm) {
    for (let j = cm.relations[0]; j < cm.relations[1]; j++) {
      const r = a.model.relations[j];
      if (r.tcpAck && r.tcpAck.frame === fr) out.push(r.from);
    }
  }
  const tasks = a.model.tasks;
  for (const [t, ack] of a.model.taskAcks) if (ack && ack.frame === fr && tasks.conn[t] === conn) out.push(tasks.row[t]);
  return [...new Set(out)].sort((x, y) => x - y);
}
