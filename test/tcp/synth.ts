import { PcapWriter } from '../../src/capture/index.ts';
import { buildTcpFrame, tcpOptions, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/net/index.ts';
import type { FrameSpec } from '../../src/net/index.ts';

/**
 * Hand-written TCP conversations for the edge cases real peers will not make on demand. Each is
 * deterministic (same bytes every time); test/fixtures/tcp/synthetic/ holds them with tshark's
 * reading beside them (tools/make-synthetic.ts writes both).
 */

const A = 0x0a000001; // 10.0.0.1, the initiator
const B = 0x0a000002; // 10.0.0.2, the target

export const ACK = TCP_ACK, SYN = TCP_SYN, FIN = TCP_FIN, RST = TCP_RST, PSH = TCP_PSH;

interface Seg {
  seq: number;
  ack?: number;
  flags?: number;
  len?: number;
  payload?: Uint8Array;
  window?: number;
  options?: Uint8Array;
  /** Seconds after the previous frame (default 1 ms). */
  dt?: number;
}

export class Script {
  private readonly w = new PcapWriter({ nanosecond: true });
  private t = 1_700_000_000;
  frames = 0;

  /** A segment from the initiator (port `port`) to the target's 3260, or back (`from: 'target'`). */
  seg(from: 'initiator' | 'target', port: number, s: Seg, targetPort = 3260): number {
    this.t += s.dt ?? 0.001;
    const payload = s.payload ?? (s.len ? new Uint8Array(s.len).fill(0x61) : undefined);
    const i = from === 'initiator';
    const spec: FrameSpec = {
      src: i ? A : B, dst: i ? B : A, srcPort: i ? port : targetPort, dstPort: i ? targetPort : port,
      seq: s.seq >>> 0, ack: (s.ack ?? 0) >>> 0, flags: s.flags ?? ACK, payload, window: s.window ?? 65535, options: s.options,
    };
    const sec = Math.floor(this.t);
    this.w.addPacket(sec, Math.round((this.t - sec) * 1e9), buildTcpFrame(spec));
    return ++this.frames;
  }

  bytes(): Uint8Array {
    return this.w.toBytes();
  }
}

const u = (x: number): number => x >>> 0;

/** Sequence numbers that wrap through 0, and a segment ending exactly at 0 (which Wireshark's
 *  analysis takes for "no sequence number seen yet"). */
function wraparound(): Uint8Array {
  const s = new Script();
  const ci = u(2 ** 32 - 3001), si = 0xffffffff; // the target's first data byte is sequence 0
  s.seg('initiator', 40000, { seq: ci, flags: SYN });
  s.seg('target', 40000, { seq: si, ack: ci + 1, flags: SYN | ACK });
  s.seg('initiator', 40000, { seq: ci + 1, ack: 0 });
  s.seg('initiator', 40000, { seq: u(2 ** 32 - 3000), ack: 0, len: 1000, flags: ACK | PSH });
  s.seg('initiator', 40000, { seq: u(2 ** 32 - 2000), ack: 0, len: 1000, flags: ACK | PSH });
  s.seg('initiator', 40000, { seq: u(2 ** 32 - 1000), ack: 0, len: 1000, flags: ACK | PSH }); // ends at 0
  s.seg('target', 40000, { seq: 0, ack: 0 }); // acknowledges all three: ACK number 0
  s.seg('initiator', 40000, { seq: 0, ack: 0, len: 1000, flags: ACK | PSH });
  s.seg('initiator', 40000, { seq: u(2 ** 32 - 1000), ack: 0, len: 1000, flags: ACK | PSH, dt: 0.3 }); // sent again
  s.seg('target', 40000, { seq: 0, ack: 1000 });
  s.seg('target', 40000, { seq: 0, ack: 1000, len: 100, flags: ACK | PSH });
  s.seg('initiator', 40000, { seq: 1000, ack: 100 });
  s.seg('initiator', 40000, { seq: 1000, ack: 100, flags: FIN | ACK });
  s.seg('target', 40000, { seq: 100, ack: 1001, flags: FIN | ACK });
  s.seg('initiator', 40000, { seq: 1001, ack: 101 });
  return s.bytes();
}

/** Window scaling from the handshake: scaled windows, a full window, a zero window, its probe,
 *  the probe's ACK and the window opening again. */
function windowScale(): Uint8Array {
  const s = new Script();
  const ci = 1000, si = 5000;
  s.seg('initiator', 40001, { seq: ci, flags: SYN, options: tcpOptions({ mss: 1460, sackPermitted: true, windowScale: 7 }) });
  s.seg('target', 40001, { seq: si, ack: ci + 1, flags: SYN | ACK, options: tcpOptions({ mss: 1460, sackPermitted: true, windowScale: 7 }) });
  s.seg('initiator', 40001, { seq: ci + 1, ack: si + 1, window: 512 });
  s.seg('initiator', 40001, { seq: ci + 1, ack: si + 1, window: 512, len: 100, flags: ACK | PSH });
  s.seg('target', 40001, { seq: si + 1, ack: ci + 101, window: 2 }); // 256 bytes
  s.seg('initiator', 40001, { seq: ci + 101, ack: si + 1, window: 512, len: 256, flags: ACK | PSH }); // fills it
  s.seg('target', 40001, { seq: si + 1, ack: ci + 357, window: 0 });
  s.seg('initiator', 40001, { seq: ci + 357, ack: si + 1, window: 512, len: 1, flags: ACK | PSH, dt: 0.2 }); // probe
  s.seg('target', 40001, { seq: si + 1, ack: ci + 357, window: 0 });
  s.seg('target', 40001, { seq: si + 1, ack: ci + 357, window: 4, dt: 0.3 }); // 512 bytes again
  s.seg('initiator', 40001, { seq: ci + 357, ack: si + 1, window: 512, len: 512, flags: ACK | PSH });
  s.seg('target', 40001, { seq: si + 1, ack: ci + 869, window: 100 });
  s.seg('initiator', 40001, { seq: ci + 869, ack: si + 1, window: 512, flags: FIN | ACK });
  s.seg('target', 40001, { seq: si + 1, ack: ci + 870, window: 100, flags: FIN | ACK });
  s.seg('initiator', 40001, { seq: ci + 870, ack: si + 2, window: 512 });
  return s.bytes();
}

/** A capture that starts in the middle: windows stay unscaled (the scale is unknown), no window
 *  is called full; keep-alives (with and without a garbage byte), their ACKs, a zero window. */
function midstream(): Uint8Array {
  const s = new Script();
  s.seg('initiator', 40002, { seq: 70000, ack: 90000, window: 2, len: 100, flags: ACK | PSH });
  s.seg('target', 40002, { seq: 90000, ack: 70100, window: 1 });
  s.seg('initiator', 40002, { seq: 70100, ack: 90000, window: 2, len: 1, flags: ACK | PSH });
  s.seg('target', 40002, { seq: 90000, ack: 70101, window: 1 });
  s.seg('initiator', 40002, { seq: 70100, ack: 90000, window: 2, dt: 7 }); // keep-alive
  s.seg('target', 40002, { seq: 90000, ack: 70101, window: 1 }); // its ACK
  s.seg('initiator', 40002, { seq: 70100, ack: 90000, window: 2, len: 1, flags: ACK, dt: 7 }); // keep-alive with a byte
  s.seg('target', 40002, { seq: 90000, ack: 70101, window: 1 });
  s.seg('target', 40002, { seq: 90000, ack: 70101, window: 0, dt: 0.5 }); // zero window
  s.seg('target', 40002, { seq: 90000, ack: 70101, window: 8, dt: 0.5 });
  s.seg('initiator', 40002, { seq: 70101, ack: 90000, window: 2, flags: RST });
  return s.bytes();
}

/** SYNs retransmitted until a SYN-ACK comes, and another port's SYNs never answered. */
function synRetransmissions(): Uint8Array {
  const s = new Script();
  s.seg('initiator', 40003, { seq: 1000, flags: SYN });
  s.seg('initiator', 40003, { seq: 1000, flags: SYN, dt: 1 });
  s.seg('initiator', 40003, { seq: 1000, flags: SYN, dt: 2 });
  s.seg('target', 40003, { seq: 7000, ack: 1001, flags: SYN | ACK });
  s.seg('initiator', 40003, { seq: 1001, ack: 7001 });
  s.seg('initiator', 40004, { seq: 2000, flags: SYN, dt: 1 });
  s.seg('initiator', 40004, { seq: 2000, flags: SYN, dt: 1 });
  s.seg('initiator', 40004, { seq: 2000, flags: SYN, dt: 2 });
  s.seg('initiator', 40004, { seq: 2000, flags: SYN, dt: 4 });
  s.seg('initiator', 40003, { seq: 1001, ack: 7001, flags: FIN | ACK });
  s.seg('target', 40003, { seq: 7001, ack: 1002, flags: FIN | ACK });
  s.seg('initiator', 40003, { seq: 1002, ack: 7002 });
  return s.bytes();
}

/** Refused reconnects: SYN → RST, a new port, a reused port with a new ISN, the same ISN again
 *  after the RST, and finally a connection that is accepted. */
function rstStorm(): Uint8Array {
  const s = new Script();
  s.seg('initiator', 40010, { seq: 100, flags: SYN });
  s.seg('target', 40010, { seq: 0, ack: 101, flags: RST | ACK, window: 0 });
  s.seg('initiator', 40011, { seq: 200, flags: SYN, dt: 0.5 });
  s.seg('target', 40011, { seq: 0, ack: 201, flags: RST | ACK, window: 0 });
  s.seg('initiator', 40011, { seq: 300, flags: SYN, dt: 0.5 });
  s.seg('target', 40011, { seq: 0, ack: 301, flags: RST | ACK, window: 0 });
  s.seg('initiator', 40011, { seq: 300, flags: SYN, dt: 0.5 });
  s.seg('target', 40011, { seq: 0, ack: 301, flags: RST | ACK, window: 0 });
  s.seg('initiator', 40012, { seq: 400, flags: SYN, dt: 0.5 });
  s.seg('target', 40012, { seq: 9000, ack: 401, flags: SYN | ACK });
  s.seg('initiator', 40012, { seq: 401, ack: 9001 });
  s.seg('initiator', 40012, { seq: 401, ack: 9001, flags: RST | ACK, window: 0 });
  return s.bytes();
}

/** Loss seen from the sender: a segment not captured, duplicate ACKs and the fast
 *  retransmission, a spurious one, out-of-order, an ACK for data never seen, an RTO. */
function loss(): Uint8Array {
  const s = new Script();
  const c = 10000, t = 50000, p = 40020;
  s.seg('initiator', p, { seq: c, flags: SYN, dt: 0.0002 });
  s.seg('target', p, { seq: t, ack: c + 1, flags: SYN | ACK, dt: 0.0002 });
  s.seg('initiator', p, { seq: c + 1, ack: t + 1, dt: 0.0002 });
  const d = (seq: number, dt = 0.0001): number => s.seg('initiator', p, { seq: c + 1 + seq, ack: t + 1, len: 1000, flags: ACK | PSH, dt });
  const a = (ack: number, dt = 0.0001): number => s.seg('target', p, { seq: t + 1, ack: c + 1 + ack, dt });
  d(0);
  d(2000); // 1000..2000 never captured
  a(1000);
  a(1000);
  a(1000);
  d(1000); // fast retransmission
  a(3000);
  d(1000, 0.001); // already acknowledged: spurious
  d(3000, 0.01);
  d(5000); // 4000..5000 not yet
  d(4000, 0.00005); // out of order
  a(7000, 0.001); // acknowledges 6000..7000, never sent
  d(7000, 0.001);
  d(7000, 0.3); // RTO
  a(8000);
  s.seg('initiator', p, { seq: c + 8001, ack: t + 1, flags: FIN | ACK });
  s.seg('target', p, { seq: t + 1, ack: c + 8002, flags: FIN | ACK });
  s.seg('initiator', p, { seq: c + 8002, ack: t + 2 });
  return s.bytes();
}

/** TCP Fast Open: a Login Request's 48 bytes in the SYN, accepted by the SYN-ACK. */
function fastOpen(): Uint8Array {
  const s = new Script();
  const login = new Uint8Array(48);
  login[0] = 0x43; // Login Request, immediate
  login[1] = 0x87; // T, CSG 1, NSG 3
  s.seg('initiator', 40030, { seq: 3000, flags: SYN, payload: login, options: Uint8Array.of(34, 10, 1, 2, 3, 4, 5, 6, 7, 8) });
  s.seg('target', 40030, { seq: 8000, ack: 3049, flags: SYN | ACK });
  s.seg('initiator', 40030, { seq: 3049, ack: 8001 });
  s.seg('target', 40030, { seq: 8001, ack: 3049, len: 48, flags: ACK | PSH });
  s.seg('initiator', 40030, { seq: 3049, ack: 8049 });
  return s.bytes();
}

/** Cases where Wireshark versions differ, to pin down what 4.0 does: a full window before the
 *  peer's first ACK (scaled or not), a segment both spurious and out of order, a SYN sent again
 *  within the out-of-order threshold. */
function versionCases(): Uint8Array {
  const s = new Script();
  const ws = tcpOptions({ windowScale: 7 });
  // A: the target's SYN-ACK offers a window of 1 (scale 7); the initiator sends 1 byte, then 127.
  s.seg('initiator', 40040, { seq: 100, flags: SYN, options: ws });
  s.seg('target', 40040, { seq: 900, ack: 101, flags: SYN | ACK, options: ws, window: 1 });
  s.seg('initiator', 40040, { seq: 101, ack: 901 });
  s.seg('initiator', 40040, { seq: 101, ack: 901, len: 1, flags: ACK | PSH });
  s.seg('initiator', 40040, { seq: 102, ack: 901, len: 127, flags: ACK | PSH });
  s.seg('target', 40040, { seq: 901, ack: 229, window: 1 });
  s.seg('initiator', 40040, { seq: 229, ack: 901, len: 128, flags: ACK | PSH });
  // B: a handshake of 5 ms; two segments, both acknowledged, then the first again 0.2 ms later.
  s.seg('initiator', 40041, { seq: 200, flags: SYN, dt: 1 });
  s.seg('target', 40041, { seq: 800, ack: 201, flags: SYN | ACK, dt: 0.0025 });
  s.seg('initiator', 40041, { seq: 201, ack: 801, dt: 0.0025 });
  s.seg('initiator', 40041, { seq: 201, ack: 801, len: 100, flags: ACK | PSH, dt: 0.0001 });
  s.seg('initiator', 40041, { seq: 301, ack: 801, len: 100, flags: ACK | PSH, dt: 0.0001 });
  s.seg('target', 40041, { seq: 801, ack: 401, dt: 0.0001 });
  s.seg('initiator', 40041, { seq: 201, ack: 801, len: 100, flags: ACK | PSH, dt: 0.0001 });
  // C: a SYN sent again 1 ms later (no RTT known yet: the 3 ms threshold applies).
  s.seg('initiator', 40042, { seq: 300, flags: SYN, dt: 1 });
  s.seg('initiator', 40042, { seq: 300, flags: SYN, dt: 0.001 });
  s.seg('target', 40042, { seq: 700, ack: 301, flags: SYN | ACK });
  s.seg('initiator', 40042, { seq: 301, ack: 701 });
  // D: several segments outstanding, then an RTO: what tcp.analysis.rto counts from.
  s.seg('initiator', 40041, { seq: 401, ack: 801, len: 100, flags: ACK | PSH, dt: 0.01 });
  s.seg('initiator', 40041, { seq: 501, ack: 801, len: 100, flags: ACK | PSH, dt: 0.01 });
  s.seg('initiator', 40041, { seq: 601, ack: 801, len: 100, flags: ACK | PSH, dt: 0.01 });
  s.seg('initiator', 40041, { seq: 401, ack: 801, len: 100, flags: ACK | PSH, dt: 0.2 });
  // E: an RST whose sequence number runs ahead, then the same SYN again: Wireshark 4.0 goes back
  // to the highest in-order sequence number (issue 17616), so the data after it is new.
  s.seg('initiator', 40043, { seq: 400, flags: SYN, dt: 1 });
  s.seg('target', 40043, { seq: 600, ack: 401, flags: SYN | ACK });
  s.seg('initiator', 40043, { seq: 401, ack: 601 });
  s.seg('initiator', 40043, { seq: 5401, ack: 601, flags: RST, window: 0 });
  s.seg('initiator', 40043, { seq: 400, flags: SYN, dt: 1 });
  s.seg('target', 40043, { seq: 600, ack: 401, flags: SYN | ACK });
  s.seg('initiator', 40043, { seq: 401, ack: 601 });
  s.seg('initiator', 40043, { seq: 401, ack: 601, len: 100, flags: ACK | PSH });
  return s.bytes();
}

export const SYNTHETIC: Record<string, () => Uint8Array> = {
  'version-cases': versionCases,
  wraparound,
  'window-scale': windowScale,
  midstream,
  'syn-retransmissions': synRetransmissions,
  'rst-storm': rstStorm,
  loss,
  'fast-open': fastOpen,
};
