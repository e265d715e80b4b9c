// The page's state (Svelte 5 runes). Big data (the Analysis and its typed arrays) is held raw —
// never deep-proxied — and replaced whole.

import type { Analysis, ControlEvent, Finding } from '../engine/index.ts';
import { lowerBoundFrame } from '../sessions/index.ts';
import type { CaptureWorker, PageLogs } from './lib/loader.ts';
import type { Selection } from './lib/hash.ts';
import type { LadderMode } from './lib/ladder-model.ts';
import type { TimeZoneChoice } from './lib/time.ts';
import { findingConns, findingsByConn, positionOf, positionsOfFrames, worstConnection } from './lib/view.ts';
import { connScope, ladderView, scopeFor, scopeFromKey } from './lib/scope.ts';
import { parsePduQuery, pduMatcher } from './lib/pdu-filter.ts';
import type { LadderScope, LadderView } from './lib/scope.ts';
import { MarkKind } from './lib/tcp-marks.ts';

export type Status = 'idle' | 'loading' | 'ready' | 'error';

export interface ProgressView {
  percent: number;
  fileBytes: number;
  totalBytes: number;
  mbPerSec: number;
  packets: number;
  pdus: number;
  stalled: boolean;
}

export interface Loaded {
  analysis: Analysis;
  /** The capture's name: its file's, or for several read as one "first + N more". */
  fileName: string;
  /** The capture files read (one, or several read as one), in the order given. */
  captures: string[];
  fileSize: number;
  gzip: boolean;
  /** The worker that read the capture: it re-reads PDUs for the detail view (absent for a preloaded Analysis). */
  worker: CaptureWorker | undefined;
  /** Findings by connection (session findings under each of their connections), with their index. */
  findingsByConn: Map<number, Array<{ f: Finding; index: number }>>;
  /** Milliseconds from choosing the file to the results. */
  loadMs: number;
}

export type RightTab = 'detail' | 'connection' | 'latency' | 'log';

export interface ScrollRequest {
  /** Position in the ladder view's rows, an index in its control list, or a TCP mark of the view. */
  pos?: number;
  ctl?: number;
  tcp?: number;
  /** A moment (capture time, seconds since the epoch): a host log line's. */
  time?: number;
  /** center: bring it to the upper third; nearest: scroll only if it is off screen; first-issue: the
   *  connection's first error (else warning), or its top. */
  how: 'center' | 'nearest' | 'top' | 'first-issue';
  seq: number;
}

export function makeLoaded(analysis: Analysis, fileName: string, fileSize: number, gzip: boolean, worker: CaptureWorker | undefined, loadMs: number, captures: string[] = [fileName]): Loaded {
  return { analysis, fileName, captures, fileSize, gzip, worker, findingsByConn: findingsByConn(analysis.findings), loadMs };
}

/** The name several captures read as one go by: "ring.pcap0 + 2 more". */
export function capturesName(names: readonly string[]): string {
  return names.length <= 1 ? names[0] ?? '' : `${names[0]} + ${names.length - 1} more`;
}

class AppState {
  status = $state<Status>('idle');
  /** Files dropped on an open capture are being told apart, or logs placed: the page says "loading" meanwhile. */
  busy = $state(false);
  loaded = $state.raw<Loaded | undefined>(undefined);
  loadingName = $state('');
  progress = $state.raw<ProgressView | undefined>(undefined);
  /** Shown in role="alert". */
  error = $state<string | undefined>(undefined);
  /** A note that is not an error (e.g. "cancelled", "this link belongs to another capture"). */
  notice = $state<string | undefined>(undefined);
  /** Host logs placed on the capture's clock by the worker (src/engine placeLogs). */
  logs = $state.raw<PageLogs | undefined>(undefined);
  /** The log line selected (its file index and 1-based line number), undefined none. */
  logLine = $state.raw<{ file: number; line: number } | undefined>(undefined);

