export { DirectionFramer, ConnectionFraming, BHS_LENGTH, DigestCheck } from './framer.ts';
export { DigestEvidence, DIGEST_PROOF, digestName } from './digests.ts';
export type { DigestLength, SideDigests, UnnegotiatedDigest } from './digests.ts';
export type { FramedPdu, FramerSink, UnframedCause } from './framer.ts';
