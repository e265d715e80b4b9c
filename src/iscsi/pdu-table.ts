// The PDU table: every framed PDU's header facts in typed-array columns (63 bytes a PDU, no
// payload), and the one module that knows their layout. The BHS words are kept raw — what each
// means depends on the opcode (RFC 7143 §11) — and every reader above goes through the accessors
// below, which name them as the RFC does. Nothing else reads a raw column word.

import * as codec from '../codec/index.ts';

// The codec's constants, bound here once: under the dev and test module loaders an imported binding
// read per PDU costs a getter call, and these are read for every PDU.
const OPCODE_MASK = codec.OPCODE_MASK;
const TARGET_OPCODE_BIT = codec.TARGET_OPCODE_BIT;
const BIT_IMMEDIATE = codec.BIT_IMMEDIATE;
const DATA_IN_STATUS_BIT = codec.DATA_IN_STATUS_BIT;
const OP_DATA_IN = codec.OP_DATA_IN;
const STATSN_RULE = codec.STATSN_RULE;
const NONE = codec.StatSNRule.None;
const CARRIES_EXPSTATSN = codec.CARRIES_EXPSTATSN;
const NUMBERED_BY_CMDSN = codec.NUMBERED_BY_CMDSN;
const CARRIES_CMD_WINDOW = codec.CARRIES_CMD_WINDOW;
const { carriesNextStatSN, consumesStatSN, endsLogin, fromHex, lunNumber, u32 } = codec;

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

type Column = Float64Array | Uint32Array | Uint16Array | Uint8Array;
type ColumnName = Exclude<keyof PduColumns, 'count'>;
const COLUMNS: Array<[ColumnName, { new (n: number): Column; readonly BYTES_PER_ELEMENT: number }]> = [
  ['time', Float64Array], ['fileOffset', Float64Array], ['frame', Uint32Array], ['firstFrame', Uint32Array],
  ['conn', Uint32Array], ['b0', Uint8Array], ['b1', Uint8Array], ['b2', Uint8Array], ['b3', Uint8Array],
  ['state', Uint8Array], ['lun', Uint16Array], ['w4', Uint32Array], ['itt', Uint32Array], ['w20', Uint32Array],
  ['w24', Uint32Array], ['w28', Uint32Array], ['w32', Uint32Array], ['w36', Uint32Array],
];

/** Where a PDU was found, and what the framer knows beyond its header. */
export interface PduRow {
  time: number;
  fileOffset: number;
  frame: number;
  firstFrame: number;
  conn: number;
  /** PduState bits. */
  state: number;
  /** Index into the LUN table, NO_LUN for Login PDUs. */
  lun: number;
}

/**
 * Grows while the capture is read — by an eighth at a time, one column after the other, so the
 * memory it holds stays within about 1.2× of the rows it has even while it grows; `finish()` trims
 * to the exact count, again a column at a time.
 */
