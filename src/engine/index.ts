export { Analyzer, ISCSI_PORT } from './analyzer.ts';
export type { AnalyzerOptions } from './analyzer.ts';
export { analyze, AnalysisCancelled } from './analyze.ts';
export type { AnalyzeOptions, Progress } from './analyze.ts';
export { NO_LUN, PduState, bytesPerPdu, pduBuffers } from './pdu-table.ts';
export type { PduColumns } from './pdu-table.ts';
export type * from './types.ts';
