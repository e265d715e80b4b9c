import { describe, expect, test } from 'vitest';
import { crc32c, encodePdu, putU32le } from '../../src/codec/index.ts';
import type { DigestOptions, PduInput } from '../../src/codec/index.ts';
import { DIGEST_PROOF, DigestCheck } from '../../src/iscsi/index.ts';
import { SynthCapture } from '../../src/synth/index.ts';
import type { SynthConnection } from '../../src/synth/index.ts';
import { frameCapture } from './harness.ts';
import type { FramedConnection } from './harness.ts';

/**
 * Digests from the bytes, on synthetic captures: every expected value is what the test wrote into
 * the capture (which PDUs, with which digests, cut into which segments).
 */

const nopOut = (itt: number): PduInput => ({ opcode: 0x00, immediate: true, itt, ttt: 0xffffffff, cmdSN: 10, expStatSN: 2 });
const scsiRead = (itt: number): PduInput =>
  ({ opcode: 0x01, final: true, read: true, itt, cmdSN: 10 + itt, expStatSN: 2, expectedDataTransferLength: 512, cdb: Uint8Array.of(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0) });
const dataOut = (itt: number, len: number): PduInput =>
  ({ opcode: 0x05, final: true, itt, ttt: 0x10, dataSN: 0, bufferOffset: 0, data: new Uint8Array(len).fill(0x61) });
const dataIn = (itt: number, len: number, statSN: number): PduInput =>
  ({ opcode: 0x25, final: true, itt, ttt: 0xffffffff, statSN, expCmdSN: 20, maxCmdSN: 50, dataSN: 0, bufferOffset: 0, statusPresent: true, data: new Uint8Array(len).fill(itt & 0xff) });
const logoutRsp = (itt: number, statSN: number): PduInput => ({ opcode: 0x26, final: true, itt, statSN, expCmdSN: 20, maxCmdSN: 50 });

function loggedIn(offer: Array<[string, string]>, answer: Array<[string, string]>): { cap: SynthCapture; c: SynthConnection } {
  const cap = new SynthCapture();
  const c = cap.connection('192.0.2.2:40000', '192.0.2.1:3260');
  c.handshake();
  c.send('initiator', { opcode: 0x03, itt: 1, transit: true, csg: 1, nsg: 3, isid: '80:00:00:00:00:01', cmdSN: 10, keys: [['InitiatorName', 'iqn.x'], ['TargetName', 'iqn.t'], ...offer] });
  c.send('target', { opcode: 0x23, itt: 1, transit: true, csg: 1, nsg: 3, isid: '80:00:00:00:00:01', tsih: 5, statSN: 1, expCmdSN: 10, maxCmdSN: 40, keys: answer });
  return { cap, c };
}

function only(conns: FramedConnection[]): FramedConnection {
  expect(conns.length).toBe(1);
  return conns[0];
}

function sideBytes(pdus: PduInput[], digests: DigestOptions[]): number {
  return pdus.reduce((n, p, i) => n + encodePdu(p, digests[i]).length, 0);
}

