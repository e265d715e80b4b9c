import { describe, expect, test } from 'vitest';
import { Conv, RESERVED, SynthCapture, check, kinds, only } from './synth.ts';

describe('nop-ping / nop-ping-unanswered', () => {
  test('an answered ping is a nop-ping with its RTT', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const p = s.ping();
    cap.wait(0.002);
    const a = s.pong(p.itt);
    s.logout();
    s.close();
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ 'nop-ping': 1, logout: 1 });
    const f = only(findings, 'nop-ping')[0];
    expect(f).toMatchObject({ severity: 'info', conn: 0, itt: p.itt, rttMs: 2, frames: [p.frame, a] });
  });

  test('a ping unanswered when the initiator closes: then initiator-fin, waitedMs, names 1022', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const p = s.ping();
    cap.wait(5);
    const fin = s.fin('initiator');
    const { findings } = check(cap);
    const f = only(findings, 'nop-ping-unanswered');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', itt: p.itt, waitedMs: 5000, then: 'initiator-fin', frames: [p.frame, fin] });
    expect(f[0].message).toContain('ISCSI_ERR_NOP_TIMEDOUT (1022)');
    expect(f[0].message).toContain(`0x000000${p.itt.toString(16)}`);
    expect(f[0].answeredLateMs).toBeUndefined();
  });

  test('then: initiator-reset, target-fin, target-reset, capture-end', () => {
    for (const [end, then] of [['initiator-rst', 'initiator-reset'], ['target-fin', 'target-fin'], ['target-rst', 'target-reset'], ['none', 'capture-end']] as const) {
      const cap = new SynthCapture();
      const s = new Conv(cap);
      s.login();
      s.ping();
      cap.wait(3);
      if (end === 'initiator-rst') s.rst('initiator');
      else if (end === 'target-fin') s.fin('target');
      else if (end === 'target-rst') s.rst('target');
      else s.c.ack('initiator');
      const f = only(check(cap).findings, 'nop-ping-unanswered');
      expect(f, end).toHaveLength(1);
      expect(f[0].then, end).toBe(then);
      expect(f[0].waitedMs, end).toBe(3000);
    }
  });

  test('a NOP-In after the initiator gave up: nop-ping-unanswered with answeredLateMs', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const p = s.ping();
    cap.wait(5);
    s.fin('initiator');
    cap.wait(4);
    const late = s.pong(p.itt);
    const f = only(check(cap).findings, 'nop-ping-unanswered');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ waitedMs: 5000, then: 'initiator-fin', answeredLateMs: 9000 });
    expect(f[0].frames).toContain(late);
    expect(only(check(cap).findings, 'nop-ping')).toHaveLength(0);
  });

  test('a keepalive NOP-Out with ITT 0xffffffff is never unanswered (and is no ping)', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    s.keepalive();
    cap.wait(10);
    s.keepalive();
    cap.wait(10);
    s.fin('initiator');
    const { findings } = check(cap);
    expect(only(findings, 'nop-ping-unanswered')).toEqual([]);
    expect(only(findings, 'nop-ping')).toEqual([]);
    expect(only(findings, 'ttt-echo-mismatch')).toEqual([]);
  });

  test("libiscsi's non-immediate pings consume CmdSN and are no window violation", () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { window: 4 });
    s.login();
    for (let k = 0; k < 6; k++) {
      const p = s.ping({ immediate: false });
      s.pong(p.itt);
      cap.wait(1);
    }
    s.logout();
    s.close();
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ 'nop-ping': 6, logout: 1 });
  });
});

describe('target-ping / target-ping-unanswered / ttt-echo-mismatch', () => {
  test('an echoed target ping is a target-ping; its StatSN is not consumed', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x00);
    s.response(c.itt);
    const n = s.targetPing(7);
    cap.wait(0.001);
    const e = s.echo(7);
    // The next status carries the same StatSN the NOP-In carried.
    const c2 = s.command(0x00);
    s.response(c2.itt);
    s.logout();
    s.close();
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ 'target-ping': 1, logout: 1 });
    expect(only(findings, 'target-ping')[0]).toMatchObject({ severity: 'info', ttt: 7, rttMs: 1, frames: [n, e] });
  });

  test('unanswered target pings: "next-ping" until the last, then how the connection ended', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    cap.wait(1);
    s.targetPing(1);
    cap.wait(1);
    s.targetPing(2);
    cap.wait(1);
    s.targetPing(3);
    cap.wait(1);
    const fin = s.fin('target');
    const f = only(check(cap).findings, 'target-ping-unanswered');
    expect(f.map((x) => [x.ttt, x.then, x.waitedMs])).toEqual([[1, 'next-ping', 1000], [2, 'next-ping', 1000], [3, 'target-fin', 1000]]);
    expect(f[2].frames).toContain(fin);
    expect(f.every((x) => x.severity === 'error')).toBe(true);
  });

  test('an echo with ITT ≠ 0xffffffff, another LUN, or an unoffered TTT is a ttt-echo-mismatch', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    s.targetPing(1);
    const bad1 = s.echo(1, { itt: 0x42, immediate: true });
    s.targetPing(2, 0);
    const bad2 = s.echo(2, { lun: 3 });
    s.targetPing(3);
    const bad3 = s.echo(9);
    s.echo(3);
    s.logout();
    s.close();
    const m = only(check(cap).findings, 'ttt-echo-mismatch');
    expect(m.map((x) => [x.ttt, x.expectedTtt, x.frames[x.frames.length - 1]])).toEqual([[1, 1, bad1], [2, 2, bad2], [9, 3, bad3]]);
    expect(m[0].message).toContain('ITT 0x00000042');
    expect(m[1].message).toContain('LUN 3');
  });

  test('an echo when no target ping waits: expectedTtt 0xffffffff', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    s.echo(0x1234);
    s.logout();
    s.close();
    const m = only(check(cap).findings, 'ttt-echo-mismatch');
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ ttt: 0x1234, expectedTtt: RESERVED });
  });
});
