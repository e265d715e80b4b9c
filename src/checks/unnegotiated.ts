import type { CheckContext } from './context.ts';
import { finding, frameList } from './format.ts';
import type { Finding } from './types.ts';

/**
 * Digests a side sends that the login did not agree on, proven from the bytes (a CRC32C that
 * matches the header or data it follows, PDU after PDU) — istgt answers DataDigest=Reject and then
 * appends a data digest to every data segment — or none where CRC32C was agreed. The framer believes
 * the wire; a receiver that trusts the login misframes every PDU after the first such segment. The
 * frame at fault is the first PDU that showed it.
 */
export function checkUnnegotiatedDigests(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.framed.connections) {
    for (const u of c.unnegotiatedDigests) {
      const key = u.which === 'header' ? 'HeaderDigest' : 'DataDigest';
      const what = u.sent === 'CRC32C'
        ? `sends a CRC32C ${u.which} digest after every ${u.which === 'header' ? 'header' : 'data segment'} although the login agreed ${key}=None`
        : `sends no ${u.which} digest although the login agreed ${key}=CRC32C`;
      const effect = u.sent === 'CRC32C'
        ? `a peer that trusts the login takes the 4 digest bytes for the next PDU's header and loses the framing (the 4 bytes are checked and skipped here)`
        : `a peer that trusts the login takes the next PDU's first 4 bytes for a digest and loses the framing`;
      out.push(finding('digest-unnegotiated', 'warning', { conn: c.conn, frame: u.fromFrame }, frameTime(ctx, c.conn, u.fromFrame), frameList([u.fromFrame]),
        `The ${u.by} ${what} (proven from frame ${u.fromFrame} on, ${u.pdus} PDU${u.pdus === 1 ? '' : 's'} in a row) — ${effect}`,
        { which: u.which, by: u.by, negotiated: u.negotiated, sent: u.sent, fromFrame: u.fromFrame }));
    }
  }
  return out;
}

/** The time of the first PDU completed in `frame` on a connection (the connection's start if none). */
function frameTime(ctx: CheckContext, conn: number, frame: number): number {
  const c = ctx.framed.pdus;
  for (let i = 0; i < c.count; i++) if (c.frame[i] >= frame && c.conn[i] === conn) return c.time[i];
  return ctx.framed.connections[conn]?.firstTime ?? 0;
}
