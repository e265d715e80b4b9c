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
