import { describe, expect, test } from 'vitest';
import { encodePdu } from '../../src/codec/index.ts';
import type { PduInput } from '../../src/codec/index.ts';
import { PduState } from '../../src/iscsi/index.ts';
import { SynthCapture } from '../../src/synth/index.ts';
import type { SynthConnection } from '../../src/synth/index.ts';
import { analyzeBytes } from '../support/analyze.ts';

/**
 * Reassembly and framing edge cases on synthetic captures: every expected value here is what the
 * test itself wrote into the capture.
 */

const nop = (itt: number): PduInput => ({ opcode: 0x00, itt, ttt: 0xffffffff, cmdSN: itt, expStatSN: 1 });
const dataOut = (itt: number, len: number, dataSN = 0): PduInput =>
  ({ opcode: 0x05, itt, ttt: 0x10, dataSN, bufferOffset: 0, data: new Uint8Array(len).fill(0x61) });
const dataIn = (itt: number, len: number, dataSN = 0): PduInput =>
  ({ opcode: 0x25, itt, ttt: 0xffffffff, dataSN, bufferOffset: 0, statusPresent: false, data: new Uint8Array(len).fill(0x62) });

function session(): { cap: SynthCapture; c: SynthConnection } {
  const cap = new SynthCapture();
  const c = cap.connection('10.0.0.1:40000', '10.0.0.2:3260');
  c.handshake();
  return { cap, c };
}

