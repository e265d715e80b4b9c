// THE MODEL built from a framed capture: connections, sessions, logins and logouts, the task table
// (ITT → command → R2T/Data/status, latency), pings, TMFs, how connections ended — and every relation
// between PDUs as row references. Plain data: it crosses the worker boundary by structured clone.
export { buildModel, captureEndOf, deadline, deadlineEndpoint } from './model.ts';
export type { Deadline } from './model.ts';
export { connRows, lowerBoundFrame, lowerBoundRow, mergeRows, rowsInFrames, rowsOf } from './rows.ts';
export { groupSessions } from './sessions.ts';
export { latencyStats, round3 } from './stats.ts';
export { TaskFlag } from './tasks.ts';
export { TaskFate } from './types.ts';
export type * from './types.ts';
export { modelBuffers } from './transfer.ts';
export { failedAttempts } from './tcp.ts';
export { counterparts } from './counterparts.ts';
export type { Counterpart } from './counterparts.ts';
