import type { Analysis, ConnectionSummary, Side } from '../engine/types.ts';
import { NO_LUN, PduState } from '../engine/pdu-table.ts';
import type { PduColumns } from '../engine/pdu-table.ts';
import { Op, RESERVED_TAG, loginStatusClass, loginStatusDetail, loginTransitToFullFeature } from './fields.ts';
import { connRows } from './rows.ts';
import type { ConnRows } from './rows.ts';
import { latencyStats } from './stats.ts';
import { groupSessions } from './sessions.ts';
import { TaskFlag, TaskTableBuilder } from './tasks.ts';
import { TaskFate } from './types.ts';
import type {
  ConnectionEndInfo, ConnectionModel, EndEvent, LoginInfo, LogoutInfo, Moment, SessionModel, TmfRecord,
} from './types.ts';

/**
 * Builds the connection / session model from an Analysis: one pass over each connection's PDUs
 * matching requests to answers by tag (ITT for commands, pings and TMFs; TTT for target pings).
 * Routine I/O only touches counters; no object is made per PDU.
 */
export function buildModel(analysis: Analysis, rows: ConnRows = connRows(analysis.pdus, analysis.connections.length)): SessionModel {
  const tasks = new TaskTableBuilder();
  const out: Omit<SessionModel, 'tasks' | 'latency' | 'sessions'> = {
    connections: [], tmfs: [], pings: [], targetPings: [], strayEchoes: [],
  };
  const captureEnd = captureEndOf(analysis);
  for (const summary of analysis.connections) {
    const list = rows.rows[summary.conn] ?? new Uint32Array(0);
    out.connections.push(walkConnection(analysis, summary, list, tasks, out, captureEnd));
  }
  const table = tasks.finish();
  const sessions = groupSessions(out.connections);
  return { ...out, sessions, tasks: table, latency: latencyStats(table, analysis.luns) };
}

/** The capture's last frame and time: where every wait still open at the end stops. */
export function captureEndOf(analysis: Analysis): Moment {
  return {
    frame: analysis.capture.packets,
    time: analysis.capture.lastTime ?? analysis.connections.reduce((t, c) => Math.max(t, c.lastTime), 0),
  };
}

/** "80dec73e0000" → "80:de:c7:3e:00:00", as Wireshark and the pdus output show an ISID. */

function endEvent(kind: 'fin' | 'rst', by: Side): EndEvent {
  if (by === 'initiator') return kind === 'fin' ? 'initiator-fin' : 'initiator-reset';
  return kind === 'fin' ? 'target-fin' : 'target-reset';
}

/**
 * When a request sent at `frame` stopped waiting: the first FIN or RST captured at or after it on
 * its connection, else the capture's end.
 */
export function deadline(end: ConnectionEndInfo, frame: number, captureEnd: Moment): { event: EndEvent; frame: number; time: number } {
  if (end.kind !== 'open' && end.by !== undefined && end.frame >= frame) return { event: end.event, frame: end.frame, time: end.time };
  for (const e of end.later) {
    if (e.frame >= frame) return { event: endEvent(e.kind === 'FIN' ? 'fin' : 'rst', e.by), frame: e.frame, time: e.time };
  }
  return { event: 'capture-end', frame: captureEnd.frame, time: captureEnd.time };
}

