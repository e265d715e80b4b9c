import { grown } from './grow.ts';
import { TaskFate } from './types.ts';
import type { TaskTable } from './types.ts';

export const TaskFlag = { Read: 1, Write: 2, Immediate: 4 } as const;

/** Fills the task table one SCSI command at a time; columns double as needed. */
export class TaskTableBuilder {
  readonly t: TaskTable;

  constructor(capacity = 64) {
    this.t = {
      count: 0,
      conn: new Uint32Array(capacity), itt: new Uint32Array(capacity), row: new Uint32Array(capacity),
      frame: new Uint32Array(capacity), time: new Float64Array(capacity), lun: new Uint16Array(capacity),
      scsiOpcode: new Uint8Array(capacity), cdb1: new Uint8Array(capacity), cmdSN: new Uint32Array(capacity),
      expectedLength: new Uint32Array(capacity), flags: new Uint8Array(capacity),
      statusRow: new Int32Array(capacity), statusFrame: new Uint32Array(capacity), statusTime: new Float64Array(capacity),
      status: new Int16Array(capacity), response: new Int16Array(capacity), latencyMs: new Float64Array(capacity),
      r2ts: new Uint32Array(capacity), dataIns: new Uint32Array(capacity), dataOuts: new Uint32Array(capacity),
      fate: new Uint8Array(capacity),
    };
  }

  add(conn: number, itt: number, row: number, frame: number, time: number, lun: number, scsiOpcode: number,
    cdb1: number, cmdSN: number, expectedLength: number, flags: number): number {
    const t = this.t;
    const i = t.count;
    if (i === t.conn.length) this.grow(i + 1);
    t.conn[i] = conn; t.itt[i] = itt; t.row[i] = row; t.frame[i] = frame; t.time[i] = time; t.lun[i] = lun;
    t.scsiOpcode[i] = scsiOpcode; t.cdb1[i] = cdb1; t.cmdSN[i] = cmdSN; t.expectedLength[i] = expectedLength;
    t.flags[i] = flags; t.statusRow[i] = -1; t.statusFrame[i] = 0; t.statusTime[i] = Number.NaN; t.status[i] = -1;
    t.response[i] = -1; t.latencyMs[i] = Number.NaN; t.r2ts[i] = 0; t.dataIns[i] = 0; t.dataOuts[i] = 0;
    t.fate[i] = TaskFate.Unanswered;
    t.count = i + 1;
    return i;
  }

  private grow(needed: number): void {
    const t = this.t as unknown as Record<string, Uint8Array>;
    for (const k of Object.keys(t)) if (k !== 'count') t[k] = grown(t[k], needed);
  }

  /** Exact-size columns. */
  finish(): TaskTable {
    const t = this.t as unknown as Record<string, Uint8Array | number>;
    const out: Record<string, unknown> = { count: this.t.count };
    for (const k of Object.keys(t)) if (k !== 'count') out[k] = (t[k] as Uint8Array).slice(0, this.t.count);
    return out as unknown as TaskTable;
  }
}