describe('digests the login did not agree on (issue 14: istgt)', () => {
  for (const mss of [65483, 1448, 7, 1]) {
    test(`a target that appends data digests after DataDigest=Reject is framed with them (segments of ${mss})`, () => {
      const { cap, c } = loggedIn([['HeaderDigest', 'None'], ['DataDigest', 'None']], [['HeaderDigest', 'None'], ['DataDigest', 'Reject']]);
      const dataFrames: number[] = [];
      for (let i = 0; i < 5; i++) {
        c.send('initiator', scsiRead(0x100 + i), { mss });
        // Each Data-In with its status, as istgt sends it: data segment, then a CRC32C of it.
        const frames = c.send('target', dataIn(0x100 + i, 96 + i, 2 + i), { mss, digests: { dataDigest: true } });
        dataFrames.push(frames[frames.length - 1]);
      }
      c.send('initiator', { opcode: 0x06, immediate: true, final: true, itt: 0x200, cmdSN: 15, expStatSN: 7 }, { mss });
      c.send('target', logoutRsp(0x200, 7), { mss });
      c.fin('initiator');
      c.fin('target');
      const k = only(frameCapture(cap.bytes()));
      expect(k.pdus.filter((p) => p.fromTarget).map((p) => [p.opcode, p.itt])).toEqual([
        [0x23, 1], [0x25, 0x100], [0x25, 0x101], [0x25, 0x102], [0x25, 0x103], [0x25, 0x104], [0x26, 0x200],
      ]);
      const dataIns = k.pdus.filter((p) => p.opcode === 0x25);
      expect(dataIns.map((p) => p.dataDigest)).toEqual(Array(5).fill(DigestCheck.Ok));
      expect(dataIns.map((p) => p.frame)).toEqual(dataFrames);
      expect(k.unframed).toEqual([]);
      expect(k.framing.dataDigest).toBe(0); // what the login agreed
      expect(k.framing.sent[1].data).toMatchObject({ value: 4, proven: true });
      expect(k.framing.sent[0].data.value).toBe(0);
      expect(k.framing.unnegotiatedDigests).toEqual([
        { which: 'data', by: 'target', negotiated: 'None', sent: 'CRC32C', fromFrame: dataFrames[0], pdus: DIGEST_PROOF },
      ]);
    });
  }

  test('a connection too short for a run of proof still shows it in every PDU it has', () => {
    const { cap, c } = loggedIn([['DataDigest', 'None']], [['DataDigest', 'Reject']]);
    c.send('initiator', scsiRead(0x10));
    const [f] = c.send('target', dataIn(0x10, 64, 2), { digests: { dataDigest: true } });
    c.send('target', logoutRsp(0x11, 3));
    c.fin('target');
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.map((p) => p.opcode)).toEqual([0x03, 0x23, 0x01, 0x25, 0x26]);
    expect(k.framing.unnegotiatedDigests).toEqual([{ which: 'data', by: 'target', negotiated: 'None', sent: 'CRC32C', fromFrame: f, pdus: 1 }]);
  });

  test('a side that sends no header digest where CRC32C was agreed', () => {
    const { cap, c } = loggedIn([['HeaderDigest', 'CRC32C,None']], [['HeaderDigest', 'CRC32C']]);
    const sent: number[] = [];
    for (let i = 0; i < 4; i++) {
      // Header digests from the target, none from the initiator — also not before its data segment.
      sent.push(...c.send('initiator', [nopOut(0x20 + i), dataOut(0x30 + i, 100 + i)], { mss: 1448 }));
      c.send('target', { opcode: 0x20, final: true, itt: 0x20 + i, ttt: 0xffffffff, statSN: 2 + i, expCmdSN: 20, maxCmdSN: 50 }, { digests: { headerDigest: true } });
    }
    const k = only(frameCapture(cap.bytes()));
    const fromInitiator = k.pdus.filter((p) => !p.fromTarget);
    expect(fromInitiator.map((p) => p.itt)).toEqual([1, 0x20, 0x30, 0x21, 0x31, 0x22, 0x32, 0x23, 0x33]);
    expect(fromInitiator.map((p) => p.headerDigest)).toEqual(Array(9).fill(DigestCheck.None));
    expect(k.pdus.filter((p) => p.fromTarget && p.opcode === 0x20).map((p) => p.headerDigest)).toEqual(Array(4).fill(DigestCheck.Ok));
    expect(k.unframed).toEqual([]);
    expect(k.framing.unnegotiatedDigests).toEqual([
      { which: 'header', by: 'initiator', negotiated: 'CRC32C', sent: 'None', fromFrame: sent[0], pdus: DIGEST_PROOF },
    ]);
  });

  test('a side that sends no data digest where CRC32C was agreed', () => {
    const { cap, c } = loggedIn([['DataDigest', 'CRC32C,None']], [['DataDigest', 'CRC32C']]);
    const frames: number[] = [];
    for (let i = 0; i < 4; i++) {
      c.send('initiator', scsiRead(0x40 + i), { digests: { dataDigest: true } });
      frames.push(...c.send('target', dataIn(0x40 + i, 200, 2 + i), { mss: 100 }));
    }
    const k = only(frameCapture(cap.bytes()));
    const dataIns = k.pdus.filter((p) => p.opcode === 0x25);
    expect(dataIns.map((p) => [p.itt, p.dataDigest])).toEqual([0x40, 0x41, 0x42, 0x43].map((itt) => [itt, DigestCheck.None]));
    expect(k.unframed).toEqual([]);
    // 248 bytes of Data-In in 100-byte segments: each ends in the third segment it was sent in.
    expect(k.framing.unnegotiatedDigests).toEqual([
      { which: 'data', by: 'target', negotiated: 'CRC32C', sent: 'None', fromFrame: frames[2], pdus: DIGEST_PROOF },
    ]);
  });

  test('what the login agreed is confirmed by one PDU; going against it takes a run', () => {
    const { cap, c } = loggedIn([['DataDigest', 'None']], [['DataDigest', 'None']]);
    // The NOP-Out after it shows the Data-Out ended without a digest (at a stream's end nothing shows).
    const [out] = c.send('initiator', [dataOut(0x60, 512), nopOut(0x62)]);
    const [in1] = c.send('target', dataIn(0x60, 512, 2), { digests: { dataDigest: true } });
    const [in2] = c.send('target', dataIn(0x61, 512, 3), { digests: { dataDigest: true } });
    const k = only(frameCapture(cap.bytes()));
    expect(k.framing.sent[0].data).toMatchObject({ value: 0, proven: true, fromFrame: out, provenBy: 1 });
    // Two digests the login did not agree to are framed as digests, but prove nothing yet …
    expect(k.pdus.filter((p) => p.opcode === 0x25).map((p) => [p.frame, p.dataDigest])).toEqual([[in1, DigestCheck.Ok], [in2, DigestCheck.Ok]]);
    // … until the connection ends with nothing else from that side: then they are all it sent.
    expect(k.framing.unnegotiatedDigests).toEqual([{ which: 'data', by: 'target', negotiated: 'None', sent: 'CRC32C', fromFrame: in1, pdus: 2 }]);
  });

  test('one bad data digest among good ones is a digest error, not a change of habit', () => {
    const { cap, c } = loggedIn([['DataDigest', 'CRC32C,None']], [['DataDigest', 'CRC32C']]);
    const digests = { dataDigest: true };
    for (let i = 0; i < 5; i++) {
      c.send('initiator', scsiRead(0x50 + i), { digests });
      const b = encodePdu(dataIn(0x50 + i, 64, 2 + i), digests);
      if (i === 3) b[b.length - 1] ^= 0x5a;
      c.sendBytes('target', b);
    }
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.filter((p) => p.opcode === 0x25).map((p) => p.dataDigest))
      .toEqual([DigestCheck.Ok, DigestCheck.Ok, DigestCheck.Ok, DigestCheck.Bad, DigestCheck.Ok]);
    expect(k.framing.unnegotiatedDigests).toEqual([]);
    expect(k.framing.sent[1].data).toMatchObject({ value: 4, proven: true });
  });
});

