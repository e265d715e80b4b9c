import type { Finding } from '../checks/index.ts';
import type { Incident } from '../incidents/index.ts';
import type { FramedCapture } from '../iscsi/index.ts';
import type { SessionModel } from '../sessions/index.ts';

/**
 * Everything known about a capture, built once and complete: what was read and framed, the session
 * model with every relation, and the findings. `relationFindings[r]` is the index in `findings` of
 * the finding that reports model relation r (-1: none), so a view takes severity and wording from
 * the finding and the geometry from the relation.
 */
export interface Analysis extends FramedCapture {
  model: SessionModel;
  findings: Finding[];
  relationFindings: Int32Array;
  /** For each finding, the PDU table row of the PDU at fault (its `frame`); -1 when that is a TCP segment or nothing. */
  findingRows: Int32Array;
  /** The findings grouped into what happened, worst first. */
  incidents: Incident[];
}

export type { Finding, Severity } from '../checks/index.ts';
export type { Incident, IncidentKind, IncidentStep } from '../incidents/index.ts';
export type { CaptureSummary, ConnectionEnd, ConnectionSummary, ControlEvent, FramedCapture, GapRecord, PduDetail, Side } from '../iscsi/index.ts';
