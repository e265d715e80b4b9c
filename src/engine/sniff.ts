// Telling a capture from anything else (a host log) by its first bytes, as `iscsi-inspect logs`
// does with its arguments: pcap or pcapng magic, inside gzip too.

import { isCaptureMagicPrefix, maybeGunzip } from '../capture/index.ts';

/** Enough of a file's start to tell: a gzip member's first block inflates to more than a header. */
export const SNIFF_BYTES = 64 << 10;

/** Whether `head` (a file's first bytes, up to SNIFF_BYTES) starts like a capture. */
export async function startsLikeCapture(head: Uint8Array): Promise<boolean> {
  let b = head;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      const it = maybeGunzip((async function* () { yield head; })())[Symbol.asyncIterator]();
      b = (await it.next()).value ?? new Uint8Array(0);
      await it.return?.();
    } catch {
      return false;
    }
  }
  return b.length >= 4 && isCaptureMagicPrefix(b, 4);
}
