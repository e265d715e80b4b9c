import { readFileSync } from 'node:fs';
import { Analyzer } from '../../src/engine/index.ts';
import type { Analysis, AnalyzerOptions } from '../../src/engine/index.ts';
import { decodeKept, pduRecord } from '../../src/iscsi/index.ts';

export type PduRow = Record<string, unknown> & { frame: number; opcode: number; conn: number };

/** Run the engine over a file in chunks of `chunkSize`, returning the Analysis and every PDU as the
 *  CLI's `pdus --format jsonl` prints it (sorted by frame, then stream position). */
export function analyzeFile(path: string, chunkSize = 1 << 20, options: AnalyzerOptions = {}): { analysis: Analysis; pdus: PduRow[] } {
  return analyzeBytes(readFileSync(path), chunkSize, options);
}

export function analyzeBytes(bytes: Uint8Array, chunkSize = 1 << 20, options: AnalyzerOptions = {}): { analysis: Analysis; pdus: PduRow[] } {
  const rows: Array<{ seq: number; row: PduRow }> = [];
  const analyzer = new Analyzer({
    ...options,
    onPdu: (p, conn) => {
      const pdu = decodeKept(p.header, p.headerLength, p.data, p.dataLength);
      const row = pduRecord(pdu, {
        conn, fromTarget: p.fromTarget, frame: p.frame, firstFrame: p.firstFrame, headerFrame: p.headerFrame,
        time: p.time, truncated: p.truncated,
      }) as PduRow;
      rows.push({ seq: rows.length, row });
    },
  });
  for (let off = 0; off < bytes.length; off += chunkSize) analyzer.push(bytes.subarray(off, Math.min(bytes.length, off + chunkSize)));
  const analysis = analyzer.finish();
  for (const r of rows) r.row.conn = analyzer.connIndex(r.row.conn);
  rows.sort((a, b) => a.row.frame - b.row.frame || a.seq - b.seq);
  return { analysis, pdus: rows.map((r) => r.row) };
}
