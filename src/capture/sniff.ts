/** Recognising what a file is from its first bytes (never from its name). */

/** Magic numbers of the formats CaptureReader reads, as the file's first four bytes. */
const CAPTURE_MAGICS: readonly (readonly number[])[] = [
  [0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], // pcap, microseconds
  [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d], // pcap, nanoseconds
  [0x34, 0xcd, 0xb2, 0xa1], [0xa1, 0xb2, 0xcd, 0x34], // pcap, Kuznetzov's modified format
  [0x0a, 0x0d, 0x0d, 0x0a], // pcapng Section Header Block
];

/** Whether `b` (shorter than 4 bytes) could be the start of a capture file. */
export function isCaptureMagicPrefix(b: Uint8Array, len: number): boolean {
  return CAPTURE_MAGICS.some((m) => {
    for (let i = 0; i < len && i < 4; i++) if (m[i] !== b[i]) return false;
    return true;
  });
}

function startsWith(b: Uint8Array, len: number, sig: readonly number[], at = 0): boolean {
  if (len < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

function ascii(s: string): number[] {
  const r: number[] = [];
  for (let i = 0; i < s.length; i++) r.push(s.charCodeAt(i));
  return r;
}

function hex(b: Uint8Array, len: number, n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(len, n); i++) parts.push(b[i].toString(16).padStart(2, '0'));
  return parts.join(' ');
}

/**
 * Whether the sample reads as text: printable ASCII, tabs and line ends, or well-formed UTF-8
 * (a multi-byte sequence cut by the end of the sample is allowed).
 */
function looksLikeText(b: Uint8Array, start: number, len: number): boolean {
  if (len - start <= 0) return false;
  let i = start;
  while (i < len) {
    const c = b[i];
    if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || (c >= 0x20 && c < 0x7f)) {
      i++;
      continue;
    }
    let follow: number;
    if (c >= 0xc2 && c <= 0xdf) follow = 1;
    else if (c >= 0xe0 && c <= 0xef) follow = 2;
    else if (c >= 0xf0 && c <= 0xf4) follow = 3;
    else return false;
    for (let k = 1; k <= follow; k++) {
      if (i + k >= len) return true; // cut by the end of the sample
      if ((b[i + k] & 0xc0) !== 0x80) return false;
    }
    i += follow + 1;
  }
  return true;
}

function describeText(b: Uint8Array, start: number, len: number): string {
  let i = start;
  while (i < len && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  let head = '';
  for (let k = i; k < Math.min(len, i + 16); k++) head += String.fromCharCode(b[k]);
  const lower = head.toLowerCase();
  if (lower.startsWith('<!doctype html') || lower.startsWith('<html') || lower.startsWith('<head')) {
    return 'an HTML page (a web page saved instead of the capture?)';
  }
  if (lower.startsWith('<?xml') || lower.startsWith('<pdml')) return 'an XML document';
  if (head.startsWith('{') || head.startsWith('[')) return 'JSON text';
  return 'a text file (tcpdump or tshark text output? write the capture itself with -w)';
}

/**
 * What a file that is not a capture looks like, as a phrase for "it looks like …":
 * "a PNG image", "a ZIP archive (…)", "unknown binary data starting with 00 11 22 33".
 */
export function describeNonCapture(b: Uint8Array, len: number): string {
  if (startsWith(b, len, [0x1f, 0x8b])) return 'gzip-compressed data (decompress it first)';
  if (startsWith(b, len, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, len, [0x50, 0x4b, 0x05, 0x06])) {
    return 'a ZIP archive (extract the capture from it first)';
  }
  if (startsWith(b, len, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'a PNG image';
  if (startsWith(b, len, [0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (startsWith(b, len, ascii('GIF8'))) return 'a GIF image';
  if (startsWith(b, len, ascii('%PDF-'))) return 'a PDF document';
  if (startsWith(b, len, [0x7f, 0x45, 0x4c, 0x46])) return 'an ELF executable';
  if (startsWith(b, len, ascii('BZh'))) return 'bzip2-compressed data (decompress it first)';
  if (startsWith(b, len, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz-compressed data (decompress it first)';
  if (startsWith(b, len, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd-compressed data (decompress it first)';
  if (startsWith(b, len, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return 'a 7-Zip archive (extract the capture from it first)';
  if (startsWith(b, len, ascii('Rar!'))) return 'a RAR archive (extract the capture from it first)';
  if (startsWith(b, len, ascii('snoop\0\0\0'))) return 'a Sun snoop capture (convert it to pcap, e.g. editcap -F pcap)';
  if (startsWith(b, len, ascii('GMBU')) || startsWith(b, len, ascii('RTSS'))) {
    return 'a Microsoft Network Monitor capture (convert it to pcap, e.g. editcap -F pcap)';
  }
  if (startsWith(b, len, [0xa1, 0x2b, 0x3c, 0x4d]) || startsWith(b, len, [0x4d, 0x3c, 0x2b, 0xa1])) {
    return 'a Navtel pcap variant (convert it to pcap, e.g. editcap -F pcap)';
  }
  if (startsWith(b, len, ascii('MZ'))) return 'a Windows executable';
  const bom = startsWith(b, len, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  if (looksLikeText(b, bom, len)) return describeText(b, bom, len);
  return `unknown binary data starting with ${hex(b, len, 4)}`;
}
