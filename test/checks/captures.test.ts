import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Finding } from '../../src/engine/types.ts';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, sharedCaptures } from '../support/shared.ts';
import { kinds, only } from './synth.ts';

/**
 * The findings each real capture should give, from what the capture holds. Every expected frame and
 * value below was read off the capture itself, not off our output:
 *   - PDUs, tags, sequence numbers, times: X.pcap.tshark.tsv (Wireshark's decode, one row per PDU),
 *     with small python3 scripts over those rows (matching NOP-Out/NOP-In by ITT, NOP-In/NOP-Out
 *     by TTT, SCSI Command to SCSI Response / Data-In with S by stream + ITT; CmdSN window and StatSN
 *     rules of RFC 7143 §4.2.2 applied row by row);
 *   - FIN / RST / SYN frames: `tshark -r X.pcap -Y 'tcp.flags.fin==1 || tcp.flags.reset==1 || tcp.flags.syn==1'`;
 *   - what the lab did: captures/README.md and lab/make-captures.sh.
 * Connection numbers are in order of first packet, the same as tshark's tcp.stream here.
 * Times in ms are differences of frame.time_epoch values, rounded to the microsecond.
 */

const cache = new Map<string, Finding[]>();
function findingsOf(name: string): Finding[] {
  let f = cache.get(name);
  if (f === undefined) {
    const { analysis } = analyzeFile(join(CAPTURES, name));
    f = analysis.findings;
    cache.set(name, f);
  }
  return f;
}

function errors(f: Finding[]): Finding[] {
  return f.filter((x) => x.severity === 'error');
}

describe('every shared capture', () => {
  test.each(sharedCaptures())('%s: findings are well-formed and sorted by time', (name) => {
    const f = findingsOf(name);
    for (let k = 1; k < f.length; k++) expect(f[k].time).toBeGreaterThanOrEqual(f[k - 1].time);
    for (const x of f) {
      expect(['info', 'warning', 'error']).toContain(x.severity);
      expect(x.conn !== undefined || x.conns !== undefined).toBe(true);
      expect(typeof x.message).toBe('string');
      expect(x.message.length).toBeGreaterThan(10);
      expect(x.message).not.toContain('\n');
      expect(x.frames).toEqual([...x.frames].sort((a, b) => a - b));
      expect(JSON.parse(JSON.stringify(x))).toEqual(JSON.parse(JSON.stringify(x)));
    }
  });
});

describe('basic-io', () => {
  test('no error; the iscsi-ls sessions closed without Logout; two Logouts', () => {
    const f = findingsOf('basic-io.pcap');
    expect(errors(f)).toEqual([]);
    expect(kinds(f)).toEqual({ 'closed-without-logout': 2, logout: 2, 'expstatsn-ahead': 1 });
    // tshark: FIN by 52772 (stream 1) at frame 43, by 52788 (stream 2) at frame 71; no Logout in those streams.
    expect(only(f, 'closed-without-logout').map((x) => [x.conn, x.by, x.frames[0]])).toEqual([[1, 'initiator', 43], [2, 'initiator', 71]]);
    // Logout Command / Response: frames 72/75 (stream 0, discovery) and 632/633 (stream 3).
    expect(only(f, 'logout').map((x) => [x.conn, x.frames])).toEqual([[0, [72, 75]], [3, [632, 633]]]);
  });

  test('libiscsi counts R2T StatSNs: Data-Out ExpStatSN runs one ahead (a warning, 7 times on stream 3)', () => {
    // tshark.tsv: R2T frame 120 carries StatSN 11 (the last status was 10, frame 105); Data-Out frame
    // 123 has ExpStatSN 12. The same happens 7 times in stream 3 (script: ExpStatSN > last StatSN + 1).
    const a = only(findingsOf('basic-io.pcap'), 'expstatsn-ahead');
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ severity: 'warning', conn: 3, expStatSN: 12, lastStatSN: 10, counted: 'R2T', occurrences: 7, frames: [105, 120, 123] });
  });
});

