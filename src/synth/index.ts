export { SynthCapture, SynthConnection, endpoint, loginKeys } from './capture.ts';
export type { Side, Endpoint, SendOptions } from './capture.ts';
export { hostileCapture, HOSTILE_STRINGS } from './hostile.ts';
export { bulkFramedCapture } from './columns.ts';
export { scaleCapture, SCALE_SHAPES } from './scale.ts';
export type { ScaleShape, ScaleShapeInfo, ScaleOptions } from './scale.ts';