export class PduTableBuilder {
  private capacity: number;
  readonly cols: PduColumns;
  /** The most bytes the columns have held at once (the benchmark's peak per PDU). */
  peakBytes = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = initialCapacity;
    const cols = { count: 0 } as PduColumns;
    for (const [name, T] of COLUMNS) (cols as unknown as Record<string, unknown>)[name] = new T(initialCapacity);
    this.cols = cols;
    this.peakBytes = initialCapacity * BYTES_PER_ROW;
  }

  get count(): number {
    return this.cols.count;
  }

  /** Append a PDU from its BHS (`h`, 48 bytes at least) and where it was found; returns its row. */
  add(h: Uint8Array, at: PduRow): number {
    if (this.cols.count === this.capacity) this.grow();
    const i = this.cols.count++;
    const col = this.cols;
    col.time[i] = at.time;
    col.fileOffset[i] = at.fileOffset;
    col.frame[i] = at.frame;
    col.firstFrame[i] = at.firstFrame;
    col.conn[i] = at.conn;
    col.state[i] = at.state;
    col.lun[i] = at.lun;
    col.b0[i] = h[0];
    col.b1[i] = h[1];
    col.b2[i] = h[2];
    col.b3[i] = h[3];
    col.w4[i] = u32(h, 4);
    col.itt[i] = u32(h, 16);
    col.w20[i] = u32(h, 20);
    col.w24[i] = u32(h, 24);
    col.w28[i] = u32(h, 28);
    col.w32[i] = u32(h, 32);
    col.w36[i] = u32(h, 36);
    return i;
  }

  private grow(): void {
    const n = this.capacity + Math.max(1024, this.capacity >>> 3);
    const cols = this.cols as unknown as Record<string, Column>;
    let held = this.capacity * BYTES_PER_ROW;
    for (const [name, T] of COLUMNS) {
      const next = new T(n);
      next.set(cols[name]);
      // Old and new of this column exist together until the old one is dropped.
      this.peakBytes = Math.max(this.peakBytes, held + n * T.BYTES_PER_ELEMENT);
      held += (n - this.capacity) * T.BYTES_PER_ELEMENT;
      cols[name] = next;
    }
    this.capacity = n;
  }

  /**
   * Drop the rows whose connection (the `conn` column's value) `drop` names: a live reader forgets
   * what it has told. The rows left keep their order. Returns each old row's new number (-1: dropped).
   */
  removeRows(drop: (conn: number) => boolean): Int32Array {
    const n = this.cols.count;
    const map = new Int32Array(n);
    const conn = this.cols.conn;
    let w = 0;
    for (let i = 0; i < n; i++) map[i] = drop(conn[i]) ? -1 : w++;
    if (w === n) return map;
    const cols = this.cols as unknown as Record<string, Column>;
    for (const [name] of COLUMNS) {
      const col = cols[name];
      for (let i = 0; i < n; i++) if (map[i] >= 0 && map[i] !== i) col[map[i]] = col[i];
    }
    this.cols.count = w;
    // Give memory back once most of it is idle (a burst of connections that all ended).
    if (this.capacity > 4096 && w < this.capacity >>> 2) {
      const size = Math.max(1024, w * 2);
      for (const [name, T] of COLUMNS) {
        const next = new T(size);
        next.set(cols[name].subarray(0, w));
        cols[name] = next;
      }
      this.capacity = size;
    }
    return map;
  }

  /** Exact-size copies of the columns so far, in frame order, leaving the table as it is (a live view). */
  snapshot(renumber?: ArrayLike<number>): { columns: PduColumns; order: Uint32Array | undefined } {
    const count = this.cols.count;
    const src = this.cols as unknown as Record<string, Column>;
    const order = frameOrder(this.cols.frame, count);
    const out = { count } as PduColumns;
    for (const [name] of COLUMNS) (out as unknown as Record<string, unknown>)[name] = exactCopy(src[name], count, order);
    if (renumber) renumberConns(out.conn, count, renumber);
    return { columns: out, order };
  }

  /**
   * Exact-size columns in (frame, emission) order, with connections renumbered by `renumber`
   * (old → new index) when given. Returns the permutation applied, if any.
   */
  finish(renumber?: ArrayLike<number>): { columns: PduColumns; order: Uint32Array | undefined } {
    const count = this.cols.count;
    const src = this.cols as unknown as Record<string, Column>;
    const order = frameOrder(this.cols.frame, count);
    const out = { count } as PduColumns;
    let held = this.capacity * BYTES_PER_ROW;
    for (const [name, T] of COLUMNS) {
      const exact = exactCopy(src[name], count, order);
      this.peakBytes = Math.max(this.peakBytes, held + count * T.BYTES_PER_ELEMENT);
      held -= (this.capacity - count) * T.BYTES_PER_ELEMENT;
      (out as unknown as Record<string, unknown>)[name] = exact;
      // Let the full-size column go as soon as its exact copy exists.
      (src as Record<string, unknown>)[name] = exact;
    }
    this.capacity = count;
    if (renumber) renumberConns(out.conn, count, renumber);
    return { columns: out, order };
  }
}

/** The first `count` values of a column, exactly sized, in `order` where given. */
function exactCopy(col: Column, count: number, order: Uint32Array | undefined): Column {
  if (!order) return col.slice(0, count);
  const exact = new (col.constructor as new (n: number) => Column)(count);
  for (let j = 0; j < count; j++) exact[j] = col[order[j]];
  return exact;
}

