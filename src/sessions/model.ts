import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import type { ConnectionSummary, FramedCapture, PduColumns, Side } from '../iscsi/index.ts';
import { connRows, rowsOf } from './rows.ts';
import { latencyStats } from './stats.ts';
import { groupSessions } from './sessions.ts';
import { TaskFlag, TaskTableBuilder } from './tasks.ts';
import { tcpModel } from './tcp.ts';
import { TaskFate } from './types.ts';
import type {
  ConnectionEndInfo, ConnectionModel, EndEvent, Endpoint, Fate, LoginInfo, LogoutInfo, Moment, PduMoment,
  RelationKind, SessionModel, TaskTable, TcpAck, TmfRecord,
} from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const {
  NO_LUN, cdbByte1, cmdSN, dataInHasStatus, endsLoginPhase, expectedDataTransferLength, isImmediate, isRead,
  isResynced, isWrite, itt: ittOf, logoutReason, loginStatusClass, loginStatusDetail, lunIndexOf, opcode: opcodeOf,
  refCmdSN, referencedTaskTag, response: responseOf, scsiOpcode, scsiStatus, tmfFunction, ttt: tttOf,
} = iscsi;

const {
  OP_DATA_IN, OP_DATA_OUT, OP_LOGIN_REQUEST, OP_LOGIN_RESPONSE, OP_LOGOUT_REQUEST, OP_LOGOUT_RESPONSE, OP_NOP_IN,
  OP_NOP_OUT, OP_R2T, OP_SCSI_COMMAND, OP_SCSI_RESPONSE, OP_TASK_MGMT_REQUEST, OP_TASK_MGMT_RESPONSE, OP_TEXT_REQUEST,
  OP_TEXT_RESPONSE, RESERVED_TAG, TARGET_OPCODE_BIT, parseSense, tmfEndsTasks, tmfScope,
} = codec;

type Building = Omit<SessionModel, 'tasks' | 'latency' | 'sessions' | 'rows' | 'rowTask' | 'opcodeCounts' | 'senses' | 'taskAcks' | 'tcp'>;

/**
 * Builds the connection / session model from a framed capture: one pass over each connection's PDUs
 * matching requests to answers by tag (ITT for commands, pings and TMFs; TTT for target pings), and
 * recording each match as a relation of rows. Routine I/O only touches counters and the row → task
 * column; no object is made per PDU.
 */
export function buildModel(framed: FramedCapture): SessionModel {
  const rows = connRows(framed.pdus, framed.connections.length);
  const tasks = new TaskTableBuilder();
  const rowTask = new Int32Array(framed.pdus.count).fill(-1);
  const out: Building = { connections: [], tmfs: [], pings: [], targetPings: [], strayEchoes: [], relations: [] };
  const captureEnd = captureEndOf(framed);
  for (const summary of framed.connections) {
    out.connections.push(walkConnection(framed.pdus, summary, rowsOf(rows, summary.conn), tasks, rowTask, out, captureEnd));
  }
  const table = tasks.finish();
  const sessions = groupSessions(out.connections);
  return {
    ...out, sessions, tasks: table, latency: latencyStats(table, framed.luns), rows, rowTask,
    opcodeCounts: countOpcodes(framed.pdus), senses: sensesOf(framed), taskAcks: tcpAcks(framed, out, table), tcp: tcpModel(framed),
  };
}

/**
 * The TCP acknowledgement of each request iSCSI did not answer in time (pings, TMFs, commands): the
 * answer to "was it lost, or taken and ignored?". Only those are looked up, in one pass over the
 * ACK watches (there is one per command of the capture).
 */
