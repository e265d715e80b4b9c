import { DIGEST_PROOF } from '../../src/iscsi/index.ts';
import type { UnnegotiatedDigest } from '../../src/iscsi/index.ts';
import type { TsvRow } from '../support/shared.ts';

/**
 * Facts read from tshark's decode of a capture (the .tshark.tsv rows lab/reference.py writes, one per
 * PDU): what the framer and the checks must find there. Nothing here looks at our own decode. The
 * `port` is the target's TCP port (its side of every connection).
 */

const hex = (v: string): number => parseInt(v, 16);
const FFFFFFFF = 0xffffffff;

/** a − b as RFC 1982 serial numbers (32-bit): positive when a is after b. */
function serialDiff(a: number, b: number): number {
  return ((a - b) | 0);
}

export function byStream(rows: TsvRow[]): Map<number, TsvRow[]> {
  const m = new Map<number, TsvRow[]>();
  for (const r of rows) {
    const s = Number(r['tcp.stream']);
    let list = m.get(s);
    if (!list) m.set(s, (list = []));
    list.push(r);
  }
  return m;
}

export const frameOf = (r: TsvRow): number => Number(r['frame.number']);
export const opcodeOf = (r: TsvRow): number => hex(r['iscsi.opcode']);
export const isFromTarget = (r: TsvRow, port: number): boolean => Number(r['tcp.srcport']) === port;
const isLogin = (r: TsvRow): boolean => opcodeOf(r) === 0x03 || opcodeOf(r) === 0x23;

function keys(r: TsvRow): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of (r['iscsi.keyvalue'] ?? '').split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** The final Login Response of a stream (T=1, NSG=3, status 0): the login completed. */
function loginDone(rows: TsvRow[]): TsvRow | undefined {
  return rows.find((r) => opcodeOf(r) === 0x23 && r['iscsi.login.T'] === '1' && hex(r['iscsi.login.nsg']) === 3 && hex(r['iscsi.login.status']) === 0);
}

/** What the login agreed for a digest (RFC 7143 §6.2: the target's answer; an offer it did not answer
 *  counts when it names one value; anything but CRC32C — None, Reject — means no digest). */
function agreed(rows: TsvRow[], key: 'HeaderDigest' | 'DataDigest', port: number): 'None' | 'CRC32C' {
  let answer: string | undefined;
  let offer: string | undefined;
  for (const r of rows) {
    if (!isLogin(r)) continue;
    const v = keys(r).get(key);
    if (v === undefined) continue;
    if (isFromTarget(r, port)) answer = v; else offer = v;
  }
  const v = answer !== undefined && !answer.includes(',') ? answer : offer !== undefined && !offer.includes(',') ? offer : 'None';
  return v === 'CRC32C' ? 'CRC32C' : 'None';
}

/**
 * Where a side sends other digests than its login agreed, as tshark shows each PDU (iscsi.headerdigest32
 * / iscsi.datadigest32 present or not): one entry per stream, side and digest whose every PDU differs
 * from the agreement. `pdus` is how many PDUs in a row prove it (the framer's rule: DIGEST_PROOF, or
 * all the side sent when fewer).
 */
export function unnegotiatedDigests(rows: TsvRow[], port: number): Map<number, UnnegotiatedDigest[]> {
  const out = new Map<number, UnnegotiatedDigest[]>();
  for (const [stream, list] of byStream(rows)) {
    const found: UnnegotiatedDigest[] = [];
    const done = loginDone(list);
    if (done) {
      const after = list.filter((r) => frameOf(r) > frameOf(done) && !isLogin(r));
      for (const which of ['header', 'data'] as const) {
        const negotiated = agreed(list, which === 'header' ? 'HeaderDigest' : 'DataDigest', port);
        const col = which === 'header' ? 'iscsi.headerdigest32' : 'iscsi.datadigest32';
        for (const by of ['initiator', 'target'] as const) {
          const pdus = after.filter((r) => isFromTarget(r, port) === (by === 'target') && (which === 'header' || Number(r['iscsi.datasegmentlength']) > 0));
          if (pdus.length === 0) continue;
          const shown = pdus.filter((r) => r[col] !== '').length;
          if (shown !== 0 && shown !== pdus.length) throw new Error(`stream ${stream}: the ${by} sends ${which} digests on ${shown} of ${pdus.length} PDUs`);
          const sent = shown ? 'CRC32C' : 'None';
          if (sent !== negotiated) found.push({ which, by, negotiated, sent, fromFrame: frameOf(pdus[0]), pdus: Math.min(pdus.length, DIGEST_PROOF) });
        }
      }
    }
    out.set(stream, found);
  }
  return out;
}

