import { describe, expect, test } from 'vitest';
import { connStateName, explainErrorCode, explainLogLine } from '../../src/codec/index.ts';

// Finding kinds of docs/findings.md: lookFor must only name these.
const KINDS = new Set([
  'nop-ping', 'nop-ping-unanswered', 'target-ping', 'target-ping-unanswered', 'ttt-echo-mismatch', 'statsn-gap',
  'expstatsn-ahead', 'cmdsn-out-of-window', 'command-window-closed', 'slow-command', 'command-unanswered', 'tmf',
  'tmf-unanswered', 'login-failure', 'login-churn', 'session-reinstatement', 'connection-reset',
  'closed-without-logout', 'logout', 'reject', 'async-message', 'digest-error', 'capture-gap', 'snaplen-truncated',
]);

// include/scsi/iscsi_if.h, enum iscsi_err (ISCSI_ERR_BASE 1000 + n).
const KERNEL_NAMES = [
  'DATASN', 'DATA_OFFSET', 'MAX_CMDSN', 'EXP_CMDSN', 'BAD_OPCODE', 'DATALEN', 'AHSLEN', 'PROTO', 'LUN', 'BAD_ITT',
  'CONN_FAILED', 'R2TSN', 'SESSION_FAILED', 'HDR_DGST', 'DATA_DGST', 'PARAM_NOT_FOUND', 'NO_SCSI_CMD',
  'INVALID_HOST', 'XMIT_FAILED', 'TCP_CONN_CLOSE', 'SCSI_EH_SESSION_RST', 'NOP_TIMEDOUT',
];

describe('error codes and states', () => {
  test('every code 1001–1022 has the kernel name, a meaning, what the wire shows, and valid finding kinds', () => {
    KERNEL_NAMES.forEach((n, i) => {
      const e = explainErrorCode(1001 + i);
      expect(e?.errorName).toBe(`ISCSI_ERR_${n}`);
      expect(e?.meaning.length).toBeGreaterThan(10);
      expect(e?.onTheWire.length).toBeGreaterThan(10);
      for (const k of e?.lookFor ?? []) expect(KINDS.has(k), k).toBe(true);
    });
    expect(explainErrorCode(1000)?.errorName).toBe('ISCSI_ERR_BASE');
    expect(explainErrorCode(1023)).toBeUndefined();
    expect(explainErrorCode(1022)?.lookFor).toEqual(['nop-ping-unanswered']);
    expect(explainErrorCode(1021)?.lookFor).toEqual(['tmf-unanswered', 'slow-command', 'command-unanswered']);
    expect(explainErrorCode(1020)?.lookFor).toEqual(['connection-reset', 'closed-without-logout']);
  });

  test('enum iscsi_conn_state 0–6', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(connStateName)).toEqual([
      'FREE', 'XPT_WAIT', 'IN_LOGIN', 'LOGGED_IN', 'IN_LOGOUT', 'LOGOUT_REQUESTED', 'CLEANUP_WAIT']);
    expect(connStateName(7)).toBeUndefined();
  });
});

