import { PcapWriter } from '../capture/index.ts';
import { encodePdu } from '../codec/index.ts';
import type { PduInput } from '../codec/index.ts';
import { buildTcpFrame, TCP_ACK, TCP_PSH, TCP_SYN } from '../net/index.ts';
import { loginKeys, SynthCapture } from './capture.ts';

/**
 * A realistic bulk-I/O capture, deterministically: Ethernet at MTU 1500, several sessions, reads and
 * writes of 4 KiB–1 MiB (R2T + Data-Out for writes, Data-In with status for reads), NOP-Out pings and
 * a Task Management request, receiver ACKs every other segment. For the benchmark.
 */

export interface BulkOptions {
  /** Stop once about this many bytes are written. */
  targetBytes: number;
  connections?: number;
  seed?: number;
  /** Receives the file in chunks. */
  onChunk: (chunk: Uint8Array) => void;
}

export interface BulkStats {
  bytes: number;
  packets: number;
  pdus: number;
  commands: number;
}

const MSS = 1448;
const TARGET_MAX_RECV = 8192; // tgt's MaxRecvDataSegmentLength: Data-Out size
const INITIATOR_MAX_RECV = 262144; // Data-In size
const MAX_BURST = 262144;
const SIZES = [4096, 16384, 65536, 262144, 1048576];

/** xorshift32: the same capture on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

class Flow {
  seq = [1000, 5000];
  unacked = [0, 0];
  constructor(readonly ip: [number, number], readonly port: [number, number]) {}
}

export function writeBulkCapture(o: BulkOptions): BulkStats {
  const random = rng(o.seed ?? 1);
  const w = new PcapWriter({ nanosecond: true, snaplen: 65535, chunkSize: 4 << 20, onChunk: o.onChunk });
  const stats: BulkStats = { bytes: 0, packets: 0, pdus: 0, commands: 0 };
  let t = 1_700_000_000;
  const pattern = new Uint8Array(MAX_BURST);
  for (let i = 0; i < pattern.length; i++) pattern[i] = 0x20 + ((i * 7 + (i >> 9)) % 90);

  const frame = (f: Flow, side: 0 | 1, flags: number, payload?: Uint8Array): void => {
    const other = (side ^ 1) as 0 | 1;
    const bytes = buildTcpFrame({
      src: f.ip[side], dst: f.ip[other], srcPort: f.port[side], dstPort: f.port[other],
      seq: f.seq[side], ack: f.seq[other], flags, payload,
    });
    t += 2e-6 + random() * 4e-6;
    const sec = Math.floor(t);
    w.addPacket(sec, Math.floor((t - sec) * 1e9), bytes);
    stats.packets++;
  };
  const send = (f: Flow, side: 0 | 1, pdus: Uint8Array[]): void => {
    stats.pdus += pdus.length;
    let total = 0;
    for (const p of pdus) total += p.length;
    const stream = new Uint8Array(total);
    let o2 = 0;
    for (const p of pdus) { stream.set(p, o2); o2 += p.length; }
    for (let off = 0; off < stream.length; off += MSS) {
      const seg = stream.subarray(off, Math.min(stream.length, off + MSS));
      frame(f, side, TCP_ACK | TCP_PSH, seg);
      f.seq[side] = (f.seq[side] + seg.length) >>> 0;
      if (++f.unacked[side] === 2) {
        frame(f, (side ^ 1) as 0 | 1, TCP_ACK);
        f.unacked[side] = 0;
      }
    }
  };
  const pdu = (p: PduInput): Uint8Array => encodePdu(p);

  const n = o.connections ?? 4;
  const flows: Flow[] = [];
  const state: Array<{ itt: number; cmdSN: number; statSN: number; ttt: number }> = [];
  for (let c = 0; c < n; c++) {
    const f = new Flow([0x0a000001 + c, 0x0a0000fe], [40000 + c, 3260]);
    flows.push(f);
    f.seq = [(1000 + c * 7919) >>> 0, (5000 + c * 104729) >>> 0];
    frame(f, 0, TCP_SYN); f.seq[0]++;
    frame(f, 1, TCP_SYN | TCP_ACK); f.seq[1]++;
    frame(f, 0, TCP_ACK);
    const isid = `80:00:00:00:00:${(c + 1).toString(16).padStart(2, '0')}`;
    send(f, 0, [pdu({ opcode: 0x03, itt: 0, transit: true, csg: 1, nsg: 3, isid, cmdSN: 1, keys: [
      ['InitiatorName', `iqn.2024-01.bench:host${c}`], ['TargetName', 'iqn.2024-01.bench:disk'], ['SessionType', 'Normal'],
      ['HeaderDigest', 'None'], ['DataDigest', 'None'], ['MaxRecvDataSegmentLength', String(INITIATOR_MAX_RECV)],
      ['InitialR2T', 'Yes'], ['ImmediateData', 'No'], ['MaxBurstLength', String(MAX_BURST)]] })]);
    send(f, 1, [pdu({ opcode: 0x23, itt: 0, transit: true, csg: 1, nsg: 3, isid, tsih: c + 1, statSN: 1, expCmdSN: 1, maxCmdSN: 64, keys: [
      ['HeaderDigest', 'None'], ['DataDigest', 'None'], ['MaxRecvDataSegmentLength', String(TARGET_MAX_RECV)],
      ['InitialR2T', 'Yes'], ['ImmediateData', 'No'], ['MaxBurstLength', String(MAX_BURST)]] })]);
    state.push({ itt: 0x100, cmdSN: 1, statSN: 2, ttt: 0x5000 });
  }

  let op = 0;
  while (w.bytesWritten < o.targetBytes) {
    const c = op % n;
    const f = flows[c];
    const s = state[c];
    const size = SIZES[Math.floor(random() * SIZES.length)];
    const write = random() < 0.5;
    const itt = s.itt++;
    const lba = Math.floor(random() * 1e6);
    const cdb = new Uint8Array(16);
    cdb[0] = write ? 0x8a : 0x88; // WRITE(16) / READ(16)
    new DataView(cdb.buffer).setUint32(6, lba);
    new DataView(cdb.buffer).setUint32(10, size / 512);
    send(f, 0, [pdu({ opcode: 0x01, itt, read: !write, write, attr: 1, expectedDataTransferLength: size, cmdSN: s.cmdSN++, expStatSN: s.statSN, cdb, lun: 0 })]);
    stats.commands++;
    const seq = (): { statSN: number; expCmdSN: number; maxCmdSN: number } => ({ statSN: s.statSN, expCmdSN: s.cmdSN, maxCmdSN: s.cmdSN + 63 });
    if (write) {
      for (let off = 0, r2tSN = 0; off < size; off += MAX_BURST, r2tSN++) {
        const burst = Math.min(MAX_BURST, size - off);
        const ttt = s.ttt++;
        send(f, 1, [pdu({ opcode: 0x31, itt, ttt, lun: 0, ...seq(), r2tSN, bufferOffset: off, desiredDataTransferLength: burst })]);
        const outs: Uint8Array[] = [];
        for (let d = 0, dataSN = 0; d < burst; d += TARGET_MAX_RECV, dataSN++) {
          const len = Math.min(TARGET_MAX_RECV, burst - d);
          outs.push(pdu({ opcode: 0x05, final: d + len === burst, itt, ttt, lun: 0, expStatSN: s.statSN, dataSN, bufferOffset: off + d, data: pattern.subarray(0, len) }));
        }
        send(f, 0, outs);
      }
      send(f, 1, [pdu({ opcode: 0x21, itt, response: 0, status: 0, ...seq() })]);
      s.statSN++;
    } else {
      const ins: Uint8Array[] = [];
      for (let off = 0, dataSN = 0; off < size; off += INITIATOR_MAX_RECV, dataSN++) {
        const len = Math.min(INITIATOR_MAX_RECV, size - off);
        const last = off + len === size;
        ins.push(pdu({ opcode: 0x25, final: last, statusPresent: last, status: 0, itt, ttt: 0xffffffff, ...seq(), dataSN, bufferOffset: off, data: pattern.subarray(0, len) }));
      }
      send(f, 1, ins);
      s.statSN++;
    }
    if (op % 97 === 0) {
      send(f, 0, [pdu({ opcode: 0x00, itt: s.itt, ttt: 0xffffffff, cmdSN: s.cmdSN, expStatSN: s.statSN, immediate: true })]);
      send(f, 1, [pdu({ opcode: 0x20, itt: s.itt++, ttt: 0xffffffff, ...seq() })]);
      s.statSN++;
    }
    if (op === 500) {
      send(f, 0, [pdu({ opcode: 0x02, itt: s.itt, immediate: true, tmfFunction: 1, referencedTaskTag: itt, cmdSN: s.cmdSN, expStatSN: s.statSN, lun: 0 })]);
      send(f, 1, [pdu({ opcode: 0x22, itt: s.itt++, response: 1, ...seq() })]);
      s.statSN++;
    }
    op++;
  }
  w.flush();
  stats.bytes = w.bytesWritten;
  return stats;
}

/**
 * One connection of `commands` SCSI Command / SCSI Response pairs (plus the login), 32 commands to
 * a segment: a connection of 2 × commands + 2 PDUs for measuring the ladder at any size.
 */