  /** The connection in focus: the ladder's (its first, when it shows several), or the focused PDU's. */
  conn = $state(-1);
  /** What the ladder shows: one connection, a session, an initiator–target pair, an incident's connections. */
  scope = $state.raw<LadderScope | undefined>(undefined);
  /** The scope's rows and control events, merged (positions below index these rows). */
  view = $state.raw<LadderView | undefined>(undefined);
  /** The ladder's PDU filter as typed (it applies to every scope), and what in it was not understood. */
  pduFilter = $state('');
  filterProblems = $state.raw<string[]>([]);
  private keep: ((row: number) => boolean) | undefined;
  /** The SCSI task (index into model.tasks) whose PDUs are followed (highlighted), -1 none. */
  task = $state(-1);
  /** The incident and chain step last chosen in the verdict card (-1 none). */
  incident = $state(-1);
  chainStep = $state(-1);
  /** Selected PDUs: positions in the view's rows (sorted). */
  positions = $state.raw<number[]>([]);
  /** PDUs the selected finding also names (drawn as related, not selected). */
  related = $state.raw<number[]>([]);
  /** Selected TCP control events (indices in the view's control list). */
  ctls = $state.raw<number[]>([]);
  /** Selected TCP marks (indices in the view's tcp marks). */
  tcps = $state.raw<number[]>([]);
  /** The ladder draws every TCP event, routine ones (duplicate ACKs, window updates) too. */
  allTcp = $state(false);
  /** The PDU in the detail view (position), -1 none. */
  focus = $state(-1);
  /** The field the selected finding says is wrong in the focused PDU (a `pdus` key), if any. */
  field = $state<string | undefined>(undefined);
  /** Selected finding (index in analysis.findings), -1 none. */
  finding = $state(-1);
  scroll = $state.raw<ScrollRequest | undefined>(undefined);
  rightTab = $state<RightTab>('detail');

  /** Wall-clock times in UTC or the browser's zone. */
  timeZone = $state<TimeZoneChoice>('UTC');
  /** The ladder's time column shows the wall clock instead of seconds since the capture began. */
  clock = $state(false);

  mode = $state<LadderMode>('time');
  /** undefined: the connection's default. */
  pxPerSec = $state<number | undefined>(undefined);
  /** undefined: collapse routine I/O when the connection is big. */
  collapse = $state<boolean | undefined>(undefined);

  severityFilter = $state<Record<'error' | 'warning' | 'info', boolean>>({ error: true, warning: true, info: true });
  kindFilter = $state('');
  textFilter = $state('');

  get analysis(): Analysis | undefined {
    return this.loaded?.analysis;
  }

  /** The ladder view's PDU rows (positions index these). */
  rows(): Uint32Array {
    return this.view?.rows ?? new Uint32Array(0);
  }

  /** Is the connection shown in the ladder? */
  shows(conn: number): boolean {
    return this.scope?.conns.includes(conn) ?? false;
  }

  private requestScroll(pos: number | undefined, ctl?: number, how: ScrollRequest['how'] = 'center', tcp?: number): void {
    this.scroll = { pos, ctl, tcp, how, seq: (this.scroll?.seq ?? 0) + 1 };
  }

  private clearSelection(): void {
    this.positions = [];
    this.related = [];
    this.ctls = [];
    this.tcps = [];
    this.focus = -1;
    this.field = undefined;
  }

  /** The connection ladder of one connection. */
  selectConn(conn: number, keepFinding = false): void {
    this.selectScope(connScope(conn), keepFinding);
  }

  /** Show a scope in the ladder (a connection, a session, a pair …). */
  selectScope(scope: LadderScope, keepFinding = false): void {
    const l = this.loaded;
    if (!l) return;
    if (this.scope?.key === scope.key && keepFinding) return;
    this.scope = scope;
    this.view = ladderView(l.analysis, scope, this.keep);
    this.conn = scope.conns[0];
    this.clearSelection();
    this.pxPerSec = undefined;
    this.collapse = undefined;
    if (!keepFinding) {
      this.finding = -1;
      this.incident = -1;
      this.chainStep = -1;
    }
    this.scroll = { how: keepFinding ? 'top' : 'first-issue', seq: (this.scroll?.seq ?? 0) + 1 };
  }

