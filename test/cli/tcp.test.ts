import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CAPTURES } from '../support/shared.ts';
import { jsonLines, runCli } from './run.ts';
import { connectBoth, figuresBoth, pingAcksBoth, readFacts, tcpCommandBoth, zeroWindowBoth } from './tcp-checks.ts';

/**
 * The engine's TCP, as the CLI prints it, against Wireshark 4.0 and the lab's facts: `tcp` frame
 * for frame, `connections --json` figures, and the TCP findings' values, on real captures with real
 * loss, stalls, refused and unanswered reconnects (test/fixtures/tcp, ../shared/lab/tcp-faults) and
 * on the shared captures (their tshark reading in test/fixtures/tcp/shared).
 */
const LAB = join(import.meta.dirname, '../fixtures/tcp');
const lab = readdirSync(LAB).filter((f) => f.endsWith('.pcap')).sort();
const shared = readdirSync(join(LAB, 'shared')).map((f) => f.replace(/\.tcpflags\.tsv$/, '')).sort();

async function findings(cap: string): Promise<Array<Record<string, unknown>>> {
  return JSON.parse((await runCli(['findings', cap, '--json'])).stdout) as Array<Record<string, unknown>>;
}

describe('iscsi-inspect tcp equals tshark frame for frame', () => {
  for (const cap of lab) {
    test(`lab: ${cap}`, async () => {
      const { ours, tshark, code } = await tcpCommandBoth(join(LAB, cap));
      expect(code).toBe(0);
      expect(ours.length).toBeGreaterThan(0);
      expect(ours).toEqual(tshark);
    });
  }
  for (const cap of shared) {
    test(`shared: ${cap}`, async () => {
      const { ours, tshark } = await tcpCommandBoth(join(CAPTURES, cap), cap.startsWith('nonstandard-port') ? [3260, 3261] : [3260]);
      expect(ours).toEqual(tshark);
    });
  }

  test('each line has the contract keys; conn where the TCP connection carried iSCSI, not on refused attempts', async () => {
    const r = await runCli(['tcp', join(LAB, 'refused.pcap')]);
    const lines = jsonLines(r.stdout);
    for (const l of lines) expect(Object.keys(l)).toEqual(expect.arrayContaining(['frame', 'tcpConn', 'dir', 'events', 'seq', 'ack', 'len', 'win']));
    // tcpfacts: streams 1-5 are the refused SYNs (frames 335-344); stream 6 (SYN 345) got through.
    expect(lines.filter((l) => (l.tcpConn as number) >= 1 && (l.tcpConn as number) <= 5).every((l) => l.conn === undefined)).toBe(true);
    expect(lines.find((l) => l.frame === 345)).toMatchObject({ tcpConn: 6, conn: 1, events: ['syn'] });
  });
});

describe('connections --json: per-connection TCP figures equal tshark', () => {
  for (const cap of lab) {
    test(cap, async () => {
      const { ours, tshark } = await figuresBoth(join(LAB, cap));
      expect(ours).toEqual(tshark);
    });
  }

  test('the shared captures: handshake RTT as tshark -Y tcp.analysis.initial_rtt prints it', async () => {
    // tshark: initiator-ping-timeout streams 0 and 1: 0.000022 s, 0.000015 s; target-killed stream 0 0.000022 s.
    const rtt = async (cap: string): Promise<unknown[]> => (JSON.parse((await runCli(['connections', join(CAPTURES, cap), '--json'])).stdout) as Array<{ tcp?: { handshakeRttMs?: number } }>).map((c) => c.tcp?.handshakeRttMs);
    expect(await rtt('initiator-ping-timeout.pcap')).toEqual([0.022, 0.015]);
    expect(await rtt('target-killed.pcap')).toEqual([0.022]);
  });
});

describe('the TCP findings carry the values the lab facts give', () => {
  for (const cap of lab) {
    test(cap, async () => {
      const f = await findings(join(LAB, cap));
      const facts = readFacts(join(LAB, cap));
      const c = connectBoth(f, facts);
      expect(c.ours).toEqual(c.facts);
      const z = zeroWindowBoth(f, facts);
      expect(z.ours).toEqual(z.facts);
      const p = pingAcksBoth(f, facts);
      expect(p.ours).toEqual(p.facts);
    });
  }

  test('the scenarios show each kind: refused reconnects, a black hole, a zero window, pings TCP took but iSCSI ignored', async () => {
    // tcpfacts: refused: SYNs 335-343 each answered by RST; blackhole: 8 SYNs from frame 97 got
    // nothing; zerowin-initiator: the initiator's window closed 6.07 s; acked-no-reply: 5 pings not
    // answered within 5 s, each acknowledged by the target's TCP.
    expect((await findings(join(LAB, 'refused.pcap'))).filter((x) => x.kind === 'connect-refused').map((x) => x.attempts)).toEqual([5]);
    expect((await findings(join(LAB, 'blackhole.pcap'))).filter((x) => x.kind === 'connect-unanswered').map((x) => x.attempts)).toEqual([8]);
    expect((await findings(join(LAB, 'zerowin-initiator.pcap'))).filter((x) => x.kind === 'tcp-zero-window').map((x) => x.by)).toEqual(['initiator']);
    const acked = (await findings(join(LAB, 'acked-no-reply.pcap'))).filter((x) => x.kind === 'nop-ping-unanswered');
    expect(acked.map((x) => x.tcpAcked)).toEqual([true, true, true, true, true]);
    expect(String(acked[0].message)).toContain("the target's TCP acknowledged the ping");
  });

  test('tcp-retransmissions: the segments of every burst add up to tshark\'s retransmitted segments with payload', async () => {
    for (const cap of lab) {
      const f = (await findings(join(LAB, cap))).filter((x) => x.kind === 'tcp-retransmissions');
      const { tshark } = await figuresBoth(join(LAB, cap));
      const want = { 'I>T': 0, 'T>I': 0 };
      for (const t of tshark) for (const d of ['I>T', 'T>I'] as const) want[d] += t.retransmittedSegments[d];
      const got = { 'I>T': 0, 'T>I': 0 };
      for (const x of f) got[x.dir as 'I>T' | 'T>I'] += x.segments as number;
      expect(got, cap).toEqual(want);
    }
  });
});
