import { describe, expect, test } from 'vitest';
import { Conv, SynthCapture, check, kinds, only } from './synth.ts';

/** A complete, clean session: login, one command, logout, FINs. */
function clean(cap: SynthCapture, opts: ConstructorParameters<typeof Conv>[1] = {}): Conv {
  const s = new Conv(cap, opts);
  s.login();
  const c = s.command(0x00);
  s.response(c.itt);
  s.logout();
  s.close();
  return s;
}

describe('login-failure', () => {
  test('a Login Response with a non-zero status class', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    const [req, rsp] = s.login({ statusClass: 2, statusDetail: 2 });
    s.fin('target');
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ 'login-failure': 1 });
    expect(only(findings, 'login-failure')[0]).toMatchObject({
      severity: 'error', conn: 0, statusClass: 2, statusDetail: 2, statusText: 'Authorization failure', frames: [req, rsp],
    });
  });
});

describe('login-unanswered', () => {
  // RFC 7143 §6.3: every Login Request is answered by a Login Response.
  test('the target ACKs the Login Request, never answers it; the initiator gives up after 5 s', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    const [req] = s.login({ noResponse: true });
    const ack = s.c.ack('target');
    cap.wait(5);
    const fin = s.fin('initiator');
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ 'login-unanswered': 1 });
    const f = only(findings, 'login-unanswered')[0];
    expect(f).toMatchObject({
      severity: 'error', conn: 0, frame: req, frames: [req, ack, fin], waitedMs: 5000, then: 'initiator-fin', tcpAcked: true, tcpAckFrame: ack,
    });
    expect(f.message).toContain('Login Request of iqn.2024-01.test:host1 to iqn.2024-01.test:disk1 got no Login Response for 5');
    expect(f.message).toContain('the target host was up but its iSCSI layer stopped answering');
  });

  test('the incident: logins of one initiator to one target the target never answered, TCP-acknowledged', () => {
    const cap = new SynthCapture();
    for (const port of [40000, 40001]) {
      const s = new Conv(cap, { initiator: `10.0.0.1:${port}` });
      s.login({ noResponse: true });
      s.c.ack('target');
      cap.wait(5);
      s.fin('initiator');
    }
    const { findings, analysis } = check(cap);
    expect(kinds(findings)).toEqual({ 'login-unanswered': 2 });
    const i = analysis.incidents.filter((x) => x.kind === 'login-unanswered');
    expect(i).toHaveLength(1);
    expect(i[0].severity).toBe('error');
    expect(i[0].findings).toHaveLength(2);
    expect(i[0].headline).toBe('The target never answered 2 logins of iqn.2024-01.test:host1 to iqn.2024-01.test:disk1 — its TCP acknowledged them: the target host was up, its iSCSI layer did not answer.');
  });

  test('not even TCP-acknowledged: the initiator resets after 2 s', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    const [req] = s.login({ noResponse: true });
    cap.wait(2);
    const rst = s.rst('initiator');
    const f = only(check(cap).findings, 'login-unanswered');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', frames: [req, rst], waitedMs: 2000, then: 'initiator-reset', tcpAcked: false });
    expect(f[0].message).toContain('no TCP acknowledgement either');
  });

  test('the target closes after 2 s: its FIN acknowledges the request', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    const [req] = s.login({ noResponse: true });
    cap.wait(2);
    const fin = s.fin('target');
    const f = only(check(cap).findings, 'login-unanswered');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', frames: [req, fin], waitedMs: 2000, then: 'target-fin', tcpAcked: true, tcpAckFrame: fin });
  });

  test('still waiting when the capture ends: a warning', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login({ noResponse: true });
    s.c.ack('target');
    cap.wait(1);
    s.c.ack('initiator');
    const f = only(check(cap).findings, 'login-unanswered');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', waitedMs: 1000, then: 'capture-end' });
  });

  test('an answered login, even refused, is no login-unanswered', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login({ responseAfter: 3 });
    s.fin('initiator');
    expect(only(check(cap).findings, 'login-unanswered')).toHaveLength(0);
  });
});

describe('how connections end', () => {
  test('Logout then FIN: a logout finding, nothing else', () => {
    const cap = new SynthCapture();
    clean(cap);
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ logout: 1 });
    expect(only(findings, 'logout')[0]).toMatchObject({ severity: 'info', reason: 0, response: 0 });
  });

  test('FIN without Logout: closed-without-logout by whoever sent it; by the target it names 1020', () => {
    for (const by of ['initiator', 'target'] as const) {
      const cap = new SynthCapture();
      const s = new Conv(cap);
      s.login();
      const fin = s.fin(by);
      const f = only(check(cap).findings, 'closed-without-logout');
      expect(f, by).toHaveLength(1);
      expect(f[0], by).toMatchObject({ severity: 'warning', by, frames: [fin] });
      expect(f[0].message.includes('1020'), by).toBe(by === 'target');
    }
  });

  test('RST on a connection in use: connection-reset by that side; after Logout: nothing', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const c = s.command();
    const rst = s.rst('target');
    const f = only(check(cap).findings, 'connection-reset');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', by: 'target', frames: [rst] });
    expect(f[0].message).toContain('1 command');
    expect(c.itt).toBeGreaterThan(0);

    const cap2 = new SynthCapture();
    const t = new Conv(cap2);
    t.login();
    t.logout();
    t.rst('initiator');
    expect(kinds(check(cap2).findings)).toEqual({ logout: 1 });
  });

  test('an RST after the same side\'s FIN is the closed socket refusing late data: no connection-reset', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    s.fin('initiator');
    s.targetPing(1);
    s.rst('initiator');
    const { findings } = check(cap);
    expect(only(findings, 'connection-reset')).toEqual([]);
    expect(only(findings, 'closed-without-logout')).toHaveLength(1);
  });

  test('a refused login that the target closes is only a login-failure', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login({ statusClass: 3, statusDetail: 1 });
    s.rst('target');
    expect(kinds(check(cap).findings)).toEqual({ 'login-failure': 1 });
  });
});

