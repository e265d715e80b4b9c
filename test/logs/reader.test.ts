import { describe, expect, test } from 'vitest';
import { collectLog, logClockSeconds, noYearValue, parseLogText, PrefixReader } from '../../src/logs/index.ts';

// Expected stamps are the written date and time, converted with Date.UTC (and the zone the line
// states); lines are the formats real systems write (the seed incidents, kernel / iscsid / LIO /
// tgtd messages, and each writer's documented layout).
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

function one(line: string) {
  return new PrefixReader().read(line);
}

describe('line prefixes', () => {
  test('classic syslog (the seed incident): no year, local time, host and program', () => {
    const p = one('Jun 22 16:31:49 hostname kernel: kernel: connection3:0: ping timeout of 5 secs expired, recv timeout 5, last rx 36174282912, last ping 36174287936, now 36174292992');
    expect(p).toMatchObject({ format: 'syslog', host: 'hostname', program: 'kernel' });
    expect(p.stamp).toEqual({ kind: 'wall-no-year', value: noYearValue(6, 22, 16 * 3600 + 31 * 60 + 49), resolution: 1 });
    expect(p.message).toBe('kernel: connection3:0: ping timeout of 5 secs expired, recv timeout 5, last rx 36174282912, last ping 36174287936, now 36174292992');
  });

  test('syslog with a pid, a space-padded day, the kernel\'s own boot stamp, RFC 3164 <PRI>', () => {
    const p = one('Jun  2 16:31:50 hostname kernel: [3011710.723336] connection3:0: detected conn error (1022)');
    expect(p).toMatchObject({ format: 'syslog', program: 'kernel', bootSeconds: 3011710.723336, message: 'connection3:0: detected conn error (1022)' });
    expect(p.stamp?.value).toBe(noYearValue(6, 2, 16 * 3600 + 31 * 60 + 50));
    expect(one('Mar 24 14:11:21 node1 iscsid[1234]: connection1:0 is operational after recovery (2 attempts)'))
      .toMatchObject({ host: 'node1', program: 'iscsid', pid: 1234, message: 'connection1:0 is operational after recovery (2 attempts)' });
    expect(one('<30>Mar 24 14:11:21 node1 tgtd: bs_init(387) use signalfd notification')).toMatchObject({ format: 'syslog', program: 'tgtd' });
    // journalctl -o short-precise
    const sp = one('Mar 24 14:11:21.123456 node1 kernel: sd 2:0:0:0: rejecting I/O to offline device');
    expect(sp.stamp?.resolution).toBe(1e-6);
    expect(sp.stamp?.value).toBeCloseTo(noYearValue(3, 24, 14 * 3600 + 11 * 60 + 21.123456), 6);
  });

  test('ISO 8601 / RFC 3339: zones Z, +hh:mm, +hhmm (short-iso), none (a wall clock)', () => {
    const a = one('2023-03-24T15:35:26.123456+08:00 node1 kernel: connection3:0: detected conn error (1021)');
    expect(a).toMatchObject({ format: 'iso', host: 'node1', program: 'kernel', message: 'connection3:0: detected conn error (1021)' });
    expect(a.stamp?.kind).toBe('utc');
    expect(a.stamp?.zoneMinutes).toBe(480);
    expect(a.stamp?.value).toBeCloseTo(utc(2023, 3, 24, 7, 35, 26) + 0.123456, 6);
    expect(one('2023-03-24T15:35:26+0800 node1 kernel: x').stamp).toEqual({ kind: 'utc', value: utc(2023, 3, 24, 7, 35, 26), resolution: 1, zoneMinutes: 480 });
    expect(one('2023-03-24T07:35:26Z node1 kernel: x').stamp?.value).toBe(utc(2023, 3, 24, 7, 35, 26));
    expect(one('2023-03-24T02:05:26-05:30 node1 kernel: x').stamp?.value).toBe(utc(2023, 3, 24, 7, 35, 26));
    expect(one('2023-03-24 15:35:26 node1 tgtd: x').stamp).toEqual({ kind: 'wall', value: utc(2023, 3, 24, 15, 35, 26), resolution: 1 });
  });

  test('dmesg: boot stamps, <level>, caller ids, -x decoding, -T wall clock, --time-format iso', () => {
    expect(one('[ 1584.148816]  connection4:0: detected conn error (1022)'))
      .toMatchObject({ format: 'dmesg', stamp: { kind: 'boot', value: 1584.148816, resolution: 1e-6 }, message: ' connection4:0: detected conn error (1022)' });
    expect(one('<3>[154888.236235] Did not receive response to NOPIN on CID: 1, failing connection for I_T Nexus x').stamp?.value).toBe(154888.236235);
    expect(one('[12225.445412][   T72] sd 1:0:0:0: rejecting I/O to offline device'))
      .toMatchObject({ stamp: { value: 12225.445412 }, message: 'sd 1:0:0:0: rejecting I/O to offline device' });
    expect(one('kern  :err   : [ 1704.984660] sd 6:0:0:0: rejecting I/O to offline device').stamp?.value).toBe(1704.98466);
    const t = one('[Fri Mar 24 15:35:26 2023]  connection3:0: detected conn error (1021)');
    expect(t).toMatchObject({ format: 'dmesg-T', stamp: { kind: 'wall', value: utc(2023, 3, 24, 15, 35, 26), resolution: 1 } });
    expect(one('[Fri Feb 6 19:31:01 2026] TARGET_CORE[iSCSI]: Detected NON_EXISTENT_LUN Access for 0x0000004b').stamp?.value).toBe(utc(2026, 2, 6, 19, 31, 1));
    expect(one('[Fri Feb  6 19:31:01 2026] x').stamp?.value).toBe(utc(2026, 2, 6, 19, 31, 1));
    const iso = one('2023-03-24T15:35:26,123456+08:00 connection3:0: detected conn error (1021)');
    expect(iso).toMatchObject({ format: 'dmesg-iso', message: 'connection3:0: detected conn error (1021)' });
    expect(iso.host).toBeUndefined();
    expect(iso.stamp?.value).toBeCloseTo(utc(2023, 3, 24, 7, 35, 26) + 0.123456, 6);
  });

  test('journalctl short-full and short-unix, RFC 5424', () => {
    expect(one('Fri 2023-03-24 15:35:26 CST node1 kernel: x')).toMatchObject({ format: 'short-full', stamp: { kind: 'wall', value: utc(2023, 3, 24, 15, 35, 26) } });
    expect(one('Fri 2023-03-24 07:35:26 UTC node1 kernel: x').stamp).toMatchObject({ kind: 'utc', value: utc(2023, 3, 24, 7, 35, 26) });
    expect(one('1679643326.123456 node1 kernel: connection3:0: detected conn error (1021)'))
      .toMatchObject({ format: 'unix', host: 'node1', program: 'kernel', stamp: { kind: 'utc', value: 1679643326.123456 } });
    // RFC 5424 §6.5 example 1 and 4 shapes, with structured data holding an escaped bracket.
    const r = one('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM\'su root\' failed for lonvick on /dev/pts/8');
    expect(r).toMatchObject({ format: 'rfc5424', host: 'mymachine.example.com', program: 'su', stamp: { kind: 'utc', value: utc(2003, 10, 11, 22, 14, 15) + 0.003, resolution: 0.001 } });
    expect(r.message).toBe('BOM\'su root\' failed for lonvick on /dev/pts/8');
    const sd = one('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 77 ID47 [exampleSDID@32473 iut="3" eventSource="Appl\\]ication"][x@1 a="b"] \ufeffAn application event');
    expect(sd).toMatchObject({ pid: 77, program: 'evntslog', message: 'An application event' });
    expect(one('<27>1 - target1 tgtd - - - no stamp here')).toMatchObject({ format: 'rfc5424', message: 'no stamp here' });
  });

  test('lines without a timestamp: a daemon in the foreground, a bare message', () => {
    expect(one('tgtd: abort_task_set(1349) found 8e504519 0')).toMatchObject({ format: 'plain', program: 'tgtd', message: 'abort_task_set(1349) found 8e504519 0' });
    expect(one('iscsid[611]: Kernel reported iSCSI connection 1:0 error (1020) state (3)')).toMatchObject({ program: 'iscsid', pid: 611 });
    expect(one('sd 2:0:0:0: rejecting I/O to offline device')).toMatchObject({ format: 'plain', message: 'sd 2:0:0:0: rejecting I/O to offline device' });
    expect(one('').format).toBe('plain');
  });

  test('impossible dates are not stamps', () => {
    for (const l of ['Feb 30 10:00:00 h k: x', 'Jun 22 24:00:00 h k: x', '2023-02-29T10:00:00Z h k: x', '2023-13-01T00:00:00Z h k: x',
      '2023-01-01T00:00:00+25:00 h k: x', '[Mon Feb 29 10:00:00 2023] x']) {
      expect(one(l).stamp, l).toBeUndefined();
    }
    // Feb 29 without a year may be a leap year.
    expect(one('Feb 29 10:00:00 h k: x').stamp?.kind).toBe('wall-no-year');
  });
});

