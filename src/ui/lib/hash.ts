// The selection in the URL hash, so a link names a moment in a capture:
// "#capture=big.pcap&size=1048576&conn=3&frame=1207" (the PDU in frame 1207 of connection 3; "&n=1"
// for the second PDU of the ladder in that frame), "&view=pair:3" when the ladder shows several
// connections, "&finding=12" for a selected finding (its index in the findings list). The capture's
// name and size keep a link from being applied to another file.

export interface Selection {
  /** The capture's file name and size in bytes. */
  capture?: string;
  size?: number;
  conn?: number;
  frame?: number;
  /** Which of the connection's PDUs in `frame` (0-based); omitted for the first. */
  n?: number;
  finding?: number;
  /** The ladder's scope when it shows more than one connection ("pair:0", "session:2", "conns:3,7"). */
  view?: string;
}

function nat(v: string | null): number | undefined {
  if (v === null || !/^\d{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseHash(hash: string): Selection {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = new URLSearchParams(h);
  const s: Selection = {};
  const capture = q.get('capture');
  if (capture !== null && capture !== '' && capture.length <= 1024) s.capture = capture;
  const size = nat(q.get('size'));
  if (size !== undefined) s.size = size;
  const conn = nat(q.get('conn'));
  if (conn !== undefined) s.conn = conn;
  const frame = nat(q.get('frame'));
  if (frame !== undefined && frame > 0) s.frame = frame;
  const n = nat(q.get('n'));
  if (n !== undefined && n > 0 && s.frame !== undefined) s.n = n;
  const finding = nat(q.get('finding'));
  if (finding !== undefined) s.finding = finding;
  const view = q.get('view');
  if (view !== null && view.length <= 4096 && /^[a-z]+:\d+(,\d+)*$/.test(view)) s.view = view;
  return s;
}

export function formatHash(s: Selection): string {
  const q = new URLSearchParams();
  if (s.capture !== undefined) q.set('capture', s.capture);
  if (s.size !== undefined) q.set('size', String(s.size));
  if (s.conn !== undefined) q.set('conn', String(s.conn));
  if (s.frame !== undefined) q.set('frame', String(s.frame));
  if (s.frame !== undefined && s.n) q.set('n', String(s.n));
  if (s.finding !== undefined) q.set('finding', String(s.finding));
  if (s.view !== undefined) q.set('view', s.view);
  const text = q.toString();
  return text ? `#${text}` : '';
}

/** Whether a hash selection names a moment at all (beyond the capture). */
export function namesMoment(s: Selection): boolean {
  return s.conn !== undefined || s.finding !== undefined;
}
