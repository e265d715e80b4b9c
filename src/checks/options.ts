/** Thresholds of the checks. Each has a default; the CLI exposes them as flags. */
export interface CheckOptions {
  /** slow-command: a SCSI command slower than this (ms) to get its status. */
  slowMs: number;
  /** login-churn: this many logins of one initiator to one portal … */
  churnLogins: number;
  /** … within this many seconds. */
  churnWindowS: number;
  /** command-window-closed: the target kept MaxCmdSN + 1 = ExpCmdSN for longer than this (ms). */
  windowClosedMs: number;
}

export const DEFAULT_CHECK_OPTIONS: Readonly<CheckOptions> = Object.freeze({
  slowMs: 1000,
  churnLogins: 5,
  churnWindowS: 60,
  windowClosedMs: 100,
});

/** Defaults for what is not given; a non-finite or negative value is a caller's mistake. */
export function checkOptions(given: Partial<CheckOptions> = {}): CheckOptions {
  const o: CheckOptions = { ...DEFAULT_CHECK_OPTIONS };
  for (const k of Object.keys(DEFAULT_CHECK_OPTIONS) as Array<keyof CheckOptions>) {
    const v = given[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`check option ${k} must be a number ≥ 0, got ${String(v)}`);
    o[k] = v;
  }
  return o;
}