describe('TCP reassembly and PDU framing', () => {
  test('several PDUs in one segment are all framed, in stream order, in that frame', () => {
    const { cap, c } = session();
    const [frame] = c.send('initiator', [nop(1), nop(2), nop(3)]);
    const { pdus } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => [p.frame, p.itt])).toEqual([[frame, 1], [frame, 2], [frame, 3]]);
  });

  test('one PDU over many segments is reported in the frame of its last byte', () => {
    const { cap, c } = session();
    const frames = c.send('initiator', dataOut(9, 20000), { mss: 1000 });
    expect(frames.length).toBe(21); // 48 + 20000 bytes in 1000-byte segments
    const { pdus } = analyzeBytes(cap.bytes());
    expect(pdus.length).toBe(1);
    expect(pdus[0]).toMatchObject({ itt: 9, frame: frames[20], firstFrame: frames[0], headerFrame: frames[0], dataSegmentLength: 20000, truncated: false });
  });

  test('a header split across segments names the frame that completed it', () => {
    const { cap, c } = session();
    const frames = c.send('initiator', [nop(1), nop(2)], { mss: 30 });
    const { pdus } = analyzeBytes(cap.bytes());
    // 96 bytes in 30-byte segments: PDU 1 ends in segment 2 (bytes 30-59), PDU 2 in segment 4.
    expect(pdus.map((p) => [p.itt, p.firstFrame, p.headerFrame, p.frame])).toEqual([
      [1, frames[0], frames[1], frames[1]],
      [2, frames[1], frames[3], frames[3]],
    ]);
  });

  test('out-of-order segments are held until they fit', () => {
    const { cap, c } = session();
    const bytes = encodePdu(dataOut(4, 2952)); // 3000 bytes
    const seq = c.seq('initiator');
    const f1 = c.segment('initiator', seq, bytes.subarray(0, 1000));
    const f3 = c.segment('initiator', seq + 2000, bytes.subarray(2000));
    const f2 = c.segment('initiator', seq + 1000, bytes.subarray(1000, 2000));
    c.skip('initiator', 3000);
    c.send('initiator', nop(5));
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => p.itt)).toEqual([4, 5]);
    // The last byte arrived (early) in f3, but the receiver could read the PDU only once f2 filled
    // the hole: that is its frame, as Wireshark shows it when it reassembles out-of-order segments.
    expect(f2).toBeGreaterThan(f3);
    expect(pdus[0]).toMatchObject({ firstFrame: f1, frame: f2, truncated: false });
    expect(analysis.connections[0].missingBytes).toBe(0);
  });

  test('retransmissions, full and partial, are dropped', () => {
    const { cap, c } = session();
    const bytes = encodePdu(dataOut(4, 2952));
    const seq = c.seq('initiator');
    c.segment('initiator', seq, bytes.subarray(0, 1000));
    c.segment('initiator', seq, bytes.subarray(0, 1000)); // full duplicate
    c.segment('initiator', seq + 500, bytes.subarray(500, 1500)); // overlaps half
    c.segment('initiator', seq + 1500, bytes.subarray(1500));
    c.skip('initiator', 3000);
    c.send('initiator', nop(5));
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => [p.itt, p.truncated])).toEqual([[4, false], [5, false]]);
    expect(analysis.connections[0].missingBytes).toBe(0);
  });

  test('a hole the receiver acknowledged is marked missing; framing resumes after it', () => {
    const { cap, c } = session();
    c.send('initiator', nop(1));
    const big = encodePdu(dataOut(2, 8000));
    const seq = c.seq('initiator');
    c.segment('initiator', seq, big.subarray(0, 1000));
    // 3000 bytes in the middle of the Data-Out never reach the capture …
    c.skip('initiator', big.length);
    c.segment('initiator', seq + 4000, big.subarray(4000));
    c.ack('target'); // … but the target acknowledges them
    const after = c.send('initiator', [nop(3), nop(4)]);
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => [p.itt, p.truncated])).toEqual([[1, false], [2, true], [3, false], [4, false]]);
    expect(pdus[2].frame).toBe(after[0]);
    expect(analysis.connections[0].missingBytes).toBe(3000);
  });

  test('a hole that swallows PDU headers: resynchronise on the next header confirmed by the one after', () => {
    const { cap, c } = session();
    const [before] = c.send('initiator', nop(1));
    const lost = [nop(2), dataOut(3, 5000), nop(4)].map((p) => encodePdu(p)).reduce((n, b) => n + b.length, 0);
    c.skip('initiator', lost);
    const resumed = c.send('initiator', [dataOut(5, 600), nop(6), nop(7)]);
    c.ack('target');
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => p.itt)).toEqual([1, 5, 6, 7]);
    expect(pdus[1].frame).toBe(resumed[0]);
    const gaps = analysis.connections[0].gaps;
    expect(gaps).toEqual([{ dir: 'I>T', bytesMissing: lost, bytesSkipped: lost, resyncFrame: resumed[0], lossFrame: before, lossTime: expect.any(Number), cause: 'capture-hole' }]);
  });

  test('a capture that starts in the middle of a PDU (no SYN) finds the first whole PDU', () => {
    const cap = new SynthCapture();
    const c = cap.connection('10.0.0.1:40001', '10.0.0.2:3260');
    // The target is sending a 64 KiB Data-In; the capture starts 10,000 bytes into it.
    const first = encodePdu(dataIn(1, 65536));
    c.segment('target', c.seq('target') + 10000, first.subarray(10000));
    c.skip('target', first.length);
    c.send('target', [dataIn(2, 65536, 0), dataIn(3, 4096, 0)], { mss: 16384 });
    c.send('initiator', nop(8));
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => [p.dir, p.itt])).toEqual([['T>I', 2], ['T>I', 3], ['I>T', 8]]);
    expect(analysis.connections[0].midstream).toBe(true);
    expect(analysis.connections[0].gaps[0]).toMatchObject({ dir: 'T>I', bytesSkipped: first.length - 10000, bytesMissing: 0 });
  });

  test('snaplen: PDUs whose data was cut are decoded and marked truncated', () => {
    const { cap, c } = session();
    const bytes = encodePdu(dataOut(1, 1000));
    c.segment('initiator', c.seq('initiator'), bytes, undefined, 14 + 20 + 20 + 100); // keep 100 payload bytes
    c.skip('initiator', bytes.length);
    c.send('initiator', nop(2));
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => [p.itt, p.truncated, p.dataSegmentLength])).toEqual([[1, true, 1000], [2, false, 0]]);
    expect(analysis.capture.truncatedPackets).toBe(1);
    expect(analysis.pdus.state[0] & PduState.Truncated).toBe(PduState.Truncated);
  });

  test('a connection reusing the 4-tuple after FIN is a new connection', () => {
    const cap = new SynthCapture();
    for (const isn of [1000, 900000]) {
      const c = cap.connection('10.0.0.1:40000', '10.0.0.2:3260', { initiator: isn, target: isn + 7 });
      c.handshake();
      c.send('initiator', nop(isn));
      c.fin('initiator');
      c.fin('target');
    }
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(analysis.connections.length).toBe(2);
    expect(pdus.map((p) => [p.conn, p.itt])).toEqual([[0, 1000], [1, 900000]]);
    expect(analysis.connections.map((k) => k.end.kind)).toEqual(['fin', 'fin']);
  });

  test('iSCSI on any port is recognised by its Login Request; other traffic is ignored', () => {
    const cap = new SynthCapture();
    const web = cap.connection('10.0.0.1:40000', '10.0.0.3:80');
    web.handshake();
    web.sendBytes('initiator', new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4)));
    const odd = cap.connection('10.0.0.1:40002', '10.0.0.2:13260');
    odd.handshake();
    odd.send('initiator', { opcode: 0x03, itt: 1, transit: true, csg: 1, nsg: 3, isid: '80:00:00:00:00:01', keys: [['InitiatorName', 'iqn.x'], ['SessionType', 'Discovery']] });
    odd.send('target', { opcode: 0x23, itt: 1, transit: true, csg: 1, nsg: 3, isid: '80:00:00:00:00:01', tsih: 5, keys: [['HeaderDigest', 'None']] });
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(analysis.capture.tcpConnections).toBe(2);
    expect(analysis.connections.map((k) => k.target.port)).toEqual([13260]);
    expect(pdus.map((p) => p.name)).toEqual(['Login Request', 'Login Response']);
  });

  test('negotiated header and data digests are framed and checked; a bad one is flagged', () => {
    const { cap, c } = session();
    c.send('initiator', { opcode: 0x03, itt: 1, transit: true, csg: 1, nsg: 3, isid: '80:00:00:00:00:01',
      keys: [['InitiatorName', 'iqn.x'], ['HeaderDigest', 'CRC32C,None'], ['DataDigest', 'CRC32C,None']] });
    c.send('target', { opcode: 0x23, itt: 1, transit: true, csg: 1, nsg: 3, isid: '80:00:00:00:00:01', tsih: 5,
      keys: [['HeaderDigest', 'CRC32C'], ['DataDigest', 'CRC32C']] });
    const digests = { headerDigest: true, dataDigest: true };
    c.send('initiator', [dataOut(2, 1001), nop(3)], { digests });
    const bad = encodePdu(nop(4), digests);
    bad[49] ^= 0xff; // corrupt the header digest
    c.sendBytes('initiator', bad);
    c.send('initiator', nop(5), { digests });
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => p.itt)).toEqual([1, 1, 2, 3, 4, 5]);
    const hd = (i: number): number => (analysis.pdus.state[i] >> PduState.HeaderDigestShift) & 3;
    const dd = (i: number): number => (analysis.pdus.state[i] >> PduState.DataDigestShift) & 3;
    expect([hd(2), dd(2), hd(3), hd(4), hd(5)]).toEqual([1, 1, 1, 2, 1]); // DigestCheck: 1 ok, 2 bad
    expect(analysis.connections[0]).toMatchObject({ headerDigest: 'CRC32C', dataDigest: 'CRC32C' });
  });

  test('header digests are detected when the login was not captured', () => {
    const cap = new SynthCapture();
    const c = cap.connection('10.0.0.1:40003', '10.0.0.2:3260');
    const digests = { headerDigest: true };
    c.send('initiator', [nop(1), dataOut(2, 100), nop(3)], { digests });
    const { pdus, analysis } = analyzeBytes(cap.bytes());
    expect(pdus.map((p) => p.itt)).toEqual([1, 2, 3]);
    expect(analysis.connections[0].headerDigest).toBe('CRC32C');
  });
});

test('finished connections of other traffic are forgotten, and their late packets make no new ones', () => {
  const cap = new SynthCapture();
  for (let i = 0; i < 50; i++) {
    const web = cap.connection(`10.0.0.1:${41000 + i}`, '10.0.0.3:80');
    web.handshake();
    web.sendBytes('initiator', new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
    web.fin('initiator');
    web.fin('target');
    web.ack('initiator'); // the last ACK, after both FINs
  }
  const { analysis } = analyzeBytes(cap.bytes());
  expect(analysis.capture.tcpConnections).toBe(50);
  expect(analysis.connections).toEqual([]);
});
