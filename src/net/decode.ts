import type { TcpSegment } from './segment.ts';

/** Why a packet yielded no TCP segment; the engine counts these per kind. */
export const enum SkipReason {
  None = 0,
  UnsupportedLink = 1,
  NotIp = 2,
  NotTcp = 3,
  Truncated = 4,
  Fragment = 5,
  Malformed = 6,
  /** The IPv4 Total Length or IPv6 Payload Length claims more bytes than the packet had on the wire
   *  (its original length): a lie, not a snaplen cut. Only known where the caller gives that length. */
  LengthExceedsPacket = 7,
  /** More IPv6 extension headers than MAX_EXTENSION_HEADERS before the TCP header. */
  ExtensionHeaderLimit = 8,
}

/** IPv6 extension headers followed before giving up: RFC 8200 allows each kind once (twice for
 *  destination options), so a real packet has far fewer; a crafted one must not keep us walking. */
export const MAX_EXTENSION_HEADERS = 17;

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_OLD_A = 12;
export const LINKTYPE_RAW_OLD_B = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;

/** The link types this layer decodes; anything else is named to the user as unsupported. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_ETHERNET:
    case LINKTYPE_RAW_OLD_A:
    case LINKTYPE_RAW_OLD_B:
    case LINKTYPE_RAW:
    case LINKTYPE_LOOP:
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case LINKTYPE_LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

/**
 * Decode link, IP and TCP headers of one captured packet into `out` (reused: no allocation).
 * `len` is the captured length; the TCP payload's length on the wire comes from the IP header,
 * so a snaplen cut shows as `payloadLength < payloadWireLength`. `wireLen` is the packet's length
 * on the wire (the record's original length): where given, an IP length beyond it is reported as
 * LengthExceedsPacket instead of passing for a snaplen cut.
 */