describe('log lines', () => {
  test('iscsid "Kernel reported …" with state', () => {
    const x = explainLogLine('Jun 22 16:30:48 hostname iscsid: Kernel reported iSCSI connection 3:0 error (1022 - ISCSI_ERR_NOP_TIMEDOUT: A NOP has timed out) state (3)');
    expect(x).toMatchObject({
      kind: 'conn-error', code: 1022, errorName: 'ISCSI_ERR_NOP_TIMEDOUT', connection: '3:0', sessionId: 3, cid: 0,
      state: 3, stateName: 'LOGGED_IN', lookFor: ['nop-ping-unanswered'],
    });
    expect(x?.onTheWire).toMatch(/NOP-Out ping with a valid ITT.*noop_out_timeout.*same ISID/);
  });

  test('an error text that itself contains parentheses', () => {
    const x = explainLogLine('iscsid: Kernel reported iSCSI connection 2:1 error (1012 - ISCSI_ERR_R2TSN: Received invalid R2T (Ready to Transfer) data sequence number from target) state (3)');
    expect(x).toMatchObject({ code: 1012, connection: '2:1', state: 3 });
  });

  test('iscsid 1020 line', () => {
    const x = explainLogLine('iscsid: Kernel reported iSCSI connection 1:0 error (1020 - ISCSI_ERR_TCP_CONN_CLOSE: TCP connection closed) state (3)');
    expect(x).toMatchObject({ code: 1020, errorName: 'ISCSI_ERR_TCP_CONN_CLOSE', connection: '1:0', lookFor: ['connection-reset', 'closed-without-logout'] });
  });

  test('kernel "detected conn error" and bare "conn error"', () => {
    expect(explainLogLine('[3011710.723336] connection3:0: detected conn error (1021)'))
      .toMatchObject({ code: 1021, connection: '3:0', lookFor: ['tmf-unanswered', 'slow-command', 'command-unanswered'] });
    expect(explainLogLine('detected conn error (1011)')).toMatchObject({ code: 1011, errorName: 'ISCSI_ERR_CONN_FAILED' });
    expect(explainLogLine('conn error (1020)')).toMatchObject({ code: 1020 });
    expect(explainLogLine('conn error (1020)')?.connection).toBeUndefined();
  });

  test('ping timeout: jiffies, ages, seconds at HZ 1000 and 250', () => {
    const x = explainLogLine('connection1:0: ping timeout of 5 secs expired, recv timeout 5, last rx 4299345467, last ping 4299350467, now 4299355467');
    expect(x).toMatchObject({ kind: 'ping-timeout', code: 1022, connection: '1:0', lookFor: ['nop-ping-unanswered'] });
    expect(x?.ping).toMatchObject({
      timeoutSecs: 5, recvTimeoutSecs: 5, lastRx: 4299345467, lastPing: 4299350467, now: 4299355467,
      rxAgeJiffies: 10000, pingAgeJiffies: 5000, estimatedHz: 1000, hz: 1000, rxAgeSecs: 10, pingAgeSecs: 5,
      secondsAtHz: { hz1000: { rxAge: 10, pingAge: 5 }, hz250: { rxAge: 40, pingAge: 20 } },
    });
    expect(x?.meaning).toMatch(/10000 jiffies \(10 s at HZ=1000, 40 s at HZ=250\)/);
  });

  test('ping timeout from the seed incident (HZ estimated from the ping age)', () => {
    const x = explainLogLine('Jun 22 16:31:49 hostname kernel: kernel: connection3:0: ping timeout of 5 secs expired, recv timeout 5, last rx 36174282912, last ping 36174287936, now 36174292992');
    expect(x?.ping).toMatchObject({ rxAgeJiffies: 10080, pingAgeJiffies: 5056, estimatedHz: 1000 });
    expect(x?.connection).toBe('3:0');
  });

  test('recovery, recovery timeout, authentication, login rejected, connect failed', () => {
    expect(explainLogLine('iscsid: connection1:0 is operational after recovery (2 attempts)'))
      .toMatchObject({ kind: 'operational-after-recovery', attempts: 2, connection: '1:0' });
    expect(explainLogLine('session1: session recovery timed out after 120 secs'))
      .toMatchObject({ kind: 'session-recovery-timeout', sessionId: 1, recoverySecs: 120 });
    expect(explainLogLine('iscsid: Login authentication failed with target iqn.2003-01.org.linux-iscsi.host:sn.1234'))
      .toMatchObject({ kind: 'login-auth-failed', target: 'iqn.2003-01.org.linux-iscsi.host:sn.1234', loginStatusText: 'Authentication failure', lookFor: ['login-failure', 'login-churn'] });
    expect(explainLogLine('iscsid: conn 0 login rejected: initiator error - target not found (02/03)'))
      .toMatchObject({ kind: 'login-rejected', loginStatusClass: 2, loginStatusDetail: 3, loginStatusText: 'Not found' });
    expect(explainLogLine('iscsid: connect to 10.0.0.5:3260 failed (Connection refused)'))
      .toMatchObject({ kind: 'connect-failed', target: '10.0.0.5:3260' });
  });

  test('every explanation only points at finding kinds that exist', () => {
    const lines = [
      'conn error (1001)', 'conn error (1008)', 'conn error (1013)', 'conn error (1019)',
      'session1: session recovery timed out after 120 secs', 'iscsid: connection1:0 is operational after recovery (1 attempt)',
    ];
    for (const l of lines) for (const k of explainLogLine(l)?.lookFor ?? ['missing']) expect(KINDS.has(k), `${l}: ${k}`).toBe(true);
  });

  test('unknown error numbers still parse, garbage lines give undefined', () => {
    expect(explainLogLine('conn error (4242)')).toMatchObject({ code: 4242, lookFor: [] });
    for (const l of ['', 'hello world', 'sd 2:0:0:0: [sda] Attached SCSI disk', 'conn error', 'ping timeout of x secs',
      'Kernel reported iSCSI connection error', '\u0000\uffff<script>']) {
      expect(explainLogLine(l)).toBeUndefined();
    }
  });
});