  /**
   * Filter the ladder's PDUs (pdu-filter.ts syntax). The selected PDU stays selected when the filter
   * keeps it; the scope stays.
   */
  setPduFilter(q: string): void {
    const l = this.loaded;
    this.pduFilter = q;
    if (!l) return;
    const query = parsePduQuery(q);
    this.filterProblems = query.problems;
    this.keep = pduMatcher(l.analysis, query);
    const scope = this.scope;
    if (!scope) return;
    const old = this.rows();
    const focusRow = this.focus >= 0 ? old[this.focus] : undefined;
    const selRows = this.positions.map((p) => old[p]);
    const relRows = this.related.map((p) => old[p]);
    const v = this.view;
    const ctlKeys = v ? this.ctls.map((k) => [v.controlConn[k], v.controlIndex[k]]) : [];
    // The TCP marks do not depend on the filter: the same marks, the same selection.
    this.view = ladderView(l.analysis, scope, this.keep, v?.scope.key === scope.key ? v.tcp : undefined);
    const rows = this.view.rows;
    const at = (r: number | undefined): number => (r === undefined ? -1 : positionOf(rows, r));
    this.positions = selRows.map(at).filter((p) => p >= 0);
    this.related = relRows.map(at).filter((p) => p >= 0);
    this.focus = at(focusRow);
    this.ctls = ctlKeys.map(([c, k]) => this.view!.ctlIndex(c, k)).filter((k) => k >= 0);
    this.scroll = this.focus >= 0 ? { pos: this.focus, how: 'center', seq: (this.scroll?.seq ?? 0) + 1 } : { how: 'top', seq: (this.scroll?.seq ?? 0) + 1 };
  }

  /** A row the ladder must show (a finding's or a step's PDU): drop a filter that hides it. */
  private reveal(row: number): void {
    if (row >= 0 && this.keep && positionOf(this.rows(), row) < 0) this.setPduFilter('');
  }

  /** Follow a SCSI task: every PDU of it (the model's rowTask) is marked; -1 stops. */
  followTask(task: number): void {
    const l = this.loaded;
    this.task = l && task >= 0 && task < l.analysis.model.tasks.count ? task : -1;
    if (!l || this.task < 0) return;
    // Keep the task in view: from the selected PDU when it is one of the task's, else its command.
    const rows = this.rows();
    const rt = l.analysis.model.rowTask;
    const at = this.focus >= 0 && rt[rows[this.focus]] === this.task ? this.focus : positionOf(rows, l.analysis.model.tasks.row[this.task]);
    if (at >= 0) this.requestScroll(at, undefined, 'center');
  }

  /** The connection of the PDU at a view position. */
  private connAt(pos: number): number {
    const row = this.rows()[pos];
    return row === undefined ? this.conn : this.loaded!.analysis.pdus.conn[row];
  }

  /** Select one PDU of the current connection (and show it). */
  selectPdu(pos: number, scroll: ScrollRequest['how'] | false = 'center'): void {
    const rows = this.rows();
    if (pos < 0 || pos >= rows.length) return;
    this.clearSelection();
    this.positions = [pos];
    this.focus = pos;
    this.conn = this.connAt(pos);
    this.finding = -1;
    if (this.rightTab !== 'connection') this.rightTab = 'detail';
    if (scroll) this.requestScroll(pos, undefined, scroll);
  }

  /** Shift+click: the PDUs from the focused one to `to`, the focused one staying in the detail view. */
  selectRange(from: number, to: number): void {
    const n = this.rows().length;
    const lo = Math.max(0, Math.min(from, to));
    const hi = Math.min(n - 1, Math.max(from, to), lo + 100_000);
    if (hi < lo) return;
    const focus = this.focus;
    this.clearSelection();
    this.positions = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
    this.focus = focus >= lo && focus <= hi ? focus : from;
    this.finding = -1;
  }