describe('header-digest', () => {
  test('no error, no digest-error', () => {
    const f = findingsOf('header-digest.pcap');
    expect(errors(f)).toEqual([]);
    expect(only(f, 'digest-error')).toEqual([]);
    // Logout frames from the tsv; R2T-counting episodes: 4 (same script as basic-io).
    expect(kinds(f)).toEqual({ logout: 1, 'expstatsn-ahead': 1 });
    expect(only(f, 'expstatsn-ahead')[0]).toMatchObject({ severity: 'warning', counted: 'R2T', occurrences: 4 });
  });
});

describe('target-nopin-answered', () => {
  test('6 target pings, each echoed; no error', () => {
    const f = findingsOf('target-nopin-answered.pcap');
    expect(errors(f)).toEqual([]);
    expect(kinds(f)).toEqual({ 'target-ping': 6, logout: 1 });
    // tsv: NOP-In TTT 1..6 at frames 13,17,20,23,26,29, echoed (NOP-Out, ITT 0xffffffff, same TTT, LUN 0)
    // at 15,18,21,24,27,30; RTT = difference of their times.
    expect(only(f, 'target-ping').map((x) => [x.ttt, x.frames, x.rttMs])).toEqual([
      [1, [13, 15], 0.169], [2, [17, 18], 0.151], [3, [20, 21], 0.113],
      [4, [23, 24], 0.126], [5, [26, 27], 0.118], [6, [29, 30], 0.123],
    ]);
  });
});

describe('target-nopin-unanswered', () => {
  test('3 unanswered target pings, then the target closes (FIN) and the initiator resets', () => {
    const f = findingsOf('target-nopin-unanswered.pcap');
    // tsv: NOP-In TTT 1, 2, 3 at frames 13, 15, 17, one second apart, no NOP-Out at all.
    // tshark flags: FIN from 3260 (target) at frame 19, RST from 41632 (initiator) at frame 21.
    expect(only(f, 'target-ping-unanswered').map((x) => [x.ttt, x.then, x.waitedMs, x.frames])).toEqual([
      [1, 'next-ping', 1000.004, [13, 15]],
      [2, 'next-ping', 999.997, [15, 17]],
      [3, 'target-fin', 999.998, [17, 19]],
    ]);
    // The target's FIN came first: the connection was closed without Logout, by the target; the
    // initiator's RST after it is the closing socket, not a reset of a live connection.
    expect(only(f, 'closed-without-logout').map((x) => [x.by, x.frames])).toEqual([['target', [19, 21]]]);
    expect(only(f, 'connection-reset')).toEqual([]);
    expect(kinds(f)).toEqual({ 'target-ping-unanswered': 3, 'closed-without-logout': 1 });
  });
});

