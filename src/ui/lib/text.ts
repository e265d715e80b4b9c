// Fitting text into SVG without measuring: character-count estimates per font.

/** Cut to at most `max` characters with an ellipsis. */
export function clip(s: string, max: number): string {
  if (max <= 1) return '';
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Greedy word wrap into at most `lines` lines of `width` characters (the last one clipped). */
export function wrap(s: string, width: number, lines: number): string[] {
  if (width < 4) return [];
  const words = s.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const next = cur ? `${cur} ${w}` : w;
    if (next.length <= width) {
      cur = next;
      continue;
    }
    if (cur) out.push(cur);
    cur = w;
    if (out.length === lines - 1) {
      cur = words.slice(i).join(' ');
      break;
    }
  }
  if (cur) out.push(cur);
  if (out.length > lines) out.length = lines;
  if (out.length) out[out.length - 1] = clip(out[out.length - 1], width);
  return out;
}

let ctx2d: CanvasRenderingContext2D | null | undefined;

/** Width of `s` in a CSS font, measured on an off-screen canvas; undefined where there is none. */
export function measure(s: string, font: string): number | undefined {
  if (ctx2d === undefined) ctx2d = typeof document !== 'undefined' ? document.createElement('canvas').getContext('2d') : null;
  if (!ctx2d) return undefined;
  ctx2d.font = font;
  return ctx2d.measureText(s).width;
}

/** The longest prefix of `s` (with an ellipsis when cut) that fits `px` in `font`. */
export function fit(s: string, px: number, font: string, fallbackCharPx: number): string {
  const w = measure(s, font);
  if (w === undefined) return clip(s, Math.floor(px / fallbackCharPx));
  if (w <= px) return s;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const m = (lo + hi + 1) >>> 1;
    if ((measure(`${s.slice(0, m)}…`, font) ?? Infinity) <= px) lo = m;
    else hi = m - 1;
  }
  return lo > 0 ? `${s.slice(0, lo)}…` : '';
}

/** Where a sentence may be cut without losing its sense: after a dash, a semicolon or a colon. */
const CLAUSE = /\s—\s|;\s|:\s/g;

/**
 * A long message's first clause — the part that says what happened — cut only at a clause boundary,
 * never inside a word; the rest (the consequences, the Linux error) is where the full message is
 * shown. Short messages stay whole.
 */
export function firstClause(s: string, max = 110): string {
  if (s.length <= max) return s;
  CLAUSE.lastIndex = 0;
  let depth = 0;
  let scanned = 0;
  for (let m = CLAUSE.exec(s); m; m = CLAUSE.exec(s)) {
    // never inside parentheses: "(its oldest command then: READ(16) …)" stays whole
    for (; scanned < m.index; scanned++) depth += s[scanned] === '(' ? 1 : s[scanned] === ')' ? (depth > 0 ? -1 : 0) : 0;
    if (m.index >= 24 && depth === 0) return `${s.slice(0, m.index).replace(/[,.]$/, '')} …`;
  }
  return s;
}

/** Word wrap to a width in pixels, measured in the font (estimated where nothing can measure); a
 *  word longer than the width is broken at the width. Every word is kept. */
export function wrapPx(s: string, px: number, font: string, fallbackCharPx: number): string[] {
  const width = (t: string): number => measure(t, font) ?? t.length * fallbackCharPx;
  const out: string[] = [];
  let cur = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    const next = cur ? `${cur} ${word}` : word;
    if (width(next) <= px) {
      cur = next;
      continue;
    }
    if (cur) out.push(cur);
    cur = word;
    while (width(cur) > px && cur.length > 1) {
      let n = cur.length - 1;
      while (n > 1 && width(cur.slice(0, n)) > px) n--;
      out.push(cur.slice(0, n));
      cur = cur.slice(n);
    }
  }
  if (cur) out.push(cur);
  return out;
}
