import * as iscsi from '../iscsi/index.ts';
import { rowsOf } from '../sessions/index.ts';
import { fmtInt, formatMs } from '../text/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList } from './format.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { isTruncated } = iscsi;

/**
 * What the capture itself lacks. Bytes missing from a TCP stream (capture loss) make every check
 * around them unsure (capture-gap, at the segment after the hole); a snaplen that cut the packets
 * leaves data segments incomplete (snaplen-truncated, at the first cut PDU) — with a cut capture
 * the holes come from the snaplen, so they are told there.
 */
export function checkCapture(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const cap = ctx.framed.capture;
  const pdus = ctx.framed.pdus;
  const cut = cap.snaplenCutSegments > 0;
  for (const s of ctx.framed.connections) {
    if (cut) break;
    for (const g of s.gaps) {
      if (g.bytesMissing <= 0) {
        // Bytes that are there but hold no PDU boundary the framer could confirm: not a loss, but
        // PDUs in them are not decoded (a mid-stream start skips bytes too, and says nothing).
        if (g.cause === 'lost-sync') {
          const stream = g.dir === 'I>T' ? "initiator's" : "target's";
          out.push(finding('unframed-bytes', 'warning', { conn: s.conn, frame: g.lossFrame }, g.lossTime, frameList([g.lossFrame, g.resyncFrame]),
            `${fmtInt(g.bytesSkipped)} bytes of the ${stream} stream (${g.dir}) after frame ${g.lossFrame} hold no PDU boundary the framer could confirm, though the capture lost none; ${g.resyncFrame > 0 ? `framing resumed at frame ${g.resyncFrame}` : 'framing never resumed'} — PDUs in them are not decoded (a peer that misframed, or bytes that are no iSCSI)`,
            { bytesUnframed: g.bytesSkipped, resyncFrame: g.resyncFrame, dir: g.dir }));
        }
        continue;
      }
      const time = g.resyncFrame > 0 ? frameTime(ctx, s.conn, g.resyncFrame) ?? s.lastTime : s.lastTime;
      const stream = g.dir === 'I>T' ? "initiator's" : "target's";
      const resumed = g.resyncFrame > 0 ? `PDU framing resumed at frame ${g.resyncFrame}` : 'PDU framing never resumed';
      out.push(finding('capture-gap', 'warning', { conn: s.conn, frame: g.resyncFrame > 0 ? g.resyncFrame : g.lossFrame }, time,
        frameList([g.lossFrame, g.resyncFrame]),
        `The capture lost ${fmtInt(g.bytesMissing)} bytes of the ${stream} stream (${g.dir}) after frame ${g.lossFrame}; ${resumed} — PDUs in those bytes are missing, so findings next to the gap are unsure (capture with a bigger buffer, or nearer the host)`,
        { bytesMissing: g.bytesMissing, resyncFrame: g.resyncFrame, lossFrame: g.lossFrame, dir: g.dir }));
    }
  }
  const back = cap.timeBackwards;
  if (back) {
    const conns = ctx.framed.connections.filter((c) => c.firstFrame <= back.frame && back.frame <= c.lastFrame).map((c) => c.conn);
    out.push(finding('time-backwards', 'warning', { conns, frame: back.frame }, cap.firstTime ?? 0, [back.frame],
      `The capture's timestamps go backwards at frame ${back.frame} (by ${formatMs(back.byMs)})${back.count > 1 ? `, ${back.count} times in all` : ''} — its clock was stepped (NTP) or files were joined out of order; durations around it are measured from the earliest and latest times and are never negative`,
      { byMs: back.byMs, occurrences: back.count }));
  }
  if (cut) {
    let pdusTruncated = 0;
    let first = -1;
    for (let i = 0; i < pdus.count; i++) {
      if (!isTruncated(pdus, i)) continue;
      pdusTruncated++;
      if (first < 0) first = i;
    }
    const conns = ctx.framed.connections.filter((s) => s.truncatedPdus > 0 || s.gaps.length > 0).map((s) => s.conn);
    let holes = 0;
    for (const s of ctx.framed.connections) for (const g of s.gaps) if (g.bytesMissing > 0) holes++;
    // The file may say more than its packets hold (cut after capture with editcap -s): tell what cut them.
    const declared = cap.snaplen ?? 0;
    const snaplen = cap.cutTo !== undefined && (declared === 0 || cap.cutTo < declared) ? cap.cutTo : declared;
    let message = snaplen === declared
      ? `The capture's snaplen (${snaplen} bytes) cut ${fmtInt(cap.snaplenCutSegments)} TCP segments`
      : `Packets were cut to ${snaplen} bytes (the file's header says a snaplen of ${declared ? `${declared} bytes` : 'none'}: cut after capture, e.g. by editcap -s), which cut ${fmtInt(cap.snaplenCutSegments)} TCP segments`;
    if (pdus.count === 0) message += ': no complete 48-byte iSCSI header survived, so no PDU could be read — capture again with a snaplen of at least 262144 (tcpdump -s 0)';
    else {
      message += `: ${fmtInt(pdusTruncated)} PDUs have incomplete data segments (headers still decoded)`;
      if (holes > 0) message += `, and ${holes} stretch${holes === 1 ? '' : 'es'} of the streams held no readable header, so some PDUs are missing altogether`;
      message += ' — capture again with tcpdump -s 0 to see everything';
    }
    out.push(finding('snaplen-truncated', 'info', { conns, row: first }, first >= 0 ? pdus.time[first] : cap.firstTime ?? 0,
      frameList([first >= 0 ? pdus.frame[first] : undefined]), message, { snaplen, pdusTruncated }));
  }
  return out;
}

/** Time of a frame, from the PDUs of the connection that completed in it. */
function frameTime(ctx: CheckContext, conn: number, frame: number): number | undefined {
  const rows = rowsOf(ctx.model.rows, conn);
  const pdus = ctx.framed.pdus;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pdus.frame[rows[mid]] < frame) lo = mid + 1;
    else hi = mid;
  }
  return lo < rows.length ? pdus.time[rows[lo]] : undefined;
}
