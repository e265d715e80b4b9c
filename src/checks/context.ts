import type { FramedCapture } from '../iscsi/index.ts';
import type { Moment, SessionModel } from '../sessions/index.ts';
import type { CheckOptions } from './options.ts';

/** What every check reads: the framed capture, the model built from it, the thresholds. */
export interface CheckContext {
  framed: FramedCapture;
  model: SessionModel;
  options: CheckOptions;
  /** The capture's last frame and time: the end of every wait still open. */
  captureEnd: Moment;
}
