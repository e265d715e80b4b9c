import { PcapngWriter } from '../capture/index.ts';
import { encodePdu } from '../codec/index.ts';
import type { PduInput } from '../codec/index.ts';
import { buildTcpFrame, TCP_ACK, TCP_RST, TCP_SYN } from '../net/index.ts';
import { loginKeys, SynthCapture } from './capture.ts';
import type { SynthConnection } from './capture.ts';

/**
 * Captures built to exhaust memory or time (issue 16), at any size: each shape repeats one unit (a
 * connection, a SYN, a login, a ping, an interface …) `units` times. They are written as they are
 * made — a generator of chunks of about 1 MiB — so a capture of millions of units is never in memory
 * whole. What each one holds is known by construction, which is what the tests check against.
 */
export type ScaleShape =
  | 'midstream' | 'syn-scan' | 'silent-logins' | 'relogin-loop' | 'unanswered-pings'
  | 'login-dsl-claim' | 'long-text-keys' | 'pcapng-interfaces' | 'tmf-storm';

export interface ScaleShapeInfo {
  shape: ScaleShape;
  /** What one unit is. */
  unit: string;
  /** The size the issue reported trouble at. */
  reported: number;
  what: string;
}

export const SCALE_SHAPES: readonly ScaleShapeInfo[] = [
  { shape: 'midstream', unit: 'connection', reported: 100_000, what: 'connections whose first captured bytes are the tail of a PDU and the first 24 bytes of the next header, never completed' },
  { shape: 'syn-scan', unit: 'SYN', reported: 3_000_000, what: 'a SYN scan of port 3260: every other SYN answered by RST, the rest by nothing' },
  { shape: 'silent-logins', unit: 'login', reported: 1_000_000, what: 'connections whose Login Request is never answered (the target ACKs it); the initiator gives up with FIN once `open` later logins were sent' },
  { shape: 'relogin-loop', unit: 'login', reported: 130_000, what: 'one initiator logging in to one target again and again (a rediscovery loop), each connection closed at once' },
  { shape: 'unanswered-pings', unit: 'ping', reported: 1_000_000, what: 'one connection, logged in, sending NOP-Out pings the target ACKs but never answers, one a second, ended by the initiator\'s FIN' },
  { shape: 'login-dsl-claim', unit: 'connection', reported: 100_000, what: 'connections whose Login Request BHS claims DataSegmentLength 65535 and whose data never comes' },
  { shape: 'long-text-keys', unit: 'connection', reported: 10_000, what: 'logins whose Login Request carries 96 KiB of text keys: the operational keys only after the first 64 KiB' },
  { shape: 'tmf-storm', unit: 'command', reported: 80_000, what: 'one connection, logged in, whose READs on LUN 1 the target never answers; for each, an ABORT TASK naming it (answered "task management function not supported"), a LOGICAL UNIT RESET of the empty LUN 2 (answered "function complete") and an ABORT TASK SET of LUN 3 never answered; ended by the initiator\'s FIN' },
  { shape: 'pcapng-interfaces', unit: 'interface', reported: 200_000, what: 'a pcapng file with that many Interface Description Blocks, then one logged-in connection with a ping, its packets spread over the interfaces' },
];

export interface ScaleOptions {
  /** Connections kept open at once where the shape closes them (silent-logins; default 100; Infinity: none closed). */
  open?: number;
  /** Bytes of text keys in each Login Request of long-text-keys (default 96 KiB). */
  keyBytes?: number;
  /** Output chunk size (default 1 MiB). */
  chunkSize?: number;
}

const START = 1_700_000_000;
const TARGET_NAME = 'iqn.2024-01.scale:disk';

