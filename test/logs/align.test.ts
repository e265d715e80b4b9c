import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { alignLogs, parseLogText, placeLine, timeline } from '../../src/logs/index.ts';
import type { LogLine, WireEvent } from '../../src/logs/index.ts';
import { FIXTURES, wireOf } from './wire.ts';

// The fixtures (test/fixtures/logs, made by make-fixtures.py) put log lines at moments tshark
// shows in the shared captures, on a log clock shifted by offsets chosen there. Expected values
// below are those offsets and those tshark times; the wire events come from tshark's decode
// (wire.ts), not from our engine.

function log(name: string, file = 0): LogLine[] {
  return parseLogText(readFileSync(join(FIXTURES, name), 'utf8'), file).lines;
}

// initiator-ping-timeout.pcap, from its .tshark.tsv and the .tcp.tsv beside the fixtures.
const LOGIN0 = 1795378183.498376; // frame 6, Login Response
const FIN = 1795378191.516877; // frame 31, the initiator's FIN
const LOGIN1 = 1795378195.527132; // frame 40, Login Response of the relogin
const LOGOUT = 1795378198.534234; // frame 53, Logout Response
const PING = wireOf('initiator-ping-timeout');

function lineAt(lines: readonly LogLine[], text: string): LogLine {
  const l = lines.find((x) => x.text.includes(text));
  if (l === undefined) throw new Error(`no line with ${text}`);
  return l;
}

describe('the wire events tshark shows', () => {
  test('initiator-ping-timeout: two logins, the unanswered ping and the initiator giving up, the logout', () => {
    const k = PING.events.map((e) => `${e.kind}@${e.time}${e.conn === undefined ? '' : `/c${e.conn}`}`);
    expect(k).toEqual([
      `login-ok@${LOGIN0}/c0`, `conn-close@${FIN}/c0`, `ping-timeout@${FIN}/c0`, `login-ok@${LOGIN1}/c1`, `logout@${LOGOUT}/c1`,
      'conn-close@1795378198.534246/c1',
    ]);
    expect(PING.events.find((e) => e.kind === 'ping-timeout')).toMatchObject({ pingTime: 1795378186.505504 });
  });
});

