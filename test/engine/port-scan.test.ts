import { describe, expect, test } from 'vitest';
import { Analyzer } from '../../src/engine/index.ts';
import type { Analysis } from '../../src/engine/index.ts';
import { scaleCapture } from '../../src/synth/index.ts';
import { MAX_ATTEMPTS } from '../../src/tcp/index.ts';

// A SYN scan of port 3260 (src/synth/scale.ts 'syn-scan'): SYN i comes from 192.0.2.1 port
// 1024 + i % 64000 to 10.0.0.(i / 64000), 10 µs apart; even SYNs are answered by RST, odd ones by
// nothing. So n SYNs are n TCP connections, n attempts, n/2 refused and n/2 unanswered, none
// carrying a byte — what the counts below must be, however many of them the engine lists.

function scan(n: number): Analysis {
  const analyzer = new Analyzer();
  for (const chunk of scaleCapture('syn-scan', n)) analyzer.push(chunk);
  return analyzer.finish();
}

const sum = (a: Analysis, kind: string): number =>
  a.findings.filter((f) => f.kind === kind).reduce((s, f) => s + Number(f.attempts), 0);

describe('a SYN scan of an iSCSI port', () => {
  test('connections that carry nothing are listed up to a bound and counted past it; every attempt is counted', () => {
    const n = 40_000;
    const a = scan(n);
    expect(a.capture.tcpConnections).toBe(n);
    // Memory follows what is live: the connections listed (with their events) stop at a bound
    // well below the scan, and the rest are remembered as a count.
    expect(a.tcp.connections.count).toBeLessThanOrEqual(1 << 14);
    expect(a.tcp.connections.count + a.capture.forgottenTcpConnections).toBe(n);
    expect(a.tcp.events.count).toBeLessThanOrEqual(a.tcp.connections.count * 2);
    expect(a.model.tcp.attemptTotals).toEqual({ attempts: n, connected: 0, refused: n / 2, unanswered: n / 2, answeredLate: 0 });
    // Every refusal is in a connect-refused finding: the first runs one by one, the rest in one count.
    expect(sum(a, 'connect-refused')).toBe(n / 2);
    const refused = a.findings.filter((f) => f.kind === 'connect-refused');
    expect(refused.length).toBeLessThan(100);
    expect(refused.at(-1)?.message).toMatch(/^19,936 more connection attempts were refused \(RST\), to 10\.0\.0\.0:3260 from 192\.0\.2\.1/);
    // Each unanswered SYN was followed 10 µs later by the next attempt, well within 3 s.
    expect(sum(a, 'connect-unanswered')).toBe(0);
    // The story is one incident, not one per refusal: no iSCSI connection came before or after.
    expect(a.incidents).toHaveLength(1);
    expect(a.incidents[0].findings).toHaveLength(refused.length);
    // (The last refusal is at ~600 ms: the generator's clock adds 10 µs steps to epoch seconds.)
    expect(a.incidents[0].headline).toMatch(/^Connection attempts to 10\.0\.0\.0:3260 failed from \+0 s to \+60\d ms with no iSCSI connection before or after them: /);
    expect(a.incidents[0].headline).toContain(': 20,000 refused (RST) (of all 40,000 attempts in the capture, 20,000 were refused and 20,000 got no answer) — the target was down all along, or this is a port scan.');
  });

  test('attempts past the attempts table are counted by how they were answered, not lost', () => {
    const n = MAX_ATTEMPTS + 8_000;
    const a = scan(n);
    expect(a.tcp.attempts.count).toBe(MAX_ATTEMPTS);
    expect(a.tcp.attempts.dropped).toBe(8_000);
    expect(a.model.tcp.attemptTotals).toEqual({ attempts: n, connected: 0, refused: n / 2, unanswered: n / 2, answeredLate: 0 });
    expect(sum(a, 'connect-refused')).toBe(n / 2);
    const last = a.findings.filter((f) => f.kind === 'connect-refused').at(-1);
    expect(last?.notRecorded).toBe(8_000);
    // The first SYN not recorded is SYN number MAX_ATTEMPTS: 1.5 frames a SYN (every other one has its RST).
    expect(last?.frame).toBe(MAX_ATTEMPTS * 1.5 + 1);
    expect(last?.message).toContain('4,000 refused (RST), 4,000 unanswered');
  }, 60_000);
});
