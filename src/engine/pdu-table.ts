/**
 * Per-PDU facts in columns. The BHS words are kept raw (bytes 0-3 split, 4-7, 16-39 as 32-bit
 * words): what each means depends on the opcode (RFC 7143 §11); src/sessions/fields.ts reads them
 * by name. 63 bytes a PDU, no payload.
 */
export interface PduColumns {
  count: number;
  /** Capture time of `frame`, seconds since the epoch. */
  time: Float64Array;
  /** File offset of the BHS (in the decompressed stream for gzip captures). */
  fileOffset: Float64Array;
  /** Frame holding the PDU's last byte (Wireshark's frame for a reassembled PDU). */
  frame: Uint32Array;
  /** Frame holding the PDU's first byte. */
  firstFrame: Uint32Array;
  /** iSCSI connection index. */
  conn: Uint32Array;
  /** BHS byte 0 (I bit + opcode), byte 1 (flags), bytes 2 and 3. */
  b0: Uint8Array;
  b1: Uint8Array;
  b2: Uint8Array;
  b3: Uint8Array;
  /** PduState bits. */
  state: Uint8Array;
  /** Index into the LUN table (NO_LUN for Login PDUs, whose bytes 8-15 are ISID and TSIH). */
  lun: Uint16Array;
  /** Bytes 4-7: TotalAHSLength << 24 | DataSegmentLength. */
  w4: Uint32Array;
  /** Bytes 16-19: Initiator Task Tag. */
  itt: Uint32Array;
  /** Bytes 20, 24, 28, 32, 36 as big-endian words. */
  w20: Uint32Array;
  w24: Uint32Array;
  w28: Uint32Array;
  w32: Uint32Array;
  w36: Uint32Array;
}

export const NO_LUN = 0xffff;

export const PduState = {
  Truncated: 1,
  Resynced: 2,
  /** Bits 2-3: DigestCheck of the header digest; bits 4-5: of the data digest. */
  HeaderDigestShift: 2,
  DataDigestShift: 4,
} as const;

type ColumnName = Exclude<keyof PduColumns, 'count'>;
const COLUMNS: Array<[ColumnName, new (n: number) => Float64Array | Uint32Array | Uint16Array | Uint8Array]> = [
  ['time', Float64Array], ['fileOffset', Float64Array], ['frame', Uint32Array], ['firstFrame', Uint32Array],
  ['conn', Uint32Array], ['b0', Uint8Array], ['b1', Uint8Array], ['b2', Uint8Array], ['b3', Uint8Array],
  ['state', Uint8Array], ['lun', Uint16Array], ['w4', Uint32Array], ['itt', Uint32Array], ['w20', Uint32Array],
  ['w24', Uint32Array], ['w28', Uint32Array], ['w32', Uint32Array], ['w36', Uint32Array],
];

/** Grows by doubling while the capture is read; `finish()` trims to the exact count. */
export class PduTableBuilder {
  private capacity: number;
  readonly cols: PduColumns;

  constructor(initialCapacity = 1024) {
    this.capacity = initialCapacity;
    const cols = { count: 0 } as PduColumns;
    for (const [name, T] of COLUMNS) (cols as unknown as Record<string, unknown>)[name] = new T(initialCapacity);
    this.cols = cols;
  }

  get count(): number {
    return this.cols.count;
  }

  /** Reserve the next row and return its index; the caller fills every column. */
  add(): number {
    if (this.cols.count === this.capacity) this.grow();
    return this.cols.count++;
  }

  private grow(): void {
    const n = this.capacity * 2;
    const cols = this.cols as unknown as Record<string, Float64Array | Uint32Array | Uint16Array | Uint8Array>;
    for (const [name, T] of COLUMNS) {
      const next = new T(n);
      next.set(cols[name]);
      cols[name] = next;
    }
    this.capacity = n;
  }

  /** Exact-size columns in (frame, emission) order. Returns the permutation applied, if any. */
  finish(): { columns: PduColumns; order: Uint32Array | undefined } {
    const count = this.cols.count;
    const src = this.cols as unknown as Record<string, Float64Array | Uint32Array | Uint16Array | Uint8Array>;
    let order: Uint32Array | undefined;
    const frame = this.cols.frame;
    for (let i = 1; i < count; i++) {
      if (frame[i] < frame[i - 1]) {
        order = new Uint32Array(count);
        for (let j = 0; j < count; j++) order[j] = j;
        order.sort((a, b) => frame[a] - frame[b] || a - b);
        break;
      }
    }
    const out = { count } as PduColumns;
    for (const [name] of COLUMNS) {
      const col = src[name];
      let exact;
      if (order) {
        exact = new (col.constructor as new (n: number) => typeof col)(count);
        for (let j = 0; j < count; j++) exact[j] = col[order[j]];
      } else {
        exact = col.slice(0, count);
      }
      (out as unknown as Record<string, unknown>)[name] = exact;
    }
    return { columns: out, order };
  }
}

/** Bytes the columns take per PDU (the retained-memory figure of the benchmark). */
export function bytesPerPdu(): number {
  let n = 0;
  for (const [, T] of COLUMNS) n += (T as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return n;
}

/** The columns' buffers, for postMessage transfer lists. */
export function pduBuffers(c: PduColumns): ArrayBuffer[] {
  const r = c as unknown as Record<string, { buffer: ArrayBuffer }>;
  return COLUMNS.map(([name]) => r[name].buffer);
}
