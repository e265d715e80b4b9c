import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { encodePdu } from '../../src/codec/index.ts';
import type { Finding } from '../../src/engine/types.ts';
import { FINDING_KINDS } from '../../src/checks/index.ts';
import { contract } from './contract.ts';
import { Conv, RESERVED, SynthCapture, check } from './synth.ts';

const ISTGT = resolve(import.meta.dirname, '../fixtures/istgt');
const TCP_LAB = resolve(import.meta.dirname, '../fixtures/tcp');

/** Keys the contract marks as present only in some cases. */
const OPTIONAL = new Set(['answeredLateMs']);

/** One synthetic capture per kind that shows it; together they raise every kind of the table. */
const SCENARIOS: Record<string, () => SynthCapture> = {
  pings: () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const a = s.ping();
    s.pong(a.itt);
    s.targetPing(1);
    s.echo(1);
    s.targetPing(2);
    s.echo(3);
    s.ping();
    cap.wait(5);
    s.fin('initiator');
    return cap;
  },
  sequences: () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { window: 1 });
    s.login();
    const c = s.command(0x28);
    s.statSN += 3;
    s.window = 0;
    s.response(c.itt);
    cap.wait(0.2);
    s.window = 2;
    s.targetPing(9);
    s.echo(9, { expStatSN: s.statSN + 1 });
    s.i({ opcode: 0x01, itt: 0x500, cmdSN: s.cmdSN + 10, scsiOpcode: 0, lun: 1 });
    cap.wait(0.1);
    s.logout();
    s.close();
    return cap;
  },
  tasks: () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const slow = s.command(0x28);
    const lost = s.command(0x2a, { write: true });
    cap.wait(2);
    s.dataIn(slow.itt, true);
    const t1 = s.tmf(1, slow.itt);
    s.tmfResponse(t1.itt, 1);
    s.tmf(1, lost.itt);
    cap.wait(1);
    const bhs = encodePdu({ opcode: 0x01, itt: 0x700, scsiOpcode: 0, lun: 1 }).subarray(0, 48);
    s.t({ opcode: 0x3f, rejectReason: 4, rejectedBhs: bhs });
    s.statSN++;
    s.t({ opcode: 0x32, asyncEvent: 2 });
    s.statSN++;
    s.rst('target');
    return cap;
  },
  sessions: () => {
    const cap = new SynthCapture();
    let port = 40100;
    const refused = new Conv(cap, { initiator: `10.0.0.1:${port++}`, isid: '80:00:00:00:00:09' });
    refused.login({ statusClass: 2, statusDetail: 1 });
    refused.fin('target');
    for (let k = 0; k < 4; k++) {
      const d = new Conv(cap, { initiator: `10.0.0.1:${port++}`, discovery: true, isid: '80:00:00:00:00:08' });
      d.login();
      d.sendTargets();
      d.logout();
      d.close();
    }
    const a = new Conv(cap, { initiator: `10.0.0.1:${port++}` });
    a.login();
    a.fin('initiator');
    cap.wait(2);
    const b = new Conv(cap, { initiator: `10.0.0.1:${port++}`, tsih: 0x300 });
    b.login();
    return cap;
  },
  capture: () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { headerDigest: true });
    s.login();
    const c = s.command(0x00);
    const bad = encodePdu({ opcode: 0x21, itt: c.itt, statSN: s.statSN, ...s.win() }, { headerDigest: true });
    bad[48] ^= 1;
    s.c.sendBytes('target', bad);
    s.statSN++;
    s.c.skip('initiator', 1000);
    s.command(0x00);
    // A cut frame in a second capture would be needed for the snaplen: see 'snaplen'.
    return cap;
  },
  clock: () => {
    // The capture's clock steps back an hour between a ping and its answer (an NTP step, files joined out of order).
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const p = s.ping();
    cap.wait(-3600);
    s.pong(p.itt);
    s.logout();
    s.close();
    return cap;
  },
  overlap: () => {
    // A ping's second half arrives first (held out of order), then the whole ping with other bytes
    // in that half: the copy seen first is used, and the disagreement told.
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const itt = 0x4242;
    const ping = encodePdu({ opcode: 0x00, immediate: true, itt, ttt: RESERVED, lun: 0, cmdSN: s.cmdSN, expStatSN: s.statSN });
    const seq = s.c.seq('initiator');
    s.c.segment('initiator', seq + 24, ping.subarray(24));
    const other = ping.slice();
    other[40] ^= 0xff;
    s.c.sendBytes('initiator', other);
    s.pong(itt);
    s.logout();
    s.close();
    return cap;
  },
  snaplen: () => {
    const cap = new SynthCapture({ snaplen: 100 });
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x28);
    const din = encodePdu({ opcode: 0x25, itt: c.itt, statusPresent: true, final: true, statSN: s.statSN, data: new Uint8Array(2000), ...s.win() });
    s.c.segment('target', s.c.seq('target'), din, undefined, 100);
    s.c.skip('target', din.length);
    return cap;
  },
};

