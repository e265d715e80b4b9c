// iscsi-inspect watch on a live capture: the first half of initiator-ping-timeout.pcap written to its
// stdin, the pipe left open — the answered pings (tshark: NOP-Outs at frames 12, 15, 18 answered) come
// out before the rest is written; the unanswered ones only once their connection has ended (the
// initiator's FIN at frame 31), and the incident after that. Records are cut from the classic pcap
// layout here, not by our reader.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CAPTURES } from '../support/shared.ts';
import { jsonLines } from './run.ts';

const BIN = resolve('bin/iscsi-inspect.js');

function cut(b: Buffer, upToFrame: number): number {
  let o = 24;
  for (let f = 1; f <= upToFrame && o + 16 <= b.length; f++) o += 16 + b.readUInt32LE(o + 8);
  return o;
}

describe('watch', () => {
  test('a live capture: settled findings come out while the input is still open, the rest at its end', async () => {
    const b = readFileSync(join(CAPTURES, 'initiator-ping-timeout.pcap'));
    const half = cut(b, 26); // up to the 4th unanswered ping; the FIN (frame 31) not yet
    const child = spawn(process.execPath, [BIN, 'watch', '-', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    child.stdin.write(b.subarray(0, half));
    const seen = (): Array<Record<string, unknown>> => jsonLines(out);
    for (let i = 0; i < 200 && seen().filter((x) => x.kind === 'nop-ping').length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const early = seen();
    expect(early.filter((x) => x.kind === 'nop-ping').map((x) => x.frame)).toEqual([12, 15, 18]);
    // The pings still waiting are not told yet: their connection is open.
    expect(early.some((x) => x.kind === 'nop-ping-unanswered')).toBe(false);
    child.stdin.end(b.subarray(half));
    expect(await exited).toBe(0);
    const all = seen();
    expect(all.filter((x) => x.kind === 'nop-ping-unanswered').map((x) => x.frame)).toEqual([21, 23, 25, 27, 29]);
    const incidents = all.filter((x) => x.type === 'incident');
    expect(incidents.map((x) => x.kind)).toEqual(['ping-timeout']);
    // Each finding once.
    const keys = all.filter((x) => x.type === 'finding').map((x) => `${String(x.kind)} ${String(x.frame)}`);
    expect(new Set(keys).size).toBe(keys.length);
  }, 30_000);
});

describe('watch for hours: what is told of an ended connection is let go', () => {
  test('60 sessions 200 s apart: each told once, as the whole capture tells them, with the PDUs of about one session held', async () => {
    const { Analyzer } = await import('../../src/engine/index.ts');
    const { Watcher } = await import('../../src/cli/watch.ts');
    const { Conv, SynthCapture, bytesOf } = await import('../checks/synth.ts');
    // Made here: 60 sessions one after another, each a login, an answered ping, a READ and a logout.
    const cap = new SynthCapture();
    for (let k = 0; k < 60; k++) {
      const s = new Conv(cap, { initiator: `10.0.0.1:${40000 + k}`, isid: `80:00:00:00:${(k >> 8).toString(16).padStart(2, '0')}:${(k & 255).toString(16).padStart(2, '0')}` });
      s.login();
      const p = s.ping();
      s.pong(p.itt);
      const c = s.command(0x28);
      s.response(c.itt);
      s.logout();
      s.close();
      cap.wait(200);
    }
    const bytes = bytesOf(cap);
    const told: string[] = [];
    const watcher = new Watcher({ finding: (f) => told.push(`${f.kind} ${f.conn} ${f.frame}`), incident: () => {} }, 60);
    const a = new Analyzer();
    let mostHeld = 0;
    const step = 4096;
    for (let o = 0; o < bytes.length; o += step) {
      a.push(bytes.subarray(o, o + step));
      a.retire(watcher.tell(a.snapshot(), false));
      mostHeld = Math.max(mostHeld, a.pduCount);
    }
    watcher.tell(a.finish(), true);
    const whole = new Analyzer();
    whole.push(bytes);
    const all = whole.finish();
    expect(all.findings.filter((f) => f.kind === 'logout')).toHaveLength(60);
    expect([...told].sort()).toEqual(all.findings.map((f) => `${f.kind} ${f.conn} ${f.frame}`).sort());
    // A session's PDUs stay held for 120 s after its end (a relogin may still refer to it), the next
    // starts 200 s later: never more than a few sessions' worth at once.
    const perSession = all.pdus.count / 60;
    expect(mostHeld).toBeLessThanOrEqual(perSession * 3);
    expect(all.pdus.count).toBe(60 * perSession);
  });
});