describe('the year of a year-less stamp comes from the capture', () => {
  test('nearest the capture, across New Year, and Feb 29 only in leap years', () => {
    const newYear = utc(2027, 1, 1, 0, 0, 30);
    expect(logClockSeconds({ kind: 'wall-no-year', value: noYearValue(12, 31, 23 * 3600 + 59 * 60 + 58), resolution: 1 }, newYear)).toBe(utc(2026, 12, 31, 23, 59, 58));
    expect(logClockSeconds({ kind: 'wall-no-year', value: noYearValue(1, 1, 3), resolution: 1 }, newYear)).toBe(utc(2027, 1, 1, 0, 0, 3));
    expect(logClockSeconds({ kind: 'wall-no-year', value: noYearValue(2, 29, 43200), resolution: 1 }, utc(2028, 2, 29, 11, 0, 0))).toBe(utc(2028, 2, 29, 12, 0, 0));
    expect(logClockSeconds({ kind: 'wall-no-year', value: noYearValue(2, 29, 43200), resolution: 1 }, utc(2026, 11, 22, 0, 0, 0))).toBe(utc(2028, 2, 29, 12, 0, 0));
  });
});

describe('reading a file', () => {
  test('format and clock per file, counts, recognised lines', () => {
    const { lines, summary } = parseLogText([
      'Jun 22 16:30:48 hostname iscsid: Kernel reported iSCSI connection 3:0 error (1022 - ISCSI_ERR_NOP_TIMEDOUT: A NOP has timed out) state (3)',
      'Jun 22 16:31:49 hostname kernel: kernel: connection3:0: ping timeout of 5 secs expired, recv timeout 5, last rx 36174282912, last ping 36174287936, now 36174292992',
      'Jun 22 16:31:50 hostname kernel: [3011710.723336] connection3:0: detected conn error (1022)',
      '   a continuation line with no prefix',
      '',
    ].join('\n'), 3);
    expect(lines.map((l) => [l.file, l.line, l.format, l.explanation?.kind])).toEqual([
      [3, 1, 'syslog', 'conn-error'], [3, 2, 'syslog', 'ping-timeout'], [3, 3, 'syslog', 'conn-error'], [3, 4, 'plain', undefined],
    ]);
    expect(summary).toMatchObject({
      file: 3, lines: 4, recognised: 3, cut: 0, format: 'syslog', clock: 'wall', resolution: 1, mixedZones: false,
      stamped: { utc: 0, wall: 3, boot: 0 },
    });
    expect(summary.formats.syslog).toBe(3);
    expect(summary.formats.plain).toBe(1);
  });

  test('journalctl -o short-monotonic is told from dmesg by its host name on every line', () => {
    const journal = parseLogText([
      '[ 3183.250375] node1 kernel: scsi host2: iSCSI Initiator over TCP/IP',
      '[ 3183.252576] node1 iscsid[611]: Connection1:0 to [target: t, portal: 127.0.0.1,3260] through [iface: default] is operational now',
      '[ 3191.264776] node1 kernel: connection1:0: detected conn error (1022)',
      '[ 3191.264896] node1 kernel: connection1:0: detected conn error (1022)',
      '[ 3191.265977] node1 iscsid[611]: Kernel reported iSCSI connection 1:0 error (1022) state (3)',
    ].join('\n'));
    expect(journal.lines[4]).toMatchObject({ format: 'journal-monotonic', host: 'node1', program: 'iscsid', pid: 611, stamp: { kind: 'boot', value: 3191.265977 } });
    const dmesg = parseLogText([
      '[ 3183.250375] scsi host2: iSCSI Initiator over TCP/IP', '[ 3183.258475] scsi 2:0:0:1: Direct-Access     IET      VIRTUAL-DISK',
      '[ 3183.263675] sd 2:0:0:1: [sdb] 20480 512-byte logical blocks', '[ 3183.278475] sd 2:0:0:1: [sdb] Attached SCSI disk',
      '[ 3191.264896] connection1:0: detected conn error (1022)',
    ].join('\n'));
    expect(dmesg.lines.every((l) => l.format === 'dmesg' && l.host === undefined)).toBe(true);
    expect(dmesg.lines[4].explanation?.code).toBe(1022);
  });

  test('a log that changes zone is flagged', () => {
    const s = parseLogText('2026-03-29T01:59:59+01:00 h k: a\n2026-03-29T03:00:00+02:00 h k: b\n').summary;
    expect(s).toMatchObject({ clock: 'utc', mixedZones: true, resolution: 1 });
  });

  test('hostile input: a 1 MB line, binary, NULs, invalid UTF-8 — every line kept, nothing throws', async () => {
    const parts: Uint8Array[] = [
      new TextEncoder().encode(`Jun 22 16:31:50 h kernel: ${'A'.repeat(1 << 20)} conn error (1020)\n`),
      new Uint8Array([0x00, 0x00, 0xff, 0xfe, 0x0a]),
      new TextEncoder().encode('Jun 22 16:31:51 h kernel: connection1:0: detected conn error (1020)\n'),
      new Uint8Array([0x80, 0x81, 0x3c, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x3e, 0x0a]),
    ];
    const chunks = function* (): Generator<Uint8Array> {
      for (const p of parts) for (let i = 0; i < p.length; i += 4093) yield p.subarray(i, i + 4093);
    };
    const { lines, summary } = await collectLog(0, chunks());
    expect(summary).toMatchObject({ lines: 4, cut: 1, recognised: 1 });
    expect(lines[0]).toMatchObject({ cut: true, format: 'syslog' });
    expect(lines[0].explanation).toBeUndefined();
    expect(lines[1].text).toBe('\u0000\u0000\ufffd\ufffd');
    expect(lines[2].explanation).toMatchObject({ code: 1020, connection: '1:0' });
    expect(lines[3].text).toBe('\ufffd\ufffd<script>');
    const kept = await collectLog(0, chunks(), 'recognised');
    expect(kept.lines.map((l) => l.line)).toEqual([3]);
    expect(kept.summary.lines).toBe(4);
  });
});

