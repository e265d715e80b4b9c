// The PDU that answers (or asked) a given PDU, for the detail view's one-click jump: matched by ITT
// (commands, tasks, login, text, logout, pings) or TTT (target pings, R2T → Data-Out), scanning
// from the PDU forwards or backwards within its connection.

import type { PduColumns } from '../../engine/index.ts';
import { Op, RESERVED_TAG, opcode, dataInHasStatus } from './fields.ts';

export interface Link {
  label: string;
  pos: number;
}

const SCAN = 500_000;

function scan(rows: Uint32Array, from: number, dir: 1 | -1, match: (r: number) => boolean): number {
  const end = dir > 0 ? Math.min(rows.length, from + SCAN) : Math.max(-1, from - SCAN);
  for (let p = from + dir; p !== end; p += dir) if (match(rows[p])) return p;
  return -1;
}

export function counterparts(c: PduColumns, rows: Uint32Array, pos: number): Link[] {
  const r = rows[pos];
  const op = opcode(c, r);
  const itt = c.itt[r];
  const ttt = c.w20[r];
  const out: Link[] = [];
  const add = (label: string, p: number) => { if (p >= 0) out.push({ label, pos: p }); };
  const isOp = (x: number, ...ops: number[]) => ops.includes(opcode(c, x));
  switch (op) {
    case Op.ScsiCommand:
      add('status', scan(rows, pos, 1, (x) => c.itt[x] === itt && (isOp(x, Op.ScsiResponse) || (isOp(x, Op.DataIn) && dataInHasStatus(c, x)))));
      add('first data', scan(rows, pos, 1, (x) => c.itt[x] === itt && isOp(x, Op.DataIn, Op.R2T)));
      break;
    case Op.ScsiResponse:
    case Op.DataIn:
    case Op.R2T:
      add('command', scan(rows, pos, -1, (x) => c.itt[x] === itt && isOp(x, Op.ScsiCommand)));
      break;
    case Op.DataOut:
      if (ttt !== RESERVED_TAG) add('R2T', scan(rows, pos, -1, (x) => isOp(x, Op.R2T) && c.w20[x] === ttt && c.itt[x] === itt));
      add('command', scan(rows, pos, -1, (x) => c.itt[x] === itt && isOp(x, Op.ScsiCommand)));
      break;
    case Op.NopOut:
      if (itt !== RESERVED_TAG) add('ping reply', scan(rows, pos, 1, (x) => isOp(x, Op.NopIn) && c.itt[x] === itt));
      else if (ttt !== RESERVED_TAG) add('target ping', scan(rows, pos, -1, (x) => isOp(x, Op.NopIn) && c.w20[x] === ttt));
      break;
    case Op.NopIn:
      if (itt !== RESERVED_TAG) add('ping', scan(rows, pos, -1, (x) => isOp(x, Op.NopOut) && c.itt[x] === itt));
      else if (ttt !== RESERVED_TAG) add('echo', scan(rows, pos, 1, (x) => isOp(x, Op.NopOut) && c.itt[x] === RESERVED_TAG && c.w20[x] === ttt));
      break;
    case Op.TmfRequest:
      add('response', scan(rows, pos, 1, (x) => isOp(x, Op.TmfResponse) && c.itt[x] === itt));
      if (ttt !== RESERVED_TAG) add('referenced command', scan(rows, pos, -1, (x) => isOp(x, Op.ScsiCommand) && c.itt[x] === ttt));
      break;
    case Op.TmfResponse:
      add('request', scan(rows, pos, -1, (x) => isOp(x, Op.TmfRequest) && c.itt[x] === itt));
      break;
    case Op.LoginRequest:
    case Op.TextRequest:
    case Op.LogoutRequest:
      add('response', scan(rows, pos, 1, (x) => isOp(x, op | 0x20) && c.itt[x] === itt));
      break;
    case Op.LoginResponse:
    case Op.TextResponse:
    case Op.LogoutResponse:
      add('request', scan(rows, pos, -1, (x) => isOp(x, op & ~0x20) && c.itt[x] === itt));
      break;
    default:
      break;
  }
  return out;
}
