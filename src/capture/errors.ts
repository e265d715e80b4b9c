/** Why a capture could not be read (completely). */
export type CaptureErrorKind =
  /** Zero bytes. */
  | 'empty'
  /** Not a pcap / pcapng file at all (the message says what it looks like). */
  | 'not-a-capture'
  /** The file (or gzip stream) ends inside a header, record or block. */
  | 'truncated'
  /** A record / block / gzip stream whose contents are impossible. */
  | 'corrupt'
  /** A pcap or pcapng version this reader does not know. */
  | 'unsupported-version';

/**
 * A capture that could not be read (completely). Packets read before the problem have already been
 * delivered to the sink: the caller keeps them as a partial result.
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  readonly kind: CaptureErrorKind;
  /** Packet records delivered to the sink before the error. */
  readonly packetsRead: number;
  /** Offset in the (decompressed) stream where the problem is: start of the bad or cut record. */
  readonly offset: number;

  constructor(kind: CaptureErrorKind, message: string, packetsRead: number, offset: number) {
    super(message);
    this.kind = kind;
    this.packetsRead = packetsRead;
    this.offset = offset;
  }
}

// The capture layer's messages use the shared text helpers.
export { fmtInt, plural } from '../text/index.ts';