test('every kind of the contract is raised, with its severity and all its detail keys', () => {
  const seen = new Map<string, Finding[]>();
  const add = (name: string, findings: readonly Finding[]): void => {
    for (const f of findings) {
      const list = seen.get(f.kind) ?? [];
      list.push({ ...f, scenario: name });
      seen.set(f.kind, list);
    }
  };
  for (const [name, make] of Object.entries(SCENARIOS)) add(name, check(make()).findings);
  // What only a second target shows, from a real istgt capture (test/fixtures/istgt, docs/istgt.md):
  // data digests after DataDigest=Reject, and an immediate Logout counted in ExpCmdSN.
  const istgt = JSON.parse(readFileSync(join(ISTGT, 'captures.json'), 'utf8')) as Array<{ file: string; port: number }>;
  const dr = istgt.find((x) => x.file === 'digest-reject.pcap')!;
  add('istgt', analyzeFile(join(ISTGT, dr.file), 1 << 20, { ports: [dr.port] }).analysis.findings);
  // What real TCP faults show (test/fixtures/tcp, made with ../shared/lab/tcp-faults): reconnects
  // refused by a killed target, a black-holed path (retransmissions, SYNs unanswered), an initiator
  // that stopped reading (a zero window of 6 s).
  for (const cap of ['refused.pcap', 'blackhole.pcap', 'zerowin-initiator.pcap']) add(cap, analyzeFile(join(TCP_LAB, cap), 1 << 20).analysis.findings);
  // The contract's kinds, and those new in its latest revision that have landed here.
  const landed = new Set(FINDING_KINDS.map((k) => k.kind));
  for (const row of contract().filter((r) => !r.added || landed.has(r.kind))) {
    const found = seen.get(row.kind) ?? [];
    expect(found.length, `${row.kind} raised by some scenario`).toBeGreaterThan(0);
    const f = found.find((x) => x.severity === row.severity) ?? found[0];
    expect(f.severity, row.kind).toBe(row.severity);
    for (const k of ['kind', 'severity', 'time', 'frames', 'message']) expect(f, `${row.kind}.${k}`).toHaveProperty(k);
    expect(f.conn !== undefined || f.conns !== undefined, `${row.kind} conn/conns`).toBe(true);
    for (const key of row.keys) {
      if (OPTIONAL.has(key)) continue;
      expect(found.some((x) => x[key] !== undefined), `${row.kind}.${key}`).toBe(true);
    }
  }
  expect(RESERVED).toBe(0xffffffff);
  // The hour back is told once, and the ping across it is no negative round trip.
  const back = seen.get('time-backwards')!;
  expect(back).toHaveLength(1);
  expect(back[0].byMs).toBeCloseTo(3600_000, 0);
  const pong = (seen.get('nop-ping') ?? []).filter((f) => f.scenario === 'clock');
  expect(pong).toHaveLength(1);
  expect(pong[0].rttMs).toBe(0);
});