function tcpAcks(framed: FramedCapture, out: Building, tasks: TaskTable): Map<number, TcpAck> {
  // Row → what waits for its ACK, as index × 4 + kind (0 ping, 1 TMF, 2 command, 3 login
  // relation): a number, not a closure per request (a million unanswered pings made a million).
  const wanted = new Map<number, number>();
  const notAnswered = (f: Fate): boolean => f !== 'answered' && f !== 'unknown';
  out.pings.forEach((p, k) => { if (notAnswered(p.fate)) wanted.set(p.request.row, k * 4); });
  out.tmfs.forEach((t, k) => { if (notAnswered(t.fate)) wanted.set(t.request.row, k * 4 + 1); });
  const taskAcks = new Map<number, TcpAck>();
  for (let k = 0; k < tasks.count; k++) {
    const f = tasks.fate[k];
    if (f !== TaskFate.Unanswered && f !== TaskFate.OutstandingAtCaptureEnd && f !== TaskFate.AnsweredLate && f !== TaskFate.Aborted) continue;
    wanted.set(tasks.row[k], k * 4 + 2);
  }
  for (let k = 0; k < out.relations.length; k++) {
    const r = out.relations[k];
    if (r.kind === 'login' && r.from >= 0 && notAnswered(r.fate)) wanted.set(r.from, k * 4 + 3);
  }
  if (wanted.size === 0) return taskAcks;
  const a = framed.tcp.acks;
  for (let j = 0; j < a.count; j++) {
    const code = wanted.get(a.row[j]);
    if (code === undefined) continue;
    const ack: TcpAck = a.frame[j] === 0 ? null : { frame: a.frame[j], time: a.time[j] };
    const k = Math.floor(code / 4);
    switch (code % 4) {
      case 0: out.pings[k].tcpAck = ack; out.relations[out.pings[k].relation].tcpAck = ack; break;
      case 1: out.tmfs[k].tcpAck = ack; out.relations[out.tmfs[k].relation].tcpAck = ack; break;
      case 2: taskAcks.set(k, ack); break;
      default: out.relations[k].tcpAck = ack;
    }
  }
  return taskAcks;
}

/** CHECK CONDITION status, RFC 7143 §11.4.2 / SAM: the response carries sense data. */
const CHECK_CONDITION = 0x02;

function sensesOf(framed: FramedCapture): SessionModel['senses'] {
  const out: SessionModel['senses'] = new Map();
  const c = framed.pdus;
  for (const [row, d] of framed.details) {
    if (d.opcode !== OP_SCSI_RESPONSE || scsiStatus(c, row) !== CHECK_CONDITION || d.data.length < 2) continue;
    // The data segment starts with SenseLength (2 bytes), then the sense bytes.
    const s = parseSense(d.data, 2, Math.min((d.data[0] << 8) | d.data[1], d.data.length - 2));
    if (s !== undefined) out.set(row, { senseKey: s.senseKey, asc: s.asc, ascq: s.ascq });
  }
  return out;
}

function countOpcodes(c: PduColumns): Uint32Array {
  const counts = new Uint32Array(64);
  const op = opcodeOf;
  for (let i = 0; i < c.count; i++) counts[op(c, i)]++;
  return counts;
}

/** The capture's last frame and time: where every wait still open at the end stops. */
export function captureEndOf(framed: Pick<FramedCapture, 'capture' | 'connections'>): Moment {
  let last = framed.capture.lastTime;
  if (last === undefined) {
    last = 0;
    for (const c of framed.connections) if (c.lastTime > last) last = c.lastTime;
  }
  return { frame: framed.capture.packets, time: last };
}

function endEvent(kind: 'fin' | 'rst', by: Side): EndEvent {
  if (by === 'initiator') return kind === 'fin' ? 'initiator-fin' : 'initiator-reset';
  return kind === 'fin' ? 'target-fin' : 'target-reset';
}

/** When a wait ended: how, where, and the ladder point (a control event or the capture's end). */
export interface Deadline {
  event: EndEvent;
  frame: number;
  time: number;
  /** Index in ConnectionSummary.control, -1 for the capture's end. */
  control: number;
}

/**
 * When a request sent at `frame` stopped waiting: the first FIN or RST captured at or after it on
 * its connection, else the capture's end.
 */
export function deadline(end: ConnectionEndInfo, frame: number, captureEnd: Moment): Deadline {
  if (end.kind !== 'open' && end.by !== undefined && end.frame >= frame) {
    return { event: end.event, frame: end.frame, time: end.time, control: end.control };
  }
  for (const e of end.later) {
    if (e.frame >= frame) return { event: endEvent(e.kind === 'FIN' ? 'fin' : 'rst', e.by), frame: e.frame, time: e.time, control: e.control };
  }
  return { event: 'capture-end', frame: captureEnd.frame, time: captureEnd.time, control: -1 };
}

/**
 * The ladder point of a deadline. Endpoints are values, never changed once made: the few there are
 * (a connection's FIN/RST indices, the capture's end) are made once and shared — every unanswered
 * ping of a connection ends at the same one.
 */
export function deadlineEndpoint(d: Deadline): Endpoint {
  if (d.control < 0) return CAPTURE_END_POINT;
  if (d.control >= CONTROL_POINTS.length) return { control: d.control };
  return (CONTROL_POINTS[d.control] ??= Object.freeze({ control: d.control }));
}

