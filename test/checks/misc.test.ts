import { describe, expect, test } from 'vitest';
import { encodePdu } from '../../src/codec/index.ts';
import { Conv, SynthCapture, check, kinds, only } from './synth.ts';

describe('reject', () => {
  test('a Reject names the PDU it carries and points at it', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x00);
    const bhs = encodePdu({ opcode: 0x01, itt: c.itt, cmdSN: s.cmdSN - 1, scsiOpcode: 0, lun: 1 }).subarray(0, 48);
    const r = s.t({ opcode: 0x3f, rejectReason: 0x09, rejectedBhs: bhs });
    s.statSN++;
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'reject');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', reason: 0x09, rejectedOpcode: 0x01, rejectedItt: c.itt, frames: [c.frame, r] });
    expect(f[0].message).toContain('Invalid PDU field');
  });
});

describe('async-message', () => {
  test('an Asynchronous Message with its event text (and sense for a SCSI event)', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap);
    s.login();
    const a = s.t({ opcode: 0x32, asyncEvent: 1, parameter3: 10 });
    s.statSN++;
    const b = s.t({ opcode: 0x32, asyncEvent: 0, lun: 1, sense: { senseKey: 6, asc: 0x29, ascq: 0 } });
    s.statSN++;
    s.logout();
    s.close();
    const f = only(check(cap).findings, 'async-message');
    expect(f.map((x) => [x.asyncEvent, x.eventText, x.frames])).toEqual([
      [1, 'Target requests Logout', [a]],
      [0, 'SCSI asynchronous event (sense data)', [b]],
    ]);
    expect(f.every((x) => x.severity === 'warning')).toBe(true);
    expect(f[1].message).toContain('UNIT ATTENTION');
  });
});

describe('digest-error', () => {
  test('a header digest and a data digest that do not match', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { headerDigest: true, dataDigest: true });
    s.login();
    const c = s.command(0x28);
    s.response(c.itt);
    // A command whose header digest is wrong…
    const bad = encodePdu({ opcode: 0x01, itt: 0x99, cmdSN: s.cmdSN, expStatSN: s.statSN, scsiOpcode: 0, lun: 1 }, { headerDigest: true });
    bad[48] ^= 0xff;
    const f1 = s.c.sendBytes('initiator', bad)[0];
    // …and a Data-In whose data digest is wrong.
    const c2 = s.command(0x28);
    const din = encodePdu({ opcode: 0x25, itt: c2.itt, statusPresent: false, data: new Uint8Array(16).fill(7), statSN: 0, ...s.win() },
      { headerDigest: true, dataDigest: true });
    din[din.length - 1] ^= 0xff;
    const f2 = s.c.sendBytes('target', din)[0];
    const { findings } = check(cap);
    const d = only(findings, 'digest-error');
    expect(d.map((x) => [x.which, x.frames])).toEqual([['header', [f1]], ['data', [f2]]]);
    expect(d[0].message).toContain('1014');
  });

  test('good digests: no digest-error', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { headerDigest: true, dataDigest: true });
    s.login();
    const c = s.command(0x28);
    s.dataIn(c.itt, true);
    s.logout();
    s.close();
    expect(kinds(check(cap).findings)).toEqual({ logout: 1 });
  });
});

describe('snaplen-truncated', () => {
  test('frames cut by the snaplen: one finding with the snaplen and the truncated PDUs', () => {
    const cap = new SynthCapture({ snaplen: 128 });
    const s = new Conv(cap);
    s.login();
    const c = s.command(0x28);
    // A Data-In whose frame the snaplen cuts: the header survives, the data does not.
    const din = encodePdu({ opcode: 0x25, itt: c.itt, statusPresent: true, final: true, statSN: s.statSN, data: new Uint8Array(4000), ...s.win() });
    s.statSN++;
    const f = s.c.segment('target', s.c.seq('target'), din, undefined, 128);
    s.c.skip('target', din.length);
    s.logout();
    s.close();
    const { findings } = check(cap);
    const t = only(findings, 'snaplen-truncated');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ severity: 'info', snaplen: 128, pdusTruncated: 1, frames: [f], conns: [0] });
    expect(only(findings, 'command-unanswered')).toEqual([]);
    expect(only(findings, 'capture-gap')).toEqual([]);
  });
});