export function oneConnectionCapture(commands: number, options: { fin?: boolean } = {}): Uint8Array {
  const cap = new SynthCapture({ chunkSize: 8 << 20 });
  const c = cap.connection('10.1.0.1:40000', '10.1.0.2:3260');
  c.handshake();
  const keys = loginKeys('iqn.2024-01.bench:host', 'iqn.2024-01.bench:disk');
  c.send('initiator', { opcode: 0x03, immediate: true, itt: 1, isid: '80:00:00:00:00:01', transit: true, csg: 1, nsg: 3, keys: keys.request });
  c.send('target', { opcode: 0x23, itt: 1, isid: '80:00:00:00:00:01', tsih: 1, transit: true, csg: 1, nsg: 3, statSN: 0, expCmdSN: 0, maxCmdSN: 63, keys: keys.response });
  let cmdSN = 0;
  let statSN = 1;
  for (let i = 0; i < commands; i += 32) {
    const req: PduInput[] = [];
    const rsp: PduInput[] = [];
    // The whole batch goes out before any of its responses: it acknowledges only what came before.
    const acknowledged = statSN;
    for (let k = i; k < Math.min(commands, i + 32); k++) {
      req.push({ opcode: 0x01, itt: 0x100 + k, lun: 1, read: true, cdb: new Uint8Array([0x28, 0, 0, 0, k & 0xff, 0, 0, 0, 8, 0]), expectedDataTransferLength: 0, cmdSN: cmdSN++, expStatSN: acknowledged });
      rsp.push({ opcode: 0x21, itt: 0x100 + k, status: 0, statSN: statSN++, expCmdSN: cmdSN, maxCmdSN: cmdSN + 63 });
    }
    cap.wait(0.0004);
    c.send('initiator', req);
    cap.wait(0.0003);
    c.send('target', rsp);
  }
  if (options.fin ?? true) c.fin('initiator');
  return cap.bytes();
}
