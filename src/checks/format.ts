import { explainErrorCode, scsiCommandName } from '../codec/index.ts';
import { formatMs } from '../text/index.ts';
import { deadline, round3 } from '../sessions/index.ts';
import type { Deadline, EndEvent, PduMoment, TcpAck } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import type { Finding, Severity } from './types.ts';

/** Milliseconds between two capture times (seconds), to the microsecond; never negative. */
export function msBetween(from: number, to: number): number {
  return Math.max(0, round3((to - from) * 1000));
}

/** "READ(16)" from CDB bytes 0 and 1 (bytes 1 name the service action of 0x9e, 0xa3 …). */
export function commandName(op: number, cdb1: number): string {
  return scsiCommandName(Uint8Array.of(op, cdb1));
}

/** How the wait ended, in words: "the initiator closed the connection (FIN)". */
export function endWords(e: EndEvent): string {
  switch (e) {
    case 'initiator-fin': return 'the initiator closed the connection (FIN)';
    case 'initiator-reset': return 'the initiator reset the connection (RST)';
    case 'target-fin': return 'the target closed the connection (FIN)';
    case 'target-reset': return 'the target reset the connection (RST)';
    case 'capture-end': return 'the capture ended';
  }
}

/** "ISCSI_ERR_NOP_TIMEDOUT (1022)" from the codec's table of kernel errors. */
export function linuxError(code: number): string {
  const e = explainErrorCode(code);
  return e === undefined ? `error ${code}` : `${e.errorName} (${code})`;
}

/** What the target's TCP did with a request iSCSI did not answer (the model's TcpAck), as a finding's keys. */
export interface TcpAckDetails {
  tcpAcked?: boolean;
  tcpAckFrame?: number;
  tcpAckedAfterMs?: number;
}

/**
 * The finding's keys for the model's TcpAck of a request iSCSI did not answer: taken and ignored
 * (the host was up, its iSCSI layer was not), or not even acknowledged (the host or the path was
 * gone). An ACK that came only after the wait ended (`until`) did not help the initiator: tcpAcked
 * is false, and tcpAckedAfterMs says when it came.
 */
export function tcpAckDetails(ack: TcpAck | undefined, sent: number, until: number): TcpAckDetails {
  if (ack === undefined) return {};
  if (ack === null) return { tcpAcked: false };
  if (ack.time <= until) return { tcpAcked: true, tcpAckFrame: ack.frame };
  return { tcpAcked: false, tcpAckFrame: ack.frame, tcpAckedAfterMs: msBetween(sent, ack.time) };
}

/** Those keys as a clause of the message ("" where TCP was not analysed). */
export function tcpAckText(d: TcpAckDetails, what: 'ping' | 'command' | 'request'): string {
  if (d.tcpAcked === undefined) return '';
  if (d.tcpAcked && d.tcpAckFrame !== undefined) {
    const layer = what === 'command' ? 'its iSCSI layer or backing store' : 'its iSCSI layer';
    return `; the target's TCP acknowledged the ${what} (frame ${d.tcpAckFrame}): the target host was up but ${layer} stopped answering`;
  }
  if (d.tcpAckFrame === undefined) return '; no TCP acknowledgement either: the target host or the network path stopped';
  return `; not even TCP acknowledged it before then — the target's TCP did only ${formatMs(d.tcpAckedAfterMs as number)} after it was sent (frame ${d.tcpAckFrame}): the target host or the network path stalled`;
}

/** Longest wire string (a name, a key) a message quotes. */
export const NAME_MAX = 160;

/** Frames sorted, without repeats or zeros. Takes an array: the lists can be long. */
export function frameList(frames: ReadonlyArray<number | undefined>): number[] {
  const set = new Set<number>();
  for (const f of frames) if (f !== undefined && f > 0) set.add(f);
  return [...set].sort((a, b) => a - b);
}

