import type { Analysis } from '../engine/types.ts';
import type { ConnRows, Moment, SessionModel } from '../sessions/index.ts';
import type { CheckOptions } from './options.ts';

/** What every check reads: the engine's columns, the model built from them, the thresholds. */
export interface CheckContext {
  analysis: Analysis;
  model: SessionModel;
  options: CheckOptions;
  /** Each connection's PDU rows in frame order. */
  rows: ConnRows;
  /** The capture's last frame and time: the end of every wait still open. */
  captureEnd: Moment;
}
