// The selection in the URL hash, so a link names a moment in a capture: "#conn=3&frame=1207"
// (the PDU in frame 1207 of connection 3; "&n=1" for the second PDU of that connection in that
// frame), "#conn=3" for a connection, "&finding=12" for a selected finding (its index in the
// findings list, which is sorted by time).

export interface Selection {
  conn?: number;
  frame?: number;
  /** Which of the connection's PDUs in `frame` (0-based); omitted for the first. */
  n?: number;
  finding?: number;
}

function nat(v: string | null): number | undefined {
  if (v === null || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseHash(hash: string): Selection {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = new URLSearchParams(h);
  const s: Selection = {};
  const conn = nat(q.get('conn'));
  if (conn !== undefined) s.conn = conn;
  const frame = nat(q.get('frame'));
  if (frame !== undefined && frame > 0) s.frame = frame;
  const n = nat(q.get('n'));
  if (n !== undefined && n > 0 && s.frame !== undefined) s.n = n;
  const finding = nat(q.get('finding'));
  if (finding !== undefined) s.finding = finding;
  return s;
}

export function formatHash(s: Selection): string {
  const parts: string[] = [];
  if (s.conn !== undefined) parts.push(`conn=${s.conn}`);
  if (s.frame !== undefined) parts.push(`frame=${s.frame}`);
  if (s.frame !== undefined && s.n) parts.push(`n=${s.n}`);
  if (s.finding !== undefined) parts.push(`finding=${s.finding}`);
  return parts.length ? `#${parts.join('&')}` : '';
}
