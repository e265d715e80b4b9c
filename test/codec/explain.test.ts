import { describe, expect, test } from 'vitest';
import {
  byteSwap32, connStateName, EXCERPT_MAX_LINE, EXCERPT_MAX_LINES, explainErrorCode, explainExcerpt, explainLogLine,
} from '../../src/codec/index.ts';
import type { Explanation } from '../../src/codec/index.ts';

// Finding kinds of docs/findings.md (its vocabulary, the TCP findings, and the README's additions
// relogin, data-segment-over-limit): lookFor must only name these.
const KINDS = new Set([
  'nop-ping', 'nop-ping-unanswered', 'target-ping', 'target-ping-unanswered', 'ttt-echo-mismatch', 'statsn-gap',
  'expstatsn-ahead', 'cmdsn-out-of-window', 'command-window-closed', 'slow-command', 'command-unanswered', 'tmf',
  'tmf-unanswered', 'login-failure', 'login-churn', 'session-reinstatement', 'connection-reset',
  'closed-without-logout', 'logout', 'reject', 'async-message', 'digest-error', 'capture-gap', 'snaplen-truncated',
  'digest-unnegotiated', 'tcp-retransmissions', 'tcp-zero-window', 'connect-refused', 'connect-unanswered',
  'relogin', 'data-segment-over-limit',
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

// Lines below are real messages: the seed incidents (../shared/seeds), lines quoted in public bug
// reports and mailing-list threads (LIO target, tcmu-runner, ceph-iscsi), and the printk / log_*
// format strings of the sources named in src/codec/explain.ts filled in the way those sources do.
describe('initiator messages: iscsid, iscsiadm', () => {
  test('"is operational now" names the target, the portal and the iface', () => {
    const x = explainLogLine('Mar 24 14:11:21 node1 iscsid[1234]: Connection3:0 to [target: iqn.2003-01.org.linux-iscsi.storage.x8664:sn.0a1b2c3d4e5f, portal: 192.168.10.20,3260] through [iface: default] is operational now');
    expect(x).toMatchObject({
      kind: 'operational-now', source: 'iscsid', side: 'initiator', connection: '3:0', sessionId: 3, cid: 0,
      target: 'iqn.2003-01.org.linux-iscsi.storage.x8664:sn.0a1b2c3d4e5f', portal: '192.168.10.20:3260', iface: 'default',
    });
    expect(explainLogLine('iscsid: Connection1:0 to [target: iqn.2024-01.lab.tgt:disk1, portal: fe80::1,3260] through [iface: default] is shutdown.'))
      .toMatchObject({ kind: 'conn-shutdown', portal: '[fe80::1]:3260', lookFor: ['logout', 'closed-without-logout'] });
  });

  test('iscsiadm login and logout results', () => {
    expect(explainLogLine('Login to [iface: default, target: iqn.2024-01.lab.tgt:disk1, portal: 10.0.0.5,3260] successful.'))
      .toMatchObject({ kind: 'login-ok', source: 'iscsiadm', target: 'iqn.2024-01.lab.tgt:disk1', portal: '10.0.0.5:3260' });
    expect(explainLogLine('iscsiadm: Could not login to [iface: default, target: iqn.2024-01.lab.tgt:disk1, portal: 10.0.0.5,3260].'))
      .toMatchObject({ kind: 'login-failed', portal: '10.0.0.5:3260' });
    expect(explainLogLine('Logout of [sid: 4, target: iqn.2024-01.lab.tgt:disk1, portal: 10.0.0.5,3260] successful.'))
      .toMatchObject({ kind: 'logout-ok', sessionId: 4, lookFor: ['logout'] });
  });

  test('login rejections with and without a status code, authentication by session', () => {
    expect(explainLogLine('iscsid: connection2:0 login rejected: initiator failed authorization with target'))
      .toMatchObject({ kind: 'login-rejected', connection: '2:0', loginStatusClass: 2, loginStatusDetail: 2, loginStatusText: 'Authorization failure' });
    expect(explainLogLine('iscsid: connection1:0 login rejected: target error (03/01)'))
      .toMatchObject({ kind: 'login-rejected', connection: '1:0', loginStatusClass: 3, loginStatusDetail: 1, loginStatusText: 'Service unavailable' });
    expect(explainLogLine('iscsid: session 5 login rejected: Initiator failed authentication with target'))
      .toMatchObject({ kind: 'login-auth-failed', sessionId: 5, loginStatusDetail: 1 });
    expect(explainLogLine('iscsid: connection1:0 login rejected: redirection type 0x3 not supported'))
      .toMatchObject({ kind: 'login-rejected', loginStatusClass: 1, loginStatusDetail: 3 });
    expect(explainLogLine('iscsid: connection1:0 login response with unknown status class 0x4, detail 0x0'))
      .toMatchObject({ kind: 'login-rejected', connection: '1:0', loginStatusClass: 4, loginStatusDetail: 0 });
  });

  test('connection attempts that fail', () => {
    expect(explainLogLine('iscsid: connection1:0 cannot make a connection to 10.0.0.5:3260 (-1,111)'))
      .toMatchObject({ kind: 'connect-failed', connection: '1:0', portal: '10.0.0.5:3260' });
    expect(explainLogLine('iscsid: connect to 10.0.0.5:3260 failed (No route to host)')?.lookFor).toContain('connect-unanswered');
    expect(explainLogLine('iscsid: connect to 10.0.0.5 timed out')).toMatchObject({ kind: 'connect-failed', portal: '10.0.0.5' });
  });

  test("iscsid's own NOP-Out timeout and the target's async drop", () => {
    expect(explainLogLine('iscsid: Nop-out timedout after 15 seconds on connection 1:0 state (3). Dropping session.'))
      .toMatchObject({ kind: 'ping-timeout', source: 'iscsid', code: 1022, connection: '1:0', timeoutSecs: 15, stateName: 'LOGGED_IN' });
    expect(explainLogLine('iscsid: Target dropping all connections, reconnect min 2 max 20'))
      .toMatchObject({ kind: 'target-dropping', lookFor: ['async-message', 'closed-without-logout', 'connection-reset'] });
    expect(explainLogLine('iscsid: connection1:0 Target dropping 0, reconnect min 2 max 20')?.connection).toBe('1:0');
  });

  test('the kernel ping timeout carries its timeout in seconds', () => {
    expect(explainLogLine(' connection4:0: ping timeout of 5 secs expired, recv timeout 5, last rx 4296241093, last ping 4296246144, now 4296251392'))
      .toMatchObject({ kind: 'ping-timeout', source: 'kernel', timeoutSecs: 5, connection: '4:0' });
  });

  test('a rejected PDU', () => {
    expect(explainLogLine(' connection1:0: pdu (op 0x1 itt 0x2a) rejected. Reason code 0x9'))
      .toMatchObject({ kind: 'pdu-rejected', opcode: 1, itt: 0x2a, rejectReason: 9, rejectReasonText: 'Invalid PDU field', connection: '1:0' });
    expect(explainLogLine('connection1:0: pdu (op 0x5 itt 0x10) rejected due to DataDigest error.'))
      .toMatchObject({ rejectReason: 2 });
  });
});

describe('initiator messages: SCSI midlayer and block layer', () => {
  test('offline device, error recovery, I/O errors (from the seed incident and a real dmesg)', () => {
    expect(explainLogLine('[ 1704.984660] sd 6:0:0:0: rejecting I/O to offline device'))
      .toMatchObject({ kind: 'device-offline', source: 'scsi', scsiDevice: '6:0:0:0' });
    expect(explainLogLine('[Fri Mar 24 15:35:29 2023] sd 12:0:0:1: Device offlined - not ready after error recovery'))
      .toMatchObject({ kind: 'device-offlined', scsiDevice: '12:0:0:1' });
    expect(explainLogLine('[ 1704.984883] I/O error, dev sdf, sector 401408 op 0x1:(WRITE) flags 0x2004000 phys_seg 128 prio class 2'))
      .toMatchObject({ kind: 'io-error', disk: 'sdf', sector: 401408, operation: 'WRITE' });
    expect(explainLogLine('end_request: I/O error, dev sdb, sector 0')).toMatchObject({ kind: 'io-error', disk: 'sdb', sector: 0 });
  });

  test('host bytes: DID_TRANSPORT_DISRUPTED (seed), DID_TRANSPORT_FAILFAST, DID_TIME_OUT', () => {
    const d = explainLogLine('[Fri Mar 24 15:35:29 2023] sd 12:0:0:1: [sds] tag#95 FAILED Result: hostbyte=DID_TRANSPORT_DISRUPTED driverbyte=DRIVER_OK');
    expect(d).toMatchObject({ kind: 'scsi-result', hostByte: 'DID_TRANSPORT_DISRUPTED', driverByte: 'DRIVER_OK', scsiDevice: '12:0:0:1', disk: 'sds' });
    const f = explainLogLine('sd 8:0:0:0: [sdb] Synchronize Cache(10) failed: Result: hostbyte=DID_TRANSPORT_FAILFAST driverbyte=DRIVER_OK');
    expect(f?.meaning).toMatch(/replacement_timeout/);
    expect(f?.lookFor).toContain('session-reinstatement');
    expect(explainLogLine('sd 5:0:0:0: [sde] tag#149 FAILED Result: hostbyte=DID_TIME_OUT driverbyte=DRIVER_OK cmd_age=124s')?.lookFor)
      .toEqual(['slow-command', 'command-unanswered', 'tmf', 'tmf-unanswered']);
  });
});

describe('target messages: LIO', () => {
  const NEXUS = 'iqn.2003-01.org.linux-iscsi.localhost.x8664:sn.a6b106aa84c2:xsk,i,0x00023d000004,iqn.2003-01.org.linux-iscsi.localhost.x8664:sn.a6b106aa84c2,t,0x01';

  test('ABORT_TASK: the tag is printed in host order, so the wire ITT is it or its byte swap', () => {
    const x = explainLogLine('[   83.563505] ABORT_TASK: Found referenced iSCSI task_tag: 3372979269');
    expect(x).toMatchObject({ kind: 'abort-task', source: 'lio', side: 'target', taskTag: 3372979269, tmfFunction: 1 });
    expect(x?.taskTagOnWire).toEqual([3372979269, byteSwap32(3372979269)]);
    expect(explainLogLine('ABORT_TASK: Sending TMR_FUNCTION_COMPLETE for ref_tag: 3372979269'))
      .toMatchObject({ kind: 'abort-task-done', tmfResponse: 0, tmfResponseText: 'Function complete' });
    expect(explainLogLine('ABORT_TASK: Sending TMR_TASK_DOES_NOT_EXIST for ref_tag: 1040'))
      .toMatchObject({ kind: 'abort-task-done', tmfResponse: 1, tmfResponseText: 'Task does not exist', taskTag: 1040 });
  });

  test('LUN_RESET start and end', () => {
    expect(explainLogLine('LUN_RESET: TMR starting for [iblock], tas: 1')).toMatchObject({ kind: 'lun-reset', tmfFunction: 5 });
    expect(explainLogLine('LUN_RESET: TMR for [iblock] Complete')).toMatchObject({ kind: 'lun-reset-done' });
  });

  test('the I_T nexus gives initiator, ISID, target and TPGT', () => {
    expect(explainLogLine(`[ 1576.866364] Unable to recover from DataOut timeout while in ERL=0, closing iSCSI connection for I_T Nexus ${NEXUS}`)).toMatchObject({
      kind: 'dataout-timeout', initiator: 'iqn.2003-01.org.linux-iscsi.localhost.x8664:sn.a6b106aa84c2:xsk', isid: '00:02:3d:00:00:04',
      target: 'iqn.2003-01.org.linux-iscsi.localhost.x8664:sn.a6b106aa84c2', tpgt: 1,
    });
    expect(explainLogLine(`[ 1617.428294] Did not receive response to NOPIN on CID: 0, failing connection for I_T Nexus ${NEXUS}`))
      .toMatchObject({ kind: 'target-ping-timeout', cid: 0, isid: '00:02:3d:00:00:04', lookFor: ['target-ping-unanswered', 'closed-without-logout', 'connection-reset'] });
    // An LIO bug report's nexus with a null initiator name.
    const n = explainLogLine('Did not receive response to NOPIN on CID: 0, failing connection for I_T Nexus (null),i,0x00023d000125,iqn.2017-01.com.iscsi.target,t,0x3d');
    expect(n).toMatchObject({ isid: '00:02:3d:00:01:25', target: 'iqn.2017-01.com.iscsi.target', tpgt: 0x3d });
    expect(n?.initiator).toBeUndefined();
  });

  test('login timeouts, failed sends, Time2Retain, missing LUNs (lines from real target logs)', () => {
    expect(explainLogLine('Nov 10 15:49:23 sds-3-94 kernel: iSCSI Login timeout on Network Portal 10.128.3.94:3260'))
      .toMatchObject({ kind: 'login-timeout', portal: '10.128.3.94:3260' });
    expect(explainLogLine('iSCSI Login timeout on Network Portal [::]:3260')).toMatchObject({ portal: '[::]:3260' });
    expect(explainLogLine('Nov 10 15:49:08 sds-3-94 kernel: iSCSI Login negotiation failed.')).toMatchObject({ kind: 'login-negotiation-failed' });
    expect(explainLogLine('Nov 10 15:49:08 sds-3-94 kernel: Unexpected ret: -104 send data 48'))
      .toMatchObject({ kind: 'send-failed', errno: -104, errnoName: 'ECONNRESET' });
    expect(explainLogLine('Unexpected ret: -32 send data 48')).toMatchObject({ errno: -32, errnoName: 'EPIPE' });
    expect(explainLogLine('Nov 10 15:49:08 sds-3-94 kernel: tx_data returned -32, expecting 48.')).toMatchObject({ kind: 'send-failed', errnoName: 'EPIPE' });
    expect(explainLogLine('<3>[154908.716136] Time2Retain timer expired for SID: 1, cleaning up iSCSI session.'))
      .toMatchObject({ kind: 'time2retain-expired', sessionId: 1 });
    expect(explainLogLine('[Fri Feb 6 19:31:01 2026] TARGET_CORE[iSCSI]: Detected NON_EXISTENT_LUN Access for 0x0000004b from iqn.2023-06.csm.iscsi:x1005c6s4b1n0'))
      .toMatchObject({ kind: 'no-such-lun', lun: 0x4b, initiator: 'iqn.2023-06.csm.iscsi:x1005c6s4b1n0' });
    expect(explainLogLine('iSCSI Initiator Node: iqn.1994-05.com.redhat:abc123 is not authorized to access iSCSI target portal group: 1.'))
      .toMatchObject({ kind: 'initiator-not-authorized', initiator: 'iqn.1994-05.com.redhat:abc123', tpgt: 1, loginStatusText: 'Authorization failure' });
    expect(explainLogLine('Unable to locate Target IQN: iqn.2024-01.lab:none in Storage Node'))
      .toMatchObject({ kind: 'target-not-found', target: 'iqn.2024-01.lab:none', loginStatusDetail: 3 });
  });
});

describe('target messages: tgtd', () => {
  test("tgtd's NOP timeout, aborts, backstore errors, CmdSN, digests", () => {
    expect(explainLogLine('Nov 22 20:09:40 lab tgtd: iscsi_tcp_nop_work_handler(109) tcp connection timed out after 3 failed NOP-OUT'))
      .toMatchObject({ kind: 'target-ping-timeout', source: 'tgtd', side: 'target' });
    const a = explainLogLine('tgtd: abort_task_set(1349) found 8e504519 0');
    expect(a).toMatchObject({ kind: 'abort-task', source: 'tgtd', taskTag: 0x8e504519, tmfFunction: 1 });
    expect(a?.taskTagOnWire).toEqual([0x8e504519, 0x1945508e]);
    expect(explainLogLine('tgtd: abort_task_set(1349) found 0 1')).toMatchObject({ kind: 'abort-task', tmfFunction: 2 });
    expect(explainLogLine('tgtd: abort_task_set(1349) found 0 1')?.taskTag).toBeUndefined();
    // A real tgtd line of a LOGICAL UNIT RESET (test/fixtures/logs/tgtd-real.journal).
    expect(explainLogLine('tgtd: abort_task_set(1349) found 0 0')).toMatchObject({ kind: 'lun-reset', source: 'tgtd', tmfFunction: 5 });
    expect(explainLogLine('tgtd: abort_cmd(1325) found 8e504519 6')).toMatchObject({ kind: 'task-aborted', taskTag: 0x8e504519 });
    expect(explainLogLine('tgtd: bs_rdwr_request(349) io error 0x55d0c0a0e2f0 28 -1 4096 1052672, Input/output error'))
      .toMatchObject({ kind: 'backstore-io-error', opcode: 0x28 });
    expect(explainLogLine('tgtd: iscsi_cmd_rx_start(1621) unexpected cmd_sn (11,12)')).toMatchObject({ kind: 'unexpected-cmdsn', cmdSN: 11, expCmdSN: 12 });
    expect(explainLogLine('tgtd: iscsi_rx_handler(2149) rx hdr digest error 0x1b2c3d4e calc 0x5f6a7b8c')).toMatchObject({ kind: 'digest-error' });
  });
});

describe('every message', () => {
  const SAMPLES = [
    'Connection1:0 to [target: t, portal: 10.0.0.5,3260] through [iface: default] is operational now',
    'connection1:0 is operational after recovery (3 attempts)',
    'Login to [iface: default, target: t, portal: 10.0.0.5,3260] successful.',
    'sd 2:0:0:0: rejecting I/O to offline device', 'sd 2:0:0:0: Device offlined - not ready after error recovery',
    'Result: hostbyte=DID_NO_CONNECT driverbyte=DRIVER_OK', 'Result: hostbyte=0x0f driverbyte=DRIVER_OK',
    'I/O error, dev sdb, sector 8', 'iSCSI Login timeout on Network Portal 0.0.0.0:3260', 'iSCSI Login negotiation failed.',
    'ABORT_TASK: Found referenced iSCSI task_tag: 1', 'LUN_RESET: Preempt starting for [fileio], tas: 0',
    'Unable to recover from DataOut timeout while in ERL=0, closing iSCSI connection for I_T Nexus x',
    'Did not receive response to NOPIN on CID: 1 on SID: 4, failing connection.', 'Unexpected ret: -110 send data 48',
    'Time2Retain timer expired for SID: 3, cleaning up iSCSI session.', 'Detected NON_EXISTENT_LUN Access for 0x00000001',
    'tcp connection timed out after 2 failed NOP-OUT', 'abort_task_set(1) found 1 0', 'unexpected cmd_sn (1,2)',
    'Target dropping 1, reconnect min 2 max 20', 'pdu (op 0x1 itt 0x1) rejected. Reason code 0x4',
  ];

  test('each has a meaning, what the wire shows, and only existing finding kinds', () => {
    for (const l of SAMPLES) {
      const x = explainLogLine(l);
      expect(x, l).toBeDefined();
      expect((x as Explanation).meaning.length, l).toBeGreaterThan(20);
      expect((x as Explanation).onTheWire.length, l).toBeGreaterThan(20);
      expect((x as Explanation).lookFor.length, l).toBeGreaterThan(0);
      for (const k of (x as Explanation).lookFor) expect(KINDS.has(k), `${l}: ${k}`).toBe(true);
    }
  });

  test('an unknown host byte still explains plainly', () => {
    expect(explainLogLine('sd 2:0:0:0: [sdb] tag#1 FAILED Result: hostbyte=0x0f driverbyte=DRIVER_OK'))
      .toMatchObject({ kind: 'scsi-result', hostByte: '0x0f', meaning: 'The command failed with host byte 0x0f, driver byte DRIVER_OK.' });
  });
});

describe('excerpts', () => {
  test('every line of a pasted excerpt (the seed incident, CRLF), unknown lines kept plainly', () => {
    const paste = [
      'Jun 22 16:30:48 hostname iscsid: Kernel reported iSCSI connection 3:0 error (1022 - ISCSI_ERR_NOP_TIMEDOUT: A NOP has timed out) state (3)',
      'Jun 22 16:31:49 hostname kernel: kernel: connection3:0: ping timeout of 5 secs expired, recv timeout 5, last rx 36174282912, last ping 36174287936, now 36174292992',
      'Jun 22 16:31:50 hostname systemd[1]: Started Session 12 of user root.',
      'Jun 22 16:31:50 hostname kernel: [3011710.723336] connection3:0: detected conn error (1022)',
      '',
    ].join('\r\n');
    const r = explainExcerpt(paste);
    expect(r.map((l) => l.line)).toEqual([1, 2, 3, 4]);
    expect(r.map((l) => l.explanation?.kind)).toEqual(['conn-error', 'ping-timeout', undefined, 'conn-error']);
    expect(r[2].text).toBe('Jun 22 16:31:50 hostname systemd[1]: Started Session 12 of user root.');
    expect(r.every((l) => !l.text.endsWith('\r'))).toBe(true);
  });

  test('a hostile paste is read only up to its limits', () => {
    const long = 'x'.repeat(EXCERPT_MAX_LINE * 3) + ' conn error (1020)';
    const r = explainExcerpt(`${long}\nconn error (1020)`);
    expect(r[0].text.length).toBe(EXCERPT_MAX_LINE);
    expect(r[0].explanation).toBeUndefined();
    expect(r[1].explanation?.code).toBe(1020);
    expect(explainExcerpt('a\n'.repeat(EXCERPT_MAX_LINES + 10)).length).toBe(EXCERPT_MAX_LINES);
    expect(explainExcerpt('')).toEqual([]);
  });
});