/** Connection numbers old → new (`renumber[old]`), in place. */
function renumberConns(conn: PduColumns['conn'], count: number, renumber: ArrayLike<number>): void {
  for (let i = 0; i < count; i++) conn[i] = renumber[conn[i]];
}

/** The permutation that puts rows in (frame, emission) order, or undefined when they are in it. */
function frameOrder(frame: Uint32Array, count: number): Uint32Array | undefined {
  for (let i = 1; i < count; i++) {
    if (frame[i] < frame[i - 1]) {
      const order = new Uint32Array(count);
      for (let j = 0; j < count; j++) order[j] = j;
      order.sort((a, b) => frame[a] - frame[b] || a - b);
      return order;
    }
  }
  return undefined;
}

const BYTES_PER_ROW = COLUMNS.reduce((n, [, T]) => n + (T as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT, 0);

/** Bytes the columns take per PDU (the retained-memory figure of the benchmark). */
export function bytesPerPdu(): number {
  return BYTES_PER_ROW;
}

/** The columns' buffers, for postMessage transfer lists. */
export function pduBuffers(c: PduColumns): ArrayBuffer[] {
  const r = c as unknown as Record<string, { buffer: ArrayBuffer }>;
  return COLUMNS.map(([name]) => r[name].buffer);
}

// ---------------------------------------------------------------------------------------------
// Accessors. Which word holds what depends on the opcode; callers know the opcode, these only name
// the bytes (RFC 7143 §11). In hot loops, copy the functions into locals once.

export function opcode(c: PduColumns, i: number): number { return c.b0[i] & OPCODE_MASK; }
/** Target PDUs have opcodes 0x20-0x3f. */
export function fromTarget(c: PduColumns, i: number): boolean { return (c.b0[i] & TARGET_OPCODE_BIT) !== 0; }
export function isImmediate(c: PduColumns, i: number): boolean { return (c.b0[i] & BIT_IMMEDIATE) !== 0; }
/** BHS byte 1: the F bit and the opcode's own flags. */
export function flags(c: PduColumns, i: number): number { return c.b1[i]; }
export function isFinal(c: PduColumns, i: number): boolean { return (c.b1[i] & 0x80) !== 0; }
export function itt(c: PduColumns, i: number): number { return c.itt[i]; }
/** Index into the LUN table (NO_LUN for Login PDUs). */
export function lunIndexOf(c: PduColumns, i: number): number { return c.lun[i]; }

/** Bytes 20-23: TTT (NOP-Out/In, Text, Data-Out/In, R2T). */
export function ttt(c: PduColumns, i: number): number { return c.w20[i]; }
/** Bytes 20-23 of a Task Management request: the Referenced Task Tag. */
export function referencedTaskTag(c: PduColumns, i: number): number { return c.w20[i]; }
/** Bytes 20-23 of a SCSI Command: Expected Data Transfer Length. */
export function expectedDataTransferLength(c: PduColumns, i: number): number { return c.w20[i]; }
/** Bytes 20-21 of a Login / Logout Request: the CID. */
export function cid(c: PduColumns, i: number): number { return c.w20[i] >>> 16; }

/** Initiator PDUs: bytes 24-27 CmdSN, 28-31 ExpStatSN. */
export function cmdSN(c: PduColumns, i: number): number { return c.w24[i]; }
export function expStatSN(c: PduColumns, i: number): number { return c.w28[i]; }
/** Target PDUs: bytes 24-27 StatSN, 28-31 ExpCmdSN, 32-35 MaxCmdSN. */
export function statSN(c: PduColumns, i: number): number { return c.w24[i]; }
export function expCmdSN(c: PduColumns, i: number): number { return c.w28[i]; }
export function maxCmdSN(c: PduColumns, i: number): number { return c.w32[i]; }
/** Bytes 32-35 of a Task Management request: RefCmdSN. */
export function refCmdSN(c: PduColumns, i: number): number { return c.w32[i]; }
/** Bytes 36-39: DataSN (Data-In/Out), R2TSN (R2T), ExpDataSN (SCSI Response, TMF request). */
export function dataSN(c: PduColumns, i: number): number { return c.w36[i]; }
export function r2tSN(c: PduColumns, i: number): number { return c.w36[i]; }

/** Bytes 4-7: DataSegmentLength (low 24 bits) and TotalAHSLength in 4-byte words (high byte). */
export function dataSegmentLength(c: PduColumns, i: number): number { return c.w4[i] & 0xffffff; }
export function totalAhsWords(c: PduColumns, i: number): number { return c.w4[i] >>> 24; }

/** SCSI Command: CDB bytes 0 and 1 (BHS bytes 32, 33): operation code and service action. */
export function scsiOpcode(c: PduColumns, i: number): number { return c.w32[i] >>> 24; }
export function cdbByte1(c: PduColumns, i: number): number { return (c.w32[i] >>> 16) & 0xff; }
/** SCSI Command byte 1: R (0x40) and W (0x20). */
export function isRead(c: PduColumns, i: number): boolean { return (c.b1[i] & 0x40) !== 0; }
export function isWrite(c: PduColumns, i: number): boolean { return (c.b1[i] & 0x20) !== 0; }
/** SCSI Response / Data-In: the SCSI status byte (byte 3). */
export function scsiStatus(c: PduColumns, i: number): number { return c.b3[i]; }
/** Byte 2: the iSCSI Response of a SCSI, TMF or Logout Response; a Reject's reason. */
export function response(c: PduColumns, i: number): number { return c.b2[i]; }
export function rejectReason(c: PduColumns, i: number): number { return c.b2[i]; }
/** Byte 1 & 0x7f: a TMF request's function, a Logout Request's reason. */
export function tmfFunction(c: PduColumns, i: number): number { return c.b1[i] & 0x7f; }
export function logoutReason(c: PduColumns, i: number): number { return c.b1[i] & 0x7f; }
/** Data-In S bit: the PDU carries the command's status and a StatSN. */
export function dataInHasStatus(c: PduColumns, i: number): boolean { return (c.b1[i] & DATA_IN_STATUS_BIT) !== 0; }

/** Login PDU byte 1: T, C, CSG, NSG. */
export function loginTransit(c: PduColumns, i: number): boolean { return (c.b1[i] & 0x80) !== 0; }
export function loginCsg(c: PduColumns, i: number): number { return (c.b1[i] >> 2) & 3; }
export function loginNsg(c: PduColumns, i: number): number { return c.b1[i] & 3; }
/** Login Response status class (byte 36) and detail (byte 37). */
export function loginStatusClass(c: PduColumns, i: number): number { return c.w36[i] >>> 24; }
export function loginStatusDetail(c: PduColumns, i: number): number { return (c.w36[i] >>> 16) & 0xff; }
/** A Login Response that ends the login: a failure, or the final success (T = 1, NSG = 3). */
export function endsLoginPhase(c: PduColumns, i: number): boolean { return endsLogin(c.b1[i], c.w36[i] >>> 24); }
/** Async Message: AsyncEvent (byte 36) and Parameter1 (bytes 38-39). */
export function asyncEvent(c: PduColumns, i: number): number { return c.w36[i] >>> 24; }
export function asyncParameter1(c: PduColumns, i: number): number { return c.w36[i] & 0xffff; }

/** Does this target PDU consume a StatSN (RFC 7143 §4.2.2.2)? */
export function advancesStatSN(c: PduColumns, i: number): boolean { return consumesStatSN(c.b0[i], c.itt[i], c.b1[i]); }
/** Does this target PDU carry the next StatSN without consuming it (R2T, NOP-In answering nothing)? */
export function onlyCarriesStatSN(c: PduColumns, i: number): boolean { return carriesNextStatSN(c.b0[i], c.itt[i]); }
/** Does this target PDU carry a StatSN at all (a Data-In without S carries none)? */
export function carriesStatSN(c: PduColumns, i: number): boolean {
  const op = c.b0[i] & OPCODE_MASK;
  return STATSN_RULE[op] !== NONE && (op !== OP_DATA_IN || (c.b1[i] & DATA_IN_STATUS_BIT) !== 0);
}
/** An initiator PDU with an ExpStatSN field. */
export function carriesExpStatSN(c: PduColumns, i: number): boolean { return CARRIES_EXPSTATSN[c.b0[i] & OPCODE_MASK] === 1; }
/** An initiator PDU numbered by CmdSN (Login excluded). */
export function numberedByCmdSN(c: PduColumns, i: number): boolean { return NUMBERED_BY_CMDSN[c.b0[i] & OPCODE_MASK] === 1; }
/** A target PDU advertising ExpCmdSN / MaxCmdSN. */
export function carriesCmdWindow(c: PduColumns, i: number): boolean { return CARRIES_CMD_WINDOW[c.b0[i] & OPCODE_MASK] === 1; }

/** Digest checks kept in the state bits (DigestCheck of framer.ts). */
export const DigestState = { None: 0, Ok: 1, Bad: 2, Unchecked: 3 } as const;
export function headerDigestCheck(c: PduColumns, i: number): number { return (c.state[i] >> PduState.HeaderDigestShift) & 3; }
export function dataDigestCheck(c: PduColumns, i: number): number { return (c.state[i] >> PduState.DataDigestShift) & 3; }
/** Any digest was checked (bits 2-5 non-zero). */
export function digestChecked(c: PduColumns, i: number): boolean { return c.state[i] >= 4; }
export function isResynced(c: PduColumns, i: number): boolean { return (c.state[i] & PduState.Resynced) !== 0; }
export function isTruncated(c: PduColumns, i: number): boolean { return (c.state[i] & PduState.Truncated) !== 0; }

/** The LUN number as Wireshark shows it (first level), for an index into the LUN table; -1 unknown. */
export function lunValue(luns: readonly string[], index: number): number {
  const hex = luns[index];
  const bytes = hex === undefined ? undefined : fromHex(hex);
  return bytes === undefined || bytes.length < 2 ? -1 : lunNumber(bytes, 0);
}

/** A PDU's LUN number, or undefined for PDUs whose bytes 8-15 are not a LUN (Login). */
export function pduLun(c: PduColumns, luns: readonly string[], i: number): number | undefined {
  const idx = c.lun[i];
  if (idx === NO_LUN) return undefined;
  const v = lunValue(luns, idx);
  return v < 0 ? undefined : v;
}

/** "LUN 1" for an index into the LUN table. */
export function lunName(luns: readonly string[], index: number): string {
  return `LUN ${lunValue(luns, index)}`;
}

/** The 48 BHS bytes as far as the columns know them: bytes 40–47, and a Login's ISID/TSIH, are not kept. */
export function headerFromColumns(c: PduColumns, luns: readonly string[], i: number): { bytes: Uint8Array; known: Uint8Array } {
  const b = new Uint8Array(48);
  const known = new Uint8Array(48).fill(1);
  b[0] = c.b0[i]; b[1] = c.b1[i]; b[2] = c.b2[i]; b[3] = c.b3[i];
  const put = (o: number, v: number): void => { b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff; };
  put(4, c.w4[i]);
  const lun = c.lun[i];
  const hex = lun !== NO_LUN ? luns[lun] : undefined;
  const lunBytes = hex !== undefined ? fromHex(hex) : undefined;
  if (lunBytes !== undefined && lunBytes.length === 8) b.set(lunBytes, 8);
  else for (let k = 8; k < 16; k++) known[k] = 0;
  put(16, c.itt[i]); put(20, c.w20[i]); put(24, c.w24[i]); put(28, c.w28[i]); put(32, c.w32[i]); put(36, c.w36[i]);
  for (let k = 40; k < 48; k++) known[k] = 0;
  return { bytes: b, known };
}

/** Do these bytes hold the header the columns recorded for row `i`? */
export function headerMatches(c: PduColumns, i: number, b: Uint8Array): boolean {
  if (b.length < 48) return false;
  return b[0] === c.b0[i] && b[1] === c.b1[i] && b[2] === c.b2[i] && b[3] === c.b3[i]
    && u32(b, 4) === c.w4[i] && u32(b, 16) === c.itt[i] && u32(b, 20) === c.w20[i] && u32(b, 24) === c.w24[i]
    && u32(b, 28) === c.w28[i] && u32(b, 32) === c.w32[i] && u32(b, 36) === c.w36[i];
}

/** The row's header length (BHS + AHS, digest excluded). */
export function rowHeaderLength(c: PduColumns, i: number): number {
  return 48 + (c.w4[i] >>> 24) * 4;
}