export interface ImmediateCounted {
  stream: number;
  /** The immediate request the target counted, and its CmdSN. */
  requestFrame: number;
  requestOpcode: number;
  cmdSN: number;
  /** The first target PDU whose ExpCmdSN counts it. */
  frame: number;
  expCmdSN: number;
  /** The highest CmdSN a non-immediate command used before (undefined: none since the login). */
  highestCmdSN: number | undefined;
}

/**
 * Target PDUs whose ExpCmdSN runs past every CmdSN the initiator has used (RFC 7143 §4.2.2.1: an
 * immediate command does not advance CmdSN): the first such PDU for each immediate request counted.
 */
export function immediateCounted(rows: TsvRow[], port: number): ImmediateCounted[] {
  const out: ImmediateCounted[] = [];
  for (const [stream, list] of byStream(rows)) {
    const done = loginDone(list);
    if (!done) continue;
    // The first command after the login carries the login's ExpCmdSN; the target may expect no more.
    let expectedMax = Number(done['iscsi.expcmdsn']);
    let highest: number | undefined;
    const immediates: TsvRow[] = [];
    const counted = new Set<TsvRow>();
    for (const r of list) {
      if (frameOf(r) <= frameOf(done) || isLogin(r)) continue;
      if (!isFromTarget(r, port)) {
        if (r['iscsi.cmdsn'] === '') continue;
        const cmdSN = Number(r['iscsi.cmdsn']);
        if (r['iscsi.I'] === '1') immediates.push(r);
        else {
          highest = highest === undefined || serialDiff(cmdSN, highest) > 0 ? cmdSN : highest;
          if (serialDiff(cmdSN + 1, expectedMax) > 0) expectedMax = (cmdSN + 1) >>> 0;
        }
        continue;
      }
      if (r['iscsi.expcmdsn'] === '') continue;
      const exp = Number(r['iscsi.expcmdsn']);
      if (serialDiff(exp, expectedMax) <= 0) continue;
      const req = [...immediates].reverse().find((q) => ((Number(q['iscsi.cmdsn']) + 1) >>> 0) === exp && frameOf(q) < frameOf(r));
      if (req && !counted.has(req)) {
        counted.add(req);
        out.push({ stream, requestFrame: frameOf(req), requestOpcode: opcodeOf(req), cmdSN: Number(req['iscsi.cmdsn']), frame: frameOf(r), expCmdSN: exp, highestCmdSN: highest });
      }
    }
  }
  return out;
}

/** A target PDU that consumes a StatSN (RFC 7143 §11: every response but an R2T, a NOP-In that
 *  answers nothing and a Data-In without status; Login Responses start the count). */
function consumesStatSN(r: TsvRow): boolean {
  const op = opcodeOf(r);
  if (op === 0x25) return (hex(r['iscsi.flags'] || '0') & 0x01) !== 0;
  if (op === 0x20) return hex(r['iscsi.initiatortasktag']) !== FFFFFFFF;
  return op === 0x21 || op === 0x22 || op === 0x23 || op === 0x24 || op === 0x26 || op === 0x3f || op === 0x32;
}

export interface StatSnSwap {
  stream: number;
  /** Two status PDUs in wire order whose StatSNs are each other's: [a + 2, a + 1] after a. */
  frames: [number, number];
  statSNs: [number, number];
}

/** Status PDUs sent out of StatSN order, pair by pair (nothing missing: two were swapped). */
export function statSnSwaps(rows: TsvRow[], port: number): StatSnSwap[] {
  const out: StatSnSwap[] = [];
  for (const [stream, list] of byStream(rows)) {
    const st = list.filter((r) => isFromTarget(r, port) && consumesStatSN(r));
    for (let i = 1; i + 1 < st.length; i++) {
      const a = Number(st[i - 1]['iscsi.statsn']), b = Number(st[i]['iscsi.statsn']), c = Number(st[i + 1]['iscsi.statsn']);
      if (b === ((a + 2) >>> 0) && c === ((a + 1) >>> 0)) out.push({ stream, frames: [frameOf(st[i]), frameOf(st[i + 1])], statSNs: [b, c] });
    }
  }
  return out;
}

/** Streams whose status PDUs carry StatSN + 1 each time (nothing for a statsn-gap to find). */
export function statSnInOrder(rows: TsvRow[], port: number): Set<number> {
  const ok = new Set<number>();
  for (const [stream, list] of byStream(rows)) {
    const st = list.filter((r) => isFromTarget(r, port) && consumesStatSN(r)).map((r) => Number(r['iscsi.statsn']));
    if (st.every((v, i) => i === 0 || v === ((st[i - 1] + 1) >>> 0))) ok.add(stream);
  }
  return ok;
}