const CAPTURE_END_POINT: Endpoint = Object.freeze({ captureEnd: true });
const CONTROL_POINTS: Array<Endpoint | undefined> = new Array<Endpoint | undefined>(64);

/** How the connection ended, from the engine's TCP control events. */
function endInfo(s: ConnectionSummary, captureEnd: Moment): ConnectionEndInfo {
  const closing: number[] = [];
  s.control.forEach((e, k) => { if (e.kind !== 'SYN') closing.push(k); });
  closing.sort((a, b) => s.control[a].frame - s.control[b].frame || a - b);
  const outstanding = { commands: 0, pings: 0, tmfs: 0, targetPings: 0 };
  if (closing.length === 0) {
    return { kind: 'open', by: undefined, frame: captureEnd.frame, time: captureEnd.time, control: -1, event: 'capture-end', loggedOut: false, outstanding, later: [] };
  }
  const first = s.control[closing[0]];
  const kind = first.kind === 'FIN' ? 'fin' : 'rst';
  return {
    kind, by: first.by, frame: first.frame, time: first.time, control: closing[0], event: endEvent(kind, first.by), loggedOut: false, outstanding,
    later: closing.slice(1).map((k) => {
      const e = s.control[k];
      return { kind: e.kind as 'FIN' | 'RST', by: e.by, frame: e.frame, time: e.time, control: k };
    }),
  };
}

/** The operational keys in force: the target's answer where it gave one, else the initiator's value. */
function negotiatedKeys(s: ConnectionSummary): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.initiatorKeys)) out[k] = v;
  for (const [k, v] of Object.entries(s.targetKeys)) out[k] = v;
  return out;
}

