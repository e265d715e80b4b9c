// The PDU detail view's one touch of capture bytes: re-read a PDU's header (BHS + AHS) from the
// File at its recorded offset, check it against the columns, and decode it with the kept data
// segment (login/text keys, sense, rejected header) into the CLI's PDU record.

import { blobChunks, maybeGunzip } from '../../capture/index.ts';
import type { Analysis, PduColumns } from '../../engine/index.ts';
import { NO_LUN } from '../../engine/index.ts';
import { decodeKept, pduRecord } from '../../engine/pdu-record.ts';
import type { Pdu } from '../../codec/index.ts';
import { fmtBytes } from './format.ts';

export type HeaderSource = 'file' | 'gzip' | 'kept' | 'columns';

export interface PduDetailData {
  row: number;
  record: Record<string, unknown>;
  pdu: Pdu;
  /** The header bytes shown as hex (BHS + AHS). */
  header: Uint8Array;
  /** Which header bytes are known (false: not kept, shown as "··"). */
  known: Uint8Array;
  source: HeaderSource;
  /** Offset of the header in the file (in the decompressed stream for gzip captures). */
  offset: number;
  note: string | undefined;
  /** Header digest / data digest state from the columns. */
  headerDigest: DigestState;
  dataDigest: DigestState;
}

export type DigestState = 'none' | 'ok' | 'bad' | 'unchecked';
const DIGEST: DigestState[] = ['none', 'ok', 'bad', 'unchecked'];

export async function isGzip(file: Blob): Promise<boolean> {
  if (file.size < 2) return false;
  const b = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  return b[0] === 0x1f && b[1] === 0x8b;
}

/** Bytes [offset, offset + length) of the decompressed stream (reads from the start: slow for far offsets). */
export async function gunzipRange(file: Blob, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let pos = 0;
  let got = 0;
  const it = maybeGunzip(blobChunks(file, 1 << 20));
  try {
    for await (const chunk of it) {
      if (signal?.aborted) break;
      const end = pos + chunk.length;
      if (end > offset) {
        const from = Math.max(0, offset - pos);
        const n = Math.min(chunk.length - from, length - got);
        out.set(chunk.subarray(from, from + n), got);
        got += n;
        if (got >= length) break;
      }
      pos = end;
    }
  } finally {
    await it.return(undefined);
  }
  return out.subarray(0, got);
}

function word(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Do these bytes hold the header the columns recorded for `row`? */
export function headerMatches(c: PduColumns, row: number, b: Uint8Array): boolean {
  if (b.length < 48) return false;
  return b[0] === c.b0[row] && b[1] === c.b1[row] && b[2] === c.b2[row] && b[3] === c.b3[row]
    && word(b, 4) === c.w4[row] && word(b, 16) === c.itt[row] && word(b, 20) === c.w20[row] && word(b, 24) === c.w24[row]
    && word(b, 28) === c.w28[row] && word(b, 32) === c.w32[row] && word(b, 36) === c.w36[row];
}

/** The 48 BHS bytes as far as the columns know them (bytes 40–47, and a Login's ISID/TSIH, are not kept). */
export function headerFromColumns(a: Pick<Analysis, 'pdus' | 'luns'>, row: number): { bytes: Uint8Array; known: Uint8Array } {
  const c = a.pdus;
  const b = new Uint8Array(48);
  const known = new Uint8Array(48).fill(1);
  b[0] = c.b0[row]; b[1] = c.b1[row]; b[2] = c.b2[row]; b[3] = c.b3[row];
  const put = (o: number, v: number) => { b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff; };
  put(4, c.w4[row]);
  const lun = c.lun[row];
  if (lun !== NO_LUN && a.luns[lun]) {
    const hex = a.luns[lun];
    for (let i = 0; i < 8; i++) b[8 + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  } else {
    for (let i = 8; i < 16; i++) known[i] = 0;
  }
  put(16, c.itt[row]); put(20, c.w20[row]); put(24, c.w24[row]); put(28, c.w28[row]); put(32, c.w32[row]); put(36, c.w36[row]);
  for (let i = 40; i < 48; i++) known[i] = 0;
  return { bytes: b, known };
}

export async function readPduDetail(file: Blob | undefined, a: Analysis, row: number, gz?: boolean, signal?: AbortSignal): Promise<PduDetailData> {
  const c = a.pdus;
  const offset = c.fileOffset[row];
  const ahs = (c.w4[row] >>> 24) * 4;
  const headerLength = 48 + ahs;
  let header: Uint8Array | undefined;
  let known: Uint8Array | undefined;
  let source: HeaderSource = 'columns';
  let note: string | undefined;
  const split = a.headerFrames.get(row);
  const headerFrame = split?.frame;
  if (split && split.header.length >= 48) {
    // A header cut across segments is not contiguous in the file; the analysis kept its bytes.
    header = split.header;
    known = new Uint8Array(header.length).fill(1);
    source = 'kept';
    note = `The header is split across frames ${c.firstFrame[row]}–${split.frame}, so it is not contiguous in the file; shown as the analysis kept it.`;
  } else if (file) {
    const gzip = gz ?? (await isGzip(file));
    let bytes: Uint8Array;
    if (gzip) {
      bytes = await gunzipRange(file, offset, headerLength, signal);
    } else {
      bytes = new Uint8Array(await file.slice(offset, offset + headerLength).arrayBuffer());
    }
    if (headerMatches(c, row, bytes)) {
      header = bytes;
      known = new Uint8Array(bytes.length).fill(1);
      source = gzip ? 'gzip' : 'file';
      if (gzip) note = `Re-read from the gzip capture by decompressing its first ${fmtBytes(offset + headerLength)} (the offset is in the decompressed stream).`;
    } else {
      note = 'The bytes at the recorded offset do not hold this header (was the file changed?); shown as the analysis recorded it.';
    }
  } else {
    note = 'The capture file is not at hand; shown as the analysis recorded it.';
  }
  if (!header) {
    const h = headerFromColumns(a, row);
    header = h.bytes;
    known = h.known;
    note = `${note} Bytes 40–47 (and a Login's ISID/TSIH) are not kept by the analysis and are shown as ·· below.`;
  }
  const detail = a.details.get(row);
  const data = detail?.data ?? new Uint8Array(0);
  const pdu = decodeKept(header, Math.min(header.length, headerLength), data, data.length);
  const record = pduRecord(pdu, {
    conn: c.conn[row],
    fromTarget: (c.b0[row] & 0x20) !== 0,
    frame: c.frame[row],
    firstFrame: c.firstFrame[row],
    headerFrame: headerFrame ?? c.firstFrame[row],
    time: c.time[row],
    truncated: (c.state[row] & 1) !== 0,
  });
  const st = c.state[row];
  return {
    row, record, pdu, header, known: known!, source, offset, note,
    headerDigest: DIGEST[(st >> 2) & 3], dataDigest: DIGEST[(st >> 4) & 3],
  };
}
