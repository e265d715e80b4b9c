// CRC32C (Castagnoli; reflected polynomial 0x82F63B78, initial value and final xor 0xffffffff), as
// iSCSI uses it for header and data digests (RFC 7143 §13.1, test vectors in RFC 3720 B.4 / RFC 7143).
// Table-driven, slicing-by-8: eight 256-entry tables, eight input bytes per step.

const POLY = 0x82f63b78;
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 8; k++) {
    const prev = T[(k - 1) * 256 + n];
    T[k * 256 + n] = (prev >>> 8) ^ T[prev & 0xff];
  }
}

/**
 * CRC32C of bytes[off, off+len). Incremental: pass the result for the bytes before as `seed`,
 * so crc32c(b, 0, n) === crc32c(b, k, n - k, crc32c(b, 0, k)). Returns an unsigned 32-bit value.
 *
 * On the wire the digest is sent least-significant byte first: 32 bytes of 0x00 give 0x8a9136aa,
 * which appears as the bytes aa 36 91 8a (and Wireshark prints the big-endian reading 0xaa36918a).
 */
export function crc32c(bytes: Uint8Array, off = 0, len = bytes.length - off, seed = 0): number {
  let c = ~seed;
  let o = off;
  const end = off + len;
  const end8 = end - 7;
  while (o < end8) {
    const lo = c ^ (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24));
    const hi = bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16) | (bytes[o + 7] << 24);
    c = T[1792 + (lo & 0xff)] ^ T[1536 + ((lo >>> 8) & 0xff)] ^ T[1280 + ((lo >>> 16) & 0xff)] ^ T[1024 + (lo >>> 24)] ^
      T[768 + (hi & 0xff)] ^ T[512 + ((hi >>> 8) & 0xff)] ^ T[256 + ((hi >>> 16) & 0xff)] ^ T[hi >>> 24];
    o += 8;
  }
  while (o < end) c = T[(c ^ bytes[o++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