function sessionTypeOf(s: ConnectionSummary, login: LoginInfo | undefined): 'Discovery' | 'Normal' | undefined {
  const t = s.initiatorKeys.SessionType;
  if (t === 'Discovery') return 'Discovery';
  if (t === 'Normal') return 'Normal';
  // RFC 7143 §13.21: SessionType defaults to Normal; only say so when the login text was seen.
  if (login !== undefined && s.initiatorKeys.InitiatorName !== undefined) return 'Normal';
  return undefined;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Per-connection matching state while walking its rows. */
interface Walk {
  /** ITT → latest task index with that ITT. */
  ittTask: Map<number, number>;
  /** Commands waiting for status, in send order; and the same by LUN index, for the TMFs that
   *  name a LUN (a crafted capture can hold many thousands waiting, and as many TMFs). */
  outstanding: Set<number>;
  outstandingByLun: Map<number, Set<number>>;
  /** ITT → index in out.pings of a ping waiting for its NOP-In. */
  pings: Map<number, number>;
  /** TTT → index in out.targetPings of a target ping waiting for its echo. */
  targetPings: Map<number, number>;
  /** ITT → index in out.tmfs of a TMF waiting for its response. */
  tmfs: Map<number, number>;
  /** Of those, by LUN index, the ones whose `next` is still to be set: a TMF is in one list once,
   *  so a million unanswered ones cost no scan of all that wait at every new one. */
  tmfsWithoutNext: Map<number, number[]>;
  /** ITT → index in out.relations of a Text Request waiting for its response. */
  texts: Map<number, number>;
  /** The newest target ping (index in out.targetPings), -1 none. */
  lastTargetPing: number;
}

/** Target pings kept waiting for a late echo: a crafted capture can send millions nobody answers. */
const MAX_WAITING_TARGET_PINGS = 64;

function addRelation(out: Building, kind: RelationKind, conn: number, from: number): number {
  // tcpAck from the start: set later on the unanswered, it would cost each of them a property store.
  out.relations.push({ kind, conn, from, to: { row: from }, answer: -1, fate: 'unanswered', tcpAck: undefined });
  return out.relations.length - 1;
}

function answerRelation(out: Building, r: number, row: number, fate: Fate): void {
  const rel = out.relations[r];
  rel.answer = row;
  rel.fate = fate;
  if (fate === 'answered') rel.to = { row };
}

function walkConnection(
  c: PduColumns, s: ConnectionSummary, rows: Uint32Array, tasks: TaskTableBuilder, rowTask: Int32Array,
  out: Building, captureEnd: Moment,
): ConnectionModel {
  const end = endInfo(s, captureEnd);
  const w: Walk = {
    ittTask: new Map(), outstanding: new Set(), outstandingByLun: new Map(), pings: new Map(), targetPings: new Map(), tmfs: new Map(), tmfsWithoutNext: new Map(), texts: new Map(), lastTargetPing: -1,
  };
  const conn = s.conn;
  const firstTask = tasks.t.count;
  const firstTmf = out.tmfs.length;
  const firstPing = out.pings.length;
  const firstTargetPing = out.targetPings.length;
  const firstRelation = out.relations.length;
  let login: LoginInfo | undefined;
  let logout: LogoutInfo | undefined;
  let logoutItt = RESERVED_TAG;
  let textRequests = 0;
  let commands = 0;
  let ffpSeen = false;
  // A target ping sent before the capture began (or lost in a gap) can be echoed without our seeing it.
  let targetStreamWhole = !s.midstream;

  const t = tasks.t;
  // Hot loop: accessors and columns in locals (an imported binding read per PDU costs a getter call
  // under the dev/test module loaders), and no object per routine I/O PDU.
  const op_ = opcodeOf, itt_ = ittOf, resynced_ = isResynced, hasStatus_ = dataInHasStatus;
  const { frame: frameCol, time: timeCol } = c;
  const RESERVED = RESERVED_TAG;
  const { Read, Write, Immediate } = TaskFlag;
  const REPLACED = TaskFate.Replaced;
  const at = (i: number): PduMoment => ({ row: i, frame: frameCol[i], time: timeCol[i] });
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const op = op_(c, i);
    if (op !== OP_LOGIN_REQUEST && op !== OP_LOGIN_RESPONSE) ffpSeen = true;
    if (resynced_(c, i)) {
      // Bytes before this PDU were lost: answers to what was waiting may have been among them.
      if ((op & TARGET_OPCODE_BIT) !== 0) {
        targetStreamWhole = false;
        forgetWaiting(w, tasks, out, 'answers');
        if (login !== undefined && login.response === undefined) out.relations[login.relation].fate = 'unknown';
      } else {
        forgetWaiting(w, tasks, out, 'echoes');
      }
    }
    switch (op) {
      case OP_SCSI_COMMAND: {
        commands++;
        const itt = itt_(c, i);
        const prev = w.ittTask.get(itt);
        if (prev !== undefined && w.outstanding.has(prev)) {
          t.fate[prev] = REPLACED;
          stopWaiting(t, w, prev);
        }
        const flags = (isRead(c, i) ? Read : 0) | (isWrite(c, i) ? Write : 0) | (isImmediate(c, i) ? Immediate : 0);
        const task = tasks.add(conn, itt, i, frameCol[i], timeCol[i], lunIndexOf(c, i), scsiOpcode(c, i), cdbByte1(c, i),
          cmdSN(c, i), expectedDataTransferLength(c, i), flags);
        rowTask[i] = task;
        w.ittTask.set(itt, task);
        startWaiting(t, w, task);
        break;
      }
      case OP_DATA_OUT: {
        const task = w.ittTask.get(itt_(c, i));
        if (task !== undefined) { t.dataOuts[task]++; rowTask[i] = task; }
        break;
      }
      case OP_R2T: {
        const task = w.ittTask.get(itt_(c, i));
        if (task !== undefined) { t.r2ts[task]++; rowTask[i] = task; }
        break;
      }
      case OP_DATA_IN: {
        const task = w.ittTask.get(itt_(c, i));
        if (task === undefined) break;
        t.dataIns[task]++;
        rowTask[i] = task;
        if (hasStatus_(c, i)) status(t, w, task, i, frameCol[i], timeCol[i], scsiStatus(c, i), -1, end, captureEnd);
        break;
      }
      case OP_SCSI_RESPONSE: {
        const task = w.ittTask.get(itt_(c, i));
        if (task === undefined) break;
        rowTask[i] = task;
        status(t, w, task, i, frameCol[i], timeCol[i], scsiStatus(c, i), responseOf(c, i), end, captureEnd);
        break;
      }
      case OP_TASK_MGMT_REQUEST: {
        const fn = tmfFunction(c, i);
        const lun = lunIndexOf(c, i);
        const ref = referencedTaskTag(c, i);
        const scope = tmfScope(fn);
        const task = scope === 'task' ? w.ittTask.get(ref) ?? -1
          : scope === 'lun' ? oldestWaiting(w, lun)
          : scope === 'target' ? oldestWaiting(w, -1) : -1;
        let taskRelation = -1;
        if (task >= 0) {
          taskRelation = addRelation(out, 'tmf-task', conn, t.row[task]);
          const r = out.relations[taskRelation];
          r.to = { row: i };
          r.answer = i;
          r.fate = 'answered';
        }
        const rec: TmfRecord = {
          conn, itt: itt_(c, i), request: at(i), fn, lun, referencedTaskTag: ref, refCmdSN: refCmdSN(c, i), task,
          response: undefined, responseCode: undefined, fate: 'unanswered', next: -1,
          relation: addRelation(out, 'tmf', conn, i), taskRelation, tcpAck: undefined,
        };
        const index = out.tmfs.length;
        // It escalates the TMFs waiting on its LUN, or all of them when it resets the target.
        const escalated = scope === 'target' ? [...w.tmfsWithoutNext.values()] : [w.tmfsWithoutNext.get(lun) ?? []];
        for (const list of escalated) for (const waiting of list) if (w.tmfs.get(out.tmfs[waiting].itt) === waiting) out.tmfs[waiting].next = index;
        if (scope === 'target') w.tmfsWithoutNext.clear();
        else w.tmfsWithoutNext.delete(lun);
        out.tmfs.push(rec);
        w.tmfs.set(rec.itt, index);
        append(w.tmfsWithoutNext, lun, index);
        break;
      }
      case OP_TASK_MGMT_RESPONSE: {
        const index = w.tmfs.get(itt_(c, i));
        if (index === undefined) break;
        w.tmfs.delete(itt_(c, i));
        const rec = out.tmfs[index];
        rec.response = at(i);
        rec.responseCode = responseOf(c, i);
        rec.fate = answeredInTime(rec.request.frame, frameCol[i], end, captureEnd) ? 'answered' : 'answered-late';
        answerRelation(out, rec.relation, i, rec.fate);
        if (rec.responseCode === 0) abortCovered(t, w, rec);
        break;
      }
      case OP_NOP_OUT: {
        const itt = itt_(c, i);
        const ttt = tttOf(c, i);
        if (ttt !== RESERVED) {
          echo(out, w, conn, at(i), ttt, itt, lunIndexOf(c, i), targetStreamWhole, end, captureEnd);
        } else if (itt !== RESERVED) {
          // A ping: the target must answer with a NOP-In of the same ITT. ITT 0xffffffff is a
          // keepalive / ExpStatSN update that asks for no answer.
          const prev = w.pings.get(itt);
          if (prev !== undefined) {
            out.pings[prev].fate = 'unknown';
            out.relations[out.pings[prev].relation].fate = 'unknown';
          }
          w.pings.set(itt, out.pings.length);
          out.pings.push({ conn, itt, request: at(i), answer: undefined, fate: 'unanswered', relation: addRelation(out, 'ping', conn, i), tcpAck: undefined });
        }
        break;
      }
      case OP_NOP_IN: {
        const itt = itt_(c, i);
        const ttt = tttOf(c, i);
        if (itt !== RESERVED) {
          const index = w.pings.get(itt);
          if (index === undefined) break;
          w.pings.delete(itt);
          const p = out.pings[index];
          p.answer = at(i);
          p.fate = answeredInTime(p.request.frame, frameCol[i], end, captureEnd) ? 'answered' : 'answered-late';
          answerRelation(out, p.relation, i, p.fate);
        } else if (ttt !== RESERVED) {
          // A target ping: the one before it, if still waiting, has now been given up on by the target
          // (only the newest can be unsuperseded: each new ping supersedes all before it).
          if (w.lastTargetPing >= 0 && out.targetPings[w.lastTargetPing].echo === undefined && out.targetPings[w.lastTargetPing].supersededBy === undefined) {
            out.targetPings[w.lastTargetPing].supersededBy = at(i);
          }
          // A late echo can still name an older ping, but only the recent ones are worth remembering.
          if (w.targetPings.size >= MAX_WAITING_TARGET_PINGS) w.targetPings.delete(w.targetPings.keys().next().value as number);
          w.lastTargetPing = out.targetPings.length;
          w.targetPings.set(ttt, out.targetPings.length);
          out.targetPings.push({
            conn, ttt, lun: lunIndexOf(c, i), request: at(i), echo: undefined, echoItt: undefined, echoLun: undefined,
            supersededBy: undefined, fate: 'unanswered', relation: addRelation(out, 'target-ping', conn, i),
          });
        }
        break;
      }
      case OP_LOGIN_REQUEST:
        if (login === undefined) {
          login = { request: at(i), response: undefined, statusClass: undefined, statusDetail: undefined, fullFeature: false, relation: addRelation(out, 'login', conn, i) };
        }
        break;
      case OP_LOGIN_RESPONSE: {
        if (login === undefined) {
          login = { request: at(i), response: undefined, statusClass: undefined, statusDetail: undefined, fullFeature: false, relation: addRelation(out, 'login', conn, i) };
        }
        if (login.response !== undefined) break;
        if (endsLoginPhase(c, i)) {
          const cls = loginStatusClass(c, i);
          login.response = at(i);
          login.statusClass = cls;
          login.statusDetail = loginStatusDetail(c, i);
          login.fullFeature = cls === 0;
          answerRelation(out, login.relation, i, 'answered');
        }
        break;
      }
      case OP_TEXT_REQUEST: {
        textRequests++;
        const itt = itt_(c, i);
        if (!w.texts.has(itt)) w.texts.set(itt, addRelation(out, 'text', conn, i));
        break;
      }
      case OP_TEXT_RESPONSE: {
        const r = w.texts.get(itt_(c, i));
        if (r === undefined) break;
        w.texts.delete(itt_(c, i));
        answerRelation(out, r, i, 'answered');
        break;
      }
      case OP_LOGOUT_REQUEST:
        if (logout === undefined || logout.response !== undefined) {
          logout = { request: at(i), reason: logoutReason(c, i), response: undefined, responseCode: undefined, relation: addRelation(out, 'logout', conn, i) };
          logoutItt = itt_(c, i);
        }
        break;
      case OP_LOGOUT_RESPONSE:
        if (logout !== undefined && logout.response === undefined && (itt_(c, i) === logoutItt || logoutItt === RESERVED)) {
          logout.response = at(i);
          logout.responseCode = responseOf(c, i);
          answerRelation(out, logout.relation, i, answeredInTime(logout.request.frame, frameCol[i], end, captureEnd) ? 'answered' : 'answered-late');
        }
        break;
      default:
        break;
    }
  }

  // What was still waiting when the connection ended (or the capture did).
  const lostForGood = lostAnswers(s);
  if (lostForGood.answers && login !== undefined && login.response === undefined) out.relations[login.relation].fate = 'unknown';
  for (const task of w.outstanding) {
    if (lostForGood.answers) t.fate[task] = TaskFate.Unknown;
    else t.fate[task] = deadline(end, t.frame[task], captureEnd).event === 'capture-end' ? TaskFate.OutstandingAtCaptureEnd : TaskFate.Unanswered;
  }
  for (const index of w.pings.values()) {
    const p = out.pings[index];
    p.fate = lostForGood.answers ? 'unknown' : waitFate(end, p.request.frame, captureEnd);
  }
  for (const index of w.tmfs.values()) {
    const r = out.tmfs[index];
    r.fate = lostForGood.answers ? 'unknown' : waitFate(end, r.request.frame, captureEnd);
  }
  for (const index of w.targetPings.values()) {
    const p = out.targetPings[index];
    p.fate = lostForGood.echoes ? 'unknown' : p.supersededBy !== undefined ? 'unanswered' : waitFate(end, p.request.frame, captureEnd);
  }
  closeRelations(out, firstRelation, end, captureEnd, firstPing, firstTargetPing, firstTmf);
  for (let k = firstTask; k < t.count; k++) {
    const f = t.fate[k];
    if (f === TaskFate.Unanswered || f === TaskFate.OutstandingAtCaptureEnd || f === TaskFate.AnsweredLate) end.outstanding.commands++;
  }
  for (let k = firstPing; k < out.pings.length; k++) if (isWaiting(out.pings[k].fate)) end.outstanding.pings++;
  for (let k = firstTmf; k < out.tmfs.length; k++) if (isWaiting(out.tmfs[k].fate)) end.outstanding.tmfs++;
  for (let k = firstTargetPing; k < out.targetPings.length; k++) if (isWaiting(out.targetPings[k].fate)) end.outstanding.targetPings++;
  end.loggedOut = logout?.response !== undefined && (end.kind === 'open' || logout.response.frame <= end.frame);

  return {
    conn,
    initiator: hostPort(s.initiator.address, s.initiator.port),
    portal: hostPort(s.target.address, s.target.port),
    initiatorAddress: s.initiator.address,
    initiatorName: nonEmpty(s.initiatorKeys.InitiatorName),
    targetName: nonEmpty(s.initiatorKeys.TargetName),
    initiatorAlias: nonEmpty(s.initiatorKeys.InitiatorAlias),
    targetAlias: nonEmpty(s.targetKeys.TargetAlias),
    sessionType: sessionTypeOf(s, login),
    isid: s.isid,
    tsih: s.tsih,
    cid: s.cid,
    login,
    negotiated: negotiatedKeys(s),
    loggedIn: login !== undefined ? login.fullFeature : ffpSeen,
    logout,
    end,
    session: -1,
    firstFrame: s.firstFrame,
    lastFrame: s.lastFrame,
    firstTime: s.firstTime,
    lastTime: s.lastTime,
    pdus: rows.length,
    commands,
    textRequests,
    relations: [firstRelation, out.relations.length],
  };
}