describe('initiator-ping-timeout', () => {
  test('answered pings with their RTT', () => {
    const f = findingsOf('initiator-ping-timeout.pcap');
    // tsv: NOP-Out (I=0, ITT 0x191ae5b6…) frame → NOP-In with the same ITT.
    expect(only(f, 'nop-ping').map((x) => [x.conn, x.itt, x.frames, x.rttMs])).toEqual([
      [0, 0x191ae5b6, [12, 13], 0.012], [0, 0x191ae5b7, [15, 16], 0.05], [0, 0x191ae5b8, [18, 19], 0.064],
      [1, 0x09f20325, [42, 44], 0.05], [1, 0x09f20326, [46, 47], 0.048], [1, 0x09f20327, [49, 50], 0.047],
    ]);
  });

  test('5 unanswered pings until the initiator FIN at frame 31; the first answered late after it', () => {
    const f = findingsOf('initiator-ping-timeout.pcap');
    // tsv: pings 0x191ae5b9..bd at frames 21, 23, 25, 27, 29; tshark: FIN by 41636 at frame 31
    // (time …191.516877); the NOP-In for 0x191ae5b9 only comes at frame 38 (…195.527028).
    const u = only(f, 'nop-ping-unanswered');
    expect(u.map((x) => [x.itt, x.then, x.waitedMs, x.answeredLateMs])).toEqual([
      [0x191ae5b9, 'initiator-fin', 5011.373, 9021.524],
      [0x191ae5ba, 'initiator-fin', 4009.341, undefined],
      [0x191ae5bb, 'initiator-fin', 3007.026, undefined],
      [0x191ae5bc, 'initiator-fin', 2005.083, undefined],
      [0x191ae5bd, 'initiator-fin', 1002.758, undefined],
    ]);
    expect(u[0].frames).toEqual([21, 22, 31, 38]);
    // tshark: the target's TCP acknowledged each ping at once (frames 22, 24, 26, 28, 30 ACK each
    // NOP-Out's tcp.nxtseq), long before the FIN: its host was up, its iSCSI layer was not.
    expect(u.map((x) => [x.tcpAcked, x.tcpAckFrame])).toEqual([[true, 22], [true, 24], [true, 26], [true, 28], [true, 30]]);
    expect(u[0].message).toContain("the target's TCP acknowledged the ping (frame 22)");
    for (const x of u) {
      expect(x.severity).toBe('error');
      expect(x.message).toContain('ISCSI_ERR_NOP_TIMEDOUT (1022)');
    }
  });

  test('the re-login on a new connection; the RST after the FIN is no connection-reset', () => {
    const f = findingsOf('initiator-ping-timeout.pcap');
    // tshark: SYN of stream 1 at frame 32; Login Command frame 35 (…191.516974), Login Response
    // frame 40 (…195.527132, once the target was resumed). ISIDs in the tsv: 80:13:a2:0b:00:00 on
    // stream 0, 80:96:0b:2f:00:00 on stream 1 — libiscsi's reconnect picks a new ISID, so this is a
    // new session replacing the failed one (sameIsid false), 0.097 ms after the FIN: a relogin, not
    // a session reinstatement (which RFC 7143 §6.3.5 defines by the ISID).
    expect(only(f, 'session-reinstatement')).toEqual([]);
    const r = only(f, 'relogin');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({
      conn: 1, conns: [0, 1], previousConn: 0, gapMs: 0.097, sameIsid: false,
      isid: '80:96:0b:2f:00:00', previousIsid: '80:13:a2:0b:00:00', frames: [31, 35, 40],
    });
    expect(only(f, 'closed-without-logout').map((x) => [x.conn, x.by, x.frames])).toEqual([[0, 'initiator', [31, 39]]]);
    expect(only(f, 'connection-reset')).toEqual([]);
    expect(kinds(f)).toEqual({ 'nop-ping': 6, 'nop-ping-unanswered': 5, 'closed-without-logout': 1, relogin: 1, logout: 1 });
  });
});

describe('slow-target-abort', () => {
  test('the READ(16) is slow; the ABORT TASK names it and is never answered; the LU RESET is', () => {
    const f = findingsOf('slow-target-abort.pcap');
    // tsv: READ(16) ITT 0x1945508e frame 45 (…201.448006); its Data-In with status frame 57 (…209.448662).
    expect(only(f, 'slow-command').map((x) => [x.itt, x.scsiOpcode, x.latencyMs, x.frames])).toEqual([[0x1945508e, 0x88, 8000.656, [45, 57]]]);
    // ABORT TASK frame 47 (…204.448236), Referenced Task Tag 0x1945508e; no response with its ITT
    // 0x1945508f anywhere; tshark: the initiator's FIN at frame 75 (…209.949649), after the Logout.
    const u = only(f, 'tmf-unanswered');
    expect(u).toHaveLength(1);
    expect(u[0]).toMatchObject({
      tmfFunction: 1, referencedTaskTag: 0x1945508e, referencedFrame: 45, outstandingMs: 3000.23, waitedMs: 5501.413,
      then: 'initiator-fin', frames: [45, 47, 48, 75],
      // tshark: frame 48 from 3260 ACKs 548648463, the ABORT TASK's tcp.nxtseq.
      tcpAcked: true, tcpAckFrame: 48,
    });
    // LOGICAL UNIT RESET frame 49 (…206.448341), response 0 "function complete" frame 58 (…209.448693).
    const t = only(f, 'tmf');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ tmfFunction: 5, response: 0, responseMs: 3000.352, referencedTaskTag: 0xffffffff });
    expect(t[0].frames).toEqual(expect.arrayContaining([49, 58]));
    expect(only(f, 'command-unanswered')).toEqual([]);
  });
});

