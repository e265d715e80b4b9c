// Exports: findings as JSON (the array `iscsi-inspect findings --json` prints, each with its ISO time
// added) and CSV, incidents as JSON (as `iscsi-inspect incidents --json`, with ISO times), the
// ladder's PDUs as CSV (as filtered) and the ladder as a standalone SVG file. Big exports are built
// as parts of a Blob, never one string: a JavaScript string cannot hold a million findings' JSON.

import { opcodeName } from '../../codec/index.ts';
import type { Analysis, Finding, Incident } from '../../engine/index.ts';
import {
  carriesExpStatSN, carriesStatSN, cmdSN, expStatSN, fromTarget, itt, numberedByCmdSN, opcode, pduLun, scsiOpcode, statSN,
} from '../../iscsi/index.ts';
import { OP_SCSI_COMMAND } from '../../codec/index.ts';
import { isoTime } from './time.ts';

/** Findings (or rows) per part of a streamed export: each part a string of a few hundred KB at most. */
const PART = 1000;

/**
 * The findings as JSON, in parts to be joined by a Blob (the same text `JSON.stringify(list, null, 2)`
 * gives, without ever holding it in one string); with a resolution, each carries `timeIso` (UTC, to
 * that resolution) beside `time`.
 */
export function findingsJsonParts(findings: readonly Finding[], resolution?: number): string[] {
  if (findings.length === 0) return ['[]\n'];
  const parts: string[] = ['[\n'];
  for (let i = 0; i < findings.length; i += PART) {
    const end = Math.min(findings.length, i + PART);
    let part = '';
    for (let k = i; k < end; k++) {
      const f = resolution === undefined ? findings[k] : withIso(findings[k], resolution);
      part += `  ${JSON.stringify(f, null, 2).replace(/\n/g, '\n  ')}${k < findings.length - 1 ? ',' : ''}\n`;
    }
    parts.push(part);
  }
  parts.push(']\n');
  return parts;
}

/** The findings as JSON (one string: for small lists and tests; exports use findingsJsonParts). */
export function findingsJson(findings: readonly Finding[], resolution?: number): string {
  return findingsJsonParts(findings, resolution).join('');
}

function withIso(f: Finding, resolution: number): Finding {
  const out: Finding = { kind: f.kind, severity: f.severity, time: f.time, frames: f.frames, message: f.message };
  for (const [k, v] of Object.entries(f)) {
    out[k] = v;
    if (k === 'time') out.timeIso = isoTime(f.time, resolution);
  }
  return out;
}

/** The incidents as `iscsi-inspect incidents --json` prints them, with ISO times (UTC) beside start, end and every step. */
export function incidentsJson(incidents: readonly Incident[], resolution: number): string {
  const list = incidents.map((i) => ({
    kind: i.kind, severity: i.severity, conns: i.conns, start: i.start, startIso: isoTime(i.start, resolution), end: i.end,
    endIso: isoTime(i.end, resolution), headline: i.headline,
    chain: i.chain.map((s) => ({ time: s.time, timeIso: isoTime(s.time, resolution), frame: s.frame, conn: s.conn, what: s.what })),
    findings: i.findings,
  }));
  return `${JSON.stringify(list, null, 2)}\n`;
}

const PDU_COLUMNS = ['frame', 'time', 'timeIso', 'conn', 'dir', 'opcode', 'name', 'itt', 'lun', 'cmdSN', 'expStatSN', 'statSN', 'scsiOpcode'] as const;

/** PDU rows as CSV, the fields named as `iscsi-inspect pdus` names them (a field the PDU type lacks is empty); in parts. */
export function pdusCsvParts(a: Analysis, rows: Uint32Array, resolution: number): string[] {
  const c = a.pdus;
  const parts = [`${PDU_COLUMNS.join(',')}\r\n`];
  for (let i = 0; i < rows.length; i += PART) {
    let part = '';
    for (let p = i; p < Math.min(rows.length, i + PART); p++) {
      const r = rows[p];
      const op = opcode(c, r);
      const lun = pduLun(c, a.luns, r);
      part += `${[
        c.frame[r], c.time[r], isoTime(c.time[r], resolution), c.conn[r], fromTarget(c, r) ? 'T>I' : 'I>T', op, csvCell(opcodeName(op)),
        itt(c, r), lun ?? '', numberedByCmdSN(c, r) ? cmdSN(c, r) : '',
        carriesExpStatSN(c, r) ? expStatSN(c, r) : '', carriesStatSN(c, r) ? statSN(c, r) : '', op === OP_SCSI_COMMAND ? scsiOpcode(c, r) : '',
      ].join(',')}\r\n`;
    }
    parts.push(part);
  }
  return parts;
}

