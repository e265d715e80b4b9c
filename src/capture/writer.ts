/**
 * Capture writers for tests and benchmarks: classic pcap (µs or ns, either byte order) and a minimal
 * pcapng (SHB, IDB with if_tsresol / if_tsoffset / if_name, EPB, SPB, OPB, custom and raw blocks).
 *
 * Output comes as chunks of about `chunkSize` bytes: either handed to `onChunk` as soon as each is
 * full (streaming: nothing is held), or collected until takeChunks() / finish() / toBytes().
 * A chunk handed out is never written to again.
 */

const TWO32 = 4294967296;

export interface ChunkedWriterOptions {
  /** Bytes per output chunk (default 1 MiB). A record larger than this gets a chunk of its own. */
  chunkSize?: number;
  /** Receives each finished chunk; without it chunks are kept until taken. */
  onChunk?: (chunk: Uint8Array) => void;
}

abstract class ChunkedWriter {
  protected buf: Uint8Array;
  protected dv: DataView;
  protected pos = 0;
  /** Bytes written so far (header included). */
  bytesWritten = 0;
  private readonly chunkSize: number;
  private readonly onChunk: ((chunk: Uint8Array) => void) | null;
  private readonly kept: Uint8Array[] = [];

  constructor(options: ChunkedWriterOptions) {
    this.chunkSize = Math.max(64, options.chunkSize ?? 1024 * 1024);
    this.onChunk = options.onChunk ?? null;
    this.buf = new Uint8Array(this.chunkSize);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Make room for n contiguous bytes at this.pos. */
  protected reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.emit();
    if (this.buf.length < n || this.buf.length !== this.chunkSize) {
      this.buf = new Uint8Array(Math.max(n, this.chunkSize));
      this.dv = new DataView(this.buf.buffer);
    }
  }

  protected advance(n: number): void {
    this.pos += n;
    this.bytesWritten += n;
  }

  private emit(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(this.chunkSize);
    this.dv = new DataView(this.buf.buffer);
    this.pos = 0;
    if (this.onChunk !== null) this.onChunk(chunk);
    else this.kept.push(chunk);
  }

  /** Finish the current chunk even if not full. */
  flush(): void {
    this.emit();
  }

  /** Chunks finished and not yet taken (only without onChunk). */
  takeChunks(): Uint8Array[] {
    return this.kept.splice(0, this.kept.length);
  }

  /** Flush, then take the remaining chunks. */
  finish(): Uint8Array[] {
    this.emit();
    return this.takeChunks();
  }

