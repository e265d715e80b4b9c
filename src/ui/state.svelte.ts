// The page's state (Svelte 5 runes). Big data (the Analysis and its typed arrays) is held raw —
// never deep-proxied — and replaced whole.

import type { Analysis, Finding } from '../engine/index.ts';
import { lowerBoundFrame } from '../sessions/index.ts';
import type { CaptureWorker } from './lib/loader.ts';
import type { Selection } from './lib/hash.ts';
import type { LadderMode } from './lib/ladder-model.ts';
import { connRows, findingConns, findingsByConn, positionOf, positionsOfFrames, worstConnection } from './lib/view.ts';

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
  fileName: string;
  fileSize: number;
  gzip: boolean;
  /** The worker that read the capture: it re-reads PDUs for the detail view (absent for a preloaded Analysis). */
  worker: CaptureWorker | undefined;
  /** Findings by connection (session findings under each of their connections), with their index. */
  findingsByConn: Map<number, Array<{ f: Finding; index: number }>>;
  /** Milliseconds from choosing the file to the results. */
  loadMs: number;
}

export type RightTab = 'detail' | 'latency' | 'explain';

export interface ScrollRequest {
  /** Position in the selected connection's rows, or a control index. */
  pos?: number;
  ctl?: number;
  /** center: bring it to the upper third; nearest: scroll only if it is off screen; first-issue: the
   *  connection's first error (else warning), or its top. */
  how: 'center' | 'nearest' | 'top' | 'first-issue';
  seq: number;
}

export function makeLoaded(analysis: Analysis, fileName: string, fileSize: number, gzip: boolean, worker: CaptureWorker | undefined, loadMs: number): Loaded {
  return { analysis, fileName, fileSize, gzip, worker, findingsByConn: findingsByConn(analysis.findings), loadMs };
}

class AppState {
  status = $state<Status>('idle');
  loaded = $state.raw<Loaded | undefined>(undefined);
  loadingName = $state('');
  progress = $state.raw<ProgressView | undefined>(undefined);
  /** Shown in role="alert". */
  error = $state<string | undefined>(undefined);
  /** A note that is not an error (e.g. "cancelled", "this link belongs to another capture"). */
  notice = $state<string | undefined>(undefined);

  conn = $state(-1);
  /** Selected PDUs: positions in the selected connection's rows (sorted). */
  positions = $state.raw<number[]>([]);
  /** PDUs the selected finding also names (drawn as related, not selected). */
  related = $state.raw<number[]>([]);
  /** Selected TCP control events of the connection (indices in its control list). */
  ctls = $state.raw<number[]>([]);
  /** The PDU in the detail view (position), -1 none. */
  focus = $state(-1);
  /** The field the selected finding says is wrong in the focused PDU (a `pdus` key), if any. */
  field = $state<string | undefined>(undefined);
  /** Selected finding (index in analysis.findings), -1 none. */
  finding = $state(-1);
  scroll = $state.raw<ScrollRequest | undefined>(undefined);
  rightTab = $state<RightTab>('detail');

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

  rows(conn = this.conn): Uint32Array {
    const l = this.loaded;
    return l ? connRows(l.analysis, conn) : new Uint32Array(0);
  }

  private requestScroll(pos: number | undefined, ctl?: number, how: ScrollRequest['how'] = 'center'): void {
    this.scroll = { pos, ctl, how, seq: (this.scroll?.seq ?? 0) + 1 };
  }

  private clearSelection(): void {
    this.positions = [];
    this.related = [];
    this.ctls = [];
    this.focus = -1;
    this.field = undefined;
  }

  selectConn(conn: number, keepFinding = false): void {
    if (conn === this.conn && keepFinding) return;
    this.conn = conn;
    this.clearSelection();
    this.pxPerSec = undefined;
    this.collapse = undefined;
    if (!keepFinding) this.finding = -1;
    this.scroll = { how: keepFinding ? 'top' : 'first-issue', seq: (this.scroll?.seq ?? 0) + 1 };
  }

  /** Select one PDU of the current connection (and show it). */
  selectPdu(pos: number, scroll: ScrollRequest['how'] | false = 'center'): void {
    const rows = this.rows();
    if (pos < 0 || pos >= rows.length) return;
    this.clearSelection();
    this.positions = [pos];
    this.focus = pos;
    this.finding = -1;
    this.rightTab = 'detail';
    if (scroll) this.requestScroll(pos, undefined, scroll);
  }

  selectControl(ctl: number): void {
    this.clearSelection();
    this.ctls = [ctl];
    this.finding = -1;
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
      ?? conns.find((k) => positionsOfFrames(a, this.rows(k), f.frames).length > 0)
      ?? conns[0];
    if (conn === undefined) {
      this.finding = i;
      return;
    }
    if (conn !== this.conn) this.selectConn(conn, true);
    this.clearSelection();
    this.finding = i;
    const rows = this.rows(conn);
    const fault = row >= 0 ? positionOf(rows, row) : -1;
    const focus = fault >= 0 ? [fault] : [];
    const others = positionsOfFrames(a, rows, f.frames).filter((p) => !focus.includes(p));
    const summary = a.connections[conn];
    const ctls: number[] = [];
    summary?.control.forEach((e, k) => { if (e.kind !== 'SYN' && e.frame === at) ctls.push(k); });
    if (focus.length) {
      this.positions = [focus[0]];
      this.focus = focus[0];
      this.field = f.field;
      this.related = others;
      this.rightTab = 'detail';
      this.requestScroll(focus[0]);
    } else if (ctls.length) {
      this.ctls = ctls;
      this.related = others;
      this.requestScroll(undefined, ctls[0]);
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

  /** The selection as the URL hash names it (with the capture it belongs to). */
  toSelection(): Selection {
    const l = this.loaded;
    if (!l || this.conn < 0) return {};
    const s: Selection = { capture: l.fileName, size: l.fileSize, conn: this.conn };
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
    if (s.finding !== undefined && l.analysis.findings[s.finding]) {
      this.selectFinding(s.finding);
      return true;
    }
    if (s.conn === undefined || !l.analysis.connections[s.conn]) return false;
    if (s.conn !== this.conn) this.selectConn(s.conn);
    if (s.frame !== undefined) {
      const rows = this.rows();
      const c = l.analysis.pdus;
      const first = lowerBoundFrame(c, rows, s.frame);
      const pos = first + (s.n ?? 0);
      if (pos < rows.length && c.frame[rows[pos]] === s.frame) this.selectPdu(pos);
    }
    return true;
  }

  /** Where a first look should go: the connection with the most severe findings. */
  defaultConn(): number {
    const l = this.loaded;
    return l ? worstConnection(l.analysis) : -1;
  }

  /** Forget the shown capture (its worker included). */
  reset(): void {
    this.loaded?.worker?.close();
    this.loaded = undefined;
    this.conn = -1;
    this.clearSelection();
    this.finding = -1;
    this.error = undefined;
    this.notice = undefined;
    this.progress = undefined;
  }
}

export const app = new AppState();
