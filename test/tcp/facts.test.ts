import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { attemptsByPortal } from '../../src/tcp/index.ts';
import type { TcpConnection } from '../../src/tcp/index.ts';
import { attemptsBoth, pingAcksBoth, readFacts, zeroWindowsBoth } from './checks.ts';
import { runTcpFile } from './support.ts';

/**
 * Connection attempts, zero-window episodes, retransmission back-offs and the ACK watch against
 * what ../shared/lab/tcp-faults/tcpfacts.py says of the same captures (its .facts.json, made from
 * the untrimmed captures: the trimmed fixtures have the same frames).
 */

const FIXTURES = join(import.meta.dirname, '../fixtures/tcp');
const facts = (cap: string) => readFacts(join(FIXTURES, cap));

const caps = ['acked-no-reply.pcap', 'blackhole.pcap', 'loss-heavy-rto.pcap', 'loss-i2t-rx.pcap', 'loss-t2i.pcap', 'refused.pcap', 'zerowin-initiator.pcap', 'zerowin-target.pcap'];

describe('connection attempts equal tcpfacts.py syn_attempts', () => {
  for (const cap of caps) {
    test(cap, () => {
      const { ours, facts: want } = attemptsBoth(runTcpFile(join(FIXTURES, cap)), facts(cap));
      expect(ours).toEqual(want);
    });
  }

  test('refused: reconnects answered with RST are separate attempts to one portal', () => {
    const r = runTcpFile(join(FIXTURES, 'refused.pcap'));
    const f = facts('refused.pcap');
    const portals = attemptsByPortal(r.attempts);
    expect(portals).toHaveLength(1);
    const rst = f.syn_attempts.filter((s) => s.answer === 'RST').length;
    const synAck = f.syn_attempts.filter((s) => s.answer === 'SYN-ACK').length;
    expect(rst).toBeGreaterThan(1);
    const server = f.tcp_streams[0].server.split(':');
    expect(portals[0]).toMatchObject({ port: Number(server[1]), refused: rst, synAcked: synAck, unanswered: 0, syns: f.syn_attempts.length });
    const [a, b, c, d] = server[0].split('.').map(Number);
    expect(portals[0].addr[0]).toBe(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
  });

  test('blackhole: a SYN retransmitted until answered is one attempt', () => {
    const r = runTcpFile(join(FIXTURES, 'blackhole.pcap'));
    const a = r.attempts;
    const most = a.syns.reduce((n, x) => Math.max(n, x), 0);
    const f = facts('blackhole.pcap');
    const byStream = new Map<number, number>();
    for (const s of f.syn_attempts) byStream.set(s.stream, (byStream.get(s.stream) ?? 0) + 1);
    expect(most).toBe([...byStream.values()].reduce((n, x) => Math.max(n, x), 0));
    expect(most).toBeGreaterThan(2);
  });
});

describe('zero-window episodes equal tcpfacts.py zero_window_episodes', () => {
  for (const cap of caps) {
    test(cap, () => {
      const { ours, facts: want } = zeroWindowsBoth(runTcpFile(join(FIXTURES, cap)), facts(cap));
      expect(ours).toEqual(want);
    });
  }

  test('zerowin-initiator holds an episode over 100 ms, with probes', () => {
    const r = runTcpFile(join(FIXTURES, 'zerowin-initiator.pcap'));
    const long = [...r.figures.values()].flatMap((f) => f.dirs.flatMap((d) => d.longZeroWindows));
    expect(long.length).toBeGreaterThan(0);
    expect(long.some((e) => e.probes > 0)).toBe(true);
  });
});

describe('retransmission back-offs equal tcpfacts.py chains', () => {
  for (const cap of ['loss-heavy-rto.pcap', 'blackhole.pcap']) {
    test(cap, () => {
      const r = runTcpFile(join(FIXTURES, cap));
      const f = facts(cap);
      expect(f.retransmissions.chains.length).toBeGreaterThan(0);
      for (const [id, fig] of r.figures) {
        const c = r.conns.get(id) as TcpConnection;
        for (const side of [0, 1] as const) {
          const chains = f.retransmissions.chains.filter((x) => x.stream === id && Number(x.from.split(':')[1]) === c.port[side]);
          const most = chains.reduce((n, x) => Math.max(n, x.retransmissions), 0);
          // Chains of one retransmission are not listed by tcpfacts.
          if (most >= 2) expect(fig.dirs[side].backoffs).toBe(most);
          else expect(fig.dirs[side].backoffs).toBeLessThanOrEqual(1);
        }
      }
    });
  }
});

describe('ACK watch: did the target TCP acknowledge the NOP-Out? (tcpfacts.py nop_out_pings)', () => {
  for (const cap of ['acked-no-reply.pcap', 'blackhole.pcap']) {
    test(cap, () => {
      const { ours, facts: want, watched } = pingAcksBoth(join(FIXTURES, cap), facts(cap));
      expect(want.length).toBeGreaterThan(0);
      expect(watched).toBe(want.length);
      expect(ours).toEqual(want);
    });
  }

  test('blackhole holds a ping its target acknowledged only after the hole (later than the 5 s timeout)', () => {
    const late = facts('blackhole.pcap').nop_out_pings.filter((p) => p.acked_within_5s === false);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((p) => p.acked_by_target_tcp === true)).toBe(true);
  });
});