describe('header-digest detection needs a run of proof (issue 16)', () => {
  test('one forged CRC32C in a mid-stream capture leaves the other PDUs framed without digests', () => {
    const cap = new SynthCapture();
    const c = cap.connection('192.0.2.2:40001', '192.0.2.1:3260'); // no handshake: the capture starts mid-stream
    const pdus: PduInput[] = [];
    for (let i = 0; i < 101; i++) pdus.push(i % 2 ? nopOut(0x1000 + i) : dataOut(0x1000 + i, 64));
    const bytes = pdus.map((p) => encodePdu(p));
    // The first PDU's data starts with the CRC32C of its header: a header digest, as far as 4 bytes can tell.
    for (const i of [0, 50]) putU32le(bytes[i], 48, crc32c(bytes[i], 0, 48));
    for (const b of bytes) c.sendBytes('initiator', b);
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.map((p) => p.itt)).toEqual(pdus.map((_, i) => 0x1000 + i));
    expect(k.pdus.every((p) => p.headerDigest === DigestCheck.None)).toBe(true);
    expect(k.unframed).toEqual([]);
    expect(k.framing.sent[0].header).toMatchObject({ value: 0, proven: true });
    expect(k.framing.headerDigest).toBe(0);
  });

  test('header digests are taken once a run of PDUs shows them', () => {
    const cap = new SynthCapture();
    const c = cap.connection('192.0.2.2:40002', '192.0.2.1:3260');
    const frames = c.send('initiator', [nopOut(1), dataOut(2, 100), nopOut(3), nopOut(4)], { digests: { headerDigest: true }, mss: 60 });
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.map((p) => [p.itt, p.headerDigest])).toEqual([1, 2, 3, 4].map((i) => [i, DigestCheck.Ok]));
    // Mid-stream: no login, so no finding — the connection's digest is what the bytes proved.
    expect(k.framing.unnegotiatedDigests).toEqual([]);
    expect(k.framing.headerDigest).toBe(4);
    // 52 + 152 + 52 bytes in 60-byte segments: the third PDU (bytes 204-255) ends in the fifth.
    expect(k.framing.sent[0].header.fromFrame).toBe(frames[0]);
    expect(k.pdus[2].frame).toBe(frames[4]);
  });
});