export function decodeTcp(linkType: number, b: Uint8Array, off: number, len: number, out: TcpSegment, wireLen = -1): SkipReason {
  const end = off + len;

  let p = off;
  let etherType: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (len < 14) return SkipReason.Truncated;
      etherType = (b[p + 12] << 8) | b[p + 13];
      p += 14;
      // 802.1Q and QinQ: each tag is TPID (already read) + TCI, then the inner EtherType.
      while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD) {
        if (p + 4 > end) return SkipReason.Truncated;
        etherType = (b[p + 2] << 8) | b[p + 3];
        p += 4;
      }
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (len < 16) return SkipReason.Truncated;
      etherType = (b[p + 14] << 8) | b[p + 15];
      p += 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (len < 20) return SkipReason.Truncated;
      etherType = (b[p] << 8) | b[p + 1];
      p += 20;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (len < 4) return SkipReason.Truncated;
      // NULL stores the address family in the capturing host's byte order, LOOP in network order.
      const le = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
      const be = (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
      const family = linkType === LINKTYPE_LOOP ? be : (le >>> 0) < 256 ? le : be;
      p += 4;
      if (family === 2) etherType = ETHERTYPE_IPV4;
      else if (family === 10 || family === 24 || family === 28 || family === 30) etherType = ETHERTYPE_IPV6;
      else return SkipReason.NotIp;
      break;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_OLD_A:
    case LINKTYPE_RAW_OLD_B:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6: {
      if (len < 1) return SkipReason.Truncated;
      const v = b[p] >> 4;
      etherType = v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : 0;
      break;
    }
    default:
      return SkipReason.UnsupportedLink;
  }

  let tcp: number;
  let ipPayloadEnd: number; // end of the IP payload on the wire, relative to b (may exceed `end`)
  if (etherType === ETHERTYPE_IPV4) {
    if (p + 20 > end) return SkipReason.Truncated;
    if (b[p] >> 4 !== 4) return SkipReason.Malformed;
    const ihl = (b[p] & 0x0f) * 4;
    if (ihl < 20) return SkipReason.Malformed;
    if (b[p + 9] !== 6) return SkipReason.NotTcp;
    // Any fragment but the first carries no TCP header; the first alone carries a partial segment.
    const frag = ((b[p + 6] << 8) | b[p + 7]) & 0x3fff;
    if (frag !== 0) return SkipReason.Fragment;
    let total = (b[p + 2] << 8) | b[p + 3];
    // A zero total length is what TCP segmentation offload leaves in captures taken on the sender.
    if (total === 0) total = end - p;
    if (total < ihl) return SkipReason.Malformed;
    if (wireLen >= 0 && p + total > off + (wireLen > len ? wireLen : len)) return SkipReason.LengthExceedsPacket;
    out.ipVersion = 4;
    out.src0 = ((b[p + 12] << 24) | (b[p + 13] << 16) | (b[p + 14] << 8) | b[p + 15]) >>> 0;
    out.dst0 = ((b[p + 16] << 24) | (b[p + 17] << 16) | (b[p + 18] << 8) | b[p + 19]) >>> 0;
    out.src1 = out.src2 = out.src3 = out.dst1 = out.dst2 = out.dst3 = 0;
    tcp = p + ihl;
    ipPayloadEnd = p + total;
  } else if (etherType === ETHERTYPE_IPV6) {
    if (p + 40 > end) return SkipReason.Truncated;
    if (b[p] >> 4 !== 6) return SkipReason.Malformed;
    let payloadLen = (b[p + 4] << 8) | b[p + 5];
    if (payloadLen === 0) payloadLen = end - p - 40; // jumbogram or offload: trust the capture
    if (wireLen >= 0 && p + 40 + payloadLen > off + (wireLen > len ? wireLen : len)) return SkipReason.LengthExceedsPacket;
    out.ipVersion = 6;
    out.src0 = readU32(b, p + 8);
    out.src1 = readU32(b, p + 12);
    out.src2 = readU32(b, p + 16);
    out.src3 = readU32(b, p + 20);
    out.dst0 = readU32(b, p + 24);
    out.dst1 = readU32(b, p + 28);
    out.dst2 = readU32(b, p + 32);
    out.dst3 = readU32(b, p + 36);
    ipPayloadEnd = p + 40 + payloadLen;
    let next = b[p + 6];
    let q = p + 40;
    // Extension headers: hop-by-hop, routing, destination options, mobility (8-octet units) and
    // AH (4-octet units). A fragment header means the TCP segment is split: skip the packet.
    for (let hops = 0; next !== 6; hops++) {
      if (hops >= MAX_EXTENSION_HEADERS) return SkipReason.ExtensionHeaderLimit;
      if (next === 0 || next === 43 || next === 60 || next === 135) {
        if (q + 2 > end) return SkipReason.Truncated;
        next = b[q];
        q += (b[q + 1] + 1) * 8;
      } else if (next === 51) {
        if (q + 2 > end) return SkipReason.Truncated;
        next = b[q];
        q += (b[q + 1] + 2) * 4;
      } else if (next === 44) {
        return SkipReason.Fragment;
      } else {
        return SkipReason.NotTcp;
      }
    }
    tcp = q;
  } else {
    return SkipReason.NotIp;
  }

  if (tcp + 20 > end) return SkipReason.Truncated;
  const dataOffset = (b[tcp + 12] >> 4) * 4;
  if (dataOffset < 20) return SkipReason.Malformed;
  out.srcPort = (b[tcp] << 8) | b[tcp + 1];
  out.dstPort = (b[tcp + 2] << 8) | b[tcp + 3];
  out.seq = readU32(b, tcp + 4);
  out.ack = readU32(b, tcp + 8);
  out.flags = b[tcp + 13] | ((b[tcp + 12] & 1) << 8);
  out.window = (b[tcp + 14] << 8) | b[tcp + 15];
  const payload = tcp + dataOffset;
  if (dataOffset > 20) {
    readOptions(b, tcp + 20, payload < end ? payload : end, out);
  } else if (out.optionsRead) {
    clearOptions(out);
  }
  const wire = ipPayloadEnd - payload;
  if (wire < 0) return SkipReason.Malformed;
  out.payloadWireLength = wire;
  out.payloadOffset = payload;
  const captured = end - payload;
  out.payloadLength = captured < 0 ? 0 : captured < wire ? captured : wire;
  // The TCP header itself cut by the snaplen: ports and sequence are known, the payload is not.
  out.headerTruncated = payload > end;
  return SkipReason.None;
}

/** The options TCP analysis needs (RFC 9293 §3.1 layout: kind, length, value). A malformed option
 *  ends the walk, as in Wireshark; what was read before it stands. */
function readOptions(b: Uint8Array, p: number, end: number, out: TcpSegment): void {
  clearOptions(out);
  out.optionsRead = true;
  while (p < end) {
    const kind = b[p];
    if (kind === 0) return; // End of Option List
    if (kind === 1) { p++; continue; } // No-Operation
    if (p + 1 >= end) return;
    const n = b[p + 1];
    if (n < 2 || p + n > end) return;
    switch (kind) {
      case 2: if (n === 4) out.mss = (b[p + 2] << 8) | b[p + 3]; break;
      case 3: if (n === 3) out.windowScale = b[p + 2] > 14 ? 14 : b[p + 2]; break;
      case 4: out.sackPermitted = true; break;
      case 5: out.sackBlocks = (n - 2) >> 3; break;
      default: break;
    }
    p += n;
  }
}

function clearOptions(out: TcpSegment): void {
  out.windowScale = -1;
  out.mss = -1;
  out.sackPermitted = false;
  out.sackBlocks = 0;
  out.optionsRead = false;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