export function pdusCsv(a: Analysis, rows: Uint32Array, resolution: number): string {
  return pdusCsvParts(a, rows, resolution).join('');
}

const FIXED = ['kind', 'severity', 'conn', 'time', 'frames', 'message'] as const;

/**
 * A cell a spreadsheet would run as a formula: `=`, `+`, `-` or `@` first, after any leading
 * whitespace (a space, a tab, a line break — spreadsheets skip them), or a tab or line break first.
 * The fullwidth forms count too (some spreadsheets fold them).
 */
const FORMULA = /^[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/;

/** RFC 4180 cell; text that a spreadsheet would run as a formula gets a leading apostrophe. */
export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (typeof v === 'string' && FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One line per finding: kind, severity, conn (or the session's conns joined by spaces), time
 * (seconds since the epoch), frames (space-separated), message, then one column per detail key
 * found in any finding (sorted by name). In parts, for a Blob.
 */
export function findingsCsvParts(findings: readonly Finding[], resolution?: number): string[] {
  const detailKeys = new Set<string>();
  for (const f of findings) for (const k of Object.keys(f)) if (!(FIXED as readonly string[]).includes(k) && k !== 'conns') detailKeys.add(k);
  const extra = [...detailKeys].sort();
  const iso = resolution === undefined ? [] : ['timeIso'];
  const parts = [`${[...FIXED, ...iso, ...extra].join(',')}\r\n`];
  for (let i = 0; i < findings.length; i += PART) {
    let part = '';
    for (let k = i; k < Math.min(findings.length, i + PART); k++) {
      const f = findings[k];
      const conn = f.conn !== undefined ? String(f.conn) : (f.conns ?? []).join(' ');
      const cells = [csvCell(f.kind), csvCell(f.severity), csvCell(conn), csvCell(f.time), csvCell(f.frames.join(' ')), csvCell(f.message)];
      if (resolution !== undefined) cells.push(csvCell(isoTime(f.time, resolution)));
      for (const x of extra) cells.push(csvCell(f[x]));
      part += `${cells.join(',')}\r\n`;
    }
    parts.push(part);
  }
  return parts;
}

export function findingsCsv(findings: readonly Finding[], resolution?: number): string {
  return findingsCsvParts(findings, resolution).join('');
}

/** Parse our CSV back (tests, and a sanity check of quoting). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; } else q = false;
      } else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\r') { /* part of CRLF */ }
    else if (ch === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

const STYLE_PROPS = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity', 'font-family',
  'font-size', 'font-weight', 'font-style', 'text-anchor', 'dominant-baseline', 'paint-order', 'visibility', 'display',
];

/**
 * A standalone copy of an on-screen SVG: styles that came from the page's stylesheets are written
 * onto each element as presentation attributes, hit targets are dropped, a background is added.
 */
export function standaloneSvg(svg: SVGSVGElement, background: string): string {
  const doc = document.implementation.createDocument('http://www.w3.org/2000/svg', 'svg', null);
  const clone = doc.importNode(svg, true) as SVGSVGElement;
  const src = svg.querySelectorAll('*');
  const dst = clone.querySelectorAll('*');
  for (let i = 0; i < src.length; i++) {
    const cs = getComputedStyle(src[i]);
    // As SVG presentation attributes: the file needs no stylesheet, and the page's
    // Content-Security-Policy (no inline styles) has nothing to object to.
    for (const p of STYLE_PROPS) {
      const v = cs.getPropertyValue(p);
      if (v) dst[i].setAttribute(p, v);
    }
    dst[i].removeAttribute('class');
  }
  for (const el of clone.querySelectorAll('[data-hit]')) el.remove();
  const { width, height } = svg.getBoundingClientRect();
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(Math.ceil(width)));
  clone.setAttribute('height', String(Math.ceil(height)));
  clone.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`);
  const bg = doc.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', background);
  clone.insertBefore(bg, clone.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
}

/** Save text — one string, or the parts of a big one — as a file (an <a download> on a blob: URL; nothing leaves the browser). */
export function download(name: string, type: string, text: string | readonly string[]): void {
  const url = URL.createObjectURL(new Blob(typeof text === 'string' ? [text] : [...text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