describe('alignment recovers the offsets the fixtures were made with', () => {
  test('classic syslog, no year, local time +01:00 on a clock 37.4 s fast', () => {
    const lines = log('initiator-ping-timeout.syslog');
    const a = alignLogs(lines, PING.events, { captureStart: PING.start });
    const o = a.offsets[0];
    expect(o).toMatchObject({ file: 0, source: 'events', matches: 6, clock: 'wall', zone: '+01:00' });
    // Whole-second stamps: the offset can only be known to within a second.
    expect(Math.abs((o.seconds as number) - 3637.4)).toBeLessThan(1);
    expect(Math.abs((o.skewSeconds as number) - 37.4)).toBeLessThan(1);
    expect(o.spreadMs).toBeLessThan(1000);
    expect(o.ambiguous).toBeUndefined();
    const ping = lineAt(lines, 'ping timeout');
    expect(Math.abs((placeLine(ping, o, PING.start) as number) - FIN)).toBeLessThan(1);
    const byLine = new Map(a.matches.map((m) => [m.line, PING.events[m.event]]));
    expect(byLine.get(lineAt(lines, 'is operational now').line)).toMatchObject({ kind: 'login-ok', time: LOGIN0, conn: 0 });
    expect(byLine.get(lineAt(lines, 'after recovery').line)).toMatchObject({ kind: 'login-ok', time: LOGIN1, conn: 1 });
    expect(byLine.get(lineAt(lines, 'is shutdown').line)).toMatchObject({ kind: 'logout', time: LOGOUT });
    expect(byLine.get(ping.line)?.time).toBe(FIN);
  });

  test('journalctl short-iso-precise stating +0100, a clock 2.75 s slow: to the millisecond', () => {
    const lines = log('initiator-ping-timeout.journal');
    const o = alignLogs(lines, PING.events, { captureStart: PING.start }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 6, clock: 'utc' });
    // The lines lag their wire events by up to 4.2 ms (make-fixtures.py), so the matches agree to ~6 ms.
    expect(Math.abs((o.seconds as number) + 2.75)).toBeLessThan(0.005);
    expect(o.spreadMs).toBeLessThanOrEqual(7);
    expect(o.zone).toBeUndefined();
    // Placed lines land on their wire moments: the FIN 2.1 ms after the kernel's ping timeout line.
    const t = placeLine(lineAt(lines, 'ping timeout'), o, PING.start) as number;
    expect(t - (FIN - 0.0021)).toBeCloseTo(0, 2);
    expect((placeLine(lineAt(lines, 'after recovery'), o, PING.start) as number) - (LOGIN1 + 0.0031)).toBeCloseTo(0, 2);
  });

  test('the same journal with no event to match keeps its own clock', () => {
    const quiet = log('initiator-ping-timeout.journal').filter((l) => l.explanation === undefined);
    const o = alignLogs(quiet, PING.events, { captureStart: PING.start }).offsets[0];
    expect(o).toMatchObject({ seconds: 0, source: 'clock', matches: 0, clock: 'utc' });
    // Its lines are then 2.75 s early: the skew the fixture was made with.
    const t = placeLine(lineAt(quiet, 'Attached SCSI disk'), o, PING.start) as number;
    expect(t - (LOGIN0 + 0.0301)).toBeCloseTo(-2.75, 3);
  });

  test('dmesg, seconds since boot: the offset is minus the boot time, from events only', () => {
    const lines = log('initiator-ping-timeout.dmesg');
    const o = alignLogs(lines, PING.events, { captureStart: PING.start }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 2, clock: 'boot' });
    expect(Math.abs((o.seconds as number) + 1795375000.25)).toBeLessThan(0.005);
    const noise = lines.filter((l) => l.explanation === undefined);
    expect(alignLogs(noise, PING.events, { captureStart: PING.start }).offsets[0]).toEqual({ file: 0, source: 'none', matches: 0, clock: 'boot' });
    // Without the offset, no line has a time.
    expect(placeLine(noise[1], { file: 0, source: 'none', matches: 0, clock: 'boot' }, PING.start)).toBeUndefined();
  });

  test("an LIO target's dmesg -T in local time +08:00 on a clock 71 s slow: ABORT TASK and LU RESET", () => {
    const w = wireOf('slow-target-abort');
    const lines = log('slow-target-abort.lio.dmesg');
    const a = alignLogs(lines, w.events, { captureStart: w.start });
    const o = a.offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 3, clock: 'wall', zone: '+08:00' });
    expect(Math.abs((o.seconds as number) - (8 * 3600 - 71))).toBeLessThan(1);
    // The logged task tag is the byte-swapped ITT 0x1945508e of frame 47's ABORT TASK.
    const abort = lineAt(lines, 'ABORT_TASK');
    const m = a.matches.find((x) => x.line === abort.line);
    expect(w.events[m?.event as number]).toMatchObject({ kind: 'tmf', function: 1, referencedTaskTag: 0x1945508e, time: 1795378204.448236 });
    const done = a.matches.find((x) => x.line === lineAt(lines, 'Complete').line);
    expect(w.events[done?.event as number]).toMatchObject({ kind: 'tmf', function: 5, responseTime: 1795378209.448693 });
  });

  test("tgtd's RFC 5424 log in UTC, 12.5 s fast: its NOP timeout is the target's FIN", () => {
    const w = wireOf('target-nopin-unanswered');
    expect(w.events.find((e) => e.kind === 'target-ping-timeout')).toMatchObject({ time: 1795378180.000088, pingTime: 1795378177.000089 });
    const lines = log('target-nopin-unanswered.tgtd.rfc5424');
    const o = alignLogs(lines, w.events, { captureStart: w.start }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 1, clock: 'utc' });
    expect(Math.abs((o.seconds as number) - 12.5)).toBeLessThan(0.001);
  });

  test('several files at once, each with its own offset; the user overrides one', () => {
    const lines = [...log('initiator-ping-timeout.syslog', 0), ...log('initiator-ping-timeout.journal', 1), ...log('initiator-ping-timeout.dmesg', 2)];
    const a = alignLogs(lines, PING.events, { captureStart: PING.start, userOffsets: new Map([[1, -2.5]]) });
    expect(a.offsets.map((o) => [o.file, o.source, o.clock])).toEqual([[0, 'events', 'wall'], [1, 'user', 'utc'], [2, 'events', 'boot']]);
    expect(a.offsets[1].seconds).toBe(-2.5);
    // At -2.5 s the journal's lines are 0.25 s off their events: still within the tolerance, so they count.
    expect(a.offsets[1].matches).toBe(6);
    const far = alignLogs(lines, PING.events, { captureStart: PING.start, userOffsets: new Map([[1, 600]]) }).offsets[1];
    expect(far).toMatchObject({ seconds: 600, source: 'user', matches: 0 });
  });
});

