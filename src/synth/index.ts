export { SynthCapture, SynthConnection, endpoint, loginKeys } from './capture.ts';
export type { Side, Endpoint, SendOptions } from './capture.ts';
export { hostileCapture, HOSTILE_STRINGS } from './hostile.ts';
export { bulkFramedCapture } from './columns.ts';
