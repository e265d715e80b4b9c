// The connection / session model built from an Analysis (logins, sessions, the task table, pings,
// TMFs, how connections ended). Plain data: it crosses the worker boundary by structured clone.
export { buildModel, captureEndOf, deadline, tmfScope } from './model.ts';
export { connRows, mergeRows } from './rows.ts';
export type { ConnRows } from './rows.ts';
export { groupSessions } from './sessions.ts';
export { latencyStats, lunName, lunValue, round3 } from './stats.ts';
export { TaskFlag } from './tasks.ts';
export * from './fields.ts';
export { TaskFate } from './types.ts';
export type * from './types.ts';
export { modelBuffers } from './transfer.ts';