describe('test-suite', () => {
  test('the ABORT TASK answered "task does not exist"', () => {
    // tsv: WRITE(10) ITT 0x4e1de013 frame 2699; ABORT TASK frame 2701 naming it; its SCSI Response
    // frame 2702; TMF response 0x01 frame 2703.
    const t = only(findingsOf('test-suite.pcap'), 'tmf');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({
      conn: 13, tmfFunction: 1, referencedTaskTag: 0x4e1de013, referencedFrame: 2699, outstandingMs: 0.021, response: 1,
      responseMs: 0.085, frames: [2699, 2701, 2703],
    });
  });

  test('the CmdSN beyond MaxCmdSN (and the one below ExpCmdSN) are out of window, and unanswered', () => {
    const f = findingsOf('test-suite.pcap');
    // tsv, stream 11: frame 2657 advertises [305587413, 305587541]; frame 2658 sends CmdSN 305587542.
    // Frame 2662 advertises [305587414, 305587542]; frame 2663 sends CmdSN 305587413 again.
    expect(only(f, 'cmdsn-out-of-window').map((x) => [x.conn, x.cmdSN, x.expCmdSN, x.maxCmdSN, x.frames])).toEqual([
      [11, 305587542, 305587413, 305587541, [2657, 2658]],
      [11, 305587413, 305587414, 305587542, [2662, 2663]],
    ]);
    // Neither command got a status; tshark: the target's FIN at frame 2664. Its TCP took both:
    // frame 2659 ACKs 2002291372 (2658's tcp.nxtseq), the FIN itself ACKs 2002291468 (2663's).
    expect(only(f, 'command-unanswered').map((x) => [x.frames, x.then, x.waitedMs, x.tcpAckFrame])).toEqual([
      [[2658, 2659, 2664], 'target-fin', 3003.419, 2659], [[2663, 2664], 'target-fin', 0.055, 2664],
    ]);
  });

  test('1057 CHECK CONDITIONs are not findings', () => {
    const f = findingsOf('test-suite.pcap');
    // 14 logins of iscsi-test in 3.0 s are a churn by the definition; the rest follows from above.
    expect(kinds(f)).toEqual({
      'login-churn': 1, logout: 13, 'expstatsn-ahead': 2, 'cmdsn-out-of-window': 2, 'command-unanswered': 2,
      'closed-without-logout': 1, relogin: 1, tmf: 1,
    });
    expect(only(f, 'login-churn')[0]).toMatchObject({ logins: 14, discoveryLogins: 0, windowMs: 3018.915 });
  });
});

describe('login-churn', () => {
  test('exactly one login-churn for the rediscovery loop, counting the 30 discovery logins', () => {
    const f = findingsOf('login-churn.pcap');
    // tsv: 90 Login Commands with InitiatorName=…:iscsi-ls (30 with SessionType=Discovery), first at
    // frame 4, last at 2371, 5881.845 ms apart, median gap 0.186 ms; the 3 iscsi-inq logins stay
    // below the threshold of 5.
    const c = only(f, 'login-churn');
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({
      logins: 90, discoveryLogins: 30, windowMs: 5881.845, medianIntervalMs: 0.186,
      initiator: 'iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-ls', target: '127.0.0.1:3260',
    });
    expect(c[0].frames[0]).toBe(4);
    expect(c[0].frames[c[0].frames.length - 1]).toBe(2371);
    expect(errors(f)).toEqual([]);
  });
});