describe('choosing among offsets', () => {
  // A synthetic capture: one target close and one ping timeout a known time apart.
  const T = 1800000000;
  const events: WireEvent[] = [
    { kind: 'conn-close', time: T, conn: 0, by: 'target', how: 'fin' },
    { kind: 'conn-close', time: T + 1000.3, conn: 1, by: 'target', how: 'rst' },
    { kind: 'ping-timeout', time: T + 2000, conn: 2, pingTime: T + 1995 },
    { kind: 'conn-close', time: T + 2000, conn: 2, by: 'initiator', how: 'fin' },
  ];
  const iso = (t: number, z: number): string => {
    const d = new Date((t + z * 60) * 1000).toISOString().replace('Z', '');
    const s = z < 0 ? '-' : '+';
    const a = Math.abs(z);
    return `${d.slice(0, 23)}${s}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  };
  const wall = (t: number): string => new Date(t * 1000).toISOString().slice(0, 23).replace('T', ' ');

  test('a wall clock in +05:45 with 3 min 20 s of skew: the zone and the skew come apart', () => {
    const d = 5 * 3600 + 45 * 60 + 200;
    const text = [
      `${wall(T + d + 0.0004)} node1 kernel: connection7:0: detected conn error (1020)`,
      `${wall(T + 1000.3 + d + 0.0002)} node1 kernel: connection8:0: detected conn error (1020)`,
      `${wall(T + 2000 + d - 0.002)} node1 kernel: connection9:0: ping timeout of 5 secs expired, recv timeout 5, last rx 1, last ping 1251, now 2501`,
    ].join('\n');
    const o = alignLogs(parseLogText(text).lines, events, { captureStart: T }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 3, zone: '+05:45', clock: 'wall' });
    expect(o.skewSeconds).toBeCloseTo(200, 1);
  });

  test('one line, two closes it could be: the offset nearer a time zone in use wins (a zone plus skew)', () => {
    // Log clock +05:30 and 40 s: pairing with the first close gives 19840 s (5 h 30 min 40 s);
    // with the second, 18839.7 s (5 h 13 min 59.7 s) — 14 min off +05:00, the nearest zone.
    const text = `${wall(T + 19840)} node1 kernel: connection7:0: detected conn error (1020)`;
    const o = alignLogs(parseLogText(text).lines, events, { captureStart: T }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 1, zone: '+05:30' });
    expect(o.seconds).toBeCloseTo(19840, 0);
  });

  test('a skew of 8 minutes stays a skew: +01:00 and 490 s, not "+01:15" (no zone has that offset)', () => {
    const text = `${wall(T + 3600 + 490)} node1 kernel: connection7:0: detected conn error (1020)`;
    const o = alignLogs(parseLogText(text).lines, events, { captureStart: T }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 1, zone: '+01:00' });
    expect(o.skewSeconds).toBeCloseTo(490, 0);
  });

  test('a log stating its zone: skew within the limit is found, a far one falls back to the clock', () => {
    const near = `${iso(T - 90, 120)} n kernel: connection1:0: detected conn error (1020)`;
    const o = alignLogs(parseLogText(near).lines, events, { captureStart: T }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 1 });
    expect(o.seconds).toBeCloseTo(-90, 2);
    const far = `${iso(T - 5 * 3600, 120)} n kernel: connection1:0: detected conn error (1020)`;
    expect(alignLogs(parseLogText(far).lines, events, { captureStart: T }).offsets[0]).toMatchObject({ source: 'clock', seconds: 0, matches: 0 });
  });

  test('an error code pairs only with closes that mean it: 1020 with the target\'s, 1022 with the initiator giving up', () => {
    const text = [
      `[ 100.000400] connection9:0: ping timeout of 5 secs expired, recv timeout 5, last rx 1, last ping 1251, now 2501`,
      `[ 100.000500] connection9:0: detected conn error (1022)`,
    ].join('\n');
    const a = alignLogs(parseLogText(text).lines, events, { captureStart: T });
    // Boot-relative: only the ping timeout at T+2000 fits both lines (the 1020 closes do not).
    expect(a.offsets[0]).toMatchObject({ source: 'events', matches: 2, clock: 'boot' });
    expect(a.offsets[0].seconds).toBeCloseTo(100.0004 - (T + 2000), 3);
    expect(a.matches.every((m) => events[m.event].conn === 2)).toBe(true);
  });

  test('boot-relative with two equally good pairings is flagged ambiguous', () => {
    const text = '[  50.000000] connection1:0: detected conn error (1020)';
    const o = alignLogs(parseLogText(text).lines, events, { captureStart: T }).offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 1, ambiguous: true });
  });

  test('a ping timeout whose timeout does not fit the wire gap does not pair', () => {
    // The wire's ping waited 5 s; a line saying 15 s is some other ping.
    const text = `[ 100.000400] connection9:0: ping timeout of 15 secs expired, recv timeout 15, last rx 1, last ping 1, now 3751`;
    expect(alignLogs(parseLogText(text).lines, events, { captureStart: T }).offsets[0]).toMatchObject({ source: 'none', matches: 0 });
  });

  test('nothing to go on: no lines, no events, unstamped lines', () => {
    expect(alignLogs([], events, { captureStart: T })).toEqual({ offsets: [], matches: [] });
    const plain = parseLogText('tgtd: abort_task_set(1349) found 8e504519 0\n', 4).lines;
    expect(alignLogs(plain, events, { captureStart: T }).offsets).toEqual([{ file: 4, source: 'none', matches: 0 }]);
    const syslog = parseLogText('Jun 22 16:31:50 h kernel: connection1:0: detected conn error (1020)\n').lines;
    expect(alignLogs(syslog, [], { captureStart: T }).offsets[0]).toEqual({ file: 0, source: 'none', matches: 0, clock: 'wall' });
  });
});

describe('the timeline', () => {
  test('every line of three files in capture-time order, matched lines tied to their connection', () => {
    const lines = [...log('initiator-ping-timeout.syslog', 0), ...log('initiator-ping-timeout.journal', 1), ...log('initiator-ping-timeout.dmesg', 2)];
    const a = alignLogs(lines, PING.events, { captureStart: PING.start });
    const tl = timeline(lines, a, PING.events, { captureStart: PING.start, conns: PING.conns });
    expect(tl.length).toBe(lines.length);
    const times = tl.filter((p) => p.time !== undefined).map((p) => p.time as number);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // The dmesg's first line (boot at 0 s, long before the capture) comes first.
    expect(tl[0]).toMatchObject({ file: 2, line: 1 });
    const ping = tl.filter((p) => p.kind === 'ping-timeout');
    expect(ping.map((p) => [p.file, p.conn, p.tie])).toEqual(expect.arrayContaining([[0, 0, 'match'], [1, 0, 'match'], [2, 0, 'match']]));
    for (const p of ping) expect(Math.abs((p.time as number) - FIN)).toBeLessThan(1);
    const rec = tl.filter((p) => p.kind === 'operational-after-recovery');
    expect(rec.map((p) => p.conn)).toEqual([1, 1]);
    // Unrecognised lines are kept, with no kind and no connection.
    const cron = tl.filter((p) => p.text.includes('CRON'));
    expect(cron.length).toBe(2);
    expect(cron[0].kind).toBeUndefined();
    expect(cron[0].conn).toBeUndefined();
  });

  test('a line naming a session ties to that session\'s connection alive then; a portal alone ties when one connection has it', () => {
    const T = 1800000000;
    const events: WireEvent[] = [
      { kind: 'login-ok', time: T, conn: 0, session: 5 },
      { kind: 'conn-close', time: T + 100, conn: 0, session: 5, by: 'target', how: 'fin' },
      { kind: 'login-ok', time: T + 102, conn: 3, session: 5 },
    ];
    const conns = [
      { conn: 0, session: 5, start: T - 0.01, end: T + 100, portal: '10.0.0.5:3260' },
      { conn: 3, session: 5, start: T + 101.9, end: T + 300, portal: '10.0.0.5:3260' },
      { conn: 4, session: 6, start: T + 50, end: T + 60, portal: '10.0.0.9:3260' },
    ];
    const text = [
      `[ 1000.000100] connection2:0: detected conn error (1020)`,
      `[ 1000.100000] connection2:0: pdu (op 0x1 itt 0x2a) rejected. Reason code 0x9`,
      `[ 1150.000000] connection2:0: pdu (op 0x1 itt 0x2b) rejected. Reason code 0x9`,
      `[  955.000000] iSCSI Login timeout on Network Portal 10.0.0.9:3260`,
      `[  905.000000] iSCSI Login timeout on Network Portal 10.0.0.9:3260`,
    ].join('\n');
    const lines = parseLogText(text).lines;
    const a = alignLogs(lines, events, { captureStart: T });
    expect(a.offsets[0]).toMatchObject({ source: 'events', matches: 1 });
    const tl = timeline(lines, a, events, { captureStart: T, conns });
    const at = (n: number) => tl.find((p) => p.line === n);
    expect(at(1)).toMatchObject({ conn: 0, tie: 'match' });
    expect(at(2)).toMatchObject({ conn: 0, tie: 'session' });
    expect(at(3)).toMatchObject({ conn: 3, tie: 'session' });
    expect(at(4)).toMatchObject({ conn: 4, tie: 'names' });
    // At T+5 no connection has that portal.
    expect(at(5)?.conn).toBeUndefined();
    expect(tl.map((p) => p.line)).toEqual([5, 4, 1, 2, 3]);
  });

  test('lines that cannot be placed keep their place in their file', () => {
    const text = 'tgtd: bs_init(387) use signalfd notification\n[ 10.5] connection1:0: detected conn error (1020)\ntgtd: no stamp\n';
    const lines = parseLogText(text).lines;
    const events: WireEvent[] = [{ kind: 'conn-close', time: 1000, conn: 0, by: 'target', how: 'fin' }];
    const a = alignLogs(lines, events, { captureStart: 900 });
    const tl = timeline(lines, a, events, { captureStart: 900 });
    expect(tl.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(tl[0].time).toBeUndefined();
    expect(tl[1].time).toBeCloseTo(1000, 6);
    expect(tl[2].time).toBeUndefined();
  });
});

describe('a real run: tgtd\'s own output and a capture of the same moments (lab-run.sh)', () => {
  // tgtd -f's output stamped on receipt as journald does, in +05:30, on the capture's clock: the
  // offset is the zone plus the ~0.1 ms from tgtd's write to the stamp. tshark times of the run:
  const TFIN = 1796116084.018717; // frame 19: tgtd closes after 3 unanswered NOP-Ins
  const ABORT = 1796116089.088172; // frame 68: ABORT TASK, Referenced Task Tag 0x45899e00, never answered
  const LU_RESET = 1796116091.088451; // frame 70: LOGICAL UNIT RESET, answered at frame 73
  const w = wireOf('tgtd-real', FIXTURES);
  const lines = log('tgtd-real.journal');

  test('the NOP timeout and the task management tgtd handled when it ran again agree on +05:30', () => {
    expect(w.events.filter((e) => e.kind === 'tmf').map((e) => [e.time, e.kind === 'tmf' ? e.function : 0])).toEqual([[ABORT, 1], [LU_RESET, 5]]);
    const a = alignLogs(lines, w.events, { captureStart: w.start });
    const o = a.offsets[0];
    expect(o).toMatchObject({ source: 'events', matches: 3, clock: 'wall', zone: '+05:30' });
    expect(o.ambiguous).toBeUndefined();
    expect(Math.abs((o.seconds as number) - 19800)).toBeLessThan(0.001);
    expect(Math.abs(o.skewSeconds as number)).toBeLessThan(0.001);
    const nop = lineAt(lines, 'failed NOP-OUT');
    expect(Math.abs((placeLine(nop, o, w.start) as number) - TFIN)).toBeLessThan(0.001);
    // tgtd was stopped: it logs the ABORT TASK 5 s after it arrived, when it runs again.
    const abort = lineAt(lines, 'abort_task_set(1349) found 9e8945 0');
    expect((placeLine(abort, o, w.start) as number) - ABORT).toBeCloseTo(5.0, 0);
    const byLine = new Map(a.matches.map((m) => [m.line, w.events[m.event]]));
    expect(byLine.get(abort.line)).toMatchObject({ kind: 'tmf', function: 1, referencedTaskTag: 0x45899e00 });
    expect(byLine.get(lineAt(lines, 'found 0 0').line)).toMatchObject({ kind: 'tmf', function: 5, time: LU_RESET });
    expect(byLine.get(nop.line)?.kind).toBe('target-ping-timeout');
  });

  test('the timeline ties the abort_cmd lines to the request they answer', () => {
    const a = alignLogs(lines, w.events, { captureStart: w.start });
    const tl = timeline(lines, a, w.events, { captureStart: w.start, conns: w.conns });
    const cmd = tl.filter((p) => p.kind === 'task-aborted');
    expect(cmd.length).toBe(2);
    // The same tag 9e8945 both times: the ABORT TASK's command, once for the abort and once for the reset.
    for (const p of cmd) {
      expect(p).toMatchObject({ conn: 1, tie: 'task' });
      expect(w.events[p.event as number]).toMatchObject({ kind: 'tmf', function: 1 });
    }
    // tgtd's start-up lines, before any session, are tied to nothing.
    expect(tl.filter((p) => p.text.includes('bs_init')).map((p) => p.conn)).toEqual([undefined]);
  });
});

describe('at scale', () => {
  test('thousands of closes and thousands of lines: the offset, and every line counted', () => {
    // 4000 target closes at irregular moments (a churning target), a year-less syslog in +02:00
    // 17 s fast with a "conn error (1020)" line at each.
    const T = 1800000000;
    const events: WireEvent[] = [];
    for (let k = 0; k < 4000; k++) events.push({ kind: 'conn-close', time: T + k * 7 + ((k * 0.6180339887) % 1) * 5, conn: k, by: 'target', how: 'fin' });
    const D = 7200 + 17;
    const text = events.map((e, k) => {
      const d = new Date((e.time + D + 0.0003) * 1000);
      const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
      const hms = d.toISOString().slice(11, 19);
      return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms} n1 kernel: connection${k}:0: detected conn error (1020)`;
    }).join('\n');
    const lines = parseLogText(text).lines;
    const a = alignLogs(lines, events, { captureStart: T });
    const o = a.offsets[0];
    expect(o).toMatchObject({ source: 'events', zone: '+02:00' });
    expect(Math.abs((o.seconds as number) - D)).toBeLessThan(1);
    // Lines 7 s apart and whole-second stamps: each line pairs with its own close.
    expect(o.matches).toBe(4000);
    expect(a.matches.every((m) => m.conn === m.line - 1)).toBe(true);
  });
});
