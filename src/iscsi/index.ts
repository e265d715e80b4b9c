// iSCSI framing (bytes → PDUs) and the PDU table it fills, with the one module that reads it.
export { DirectionFramer, ConnectionFraming, BHS_LENGTH, DigestCheck } from './framer.ts';
export type { FramedPdu, FramerSink } from './framer.ts';
export * from './pdu-table.ts';
export { decodeKept, pduRecord, TSV_COLUMNS } from './pdu-record.ts';
export type { PduPlace } from './pdu-record.ts';
export type * from './types.ts';
