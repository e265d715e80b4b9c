// Login / Text data segments: key=value pairs, each terminated by a NUL (RFC 7143 §6.1, §11.10.5).

// fatal: false → invalid UTF-8 becomes U+FFFD instead of throwing. One instance each, reused.
const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

export type TextKey = [key: string, value: string];

/**
 * Parses bytes[off, off+len) as NUL-separated key=value pairs. Tolerant: a missing final NUL,
 * empty entries (consecutive NULs, e.g. padding counted in the length) are skipped, invalid UTF-8 is
 * decoded with U+FFFD, an entry without '=' becomes [entry, ''] (see textKeyProblems).
 * Splits at the first '=' only, so values may contain '='. Never throws; clamps to the bytes present.
 */
export function parseTextKeys(bytes: Uint8Array, off: number, len: number): TextKey[] {
  const out: TextKey[] = [];
  const start = Math.max(0, off);
  const end = Math.min(bytes.length, off + Math.max(0, len));
  let i = start;
  while (i < end) {
    let j = i;
    while (j < end && bytes[j] !== 0) j++;
    if (j > i) {
      const text = decoder.decode(bytes.subarray(i, j));
      const eq = text.indexOf('=');
      out.push(eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)]);
    }
    i = j + 1;
  }
  return out;
}

/** Describes what is odd about a text segment (entries without '=', no final NUL), for `problems`. */
export function textKeyProblems(bytes: Uint8Array, off: number, len: number): string[] {
  const problems: string[] = [];
  const end = Math.min(bytes.length, off + Math.max(0, len));
  if (end <= off) return problems;
  if (bytes[end - 1] !== 0) problems.push('text data does not end with a NUL');
  let i = Math.max(0, off);
  let noEq = 0;
  while (i < end) {
    let j = i;
    let eq = false;
    while (j < end && bytes[j] !== 0) {
      if (bytes[j] === 0x3d) eq = true;
      j++;
    }
    if (j > i && !eq) noEq++;
    i = j + 1;
  }
  if (noEq > 0) problems.push(`${noEq} text ${noEq === 1 ? 'entry has' : 'entries have'} no '='`);
  return problems;
}

/** Encodes pairs as "key=value\0…" in UTF-8. */
export function encodeTextKeys(keys: ReadonlyArray<readonly [string, string]>): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const [k, v] of keys) {
    const p = encoder.encode(`${k}=${v}\0`);
    parts.push(p);
    total += p.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Value of the first pair with this key, or undefined. */
export function textKey(keys: ReadonlyArray<readonly [string, string]>, key: string): string | undefined {
  for (const [k, v] of keys) if (k === key) return v;
  return undefined;
}
