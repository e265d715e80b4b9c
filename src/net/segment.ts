export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** One decoded TCP segment. A single object is reused for every packet; copy what you keep.
 *  Addresses are 32-bit words: IPv4 uses src0/dst0 only, IPv6 all four. */
export interface TcpSegment {
  ipVersion: 4 | 6;
  src0: number; src1: number; src2: number; src3: number;
  dst0: number; dst1: number; dst2: number; dst3: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 … NS 0x100). */
  flags: number;
  /** The window field as sent (not scaled: the scale factor is known only from the handshake). */
  window: number;
  /** Window Scale option (RFC 7323) shift count, capped at 14 as the RFC says; -1 when absent. */
  windowScale: number;
  /** Maximum Segment Size option; -1 when absent. */
  mss: number;
  /** SACK-Permitted option present (RFC 2018). */
  sackPermitted: boolean;
  /** Number of SACK blocks in a SACK option (0 when none). */
  sackBlocks: number;
  /** The options above were read from this segment's header (false: it had none, all unset). */
  optionsRead: boolean;
  /** Where the captured payload starts in the packet buffer. */
  payloadOffset: number;
  /** Payload bytes present in the capture. */
  payloadLength: number;
  /** Payload bytes on the wire (from the IP length); more than payloadLength when the snaplen cut it. */
  payloadWireLength: number;
  /** The snaplen cut into the TCP header; ports and sequence are valid, options may not be. */
  headerTruncated: boolean;
}

export function newTcpSegment(): TcpSegment {
  return {
    ipVersion: 4, src0: 0, src1: 0, src2: 0, src3: 0, dst0: 0, dst1: 0, dst2: 0, dst3: 0,
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, windowScale: -1, mss: -1, sackPermitted: false, sackBlocks: 0, optionsRead: false,
    payloadOffset: 0, payloadLength: 0, payloadWireLength: 0, headerTruncated: false,
  };
}

/** Text form of an endpoint address, as a person reads it ("10.0.0.1", "fe80::1"). */
export function formatAddress(version: 4 | 6, w0: number, w1: number, w2: number, w3: number): string {
  if (version === 4) return `${w0 >>> 24}.${(w0 >>> 16) & 255}.${(w0 >>> 8) & 255}.${w0 & 255}`;
  const groups = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // RFC 5952: compress the longest run (≥ 2) of zero groups.
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * An IPv4 or IPv6 address in text (as formatAddress writes it, or any RFC 4291 form without a zone)
 * as the four words TcpSegment holds; undefined for anything else (a host name).
 */
export function parseAddress(text: string): { version: 4 | 6; words: [number, number, number, number] } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    return { version: 4, words: [((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0, 0, 0, 0] };
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes('.')) {
        const tail = parseAddress(part);
        if (!tail || tail.version !== 4) return undefined;
        out.push(tail.words[0] >>> 16, tail.words[0] & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const g = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const w = (i: number): number => ((g[i * 2] << 16) | g[i * 2 + 1]) >>> 0;
  return { version: 6, words: [w(0), w(1), w(2), w(3)] };
}
