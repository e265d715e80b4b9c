import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import type { PduColumns } from '../iscsi/index.ts';
import { lowerBoundRow, rowsOf } from './rows.ts';
import type { RelationKind, SessionModel } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { OP_DATA_IN, OP_DATA_OUT, OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, OP_R2T, OP_SCSI_COMMAND, RESERVED_TAG, } = codec;
const { itt, opcode, ttt } = iscsi;

/** A PDU related to another, for the detail view's one-click jump. */
export interface Counterpart {
  label: string;
  row: number;
}

/** How far to look along the connection for the R2T a Data-Out answers, or a command's first data PDU. */
const SCAN = 100_000;

const LABELS: Record<RelationKind, [from: string, to: string]> = {
  ping: ['ping', 'ping reply'],
  'target-ping': ['target ping', 'echo'],
  tmf: ['request', 'response'],
  'tmf-task': ['referenced command', 'task management request'],
  login: ['login request', 'login response'],
  logout: ['request', 'response'],
  text: ['request', 'response'],
};

/**
 * The PDUs the model relates to `row`: a command's status and first data PDU, a data PDU's command
 * (and a Data-Out's R2T), a ping's reply, a TMF's response and the command it names, a login,
 * text or logout request's response — and the other way round.
 */
export function counterparts(model: SessionModel, pdus: PduColumns, row: number): Counterpart[] {
  const out: Counterpart[] = [];
  const add = (label: string, r: number): void => {
    if (r >= 0 && r !== row && !out.some((x) => x.row === r)) out.push({ label, row: r });
  };
  const conn = pdus.conn[row];
  const t = model.tasks;
  const task = model.rowTask[row];
  const op = opcode(pdus, row);
  if (task >= 0) {
    if (op === OP_SCSI_COMMAND) {
      add('status', t.statusRow[task]);
      add('first data', firstDataRow(model, pdus, conn, row, task));
    } else {
      add('command', t.row[task]);
      if (op === OP_DATA_OUT && ttt(pdus, row) !== RESERVED_TAG) add('R2T', r2tOf(model, pdus, conn, row, task));
    }
  }
  const cm = model.connections[conn];
  if (cm !== undefined) {
    for (let k = cm.relations[0]; k < cm.relations[1]; k++) {
      const r = model.relations[k];
      const [fromLabel, toLabel] = LABELS[r.kind];
      if (r.from === row) add(toLabel, r.answer);
      else if (r.answer === row) add(fromLabel, r.from);
    }
  }
  // The steps of a multi-PDU login pair by ITT; the relation joins only its first and last.
  if (op === OP_LOGIN_REQUEST || op === OP_LOGIN_RESPONSE) {
    const rows = rowsOf(model.rows, conn);
    const p = lowerBoundRow(rows, row);
    const want = op === OP_LOGIN_REQUEST ? OP_LOGIN_RESPONSE : OP_LOGIN_REQUEST;
    const step = op === OP_LOGIN_REQUEST ? 1 : -1;
    for (let q = p + step; q >= 0 && q < rows.length; q += step) {
      const o = opcode(pdus, rows[q]);
      if (o === want && itt(pdus, rows[q]) === itt(pdus, row)) { add(step > 0 ? 'response' : 'request', rows[q]); break; }
      if (o === op) break;
    }
  }
  return out;
}

function firstDataRow(model: SessionModel, pdus: PduColumns, conn: number, row: number, task: number): number {
  const rows = rowsOf(model.rows, conn);
  const p = lowerBoundRow(rows, row);
  for (let q = p + 1; q < rows.length && q <= p + SCAN; q++) {
    const r = rows[q];
    if (model.rowTask[r] !== task) continue;
    const o = opcode(pdus, r);
    if (o === OP_DATA_IN || o === OP_R2T || o === OP_DATA_OUT) return r;
  }
  return -1;
}

/** The R2T (of the same task, with the same TTT) a Data-Out answers. */
function r2tOf(model: SessionModel, pdus: PduColumns, conn: number, row: number, task: number): number {
  const rows = rowsOf(model.rows, conn);
  const p = lowerBoundRow(rows, row);
  const want = ttt(pdus, row);
  for (let q = p - 1; q >= 0 && q >= p - SCAN; q--) {
    const r = rows[q];
    if (model.rowTask[r] === task && opcode(pdus, r) === OP_R2T && ttt(pdus, r) === want) return r;
  }
  return -1;
}