export interface Keepalive {
  stream: number;
  frame: number;
  statSN: number;
  /** StatSN of the next status PDU on the stream (undefined: none came). */
  nextStatSN: number | undefined;
  /** A NOP-Out echoing it came (it asks for none: TTT 0xffffffff). */
  answered: boolean;
}

/** Target NOP-Ins with ITT = TTT = 0xffffffff (RFC 7143 §11.19: no answer asked, StatSN not advanced). */
export function keepalives(rows: TsvRow[], port: number): Keepalive[] {
  const out: Keepalive[] = [];
  for (const [stream, list] of byStream(rows)) {
    list.forEach((r, i) => {
      if (!isFromTarget(r, port) || opcodeOf(r) !== 0x20) return;
      if (hex(r['iscsi.initiatortasktag']) !== FFFFFFFF || hex(r['iscsi.targettransfertag']) !== FFFFFFFF) return;
      const next = list.slice(i + 1).find((q) => isFromTarget(q, port) && consumesStatSN(q));
      const answered = list.slice(i + 1).some((q) => !isFromTarget(q, port) && opcodeOf(q) === 0x00 && hex(q['iscsi.initiatortasktag']) === FFFFFFFF && hex(q['iscsi.targettransfertag']) === FFFFFFFF);
      out.push({ stream, frame: frameOf(r), statSN: Number(r['iscsi.statsn']), nextStatSN: next ? Number(next['iscsi.statsn']) : undefined, answered });
    });
  }
  return out;
}

export interface TmfFact {
  stream: number;
  frame: number;
  fn: number;
  referencedTaskTag: number;
  /** The referenced command and whether its status was on the wire before the TMF's response. */
  commandFrame: number | undefined;
  statusFrame: number | undefined;
  responseFrame: number | undefined;
  response: number | undefined;
}

export function tmfs(rows: TsvRow[], port: number): TmfFact[] {
  const out: TmfFact[] = [];
  for (const [stream, list] of byStream(rows)) {
    for (const r of list) {
      if (opcodeOf(r) !== 0x02) continue;
      const itt = hex(r['iscsi.initiatortasktag']);
      const ref = hex(r['iscsi.taskmanfun.referencedtasktag']);
      const rsp = list.find((q) => opcodeOf(q) === 0x22 && hex(q['iscsi.initiatortasktag']) === itt);
      const cmd = list.find((q) => opcodeOf(q) === 0x01 && hex(q['iscsi.initiatortasktag']) === ref && frameOf(q) < frameOf(r));
      const status = cmd && list.find((q) => isFromTarget(q, port) && hex(q['iscsi.initiatortasktag']) === ref && consumesStatSN(q));
      out.push({
        stream, frame: frameOf(r), fn: hex(r['iscsi.taskmanfun.function']), referencedTaskTag: ref, commandFrame: cmd && frameOf(cmd),
        statusFrame: status && frameOf(status), responseFrame: rsp && frameOf(rsp), response: rsp ? hex(rsp['iscsi.taskmanfun.response']) : undefined,
      });
    }
  }
  return out;
}

/** SCSI commands with no status in their stream (as ../shared/lab/istgt/unanswered.py lists them). */
export function unansweredCommands(rows: TsvRow[], port: number): Array<{ stream: number; frame: number; itt: number }> {
  const out: Array<{ stream: number; frame: number; itt: number }> = [];
  for (const [stream, list] of byStream(rows)) {
    for (const r of list) {
      if (opcodeOf(r) !== 0x01) continue;
      const itt = hex(r['iscsi.initiatortasktag']);
      if (!list.some((q) => isFromTarget(q, port) && hex(q['iscsi.initiatortasktag']) === itt && (opcodeOf(q) === 0x21 || (opcodeOf(q) === 0x25 && consumesStatSN(q))))) {
        out.push({ stream, frame: frameOf(r), itt });
      }
    }
  }
  return out;
}

/** Streams of sessions whose login says SessionType=Discovery. */
export function discoveryStreams(rows: TsvRow[]): Set<number> {
  const s = new Set<number>();
  for (const r of rows) if (opcodeOf(r) === 0x03 && keys(r).get('SessionType') === 'Discovery') s.add(Number(r['tcp.stream']));
  return s;
}

/** Target names per stream (from the Login Request). */
export function targetNames(rows: TsvRow[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const r of rows) {
    const t = opcodeOf(r) === 0x03 ? keys(r).get('TargetName') : undefined;
    if (t !== undefined) m.set(Number(r['tcp.stream']), t);
  }
  return m;
}
