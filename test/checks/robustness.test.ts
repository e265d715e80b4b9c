import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { PduInput } from '../../src/codec/index.ts';
import type { Finding } from '../../src/engine/types.ts';
import { HOSTILE_STRINGS, hostileCapture } from '../../src/synth/index.ts';
import { analyzeBytes } from '../support/analyze.ts';
import { Conv, SynthCapture, check } from './synth.ts';

function wellFormed(findings: Finding[], frames: number): void {
  for (let k = 1; k < findings.length; k++) expect(findings[k].time).toBeGreaterThanOrEqual(findings[k - 1].time);
  for (const f of findings) {
    expect(f.message).not.toMatch(/[\n\r]/);
    expect(Number.isFinite(f.time)).toBe(true);
    for (const fr of f.frames) {
      expect(fr).toBeGreaterThan(0);
      expect(fr).toBeLessThanOrEqual(frames);
    }
    for (const [k, v] of Object.entries(f)) if (typeof v === 'number') expect(Number.isNaN(v), `${f.kind}.${k}`).toBe(false);
  }
}

describe('checks never throw and stay well-formed', () => {
  test('hostile strings stay on one line in messages', () => {
    const { analysis } = analyzeBytes(hostileCapture());
    const { findings, model } = analysis;
    wellFormed(findings, analysis.capture.packets);
    expect(model.connections[0].initiatorName).toBe(HOSTILE_STRINGS.initiatorName);
    expect(() => structuredClone(model)).not.toThrow();
  });

  test('a refused login by a name with a newline keeps the message on one line', () => {
    const cap = new SynthCapture();
    const s = new Conv(cap, { initiatorName: 'iqn.x:a\nb\u0007' });
    s.login({ statusClass: 2, statusDetail: 3 });
    const f = check(cap).findings;
    expect(f[0].message).toContain('iqn.x:a\\x0ab\\x07');
  });

  const action = fc.record({
    side: fc.constantFrom('initiator', 'target'),
    op: fc.constantFrom(0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x20, 0x21, 0x22, 0x24, 0x25, 0x26, 0x31, 0x32, 0x3f),
    itt: fc.constantFrom(1, 2, 3, 0xffffffff),
    ttt: fc.constantFrom(1, 2, 0xffffffff),
    sn: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    flag: fc.boolean(),
    wait: fc.constantFrom(0, 0.001, 0.5, 2),
  });

  test('random conversations (any opcode, tag and sequence number, any end)', () => {
    fc.assert(fc.property(fc.array(action, { maxLength: 40 }), fc.constantFrom('fin-i', 'fin-t', 'rst-i', 'rst-t', 'none'), fc.boolean(),
      (actions, ending, withLogin) => {
        const cap = new SynthCapture();
        const s = new Conv(cap);
        if (withLogin) s.login();
        for (const a of actions) {
          cap.wait(a.wait);
          const pdu = { opcode: a.op, itt: a.itt, ttt: a.ttt, immediate: a.flag, statusPresent: a.flag, lun: 1, tmfFunction: a.flag ? 1 : 5,
            referencedTaskTag: a.itt, ...(a.sn === undefined ? {} : { statSN: a.sn, cmdSN: a.sn, expStatSN: a.sn, maxCmdSN: a.sn }) } as PduInput;
          if ((a.op & 0x20) !== 0) s.t(pdu);
          else s.i(pdu);
        }
        if (ending === 'fin-i') s.fin('initiator');
        else if (ending === 'fin-t') s.fin('target');
        else if (ending === 'rst-i') s.rst('initiator');
        else if (ending === 'rst-t') s.rst('target');
        const { analysis, findings, model } = check(cap);
        wellFormed(findings, analysis.capture.packets);
        expect(() => structuredClone(model)).not.toThrow();
      }), { numRuns: 150 });
  });
});
