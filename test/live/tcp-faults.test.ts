import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { attemptsBoth, eventsBoth, pingAcksBoth, readFacts, zeroWindowsBoth } from '../tcp/checks.ts';
import { runTcpFile } from '../tcp/support.ts';
import { runCli } from '../cli/run.ts';
import { analyzeFile } from '../support/analyze.ts';
import { readPduCount, readTsv } from '../support/shared.ts';
import { compare } from '../support/wireshark.ts';
import * as cli from '../cli/tcp-checks.ts';

/**
 * Runs only under scripts/live-tcp.sh, on captures made moments ago by ../shared/lab/tcp-faults
 * (random loss differs every run), each with tshark's reading (.tcpflags.tsv) and tcpfacts.py's
 * facts (.facts.json) beside it: our TCP events, attempts, zero-window episodes and ACK watch
 * against theirs.
 */
const dir = process.env.LIVE_TCP_DIR;
if (!dir) console.warn('live TCP test skipped: it runs under scripts/live-tcp.sh (real tgtd + libiscsi with TCP faults, needs root)');
const captures = dir ? readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort() : [];

describe.skipIf(!dir)('live TCP-fault captures', () => {
  test('the scenarios ran', () => {
    expect(captures.length).toBeGreaterThan(0);
  });

  for (const cap of captures) {
    describe(cap, () => {
      const path = join(dir ?? '', cap);
      const run = runTcpFile(path, { ports: [3260] });
      const facts = readFacts(path);

      test('every frame: our events equal tshark 4.0 tcp.analysis.* and SYN/FIN/RST, same seq/ack/len/win', () => {
        const { ours, tshark } = eventsBoth(path, run);
        expect(ours).toEqual(tshark);
      });

      test('connection attempts and their answers equal tcpfacts.py', () => {
        const { ours, facts: want } = attemptsBoth(run, facts);
        expect(ours).toEqual(want);
      });

      test('zero-window episodes equal tcpfacts.py', () => {
        const { ours, facts: want } = zeroWindowsBoth(run, facts);
        expect(ours).toEqual(want);
      });

      test('the ACK watch says what tcpfacts.py says of every NOP-Out ping', () => {
        const { ours, facts: want, watched } = pingAcksBoth(path, facts);
        expect(watched).toBe(want.length);
        expect(ours).toEqual(want);
      });

      // The same through the whole engine, as the CLI prints it.
      test('iscsi-inspect tcp: frame for frame as tshark', async () => {
        const { ours, tshark } = await cli.tcpCommandBoth(path);
        expect(ours).toEqual(tshark);
      });

      test('connections --json: handshake RTT and retransmitted segments as tshark', async () => {
        const { ours, tshark } = await cli.figuresBoth(path);
        expect(ours).toEqual(tshark);
      });

      test('findings: connect-refused / connect-unanswered, tcp-zero-window and tcpAcked as tcpfacts.py says', async () => {
        const f = JSON.parse((await runCli(['findings', path, '--json'])).stdout) as Array<Record<string, unknown>>;
        const lf = cli.readFacts(path);
        const c = cli.connectBoth(f, lf);
        expect(c.ours).toEqual(c.facts);
        const z = cli.zeroWindowBoth(f, lf);
        expect(z.ours).toEqual(z.facts);
        const p = cli.pingAcksBoth(f, lf);
        expect(p.ours).toEqual(p.facts);
      });

      // The iSCSI above the faults: scripts/live-tcp.sh wrote tshark's decode with out-of-order
      // reassembly on (ooo/), each PDU in the frame that completed it.
      test('every PDU tshark decodes is ours, in the same frame; it misses none but those the capture cut', () => {
        const rows = readTsv(join(dir ?? '', 'ooo', `${cap}.tshark.tsv`));
        const { analysis, pdus } = analyzeFile(path, 1 << 20, { ports: [3260] });
        expect(analysis.error).toBeUndefined();
        const a = compare(cap, pdus, rows);
        expect(a.mismatches).toEqual([]);
        expect(a.matched).toBe(rows.length);
        // A PDU whose last bytes the capture never held (the capture stopped, the link went black)
        // is ours, marked truncated; tshark shows none it could not complete.
        expect(a.missedByWireshark.filter((q) => q.truncated !== true)).toEqual([]);
        const walk = readPduCount(`${path}.pducount.txt`);
        // The walk counts the PDUs the capture holds whole.
        if (walk) expect(pdus.filter((q) => q.truncated !== true).length).toBe(walk.total);
      });
    });
  }
});
