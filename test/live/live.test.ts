import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { readTsv } from '../support/shared.ts';
import { compare, countByName } from '../support/wireshark.ts';

/**
 * Runs only under `npm run test:live` (scripts/live-test.sh), on a capture made moments ago of a real
 * tgtd and a real libiscsi initiator. What to expect comes from what the script asked them to do and
 * from tshark's decode of the same file.
 */
const capture = process.env.LIVE_CAPTURE;
if (!capture) console.warn('live test skipped: it runs under `npm run test:live` (real tgtd + libiscsi, needs root)');

describe.skipIf(!capture)(`live capture (seed ${process.env.LIVE_SEED})`, () => {
  const file = capture ?? '';
  const port = Number(process.env.LIVE_PORT);
  const run = (): ReturnType<typeof analyzeFile> => analyzeFile(file, 1 << 20, { ports: [] });

  test('every PDU tshark decodes is ours, in the same frame, with the same fields', () => {
    const rows = readTsv(`${file}.tshark.tsv`);
    expect(rows.length).toBeGreaterThan(20);
    const { pdus, analysis } = run();
    expect(analysis.error).toBeUndefined();
    const a = compare('live', pdus, rows);
    expect(a.mismatches).toEqual([]);
    expect(a.matched).toBe(rows.length);
    expect(a.missedByWireshark).toEqual([]);
  });

  test('the independent walk (lab/pducount.py) counts the same PDUs, type by type', () => {
    const text = existsSync(`${file}.pducount.txt`) ? readFileSync(`${file}.pducount.txt`, 'utf8') : '';
    const m = /: (\d+) PDUs \(independent walk\) \|([^|]*)/.exec(text);
    expect(m, text).not.toBeNull();
    const byName: Record<string, number> = {};
    for (const part of m![2].trim().split(/\s+/).filter(Boolean)) {
      const [k, v] = part.split('=');
      byName[k] = Number(v);
    }
    const { pdus } = run();
    expect(pdus.length).toBe(Number(m![1]));
    expect(countByName(pdus)).toEqual(byName);
  });

  test('the sessions the script opened: discovery, I/O with the negotiated digest, pings answered', () => {
    const { pdus, analysis } = run();
    expect(analysis.connections.every((c) => c.target.port === port)).toBe(true);
    const discovery = analysis.connections.filter((c) => c.initiatorKeys.SessionType === 'Discovery');
    expect(discovery.length).toBeGreaterThanOrEqual(1);
    const normal = analysis.connections.filter((c) => c.initiatorKeys.SessionType !== 'Discovery' && c.loginComplete);
    expect(normal.length).toBeGreaterThanOrEqual(2);
    const wantDigest = process.env.LIVE_HEADER_DIGEST === '1' ? 'CRC32C' : 'None';
    // drive.py asks for the digest; iscsi-ls (no URL option) does not.
    const drive = normal.filter((c) => (c.initiatorKeys.InitiatorName ?? '').includes('drive'));
    expect(drive.length).toBeGreaterThanOrEqual(2);
    for (const c of drive) expect(c.headerDigest).toBe(wantDigest);

    // What was written: immediate data in SCSI Commands plus Data-Out, on WRITE commands.
    const writeKb = Number(process.env.LIVE_WRITE_KB);
    const written = pdus.filter((p) => p.opcode === 0x05 || (p.opcode === 0x01 && p.write === true))
      .reduce((n, p) => n + (p.dataSegmentLength as number), 0);
    expect(written).toBe(writeKb * 1024);

    // Every initiator NOP-Out ping (ITT ≠ 0xffffffff) is answered by a NOP-In with its ITT.
    const pings = pdus.filter((p) => p.opcode === 0x00 && p.itt !== 0xffffffff);
    expect(pings.length).toBeGreaterThanOrEqual(1);
    for (const ping of pings) {
      expect(pdus.some((p) => p.opcode === 0x20 && p.itt === ping.itt && p.conn === ping.conn && p.frame >= ping.frame)).toBe(true);
    }
    // Findings: a healthy session has no error, and every answered ping is a nop-ping.
    expect(analysis.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([]);
    expect(analysis.findings.filter((f) => f.kind === 'nop-ping').length).toBe(pings.length);
    if (process.env.LIVE_TARGET_PINGS === '1') {
      expect(analysis.findings.filter((f) => f.kind === 'target-ping').length).toBeGreaterThanOrEqual(1);
      const targetPings = pdus.filter((p) => p.opcode === 0x20 && p.itt === 0xffffffff && p.ttt !== 0xffffffff);
      expect(targetPings.length).toBeGreaterThanOrEqual(1);
      for (const tp of targetPings) {
        expect(pdus.some((p) => p.opcode === 0x00 && p.ttt === tp.ttt && p.itt === 0xffffffff && p.conn === tp.conn)).toBe(true);
      }
    }
  });
});
