// encode → decode gives back every field, for every PDU type, with and without digests.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  bhsProblem, crc32c, decodePdu, encodeHeaderInto, encodePdu, encodePduInto, encodedLength, toHex, u32le,
} from '../../src/codec/index.ts';
import type { Pdu, PduInput } from '../../src/codec/index.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const lun = fc.integer({ min: 0, max: 16383 });
const data = fc.uint8Array({ maxLength: 70 });
const textPart = (noEq: boolean): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(noEq ? /[\0=]/g : /\0/g, '_'));
const keys = fc.array(fc.tuple(textPart(true), textPart(false)), { maxLength: 6 });
const sense = fc.record({
  senseKey: fc.integer({ min: 0, max: 15 }), asc: u8, ascq: u8,
  format: fc.constantFrom<'fixed' | 'descriptor'>('fixed', 'descriptor'), deferred: fc.boolean(),
});
const common = { itt: u32, immediate: fc.boolean() };

const arbitraries: Record<string, fc.Arbitrary<PduInput>> = {
  'NOP-Out': fc.record({ opcode: fc.constant(0x00 as const), ...common, lun, ttt: u32, cmdSN: u32, expStatSN: u32, data }),
  'NOP-In': fc.record({ opcode: fc.constant(0x20 as const), itt: u32, lun, ttt: u32, statSN: u32, expCmdSN: u32, maxCmdSN: u32, data }),
  'SCSI Command': fc.record({
    opcode: fc.constant(0x01 as const), ...common, lun, final: fc.boolean(), read: fc.boolean(), write: fc.boolean(),
    attr: fc.integer({ min: 0, max: 7 }), crn: u8, expectedDataTransferLength: u32, cmdSN: u32, expStatSN: u32,
    cdb: fc.uint8Array({ minLength: 16, maxLength: 60 }), data,
  }, { requiredKeys: ['opcode', 'itt', 'lun', 'cdb', 'read', 'write', 'attr', 'final'] }),
  'SCSI Command (bidi)': fc.record({
    opcode: fc.constant(0x01 as const), itt: u32, read: fc.constant(true), write: fc.constant(true),
    cdb: fc.uint8Array({ minLength: 16, maxLength: 40 }), bidiReadLength: u32, data,
  }),
  'SCSI Response': fc.record({
    opcode: fc.constant(0x21 as const), itt: u32, bidiOverflow: fc.boolean(), bidiUnderflow: fc.boolean(),
    overflow: fc.boolean(), underflow: fc.boolean(), response: u8, status: u8, snackTag: u32, statSN: u32,
    expCmdSN: u32, maxCmdSN: u32, expDataSN: u32, bidiReadResidualCount: u32, residualCount: u32, sense, data,
  }, { requiredKeys: ['opcode', 'itt', 'status', 'statSN'] }),
  'Task Management Function Request': fc.record({
    opcode: fc.constant(0x02 as const), ...common, lun, tmfFunction: fc.integer({ min: 0, max: 127 }),
    referencedTaskTag: u32, cmdSN: u32, expStatSN: u32, refCmdSN: u32, expDataSN: u32,
  }),
  'Task Management Function Response': fc.record({
    opcode: fc.constant(0x22 as const), itt: u32, response: u8, statSN: u32, expCmdSN: u32, maxCmdSN: u32,
  }),
  'Login Request': fc.record({
    opcode: fc.constant(0x03 as const), itt: u32, transit: fc.boolean(), cont: fc.boolean(),
    csg: fc.integer({ min: 0, max: 3 }), nsg: fc.integer({ min: 0, max: 3 }), versionMax: u8, versionMin: u8,
    isid: fc.uint8Array({ minLength: 6, maxLength: 6 }), tsih: u16, cid: u16, cmdSN: u32, expStatSN: u32, keys,
  }),
  'Login Response': fc.record({
    opcode: fc.constant(0x23 as const), itt: u32, transit: fc.boolean(), cont: fc.boolean(),
    csg: fc.integer({ min: 0, max: 3 }), nsg: fc.integer({ min: 0, max: 3 }), versionMax: u8, versionActive: u8,
    isid: fc.uint8Array({ minLength: 6, maxLength: 6 }), tsih: u16, statSN: u32, expCmdSN: u32, maxCmdSN: u32,
    loginStatusClass: u8, loginStatusDetail: u8, keys,
  }),
  'Text Request': fc.record({
    opcode: fc.constant(0x04 as const), ...common, lun, final: fc.boolean(), cont: fc.boolean(), ttt: u32,
    cmdSN: u32, expStatSN: u32, keys,
  }),
  'Text Response': fc.record({
    opcode: fc.constant(0x24 as const), itt: u32, lun, final: fc.boolean(), cont: fc.boolean(), ttt: u32,
    statSN: u32, expCmdSN: u32, maxCmdSN: u32, keys,
  }),
  'SCSI Data-Out': fc.record({
    opcode: fc.constant(0x05 as const), itt: u32, lun, final: fc.boolean(), ttt: u32, expStatSN: u32, dataSN: u32,
    bufferOffset: u32, data,
  }),
  'SCSI Data-In': fc.record({
    opcode: fc.constant(0x25 as const), itt: u32, lun, final: fc.boolean(), ack: fc.boolean(), overflow: fc.boolean(),
    underflow: fc.boolean(), statusPresent: fc.boolean(), status: u8, ttt: u32, statSN: u32, expCmdSN: u32,
    maxCmdSN: u32, dataSN: u32, bufferOffset: u32, residualCount: u32, data,
  }),
  'Logout Request': fc.record({
    opcode: fc.constant(0x06 as const), ...common, logoutReason: fc.integer({ min: 0, max: 127 }), cid: u16,
    cmdSN: u32, expStatSN: u32,
  }),
  'Logout Response': fc.record({
    opcode: fc.constant(0x26 as const), itt: u32, response: u8, statSN: u32, expCmdSN: u32, maxCmdSN: u32,
    time2Wait: u16, time2Retain: u16,
  }),
  'SNACK Request': fc.record({
    opcode: fc.constant(0x10 as const), itt: u32, lun, snackType: fc.integer({ min: 0, max: 15 }), ttt: u32,
    expStatSN: u32, begRun: u32, runLength: u32,
  }),
  'R2T': fc.record({
    opcode: fc.constant(0x31 as const), itt: u32, lun, ttt: u32, statSN: u32, expCmdSN: u32, maxCmdSN: u32,
    r2tSN: u32, bufferOffset: u32, desiredDataTransferLength: u32,
  }),
  'Asynchronous Message': fc.record({
    opcode: fc.constant(0x32 as const), itt: u32, lun, statSN: u32, expCmdSN: u32, maxCmdSN: u32, asyncEvent: u8,
    asyncVCode: u8, parameter1: u16, parameter2: u16, parameter3: u16, sense, data,
  }, { requiredKeys: ['opcode', 'asyncEvent'] }),
  'Reject': fc.record({
    opcode: fc.constant(0x3f as const), itt: u32, rejectReason: u8, statSN: u32, expCmdSN: u32, maxCmdSN: u32,
    dataSN: u32, rejectedBhs: fc.uint8Array({ minLength: 48, maxLength: 48 }),
  }),
  'Vendor-specific': fc.record({
    opcode: fc.constantFrom(0x1c as const, 0x1d as const, 0x3e as const), itt: u32, final: fc.boolean(), data,
  }),
};