/**
 * The relations still open when the walk ended get their fate and the point where their wait
 * ended: a ping, TMF or text exchange at the connection's give-up (FIN/RST) or the capture's end; a
 * target ping at the target's next ping when that came first.
 */
function closeRelations(out: Building, first: number, end: ConnectionEndInfo, captureEnd: Moment,
  firstPing: number, firstTargetPing: number, firstTmf: number): void {
  for (let k = firstPing; k < out.pings.length; k++) {
    const p = out.pings[k];
    if (p.fate === 'answered') continue;
    const r = out.relations[p.relation];
    r.fate = p.fate;
    r.to = deadlineEndpoint(deadline(end, p.request.frame, captureEnd));
  }
  for (let k = firstTargetPing; k < out.targetPings.length; k++) {
    const p = out.targetPings[k];
    if (p.fate === 'answered') continue;
    const r = out.relations[p.relation];
    r.fate = p.fate;
    if (p.echo !== undefined) r.answer = p.echo.row;
    r.to = p.supersededBy !== undefined && (p.echo === undefined || p.echo.frame > p.supersededBy.frame)
      ? { row: p.supersededBy.row }
      : deadlineEndpoint(deadline(end, p.request.frame, captureEnd));
  }
  for (let k = firstTmf; k < out.tmfs.length; k++) {
    const m = out.tmfs[k];
    if (m.fate === 'answered') continue;
    const r = out.relations[m.relation];
    r.fate = m.fate;
    r.to = deadlineEndpoint(deadline(end, m.request.frame, captureEnd));
  }
  for (let k = first; k < out.relations.length; k++) {
    const r = out.relations[k];
    if ((r.kind === 'logout' || r.kind === 'text' || r.kind === 'login') && r.fate !== 'answered' && 'row' in r.to && r.to.row === r.from) {
      const d = deadline(end, 0, captureEnd);
      r.to = deadlineEndpoint(d);
      if (r.fate === 'unanswered' && d.event === 'capture-end') r.fate = 'outstanding-at-capture-end';
    }
  }
}

