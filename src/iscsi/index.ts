// iSCSI framing (bytes → PDUs, digests proven from the bytes) and the PDU table it fills, with the
// one module that reads it.
export { DirectionFramer, ConnectionFraming, BHS_LENGTH, DigestCheck } from './framer.ts';
export { DigestEvidence, DIGEST_PROOF, digestName } from './digests.ts';
export type { DigestLength, SideDigests, UnnegotiatedDigest } from './digests.ts';
export type { FramedPdu, FramerSink, UnframedCause } from './framer.ts';
export * from './pdu-table.ts';
export { decodeKept, pduRecord, TSV_COLUMNS } from './pdu-record.ts';
export type { PduPlace } from './pdu-record.ts';
export type * from './types.ts';
