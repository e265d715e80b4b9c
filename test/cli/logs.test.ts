// iscsi-inspect logs / --log: host logs on the capture's timeline. The fixtures (test/fixtures/logs,
// README there) place real-format lines at the shared captures' wire moments (tshark's frame times)
// on clocks shifted by offsets chosen when they were made; the CLI must find those offsets itself
// and tie the lines to the connection and the incident they speak of.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CAPTURES } from '../support/shared.ts';
import { runCli } from './run.ts';

const FIX = join(import.meta.dirname, '../fixtures/logs');
const PING = join(CAPTURES, 'initiator-ping-timeout.pcap');

interface LogsJson {
  offsets: Array<{ file: string; seconds?: number; source: string; matches: number; spreadMs?: number }>;
  lines: Array<{ file: string; line: number; text: string; time?: number; kind?: string; conn?: number; finding?: number; incident?: number }>;
}

describe('iscsi-inspect logs', () => {
  test('finds each log\'s offset by the events both show: syslog in local time without a year, boot-relative dmesg', async () => {
    const syslog = join(FIX, 'initiator-ping-timeout.syslog');
    const dmesg = join(FIX, 'initiator-ping-timeout.dmesg');
    const r = await runCli(['logs', PING, syslog, dmesg, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as LogsJson;
    // Chosen when the fixtures were made: +01:00 and 37.4 s fast (whole-second stamps), and a boot at 1795375000.25.
    expect(j.offsets[0].source).toBe('events');
    expect(Math.abs((j.offsets[0].seconds as number) - 3637.4)).toBeLessThan(1);
    expect(j.offsets[1].source).toBe('events');
    expect(Math.abs((j.offsets[1].seconds as number) + 1795375000.25)).toBeLessThan(0.005);
    // Every line of both files, in capture-time order.
    expect(j.lines.filter((l) => l.file === syslog)).toHaveLength(14);
    const times = j.lines.map((l) => l.time).filter((t): t is number => t !== undefined);
    for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThanOrEqual(times[k - 1]);
    // The ping-timeout lines sit at the initiator's give-up (its FIN, frame 31, …191.516877 in tshark),
    // on conn 0, in the ping-timeout incident.
    const incidents = JSON.parse((await runCli(['incidents', PING, '--json'])).stdout) as Array<{ kind: string }>;
    const timeout = j.lines.filter((l) => l.text.includes('ping timeout of 5 secs expired'));
    expect(timeout).toHaveLength(2);
    for (const l of timeout) {
      expect(l.conn).toBe(0);
      expect(incidents[l.incident as number].kind).toBe('ping-timeout');
      expect(Math.abs((l.time as number) - 1795378191.516877)).toBeLessThan(1);
    }
  });

  test('--offset overrides; --log ties lines to incidents and findings', async () => {
    const syslog = join(FIX, 'initiator-ping-timeout.syslog');
    const r = await runCli(['logs', PING, syslog, '--json', '--offset', '3600']);
    const j = JSON.parse(r.stdout) as LogsJson;
    expect(j.offsets[0]).toMatchObject({ source: 'user', seconds: 3600 });
    const inc = JSON.parse((await runCli(['incidents', PING, '--json', '--log', syslog])).stdout) as Array<{ kind: string; log?: Array<{ text: string }> }>;
    const ping = inc.find((i) => i.kind === 'ping-timeout')!;
    expect(ping.log?.some((l) => l.text.includes('detected conn error (1022)'))).toBe(true);
    const text = (await runCli(['incidents', PING, '--log', syslog])).stdout;
    expect(text).toContain('log ');
    expect(text).toContain('ping timeout of 5 secs expired');
  });

  test('an LIO target\'s dmesg -T: the ABORT_TASK line finds the ABORT TASK by its task tag', async () => {
    const lio = join(FIX, 'slow-target-abort.lio.dmesg');
    const j = JSON.parse((await runCli(['logs', join(CAPTURES, 'slow-target-abort.pcap'), lio, '--json'])).stdout) as LogsJson;
    // +08:00 and 71 s slow, whole-second stamps.
    expect(Math.abs((j.offsets[0].seconds as number) - 28729)).toBeLessThan(1);
    const abort = j.lines.find((l) => l.text.includes('ABORT_TASK: Found referenced'))!;
    expect(abort.conn).toBe(0);
    expect(abort.finding).toBeDefined();
  });

  test('usage: logs needs a log; --offset needs logs; one offset per log or one for all', async () => {
    expect((await runCli(['logs', PING])).code).toBe(2);
    expect((await runCli(['summary', PING, '--offset', '3'])).code).toBe(2);
    const s = join(FIX, 'initiator-ping-timeout.syslog');
    expect((await runCli(['logs', PING, s, s, s, '--offset', '1', '--offset', '2'])).code).toBe(2);
    const missing = await runCli(['logs', PING, join(FIX, 'no-such.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such\.log/);
  });
});
