import { describe, expect, test } from 'vitest';
import { Conv, RESERVED, SynthCapture, check, kinds, only } from './synth.ts';

/**
 * The seed incidents (shared/seeds), each as a synthetic capture reproducing its timeline with
 * open-iscsi's defaults: noop_out_interval 5 s, noop_out_timeout 5 s, SCSI command timeout 30 s,
 * abort_timeout 15 s, lu_reset_timeout 30 s, DefaultTime2Wait 2 s.
 */
describe('seed incidents', () => {
  test('(1) NOP-Out ping timeout → 1022 → FIN → re-login with the same ISID after ~2 s', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { initiatorName: 'iqn.1994-05.com.redhat:client' });
    s.login();
    // Idle: the kernel pings every noop_out_interval and the target answers.
    for (let k = 0; k < 2; k++) {
      cap.wait(5);
      const p = s.ping();
      cap.wait(0.0005);
      s.pong(p.itt);
    }
    // The target stops answering: last rx at t0, ping at t0 + 5 s, timeout at t0 + 10 s.
    cap.wait(5);
    const ping = s.ping();
    cap.wait(5);
    const fin = s.fin('initiator');
    cap.wait(2); // DefaultTime2Wait
    const again = new Conv(cap, { initiatorName: 'iqn.1994-05.com.redhat:client', initiator: '10.0.0.1:40001', tsih: 0x200 });
    const [login] = again.login();
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ 'nop-ping': 2, 'nop-ping-unanswered': 1, 'closed-without-logout': 1, 'session-reinstatement': 1 });
    const u = only(findings, 'nop-ping-unanswered')[0];
    expect(u).toMatchObject({ itt: ping.itt, waitedMs: 5000, then: 'initiator-fin', frames: [ping.frame, fin] });
    expect(u.message).toContain('ISCSI_ERR_NOP_TIMEDOUT (1022)');
    const r = only(findings, 'session-reinstatement')[0];
    expect(r).toMatchObject({ isid: '80:12:34:56:00:00', previousConn: 0, gapMs: 2000, sameIsid: true });
    expect(r.frames).toContain(login);
  });

  test('(2) slow backstore: READ outstanding 30 s+ → ABORT TASK unanswered 15 s → LU RESET → session reset (1021) → re-login answered late', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const read = s.command(0x28);
    // First SCSI timer expiry without progress: a NOP-Out, which the target's iSCSI layer answers.
    cap.wait(30);
    const p = s.ping();
    s.pong(p.itt);
    cap.wait(30);
    const abort = s.tmf(1, read.itt, { refCmdSN: s.cmdSN - 1 });
    cap.wait(15); // abort_timeout
    const reset = s.tmf(5, RESERVED);
    cap.wait(30); // lu_reset_timeout: the session is dropped
    s.fin('initiator');
    cap.wait(2);
    const again = new Conv(cap, { initiator: '10.0.0.1:40001', tsih: 0x200 });
    // The target's login thread waits for the old session's tasks: the Login Response comes 20 s late.
    again.login({ responseAfter: 20 });
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({
      'nop-ping': 1, 'command-unanswered': 1, 'tmf-unanswered': 2, 'closed-without-logout': 1, 'session-reinstatement': 1,
    });
    const cmd = only(findings, 'command-unanswered')[0];
    expect(cmd).toMatchObject({ itt: read.itt, scsiOpcode: 0x28, waitedMs: 105000, then: 'initiator-fin', severity: 'error' });
    const tmfs = only(findings, 'tmf-unanswered');
    expect(tmfs.map((x) => [x.tmfFunction, x.referencedFrame, x.outstandingMs, x.waitedMs])).toEqual([
      [1, read.frame, 60000, 45000], [5, read.frame, 75000, 30000],
    ]);
    expect(tmfs[0].frames).toContain(abort.frame);
    expect(tmfs[1].frames).toContain(reset.frame);
    for (const t of tmfs) expect(t.message).toContain('ISCSI_ERR_SCSI_EH_SESSION_RST (1021)');
    const r = only(findings, 'session-reinstatement')[0];
    expect(r).toMatchObject({ sameIsid: true, gapMs: 2000, loginMs: 20000 });
    expect(r.message).toContain('20.0 s to answer the login');
  });

  test('(3) rediscovery loop: Discovery login, SendTargets, Logout, again and again', () => {
    const cap = new SynthCapture();
    for (let k = 0; k < 10; k++) {
      const d = new Conv(cap, { initiator: `10.0.0.1:${42000 + k}`, initiatorName: 'iqn.1986-03.com.sun:01:host', discovery: true,
        isid: `40:00:01:37:00:${k.toString(16).padStart(2, '0')}` });
      d.login();
      d.sendTargets();
      d.logout();
      d.close();
      cap.wait(5);
    }
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ 'login-churn': 1, logout: 10 });
    expect(only(findings, 'login-churn')[0]).toMatchObject({
      logins: 10, discoveryLogins: 10, windowMs: 45000, medianIntervalMs: 5000, initiator: 'iqn.1986-03.com.sun:01:host', target: '10.0.0.2:3260',
    });
    expect(only(findings, 'login-churn')[0].message).toContain('SendTargets');
  });

  test('(4) keepalive NOP-Out ITT = TTT = 0xffffffff with no answer; target NOP-In echoed with its TTT and LUN, StatSN not counted', () => {
    const run = (countsNopInStatSN: boolean) => {
      const cap = new SynthCapture();
      const s = new Conv(cap);
      s.login();
      let extra = 0;
      for (let k = 1; k <= 3; k++) {
        cap.wait(10);
        s.keepalive(); // no answer expected, none comes
        cap.wait(5);
        s.targetPing(0x100 + k, 2);
        cap.wait(0.001);
        if (countsNopInStatSN) extra = 1;
        s.echo(0x100 + k, { lun: 2, expStatSN: s.statSN + extra });
        const c = s.command(0x00, { expStatSN: s.statSN + extra });
        s.response(c.itt);
      }
      s.logout();
      s.close();
      return check(cap).findings;
    };
    const good = run(false);
    expect(kinds(good)).toEqual({ 'target-ping': 3, logout: 1 });
    expect(only(good, 'target-ping').map((f) => [f.ttt, f.rttMs])).toEqual([[0x101, 1], [0x102, 1], [0x103, 1]]);
    const buggy = run(true);
    const ahead = only(buggy, 'expstatsn-ahead');
    expect(ahead).toHaveLength(1);
    expect(ahead[0]).toMatchObject({ severity: 'error', counted: 'NOP-In' });
    expect(only(buggy, 'nop-ping-unanswered')).toEqual([]);
  });
});
