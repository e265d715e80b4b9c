export { DirectionFramer, ConnectionFraming, BHS_LENGTH, DigestCheck } from './framer.ts';
export type { FramedPdu, FramerSink } from './framer.ts';