describe('every chunk size reads the same', () => {
  test('each fixture in 1-, 7- and 4096-byte chunks gives what the whole file gives', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = join(import.meta.dirname, '../fixtures/logs');
    const files = readdirSync(dir).filter((f) => /\.(syslog|journal|dmesg|rfc5424)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      const whole = await collectLog(0, [bytes]);
      for (const size of [1, 7, 4096]) {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
        const got = await collectLog(0, parts);
        expect(got.lines, `${f} in ${size}-byte chunks`).toEqual(whole.lines);
        expect(got.summary).toEqual(whole.summary);
      }
    }
  });
});

describe('the seed incidents', () => {
  test('the slow-backstore dmesg -T excerpt (seeds/002): each line its meaning, on a wall clock with a year', () => {
    const { lines, summary } = parseLogText([
      '[Fri Mar 24 15:35:26 2023]  connection3:0: detected conn error (1021)',
      '[Fri Mar 24 15:35:26 2023]  connection3:0: detected conn error (1021)',
      '[Fri Mar 24 15:35:29 2023]  session3: session recovery timed out after 3 secs',
      '[Fri Mar 24 15:35:29 2023] sd 12:0:0:1: Device offlined - not ready after error recovery',
      '[Fri Mar 24 15:35:29 2023] sd 12:0:0:1: [sds] tag#95 FAILED Result: hostbyte=DID_TRANSPORT_DISRUPTED driverbyte=DRIVER_OK',
      '[Fri Mar 24 15:35:29 2023] sd 12:0:0:1: [sds] tag#95 CDB: Read(10) 28 00 05 93 b1 f8 00 00 08 00',
    ].join('\n'));
    expect(lines.map((l) => l.explanation?.kind)).toEqual(['conn-error', 'conn-error', 'session-recovery-timeout', 'device-offlined', 'scsi-result', undefined]);
    expect(lines[2].explanation).toMatchObject({ sessionId: 3, recoverySecs: 3 });
    expect(lines[0].stamp).toEqual({ kind: 'wall', value: Date.UTC(2023, 2, 24, 15, 35, 26) / 1000, resolution: 1 });
    expect(summary).toMatchObject({ format: 'dmesg-T', clock: 'wall', recognised: 5 });
  });
});
