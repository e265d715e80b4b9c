/**
 * Throughput of CaptureReader (not a vitest test): npx tsx test/capture/bench.ts
 * basic-io.pcap's records repeated 50 times in one stream, pushed in 1 MiB chunks; the same as pcapng
 * (ns); and a stream of small (100-byte) packets for the packets-per-second figure.
 */
import { readFileSync } from 'node:fs';
import { CaptureReader, PcapngWriter, PcapWriter } from '../../src/capture/index.ts';

const file = new Uint8Array(readFileSync('/work/shared/captures/basic-io.pcap'));

function repeatRecords(times: number): Uint8Array {
  const body = file.subarray(24);
  const out = new Uint8Array(24 + body.length * times);
  out.set(file.subarray(0, 24));
  for (let i = 0; i < times; i++) out.set(body, 24 + i * body.length);
  return out;
}

function asPcapng(pcap: Uint8Array): Uint8Array {
  const w = new PcapngWriter({ chunkSize: 8 << 20 });
  w.addInterface({ tsresol: 9 });
  const r = new CaptureReader({ packet: (p) => w.addPacket(0, p.tsSec, p.tsNsec, p.data.subarray(p.dataOffset, p.dataOffset + p.capLen), p.origLen) });
  r.push(pcap);
  r.end();
  return w.toBytes();
}

function smallPackets(n: number): Uint8Array {
  const w = new PcapWriter({ chunkSize: 8 << 20 });
  const data = new Uint8Array(100);
  for (let i = 0; i < n; i++) w.addPacket(1_700_000_000 + (i >>> 10), (i * 997) % 1_000_000_000, data);
  return w.toBytes();
}

function bench(name: string, bytes: Uint8Array, chunk = 1 << 20, rounds = 5): void {
  let best = Infinity;
  let packets = 0;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    let sum = 0;
    const reader = new CaptureReader({ packet(p) { n++; sum += p.capLen; } });
    const t0 = performance.now();
    for (let o = 0; o < bytes.length; o += chunk) reader.push(bytes.subarray(o, o + chunk));
    reader.end();
    const ms = performance.now() - t0;
    if (sum < 0) console.log(sum);
    best = Math.min(best, ms);
    packets = n;
  }
  const mb = bytes.length / 1e6;
  console.log(`${name}: ${mb.toFixed(1)} MB, ${packets.toLocaleString('en-US')} packets, best of ${rounds}: ${best.toFixed(1)} ms`
    + ` = ${(mb / (best / 1000)).toFixed(0)} MB/s, ${(packets / (best / 1000) / 1e6).toFixed(2)} M packets/s`);
}

const big = repeatRecords(50);
bench('basic-io.pcap x50, pcap µs, 1 MiB chunks', big);
bench('basic-io.pcap x50, pcap µs, 64 KiB chunks', big, 65536);
bench('basic-io.pcap x50, pcapng ns, 1 MiB chunks', asPcapng(big));
// 50 separate reads of the file itself, 1 MiB chunks
{
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 50; i++) {
    const reader = new CaptureReader({ packet() { n++; } });
    for (let o = 0; o < file.length; o += 1 << 20) reader.push(file.subarray(o, o + (1 << 20)));
    reader.end();
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`basic-io.pcap read 50 times (separate readers): ${n} packets, ${((file.length * 50) / 1e6 / s).toFixed(0)} MB/s`);
}
bench('2M packets of 100 bytes, pcap µs, 1 MiB chunks', smallPackets(2_000_000));
bench('2M packets of 100 bytes, pcapng ns, 1 MiB chunks', asPcapng(smallPackets(2_000_000)));
{
  // pcapng with µs and a binary resolution (2^-30), to compare the timestamp paths
  for (const tsresol of [6, 0x80 | 30]) {
    const w = new PcapngWriter({ chunkSize: 8 << 20 });
    w.addInterface({ tsresol });
    const data = new Uint8Array(100);
    for (let i = 0; i < 2_000_000; i++) w.addPacket(0, 1_700_000_000 + (i >>> 10), (i * 997) % 1_000_000_000, data);
    bench(`2M packets of 100 bytes, pcapng tsresol 0x${tsresol.toString(16)}, 1 MiB chunks`, w.toBytes());
  }
}
