import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { captureTests, findingsOf, loadCapture, pendingFindingTests } from '../iscsi/capture-checks.ts';
import type { Capture } from '../iscsi/capture-checks.ts';
import * as wire from '../iscsi/wire-facts.ts';

/**
 * Runs only under scripts/live-istgt.sh (npm run test:live), on captures made moments ago of a real
 * istgt and real libiscsi initiators. What to expect comes from what the script asked them to do
 * (run.env, each scenario's exit status) and from tshark's decode of the same files.
 */
const dir = process.env.LIVE_ISTGT_DIR;
if (!dir) console.warn('istgt live test skipped: it runs under `npm run test:live` (real istgt + libiscsi, needs root)');

function runEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dir ?? '', 'run.env'), 'utf8').split('\n')) {
    const m = /^(\w+)="?(.*?)"?$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

describe.skipIf(!dir)(`istgt live captures (seed ${process.env.LIVE_SEED ?? (dir ? runEnv().LIVE_ISTGT_SEED : '')})`, () => {
  const env = dir ? runEnv() : {};
  const port = Number(env.LIVE_ISTGT_PORT);
  const scenarios = (env.LIVE_ISTGT_SCENARIOS ?? '').split(/\s+/).filter(Boolean);
  const get = (name: string) => (): Capture => loadCapture(`${name}.pcap`, join(dir ?? '', `${name}.pcap`), port);
  const rc = (name: string): number => Number(readFileSync(join(dir ?? '', `${name}.rc`), 'utf8'));

  for (const name of scenarios) {
    describe(name, () => {
      test('was captured', () => expect(existsSync(join(dir ?? '', `${name}.pcap`))).toBe(true));
      captureTests(name, get(name));
      pendingFindingTests(name, get(name));
    });
  }

  test.runIf(scenarios.includes('discovery'))('discovery: iscsi-ls hangs; istgt counted its immediate Text Request; no Logout', () => {
    const cap = get('discovery')();
    expect(rc('discovery')).toBe(124); // timeout ended it
    const disc = [...wire.discoveryStreams(cap.rows)];
    expect(disc.length).toBe(1);
    const counted = wire.immediateCounted(cap.rows, port).filter((c) => c.stream === disc[0]);
    expect(counted.map((c) => c.requestOpcode)).toEqual([0x04]);
    const list = wire.byStream(cap.rows).get(disc[0]) ?? [];
    expect(list.some((r) => wire.opcodeOf(r) === 0x06)).toBe(false);
    expect(cap.analysis.connections[cap.connOf.get(disc[0]) ?? -1]?.initiatorKeys.SessionType).toBe('Discovery');
  });

  test.runIf(scenarios.includes('io') && scenarios.includes('io-header-digest'))('I/O with header digest off and on: what was written, with the digest negotiated', () => {
    for (const [name, hd] of [['io', 'None'], ['io-header-digest', 'CRC32C']] as const) {
      const cap = get(name)();
      expect(rc(name)).toBe(0);
      const normal = cap.analysis.connections.filter((c) => c.loginComplete && c.initiatorKeys.SessionType !== 'Discovery');
      expect(normal.length).toBeGreaterThanOrEqual(1);
      for (const c of normal) expect(c.headerDigest).toBe(hd);
      const written = cap.pdus.filter((p) => p.opcode === 0x05 || (p.opcode === 0x01 && p.write === true))
        .reduce((n, p) => n + (p.dataSegmentLength as number), 0);
      expect(written).toBe(Number(env.LIVE_ISTGT_WRITE_KB) * 1024);
      const read = cap.pdus.filter((p) => p.opcode === 0x25).reduce((n, p) => n + (p.dataSegmentLength as number), 0);
      expect(read).toBeGreaterThanOrEqual(Number(env.LIVE_ISTGT_READ_KB) * 1024);
      // Reads longer than MaxRecvDataSegmentLength (262144) come as several Data-In PDUs, F=0 but the last.
      if (Number(env.LIVE_ISTGT_XFER_KB) > 256) expect(cap.pdus.some((p) => p.opcode === 0x25 && p.final === false)).toBe(true);
    }
  });

  test.runIf(scenarios.includes('data-digest'))('data digests: DataDigest=Reject, and CRC32C after every data segment istgt sends', () => {
    const cap = get('data-digest')();
    expect(rc('data-digest')).toBe(0);
    const found = [...wire.unnegotiatedDigests(cap.rows, port).values()].flat();
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.every((u) => u.which === 'data' && u.by === 'target' && u.negotiated === 'None' && u.sent === 'CRC32C')).toBe(true);
    for (const c of cap.analysis.connections.filter((k) => k.loginComplete)) {
      expect(c.targetKeys.DataDigest).toBe('Reject');
      expect(c.dataDigest).toBe('None');
    }
  });

  test.runIf(scenarios.includes('keepalive'))('keepalive: istgt NOP-Ins on an idle session, unanswered, StatSN not advanced', () => {
    const cap = get('keepalive')();
    expect(rc('keepalive')).toBe(0);
    const ka = wire.keepalives(cap.rows, port);
    expect(ka.length).toBeGreaterThanOrEqual(1);
    for (const k of ka) {
      // istgt counts the immediate Logout in ExpCmdSN: that expcmdsn-ahead is checked against the
      // wire facts with the other findings; nothing else may be an error.
      expect(findingsOf(cap, k.stream).filter((f) => f.severity === 'error' && f.kind !== 'expcmdsn-ahead')).toEqual([]);
    }
  });

  test.runIf(scenarios.includes('abort'))('abort: ABORT TASK names the READ the stopped target held; answered "Function complete"; tmf found', () => {
    const cap = get('abort')();
    expect(rc('abort')).toBe(0);
    const t = wire.tmfs(cap.rows, port);
    const abort = t.find((x) => x.fn === 0x01);
    expect(abort?.commandFrame).toBeDefined();
    expect(abort?.response).toBe(0);
    const tmf = findingsOf(cap, abort!.stream, 'tmf').find((f) => f.tmfFunction === 0x01);
    expect(tmf).toMatchObject({ referencedTaskTag: abort!.referencedTaskTag, referencedFrame: abort!.commandFrame, response: 0 });
    expect(t.some((x) => x.fn === 0x05 && x.response === 0)).toBe(true); // LOGICAL UNIT RESET
  });
});
