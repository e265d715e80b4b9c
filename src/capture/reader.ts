import type { PacketRecord, PacketSink } from './types.ts';
import { CaptureError, fmtInt, plural } from './errors.ts';
import { linkTypeName } from './linktypes.ts';
import { describeNonCapture, isCaptureMagicPrefix } from './sniff.ts';

/**
 * Limits on length fields, checked BEFORE any buffer is sized from them (captures are often
 * truncated, corrupted or crafted). Even within the limits, the carry buffer for a record that
 * straddles chunks grows only as its bytes actually arrive, so a lying length field costs no memory.
 *
 * - A packet's captured length may be at most 256 MiB. (Wireshark refuses more than 256 KiB for most
 *   link types and 128 MiB for any; libpcap refuses more than max(snaplen, 256 KiB). We are more
 *   lenient, so files those tools reject for size alone are still read.)
 * - A pcapng block may be at most 256 MiB + 1 MiB (the largest packet plus room for options).
 */
export const MAX_CAPTURED_LENGTH = 256 * 1024 * 1024;
export const MAX_BLOCK_LENGTH = MAX_CAPTURED_LENGTH + 1024 * 1024;

/** A carry buffer grown beyond this is released after use. */
const CARRY_KEEP = 16 * 1024 * 1024;

/** Bytes looked at to say what a file that is not a capture is. */
const SNIFF_BYTES = 512;

const S_SNIFF = 0;
const S_PCAP_HEADER = 1;
const S_PCAP = 2;
const S_PCAPNG = 3;

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_OPB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_NRB = 0x00000004;
const BT_ISB = 0x00000005;
const BT_EPB = 0x00000006;
const BT_JOURNAL = 0x00000009;
const BT_DSB = 0x0000000a;
const BT_CB_COPY = 0x00000bad;
const BT_CB_NO_COPY = 0x40000bad;
const BT_SYSDIG_EVENT = 0x00000204;
const BT_SYSDIG_EVENT_V2 = 0x00000216;
const BT_SYSDIG_EVENT_V2_LARGE = 0x00000221;

/** Timestamp conversion kinds of a pcapng interface. */
const TS_DECIMAL = 0; // 10^-n, n <= 9: exact with doubles
const TS_BINARY = 1; // 2^-n, n <= 32: exact with doubles
const TS_BIGINT = 2; // anything else (10^-n n >= 10, 2^-n n >= 33, invalid): BigInt

const TWO32 = 4294967296;
const MAX_EXACT = 9007199254740992; // 2^53

function blockName(type: number): string {
  switch (type) {
    case BT_SHB: return 'Section Header Block';
    case BT_IDB: return 'Interface Description Block';
    case BT_OPB: return 'Packet Block';
    case BT_SPB: return 'Simple Packet Block';
    case BT_NRB: return 'Name Resolution Block';
    case BT_ISB: return 'Interface Statistics Block';
    case BT_EPB: return 'Enhanced Packet Block';
    case BT_JOURNAL: return 'systemd Journal Export Block';
    case BT_DSB: return 'Decryption Secrets Block';
    case BT_CB_COPY: case BT_CB_NO_COPY: return 'Custom Block';
    default: return `block of type 0x${type.toString(16).padStart(8, '0')}`;
  }
}

function isPacketBlock(type: number): boolean {
  return type === BT_EPB || type === BT_SPB || type === BT_OPB;
}

/** What the reader knows about one interface (one pcapng IDB, or the whole classic pcap file). */
export interface InterfaceInfo {
  /** pcapng section index (0-based); 0 for classic pcap. */
  section: number;
  /** Interface index within its section (what PacketRecord.interfaceId refers to). */
  id: number;
  linkType: number;
  linkTypeName: string;
  /** 0 means "no limit" in pcapng. */
  snaplen: number;
  /** Raw if_tsresol byte: n = 10^-n s, 0x80|n = 2^-n s. 6 (µs) when absent; 9 for ns classic pcap. */
  tsresol: number;
  /** Time units per second implied by tsresol (approximate beyond 2^53). */
  timeUnitsPerSecond: number;
  /** if_tsoffset in seconds (0 when absent). */
  tsOffset: number;
  /** Classic pcap: bytes of FCS at the end of each packet, where the link-type field's FCS bits say; else null. */
  fcsLength: number | null;
  /** if_name, where present. */
  name: string | null;
  /** Packet records read on this interface so far. */
  packets: number;
}

