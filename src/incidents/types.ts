import type { Severity } from '../checks/index.ts';

/** One step of an incident's chain: a moment a reviewer can jump to. */
export interface IncidentStep {
  /** Capture time, seconds since the epoch. */
  time: number;
  /** The frame that shows it (a PDU, or a TCP segment). */
  frame: number;
  conn: number;
  /** What happened, in one short sentence. */
  what: string;
}

/** Findings grouped into what happened (docs/findings.md, "incidents"). */
export interface Incident {
  kind: IncidentKind;
  /** Its worst finding's. */
  severity: Severity;
  conns: number[];
  /** Seconds since the epoch. */
  start: number;
  end: number;
  /** One sentence a person can act on. */
  headline: string;
  chain: IncidentStep[];
  /** Indices into the findings. */
  findings: number[];
}

export type IncidentKind =
  | 'ping-timeout' | 'target-ping-timeout' | 'task-abort' | 'login-loop' | 'login-failure' | 'target-down'
  | 'transport-loss' | 'reader-stall' | 'sequence-defect' | 'digest-errors' | 'connection-lost'
  // added to the vocabulary (the contract allows it)
  | 'slow-commands' | 'window-closed' | 'protocol-violation' | 'capture-loss' | 'login-unanswered';