describe('target-killed', () => {
  test("the target's RST: connection-reset by the target, with its 4 commands unanswered", () => {
    const f = findingsOf('target-killed.pcap');
    // tshark: RST from 3260 at frame 699 (…244.283231); the reconnect attempts (streams 1-4) are
    // refused at the TCP level and carry no iSCSI.
    expect(only(f, 'connection-reset').map((x) => [x.conn, x.by, x.frames])).toEqual([[0, 'target', [699]]]);
    // tsv: SCSI Commands without any status: frames 688, 690, 693, 697.
    // tshark: the target's TCP acknowledged each before its RST: frame 692 ACKs 1669830479 (past
    // 688's and 690's tcp.nxtseq), 694 ACKs 693's 1669830527, 698 ACKs 697's 1669838767.
    expect(only(f, 'command-unanswered').map((x) => [x.frames, x.then, x.waitedMs, x.tcpAcked])).toEqual([
      [[688, 692, 699], 'target-reset', 266.146, true], [[690, 692, 699], 'target-reset', 266.127, true],
      [[693, 694, 699], 'target-reset', 215.98, true], [[697, 698, 699], 'target-reset', 215.963, true],
    ]);
  });
});

describe('midstream', () => {
  test('no false StatSN / CmdSN / command findings at the mid-stream start', () => {
    const f = findingsOf('midstream.pcap');
    // The capture starts inside a Data-In; the only complete exchange is the Logout (tsv).
    expect(kinds(f)).toEqual({ logout: 1 });
  });
});

describe('snaplen', () => {
  test('snaplen-96: nothing decodable, one snaplen-truncated', () => {
    const f = findingsOf('snaplen-96.pcap');
    expect(kinds(f)).toEqual({ 'snaplen-truncated': 1 });
    expect(f[0]).toMatchObject({ severity: 'info', snaplen: 96, pdusTruncated: 0 });
  });

  test('snaplen-128: snaplen-truncated, and no finding invented from the lost bytes', () => {
    const f = findingsOf('snaplen-128.pcap');
    const t = only(f, 'snaplen-truncated');
    expect(t).toHaveLength(1);
    expect(t[0].snaplen).toBe(128);
    expect(t[0].pdusTruncated as number).toBeGreaterThan(0);
    expect(errors(f)).toEqual([]);
    expect(only(f, 'statsn-gap')).toEqual([]);
    expect(only(f, 'command-unanswered')).toEqual([]);
  });

  test('a file cut after capture (editcap -s 128) says what cut its packets, not its header snaplen', () => {
    // test/fixtures/tcp/README.md: editcap -s 128 of a full capture; its interface block still says
    // 262144 (capinfos: "Packet size limit: file hdr: (not set), inferred: 128 bytes").
    const { analysis } = analyzeFile(join(import.meta.dirname, '../fixtures/tcp/loss-t2i.pcap'));
    expect(analysis.capture.snaplen).toBe(262144);
    const t = only(analysis.findings, 'snaplen-truncated');
    expect(t).toHaveLength(1);
    expect(t[0].snaplen).toBe(128);
    expect(t[0].message).toMatch(/^Packets were cut to 128 bytes \(the file's header says a snaplen of 262144 bytes: cut after capture/);
  });
});

describe('the same traffic in three files', () => {
  test('pcapng-nano.pcapng, pcapng-nano.pcap and pcapng-nano-editcap.pcapng give the same findings', () => {
    // Nanosecond timestamps in a double: compare times to the microsecond, the rest exactly.
    const strip = (f: Finding[]) => f.map((x) => ({ ...x, time: 0 }));
    const a = findingsOf('pcapng-nano.pcapng');
    for (const other of ['pcapng-nano.pcap', 'pcapng-nano-editcap.pcapng']) {
      const b = findingsOf(other);
      expect(strip(b)).toEqual(strip(a));
      b.forEach((x, k) => expect(Math.abs(x.time - a[k].time)).toBeLessThan(1e-6));
    }
    expect(kinds(findingsOf('pcapng-nano.pcap'))).toEqual({ logout: 2, 'expstatsn-ahead': 1 });
  });

  test('nonstandard-port: like basic-io', () => {
    const f = findingsOf('nonstandard-port.pcap');
    expect(kinds(f)).toEqual({ 'closed-without-logout': 2, logout: 2, 'expstatsn-ahead': 1 });
  });
});
