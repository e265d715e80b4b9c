// Big-endian byte access on plain Uint8Arrays (no Buffer, no DataView allocation), and hex text.
// Every reader trusts the caller to stay inside the array: the hot-path callers check lengths once.

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}

/** Unsigned 32-bit big-endian (0 .. 4294967295). */
export function u32(b: Uint8Array, o: number): number {
  return b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** Unsigned 32-bit little-endian (how a CRC32C digest sits on the wire). */
export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

export function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function putU24(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 16;
  b[o + 1] = v >>> 8;
  b[o + 2] = v;
}

export function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

export function putU32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** True when bytes [from, to) of the array (relative to o) are all zero. */
export function allZero(b: Uint8Array, o: number, from: number, to: number): boolean {
  for (let i = o + from; i < o + to; i++) if (b[i] !== 0) return false;
  return true;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16));

/** Lower-case hex of bytes[off, off+len), optionally with a separator between bytes ("80:de:…"). */
export function toHex(bytes: Uint8Array, off = 0, len = bytes.length - off, sep = ''): string {
  const end = Math.min(bytes.length, off + Math.max(0, len));
  let s = '';
  for (let i = Math.max(0, off); i < end; i++) {
    if (sep && i > off) s += sep;
    s += HEX[bytes[i]];
  }
  return s;
}

/** Parses hex text into bytes; ':', '-', '.', spaces and a leading "0x" are ignored.
 *  Returns undefined for anything else (odd digit count, non-hex characters). */
export function fromHex(text: string): Uint8Array | undefined {
  let t = text.trim();
  if (t.startsWith('0x') || t.startsWith('0X')) t = t.slice(2);
  t = t.replace(/[:\-.\s]/g, '');
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) return undefined;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.substr(i * 2, 2), 16);
  return out;
}

/** "0x1f" style, zero-padded to `digits`. */
export function hexNum(v: number, digits = 2): string {
  return '0x' + v.toString(16).padStart(digits, '0');
}

/** Swaps the byte order of a 32-bit value (e.g. a CRC32C value ↔ Wireshark's big-endian reading of it). */
export function byteSwap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
