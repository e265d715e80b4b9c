import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CAPTURES, readTsv, SHARED } from '../support/shared.ts';
import { jsonLines, runCli } from './run.ts';

const CONFORMANCE = join(SHARED, 'conformance/pcapng');

function conformanceFiles(): string[] {
  const out: string[] = [];
  for (const order of ['output_le', 'output_be']) {
    for (const group of readdirSync(join(CONFORMANCE, order))) {
      for (const f of readdirSync(join(CONFORMANCE, order, group))) if (f.endsWith('.pcapng')) out.push(join(CONFORMANCE, order, group, f));
    }
  }
  return out.sort();
}

/** Wireshark's WTAP_ENCAP numbers (frame.encap_type) of the encapsulations in the suite, to LINKTYPE_. */
const WTAP_TO_LINKTYPE: Record<number, number> = { 1: 1 /* Ethernet */, 15: 0 /* BSD loopback (NULL) */ };

/** tshark's "1340954905.298858000" as integer nanoseconds in a decimal string. */
function epochToNs(s: string): string {
  const [sec, frac] = s.split('.');
  return (BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'))).toString();
}

describe('iscsi-inspect frames', () => {
  const files = conformanceFiles();
  test('the conformance suite has its 48 files', () => expect(files.length).toBe(48));
  for (const file of files) {
    test(`frames ${file.slice(CONFORMANCE.length + 1)} matches tshark`, async () => {
      const { code, stdout } = await runCli(['frames', file, '--format', 'jsonl']);
      expect(code).toBe(0);
      const ours = jsonLines(stdout);
      const theirs = readTsv(file.replace(/\.pcapng$/, '.tshark.tsv'));
      expect(ours.length).toBe(theirs.length);
      theirs.forEach((t, i) => {
        const o = ours[i];
        const want: Record<string, unknown> = { frame: Number(t['frame.number']), capLen: Number(t['frame.cap_len']), origLen: Number(t['frame.len']) };
        if (t['frame.time_epoch']) want.timeNs = epochToNs(t['frame.time_epoch']);
        if (t['frame.interface_id']) want.interface = Number(t['frame.interface_id']);
        if (t['frame.encap_type']) want.linkType = WTAP_TO_LINKTYPE[Number(t['frame.encap_type'])] ?? -1;
        expect(o).toMatchObject(want);
        if (!t['frame.time_epoch']) expect(o.timeNs).toBeUndefined();
      });
    });
  }
  test('frames of a real capture carry tshark\'s nanosecond times', async () => {
    const { stdout } = await runCli(['frames', join(CAPTURES, 'pcapng-nano.pcapng')]);
    const ours = new Map(jsonLines(stdout).map((o) => [o.frame, o.timeNs]));
    const rows = readTsv(join(CAPTURES, 'pcapng-nano.pcapng.tshark-frames.tsv'));
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) expect(ours.get(Number(r['frame.number']))).toBe(epochToNs(r['frame.time_epoch']));
  });
});

describe('iscsi-inspect pdus and exit codes', () => {
  test('basic-io: 368 PDUs as jsonl, and tsv with a header line', async () => {
    const file = join(CAPTURES, 'basic-io.pcap');
    const jsonl = await runCli(['pdus', file, '--format', 'jsonl']);
    expect(jsonl.code).toBe(0);
    const rows = jsonLines(jsonl.stdout);
    expect(rows.length).toBe(368);
    // Wireshark: frame 4 holds the discovery Login Request, ITT 0x19f3bd62, CmdSN 1052714800.
    expect(rows[0]).toMatchObject({ frame: 4, name: 'Login Request', opcode: 3, itt: 0x19f3bd62, cmdSN: 1052714800, dir: 'I>T', conn: 0 });
    const tsv = await runCli(['pdus', file, '--format', 'tsv']);
    const lines = tsv.stdout.trim().split('\n');
    expect(lines.length).toBe(369);
    expect(lines[0].split('\t').slice(0, 3)).toEqual(['conn', 'dir', 'frame']);
  });

  test('unreadable input: exit 1 with a one-line reason; usage errors: exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iscsi-cli-'));
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a capture\n');
    const r = await runCli(['summary', text]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a capture/i);
    expect((await runCli(['summary', join(dir, 'missing.pcap')])).code).toBe(1);
    expect((await runCli(['summary'])).code).toBe(2);
    expect((await runCli(['nonsense', text])).code).toBe(2);
    expect((await runCli(['pdus', text, '--format', 'xml'])).code).toBe(2);
  });

  test('a capture cut mid-record: partial output, exit 1, the reason on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iscsi-cli-'));
    const cut = join(dir, 'cut.pcap');
    const { readFileSync } = await import('node:fs');
    const whole = readFileSync(join(CAPTURES, 'basic-io.pcap'));
    writeFileSync(cut, whole.subarray(0, 200_000));
    const r = await runCli(['pdus', cut]);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).length).toBeGreaterThan(10);
    expect(r.stderr).toMatch(/truncated|ends/i);
  });

  test('npx-style launcher runs (bin/iscsi-inspect.js)', () => {
    const out = execFileSync(process.execPath, [resolve('bin/iscsi-inspect.js'), 'summary', join(CAPTURES, 'target-nopin-answered.pcap'), '--json'], { encoding: 'utf8' });
    expect(JSON.parse(out)).toMatchObject({ format: 'pcap', pdus: 20, connections: 1 });
  });
});