/** Where a finding is, and what it is about. */
export interface FindingPlace {
  conn?: number;
  conns?: number[];
  /** The frame of the PDU (or TCP segment) at fault; must be one of the finding's frames. */
  frame?: number;
  /** The one wrong field of that PDU, by its key in `pdus` output. */
  field?: string;
  /** The PDU table row of the PDU at fault (absent when it is a TCP segment or nothing). */
  row?: number;
  /** The model relations the finding reports (SessionModel.relations indices). */
  relation?: number | readonly number[];
}

/**
 * Which model relations each finding reports, and the row at fault: read by the runner once the
 * findings are sorted, and then let go (kept, they cost ~260 bytes a finding).
 */
export const relationOf = new WeakMap<Finding, readonly number[]>();
export const rowOf = new WeakMap<Finding, number>();

/**
 * A message made each time it is read — by `findings --json`, the page, an incident — from the
 * finding's own keys and `source`, a record the model holds anyway. A message is ~250 characters,
 * UTF-16 for its em dash: held as a string it was half of what a finding cost (a million
 * unanswered pings held a million of them). `render` is a module-level function, never a closure
 * made per finding.
 */
export interface LazyMessage<S> {
  render(f: Finding, source: S): string;
  source: S;
}

export function lazyMessage<S>(render: (f: Finding, source: S) => string, source: S): LazyMessage<S> {
  return { render, source };
}

const RENDER = Symbol('render');
const SOURCE = Symbol('source');
type Rendered = Finding & { [RENDER]: (f: Finding, source: unknown) => string; [SOURCE]: unknown };

function readMessage(this: Rendered): string {
  return this[RENDER](this, this[SOURCE]);
}

/** Assigning a message makes it a plain string again. */
function writeMessage(this: Finding, value: string): void {
  Object.defineProperty(this, 'message', { value, writable: true, enumerable: true, configurable: true });
}

// One descriptor, one getter for every finding: objects built alike share their hidden class, so
// the accessor costs nothing per finding. Own and enumerable, so JSON, spread and structured clone
// (the page) see `message` where it always was.
const MESSAGE: PropertyDescriptor = { get: readMessage, set: writeMessage, enumerable: true, configurable: true };

/** A finding with the common keys first, then the kind's details (undefined ones left out). */
export function finding(
  kind: string, severity: Severity, where: FindingPlace, time: number, frames: number[],
  message: string | LazyMessage<unknown>, details: Record<string, unknown>,
): Finding {
  const f = { kind, severity } as Finding;
  if (where.conn !== undefined) f.conn = where.conn;
  if (where.conns !== undefined) f.conns = where.conns;
  f.time = time;
  f.frames = frames;
  if (where.frame !== undefined && where.frame > 0) f.frame = where.frame;
  else if (frames.length > 0) f.frame = frames[0];
  if (where.field !== undefined) f.field = where.field;
  if (typeof message === 'string') f.message = message;
  else {
    Object.defineProperty(f, 'message', MESSAGE);
    Object.defineProperty(f, RENDER, { value: message.render });
    Object.defineProperty(f, SOURCE, { value: message.source });
  }
  for (const [k, v] of Object.entries(details)) if (v !== undefined) f[k] = v;
  if (where.relation !== undefined) {
    const list = (typeof where.relation === 'number' ? [where.relation] : where.relation).filter((r) => r >= 0);
    if (list.length) relationOf.set(f, list);
  }
  if (where.row !== undefined && where.row >= 0) rowOf.set(f, where.row);
  return f;
}

/**
 * A finding kind a capture can hold millions of (a NOP-Out ping every few seconds for days), made
 * as an object whose every key is an accessor that computes its value, when read, from `source` (a
 * record the model holds anyway) and `context` (one object a check run shares): the finding itself
 * holds two references. Built alike, such findings share their hidden class and its accessors, so a
 * finding costs ~20 bytes instead of ~250 (its keys, a frames array, boxed numbers). JSON, spread
 * and structured clone (the page) read own enumerable accessors like data; a key whose value is
 * undefined is left out, as finding() leaves it out. Assigning a key makes it a plain value.
 */
