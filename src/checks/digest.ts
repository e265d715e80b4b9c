import * as codec from '../codec/index.ts';
import * as iscsi from '../iscsi/index.ts';
import { hexTag } from '../text/index.ts';
import type { CheckContext } from './context.ts';
import { finding, frameList, linuxError } from './format.ts';
import type { Finding } from './types.ts';

// Bound once from the namespaces: these run per PDU, and under the dev and test module loaders an
// imported binding read costs a getter call.
const { opcodeName } = codec;
const { DigestState, dataDigestCheck, digestChecked, headerDigestCheck, itt, opcode } = iscsi;

/**
 * Digests the framer checked and found wrong (RFC 7143 §13.1, CRC32C). A bad header digest means the
 * receiver cannot trust the PDU's length and must drop the connection (Linux: 1014); a bad data
 * digest costs the PDU (a Reject with reason 0x02, or 1015 on Linux). The PDU at fault is the one
 * whose digest is wrong.
 */
export function checkDigests(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const c = ctx.framed.pdus;
  for (let i = 0; i < c.count; i++) {
    if (!digestChecked(c, i)) continue;
    for (const which of ['header', 'data'] as const) {
      const check = which === 'header' ? headerDigestCheck(c, i) : dataDigestCheck(c, i);
      if (check !== DigestState.Bad) continue;
      out.push(finding('digest-error', 'error', { conn: c.conn[i], frame: c.frame[i], row: i }, c.time[i], frameList([c.frame[i]]),
        `The ${which} digest of a ${opcodeName(opcode(c, i))} (ITT ${hexTag(itt(c, i))}) does not match its CRC32C — corruption between the peers' iSCSI layers (NIC offload, memory, a middlebox); a Linux initiator reports ${linuxError(which === 'header' ? 1014 : 1015)}`,
        { which }));
    }
  }
  return out;
}