  selectControl(ctl: number): void {
    this.clearSelection();
    this.ctls = [ctl];
    const c = this.view?.controlConn[ctl];
    if (c !== undefined) this.conn = c;
    this.finding = -1;
  }

  /** Select a TCP mark of the view (a retransmission, an ACK, a connection attempt …) and show it. */
  selectTcp(k: number, scroll: ScrollRequest['how'] | false = false): void {
    const v = this.view;
    if (!v || k < 0 || k >= v.tcp.count) return;
    this.clearSelection();
    this.tcps = [k];
    if (v.tcp.kind[k] === MarkKind.Routine) this.allTcp = true;
    if (v.tcp.conn[k] >= 0) this.conn = v.tcp.conn[k];
    this.finding = -1;
    if (this.rightTab !== 'connection') this.rightTab = 'detail';
    if (scroll) this.requestScroll(undefined, undefined, scroll, k);
  }

  /** The TCP mark of the view shown at `frame` (one of `conn`'s first), -1 none. */
  private tcpAt(frame: number, conn: number | undefined): number {
    const m = this.view?.tcp;
    if (!m) return -1;
    const k = conn === undefined ? -1 : m.find(frame, conn);
    return k >= 0 ? k : m.find(frame);
  }

  /**
   * A host log line: the ladder of the connection it speaks of (when the one shown is not), scrolled
   * to its moment; the line in the log tab.
   */
  selectLogLine(file: number, line: number): void {
    const L = this.logs;
    const l = L?.lines.find((x) => x.line === line && L.files.indexOf(x.file) === file);
    if (!this.loaded || !L || !l) return;
    if (l.conn !== undefined && !this.shows(l.conn) && this.loaded.analysis.connections[l.conn]) this.selectConn(l.conn, true);
    this.clearSelection();
    this.finding = -1;
    this.logLine = { file, line };
    this.rightTab = 'log';
    if (l.time !== undefined) this.scroll = { time: l.time, how: 'center', seq: (this.scroll?.seq ?? 0) + 1 };
  }

  /** A TCP control event of the view, with its connection. */
  controlEvent(ctl: number): { conn: number; e: ControlEvent } | undefined {
    const v = this.view;
    const e = v?.control[ctl];
    return v && e ? { conn: v.controlConn[ctl], e } : undefined;
  }

  /**
   * A step of an incident's chain: the ladder shows the incident's connections (the narrowest scope
   * holding them all) and the step's PDU — or TCP segment — is selected and in view.
   */
  selectStep(incident: number, step: number): void {
    const l = this.loaded;
    const inc = l?.analysis.incidents[incident];
    const st = inc?.chain[step];
    if (!l || !inc || !st) return;
    const a = l.analysis;
    const scope = this.scope && inc.conns.every((c) => this.shows(c)) ? this.scope : scopeFor(a, inc.conns.length ? inc.conns : [st.conn]);
    if (scope && scope.key !== this.scope?.key) this.selectScope(scope, true);
    this.clearSelection();
    this.finding = -1;
    this.incident = incident;
    this.chainStep = step;
    const at = positionsOfFrames(a, this.rows(), [st.frame]).length === 0 && this.keep ? ladderView(a, this.scope!).rows : undefined;
    if (at && positionsOfFrames(a, at, [st.frame]).length > 0) this.setPduFilter('');
    const rows = this.rows();
    const pos = positionsOfFrames(a, rows, [st.frame]).find((p) => a.pdus.conn[rows[p]] === st.conn);
    if (pos !== undefined) {
      this.positions = [pos];
      this.focus = pos;
      this.conn = st.conn;
      if (this.rightTab !== 'connection') this.rightTab = 'detail';
      this.requestScroll(pos);
      return;
    }
    const v = this.view;
    const ctl = v ? v.control.findIndex((e, k) => e.frame === st.frame && v.controlConn[k] === st.conn) : -1;
    if (ctl >= 0) {
      this.ctls = [ctl];
      this.conn = st.conn;
      this.requestScroll(undefined, ctl);
      return;
    }
    // A TCP segment that holds no PDU: a retransmission, the ACK that took an unanswered ping, an attempt.
    const k = this.tcpAt(st.frame, st.conn);
    if (k >= 0) {
      this.selectTcp(k);
      this.finding = -1;
      this.incident = incident;
      this.chainStep = step;
      this.requestScroll(undefined, undefined, 'center', k);
    }
  }

