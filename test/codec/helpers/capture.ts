// Test-only helpers: a minimal classic-pcap reader (Ethernet / IPv4 / TCP), per-direction TCP
// reassembly, a PDU walker, and the Wireshark reference rows (captures/*.tshark.tsv).
// Deliberately independent of src/ except for the codec under test.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bhsDataSegmentLength, decodePdu, pduLength, textKey } from '../../../src/codec/index.ts';
import type { Pdu } from '../../../src/codec/index.ts';
import { readTsv as readTsvAt } from '../../support/shared.ts';
import type { TsvRow } from '../../support/shared.ts';

export const CAPTURES = fileURLToPath(new URL('../../../../shared/captures/', import.meta.url));

/** Captures whose TCP streams start at the SYN and have no holes, so every PDU can be walked
 *  (their pducount.txt, an independent walk, agrees with Wireshark's PDU count). */
export const FULL_CAPTURES = [
  'basic-io.pcap', 'header-digest.pcap', 'initiator-ping-timeout.pcap', 'login-churn.pcap', 'nonstandard-port.pcap',
  'pcapng-nano.pcap', 'slow-target-abort.pcap', 'target-killed.pcap', 'target-nopin-answered.pcap',
  'target-nopin-unanswered.pcap', 'test-suite.pcap',
];

export interface TcpSegment {
  frame: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  flags: number;
  payload: Uint8Array;
}

/** Classic pcap (µs or ns, either byte order), link type 1 (Ethernet), IPv4, TCP. */
export function readTcpSegments(file: string): TcpSegment[] {
  const buf = readFileSync(CAPTURES + file);
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && dv.getUint32(0, false) !== 0xa1b2c3d4 && dv.getUint32(0, false) !== 0xa1b23c4d) throw new Error('not a pcap');
  if (dv.getUint32(20, le) !== 1) throw new Error('not Ethernet');
  const out: TcpSegment[] = [];
  let off = 24;
  let frame = 0;
  while (off + 16 <= b.length) {
    const incl = dv.getUint32(off + 8, le);
    const p = off + 16;
    frame++;
    off = p + incl;
    if (incl < 14 + 20 || b[p + 12] !== 0x08 || b[p + 13] !== 0x00) continue;
    const ip = p + 14;
    const ihl = (b[ip] & 0x0f) * 4;
    if (b[ip + 9] !== 6) continue;
    const totLen = (b[ip + 2] << 8) | b[ip + 3];
    const tcp = ip + ihl;
    const doff = (b[tcp + 12] >> 4) * 4;
    const payStart = tcp + doff;
    const payEnd = Math.min(ip + totLen, p + incl);
    out.push({
      frame,
      src: `${b[ip + 12]}.${b[ip + 13]}.${b[ip + 14]}.${b[ip + 15]}`,
      dst: `${b[ip + 16]}.${b[ip + 17]}.${b[ip + 18]}.${b[ip + 19]}`,
      sport: (b[tcp] << 8) | b[tcp + 1],
      dport: (b[tcp + 2] << 8) | b[tcp + 3],
      seq: dv.getUint32(tcp + 4, false),
      flags: b[tcp + 13],
      payload: payEnd > payStart ? b.subarray(payStart, payEnd) : new Uint8Array(0),
    });
  }
  return out;
}

export interface Stream {
  key: string;
  fromTarget: boolean;
  hasSyn: boolean;
  /** Contiguous bytes from the stream start (SYN + 1, or the lowest sequence number seen) to the first hole. */
  bytes: Uint8Array;
  /** Frame holding stream byte `offset`. */
  frameAt(offset: number): number;
}

export interface Connection {
  index: number;
  initiator: Stream;
  target: Stream;
}

function reassemble(key: string, segs: TcpSegment[], synSeq: number | undefined, fromTarget: boolean): Stream {
  const base = synSeq !== undefined ? (synSeq + 1) >>> 0 : Math.min(...segs.map((s) => s.seq));
  const rel = segs.filter((s) => s.payload.length > 0)
    .map((s) => ({ r: (s.seq - base) >>> 0, s }))
    .sort((a, b) => a.r - b.r || a.s.frame - b.s.frame);
  const pieces: { start: number; frame: number; data: Uint8Array }[] = [];
  let end = 0;
  for (const { r, s } of rel) {
    if (r + s.payload.length <= end) continue; // retransmission
    if (r > end) break; // hole
    const skip = end - r;
    pieces.push({ start: end, frame: s.frame, data: s.payload.subarray(skip) });
    end += s.payload.length - skip;
  }
  const bytes = new Uint8Array(end);
  for (const p of pieces) bytes.set(p.data, p.start);
  const starts = pieces.map((p) => p.start);
  return {
    key, fromTarget, hasSyn: synSeq !== undefined, bytes,
    frameAt(offset: number): number {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      return pieces[lo].frame;
    },
  };
}

