import { describe, expect, test } from 'vitest';
import { encodePdu } from '../../src/codec/index.ts';
import { Conv, RESERVED, SynthCapture, check, kinds, only } from './synth.ts';

describe('statsn-gap', () => {
  test('a status that skips StatSNs is a statsn-gap with expected and got', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { statSN: 500 });
    s.login(); // Login Response StatSN 500
    const a = s.command();
    const r1 = s.response(a.itt); // 501
    const b = s.command();
    s.statSN += 2; // the target skips 502 and 503
    const r2 = s.response(b.itt); // 504
    s.logout();
    s.close();
    const g = only(check(cap).findings, 'statsn-gap');
    expect(g).toHaveLength(1);
    expect(g[0]).toMatchObject({ severity: 'warning', expected: 502, got: 504, frames: [r1, r2] });
  });

  test('two statuses swapped on the wire (15, 17, 16, 18) are one transposition, nothing reported missing', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { statSN: 14 });
    s.login(); // 14
    const a = s.command();
    s.response(a.itt); // 15
    const b = s.command();
    const c = s.command();
    s.statSN = 17;
    const rc = s.response(c.itt); // 17 first …
    s.statSN = 16;
    const rb = s.response(b.itt); // … then 16
    s.statSN = 18;
    s.logout(); // 18
    s.close();
    const { findings } = check(cap);
    expect(only(findings, 'statsn-gap')).toEqual([]);
    expect(only(findings, 'statsn-wrong-value')).toEqual([]);
    const t = only(findings, 'statsn-transposition');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ severity: 'warning', expected: 16, got: 17, frame: rc, frames: [rc, rb], field: 'statSN' });
    expect(t[0].message).toMatch(/nothing is missing/);
  });

  test('one wrong StatSN, the sequence going on from the right one, is a wrong value, not a gap', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { statSN: 100 });
    s.login(); // 100
    const a = s.command();
    s.statSN = 777;
    const bad = s.response(a.itt); // 777 where 101 was due
    s.statSN = 102;
    const b = s.command();
    s.response(b.itt); // 102: as if the wrong one had been 101
    s.logout();
    s.close();
    const { findings } = check(cap);
    expect(only(findings, 'statsn-gap')).toEqual([]);
    expect(only(findings, 'statsn-wrong-value').map((f) => [f.expected, f.got, f.frame])).toEqual([[101, 777, bad]]);
  });

  test('R2T and NOP-In with ITT 0xffffffff carry the next StatSN without advancing it', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const w = s.command(0x2a, { write: true });
    s.r2t(w.itt); // StatSN = next, not consumed
    s.dataOut(w.itt);
    s.targetPing(5); // StatSN = next, not consumed
    s.echo(5);
    s.t({ opcode: 0x20, itt: RESERVED, ttt: RESERVED }); // unsolicited window update
    s.response(w.itt); // carries that same StatSN
    s.logout();
    s.close();
    const { findings } = check(cap);
    expect(only(findings, 'statsn-gap')).toEqual([]);
    expect(only(findings, 'expstatsn-ahead')).toEqual([]);
  });

  test('a target that advances StatSN on an R2T shows a gap at its next status', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { statSN: 10 });
    s.login(); // 10
    const w = s.command(0x2a, { write: true });
    s.r2t(w.itt); // carries 11
    s.statSN++; // the buggy target counted it
    s.dataOut(w.itt, 0x5000, { expStatSN: 11 });
    s.response(w.itt); // 12
    s.logout();
    s.close();
    const g = only(check(cap).findings, 'statsn-gap');
    expect(g.map((x) => [x.expected, x.got])).toEqual([[11, 12]]);
  });

  test('a Data-In with S = 0 carries no StatSN', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const r = s.command(0x28);
    s.dataIn(r.itt, false, { statSN: 0xdeadbeef });
    s.dataIn(r.itt, false, { statSN: 7 });
    s.dataIn(r.itt, true);
    s.logout();
    s.close();
    expect(only(check(cap).findings, 'statsn-gap')).toEqual([]);
  });

  test('a new connection restarts StatSN; a failed login response is no gap', () => {
    const cap = new SynthCapture();
    const a = new Conv(cap, { statSN: 100 });
    a.login();
    const x = a.command();
    a.response(x.itt);
    a.logout();
    a.close();
    const refused = new Conv(cap, { initiator: '10.0.0.1:40001', statSN: 77 });
    refused.login({ statusClass: 2, statusDetail: 1 });
    refused.fin('target');
    const b = new Conv(cap, { initiator: '10.0.0.1:40002', statSN: 9000, isid: '80:00:00:00:00:02' });
    b.login();
    const y = b.command();
    b.response(y.itt);
    b.logout();
    b.close();
    const { findings } = check(cap);
    expect(only(findings, 'statsn-gap')).toEqual([]);
    expect(only(findings, 'expstatsn-ahead')).toEqual([]);
    expect(only(findings, 'login-failure')).toHaveLength(1);
  });

  test('StatSN wraps at 2^32 without a gap', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { statSN: 0xfffffffe, cmdSN: 0xfffffffd });
    s.login();
    for (let k = 0; k < 4; k++) {
      const c = s.command();
      s.response(c.itt);
    }
    s.logout();
    s.close();
    const { findings } = check(cap);
    expect(kinds(findings)).toEqual({ logout: 1 });
  });
});