  /**
   * Select a finding: its connection, the PDU (or TCP segment) at fault — its `frame` — selected,
   * in view and in the detail view with its wrong field marked; the finding's other frames drawn as
   * related.
   */
  selectFinding(i: number): void {
    const l = this.loaded;
    if (!l) return;
    const f = l.analysis.findings[i];
    if (!f) return;
    const a = l.analysis;
    const at = f.frame ?? f.frames[0];
    const row = a.findingRows[i] ?? -1;
    const conns = findingConns(f);
    // The connection of the PDU at fault, else the one whose TCP segment it is, else the first holding a frame.
    const conn = (row >= 0 ? a.pdus.conn[row] : undefined)
      ?? conns.find((k) => at !== undefined && a.connections[k]?.control.some((e) => e.frame === at))
      ?? conns.find((k) => f.frames.some((fr) => a.connections[k] && fr >= a.connections[k].firstFrame && fr <= a.connections[k].lastFrame))
      ?? conns[0];
    if (conn === undefined) {
      this.finding = i;
      return;
    }
    // The ladder keeps its scope when it shows the finding's connection (a session ladder stays one).
    if (!this.shows(conn)) this.selectConn(conn, true);
    this.reveal(row);
    this.clearSelection();
    this.finding = i;
    this.incident = -1;
    this.chainStep = -1;
    this.conn = conn;
    const rows = this.rows();
    const fault = row >= 0 ? positionOf(rows, row) : -1;
    const focus = fault >= 0 ? [fault] : [];
    const others = positionsOfFrames(a, rows, f.frames).filter((p) => !focus.includes(p));
    const ctls: number[] = [];
    const v = this.view!;
    v.control.forEach((e, k) => { if (e.kind !== 'SYN' && e.frame === at && v.controlConn[k] === conn) ctls.push(k); });
    if (focus.length) {
      this.positions = [focus[0]];
      this.focus = focus[0];
      this.field = f.field;
      this.related = others;
      if (this.rightTab !== 'connection') this.rightTab = 'detail';
      this.requestScroll(focus[0]);
    } else if (ctls.length) {
      this.ctls = ctls;
      this.related = others;
      this.requestScroll(undefined, ctls[0]);
    } else if (at !== undefined && this.tcpAt(at, conn) >= 0) {
      // A TCP finding: its segment (a retransmission, the zero window, the connection attempt).
      const k = this.tcpAt(at, conn);
      if (v.tcp.kind[k] === MarkKind.Routine) this.allTcp = true;
      this.tcps = [k];
      this.related = others;
      this.requestScroll(undefined, undefined, 'center', k);
    } else {
      this.related = others;
      if (others.length) this.requestScroll(others[0]);
    }
  }