  /** Flush and return everything not yet taken as one array (convenient for small test files). */
  toBytes(): Uint8Array {
    const parts = this.finish();
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

export interface PcapWriterOptions extends ChunkedWriterOptions {
  /** LINKTYPE_ value (default 1, Ethernet). */
  linkType?: number;
  /** Snapshot length written in the header (default 262144). Packets are written as given, not cut. */
  snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanosecond?: boolean;
  bigEndian?: boolean;
}

/** Classic pcap writer. */
export class PcapWriter extends ChunkedWriter {
  private readonly le: boolean;
  private readonly nano: boolean;

  constructor(options: PcapWriterOptions = {}) {
    super(options);
    this.le = !options.bigEndian;
    this.nano = options.nanosecond === true;
    this.reserve(24);
    const dv = this.dv;
    const p = this.pos;
    const le = this.le;
    dv.setUint32(p, this.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
    dv.setUint16(p + 4, 2, le);
    dv.setUint16(p + 6, 4, le);
    dv.setInt32(p + 8, 0, le);
    dv.setUint32(p + 12, 0, le);
    dv.setUint32(p + 16, options.snaplen ?? 262144, le);
    dv.setUint32(p + 20, options.linkType ?? 1, le);
    this.advance(24);
  }

  /**
   * Append one packet record. tsSec is written as an unsigned 32-bit value; tsNsec (0..999999999) is
   * cut to microseconds in a µs file.
   */
  addPacket(tsSec: number, tsNsec: number, data: Uint8Array, origLen: number = data.length): void {
    const n = data.length;
    this.reserve(16 + n);
    const dv = this.dv;
    const p = this.pos;
    const le = this.le;
    dv.setUint32(p, tsSec >>> 0, le);
    dv.setUint32(p + 4, this.nano ? tsNsec : Math.floor(tsNsec / 1000), le);
    dv.setUint32(p + 8, n, le);
    dv.setUint32(p + 12, origLen, le);
    this.buf.set(data, p + 16);
    this.advance(16 + n);
  }
}

export interface PcapngWriterOptions extends ChunkedWriterOptions {
  /** Byte order of the first section (default little-endian). */
  bigEndian?: boolean;
}

export interface PcapngInterfaceOptions {
  /** LINKTYPE_ value (default 1, Ethernet). */
  linkType?: number;
  /** Default 0 (no limit). */
  snaplen?: number;
  /** Raw if_tsresol byte (n: 10^-n s; 0x80|n: 2^-n s). Written only when given; absent means 6 (µs). */
  tsresol?: number;
  /** if_tsoffset in seconds (signed), written only when given. */
  tsoffset?: number;
  /** if_name. */
  name?: string;
}

/** Minimal pcapng writer (one or more sections). */
export class PcapngWriter extends ChunkedWriter {
  private le = true;
  private ifaces: { tsresol: number }[] = [];
  /** 64-bit timestamp of the last conversion. */
  private tsHi = 0;
  private tsLo = 0;

  constructor(options: PcapngWriterOptions = {}) {
    super(options);
    this.newSection(options.bigEndian === true);
  }

  /** Start a new section (SHB): interface ids start again from 0. */
  newSection(bigEndian: boolean = !this.le): void {
    this.le = !bigEndian;
    this.ifaces = [];
    this.block(0x0a0d0d0a, 16, (dv, p, le) => {
      dv.setUint32(p, 0x1a2b3c4d, le);
      dv.setUint16(p + 4, 1, le);
      dv.setUint16(p + 6, 0, le);
      dv.setInt32(p + 8, -1, le); // section length unknown (-1)
      dv.setInt32(p + 12, -1, le);
    });
  }

  /** Add an Interface Description Block; returns its interface id within the section. */
  addInterface(o: PcapngInterfaceOptions = {}): number {
    const name = o.name === undefined ? null : new TextEncoder().encode(o.name);
    let optLen = 0;
    if (name !== null) optLen += 4 + pad4(name.length);
    if (o.tsresol !== undefined) optLen += 8;
    if (o.tsoffset !== undefined) optLen += 12;
    if (optLen > 0) optLen += 4; // opt_endofopt
    this.block(0x00000001, 8 + optLen, (dv, p, le, buf) => {
      dv.setUint16(p, o.linkType ?? 1, le);
      dv.setUint16(p + 2, 0, le);
      dv.setUint32(p + 4, o.snaplen ?? 0, le);
      let q = p + 8;
      if (name !== null) {
        dv.setUint16(q, 2, le);
        dv.setUint16(q + 2, name.length, le);
        buf.set(name, q + 4);
        q += 4 + pad4(name.length);
      }
      if (o.tsresol !== undefined) {
        dv.setUint16(q, 9, le);
        dv.setUint16(q + 2, 1, le);
        buf[q + 4] = o.tsresol;
        q += 8;
      }
      if (o.tsoffset !== undefined) {
        dv.setUint16(q, 14, le);
        dv.setUint16(q + 2, 8, le);
        dv.setBigInt64(q + 4, BigInt(o.tsoffset), le);
        q += 12;
      }
      if (optLen > 0) dv.setUint32(q, 0, le);
    });
    this.ifaces.push({ tsresol: o.tsresol ?? 6 });
    return this.ifaces.length - 1;
  }

  /** Enhanced Packet Block with the time given as seconds + nanoseconds (converted to the interface's units, truncating). */
  addPacket(interfaceId: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen: number = data.length): void {
    const iface = this.ifaces[interfaceId];
    if (iface === undefined) throw new Error(`PcapngWriter: no interface ${interfaceId} in this section`);
    this.toUnits(iface.tsresol, tsSec, tsNsec);
    this.addPacketRaw(interfaceId, this.tsHi, this.tsLo, data, origLen);
  }

  /** Enhanced Packet Block (or, with obsolete, a Packet Block, type 2) with a raw 64-bit timestamp. */
  addPacketRaw(interfaceId: number, tsHigh: number, tsLow: number, data: Uint8Array, origLen: number = data.length, obsolete = false): void {
    const n = data.length;
    this.block(obsolete ? 0x00000002 : 0x00000006, 20 + pad4(n), (dv, p, le, buf) => {
      if (obsolete) {
        dv.setUint16(p, interfaceId, le);
        dv.setUint16(p + 2, 0xffff, le);
      } else {
        dv.setUint32(p, interfaceId, le);
      }
      dv.setUint32(p + 4, tsHigh, le);
      dv.setUint32(p + 8, tsLow, le);
      dv.setUint32(p + 12, n, le);
      dv.setUint32(p + 16, origLen, le);
      buf.set(data, p + 20);
    });
  }

  /** Simple Packet Block: `data` should be min(origLen, snaplen of interface 0) bytes, as the spec says. */
  addSimplePacket(data: Uint8Array, origLen: number = data.length): void {
    this.block(0x00000003, 4 + pad4(data.length), (dv, p, le, buf) => {
      dv.setUint32(p, origLen, le);
      buf.set(data, p + 4);
    });
  }

  /** Custom Block (0x00000BAD, or 0x40000BAD when not to be copied). */
  addCustomBlock(pen: number, data: Uint8Array, copyable = true): void {
    this.block(copyable ? 0x00000bad : 0x40000bad, 4 + pad4(data.length), (dv, p, le, buf) => {
      dv.setUint32(p, pen, le);
      buf.set(data, p + 4);
    });
  }

  /** Any block: `body` is padded to a multiple of 4 and framed with the two length fields. */
  addBlock(type: number, body: Uint8Array): void {
    this.block(type, pad4(body.length), (_dv, p, _le, buf) => { buf.set(body, p); });
  }

  private block(type: number, bodyLen: number, fill: (dv: DataView, p: number, le: boolean, buf: Uint8Array) => void): void {
    const total = 12 + bodyLen;
    this.reserve(total);
    const dv = this.dv;
    const p = this.pos;
    const le = this.le;
    this.buf.fill(0, p, p + total);
    dv.setUint32(p, type, le);
    dv.setUint32(p + 4, total, le);
    fill(dv, p + 8, le, this.buf);
    dv.setUint32(p + total - 4, total, le);
    this.advance(total);
  }

  /** (sec, nsec) → 64-bit count of the resolution's units, truncated; into tsHi / tsLo. */
  private toUnits(tsresol: number, sec: number, nsec: number): void {
    const n = tsresol & 0x7f;
    if ((tsresol & 0x80) === 0 && n <= 9 && sec >= 0 && sec < TWO32) {
      // sec * 10^n + floor(nsec / 10^(9-n)) exactly, in 16-bit pieces (every product < 2^53).
      const m = 10 ** n;
      const c = Math.floor(nsec / 10 ** (9 - n));
      const aH = Math.floor(sec / 65536);
      const aL = sec - aH * 65536;
      const x = aL * m + c;
      const y = aH * m;
      const yH = Math.floor(y / 65536);
      const z = (y - yH * 65536) * 65536 + x;
      this.tsHi = yH + Math.floor(z / TWO32);
      this.tsLo = z % TWO32;
      return;
    }
    const u = (tsresol & 0x80) !== 0 ? 1n << BigInt(n) : 10n ** BigInt(n);
    const t = BigInt(sec) * u + (BigInt(nsec) * u) / 1000000000n;
    this.tsHi = Number((t >> 32n) & 0xffffffffn);
    this.tsLo = Number(t & 0xffffffffn);
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}