describe('expstatsn-ahead', () => {
  test('an initiator that counts a NOP-In StatSN acknowledges a StatSN never sent (error, once per connection)', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { statSN: 40 });
    s.login(); // 40
    const c = s.command();
    const st = s.response(c.itt); // 41
    const n = s.targetPing(1); // carries 42
    s.echo(1, { expStatSN: 43 }); // counted it
    const bad = s.command(0x00, { expStatSN: 43 });
    s.response(bad.itt); // 42
    const fine = s.command(0x00); // ExpStatSN 43: in step again
    s.response(fine.itt); // 43
    s.targetPing(2); // carries 44
    s.echo(2, { expStatSN: 45 }); // counted again: a second episode
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'expstatsn-ahead');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', expStatSN: 43, lastStatSN: 41, counted: 'NOP-In', occurrences: 2 });
    expect(f[0].frames).toEqual(expect.arrayContaining([st, n]));
    expect(f[0].message).toContain('NOP-In');
  });

  test('the correct initiator acknowledges the NOP-In StatSN as the next one: no finding', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    s.targetPing(1);
    s.echo(1);
    const c = s.command();
    s.response(c.itt);
    s.logout();
    s.close();
    expect(only(check(cap).findings, 'expstatsn-ahead')).toEqual([]);
  });

  test('counting an R2T (libiscsi) is a warning', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const w = s.command(0x2a, { write: true });
    s.r2t(w.itt);
    s.dataOut(w.itt, 0x5000, { expStatSN: s.statSN + 1 });
    s.response(w.itt);
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'expstatsn-ahead');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', counted: 'R2T' });
  });

  test('an R2T in the same segment as the status before it is still the one counted (a warning)', () => {
    // Seen on a fresh loss-heavy-rto lab run: frame 721 held a Data-In with status (StatSN 18) and an
    // R2T carrying 19; libiscsi's next Data-Out acknowledged 20.
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const r = s.command(0x28);
    const w = s.command(0x2a, { write: true });
    s.c.send('target', [
      { opcode: 0x25, itt: r.itt, statusPresent: true, final: true, status: 0, lun: 1, statSN: s.statSN, ...s.win(), data: new Uint8Array(512) },
      { opcode: 0x31, itt: w.itt, ttt: 0x5000, lun: 1, statSN: s.statSN + 1, ...s.win(), desiredDataTransferLength: 4096 },
    ]);
    s.statSN++;
    s.dataOut(w.itt, 0x5000, { expStatSN: s.statSN + 1 });
    s.response(w.itt);
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'expstatsn-ahead');
    expect(f.map((x) => [x.severity, x.counted])).toEqual([['warning', 'R2T']]);
  });

  test('statuses and R2Ts out of order (a multi-threaded target): the R2T of the highest next StatSN is the one counted', () => {
    // As tgt sent them on a fresh loss-heavy-rto run: R2T carrying 173, R2T carrying 172, then the
    // SCSI Response with 172; the next Data-Out acknowledged 174.
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const r = s.command(0x28);
    const w1 = s.command(0x2a, { write: true });
    const w2 = s.command(0x2a, { write: true });
    const n = s.statSN;
    s.r2t(w1.itt, 0x5001, { statSN: n + 1 });
    s.r2t(w2.itt, 0x5002, { statSN: n });
    s.response(r.itt); // n
    s.dataOut(w1.itt, 0x5001, { expStatSN: n + 2 });
    s.response(w1.itt);
    s.response(w2.itt);
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'expstatsn-ahead');
    expect(f.map((x) => [x.severity, x.counted])).toEqual([['warning', 'R2T']]);
  });

  test('…but an error when ErrorRecoveryLevel > 0 was negotiated (the target may drop that status)', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { responseKeys: [['ErrorRecoveryLevel', '1']] });
    s.login();
    const w = s.command(0x2a, { write: true });
    s.r2t(w.itt);
    s.dataOut(w.itt, 0x5000, { expStatSN: s.statSN + 1 });
    s.response(w.itt);
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'expstatsn-ahead');
    expect(f.map((x) => [x.severity, x.counted])).toEqual([['error', 'R2T']]);
  });
});