  /** j / k: the next or previous PDU of the connection. */
  step(delta: number): void {
    const rows = this.rows();
    if (rows.length === 0) return;
    const from = this.focus >= 0 ? this.focus : this.positions.length ? this.positions[delta > 0 ? this.positions.length - 1 : 0] : -1;
    const next = from < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, from + delta));
    this.selectPdu(next, 'nearest');
  }

  /** ] / [: the next or previous step of the chosen incident (the first incident when none is). */
  stepChain(delta: number): void {
    const l = this.loaded;
    if (!l || l.analysis.incidents.length === 0) return;
    const i = this.incident >= 0 ? this.incident : 0;
    const n = l.analysis.incidents[i].chain.length;
    if (n === 0) return;
    const k = this.incident >= 0 && this.chainStep >= 0 ? Math.max(0, Math.min(n - 1, this.chainStep + delta)) : delta > 0 ? 0 : n - 1;
    this.selectStep(i, k);
  }

  /** t: follow the focused PDU's SCSI task, or stop following it. */
  followFocusedTask(): void {
    const l = this.loaded;
    const row = this.focus >= 0 ? this.rows()[this.focus] : undefined;
    if (!l || row === undefined) return;
    const t = l.analysis.model.rowTask[row];
    this.followTask(t === this.task ? -1 : t);
  }

  /** The selection as the URL hash names it (with the capture it belongs to). */
  toSelection(): Selection {
    const l = this.loaded;
    const scope = this.scope;
    if (!l || !scope) return {};
    const s: Selection = { capture: l.fileName, size: l.fileSize, conn: scope.kind === 'conn' ? scope.conns[0] : this.conn };
    if (scope.kind !== 'conn') s.view = scope.key;
    if (this.finding >= 0) s.finding = this.finding;
    if (this.focus >= 0 && this.finding < 0) {
      const rows = this.rows();
      const c = l.analysis.pdus;
      const row = rows[this.focus];
      if (row !== undefined) {
        s.frame = c.frame[row];
        const first = lowerBoundFrame(c, rows, s.frame);
        const n = this.focus - first;
        if (n > 0) s.n = n;
      }
    }
    return s;
  }

  /** Apply a hash selection; false if it names nothing in this capture (or another capture). */
  applySelection(s: Selection): boolean {
    const l = this.loaded;
    if (!l) return false;
    if (s.capture !== undefined && (s.capture !== l.fileName || (s.size !== undefined && s.size !== l.fileSize))) return false;
    const named = s.view !== undefined ? scopeFromKey(l.analysis, s.view) : undefined;
    if (s.finding !== undefined && l.analysis.findings[s.finding]) {
      if (named && named.key !== this.scope?.key) this.selectScope(named);
      this.selectFinding(s.finding);
      return true;
    }
    if (s.conn === undefined || !l.analysis.connections[s.conn]) return false;
    const scope = named ?? connScope(s.conn);
    if (scope.key !== this.scope?.key) this.selectScope(scope);
    if (s.frame !== undefined) {
      const rows = this.rows();
      const c = l.analysis.pdus;
      const first = lowerBoundFrame(c, rows, s.frame);
      const pos = first + (s.n ?? 0);
      if (pos < rows.length && c.frame[rows[pos]] === s.frame) this.selectPdu(pos);
    }
    return true;
  }

  /**
   * Where a first look goes: the first step of the worst incident, in the narrowest ladder that
   * shows its connections; with no incident, the connection with the most severe findings.
   */
  openDefault(): void {
    const l = this.loaded;
    if (!l) return;
    const first = l.analysis.incidents.findIndex((i) => i.conns.length > 0 && i.chain.length > 0);
    if (first >= 0) {
      this.selectStep(first, 0);
      if (this.scope) return;
    }
    const c = worstConnection(l.analysis);
    if (c >= 0) this.selectConn(c);
  }

  /** Forget the shown capture (its worker included). */
  reset(): void {
    this.loaded?.worker?.close();
    this.loaded = undefined;
    this.conn = -1;
    this.scope = undefined;
    this.view = undefined;
    this.task = -1;
    this.allTcp = false;
    this.keep = undefined;
    this.pduFilter = '';
    this.filterProblems = [];
    this.clearSelection();
    this.finding = -1;
    this.incident = -1;
    this.chainStep = -1;
    this.error = undefined;
    this.notice = undefined;
    this.progress = undefined;
    this.logs = undefined;
    this.logLine = undefined;
  }
}

export const app = new AppState();