const SPECIAL = new Set(['opcode', 'data', 'keys', 'sense', 'isid', 'cdb', 'rejectedBhs', 'lun']);

function checkRoundTrip(input: PduInput, hd: boolean, dd: boolean): void {
  const bytes = encodePdu(input, { headerDigest: hd, dataDigest: dd });
  expect(bytes.length).toBe(encodedLength(input, { headerDigest: hd, dataDigest: dd }));
  expect(bytes.length % 4).toBe(0);
  // Trailing garbage after the PDU must not matter.
  const withTail = new Uint8Array(bytes.length + 7).fill(0xee);
  withTail.set(bytes);
  const p: Pdu = decodePdu(withTail, 0, withTail.length, { headerDigest: hd, dataDigest: dd });
  expect(p.opcode).toBe(input.opcode);
  expect(p.length).toBe(bytes.length);
  expect(p.truncated).toBe(false);
  const rec = p as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(input)) {
    if (SPECIAL.has(k) || v === undefined) continue;
    expect(rec[k], k).toEqual(v);
  }
  if ('lun' in input && input.lun !== undefined) expect(rec.lun).toBe(input.lun);
  if (input.isid !== undefined && typeof input.isid !== 'string') expect(rec.isid).toBe(toHex(input.isid, 0, 6, ':'));
  if (input.keys !== undefined) expect(rec.keys).toEqual(input.keys);
  if (input.opcode === 0x01 && input.cdb !== undefined) {
    expect(toHex(rec.cdb as Uint8Array)).toBe(toHex(input.cdb));
    expect(rec.scsiOpcode).toBe(input.cdb[0]);
  }
  if (input.sense !== undefined && !(input.sense instanceof Uint8Array)) {
    const s = rec.sense as { senseKey: number; asc: number; ascq: number; format: string; deferred: boolean };
    expect([s.senseKey, s.asc, s.ascq, s.format, s.deferred])
      .toEqual([input.sense.senseKey, input.sense.asc, input.sense.ascq, input.sense.format, input.sense.deferred]);
    const rest = (input.opcode === 0x32 ? rec.eventData : rec.responseData) as Uint8Array | undefined;
    expect(toHex(rest ?? new Uint8Array(0))).toBe(toHex(input.data ?? new Uint8Array(0)));
  } else if (input.opcode === 0x3f && input.rejectedBhs !== undefined) {
    expect(toHex(rec.rejectedBhs as Uint8Array)).toBe(toHex(input.rejectedBhs));
    expect(rec.rejectedOpcode).toBe(input.rejectedBhs[0] & 0x3f);
  } else if (input.data !== undefined && input.keys === undefined) {
    expect(toHex(p.data)).toBe(toHex(input.data));
  }
  if (hd) expect(p.headerDigest?.ok).toBe(true);
  else expect(p.headerDigest).toBeUndefined();
  if (dd && p.dataSegmentLength > 0) {
    expect(p.dataDigest?.ok).toBe(true);
    // The digest covers data + padding and sits LSB first after the padding.
    const dataStart = p.headerLength;
    const padded = (p.dataSegmentLength + 3) & ~3;
    expect(u32le(bytes, dataStart + padded)).toBe(crc32c(bytes, dataStart, padded));
  } else expect(p.dataDigest).toBeUndefined();
  expect(p.padding).toBe(((p.dataSegmentLength + 3) & ~3) - p.dataSegmentLength);
}

