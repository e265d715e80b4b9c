import { opcodeName } from '../codec/index.ts';
import type { Finding } from '../engine/types.ts';
import { DIGEST_BAD, dataDigestCheck, headerDigestCheck, opcode } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, hex32, linuxError } from './format.ts';

/**
 * Digests the framer checked and found wrong (RFC 7143 §13.1, CRC32C). A bad header digest means the
 * receiver cannot trust the PDU's length and must drop the connection (Linux: 1014); a bad data
 * digest costs the PDU (a Reject with reason 0x02, or 1015 on Linux).
 */
export function checkDigests(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.analysis.pdus;
  const state = c.state;
  for (let i = 0; i < c.count; i++) {
    if (state[i] < 4) continue; // no digest was checked (bits 2-5 are zero)
    const op = opcode(c, i);
    for (const which of ['header', 'data'] as const) {
      const check = which === 'header' ? headerDigestCheck(c, i) : dataDigestCheck(c, i);
      if (check !== DIGEST_BAD) continue;
      out.push(finding('digest-error', 'error', { conn: c.conn[i] }, c.time[i], frameList(c.frame[i]),
        `The ${which} digest of a ${opcodeName(op)} (ITT ${hex32(c.itt[i])}) does not match its CRC32C — corruption between the peers' iSCSI layers (NIC offload, memory, a middlebox); a Linux initiator reports ${linuxError(which === 'header' ? 1014 : 1015)}`,
        { which }));
    }
  }
  return out;
}