describe('capture loss does not look like sequence errors', () => {
  test('a status lost in a capture gap: capture-gap, no statsn-gap, no command-unanswered', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const a = s.command();
    // The target's response and a whole Data-In PDU are lost by the capture.
    const lost = encodePdu({ opcode: 0x21, itt: a.itt, statSN: s.statSN, ...s.win() });
    s.statSN++;
    s.c.skip('target', lost.length);
    const b = s.command(0x00, { expStatSN: s.statSN });
    s.response(b.itt);
    s.logout();
    s.close();
    const { findings } = check(cap);
    expect(only(findings, 'statsn-gap')).toEqual([]);
    expect(only(findings, 'expstatsn-ahead')).toEqual([]);
    expect(only(findings, 'command-unanswered')).toEqual([]);
    expect(only(findings, 'capture-gap').map((f) => [f.bytesMissing, f.dir])).toEqual([[lost.length, 'T>I']]);
  });
});

describe('cmdsn-out-of-window / command-window-closed', () => {
  test('CmdSN beyond MaxCmdSN and below ExpCmdSN are out of window; immediate commands are not', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { cmdSN: 10, window: 2 });
    s.login(); // window [10, 11]
    const beyond = s.i({ opcode: 0x01, itt: 0x77, cmdSN: 12, scsiOpcode: 0, lun: 1 });
    const old = s.i({ opcode: 0x01, itt: 0x78, cmdSN: 9, scsiOpcode: 0, lun: 1 });
    s.i({ opcode: 0x02, immediate: true, itt: 0x79, cmdSN: 50, tmfFunction: 5, lun: 1 }); // immediate: not checked
    const okc = s.command(0x00); // 10
    s.response(okc.itt);
    const f = only(check(cap).findings, 'cmdsn-out-of-window');
    expect(f.map((x) => [x.cmdSN, x.expCmdSN, x.maxCmdSN, x.frames[x.frames.length - 1]])).toEqual([[12, 10, 11, beyond], [9, 10, 11, old]]);
  });

  test('CmdSN windows wrap at 2^32', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { cmdSN: 0xfffffffe, window: 8 });
    s.login();
    for (let k = 0; k < 5; k++) s.command(0x00);
    for (let k = 0; k < 5; k++) s.response(0x11 + k);
    s.logout();
    s.close();
    expect(only(check(cap).findings, 'cmdsn-out-of-window')).toEqual([]);
  });

  test('MaxCmdSN = ExpCmdSN − 1 held for longer than windowClosedMs', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { window: 1 });
    s.login();
    const c = s.command(0x00);
    s.window = 0; // the target closes the window with this response
    const closed = s.response(c.itt);
    cap.wait(0.25);
    s.window = 4;
    const reopened = s.t({ opcode: 0x20, itt: RESERVED, ttt: RESERVED });
    s.command(0x00);
    const f = only(check(cap).findings, 'command-window-closed');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', durationMs: 250, frames: [closed, reopened] });
    // Shorter than the threshold: nothing.
    expect(only(check(cap, { windowClosedMs: 300 }).findings, 'command-window-closed')).toEqual([]);
  });
});
