import { describe, expect, test } from 'vitest';
import { PcapWriter } from '../../src/capture/index.ts';
import { encodePdu } from '../../src/codec/index.ts';
import { buildTcpFrame, decodeTcp, formatAddress, MAX_EXTENSION_HEADERS, newTcpSegment, SkipReason, tcpOptions, TCP_ACK, TCP_PSH, TCP_SYN } from '../../src/net/index.ts';
import { analyzeBytes } from '../support/analyze.ts';

/** Link, IP and TCP decoding over every link type the product reads. Frames are built here. */

const payload = encodePdu({ opcode: 0x00, itt: 7, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1 });
const v4 = { src: 0x0a000001, dst: 0x0a000002, srcPort: 40000, dstPort: 3260, seq: 1234, ack: 99, flags: TCP_ACK | TCP_PSH, payload };
const ip6src = Uint8Array.from([0xfe, 0x80, ...Array(13).fill(0), 1]);
const ip6dst = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2]);

/** The IP packet inside an Ethernet frame built by buildTcpFrame. */
function ipPacket(spec: Parameters<typeof buildTcpFrame>[0]): Uint8Array {
  return buildTcpFrame(spec).subarray(14);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function expectNop(linkType: number, frame: Uint8Array, ipVersion: 4 | 6 = 4): void {
  const s = newTcpSegment();
  expect(decodeTcp(linkType, frame, 0, frame.length, s)).toBe(SkipReason.None);
  expect(s).toMatchObject({ ipVersion, srcPort: 40000, dstPort: 3260, seq: 1234, ack: 99, payloadLength: 48, payloadWireLength: 48 });
  expect(Array.from(frame.subarray(s.payloadOffset, s.payloadOffset + 48))).toEqual(Array.from(payload));
}

describe('link layers', () => {
  test('Ethernet II', () => expectNop(1, buildTcpFrame(v4)));

  test('802.1Q VLAN tag', () => expectNop(1, buildTcpFrame({ ...v4, vlans: [100] })));

  test('QinQ (802.1ad outer tag 0x88a8, then 802.1Q)', () => {
    const f = buildTcpFrame({ ...v4, vlans: [100, 200] });
    f[12] = 0x88; f[13] = 0xa8;
    expectNop(1, f);
  });

  test('Linux cooked capture v1 (tcpdump -i any)', () => {
    const sll = new Uint8Array(16);
    sll[1] = 4; // sent by us
    sll[3] = 1; // ARPHRD_ETHER
    sll[5] = 6;
    sll[14] = 0x08; sll[15] = 0x00;
    expectNop(113, concat(sll, ipPacket(v4)));
  });

  test('Linux cooked capture v2', () => {
    const sll2 = new Uint8Array(20);
    sll2[0] = 0x86; sll2[1] = 0xdd; // protocol first
    sll2[9] = 1;
    expectNop(276, concat(sll2, ipPacket({ ...v4, src: ip6src, dst: ip6dst })), 6);
  });

  test('raw IPv4 and raw IPv6 (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6)', () => {
    expectNop(101, ipPacket(v4));
    expectNop(228, ipPacket(v4));
    expectNop(101, ipPacket({ ...v4, src: ip6src, dst: ip6dst }), 6);
    expectNop(229, ipPacket({ ...v4, src: ip6src, dst: ip6dst }), 6);
  });

  test('BSD null/loopback: family in host byte order; OpenBSD loop: network order', () => {
    expectNop(0, concat(Uint8Array.of(2, 0, 0, 0), ipPacket(v4)));
    expectNop(0, concat(Uint8Array.of(0, 0, 0, 2), ipPacket(v4)));
    expectNop(0, concat(Uint8Array.of(30, 0, 0, 0), ipPacket({ ...v4, src: ip6src, dst: ip6dst })), 6);
    expectNop(108, concat(Uint8Array.of(0, 0, 0, 2), ipPacket(v4)));
  });

  test('an unsupported link type is said to be so', () => {
    const s = newTcpSegment();
    expect(decodeTcp(127, buildTcpFrame(v4), 0, 80, s)).toBe(SkipReason.UnsupportedLink);
  });
});

describe('IP and TCP', () => {
  test('IPv4 options are skipped by IHL', () => {
    const ip = ipPacket(v4);
    const withOpts = concat(ip.subarray(0, 20), Uint8Array.of(1, 1, 1, 0), ip.subarray(20));
    withOpts[0] = 0x46;
    const total = ((withOpts[2] << 8) | withOpts[3]) + 4;
    withOpts[2] = total >> 8; withOpts[3] = total & 255;
    expectNop(101, withOpts);
  });

  test('IPv6 extension headers (hop-by-hop, destination options) are skipped', () => {
    const ip = ipPacket({ ...v4, src: ip6src, dst: ip6dst });
    const hop = Uint8Array.of(60, 0, 1, 4, 0, 0, 0, 0); // next: destination options, 8 bytes
    const dest = Uint8Array.of(6, 0, 1, 4, 0, 0, 0, 0); // next: TCP
    const out = concat(ip.subarray(0, 40), hop, dest, ip.subarray(40));
    out[6] = 0; // next header: hop-by-hop
    const plen = ((out[4] << 8) | out[5]) + 16;
    out[4] = plen >> 8; out[5] = plen & 255;
    expectNop(101, out, 6);
  });

  test('non-first IPv4 fragments and non-TCP packets are skipped with their reason', () => {
    const s = newTcpSegment();
    const frag = ipPacket(v4);
    frag[6] = 0x00; frag[7] = 0x10; // fragment offset 16
    expect(decodeTcp(101, frag, 0, frag.length, s)).toBe(SkipReason.Fragment);
    const udp = ipPacket(v4);
    udp[9] = 17;
    expect(decodeTcp(101, udp, 0, udp.length, s)).toBe(SkipReason.NotTcp);
    const arp = buildTcpFrame(v4);
    arp[12] = 0x08; arp[13] = 0x06;
    expect(decodeTcp(1, arp, 0, arp.length, s)).toBe(SkipReason.NotIp);
  });

  test('a snaplen cut shows as payload on the wire beyond what was captured', () => {
    const f = buildTcpFrame(v4);
    const s = newTcpSegment();
    expect(decodeTcp(1, f, 0, 14 + 20 + 20 + 10, s)).toBe(SkipReason.None);
    expect(s).toMatchObject({ payloadLength: 10, payloadWireLength: 48, headerTruncated: false });
  });

  test('an IP length beyond what the packet had on the wire is a lie, not a snaplen cut', () => {
    const f = buildTcpFrame(v4); // 14 + 20 + 20 + 48 bytes
    const s = newTcpSegment();
    // Captured 64 of 102 bytes that were on the wire: a snaplen cut.
    expect(decodeTcp(1, f, 0, 64, s, f.length)).toBe(SkipReason.None);
    expect(s).toMatchObject({ payloadLength: 10, payloadWireLength: 48 });
    // The IPv4 Total Length claims 100 bytes more than the wire had.
    const lie = f.slice();
    const total = ((lie[16] << 8) | lie[17]) + 100;
    lie[16] = total >> 8; lie[17] = total & 255;
    expect(decodeTcp(1, lie, 0, lie.length, s, lie.length)).toBe(SkipReason.LengthExceedsPacket);
    // Without the wire length (older callers) it still reads as a cut.
    expect(decodeTcp(1, lie, 0, lie.length, s)).toBe(SkipReason.None);
    expect(s.payloadWireLength).toBe(148);
    // IPv6 Payload Length likewise.
    const f6 = buildTcpFrame({ ...v4, src: ip6src, dst: ip6dst });
    expect(decodeTcp(1, f6, 0, 80, s, f6.length)).toBe(SkipReason.None);
    const lie6 = f6.slice();
    lie6[14 + 4] = 0x02; // payload length 512 + …
    expect(decodeTcp(1, lie6, 0, lie6.length, s, lie6.length)).toBe(SkipReason.LengthExceedsPacket);
  });

  test(`IPv6: ${MAX_EXTENSION_HEADERS} extension headers are followed, one more is its own skip reason`, () => {
    const ip = ipPacket({ ...v4, src: ip6src, dst: ip6dst });
    const chain = (n: number): Uint8Array => {
      const hops: Uint8Array[] = [];
      for (let i = 0; i < n; i++) hops.push(Uint8Array.of(i === n - 1 ? 6 : 60, 0, 1, 4, 0, 0, 0, 0));
      const out = concat(ip.subarray(0, 40), ...hops, ip.subarray(40));
      out[6] = 60;
      const plen = ((ip[4] << 8) | ip[5]) + 8 * n;
      out[4] = plen >> 8; out[5] = plen & 255;
      return out;
    };
    expectNop(101, chain(MAX_EXTENSION_HEADERS), 6);
    const s = newTcpSegment();
    const over = chain(MAX_EXTENSION_HEADERS + 1);
    expect(decodeTcp(101, over, 0, over.length, s)).toBe(SkipReason.ExtensionHeaderLimit);
  });

  test('the window and the SYN options TCP analysis needs', () => {
    const s = newTcpSegment();
    const syn = buildTcpFrame({ ...v4, flags: TCP_SYN, payload: undefined, window: 29200, options: tcpOptions({ mss: 1460, sackPermitted: true, windowScale: 7 }) });
    expect(decodeTcp(1, syn, 0, syn.length, s)).toBe(SkipReason.None);
    expect(s).toMatchObject({ window: 29200, mss: 1460, sackPermitted: true, windowScale: 7, sackBlocks: 0, payloadWireLength: 0 });
    // RFC 7323: a shift above 14 is taken as 14. SACK: two blocks of 8 bytes.
    const odd = buildTcpFrame({ ...v4, options: Uint8Array.of(1, 3, 3, 20, 5, 18, ...new Array<number>(16).fill(0)) });
    expect(decodeTcp(1, odd, 0, odd.length, s)).toBe(SkipReason.None);
    expect(s).toMatchObject({ windowScale: 14, sackBlocks: 2, mss: -1, sackPermitted: false, payloadLength: 48 });
    // A malformed option ends the walk; what was read before it stands.
    const bad = buildTcpFrame({ ...v4, options: Uint8Array.of(2, 4, 5, 180, 3, 1, 7, 0) });
    expect(decodeTcp(1, bad, 0, bad.length, s)).toBe(SkipReason.None);
    expect(s).toMatchObject({ mss: 1460, windowScale: -1 });
  });

  test('addresses print as people write them', () => {
    expect(formatAddress(4, 0x7f000001, 0, 0, 0)).toBe('127.0.0.1');
    expect(formatAddress(6, 0xfe800000, 0, 0, 1)).toBe('fe80::1');
    expect(formatAddress(6, 0x20010db8, 0, 1, 0)).toBe('2001:db8::1:0:0'); // RFC 5952: the longest zero run goes
  });
});

test('a Linux cooked capture runs through the whole engine', () => {
  const w = new PcapWriter({ linkType: 113 });
  const sll = new Uint8Array(16);
  sll[14] = 0x08;
  w.addPacket(1_700_000_000, 0, concat(sll, ipPacket(v4)));
  const { pdus, analysis } = analyzeBytes(w.toBytes());
  expect(analysis.capture.linkTypes).toEqual([{ linkType: 113, name: expect.any(String), packets: 1, supported: true }]);
  expect(pdus.map((p) => [p.name, p.itt, p.dir])).toEqual([['NOP-Out', 7, 'I>T']]);
});

test('a capture of a link type we cannot read says so, naming it', () => {
  const w = new PcapWriter({ linkType: 127 });
  w.addPacket(1_700_000_000, 0, new Uint8Array(80));
  const { analysis } = analyzeBytes(w.toBytes());
  expect(analysis.error).toEqual({
    kind: 'unsupported-link-type',
    message: 'This is a pcap file with link type 127 (IEEE 802.11 radiotap); no TCP found (readable link types: Ethernet, Linux cooked v1/v2, raw IP, BSD loopback)',
  });
});