describe('hostile digests', () => {
  test('header digests on every other PDU: each PDU framed by its own bytes, no habit proven', () => {
    const cap = new SynthCapture();
    const c = cap.connection('192.0.2.2:40004', '192.0.2.1:3260'); // mid-stream: nothing agreed
    const n = 20000;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < n; i++) parts.push(encodePdu(i % 3 === 2 ? dataOut(i, 40) : nopOut(i), { headerDigest: i % 2 === 0 }));
    const all = new Uint8Array(parts.reduce((k, p) => k + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    c.sendBytes('initiator', all, { mss: 1448 });
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.length).toBe(n);
    expect(k.pdus.every((p, i) => p.itt === i && p.headerDigest === (i % 2 === 0 ? DigestCheck.Ok : DigestCheck.None))).toBe(true);
    expect(k.framing.sent[0].header.proven).toBe(false);
    expect(k.unframed).toEqual([]);
  });
});

describe('where each PDU is', () => {
  test('streamEnd is the next PDU\'s streamPosition, and the last one\'s is the stream\'s length', () => {
    const { cap, c } = loggedIn([['HeaderDigest', 'CRC32C,None'], ['DataDigest', 'None']], [['HeaderDigest', 'CRC32C'], ['DataDigest', 'Reject']]);
    const hd = { headerDigest: true };
    const hdd = { headerDigest: true, dataDigest: true };
    const fromTarget: PduInput[] = [dataIn(7, 1, 2), dataIn(8, 4097, 3), dataIn(9, 0, 4), logoutRsp(10, 5)];
    const digests = [hdd, hdd, hdd, hd];
    c.send('initiator', scsiRead(7), { digests: hd });
    for (let i = 0; i < fromTarget.length; i++) c.send('target', fromTarget[i], { digests: digests[i], mss: 1448 });
    const k = only(frameCapture(cap.bytes()));
    for (const side of [false, true]) {
      const ps = k.pdus.filter((p) => p.fromTarget === side);
      for (let i = 1; i < ps.length; i++) expect(ps[i].streamPosition).toBe(ps[i - 1].streamEnd);
    }
    const login = encodePdu({ opcode: 0x23, itt: 1, transit: true, csg: 1, nsg: 3, isid: '80:00:00:00:00:01', tsih: 5, statSN: 1, expCmdSN: 10, maxCmdSN: 40,
      keys: [['HeaderDigest', 'CRC32C'], ['DataDigest', 'Reject']] }).length;
    const targetPdus = k.pdus.filter((p) => p.fromTarget);
    expect(targetPdus[targetPdus.length - 1].streamEnd).toBe(login + sideBytes(fromTarget, digests));
    expect(targetPdus.map((p) => p.dataDigest)).toEqual([DigestCheck.None, DigestCheck.Ok, DigestCheck.Ok, DigestCheck.None, DigestCheck.None]);
  });

  test('a header digest split across segments: each PDU in the frames that hold its bytes', () => {
    const { cap, c } = loggedIn([['HeaderDigest', 'CRC32C,None']], [['HeaderDigest', 'CRC32C']]);
    const pdus = [nopOut(0x61), dataOut(0x62, 10), nopOut(0x63)];
    const mss = 5;
    const frames = c.send('initiator', pdus, { digests: { headerDigest: true }, mss });
    const k = only(frameCapture(cap.bytes()));
    const got = k.pdus.filter((p) => !p.fromTarget && p.opcode !== 0x03);
    // Byte offsets of each PDU in what was sent: 52, 52 + 12, 52.
    const starts = [0, 52, 116];
    const headerEnds = [51, 103, 167];
    const ends = [51, 115, 167];
    const frameOf = (byte: number): number => frames[Math.floor(byte / mss)];
    expect(got.map((p) => [p.firstFrame, p.headerFrame, p.frame])).toEqual(starts.map((s, i) => [frameOf(s), frameOf(headerEnds[i]), frameOf(ends[i])]));
  });
});

