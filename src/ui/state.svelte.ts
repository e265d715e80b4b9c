// The page's state (Svelte 5 runes). Big data (the Analysis, its typed arrays, the index) is held
// raw — never deep-proxied — and replaced whole.

import type { Analysis, Finding } from '../engine/index.ts';
import type { CaptureIndex } from './lib/capture-index.ts';
import { positionsOfFrames, rowsOf, lowerBoundFrame } from './lib/capture-index.ts';
import { findingConns, SEVERITY_RANK } from './lib/overview.ts';
import type { Selection } from './lib/hash.ts';
import type { LadderMode } from './lib/ladder-model.ts';

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
  index: CaptureIndex;
  file: Blob | undefined;
  fileName: string;
  gzip: boolean;
  /** Findings by connection (session findings under each of their connections). */
  findingsByConn: Map<number, Finding[]>;
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

class AppState {
  status = $state<Status>('idle');
  loaded = $state.raw<Loaded | undefined>(undefined);
  loadingName = $state('');
  progress = $state.raw<ProgressView | undefined>(undefined);
  /** Shown in role="alert". */
  error = $state<string | undefined>(undefined);
  /** A note that is not an error (e.g. "cancelled"). */
  notice = $state<string | undefined>(undefined);

  conn = $state(-1);
  /** Selected PDUs: positions in the selected connection's rows (sorted). */
  positions = $state.raw<number[]>([]);
  /** Selected TCP control events of the connection (indices in its control list). */
  ctls = $state.raw<number[]>([]);
  /** The PDU in the detail view (position), -1 none. */
  focus = $state(-1);
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
    return l ? rowsOf(l.index, conn) : new Uint32Array(0);
  }

  private requestScroll(pos: number | undefined, ctl?: number, how: ScrollRequest['how'] = 'center'): void {
    this.scroll = { pos, ctl, how, seq: (this.scroll?.seq ?? 0) + 1 };
  }

  selectConn(conn: number, keepFinding = false): void {
    if (conn === this.conn && keepFinding) return;
    this.conn = conn;
    this.positions = [];
    this.ctls = [];
    this.focus = -1;
    this.pxPerSec = undefined;
    this.collapse = undefined;
    if (!keepFinding) this.finding = -1;
    this.scroll = { how: keepFinding ? 'top' : 'first-issue', seq: (this.scroll?.seq ?? 0) + 1 };
  }

  /** Select one PDU of the current connection (and show it). */
  selectPdu(pos: number, scroll: ScrollRequest['how'] | false = 'center'): void {
    const rows = this.rows();
    if (pos < 0 || pos >= rows.length) return;
    this.positions = [pos];
    this.ctls = [];
    this.focus = pos;
    this.finding = -1;
    this.rightTab = 'detail';
    if (scroll) this.requestScroll(pos, undefined, scroll);
  }

  selectControl(ctl: number): void {
    this.positions = [];
    this.ctls = [ctl];
    this.focus = -1;
    this.finding = -1;
  }

  /** Select a finding: its connection, its PDUs (and control events), scroll to the first. */
  selectFinding(i: number): void {
    const l = this.loaded;
    if (!l) return;
    const f = l.analysis.findings[i];
    if (!f) return;
    const conns = findingConns(f);
    // A session-level finding: the first of its connections that holds one of its frames.
    let conn = conns[0];
    for (const k of conns) {
      if (positionsOfFrames(l.analysis.pdus, this.rows(k), f.frames).length > 0) {
        conn = k;
        break;
      }
    }
    if (conn === undefined) {
      this.finding = i;
      return;
    }
    if (conn !== this.conn) this.selectConn(conn, true);
    this.finding = i;
    const rows = this.rows(conn);
    const positions = positionsOfFrames(l.analysis.pdus, rows, f.frames);
    const summary = l.analysis.connections[conn];
    const frameSet = new Set(f.frames);
    const ctls: number[] = [];
    summary?.control.forEach((e, k) => { if (frameSet.has(e.frame) && e.kind !== 'SYN') ctls.push(k); });
    this.positions = positions;
    this.ctls = ctls;
    this.focus = positions[0] ?? -1;
    if (positions.length) this.requestScroll(positions[0]);
    else if (ctls.length) this.requestScroll(undefined, ctls[0]);
  }

  /** j / k: the next or previous PDU of the connection. */
  step(delta: number): void {
    const rows = this.rows();
    if (rows.length === 0) return;
    const from = this.focus >= 0 ? this.focus : this.positions.length ? this.positions[delta > 0 ? this.positions.length - 1 : 0] : -1;
    const next = from < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, from + delta));
    this.selectPdu(next, 'nearest');
  }

  /** The selection as the URL hash names it. */
  toSelection(): Selection {
    const s: Selection = {};
    const l = this.loaded;
    if (!l || this.conn < 0) return s;
    s.conn = this.conn;
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

  /** Apply a hash selection; false if it names nothing in this capture. */
  applySelection(s: Selection): boolean {
    const l = this.loaded;
    if (!l) return false;
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

  /** Where a first look should go: the connection of the first error (else warning) finding, else the first connection. */
  defaultConn(): number {
    const l = this.loaded;
    if (!l || l.analysis.connections.length === 0) return -1;
    let best: Finding | undefined;
    for (const f of l.analysis.findings) {
      if (findingConns(f).length === 0) continue;
      if (!best || SEVERITY_RANK[f.severity] > SEVERITY_RANK[best.severity]) best = f;
    }
    return best ? findingConns(best)[0] : 0;
  }

  reset(): void {
    this.loaded = undefined;
    this.conn = -1;
    this.positions = [];
    this.ctls = [];
    this.focus = -1;
    this.finding = -1;
    this.error = undefined;
    this.notice = undefined;
    this.progress = undefined;
  }
}

export const app = new AppState();

export function groupFindings(findings: readonly Finding[]): Map<number, Finding[]> {
  const m = new Map<number, Finding[]>();
  for (const f of findings) {
    for (const c of findingConns(f)) {
      let l = m.get(c);
      if (!l) m.set(c, (l = []));
      l.push(f);
    }
  }
  return m;
}
