/** One measurement in its own process (so its peak RSS is its own): `floor FILE` or `engine FILE`. */
import { openSync, readSync, closeSync } from 'node:fs';
import { Analyzer, buildAnalysis } from '../src/engine/index.ts';
import { bulkFramedCapture } from '../src/synth/index.ts';
import { bytesPerPdu } from '../src/iscsi/index.ts';

const CHUNK = 4 << 20;

/** Read the file in chunks and walk the classic-pcap record headers: the least any reader must do. */
function floor(path: string): { packets: number } {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(CHUNK + 65536 + 16);
  const dv = new DataView(buf.buffer);
  let have = 0;
  let pos = 24; // skip the file header
  let packets = 0;
  let first = true;
  for (;;) {
    const n = readSync(fd, buf, have, CHUNK, null);
    if (n === 0) break;
    have += n;
    let p = first ? pos : 0;
    first = false;
    while (p + 16 <= have) {
      const incl = dv.getUint32(p + 8, true);
      if (p + 16 + incl > have) break;
      p += 16 + incl;
      packets++;
    }
    buf.copyWithin(0, p, have);
    have -= p;
  }
  closeSync(fd);
  return { packets };
}

function engine(path: string): { packets: number; pdus: number; retainedBytes: number; peakTableBytes: number } {
  const fd = openSync(path, 'r');
  const analyzer = new Analyzer();
  // One buffer for every read, as the CLI does: the engine keeps no view of a chunk after push().
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, null);
    if (n === 0) break;
    analyzer.push(n === CHUNK ? buf : buf.subarray(0, n));
  }
  closeSync(fd);
  const a = analyzer.finish();
  if (a.error) throw new Error(a.error.message);
  // Retained per PDU: the columns, plus the side tables' bytes.
  let side = 0;
  for (const d of a.details.values()) side += d.data.length + 32;
  side += a.headerFrames.size * 16;
  return { packets: a.capture.packets, pdus: a.pdus.count, retainedBytes: a.pdus.count * bytesPerPdu() + side, peakTableBytes: analyzer.table.peakBytes };
}

/** The session model and the checks over a million PDUs of routine I/O put straight into the PDU
 *  table (writing a pcap of that size would time the encoder, not them); the best of three. */
function model(): { pdus: number; seconds: number } {
  const framed = bulkFramedCapture(1_000_000);
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    buildAnalysis(framed);
    best = Math.min(best, performance.now() - t);
  }
  return { pdus: framed.pdus.count, seconds: best / 1000 };
}

const [what, path] = process.argv.slice(2);
if (what === 'model') {
  console.log(JSON.stringify(model()));
} else {
  const t0 = performance.now();
  const r = what === 'floor' ? floor(path) : engine(path);
  console.log(JSON.stringify({ ...r, seconds: (performance.now() - t0) / 1000 }));
}
