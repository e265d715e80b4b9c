import { rowsOf } from '../sessions/index.ts';
import type { ConnectionModel, SessionModel } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { formatMs, printable } from '../text/index.ts';
import { NAME_MAX, endWords, finding, frameList, lazyMessage, msBetween } from './format.ts';
import type { Finding } from './types.ts';

/**
 * Session reinstatement (RFC 7143 §6.3.5): a login with the ISID of a session whose connection ended
 * without a Logout, or is still open, replaces that session — the target drops its tasks. That is
 * how a Linux initiator recovers (same ISID, after DefaultTime2Wait). Some initiators (libiscsi's
 * reconnect) log in again with a new ISID instead; after a failed connection (RST, or requests left
 * unanswered) the same initiator's next login to the same target is reported too, with
 * sameIsid: false — a new session, the old one's tasks are not carried over.
 */
export function checkReinstatements(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  // Per initiator → target pair, in login order; a map from ISID to its latest logged-in
  // connection keeps the search linear however many logins a capture holds.
  const groups = new Map<string, ConnectionModel[]>();
  for (const c of ctx.model.connections) {
    if (c.login === undefined) continue;
    const key = nexus(c);
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  for (const conns of groups.values()) {
    conns.sort((a, b) => loginFrame(a) - loginFrame(b));
    const byIsid = new Map<string, ConnectionModel>();
    /** Failed connections already followed by a re-login. */
    const claimed = new Set<number>();
    for (let k = 0; k < conns.length; k++) {
      const c = conns[k];
      const at = loginFrame(c);
      let found: { prev: ConnectionModel; sameIsid: boolean } | undefined;
      // The same ISID first: a real reinstatement.
      const p = c.isid === undefined ? undefined : byIsid.get(c.isid);
      if (p !== undefined) {
        const open = p.end.kind === 'open' || p.end.frame > at;
        const loggedOut = p.end.loggedOut && p.logout?.response !== undefined && p.logout.response.frame < at;
        // Another connection joining a live session (same TSIH, another CID) is MC/S, not a reinstatement.
        const joins = open && p.tsih !== undefined && p.tsih === c.tsih && p.cid !== c.cid;
        if (!loggedOut && !joins) found = { prev: p, sameIsid: true };
      }
      // Else the connection this initiator just lost to the same target, if it failed.
      if (p === undefined && c.sessionType !== 'Discovery') {
        for (let j = k - 1; j >= 0 && j >= k - LOOK_BACK; j--) {
          const q = conns[j];
          if (q.login?.fullFeature !== true || q.sessionType === 'Discovery') continue;
          if (q.end.kind === 'open' || q.end.frame > at) continue; // a parallel session, not a replacement
          if (!claimed.has(q.conn) && failed(q)) found = { prev: q, sameIsid: false };
          break;
        }
      }
      if (found !== undefined) {
        claimed.add(found.prev.conn);
        out.push(report(ctx, found.prev, c, found.sameIsid));
      }
      if (c.isid !== undefined && c.login?.fullFeature === true) byIsid.set(c.isid, c);
    }
  }
  return out;
}

/** How many earlier logins of the pair to look through for the failed connection a login replaces. */
const LOOK_BACK = 64;

function loginFrame(c: ConnectionModel): number {
  return c.login?.request.frame ?? 0;
}

/** Same initiator (by name, else by address) logging in to the same target (by name, else portal). */
function nexus(c: ConnectionModel): string {
  const target = c.targetName ?? (c.sessionType === 'Discovery' ? `discovery@${c.portal}` : c.portal);
  return `${c.initiatorName ?? c.initiatorAddress}\u0000${target}`;
}

/** The connection failed: reset, or closed with requests still unanswered. */
function failed(c: ConnectionModel): boolean {
  if (c.end.loggedOut) return false;
  const o = c.end.outstanding;
  return c.end.kind === 'rst' || o.commands + o.pings + o.tmfs + o.targetPings > 0;
}

function report(ctx: CheckContext, p: ConnectionModel, c: ConnectionModel, sameIsid: boolean): Finding {
  const login = c.login as NonNullable<ConnectionModel['login']>;
  const ended = endedBefore(p, c);
  const lastSeen = ended ? p.end.time : lastPduTime(ctx, p, login.request.frame);
  const gapMs = msBetween(lastSeen, login.request.time);
  const loginMs = login.response !== undefined ? msBetween(login.request.time, login.response.time) : undefined;
  // A new ISID makes a new session: not a reinstatement by RFC 7143 §6.3.5, but the same story of a
  // connection lost and a re-login, which the reviewer must see; its own kind keeps the two apart.
  return finding(sameIsid ? 'session-reinstatement' : 'relogin', 'warning', { conn: c.conn, conns: [p.conn, c.conn], frame: login.request.frame, row: login.request.row }, login.request.time,
    frameList([ended ? p.end.frame : undefined, login.request.frame, login.response?.frame]), lazyMessage(reportText, ctx.model),
    { isid: c.isid, previousConn: p.conn, gapMs, previousIsid: p.isid, sameIsid, tsih: c.tsih, loginMs });
}

/** The earlier connection had ended when the later one logged in. */
function endedBefore(p: ConnectionModel, c: ConnectionModel): boolean {
  return p.end.kind !== 'open' && p.end.frame <= (c.login as NonNullable<ConnectionModel['login']>).request.frame;
}

function reportText(f: Finding, model: SessionModel): string {
  const c = model.connections[f.conn as number];
  const p = model.connections[f.previousConn as number];
  const login = c.login as NonNullable<ConnectionModel['login']>;
  const gapMs = f.gapMs as number;
  const loginMs = f.loginMs as number | undefined;
  const sameIsid = f.sameIsid === true;
  const who = printable(c.initiatorName ?? c.initiator, NAME_MAX);
  const how = `${endWords(p.end.event).replace(/ the connection/, ' it')}${waitingWords(p)}`;
  const since = endedBefore(p, c)
    ? `${formatMs(gapMs)} after conn ${p.conn} of that ISID ended without a Logout (${how})`
    : `while conn ${p.conn} of that ISID is still open (its last PDU ${formatMs(gapMs)} earlier)`;
  let message = sameIsid
    ? `${who} logged in again with ISID ${c.isid} ${since}: session reinstatement — the target ends the old session and drops its tasks`
    : `${who} logged in to ${printable(c.targetName ?? c.portal, NAME_MAX)} again ${formatMs(gapMs)} after conn ${p.conn} failed (${how}), with a new ISID ${c.isid} (was ${p.isid}): a new session replaces the failed one, whose tasks are not carried over`;
  if (loginMs !== undefined && loginMs > 1000) {
    message += `; the target took ${formatMs(loginMs)} to answer the login${sameIsid ? ' (a target still cleaning up the old session\'s tasks holds the reinstating login)' : ''}`;
  } else if (login.response === undefined) {
    message += '; the login got no answer in the capture';
  }
  return message;
}

function waitingWords(c: ConnectionModel): string {
  const o = c.end.outstanding;
  const parts: string[] = [];
  if (o.commands) parts.push(`${o.commands} command${o.commands === 1 ? '' : 's'}`);
  if (o.tmfs) parts.push(`${o.tmfs} TMF${o.tmfs === 1 ? '' : 's'}`);
  if (o.pings) parts.push(`${o.pings} NOP-Out ping${o.pings === 1 ? '' : 's'}`);
  if (o.targetPings) parts.push(`${o.targetPings} target ping${o.targetPings === 1 ? '' : 's'}`);
  return parts.length ? ` with ${parts.join(', ')} unanswered` : '';
}

/** Time of the connection's last PDU before a frame (its last sign of life). */
function lastPduTime(ctx: CheckContext, c: ConnectionModel, before: number): number {
  const rows = rowsOf(ctx.model.rows, c.conn);
  const pdus = ctx.framed.pdus;
  let t = c.firstTime;
  for (let k = rows.length - 1; k >= 0; k--) {
    if (pdus.frame[rows[k]] < before) { t = pdus.time[rows[k]]; break; }
  }
  return t;
}