/** TCP connections on the given target ports, in order of first packet. */
export function connections(file: string, targetPorts: number[] = [3260, 3261]): Connection[] {
  const segs = readTcpSegments(file);
  const byConn = new Map<string, { i: TcpSegment[]; t: TcpSegment[]; synI?: number; synT?: number }>();
  for (const s of segs) {
    const toTarget = targetPorts.includes(s.dport);
    const fromTarget = targetPorts.includes(s.sport);
    if (!toTarget && !fromTarget) continue;
    const id = toTarget ? `${s.src}:${s.sport}>${s.dst}:${s.dport}` : `${s.dst}:${s.dport}>${s.src}:${s.sport}`;
    let c = byConn.get(id);
    if (c === undefined) {
      c = { i: [], t: [] };
      byConn.set(id, c);
    }
    if (toTarget) {
      c.i.push(s);
      if (s.flags & 0x02) c.synI = s.seq;
    } else {
      c.t.push(s);
      if (s.flags & 0x02) c.synT = s.seq;
    }
  }
  const out: Connection[] = [];
  for (const [id, c] of byConn) {
    if (c.i.length === 0 || c.t.length === 0) continue;
    out.push({
      index: out.length,
      initiator: reassemble(`${id} I>T`, c.i, c.synI, false),
      target: reassemble(`${id} T>I`, c.t, c.synT, true),
    });
  }
  return out;
}

export interface WalkedPdu {
  stream: Stream;
  /** Stream offset of the BHS. */
  offset: number;
  /** Frame holding the PDU's last byte, and its index among the PDUs ending in that frame. */
  frame: number;
  pduInFrame: number;
  headerDigest: boolean;
  dataDigest: boolean;
  pdu: Pdu;
}

// Walks one direction BHS by BHS from `start`; the negotiated digests switch on after the final
// Login PDU of that direction (T = 1, NSG = 3).
function walk(stream: Stream, start: number, hd: boolean, dd: boolean, out: WalkedPdu[]): void {
  let pos = start;
  let on = false;
  let lastFrame = -1;
  let inFrame = 0;
  const b = stream.bytes;
  while (b.length - pos >= 48) {
    const len = pduLength(b, pos, on && hd, on && dd);
    if (pos + len > b.length) break;
    const pdu = decodePdu(b, pos, len, { headerDigest: on && hd, dataDigest: on && dd });
    const frame = stream.frameAt(pos + len - 1);
    inFrame = frame === lastFrame ? inFrame + 1 : 0;
    lastFrame = frame;
    out.push({ stream, offset: pos, frame, pduInFrame: inFrame, headerDigest: on && hd, dataDigest: on && dd, pdu });
    if ((pdu.opcode === 0x03 || pdu.opcode === 0x23) && pdu.transit && pdu.nsg === 3) on = true;
    pos += len;
  }
}

/** Every complete PDU of a capture that starts at the streams' beginnings (SYN seen), with digests as
 *  negotiated in the Login Responses. */
export function walkCapture(file: string, targetPorts?: number[]): WalkedPdu[] {
  const out: WalkedPdu[] = [];
  for (const c of connections(file, targetPorts)) {
    // Login PDUs carry no digests: read the target's Login Responses to learn what was negotiated.
    let hd = false;
    let dd = false;
    const b = c.target.bytes;
    for (let pos = 0; b.length - pos >= 48;) {
      const pdu = decodePdu(b, pos, b.length - pos);
      if (pdu.opcode !== 0x23) break;
      if (textKey(pdu.keys, 'HeaderDigest') !== undefined) hd = textKey(pdu.keys, 'HeaderDigest') === 'CRC32C';
      if (textKey(pdu.keys, 'DataDigest') !== undefined) dd = textKey(pdu.keys, 'DataDigest') === 'CRC32C';
      if (pdu.transit && pdu.nsg === 3) break;
      pos += 48 + pdu.totalAHSLength * 4 + ((bhsDataSegmentLength(b, pos) + 3) & ~3);
    }
    walk(c.initiator, 0, hd, dd, out);
    walk(c.target, 0, hd, dd, out);
  }
  return out;
}

export type { TsvRow } from '../../support/shared.ts';

/** Wireshark's reference decode of a shared capture: one row per PDU. */
export function readTsv(file: string): TsvRow[] {
  return readTsvAt(CAPTURES + file);
}
