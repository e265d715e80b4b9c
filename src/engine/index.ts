// The engine: reads a capture through every layer (capture → net → tcp → iscsi), builds the session
// model and runs the checks, and returns one complete Analysis. The CLI and the worker call analyze().
export { Analyzer, ISCSI_PORT } from './analyzer.ts';
export type { AnalyzerOptions } from './analyzer.ts';
export { analyze, analyzeCaptures, AnalysisCancelled } from './analyze.ts';
export type { AnalyzeCapturesOptions, AnalyzeOptions, Progress } from './analyze.ts';
export { buildAnalysis } from './build.ts';
export { analysisBuffers } from './transfer.ts';
export { logContext, placeLogs, wireConns, wireEvents } from './logs.ts';
export type { LogContext, LogSource, PlacedLogs } from './logs.ts';
export { SNIFF_BYTES, startsLikeCapture } from './sniff.ts';
// What the page shows of placed logs (the contract's `logs --json`).
export type { LogsJson, LogsJsonLine, LogsJsonOffset } from '../logs/index.ts';
export type * from './types.ts';
// What the page needs to name TCP events (it imports no layer below the engine).
export { TCP_EVENT_NAMES, TcpEventFlag, tcpEventNames } from '../tcp/index.ts';
export type { TcpEventName } from '../tcp/index.ts';
