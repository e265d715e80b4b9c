/**
 * A seeded, reproducible mutation fuzzer for the whole engine: shared captures, mutated (bit flips,
 * truncations, spliced random bytes, huge length fields, zeroed runs), read with two chunk sizes.
 * A case fails on any exception (the engine turns every unreadable input into Analysis.error), on
 * taking longer than the time limit, or on answers that differ with the chunk size.
 */
import { CaptureReader, PcapWriter } from '../src/capture/index.ts';
import { Analyzer } from '../src/engine/index.ts';
import type { Analysis } from '../src/engine/index.ts';

export interface FuzzFailure {
  caseIndex: number;
  seed: number;
  input: string;
  mutations: string[];
  reason: string;
}

export interface FuzzReport {
  cases: number;
  failures: FuzzFailure[];
  seconds: number;
  slowestMs: number;
  errorsByKind: Record<string, number>;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const int = (r: Random, n: number): number => Math.floor(r() * n);

/**
 * Positions worth hitting, by a cheap walk of the records: the record/block length fields (few: they
 * mostly end the read) and, far more often, iSCSI header fields inside the packets (opcode, flags,
 * TotalAHSLength / DataSegmentLength, ITT, sequence numbers), where the engine's own parsing lives.
 */
function interestingOffsets(b: Uint8Array): { records: number[]; payload: number[] } {
  const records: number[] = [];
  const payload: number[] = [];
  if (b.length < 24) return { records, payload };
  const le = b[0] === 0xd4 || b[0] === 0x4d;
  const pcap = le || b[0] === 0xa1;
  const u32 = (p: number, little: boolean): number => little
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  const packet = (start: number, len: number): void => {
    // Ethernet + IPv4 + TCP: the payload starts at 14 + IHL + data offset.
    if (len < 54 || start + 54 > b.length) return;
    const ihl = (b[start + 14] & 15) * 4;
    const tcp = start + 14 + ihl;
    if (tcp + 13 >= b.length) return;
    const pay = tcp + (b[tcp + 12] >> 4) * 4;
    if (pay + 48 > start + len) return;
    for (const f of [0, 1, 4, 5, 16, 20, 24, 28, 32, 36]) payload.push(pay + f);
    payload.push(tcp + 4, start + 16); // TCP sequence number, IP total length
  };
  let p = pcap ? 24 : 0;
  for (let i = 0; i < 20000 && p + 16 <= b.length; i++) {
    if (pcap) {
      records.push(p + 8, p + 12);
      const incl = u32(p + 8, le);
      if (incl > 1 << 24) break;
      packet(p + 16, incl);
      p += 16 + incl;
    } else {
      const blockLe = b[0] === 0x0a && b[8] === 0x4d; // SHB byte-order magic 1a2b3c4d, little-endian
      const type = u32(p, blockLe);
      const len = u32(p + 4, blockLe);
      records.push(p + 4);
      if (len < 12 || len > 1 << 24) break;
      if (type === 6 && len > 28) packet(p + 28, u32(p + 20, blockLe));
      p += len;
    }
  }
  return { records, payload };
}

export function mutate(base: Uint8Array, r: Random): { bytes: Uint8Array; mutations: string[] } {
  let b = base;
  const mutations: string[] = [];
  // Most cases work on a prefix: it keeps each case fast and still cuts records anywhere.
  if (r() < 0.7 && b.length > 4096) {
    const end = 1024 + int(r, Math.min(b.length, 400_000) - 1024);
    b = b.slice(0, end);
    mutations.push(`prefix ${end}`);
  } else b = b.slice();
  const hot = interestingOffsets(b);
  const n = 1 + int(r, 4);
  for (let m = 0; m < n; m++) {
    const kind = int(r, 6);
    const pick = r();
    const at = pick < 0.1 && hot.records.length ? hot.records[int(r, hot.records.length)]
      : pick < 0.75 && hot.payload.length ? hot.payload[int(r, hot.payload.length)]
        : int(r, Math.max(1, b.length));
    switch (kind) {
      case 0: { // bit flips, near the chosen spot
        const flips = 1 + int(r, 8);
        for (let i = 0; i < flips; i++) { const p = Math.min(b.length - 1, at + int(r, 48)); b[p] ^= 1 << int(r, 8); }
        mutations.push(`flip ${flips} bits`);
        break;
      }
      case 1: { // truncation (mostly near the end, so most of the capture is still read)
        const end = r() < 0.5 ? int(r, b.length + 1) : Math.max(0, b.length - int(r, 100_000));
        b = b.slice(0, end);
        mutations.push(`truncate ${end}`);
        break;
      }
      case 2: { // splice random bytes in
        const len = 1 + int(r, 256);
        const ins = new Uint8Array(len);
        for (let i = 0; i < len; i++) ins[i] = int(r, 256);
        const p = Math.min(at, b.length);
        const next = new Uint8Array(b.length + len);
        next.set(b.subarray(0, p)); next.set(ins, p); next.set(b.subarray(p), p + len);
        b = next;
        mutations.push(`splice ${len} at ${p}`);
        break;
      }
      case 3: { // huge length field
        const v = [0xffffffff, 0x7fffffff, 0x10000000, 0xffffff, 0x00ffffff, 0x01000000, 65536][int(r, 7)];
        for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = (v >>> (8 * (r() < 0.5 ? i : 3 - i))) & 0xff;
        mutations.push(`length 0x${v.toString(16)} at ${at}`);
        break;
      }
      case 4: { // zeroed run
        const len = 1 + int(r, 2048);
        b.fill(0, at, Math.min(b.length, at + len));
        mutations.push(`zero ${len} at ${at}`);
        break;
      }
      default: { // duplicate a run (retransmission-like, or a repeated record)
        const len = 1 + int(r, 4096);
        const src = int(r, Math.max(1, b.length));
        const part = b.slice(src, Math.min(b.length, src + len));
        const p = Math.min(at, b.length);
        const next = new Uint8Array(b.length + part.length);
        next.set(b.subarray(0, p)); next.set(part, p); next.set(b.subarray(p), p + part.length);
        b = next;
        mutations.push(`repeat ${part.length} from ${src} at ${p}`);
      }
    }
  }
  return { bytes: b, mutations };
}

interface Packet { tsSec: number; tsNsec: number; data: Uint8Array; origLen: number }

const packetCache = new WeakMap<Uint8Array, { linkType: number; packets: Packet[] }>();

function packetsOf(bytes: Uint8Array): { linkType: number; packets: Packet[] } {
  let cached = packetCache.get(bytes);
  if (!cached) {
    const packets: Packet[] = [];
    let linkType = 1;
    const reader = new CaptureReader({
      packet(p) {
        linkType = p.linkType;
        packets.push({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data.slice(p.dataOffset, p.dataOffset + p.capLen), origLen: p.origLen });
      },
    });
    reader.push(bytes);
    reader.end();
    cached = { linkType, packets };
    packetCache.set(bytes, cached);
  }
  return cached;
}

/**
 * Mutations at the packet level keep the capture readable, so the damage reaches TCP reassembly and
 * iSCSI framing: lost, repeated and reordered packets, snaplen cuts, bit flips, huge length fields and
 * zeroed runs inside the TCP payload.
 */
export function mutatePackets(base: Uint8Array, r: Random): { bytes: Uint8Array; mutations: string[] } {
  const { linkType, packets: all } = packetsOf(base);
  const start = all.length > 400 && r() < 0.7 ? int(r, all.length - 200) : 0;
  const packets = all.slice(start, start + 200 + int(r, 2000)).map((p) => ({ ...p }));
  const mutations = [`packets ${start}..${start + packets.length}`];
  const n = 1 + int(r, 6);
  for (let m = 0; m < n && packets.length > 0; m++) {
    const i = int(r, packets.length);
    const p = packets[i];
    // TCP payload offset for Ethernet + IPv4 (+ TCP options), falling back to 54.
    const ihl = p.data.length > 14 ? (p.data[14] & 15) * 4 : 20;
    const pay = Math.min(p.data.length, 14 + ihl + (p.data.length > 14 + ihl + 12 ? (p.data[14 + ihl + 12] >> 4) * 4 : 20));
    switch (int(r, 8)) {
      case 0: packets.splice(i, 1); mutations.push(`drop ${i}`); break;
      case 1: packets.splice(i, 0, { ...p }); mutations.push(`repeat ${i}`); break;
      case 2: if (i + 1 < packets.length) { packets[i] = packets[i + 1]; packets[i + 1] = p; mutations.push(`swap ${i}`); } break;
      case 3: { const cut = pay + int(r, Math.max(1, p.data.length - pay)); p.data = p.data.slice(0, cut); mutations.push(`cut ${i} at ${cut}`); break; }
      case 4: { p.data = p.data.slice(); const k = 1 + int(r, 8); for (let j = 0; j < k; j++) { const at = pay + int(r, Math.max(1, Math.min(64, p.data.length - pay))); if (at < p.data.length) p.data[at] ^= 1 << int(r, 8); } mutations.push(`flip ${k} in ${i}`); break; }
      case 5: { p.data = p.data.slice(); const at = pay + [4, 5, 16, 20, 24][int(r, 5)]; for (let j = 0; j < 4 && at + j < p.data.length; j++) p.data[at + j] = 0xff; mutations.push(`huge field in ${i}`); break; }
      case 6: { p.data = p.data.slice(); const at = int(r, p.data.length); p.data.fill(0, at, at + int(r, 2048)); mutations.push(`zero in ${i}`); break; }
      default: { p.data = p.data.slice(); for (let j = 0; j < 4 && 14 + 2 + j < p.data.length; j++) p.data[16 + (j & 1)] = int(r, 256); mutations.push(`IP length in ${i}`); }
    }
  }
  const w = new PcapWriter({ linkType, nanosecond: true });
  for (const p of packets) w.addPacket(p.tsSec, p.tsNsec, p.data, Math.max(p.origLen, p.data.length));
  return { bytes: w.toBytes(), mutations };
}

function run(bytes: Uint8Array, chunk: number): Analysis {
  const a = new Analyzer();
  for (let o = 0; o < bytes.length; o += chunk) a.push(bytes.subarray(o, Math.min(bytes.length, o + chunk)));
  return a.finish();
}

/** What must not change with the chunk size. */
function fingerprint(a: Analysis): string {
  const c = a.pdus;
  let h = 0x811c9dc5;
  const mix = (v: number): void => { h = Math.imul(h ^ (v >>> 0), 16777619); };
  for (let i = 0; i < c.count; i++) {
    mix(c.frame[i]); mix(c.b0[i]); mix(c.itt[i]); mix(c.w4[i]); mix(c.w24[i]); mix(c.conn[i]); mix(c.state[i]); mix(c.fileOffset[i]);
  }
  return JSON.stringify([c.count, h >>> 0, a.connections.length, a.error?.kind, a.capture.packets, a.findings.length]);
}

export function fuzz(inputs: Array<{ name: string; bytes: Uint8Array }>, opts: { cases: number; seed: number; first?: number; timeLimitMs?: number; onProgress?: (done: number, failures: number) => void }): FuzzReport {
  const limit = opts.timeLimitMs ?? 1000;
  const failures: FuzzFailure[] = [];
  const errorsByKind: Record<string, number> = {};
  let slowest = 0;
  const t0 = performance.now();
  const first = opts.first ?? 0;
  for (let i = first; i < first + opts.cases; i++) {
    const seed = (opts.seed * 1_000_003 + i) >>> 0;
    const r = prng(seed);
    const input = inputs[int(r, inputs.length)];
    // Two in three cases damage the traffic and keep the file readable; the rest damage the file.
    const { bytes, mutations } = r() < 0.67 ? mutatePackets(input.bytes, r) : mutate(input.bytes, r);
    const chunk = [1 + int(r, 16), 4096, 65536 + int(r, 65536)][int(r, 3)];
    const fail = (reason: string): void => { failures.push({ caseIndex: i, seed, input: input.name, mutations, reason }); };
    try {
      const s = performance.now();
      const whole = run(bytes, 1 << 22);
      const ms = performance.now() - s;
      slowest = Math.max(slowest, ms);
      if (ms > limit) fail(`took ${ms.toFixed(0)} ms`);
      const kind = whole.error?.kind ?? 'none';
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
      // 1-byte chunks on a 400 KB case is 400k calls: keep the tiny chunks to small inputs.
      const chunked = run(bytes, bytes.length > 200_000 && chunk < 16 ? 4096 : chunk);
      if (fingerprint(chunked) !== fingerprint(whole)) fail(`answer differs with ${chunk}-byte chunks`);
    } catch (e) {
      fail(`threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)}`);
    }
    if (opts.onProgress && (i - first) % 1000 === 999) opts.onProgress(i - first + 1, failures.length);
  }
  return { cases: opts.cases, failures, seconds: (performance.now() - t0) / 1000, slowestMs: slowest, errorsByKind };
}
