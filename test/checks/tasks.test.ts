import { describe, expect, test } from 'vitest';
import { TaskFate } from '../../src/sessions/index.ts';
import { Conv, RESERVED, SynthCapture, check, kinds, only } from './synth.ts';

describe('slow-command / command-unanswered', () => {
  test('a command slower than slowMs is a slow-command; faster ones are not', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const slow = s.command(0x28);
    const fast = s.command(0x00);
    cap.wait(0.01);
    s.response(fast.itt);
    cap.wait(1.49);
    const st = s.dataIn(slow.itt, true);
    s.logout();
    s.close();
    const { findings, model } = check(cap);
    const f = only(findings, 'slow-command');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', itt: slow.itt, scsiOpcode: 0x28, latencyMs: 1500, frames: [slow.frame, st] });
    expect(f[0].message).toContain('READ(10)');
    expect(only(check(cap, { slowMs: 2000 }).findings, 'slow-command')).toEqual([]);
    // The task table holds both, with their latency.
    expect(model.tasks.count).toBe(2);
    expect(Array.from(model.tasks.latencyMs)).toEqual([1500, 10].map((x) => expect.closeTo(x, 3)));
  });

  test('a command with no status when the target resets: command-unanswered error naming 1020', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x2a, { write: true });
    cap.wait(0.3);
    const rst = s.rst('target');
    const f = only(check(cap).findings, 'command-unanswered');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', itt: c.itt, scsiOpcode: 0x2a, waitedMs: 300, then: 'target-reset', frames: [c.frame, rst] });
    expect(f[0].message).toContain('ISCSI_ERR_TCP_CONN_CLOSE (1020)');
  });

  test('still outstanding at capture end: a warning with then capture-end', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    s.command(0x28);
    cap.wait(0.2);
    s.c.ack('target');
    const f = only(check(cap).findings, 'command-unanswered');
    expect(f.map((x) => [x.severity, x.then, x.waitedMs])).toEqual([['warning', 'capture-end', 200]]);
  });

  test('a command aborted by a successful ABORT TASK gets no status by design: no command-unanswered', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x28);
    cap.wait(2);
    const t = s.tmf(1, c.itt);
    s.tmfResponse(t.itt, 0);
    s.logout();
    s.close();
    const { findings, model } = check(cap);
    expect(only(findings, 'command-unanswered')).toEqual([]);
    expect(model.tasks.fate[0]).toBe(TaskFate.Aborted);
    const tmf = only(findings, 'tmf');
    expect(tmf).toHaveLength(1);
    expect(tmf[0]).toMatchObject({ tmfFunction: 1, referencedTaskTag: c.itt, referencedFrame: c.frame, outstandingMs: 2000, response: 0 });
  });
});

describe('tmf / tmf-unanswered', () => {
  test('a TMF that never completes before the initiator drops the connection names 1021', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x88);
    cap.wait(30);
    const abort = s.tmf(1, c.itt, { refCmdSN: s.cmdSN - 1 });
    cap.wait(15);
    const reset = s.tmf(5, RESERVED);
    cap.wait(30);
    const fin = s.fin('initiator');
    const { findings } = check(cap);
    const u = only(findings, 'tmf-unanswered');
    expect(u.map((x) => [x.tmfFunction, x.referencedTaskTag, x.referencedFrame, x.outstandingMs, x.waitedMs, x.then])).toEqual([
      [1, c.itt, c.frame, 30000, 45000, 'initiator-fin'],
      [5, RESERVED, c.frame, 45000, 30000, 'initiator-fin'],
    ]);
    expect(u[0].frames).toEqual([c.frame, abort.frame, fin]);
    expect(u[0].message).toContain('ISCSI_ERR_SCSI_EH_SESSION_RST (1021)');
    expect(u[0].message).toContain('LOGICAL UNIT RESET');
    expect(u[1].frames).toContain(reset.frame);
    expect(only(findings, 'command-unanswered')).toHaveLength(1);
  });

  test('"task does not exist" for a command that already completed', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x2a, { write: true });
    const t = s.tmf(1, c.itt);
    s.response(c.itt);
    const r = s.tmfResponse(t.itt, 1);
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'tmf');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', tmfFunction: 1, response: 1, referencedFrame: c.frame, frames: [c.frame, t.frame, r] });
    expect(f[0].message).toContain('Task does not exist');
  });

  test('an ABORT TASK for a task not in the capture has no referencedFrame', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const t = s.tmf(1, 0x9999);
    s.tmfResponse(t.itt, 1);
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'tmf')[0];
    expect(f.referencedFrame).toBeUndefined();
    expect(f.outstandingMs).toBeUndefined();
    expect(f.referencedTaskTag).toBe(0x9999);
  });
});

describe('the task table', () => {
  test('counts R2T, Data-Out and Data-In per command; latency aggregates per LUN and opcode', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const w = s.command(0x2a, { write: true });
    s.r2t(w.itt);
    s.dataOut(w.itt);
    s.dataOut(w.itt);
    cap.wait(0.004);
    s.response(w.itt);
    const r = s.command(0x28);
    s.dataIn(r.itt, false);
    s.dataIn(r.itt, false);
    cap.wait(0.002);
    s.dataIn(r.itt, true);
    const r2 = s.command(0x28);
    cap.wait(0.006);
    s.dataIn(r2.itt, true);
    s.logout();
    s.close();
    const { model } = check(cap);
    const t = model.tasks;
    expect(t.count).toBe(3);
    expect([t.r2ts[0], t.dataOuts[0], t.dataIns[0]]).toEqual([1, 2, 0]);
    expect([t.r2ts[1], t.dataOuts[1], t.dataIns[1]]).toEqual([0, 0, 3]);
    expect(Array.from(t.status)).toEqual([0, 0, 0]);
    const read = model.latency.byOpcode.find((x) => x.key === 0x28);
    expect(read).toMatchObject({ name: 'READ(10)', count: 2, completed: 2, minMs: 2, medianMs: 4, p95Ms: 6, maxMs: 6 });
    expect(model.latency.byLun).toEqual([expect.objectContaining({ name: 'LUN 1', count: 3, completed: 3, minMs: 2, maxMs: 6 })]);
    expect(kinds(check(cap).findings)).toEqual({ logout: 1 });
  });
});