/** Still waiting when the connection ended (an answer that came later was too late). */
function isWaiting(f: string): boolean {
  return f === 'unanswered' || f === 'outstanding-at-capture-end' || f === 'answered-late';
}

function waitFate(end: ConnectionEndInfo, frame: number, captureEnd: Moment): 'unanswered' | 'outstanding-at-capture-end' {
  return deadline(end, frame, captureEnd).event === 'capture-end' ? 'outstanding-at-capture-end' : 'unanswered';
}

function answeredInTime(requestFrame: number, answerFrame: number, end: ConnectionEndInfo, captureEnd: Moment): boolean {
  // The common case, without building the deadline: no FIN/RST yet at the answer.
  if (end.kind === 'open' || answerFrame <= end.frame) return true;
  return answerFrame <= deadline(end, requestFrame, captureEnd).frame;
}

/** A gap that framing never recovered from: everything after it in that direction is unknown. */
function lostAnswers(s: ConnectionSummary): { answers: boolean; echoes: boolean } {
  let answers = false;
  let echoes = false;
  for (const g of s.gaps) {
    if (g.resyncFrame !== 0) continue;
    if (g.dir === 'T>I') answers = true;
    else echoes = true;
  }
  return { answers, echoes };
}

/** After lost bytes: what waited for an answer from that direction may have had it; stop waiting. */
function forgetWaiting(w: Walk, tasks: TaskTableBuilder, out: Building, what: 'answers' | 'echoes'): void {
  if (what === 'echoes') {
    for (const index of w.targetPings.values()) out.targetPings[index].fate = 'unknown';
    w.targetPings.clear();
    return;
  }
  for (const task of w.outstanding) tasks.t.fate[task] = TaskFate.Unknown;
  w.outstanding.clear();
  w.outstandingByLun.clear();
  for (const index of w.pings.values()) out.pings[index].fate = 'unknown';
  w.pings.clear();
  for (const index of w.tmfs.values()) out.tmfs[index].fate = 'unknown';
  w.tmfs.clear();
  w.tmfsWithoutNext.clear();
}