export interface SectionInfo {
  /** Offset of the Section Header Block in the stream. */
  offset: number;
  byteOrder: 'little-endian' | 'big-endian';
  version: string;
}

/** What the reader has learned so far; available while reading and after. */
export interface CaptureInfo {
  format: 'pcap' | 'pcapng' | null;
  /** Set when the bytes came out of a gzip stream (see maybeGunzip / readCapture). */
  compression: 'gzip' | null;
  /** Byte order of the pcap file, or of the current pcapng section. */
  byteOrder: 'little-endian' | 'big-endian' | null;
  /** "2.4" for pcap; the current section's "1.0" for pcapng. */
  version: string | null;
  /** Classic pcap only: "us" or "ns" timestamps (from the magic). */
  timePrecision: 'us' | 'ns' | null;
  /** Packet records delivered to the sink. */
  packets: number;
  /** Frame numbers used: packets plus the non-packet records Wireshark also numbers (custom blocks …). */
  frames: number;
  /** Bytes fully parsed (the next record starts here). */
  bytesConsumed: number;
  /** Bytes pushed so far. */
  bytesPushed: number;
  /** pcapng sections (one per SHB); empty for pcap. */
  sections: SectionInfo[];
  /** Every interface of every section, in file order (one entry for classic pcap). */
  interfaces: InterfaceInfo[];
}

/**
 * A pcapng block that Wireshark shows as a frame although it holds no packet (custom blocks, sysdig
 * events, systemd journal entries). It uses up a frame number, so PacketRecord.frame keeps Wireshark's
 * numbering; it is not given to the PacketSink.
 */
export interface NonPacketRecord {
  frame: number;
  blockType: number;
  /** Private Enterprise Number of a custom block; null for other blocks. */
  pen: number | null;
  /** Bytes of the record as Wireshark counts them (frame.cap_len / frame.len): for a custom block,
   *  everything after the PEN (custom data and options). */
  length: number;
  /** The record's bytes are data[dataOffset, dataOffset + length); valid only during the call. */
  data: Uint8Array;
  dataOffset: number;
  fileOffset: number;
}

export interface CaptureReaderOptions {
  /** Called for pcapng blocks that take a frame number but hold no packet (see NonPacketRecord). */
  onNonPacketRecord?: (r: NonPacketRecord) => void;
  /**
   * Add an interface's if_tsoffset to its timestamps, as the pcapng spec, libpcap and current
   * Wireshark do (default true). tshark 4.0 ignores if_tsoffset; pass false to match it.
   */
  applyTsOffset?: boolean;
  /** The bytes come out of this kind of compressed file (affects only error messages and info). */
  compression?: 'gzip' | null;
}

class Iface implements InterfaceInfo {
  section: number;
  id: number;
  linkType: number;
  linkTypeName: string;
  snaplen: number;
  tsresol = 6;
  timeUnitsPerSecond = 1e6;
  tsOffset = 0;
  fcsLength: number | null = null;
  name: string | null = null;
  packets = 0;
  // conversion
  tsKind = TS_DECIMAL;
  units = 1e6;
  nsMul = 1000;
  binBits = 0;
  binPow = 1;
  unitsBig = 1000000n;
  /** tsOffset if it is to be applied, else 0. */
  addSec = 0;

  constructor(section: number, id: number, linkType: number, snaplen: number) {
    this.section = section;
    this.id = id;
    this.linkType = linkType;
    this.linkTypeName = linkTypeName(linkType);
    this.snaplen = snaplen;
  }

  setTsresol(r: number): void {
    this.tsresol = r;
    const n = r & 0x7f;
    if (r & 0x80) {
      if (n <= 32) {
        this.tsKind = TS_BINARY;
        this.binBits = n;
        this.binPow = 2 ** n;
        this.units = 2 ** n;
      } else {
        this.tsKind = TS_BIGINT;
        // Wireshark: exponents that do not fit 64 bits mean "units = 2^64 - 1".
        this.unitsBig = n < 64 ? 1n << BigInt(n) : 0xffffffffffffffffn;
        this.units = Number(this.unitsBig);
      }
    } else if (n <= 9) {
      this.tsKind = TS_DECIMAL;
      this.units = 10 ** n;
      this.nsMul = 10 ** (9 - n);
    } else {
      this.tsKind = TS_BIGINT;
      this.unitsBig = n < 20 ? 10n ** BigInt(n) : 0xffffffffffffffffn;
      this.units = Number(this.unitsBig);
    }
    this.timeUnitsPerSecond = this.units;
  }

