// The PDU detail view's one touch of capture bytes, done in the worker: re-read a PDU's header
// (BHS + AHS) from the File at its recorded offset, check it against what the analysis recorded,
// and decode it with the kept data segment (login/text keys, sense, rejected header) into the
// CLI's PDU record. A gzip capture's offsets count in the decompressed stream, so instead of
// decompressing up to the PDU on every click, the header bytes the columns do not hold (40–47, and
// any AHS) are kept, by offset, while the capture is read.

import { decodeKept, pduRecord } from '../src/iscsi/index.ts';
import type { FramedPdu } from '../src/iscsi/index.ts';
import type { Pdu } from '../src/codec/index.ts';
import { fmtBytes } from '../src/text/index.ts';

export type HeaderSource = 'file' | 'gzip' | 'kept' | 'columns';
export type DigestState = 'none' | 'ok' | 'bad' | 'unchecked';

/** What the page knows of the PDU from the Analysis (columns, side tables), sent with the request. */
export interface PduDetailRequest {
  row: number;
  conn: number;
  fromTarget: boolean;
  frame: number;
  firstFrame: number;
  time: number;
  truncated: boolean;
  fileOffset: number;
  /** BHS + AHS length. */
  headerLength: number;
  /** The 48 BHS bytes as the columns hold them, and which of them are known. */
  expected: Uint8Array;
  known: Uint8Array;
  /** A header split across frames: the frame where it ended and its bytes, as the analysis kept them. */
  split: { frame: number; header: Uint8Array } | undefined;
  /** The kept start of the data segment, and the kept whole header of the rare PDU types. */
  data: Uint8Array;
  keptHeader: Uint8Array | undefined;
  headerDigest: DigestState;
  dataDigest: DigestState;
}

export interface PduDetailData {
  row: number;
  /** Which of several captures read as one holds the PDU (index in the order given). */
  file?: number;
  record: Record<string, unknown>;
  pdu: Pdu;
  /** The header bytes shown as hex (BHS + AHS). */
  header: Uint8Array;
  /** Which header bytes are known (0: not kept, shown as "··"). */
  known: Uint8Array;
  source: HeaderSource;
  /** Offset of the header in the file (in the decompressed stream for gzip captures). */
  offset: number;
  note: string | undefined;
  headerDigest: DigestState;
  dataDigest: DigestState;
}

/** Header bytes past what the columns hold, per BHS offset of a gzip capture's decompressed stream. */
export class GzipHeaderStore {
  private offsets = new Float64Array(1024);
  private tails = new Uint8Array(1024 * 8);
  private count = 0;
  private sorted = true;
  private readonly ahs = new Map<number, Uint8Array>();

  /** For Analyzer's onPdu: keep bytes 40–47 (and the AHS) of every PDU. */
  add(p: FramedPdu): void {
    if (this.count === this.offsets.length) {
      const o = new Float64Array(this.count * 2);
      o.set(this.offsets);
      this.offsets = o;
      const t = new Uint8Array(this.count * 16);
      t.set(this.tails);
      this.tails = t;
    }
    const k = this.count++;
    if (k > 0 && p.fileOffset < this.offsets[k - 1]) this.sorted = false;
    this.offsets[k] = p.fileOffset;
    this.tails.set(p.header.subarray(40, 48), k * 8);
    if (p.headerLength > 48) this.ahs.set(p.fileOffset, p.header.slice(48, p.headerLength));
  }

  /** Sort by offset once reading is done (framing emits PDUs almost, not quite, in offset order). */
  finish(): void {
    if (this.sorted) return;
    const order = Array.from({ length: this.count }, (_, i) => i).sort((a, b) => this.offsets[a] - this.offsets[b]);
    const offsets = new Float64Array(this.count);
    const tails = new Uint8Array(this.count * 8);
    order.forEach((from, to) => {
      offsets[to] = this.offsets[from];
      tails.set(this.tails.subarray(from * 8, from * 8 + 8), to * 8);
    });
    this.offsets = offsets;
    this.tails = tails;
    this.sorted = true;
  }