/** How the connection ended, from the engine's TCP control events. */
function endInfo(s: ConnectionSummary, captureEnd: Moment): ConnectionEndInfo {
  const closing = s.control.filter((e) => e.kind !== 'SYN').sort((a, b) => a.frame - b.frame);
  const outstanding = { commands: 0, pings: 0, tmfs: 0, targetPings: 0 };
  if (closing.length === 0) {
    return { kind: 'open', by: undefined, frame: captureEnd.frame, time: captureEnd.time, event: 'capture-end', loggedOut: false, outstanding, later: [] };
  }
  const first = closing[0];
  const kind = first.kind === 'FIN' ? 'fin' : 'rst';
  return {
    kind, by: first.by, frame: first.frame, time: first.time, event: endEvent(kind, first.by), loggedOut: false, outstanding,
    later: closing.slice(1).map((e) => ({ kind: e.kind as 'FIN' | 'RST', by: e.by, frame: e.frame, time: e.time })),
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

const COMPLETED = TaskFate.Completed;
const ANSWERED_LATE = TaskFate.AnsweredLate;

/** Per-connection matching state while walking its rows. */
interface Walk {
  /** ITT → latest task index with that ITT. */
  ittTask: Map<number, number>;
  /** Commands waiting for status, in send order. */
  outstanding: Set<number>;
  /** ITT → index in out.pings of a ping waiting for its NOP-In. */
  pings: Map<number, number>;
  /** TTT → index in out.targetPings of a target ping waiting for its echo. */
  targetPings: Map<number, number>;
  /** ITT → index in out.tmfs of a TMF waiting for its response. */
  tmfs: Map<number, number>;
}

function walkConnection(
  analysis: Analysis, s: ConnectionSummary, rows: Uint32Array, tasks: TaskTableBuilder,
  out: Omit<SessionModel, 'tasks' | 'latency' | 'sessions'>, captureEnd: Moment,
): ConnectionModel {
  const c: PduColumns = analysis.pdus;
  const end = endInfo(s, captureEnd);
  const w: Walk = { ittTask: new Map(), outstanding: new Set(), pings: new Map(), targetPings: new Map(), tmfs: new Map() };
  const conn = s.conn;
  const firstTask = tasks.t.count;
  const firstTmf = out.tmfs.length;
  const firstPing = out.pings.length;
  const firstTargetPing = out.targetPings.length;
  let login: LoginInfo | undefined;
  let logout: LogoutInfo | undefined;
  let logoutItt = RESERVED_TAG;
  let textRequests = 0;
  let commands = 0;
  let ffpSeen = false;
  // A target ping sent before the capture began (or lost in a gap) can be echoed without our seeing it.
  let targetStreamWhole = !s.midstream;

  const t = tasks.t;
  // Hot loop: columns and constants in locals (an imported binding read per PDU costs a getter
  // call under the dev/test module loaders), and no object per routine I/O PDU.
  const { b0, b1: flagsCol, b2: b2Col, b3: b3Col, itt: ittCol, w20: w20Col, w24: w24Col, w32: w32Col, lun: lunCol } = c;
  const { frame: frameCol, time: timeCol, state: stateCol } = c;
  const { ScsiCommand, DataOut, R2T, DataIn, ScsiResponse, TmfRequest, TmfResponse, NopOut, NopIn, LoginRequest, LoginResponse,
    TextRequest, LogoutRequest, LogoutResponse } = Op;
  const RESERVED = RESERVED_TAG;
  const RESYNCED = PduState.Resynced;
  const { Read, Write, Immediate } = TaskFlag;
  const REPLACED = TaskFate.Replaced;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const op = b0[i] & 0x3f;
    if (op !== LoginRequest && op !== LoginResponse) ffpSeen = true;
    if ((stateCol[i] & RESYNCED) !== 0) {
      // Bytes before this PDU were lost: answers to what was waiting may have been among them.
      if ((op & 0x20) !== 0) {
        targetStreamWhole = false;
        forgetWaiting(w, tasks, out, 'answers');
      } else {
        forgetWaiting(w, tasks, out, 'echoes');
      }
    }
    switch (op) {
      case ScsiCommand: {
        commands++;
        const itt = ittCol[i];
        const prev = w.ittTask.get(itt);
        if (prev !== undefined && w.outstanding.has(prev)) {
          t.fate[prev] = REPLACED;
          w.outstanding.delete(prev);
        }
        const b1 = flagsCol[i];
        const flags = ((b1 & 0x40) !== 0 ? Read : 0) | ((b1 & 0x20) !== 0 ? Write : 0) | ((b0[i] & 0x40) !== 0 ? Immediate : 0);
        // Bytes 32-33 of a SCSI Command are CDB bytes 0-1 (operation code, service action).
        const task = tasks.add(conn, itt, i, frameCol[i], timeCol[i], lunCol[i], w32Col[i] >>> 24, (w32Col[i] >>> 16) & 0xff,
          w24Col[i], w20Col[i], flags);
        w.ittTask.set(itt, task);
        w.outstanding.add(task);
        break;
      }
      case DataOut: {
        const task = w.ittTask.get(ittCol[i]);
        if (task !== undefined) t.dataOuts[task]++;
        break;
      }
      case R2T: {
        const task = w.ittTask.get(ittCol[i]);
        if (task !== undefined) t.r2ts[task]++;
        break;
      }
      case DataIn: {
        const task = w.ittTask.get(ittCol[i]);
        if (task === undefined) break;
        t.dataIns[task]++;
        // S bit (byte 1 & 0x01): this Data-In carries the status; byte 3 is the SCSI status.
        if ((flagsCol[i] & 0x01) !== 0) status(t, w, task, i, frameCol[i], timeCol[i], b3Col[i], -1, end, captureEnd);
        break;
      }
      case ScsiResponse: {
        const task = w.ittTask.get(ittCol[i]);
        // Byte 2 is the iSCSI Response, byte 3 the SCSI status.
        if (task !== undefined) status(t, w, task, i, frameCol[i], timeCol[i], b3Col[i], b2Col[i], end, captureEnd);
        break;
      }
      case TmfRequest: {
        const at = { frame: frameCol[i], time: timeCol[i] };
        const fn = c.b1[i] & 0x7f;
        const lun = c.lun[i];
        const ref = c.w20[i];
        const scope = tmfScope(fn);
        const task = scope === 'task' ? w.ittTask.get(ref) ?? -1
          : scope === 'lun' ? oldestWaiting(t, w, lun)
          : scope === 'target' ? oldestWaiting(t, w, -1) : -1;
        const rec: TmfRecord = {
          conn, itt: c.itt[i], request: at, fn, lun, referencedTaskTag: ref, refCmdSN: c.w32[i], task,
          response: undefined, responseCode: undefined, fate: 'unanswered', next: -1,
        };
        const index = out.tmfs.length;
        for (const waiting of w.tmfs.values()) if (out.tmfs[waiting].next < 0) out.tmfs[waiting].next = index;
        out.tmfs.push(rec);
        w.tmfs.set(rec.itt, index);
        break;
      }
      case TmfResponse: {
        const at = { frame: frameCol[i], time: timeCol[i] };
        const index = w.tmfs.get(c.itt[i]);
        if (index === undefined) break;
        w.tmfs.delete(c.itt[i]);
        const rec = out.tmfs[index];
        rec.response = at;
        rec.responseCode = c.b2[i];
        rec.fate = answeredInTime(rec.request.frame, at.frame, end, captureEnd) ? 'answered' : 'answered-late';
        if (rec.responseCode === 0) abortCovered(t, w, rec);
        break;
      }
      case NopOut: {
        const at = { frame: frameCol[i], time: timeCol[i] };
        const itt = ittCol[i];
        const ttt = c.w20[i];
        if (ttt !== RESERVED) {
          echo(out, w, conn, at, ttt, itt, c.lun[i], targetStreamWhole, end, captureEnd);
        } else if (itt !== RESERVED) {
          // A ping: the target must answer with a NOP-In of the same ITT. ITT 0xffffffff is a
          // keepalive / ExpStatSN update that asks for no answer.
          const prev = w.pings.get(itt);
          if (prev !== undefined) out.pings[prev].fate = 'unknown';
          w.pings.set(itt, out.pings.length);
          out.pings.push({ conn, itt, request: at, answer: undefined, fate: 'unanswered' });
        }
        break;
      }
      case NopIn: {
        const at = { frame: frameCol[i], time: timeCol[i] };
        const itt = ittCol[i];
        const ttt = c.w20[i];
        if (itt !== RESERVED) {
          const index = w.pings.get(itt);
          if (index === undefined) break;
          w.pings.delete(itt);
          const p = out.pings[index];
          p.answer = at;
          p.fate = answeredInTime(p.request.frame, at.frame, end, captureEnd) ? 'answered' : 'answered-late';
        } else if (ttt !== RESERVED) {
          // A target ping: an earlier one still waiting has now been given up on by the target.
          for (const waiting of w.targetPings.values()) {
            const p = out.targetPings[waiting];
            if (p.supersededBy === undefined) p.supersededBy = at;
          }
          w.targetPings.set(ttt, out.targetPings.length);
          out.targetPings.push({
            conn, ttt, lun: c.lun[i], request: at, echo: undefined, echoItt: undefined, echoLun: undefined,
            supersededBy: undefined, fate: 'unanswered',
          });
        }
        break;
      }
      case LoginRequest:
        if (login === undefined) {
          login = { request: { frame: frameCol[i], time: timeCol[i] }, response: undefined, statusClass: undefined, statusDetail: undefined, fullFeature: false };
        }
        break;
      case LoginResponse: {
        const at = { frame: frameCol[i], time: timeCol[i] };
        if (login === undefined) {
          login = { request: at, response: undefined, statusClass: undefined, statusDetail: undefined, fullFeature: false };
        }
        if (login.response !== undefined) break;
        const cls = loginStatusClass(c, i);
        if (cls !== 0 || loginTransitToFullFeature(c, i)) {
          login.response = at;
          login.statusClass = cls;
          login.statusDetail = loginStatusDetail(c, i);
          login.fullFeature = cls === 0;
        }
        break;
      }
      case TextRequest:
        textRequests++;
        break;
      case LogoutRequest:
        if (logout === undefined || logout.response !== undefined) {
          logout = { request: { frame: frameCol[i], time: timeCol[i] }, reason: c.b1[i] & 0x7f, response: undefined, responseCode: undefined };
          logoutItt = c.itt[i];
        }
        break;
      case LogoutResponse:
        if (logout !== undefined && logout.response === undefined && (ittCol[i] === logoutItt || logoutItt === RESERVED)) {
          logout.response = { frame: frameCol[i], time: timeCol[i] };
          logout.responseCode = c.b2[i];
        }
        break;
      default:
        break;
    }
  }

  // What was still waiting when the connection ended (or the capture did).
  const lostForGood = lostAnswers(s);
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
  };
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
function forgetWaiting(w: Walk, tasks: TaskTableBuilder, out: Omit<SessionModel, 'tasks' | 'latency' | 'sessions'>, what: 'answers' | 'echoes'): void {
  if (what === 'echoes') {
    for (const index of w.targetPings.values()) out.targetPings[index].fate = 'unknown';
    w.targetPings.clear();
    return;
  }
  for (const task of w.outstanding) tasks.t.fate[task] = TaskFate.Unknown;
  w.outstanding.clear();
  for (const index of w.pings.values()) out.pings[index].fate = 'unknown';
  w.pings.clear();
  for (const index of w.tmfs.values()) out.tmfs[index].fate = 'unknown';
  w.tmfs.clear();
}

function status(
  t: SessionModel['tasks'], w: Walk, task: number, row: number, frame: number, time: number, scsiStatus: number, response: number,
  end: ConnectionEndInfo, captureEnd: Moment,
): void {
  if (t.statusRow[task] >= 0) return;
  w.outstanding.delete(task);
  t.statusRow[task] = row;
  t.statusFrame[task] = frame;
  t.statusTime[task] = time;
  t.status[task] = scsiStatus;
  t.response[task] = response;
  t.latencyMs[task] = (time - t.time[task]) * 1000;
  t.fate[task] = answeredInTime(t.frame[task], frame, end, captureEnd) ? COMPLETED : ANSWERED_LATE;
}

/**
 * What a TMF function acts on (RFC 7143 §11.5.1): one task named by the Referenced Task Tag, the
 * tasks of its LUN, or all tasks of the target.
 */
export function tmfScope(fn: number): 'task' | 'lun' | 'target' | 'none' {
  switch (fn) {
    case 1: case 8: case 9: return 'task'; // ABORT TASK, TASK REASSIGN, QUERY TASK
    case 2: case 4: case 5: case 10: return 'lun'; // ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET, QUERY TASK SET
    case 6: case 7: case 11: return 'target'; // TARGET WARM/COLD RESET, I_T NEXUS RESET
    default: return 'none';
  }
}

/** The command waiting longest on a LUN (lun = -1: on the connection). */
function oldestWaiting(t: SessionModel['tasks'], w: Walk, lun: number): number {
  for (const task of w.outstanding) if (lun < 0 || t.lun[task] === lun) return task;
  return -1;
}

/** A TMF answered "function complete": the commands it covered will get no status. */
function abortCovered(t: SessionModel['tasks'], w: Walk, rec: TmfRecord): void {
  const fn = rec.fn;
  // QUERY TASK / QUERY TASK SET and TASK REASSIGN complete without ending the task.
  if (fn === 8 || fn === 9 || fn === 10) return;
  const scope = tmfScope(fn);
  const covers = (task: number): boolean => {
    if (t.frame[task] > rec.request.frame) return false;
    if (scope === 'task') return t.itt[task] === rec.referencedTaskTag;
    if (scope === 'lun') return t.lun[task] === rec.lun && rec.lun !== NO_LUN;
    return scope === 'target';
  };
  for (const task of [...w.outstanding]) {
    if (covers(task)) {
      t.fate[task] = TaskFate.Aborted;
      w.outstanding.delete(task);
    }
  }
}

/** A NOP-Out with a TTT: the echo of a target ping (RFC 7143 §11.18.1). */
function echo(
  out: Omit<SessionModel, 'tasks' | 'latency' | 'sessions'>, w: Walk, conn: number, at: Moment, ttt: number, itt: number,
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
    if (itt !== RESERVED_TAG || lun !== p.lun) {
      out.strayEchoes.push({ conn, at, ttt, itt, lun, expectedTtt: ttt, ping: index });
    }
    return;
  }
  // No waiting ping offered this TTT. Only say so when we saw everything the target sent.
  if (!targetStreamWhole) return;
  let expected = RESERVED_TAG;
  for (const waiting of w.targetPings.keys()) expected = waiting;
  out.strayEchoes.push({ conn, at, ttt, itt, lun, expectedTtt: expected, ping: -1 });
}