describe('bytes no PDU claims are reported, with why', () => {
  test('junk between PDUs: lost sync, framing resumes at the next header', () => {
    const { cap, c } = loggedIn([], []);
    c.send('initiator', nopOut(0x70));
    c.sendBytes('initiator', Uint8Array.of(0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6));
    const [resume] = c.send('initiator', [nopOut(0x71), nopOut(0x72)]);
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.filter((p) => !p.fromTarget).map((p) => p.itt)).toEqual([1, 0x70, 0x71, 0x72]);
    expect(k.unframed).toEqual([{ fromTarget: false, bytes: 10, resyncFrame: resume, missing: 0, cause: 'lost-sync' }]);
  });

  test('a capture hole inside a PDU, and a stream that never finds a header again', () => {
    const { cap, c } = loggedIn([], []);
    const b = encodePdu(dataOut(0x80, 3000));
    c.sendBytes('initiator', b.subarray(0, 1000));
    c.skip('initiator', 1000);
    c.sendBytes('initiator', b.subarray(2000));
    const [resume] = c.send('initiator', nopOut(0x81));
    c.sendBytes('target', new Uint8Array(500).fill(0xee));
    c.fin('target');
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.filter((p) => !p.fromTarget).map((p) => [p.itt, p.truncated])).toEqual([[1, false], [0x80, true], [0x81, false]]);
    expect(resume).toBeGreaterThan(0);
    expect(k.unframed).toEqual([{ fromTarget: true, bytes: 500, resyncFrame: 0, missing: 0, cause: 'lost-sync' }]);
  });

  test('a mid-stream start: the bytes before the first header', () => {
    const cap = new SynthCapture();
    const c = cap.connection('192.0.2.2:40003', '192.0.2.1:3260');
    const first = encodePdu(dataOut(0x90, 400));
    c.sendBytes('initiator', first.subarray(300));
    const [at] = c.send('initiator', [nopOut(0x91), nopOut(0x92)]);
    const k = only(frameCapture(cap.bytes()));
    expect(k.pdus.map((p) => p.itt)).toEqual([0x91, 0x92]);
    expect(k.unframed).toEqual([{ fromTarget: false, bytes: first.length - 300, resyncFrame: at, missing: 0, cause: 'stream-start' }]);
  });
});
