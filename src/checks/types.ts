export type Severity = 'info' | 'warning' | 'error';

/** One finding, as `findings --json` prints it (docs/findings.md): the common keys, then the kind's details. */
export interface Finding {
  kind: string;
  severity: Severity;
  conn?: number;
  conns?: number[];
  time: number;
  frames: number[];
  /** The frame of the PDU (or TCP segment) at fault: the one a reviewer should look at first; one of `frames`. */
  frame?: number;
  /** Where one field of that PDU is wrong: its key in `pdus` output (expStatSN, statSN, ttt, cmdSN …). */
  field?: string;
  message: string;
  [detail: string]: unknown;
}