describe('session-reinstatement', () => {
  test('a login with the ISID of a session that ended without Logout (gapMs from its end)', () => {
    const cap = new SynthCapture();
    const a = new Conv(cap);
    a.login();
    const fin = a.fin('initiator');
    cap.wait(2);
    const b = new Conv(cap, { initiator: '10.0.0.1:40001', tsih: 0x200 });
    const [req, rsp] = b.login();
    const { findings, model } = check(cap);
    const f = only(findings, 'session-reinstatement');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      severity: 'warning', conn: 1, conns: [0, 1], isid: '80:12:34:56:00:00', previousConn: 0, gapMs: 2000, sameIsid: true,
      frames: [fin, req, rsp],
    });
    // Two sessions (TSIH 0x100 and 0x200), one connection each.
    expect(model.sessions.map((x) => [x.tsih, x.conns])).toEqual([[0x100, [0]], [0x200, [1]]]);
  });

  test('a login with the ISID of a session still open is a reinstatement too', () => {
    const cap = new SynthCapture();
    const a = new Conv(cap);
    a.login();
    cap.wait(1);
    const b = new Conv(cap, { initiator: '10.0.0.1:40001', tsih: 0x200 });
    b.login();
    const f = only(check(cap).findings, 'session-reinstatement');
    expect(f.map((x) => [x.previousConn, x.sameIsid, x.gapMs])).toEqual([[0, true, 1000]]);
  });

  test('after a clean Logout the same ISID logs in again without a finding', () => {
    const cap = new SynthCapture();
    clean(cap);
    cap.wait(1);
    clean(cap, { initiator: '10.0.0.1:40001', tsih: 0x200 });
    expect(only(check(cap).findings, 'session-reinstatement')).toEqual([]);
  });

  test('a second connection joining a live session (same TSIH, another CID) is not a reinstatement', () => {
    const cap = new SynthCapture();
    const a = new Conv(cap);
    a.login();
    const b = new Conv(cap, { initiator: '10.0.0.1:40001', cid: 1 });
    b.login();
    const { findings, model } = check(cap);
    expect(only(findings, 'session-reinstatement')).toEqual([]);
    expect(model.sessions.map((x) => x.conns)).toEqual([[0, 1]]);
  });

  test('a new ISID after a failed connection (libiscsi reconnect) is a relogin, not a reinstatement; nothing after a healthy one', () => {
    const cap = new SynthCapture();
    const a = new Conv(cap);
    a.login();
    a.ping();
    cap.wait(5);
    a.fin('initiator');
    const b = new Conv(cap, { initiator: '10.0.0.1:40001', isid: '80:99:99:99:00:00', tsih: 0x200 });
    b.login();
    const found = check(cap).findings;
    expect(only(found, 'session-reinstatement')).toEqual([]);
    const f = only(found, 'relogin');
    expect(f.map((x) => [x.previousConn, x.sameIsid, x.isid, x.previousIsid])).toEqual([[0, false, '80:99:99:99:00:00', '80:12:34:56:00:00']]);

    // iscsi-ls style: a session closed (FIN, no Logout) with nothing outstanding, then another.
    const cap2 = new SynthCapture();
    const c = new Conv(cap2);
    c.login();
    c.fin('initiator');
    const d = new Conv(cap2, { initiator: '10.0.0.1:40001', isid: '80:99:99:99:00:00', tsih: 0x200 });
    d.login();
    expect(only(check(cap2).findings, 'session-reinstatement')).toEqual([]);
    expect(only(check(cap2).findings, 'relogin')).toEqual([]);
  });
});

describe('login-churn', () => {
  test('≥ churnLogins logins within churnWindowS: one finding per burst, discovery logins counted apart', () => {
    const cap = new SynthCapture();
    let port = 41000;
    const burst = (n: number): void => {
      for (let k = 0; k < n; k++) {
        const d = new Conv(cap, { initiator: `10.0.0.1:${port++}`, discovery: true, isid: '80:00:00:00:00:01' });
        d.login();
        d.sendTargets();
        d.logout();
        d.close();
        const s = new Conv(cap, { initiator: `10.0.0.1:${port++}`, isid: '80:00:00:00:00:02' });
        s.login();
        s.logout();
        s.close();
        cap.wait(2);
      }
    };
    burst(4); // 8 logins in 6 s
    cap.wait(120);
    burst(2); // 4 logins: below the threshold
    const f = only(check(cap).findings, 'login-churn');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      severity: 'warning', logins: 8, discoveryLogins: 4, windowMs: 6000, initiator: 'iqn.2024-01.test:host1', target: '10.0.0.2:3260',
    });
    expect(f[0].conns).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(f[0].frames).toHaveLength(8);
    expect(only(check(cap, { churnLogins: 3 }).findings, 'login-churn').map((x) => x.logins)).toEqual([8, 4]);
    expect(only(check(cap, { churnWindowS: 1 }).findings, 'login-churn')).toEqual([]);
  });
});