  /** Bytes 40–47 and the AHS of the PDU whose BHS starts at `offset`. */
  get(offset: number): { tail: Uint8Array; ahs: Uint8Array | undefined } | undefined {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= this.count || this.offsets[lo] !== offset) return undefined;
    return { tail: this.tails.subarray(lo * 8, lo * 8 + 8), ahs: this.ahs.get(offset) };
  }
}

let gzipHeaders: GzipHeaderStore | undefined;

/** The analysed file was gzip: its detail reads come from this store. */
export function useGzipHeaders(store: GzipHeaderStore | undefined): void {
  gzipHeaders = store;
}

function matches(b: Uint8Array, expected: Uint8Array, known: Uint8Array): boolean {
  if (b.length < 48) return false;
  for (let i = 0; i < 48; i++) if (known[i] === 1 && b[i] !== expected[i]) return false;
  return true;
}

export async function readPdu(file: Blob | undefined, q: PduDetailRequest): Promise<PduDetailData> {
  let header: Uint8Array | undefined;
  let known: Uint8Array | undefined;
  let source: HeaderSource = 'columns';
  let note: string | undefined;
  if (q.split && q.split.header.length >= 48) {
    // A header cut across segments is not contiguous in the file; the analysis kept its bytes.
    header = q.split.header;
    known = new Uint8Array(header.length).fill(1);
    source = 'kept';
    note = `The header is split across frames ${q.firstFrame}–${q.split.frame}, so it is not contiguous in the file; shown as the analysis kept it.`;
  } else if (gzipHeaders) {
    const kept = gzipHeaders.get(q.fileOffset);
    if (kept) {
      header = new Uint8Array(q.headerLength);
      header.set(q.expected.subarray(0, 48));
      header.set(kept.tail, 40);
      if (kept.ahs) header.set(kept.ahs.subarray(0, q.headerLength - 48), 48);
      known = new Uint8Array(q.headerLength).fill(1);
      // A Login's ISID/TSIH (bytes 8-15) are in its kept header.
      if (q.keptHeader && q.keptHeader.length >= 48) header.set(q.keptHeader.subarray(8, 16), 8);
      else for (let i = 0; i < 16; i++) if (i >= 8 && q.known[i] === 0) known[i] = 0;
      source = 'gzip';
      note = `Offsets of a gzip capture count in the decompressed stream; this header was kept from it (offset ${fmtBytes(q.fileOffset)}) while the capture was read, so nothing is decompressed again.`;
    }
  } else if (file) {
    const bytes = new Uint8Array(await file.slice(q.fileOffset, q.fileOffset + q.headerLength).arrayBuffer());
    if (matches(bytes, q.expected, q.known)) {
      header = bytes;
      known = new Uint8Array(bytes.length).fill(1);
      source = 'file';
    } else {
      note = 'The bytes at the recorded offset do not hold this header (was the file changed?); shown as the analysis recorded it.';
    }
  } else {
    note = 'The capture file is not at hand; shown as the analysis recorded it.';
  }
  if (!header) {
    header = q.expected;
    known = q.known;
    note = `${note ?? ''} Bytes 40–47 (and a Login's ISID/TSIH) are not kept by the analysis and are shown as ·· below.`.trim();
  }
  const pdu = decodeKept(header, Math.min(header.length, q.headerLength), q.data, q.data.length);
  const record = pduRecord(pdu, {
    conn: q.conn, fromTarget: q.fromTarget, frame: q.frame, firstFrame: q.firstFrame,
    headerFrame: q.split?.frame ?? q.firstFrame, time: q.time, truncated: q.truncated,
  });
  return {
    row: q.row, record, pdu, header, known: known ?? new Uint8Array(header.length), source, offset: q.fileOffset, note,
    headerDigest: q.headerDigest, dataDigest: q.dataDigest,
  };
}