/** The 32-bit IPv4 address 10.a.b.c of unit i (distinct for i < 2^24). */
function hostOf(net: number, i: number): string {
  const v = (net << 24 | (i & 0xffffff)) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** The chunks of a capture of `units` units of `shape`, as they are written. */
export function* scaleCapture(shape: ScaleShape, units: number, options: ScaleOptions = {}): Generator<Uint8Array> {
  const n = Math.max(0, Math.floor(units));
  if (shape === 'pcapng-interfaces') {
    yield* manyInterfaces(n, options.chunkSize ?? 1 << 20);
    return;
  }
  const pending: Uint8Array[] = [];
  const cap = new SynthCapture({ start: START, chunkSize: options.chunkSize ?? 1 << 20, onChunk: (c) => pending.push(c) });
  const steps = SHAPES[shape](cap, n, options);
  for (const _ of steps) if (pending.length) yield* pending.splice(0, pending.length);
  cap.writer.flush();
  yield* pending.splice(0, pending.length);
}

type Steps = (cap: SynthCapture, n: number, o: ScaleOptions) => Iterable<void>;

/** A Login in one step (operational to full feature) and its success 200 µs later. */
function login(cap: SynthCapture, c: SynthConnection, keys: ReturnType<typeof loginKeys>, isid: string, tsih: number, o: { itt?: number; maxCmdSN?: number } = {}): void {
  const itt = o.itt ?? 0;
  c.send('initiator', { opcode: 0x03, immediate: true, itt, isid, transit: true, csg: 1, nsg: 3, cmdSN: 1, keys: keys.request });
  cap.wait(2e-4);
  c.send('target', { opcode: 0x23, itt, isid, tsih, transit: true, csg: 1, nsg: 3, statSN: 1, expCmdSN: 1, maxCmdSN: o.maxCmdSN ?? 32, keys: keys.response });
}

const SHAPES: Record<Exclude<ScaleShape, 'pcapng-interfaces'>, Steps> = {
  midstream: function* (cap, n) {
    // The tail of a data segment (0xff: no opcode byte) and then the first half of a SCSI Command BHS:
    // framing has to wait for the rest, which never comes.
    const cmd = encodePdu({ opcode: 0x01, itt: 7, read: true, cdb: new Uint8Array([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]), expectedDataTransferLength: 4096, cmdSN: 9, expStatSN: 3 });
    const bytes = new Uint8Array(40 + 24);
    bytes.fill(0xff, 0, 40);
    bytes.set(cmd.subarray(0, 24), 40);
    for (let i = 0; i < n; i++) {
      const c = cap.connection(`${hostOf(10, i + 1)}:${40000 + (i % 20000)}`, '10.255.0.1:3260', { initiator: 0x10000000 + i * 7919 });
      c.sendBytes('initiator', bytes);
      cap.wait(1e-5);
      yield;
    }
  },

  'syn-scan': function* (cap, n) {
    const scanner = 0xc0000201; // 192.0.2.1
    for (let i = 0; i < n; i++) {
      const dst = (0x0a000000 | Math.floor(i / 64000)) >>> 0;
      const sport = 1024 + (i % 64000);
      const isn = (0x20000000 + i * 104729) >>> 0;
      cap.frame(buildTcpFrame({ src: scanner, dst, srcPort: sport, dstPort: 3260, seq: isn, ack: 0, flags: TCP_SYN }));
      cap.wait(1e-5);
      if (i % 2 === 0) {
        cap.frame(buildTcpFrame({ src: dst, dst: scanner, srcPort: 3260, dstPort: sport, seq: 0, ack: (isn + 1) >>> 0, flags: TCP_RST | TCP_ACK }));
        cap.wait(1e-5);
      }
      yield;
    }
  },

  'silent-logins': function* (cap, n, o) {
    const open = o.open ?? 100;
    const waiting: SynthConnection[] = [];
    const close = (c: SynthConnection): void => {
      c.fin('initiator');
      c.fin('target');
      c.ack('initiator');
    };
    for (let i = 0; i < n; i++) {
      const c = cap.connection(`${hostOf(10, 0x10000 + i)}:${40000 + (i % 20000)}`, '10.254.0.1:3260', { initiator: 0x30000000 + i * 7919, target: 0x40000000 + i * 104729 });
      c.handshake();
      const keys = loginKeys(`iqn.2024-01.scale:silent${i}`, TARGET_NAME);
      c.send('initiator', { opcode: 0x03, immediate: true, itt: 1, isid: '80:00:00:00:00:01', transit: true, csg: 1, nsg: 3, cmdSN: 1, keys: keys.request });
      c.ack('target');
      cap.wait(1e-4);
      waiting.push(c);
      if (waiting.length > open) close(waiting.shift() as SynthConnection);
      yield;
    }
    for (const c of waiting) close(c);
  },

  'relogin-loop': function* (cap, n) {
    const keys = loginKeys('iqn.2024-01.scale:looping-host', TARGET_NAME);
    for (let i = 0; i < n; i++) {
      const c = cap.connection(`10.3.0.1:${40000 + (i % 20000)}`, '10.3.0.2:3260', { initiator: 0x50000000 + i * 7919, target: 0x60000000 + i * 104729 });
      c.handshake();
      const isid = `80:00:00:00:${((i >>> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      login(cap, c, keys, isid, 1 + (i % 65535), { itt: 1 });
      cap.wait(1e-4);
      c.fin('initiator');
      c.fin('target');
      c.ack('initiator');
      cap.wait(0.5);
      yield;
    }
  },

  'unanswered-pings': function* (cap, n) {
    const c = cap.connection('10.4.0.1:40000', '10.4.0.2:3260');
    c.handshake();
    login(cap, c, loginKeys('iqn.2024-01.scale:pinger', TARGET_NAME), '80:00:00:00:00:04', 4);
    const ping: PduInput = { opcode: 0x00, immediate: true, itt: 0, ttt: 0xffffffff, cmdSN: 1, expStatSN: 2 };
    for (let i = 0; i < n; i++) {
      cap.wait(1);
      ping.itt = i + 1;
      c.send('initiator', ping);
      cap.wait(5e-5);
      c.ack('target');
      yield;
    }
    cap.wait(1);
    c.fin('initiator');
  },

  'tmf-storm': function* (cap, n) {
    const c = cap.connection('10.5.0.1:40000', '10.5.0.2:3260');
    c.handshake();
    login(cap, c, loginKeys('iqn.2024-01.scale:aborter', TARGET_NAME), '80:00:00:00:00:06', 6, { maxCmdSN: 0xffffffff });
    const read = new Uint8Array([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
    let statSN = 2;
    for (let i = 0; i < n; i++) {
      // ITTs: command 4i+1, ABORT TASK 4i+2, LU RESET 4i+3, ABORT TASK SET 4i+4 (CmdSN i+1: TMFs are immediate).
      const itt = 4 * i + 1;
      cap.wait(1e-3);
      c.send('initiator', { opcode: 0x01, itt, lun: 1, read: true, final: true, cdb: read, expectedDataTransferLength: 4096, cmdSN: i + 1, expStatSN: statSN });
      cap.wait(1e-4);
      c.send('initiator', { opcode: 0x02, immediate: true, itt: itt + 1, tmfFunction: 1, lun: 1, referencedTaskTag: itt, cmdSN: i + 2, expStatSN: statSN });
      cap.wait(1e-4);
      c.send('target', { opcode: 0x22, itt: itt + 1, response: 5, statSN: statSN++, expCmdSN: i + 2, maxCmdSN: 0xffffffff });
      c.send('initiator', { opcode: 0x02, immediate: true, itt: itt + 2, tmfFunction: 5, lun: 2, cmdSN: i + 2, expStatSN: statSN });
      cap.wait(1e-4);
      c.send('target', { opcode: 0x22, itt: itt + 2, response: 0, statSN: statSN++, expCmdSN: i + 2, maxCmdSN: 0xffffffff });
      c.send('initiator', { opcode: 0x02, immediate: true, itt: itt + 3, tmfFunction: 2, lun: 3, cmdSN: i + 2, expStatSN: statSN });
      c.ack('target');
      yield;
    }
    cap.wait(1);
    c.fin('initiator');
  },

  'login-dsl-claim': function* (cap, n) {
    const keys = loginKeys('iqn.2024-01.scale:claim', TARGET_NAME);
    const full = encodePdu({ opcode: 0x03, immediate: true, itt: 1, isid: '80:00:00:00:00:05', transit: true, csg: 1, nsg: 3, cmdSN: 1, keys: keys.request });
    const bhs = full.slice(0, 48);
    bhs[5] = 0x00; bhs[6] = 0xff; bhs[7] = 0xff; // DataSegmentLength 65535
    for (let i = 0; i < n; i++) {
      const c = cap.connection(`${hostOf(10, 0x20000 + i)}:${40000 + (i % 20000)}`, '10.253.0.1:3260', { initiator: 0x70000000 + i * 7919, target: 0x10000000 + i * 104729 });
      c.handshake();
      c.sendBytes('initiator', bhs);
      c.ack('target');
      cap.wait(1e-4);
      yield;
    }
  },

  'long-text-keys': function* (cap, n, o) {
    const keyBytes = Math.max(1024, o.keyBytes ?? 96 << 10);
    const base = loginKeys('iqn.2024-01.scale:verbose', TARGET_NAME, { headerDigest: true });
    // Filler keys first (X- keys are the RFC's private extension keys), the operational ones after them.
    const filler: Array<[string, string]> = [];
    let size = 0;
    for (let k = 0; size < keyBytes - 512; k++) {
      const entry: [string, string] = [`X-com.example.pad${k}`, 'p'.repeat(200)];
      filler.push(entry);
      size += entry[0].length + entry[1].length + 2;
    }
    const request = encodePdu({ opcode: 0x03, immediate: true, itt: 1, isid: '80:00:00:00:00:06', transit: true, csg: 1, nsg: 3, cmdSN: 1, keys: [...filler, ...base.request] });
    for (let i = 0; i < n; i++) {
      const c = cap.connection(`${hostOf(10, 0x30000 + i)}:${40000 + (i % 20000)}`, '10.252.0.1:3260', { initiator: 0x11000000 + i * 7919, target: 0x12000000 + i * 104729 });
      c.handshake();
      c.sendBytes('initiator', request, { mss: 1448 });
      cap.wait(2e-4);
      c.send('target', { opcode: 0x23, itt: 1, isid: '80:00:00:00:00:06', tsih: 6, transit: true, csg: 1, nsg: 3, statSN: 1, expCmdSN: 1, maxCmdSN: 32, keys: base.response });
      cap.wait(1e-4);
      c.fin('initiator');
      c.fin('target');
      c.ack('initiator');
      yield;
    }
  },
};

/** `n` interfaces in one section, then a login and a ping whose packets go round the interfaces. */
function* manyInterfaces(n: number, chunkSize: number): Generator<Uint8Array> {
  const pending: Uint8Array[] = [];
  const w = new PcapngWriter({ chunkSize, onChunk: (c) => pending.push(c) });
  const count = Math.max(1, n);
  for (let i = 0; i < count; i++) {
    w.addInterface({ linkType: 1, snaplen: 262144, tsresol: 9 });
    if (pending.length) yield* pending.splice(0, pending.length);
  }
  // The conversation itself, written as pcap first (the one way to make it), then re-framed.
  const cap = new SynthCapture({ start: START });
  const c = cap.connection('10.5.0.1:40000', '10.5.0.2:3260');
  c.handshake();
  login(cap, c, loginKeys('iqn.2024-01.scale:interfaces', TARGET_NAME), '80:00:00:00:00:07', 7);
  cap.wait(1);
  c.send('initiator', { opcode: 0x00, immediate: true, itt: 1, ttt: 0xffffffff, cmdSN: 1, expStatSN: 2 });
  cap.wait(1e-3);
  c.send('target', { opcode: 0x20, itt: 1, ttt: 0xffffffff, statSN: 2, expCmdSN: 1, maxCmdSN: 32 });
  c.fin('initiator');
  const pcap = cap.bytes();
  const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  let k = 0;
  for (let p = 24; p + 16 <= pcap.length; k++) {
    const sec = dv.getUint32(p, true);
    const nsec = dv.getUint32(p + 4, true);
    const len = dv.getUint32(p + 8, true);
    // Spread over the interfaces, from the last one down.
    const iface = count - 1 - (k % count);
    w.addPacket(iface, sec, nsec, pcap.subarray(p + 16, p + 16 + len));
    p += 16 + len;
  }
  w.flush();
  yield* pending.splice(0, pending.length);
}
