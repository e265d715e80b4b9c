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
    let eq = -1;
    while (j < end && bytes[j] !== 0) {
      if (eq < 0 && bytes[j] === 0x3d) eq = j;
      j++;
    }
    // '=' is ASCII, never inside a multi-byte UTF-8 sequence: key and value decode apart, each a
    // string of its own (not a slice holding the whole entry).
    if (j > i) out.push(eq < 0 ? [interned(bytes, i, j), ''] : [interned(bytes, i, eq), interned(bytes, eq + 1, j)]);
    i = j + 1;
  }
  return out;
}

/**
 * Keys and values repeat from login to login (InitiatorName, TargetName, HeaderDigest=None …): the
 * same text is one string, so a capture of a day's logins does not hold each one again. Bounded,
 * so crafted text of endless distinct values only stops being shared.
 */
const INTERNED = new Map<string, string>();
const MAX_INTERNED = 8192;
const MAX_INTERNED_LENGTH = 256;

function interned(bytes: Uint8Array, from: number, to: number): string {
  if (to <= from) return '';
  const text = decoder.decode(bytes.subarray(from, to));
  if (text.length > MAX_INTERNED_LENGTH) return text;
  const known = INTERNED.get(text);
  if (known !== undefined) return known;
  if (INTERNED.size < MAX_INTERNED) INTERNED.set(text, text);
  return text;
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