describe('hostile wire strings', () => {
  test('names with HTML, control characters and invalid UTF-8 come out as data', async () => {
    const { hostileCapture, HOSTILE_STRINGS } = await import('../../src/synth/index.ts');
    const dir = mkdtempSync(join(tmpdir(), 'iscsi-cli-'));
    const file = join(dir, 'hostile.pcap');
    writeFileSync(file, hostileCapture());
    const json = await runCli(['connections', file, '--json']);
    expect(json.code).toBe(0);
    const conns = JSON.parse(json.stdout) as Array<{ initiatorKeys: Record<string, string> }>;
    expect(conns[0].initiatorKeys.InitiatorName).toBe(HOSTILE_STRINGS.initiatorName);
    expect(conns[0].initiatorKeys['X-Long']).toBe(HOSTILE_STRINGS.long);
    const text = await runCli(['connections', file]);
    expect(text.stdout).toContain('<img src=x onerror=alert(1)>');
    // No raw control characters reach the terminal.
    expect(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text.stdout)).toBe(false);
    const pdus = jsonLines((await runCli(['pdus', file])).stdout);
    expect(pdus.map((p) => p.name)).toEqual(['Login Request', 'Login Response', 'Text Request', 'Text Response', 'Logout Request', 'Logout Response']);
    const keys = pdus[3].keys as Array<[string, string]>;
    expect(keys[0][0]).toBe('TargetName');
    expect(keys[0][1]).toContain('\ufffd'); // invalid UTF-8 decoded with replacement characters
  });
});

describe('iscsi-inspect findings and explain', () => {
  test('findings --json on the ping-timeout capture names ISCSI_ERR_NOP_TIMEDOUT; --min-severity filters', async () => {
    const file = join(CAPTURES, 'initiator-ping-timeout.pcap');
    const all = JSON.parse((await runCli(['findings', file, '--json'])).stdout) as Array<{ kind: string; severity: string; message: string; then?: string }>;
    const unanswered = all.filter((f) => f.kind === 'nop-ping-unanswered');
    // The capture's README: 5 pings unanswered, then the initiator's FIN.
    expect(unanswered.length).toBe(5);
    expect(unanswered.every((f) => f.then === 'initiator-fin' && f.message.includes('1022'))).toBe(true);
    const errors = JSON.parse((await runCli(['findings', file, '--json', '--min-severity', 'error'])).stdout) as Array<{ severity: string }>;
    expect(errors.length).toBe(all.filter((f) => f.severity === 'error').length);
    expect(errors.every((f) => f.severity === 'error')).toBe(true);
  });

  test('--slow-ms reaches the checks', async () => {
    const file = join(CAPTURES, 'slow-target-abort.pcap');
    const slow = async (ms: string): Promise<number> =>
      (JSON.parse((await runCli(['findings', file, '--json', '--slow-ms', ms])).stdout) as Array<{ kind: string }>).filter((f) => f.kind === 'slow-command').length;
    // The READ(16) waits 8 s for its status (capture README): slow at 1 s, not at 10 s.
    expect(await slow('1000')).toBe(1);
    expect(await slow('10000')).toBe(0);
    expect((await runCli(['findings', file, '--slow-ms', 'soon'])).code).toBe(2);
  });

  test('explain decodes kernel and iscsid lines, and every error code 1001-1022', async () => {
    const r = await runCli(['explain', 'Kernel reported iSCSI connection 3:0 error (1022 - ISCSI_ERR_NOP_TIMEDOUT: A NOP has timed out) state (3)', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 1022, errorName: 'ISCSI_ERR_NOP_TIMEDOUT', connection: '3:0', state: 3, stateName: 'LOGGED_IN' });
    for (let code = 1001; code <= 1022; code++) {
      const e = JSON.parse((await runCli(['explain', `connection1:0: detected conn error (${code})`, '--json'])).stdout) as { code: number; errorName: string };
      expect(e.code).toBe(code);
      expect(e.errorName).toMatch(/^ISCSI_ERR_[A-Z0-9_]+$/);
    }
    const text = await runCli(['explain', 'connection1:0: ping timeout of 5 secs expired, recv timeout 5, last rx 4299345467, last ping 4299350467, now 4299355467']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/NOP/);
  });
});