function status(
  t: SessionModel['tasks'], w: Walk, task: number, row: number, frame: number, time: number, scsiStatusByte: number, responseByte: number,
  end: ConnectionEndInfo, captureEnd: Moment,
): void {
  if (t.statusRow[task] >= 0) return;
  stopWaiting(t, w, task);
  t.statusRow[task] = row;
  t.statusFrame[task] = frame;
  t.statusTime[task] = time;
  t.status[task] = scsiStatusByte;
  t.response[task] = responseByte;
  // A clock that stepped back must not give a negative latency.
  t.latencyMs[task] = Math.max(0, (time - t.time[task]) * 1000);
  t.fate[task] = answeredInTime(t.frame[task], frame, end, captureEnd) ? TaskFate.Completed : TaskFate.AnsweredLate;
}

function append(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function startWaiting(t: SessionModel['tasks'], w: Walk, task: number): void {
  w.outstanding.add(task);
  const lun = t.lun[task];
  let set = w.outstandingByLun.get(lun);
  if (set === undefined) w.outstandingByLun.set(lun, set = new Set());
  set.add(task);
}

function stopWaiting(t: SessionModel['tasks'], w: Walk, task: number): void {
  w.outstanding.delete(task);
  const set = w.outstandingByLun.get(t.lun[task]);
  if (set === undefined) return;
  set.delete(task);
  if (set.size === 0) w.outstandingByLun.delete(t.lun[task]);
}

/** The command waiting longest on a LUN (lun = -1: on the connection). */
function oldestWaiting(w: Walk, lun: number): number {
  const waiting = lun < 0 ? w.outstanding : w.outstandingByLun.get(lun);
  if (waiting !== undefined) for (const task of waiting) return task;
  return -1;
}

/** A TMF answered "function complete": the commands it covered will get no status. */
function abortCovered(t: SessionModel['tasks'], w: Walk, rec: TmfRecord): void {
  if (!tmfEndsTasks(rec.fn)) return;
  const scope = tmfScope(rec.fn);
  const covers = (task: number): boolean => {
    if (t.frame[task] > rec.request.frame) return false;
    if (scope === 'task') return t.itt[task] === rec.referencedTaskTag;
    if (scope === 'lun') return t.lun[task] === rec.lun && rec.lun !== NO_LUN;
    return scope === 'target';
  };
  const done: number[] = [];
  if (scope === 'task') {
    const task = w.ittTask.get(rec.referencedTaskTag);
    if (task !== undefined && w.outstanding.has(task) && covers(task)) done.push(task);
  } else {
    const waiting = scope === 'lun' ? w.outstandingByLun.get(rec.lun) : w.outstanding;
    // In send order: past the first one sent after the request, none is covered.
    if (waiting !== undefined) for (const task of waiting) { if (t.frame[task] > rec.request.frame) break; if (covers(task)) done.push(task); }
  }
  for (const task of done) {
    t.fate[task] = TaskFate.Aborted;
    stopWaiting(t, w, task);
  }
}

/** A NOP-Out with a TTT: the echo of a target ping (RFC 7143 §11.18.1). */
function echo(
  out: Building, w: Walk, conn: number, at: PduMoment, ttt: number, itt: number,
  lun: number, targetStreamWhole: boolean, end: ConnectionEndInfo, captureEnd: Moment,
): void {
  const index = w.targetPings.get(ttt);
  if (index !== undefined) {
    w.targetPings.delete(ttt);
    const p = out.targetPings[index];
    p.echo = at;
    p.echoItt = itt;
    p.echoLun = lun;
    const late = p.supersededBy !== undefined || !answeredInTime(p.request.frame, at.frame, end, captureEnd);
    p.fate = late ? 'answered-late' : 'answered';
    answerRelation(out, p.relation, at.row, p.fate);
    if (itt !== RESERVED_TAG || lun !== p.lun) {
      out.strayEchoes.push({ conn, at, ttt, itt, lun, expectedTtt: ttt, ping: index });
    }
    return;
  }
  // No waiting ping offered this TTT. Only say so when we saw everything the target sent.
  if (!targetStreamWhole) return;
  const expected = w.lastTargetPing >= 0 && w.targetPings.has(out.targetPings[w.lastTargetPing].ttt) ? out.targetPings[w.lastTargetPing].ttt : RESERVED_TAG;
  out.strayEchoes.push({ conn, at, ttt, itt, lun, expectedTtt: expected, ping: -1 });
}