export interface DerivedKey<S, C> {
  key: string;
  get: (source: S, context: C, f: Finding) => unknown;
  /** Always present: not evaluated to decide (the message, which reads the other keys). */
  always?: true;
}

const CONTEXT = Symbol('context');
type Derived<S, C> = Finding & { [SOURCE]: S; [CONTEXT]: C; [PLACE]: DerivedPlace<S> };

/** The row at fault and the relation a derived finding reports, read from its source by the runner. */
interface DerivedPlace<S> {
  row: (source: S) => number;
  relation: (source: S) => number;
}

const PLACE = Symbol('place');

/** The model relations a finding reports (the runner reads them once the findings are sorted). */
export function relationsOf(f: Finding): readonly number[] | undefined {
  const place = (f as Partial<Derived<unknown, unknown>>)[PLACE];
  if (place === undefined) return relationOf.get(f);
  const r = place.relation((f as Derived<unknown, unknown>)[SOURCE]);
  return r >= 0 ? [r] : undefined;
}

/** The PDU table row at fault (-1: a TCP segment, or none). */
export function faultRowOf(f: Finding): number {
  const place = (f as Partial<Derived<unknown, unknown>>)[PLACE];
  if (place === undefined) return rowOf.get(f) ?? -1;
  const r = place.row((f as Derived<unknown, unknown>)[SOURCE]);
  return r >= 0 ? r : -1;
}

/** Let go of what the runner read (the side tables of findings made by finding()). */
export function forgetPlace(f: Finding): void {
  relationOf.delete(f);
  rowOf.delete(f);
}

export function derivedFinding<S, C>(keys: ReadonlyArray<DerivedKey<S, C>>, place: DerivedPlace<S>): (source: S, context: C) => Finding {
  if (keys.length > 31) throw new Error('a derived finding has at most 31 keys');
  const descriptors = keys.map(({ key, get }): PropertyDescriptor => ({
    get(this: Derived<S, C>) { return get(this[SOURCE], this[CONTEXT], this); },
    set(this: Finding, value: unknown) { Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true }); },
    enumerable: true,
    configurable: true,
  }));
  return (source, context) => {
    const f = {} as Derived<S, C>;
    Object.defineProperty(f, SOURCE, { value: source });
    Object.defineProperty(f, CONTEXT, { value: context });
    Object.defineProperty(f, PLACE, { value: place });
    for (let k = 0; k < keys.length; k++) {
      if (keys[k].always || keys[k].get(source, context, f) !== undefined) Object.defineProperty(f, keys[k].key, descriptors[k]);
    }
    return f;
  };
}

/** A model record of a request that waits for an answer: its connection, the PDU that opened it, its relation. */
export interface RequestRecord {
  conn: number;
  request: PduMoment;
  relation: number;
}

/** The request is the PDU at fault; its relation is what the finding reports. */
export const REQUEST_PLACE: DerivedPlace<RequestRecord> = { row: (r) => r.request.row, relation: (r) => r.relation };

/** Where a request's wait ended: the connection's give-up (FIN/RST), or the capture's end. */
export function requestDeadline(r: RequestRecord, ctx: CheckContext): Deadline {
  return deadline(ctx.model.connections[r.conn].end, r.request.frame, ctx.captureEnd);
}

/**
 * The keys finding() puts first, for a derived finding about a request: kind, severity, conn,
 * time, frames and the frame at fault (the request's; the first of the frames where it has none).
 */
export function requestKeys<S extends RequestRecord>(kind: string, severity: Severity, frames: (r: S, ctx: CheckContext) => number[]): Array<DerivedKey<S, CheckContext>> {
  return [
    { key: 'kind', get: () => kind },
    { key: 'severity', get: () => severity },
    { key: 'conn', get: (r) => r.conn },
    { key: 'time', get: (r) => r.request.time },
    { key: 'frames', get: frames },
    { key: 'frame', get: (r, ctx) => (r.request.frame > 0 ? r.request.frame : frames(r, ctx)[0]) },
  ];
}