  snapshot(): InterfaceInfo {
    return {
      section: this.section, id: this.id, linkType: this.linkType, linkTypeName: this.linkTypeName,
      snaplen: this.snaplen, tsresol: this.tsresol, timeUnitsPerSecond: this.timeUnitsPerSecond,
      tsOffset: this.tsOffset, fcsLength: this.fcsLength, name: this.name, packets: this.packets,
    };
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Streaming reader of classic pcap (µs / ns, either byte order) and pcapng captures. Push chunks of
 * any size; every packet record goes to the sink as soon as its last byte arrives. The format is
 * recognised from the content. See MAX_CAPTURED_LENGTH / MAX_BLOCK_LENGTH for the sanity limits.
 *
 * The same PacketRecord object is reused for every packet; `data` is a view of the pushed chunk when
 * the record lies wholly inside it, otherwise of an internal carry buffer that is overwritten later.
 * Throws CaptureError from push() / end(); packets before the problem have been delivered.
 */
export class CaptureReader {
  private readonly sink: PacketSink;
  private readonly onNonPacket: ((r: NonPacketRecord) => void) | null;
  private readonly applyTsOffset: boolean;
  /** See CaptureReaderOptions.compression; may be set before the first push. */
  compression: 'gzip' | null;

  private readonly rec: PacketRecord = {
    frame: 0, hasTime: false, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, interfaceId: 0,
    linkType: 0, data: EMPTY, dataOffset: 0, fileOffset: 0,
  };

  private state = S_SNIFF;
  private le = true;
  private failed: unknown = null;
  private ended = false;

  /** Bytes needed from the start of the current record before it can be parsed further. */
  private need = 4;
  private carry = new Uint8Array(0);
  private carryDv = new DataView(new ArrayBuffer(0));
  private carryLen = 0;

  private pushed = 0;
  private consumed = 0;
  private frames = 0;
  private packets = 0;

  private format: 'pcap' | 'pcapng' | null = null;
  private version: string | null = null;
  private readonly sections: SectionInfo[] = [];
  private readonly allIfaces: Iface[] = [];
  /** Interfaces of the current pcapng section (indexed by interface id), or the pcap file's one. */
  private ifaces: Iface[] = [];

  // classic pcap
  private nano = false;
  private pcapHdrLen = 16;
  /** 0: lengths as written; 1: caplen and len swapped (pcap < 2.3); 2: swapped where caplen > len (2.3). */
  private swapLengths = 0;
  private pcapIface: Iface | null = null;

  constructor(sink: PacketSink, options: CaptureReaderOptions = {}) {
    this.sink = sink;
    this.onNonPacket = options.onNonPacketRecord ?? null;
    this.applyTsOffset = options.applyTsOffset ?? true;
    this.compression = options.compression ?? null;
  }

  /** Feed the next bytes of the stream. Throws CaptureError when the data cannot be a capture. */
  push(chunk: Uint8Array): void {
    if (this.failed !== null) throw this.failed;
    if (this.ended) throw new Error('CaptureReader.push() after end()');
    const len = chunk.length;
    if (len === 0) return;
    const chunkStart = this.pushed;
    this.pushed += len;
    try {
      let pos = 0;
      if (this.carryLen > 0) {
        pos = this.fillCarry(chunk, 0);
        for (;;) {
          if (this.carryLen < this.need) return; // chunk used up, record still incomplete
          const used = this.parse(this.carry, this.carryDv, 0, this.carryLen, this.consumed);
          if (used === this.carryLen) {
            // The usual case: the carry held the rest of one record (it is filled only up to `need`).
            this.carryLen = 0;
            // Do not keep a huge buffer alive for the rest of the file because of one huge record.
            if (this.carry.length > CARRY_KEEP) this.setCarry(new Uint8Array(0));
            break;
          }
          if (used > 0) {
            this.carry.copyWithin(0, used, this.carryLen);
            this.carryLen -= used;
          }
          pos += this.fillCarry(chunk, pos);
        }
        if (pos >= len) return;
      }
      const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const stop = this.parse(chunk, dv, pos, len, chunkStart);
      if (stop < len) {
        this.carryLen = 0;
        this.appendCarry(chunk, stop, len - stop);
      }
    } catch (e) {
      this.failed = e;
      throw e;
    }
  }

  /**
   * The stream is complete. Throws CaptureError 'empty' when nothing was pushed, 'truncated' when it
   * stopped inside a header or record, 'not-a-capture' when too few bytes came to recognise a format.
   */
  end(): void {
    if (this.failed !== null) throw this.failed;
    if (this.ended) return;
    this.ended = true;
    try {
      if (this.pushed === 0) {
        throw new CaptureError('empty', this.compression === 'gzip'
          ? 'The gzip file decompresses to nothing (0 bytes)'
          : 'The file is empty (0 bytes)', 0, 0);
      }
      if (this.state === S_SNIFF) {
        const n = this.carryLen;
        if (n < 4 && isCaptureMagicPrefix(this.carry, n)) {
          throw this.truncated(`File ends ${plural(n, 'byte')} into the file header`);
        }
        throw this.notACapture(this.carry, n);
      }
      if (this.carryLen > 0) throw this.truncated(this.truncatedWhere());
    } catch (e) {
      this.failed = e;
      throw e;
    }
  }

  /** What has been read so far. */
  get info(): CaptureInfo {
    return {
      format: this.format,
      compression: this.compression,
      byteOrder: this.format === null ? null : this.le ? 'little-endian' : 'big-endian',
      version: this.version,
      timePrecision: this.format === 'pcap' ? (this.nano ? 'ns' : 'us') : null,
      packets: this.packets,
      frames: this.frames,
      bytesConsumed: this.consumed,
      bytesPushed: this.pushed,
      sections: this.sections.map((s) => ({ ...s })),
      interfaces: this.allIfaces.map((i) => i.snapshot()),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // carry buffer

  /** Copy bytes of `chunk` from `pos` into the carry, up to `need`; returns how many were copied. */
  private fillCarry(chunk: Uint8Array, pos: number): number {
    const want = this.need - this.carryLen;
    if (want <= 0) return 0;
    const n = Math.min(want, chunk.length - pos);
    if (n > 0) this.appendCarry(chunk, pos, n);
    return n;
  }

  private setCarry(b: Uint8Array<ArrayBuffer>): void {
    this.carry = b;
    this.carryDv = new DataView(b.buffer);
  }

  private appendCarry(src: Uint8Array, pos: number, n: number): void {
    const required = this.carryLen + n;
    if (required > this.carry.length) {
      // Grow by doubling, as bytes arrive: never sized from a length field alone.
      let cap = Math.max(this.carry.length * 2, 4096);
      while (cap < required) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.carry.subarray(0, this.carryLen));
      this.setCarry(next);
    }
    this.carry.set(src.subarray(pos, pos + n), this.carryLen);
    this.carryLen = required;
  }

  // ---------------------------------------------------------------------------------------------
  // parsing

  /**
   * Parse as many complete records of b[pos, end) as there are; `abs` is the stream offset of b[0].
   * Returns the position of the first incomplete record (setting `need` to the bytes it needs from
   * its start), or `end`.
   */
  private parse(b: Uint8Array, dv: DataView, pos: number, end: number, abs: number): number {
    for (;;) {
      switch (this.state) {
        case S_PCAP: return this.parsePcap(b, dv, pos, end, abs);
        case S_PCAPNG: return this.parsePcapng(b, dv, pos, end, abs);
        case S_SNIFF: {
          const avail = end - pos;
          if (avail < 4) { this.need = 4; return pos; }
          const m = dv.getUint32(pos, false);
          if (m === BT_SHB) {
            this.state = S_PCAPNG;
            this.format = 'pcapng';
            this.need = 12;
            continue;
          }
          if (m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34
            || m === 0xd4c3b2a1 || m === 0x4d3cb2a1 || m === 0x34cdb2a1) {
            this.state = S_PCAP_HEADER;
            this.need = 24;
            continue;
          }
          if (avail < SNIFF_BYTES) { this.need = SNIFF_BYTES; return pos; }
          throw this.notACapture(b.subarray(pos, pos + SNIFF_BYTES), SNIFF_BYTES);
        }
        case S_PCAP_HEADER: {
          if (end - pos < 24) { this.need = 24; return pos; }
          this.parsePcapHeader(dv, pos);
          pos += 24;
          this.consumed = abs + pos;
          this.need = this.pcapHdrLen;
          continue;
        }
        default: throw new Error('unreachable');
      }
    }
  }

  private parsePcapHeader(dv: DataView, pos: number): void {
    const m = dv.getUint32(pos, false);
    this.le = m === 0xd4c3b2a1 || m === 0x4d3cb2a1 || m === 0x34cdb2a1;
    const le = this.le;
    this.nano = m === 0xa1b23c4d || m === 0x4d3cb2a1;
    this.pcapHdrLen = m === 0xa1b2cd34 || m === 0x34cdb2a1 ? 24 : 16;
    this.format = 'pcap';
    const major = dv.getUint16(pos + 4, le);
    const minor = dv.getUint16(pos + 6, le);
    this.version = `${major}.${minor}`;
    if (!(major === 2 || (major === 543 && minor === 0))) {
      throw new CaptureError('unsupported-version',
        `Unsupported pcap file version ${major}.${minor} (this reader knows version 2.x)`, 0, this.consumed);
    }
    // libpcap: files older than 2.3 have caplen and len swapped; in 2.3 files some do.
    this.swapLengths = major === 2 && minor < 3 ? 1 : major === 2 && minor === 3 ? 2 : 0;
    const snaplen = dv.getUint32(pos + 16, le);
    const ltField = dv.getUint32(pos + 20, le);
    // LINKTYPE is the low 16 bits; bit 26 says bits 28-31 hold the FCS length in 16-bit words.
    const iface = new Iface(0, 0, ltField & 0xffff, snaplen);
    if (ltField & 0x04000000) iface.fcsLength = ((ltField >>> 28) & 0xf) * 2;
    iface.tsresol = this.nano ? 9 : 6;
    iface.timeUnitsPerSecond = this.nano ? 1e9 : 1e6;
    this.pcapIface = iface;
    this.ifaces = [iface];
    this.allIfaces.push(iface);
    this.state = S_PCAP;
  }

  private parsePcap(b: Uint8Array, dv: DataView, pos: number, end: number, abs: number): number {
    const le = this.le;
    const hdrLen = this.pcapHdrLen;
    const nano = this.nano;
    const iface = this.pcapIface as Iface;
    const linkType = iface.linkType;
    const rec = this.rec;
    const sink = this.sink;
    for (;;) {
      const avail = end - pos;
      if (avail < hdrLen) { this.need = hdrLen; return pos; }
      let capLen = dv.getUint32(pos + 8, le);
      let origLen = dv.getUint32(pos + 12, le);
      if (this.swapLengths !== 0 && (this.swapLengths === 1 || capLen > origLen)) {
        const t = capLen; capLen = origLen; origLen = t;
      }
      if (capLen > MAX_CAPTURED_LENGTH) {
        throw this.corrupt(`Corrupt packet record for packet ${fmtInt(this.frames + 1)} at file offset ${fmtInt(abs + pos)}`,
          `captured length ${fmtInt(capLen)} bytes is over the ${fmtInt(MAX_CAPTURED_LENGTH)}-byte limit`
          + ` (the file's snaplen is ${fmtInt(iface.snaplen)})`, abs + pos);
      }
      const total = hdrLen + capLen;
      if (avail < total) { this.need = total; return pos; }
      let sec = dv.getUint32(pos, le);
      let frac = dv.getUint32(pos + 4, le);
      if (nano) {
        if (frac >= 1e9) { sec += Math.floor(frac / 1e9); frac %= 1e9; }
      } else {
        if (frac >= 1e6) { sec += Math.floor(frac / 1e6); frac %= 1e6; }
        frac *= 1000;
      }
      const frame = ++this.frames;
      this.packets++;
      iface.packets++;
      rec.frame = frame;
      rec.hasTime = true;
      rec.tsSec = sec;
      rec.tsNsec = frac;
      rec.capLen = capLen;
      rec.origLen = origLen;
      rec.interfaceId = 0;
      rec.linkType = linkType;
      rec.data = b;
      rec.dataOffset = pos + hdrLen;
      rec.fileOffset = abs + pos + hdrLen;
      pos += total;
      this.consumed = abs + pos;
      sink.packet(rec);
    }
  }

  private parsePcapng(b: Uint8Array, dv: DataView, pos: number, end: number, abs: number): number {
    const rec = this.rec;
    const sink = this.sink;
    for (;;) {
      const avail = end - pos;
      if (avail < 8) { this.need = 8; return pos; }
      const type0 = dv.getUint32(pos, this.le);
      if (type0 === BT_SHB) {
        // A new section: its byte order comes from its own byte-order magic.
        if (avail < 12) { this.need = 12; return pos; }
        const bom = dv.getUint32(pos + 8, false);
        if (bom === 0x1a2b3c4d) this.le = false;
        else if (bom === 0x4d3c2b1a) this.le = true;
        else if (abs + pos === 0) throw this.notACapture(b.subarray(pos, end), Math.min(avail, SNIFF_BYTES));
        else {
          throw this.corrupt(`Corrupt Section Header Block at file offset ${fmtInt(abs + pos)} (${this.afterPackets()})`,
            `byte-order magic is 0x${bom.toString(16).padStart(8, '0')}, not 0x1a2b3c4d`, abs + pos);
        }
      }
      const le = this.le;
      const type = type0 === BT_SHB ? BT_SHB : dv.getUint32(pos, le);
      const total = dv.getUint32(pos + 4, le);
      if (total < 12 || total % 4 !== 0 || total > MAX_BLOCK_LENGTH) {
        throw this.corruptBlock(type, abs + pos, `block length ${fmtInt(total)} is impossible (${
          total < 12 ? 'less than the 12-byte minimum'
            : total % 4 !== 0 ? 'not a multiple of 4'
              : `over the ${fmtInt(MAX_BLOCK_LENGTH)}-byte limit`})`);
      }
      if (avail < total) { this.need = total; return pos; }
      const trailer = dv.getUint32(pos + total - 4, le);
      if (trailer !== total) {
        throw this.corruptBlock(type, abs + pos,
          `block length ${fmtInt(total)} at its start but ${fmtInt(trailer)} at its end`);
      }
      switch (type) {
        case BT_EPB:
        case BT_OPB: {
          // The obsolete Packet Block differs only in a 16-bit interface id (then a drops count).
          if (total < 32) throw this.corruptBlock(type, abs + pos, `block length ${total} is less than the 32-byte minimum`);
          const id = type === BT_EPB ? dv.getUint32(pos + 8, le) : dv.getUint16(pos + 8, le);
          const capLen = dv.getUint32(pos + 20, le);
          if (capLen > total - 32 || ((capLen + 3) & ~3) > total - 32) {
            throw this.corruptBlock(type, abs + pos,
              `captured length ${fmtInt(capLen)} does not fit in a block of ${fmtInt(total)} bytes`);
          }
          const iface = this.ifaces[id];
          if (iface === undefined) throw this.noSuchInterface(type, abs + pos, id);
          this.setTime(iface, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le));
          const frame = ++this.frames;
          this.packets++;
          iface.packets++;
          rec.frame = frame;
          rec.hasTime = true;
          rec.capLen = capLen;
          rec.origLen = dv.getUint32(pos + 24, le);
          rec.interfaceId = id;
          rec.linkType = iface.linkType;
          rec.data = b;
          rec.dataOffset = pos + 28;
          rec.fileOffset = abs + pos + 28;
          pos += total;
          this.consumed = abs + pos;
          sink.packet(rec);
          continue;
        }
        case BT_SPB: {
          if (total < 16) throw this.corruptBlock(type, abs + pos, `block length ${total} is less than the 16-byte minimum`);
          const iface = this.ifaces[0];
          if (iface === undefined) {
            throw this.corruptBlock(type, abs + pos, 'it comes before any Interface Description Block in its section');
          }
          const origLen = dv.getUint32(pos + 8, le);
          // No captured length in an SPB: it is min(original length, snaplen of interface 0).
          const capLen = iface.snaplen !== 0 && origLen > iface.snaplen ? iface.snaplen : origLen;
          if (capLen > total - 16 || ((capLen + 3) & ~3) > total - 16) {
            throw this.corruptBlock(type, abs + pos,
              `packet of ${fmtInt(capLen)} bytes does not fit in a block of ${fmtInt(total)} bytes`);
          }
          const frame = ++this.frames;
          this.packets++;
          iface.packets++;
          rec.frame = frame;
          rec.hasTime = false;
          rec.tsSec = 0;
          rec.tsNsec = 0;
          rec.capLen = capLen;
          rec.origLen = origLen;
          rec.interfaceId = 0;
          rec.linkType = iface.linkType;
          rec.data = b;
          rec.dataOffset = pos + 12;
          rec.fileOffset = abs + pos + 12;
          pos += total;
          this.consumed = abs + pos;
          sink.packet(rec);
          continue;
        }
        case BT_SHB:
          this.readSectionHeader(dv, pos, total, abs + pos);
          break;
        case BT_IDB:
          this.readInterface(b, dv, pos, total, abs + pos);
          break;
        case BT_CB_COPY:
        case BT_CB_NO_COPY:
          if (total < 16) throw this.corruptBlock(type, abs + pos, `block length ${total} is less than the 16-byte minimum`);
          this.nonPacket(type, dv.getUint32(pos + 8, le), b, pos + 12, total - 16, abs + pos + 12);
          break;
        case BT_SYSDIG_EVENT:
        case BT_SYSDIG_EVENT_V2:
        case BT_SYSDIG_EVENT_V2_LARGE:
        case BT_JOURNAL:
          // Wireshark numbers these as frames too.
          this.nonPacket(type, null, b, pos + 8, total - 12, abs + pos + 8);
          break;
        default:
          // NRB, ISB, DSB and block types we do not know: skipped whole.
          break;
      }
      pos += total;
      this.consumed = abs + pos;
    }
  }

  /** Set rec.tsSec / rec.tsNsec from a pcapng 64-bit timestamp in the interface's units. */
  private setTime(iface: Iface, hi: number, lo: number): void {
    const rec = this.rec;
    if (iface.tsKind === TS_DECIMAL) {
      const u = iface.units;
      let sec = Math.floor((hi * TWO32 + lo) / u);
      if (sec < MAX_EXACT) {
        // The estimate is within one second; the remainder is small, so it is exact modulo 2^32.
        let rem = (lo - Math.imul(sec, u)) | 0;
        while (rem < 0) { rem += u; sec--; }
        while (rem >= u) { rem -= u; sec++; }
        rec.tsSec = sec + iface.addSec;
        rec.tsNsec = rem * iface.nsMul;
        return;
      }
    } else if (iface.tsKind === TS_BINARY) {
      const n = iface.binBits;
      const pow = iface.binPow;
      const sec = hi * (TWO32 / pow) + Math.floor(lo / pow);
      if (sec < MAX_EXACT) {
        const frac = n === 32 ? lo : lo % pow;
        // frac * 10^9 / 2^n, exactly: frac * 1953125 < 2^53, and * 512 / 2^n only scales.
        rec.tsSec = sec + iface.addSec;
        rec.tsNsec = Math.floor((frac * 1953125 * 512) / pow);
        return;
      }
    }
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    const u = iface.tsKind === TS_BIGINT ? iface.unitsBig : BigInt(iface.units);
    rec.tsSec = Number(ts / u) + iface.addSec;
    rec.tsNsec = Number(((ts % u) * 1000000000n) / u);
  }

  private readSectionHeader(dv: DataView, pos: number, total: number, at: number): void {
    const le = this.le;
    if (total < 28) throw this.corruptBlock(BT_SHB, at, `block length ${total} is less than the 28-byte minimum`);
    const major = dv.getUint16(pos + 12, le);
    const minor = dv.getUint16(pos + 14, le);
    this.version = `${major}.${minor}`;
    if (major !== 1) {
      throw new CaptureError('unsupported-version',
        `Unsupported pcapng version ${major}.${minor} in the section starting at file offset ${fmtInt(at)}`
        + ` (this reader knows version 1.x); ${plural(this.packets, 'packet')} read`, this.packets, at);
    }
    this.sections.push({ offset: at, byteOrder: le ? 'little-endian' : 'big-endian', version: this.version });
    this.ifaces = [];
  }

  private readInterface(b: Uint8Array, dv: DataView, pos: number, total: number, at: number): void {
    const le = this.le;
    if (total < 20) throw this.corruptBlock(BT_IDB, at, `block length ${total} is less than the 20-byte minimum`);
    const iface = new Iface(this.sections.length - 1, this.ifaces.length, dv.getUint16(pos + 8, le), dv.getUint32(pos + 12, le));
    let seenTsresol = false;
    let seenOffset = false;
    // Options: the first of each kind counts (as in Wireshark); a malformed option list is cut off
    // where it goes wrong rather than failing the whole file.
    let p = pos + 16;
    const optEnd = pos + total - 4;
    while (p + 4 <= optEnd) {
      const code = dv.getUint16(p, le);
      const olen = dv.getUint16(p + 2, le);
      if (code === 0) break;
      if (p + 4 + olen > optEnd) break;
      const v = p + 4;
      if (code === 9 && olen === 1 && !seenTsresol) {
        seenTsresol = true;
        iface.setTsresol(b[v]);
      } else if (code === 14 && olen === 8 && !seenOffset) {
        seenOffset = true;
        const hi = dv.getInt32(le ? v + 4 : v, le);
        const lo = dv.getUint32(le ? v : v + 4, le);
        iface.tsOffset = hi * TWO32 + lo;
      } else if (code === 2 && iface.name === null) {
        let n = olen;
        while (n > 0 && b[v + n - 1] === 0) n--;
        iface.name = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(v, v + n));
      }
      p = v + ((olen + 3) & ~3);
    }
    iface.addSec = this.applyTsOffset ? iface.tsOffset : 0;
    this.ifaces.push(iface);
    this.allIfaces.push(iface);
  }

  private nonPacket(type: number, pen: number | null, b: Uint8Array, dataOffset: number, length: number, fileOffset: number): void {
    const frame = ++this.frames;
    if (this.onNonPacket !== null) {
      this.onNonPacket({ frame, blockType: type, pen, length, data: b, dataOffset, fileOffset });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // errors

  private afterPackets(): string {
    return this.packets === 0 ? 'before the first packet' : `after packet ${fmtInt(this.frames)}`;
  }

  private corrupt(where: string, detail: string, offset: number): CaptureError {
    return new CaptureError('corrupt', `${where}: ${detail}; ${plural(this.packets, 'packet')} read`, this.packets, offset);
  }

  private corruptBlock(type: number, at: number, detail: string): CaptureError {
    const where = isPacketBlock(type)
      ? `Corrupt pcapng ${blockName(type)} for packet ${fmtInt(this.frames + 1)} at file offset ${fmtInt(at)}`
      : `Corrupt pcapng ${blockName(type)} at file offset ${fmtInt(at)} (${this.afterPackets()})`;
    return this.corrupt(where, detail, at);
  }

  private noSuchInterface(type: number, at: number, id: number): CaptureError {
    const n = this.ifaces.length;
    return this.corruptBlock(type, at, `it names interface ${fmtInt(id)}, but its section has ${
      n === 0 ? 'no interfaces' : n === 1 ? 'only interface 0' : `only interfaces 0-${n - 1}`}`);
  }

  private notACapture(b: Uint8Array, len: number): CaptureError {
    const what = describeNonCapture(b, len);
    const msg = this.compression === 'gzip'
      ? `Not a capture file: it is gzip-compressed, and what it holds looks like ${what}`
      : `Not a capture file (pcap or pcapng): it looks like ${what}`;
    return new CaptureError('not-a-capture', msg, 0, 0);
  }

  private truncated(what: string): CaptureError {
    return new CaptureError('truncated', `${what}; ${plural(this.packets, 'packet')} read`, this.packets, this.consumed);
  }

  private truncatedWhere(): string {
    const n = this.carryLen;
    const into = `File ends ${plural(n, 'byte')} into`;
    if (this.state === S_PCAP_HEADER) return `${into} the 24-byte pcap file header`;
    if (this.state === S_PCAP) return `${into} a packet record`;
    // pcapng
    if (n < 4) return `${into} a pcapng block header`;
    const type = this.carryDv.getUint32(0, this.le);
    if (isPacketBlock(type)) return `${into} a packet record (pcapng ${blockName(type)})`;
    return `${into} a pcapng ${blockName(type)}`;
  }
}