describe('round trip: encode → decode', () => {
  for (const [name, arb] of Object.entries(arbitraries)) {
    test(name, () => {
      fc.assert(fc.property(arb, fc.boolean(), fc.boolean(), (input, hd, dd) => checkRoundTrip(input, hd, dd)), { numRuns: 300 });
    });
  }
});

describe('encoder details', () => {
  test('the NOP-Out of the brief, byte for byte (RFC 7143 §11.18 layout)', () => {
    const b = encodePdu({ opcode: 0x00, immediate: true, itt: 5, ttt: 0xffffffff, lun: 0, cmdSN: 1, expStatSN: 1 });
    expect(toHex(b)).toBe(
      '40800000' + '00000000' + '0000000000000000' + '00000005' + 'ffffffff' + '00000001' + '00000001' + '00'.repeat(16));
  });

  test('defaults make RFC-valid headers for every opcode', () => {
    const inputs: PduInput[] = [
      { opcode: 0x00 }, { opcode: 0x01 }, { opcode: 0x02 }, { opcode: 0x03 }, { opcode: 0x04 },
      { opcode: 0x05 }, { opcode: 0x06 }, { opcode: 0x10 },
      { opcode: 0x20 }, { opcode: 0x21 }, { opcode: 0x22 }, { opcode: 0x23 }, { opcode: 0x24 },
      { opcode: 0x25, data: new Uint8Array(5) }, { opcode: 0x26 }, { opcode: 0x31, ttt: 1, desiredDataTransferLength: 8192 },
      { opcode: 0x32 }, { opcode: 0x3f, rejectedBhs: encodePdu({ opcode: 0x01, itt: 9 }).subarray(0, 48) },
    ];
    for (const input of inputs) {
      const b = encodePdu(input);
      expect(bhsProblem(b, 0, input.opcode >= 0x20), `opcode ${input.opcode}`).toBeUndefined();
      expect(decodePdu(b, 0, b.length).problems, `opcode ${input.opcode}`).toEqual([]);
    }
  });

  test('a 32-byte CDB goes into an Extended CDB AHS (RFC 7143 §11.2.2.3)', () => {
    const cdb = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    const b = encodePdu({ opcode: 0x01, itt: 1, cdb, read: true });
    expect(b[4]).toBe(5); // TotalAHSLength: (2 + 1 + 17 → 20 bytes) / 4
    expect(toHex(b, 48, 4)).toBe('0011' + '01' + '00'); // AHSLength = CDB length − 15, type 1, reserved
    expect(toHex(b, 52, 16)).toBe(toHex(cdb, 16, 16));
    expect(toHex(b, 32, 16)).toBe(toHex(cdb, 0, 16));
  });

  test('bidirectional read length AHS (RFC 7143 §11.2.2.4)', () => {
    const b = encodePdu({ opcode: 0x01, itt: 1, read: true, write: true, bidiReadLength: 0x01020304 });
    expect(b[4]).toBe(2);
    expect(toHex(b, 48, 8)).toBe('0005' + '02' + '00' + '01020304');
  });

  test('Login: ISID from text, keys as NUL-terminated UTF-8, I bit set by default', () => {
    const b = encodePdu({ opcode: 0x03, isid: '80:de:c7:3e:00:00', transit: true, csg: 1, nsg: 3, keys: [['A', 'b'], ['Ü', 'x=y']] });
    expect(b[0]).toBe(0x43);
    expect(b[1]).toBe(0x87);
    expect(toHex(b, 8, 6)).toBe('80dec73e0000');
    const text = new TextEncoder().encode('A=b\0Ü=x=y\0');
    expect((b[5] << 16) | (b[6] << 8) | b[7]).toBe(text.length);
    expect(toHex(b, 48, text.length)).toBe(toHex(text));
    expect(b.length).toBe(48 + ((text.length + 3) & ~3));
  });

  test('LUN numbers: peripheral below 256, flat addressing up to 16383', () => {
    expect(toHex(encodePdu({ opcode: 0x00, lun: 5 }), 8, 8)).toBe('0005000000000000');
    expect(toHex(encodePdu({ opcode: 0x00, lun: 300 }), 8, 8)).toBe('412c000000000000');
    expect(toHex(encodePdu({ opcode: 0x00, lunRaw: '0102030405060708' }), 8, 8)).toBe('0102030405060708');
  });

  test('SCSI Response sense: SenseLength + fixed-format sense', () => {
    const b = encodePdu({ opcode: 0x21, itt: 1, status: 2, sense: { senseKey: 6, asc: 0x29, ascq: 0 } });
    expect(toHex(b, 48, 20)).toBe('0012' + '70000600000000' + '0a' + '00000000' + '2900' + '00000000');
  });

  test('encodePduInto and encodeHeaderInto write the same bytes as encodePdu', () => {
    const input: PduInput = { opcode: 0x25, itt: 7, final: true, statusPresent: true, data: new Uint8Array(10).fill(3) };
    const opts = { headerDigest: true, dataDigest: true };
    const one = encodePdu(input, opts);
    const buf = new Uint8Array(one.length + 10).fill(0x55);
    expect(encodePduInto(input, buf, 5, opts)).toBe(5 + one.length);
    expect(toHex(buf, 5, one.length)).toBe(toHex(one));
    const hdr = new Uint8Array(100).fill(0x55);
    expect(encodeHeaderInto(input, hdr, 0, opts)).toBe(52);
    expect(toHex(hdr, 0, 52)).toBe(toHex(one, 0, 52));
    expect(() => encodePduInto(input, new Uint8Array(10), 0)).toThrow(RangeError);
  });
});
