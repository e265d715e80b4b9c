import { expect, test } from 'vitest';
import { encodePdu } from '../../src/codec/index.ts';
import { Analyzer } from '../../src/engine/index.ts';
import { loginKeys, SynthCapture } from '../../src/synth/index.ts';

// A connection that ended (FIN both ways) and stayed quiet for minutes is closed in the middle of
// the capture, its framers and TCP analysis let go: what it reported must be what it reports when
// it stays open to the end, and packets on its 4-tuple after that must not make a new connection.

const KEYS = loginKeys('iqn.2024-01.test:ended', 'iqn.2024-01.test:disk');
const ISID = '80:00:00:00:00:09';

function capture(laterGap: number, strayAck: boolean): Uint8Array {
  const cap = new SynthCapture();
  const a = cap.connection('10.9.0.1:41000', '10.9.0.2:3260');
  a.handshake();
  const login = encodePdu({ opcode: 0x03, immediate: true, itt: 0, isid: ISID, transit: true, csg: 1, nsg: 3, cmdSN: 1, keys: KEYS.request });
  const seq = a.seq('initiator');
  a.sendBytes('initiator', login);
  cap.wait(0.3);
  // The Login Request again, whole: a retransmission (TCP's figures must keep it).
  a.segment('initiator', seq, login);
  cap.wait(1e-3);
  a.send('target', { opcode: 0x23, itt: 0, isid: ISID, tsih: 9, transit: true, csg: 1, nsg: 3, statSN: 1, expCmdSN: 1, maxCmdSN: 8, keys: KEYS.response });
  a.send('initiator', { opcode: 0x06, immediate: true, itt: 1, logoutReason: 0, cmdSN: 1, expStatSN: 2 });
  a.send('target', { opcode: 0x26, itt: 1, response: 0, statSN: 2, expCmdSN: 2, maxCmdSN: 8 });
  a.fin('initiator');
  a.fin('target');
  a.ack('initiator');
  cap.wait(laterGap);
  // Another connection much later, and (optionally) a stray ACK on the first one's 4-tuple.
  const b = cap.connection('10.9.0.1:41001', '10.9.0.2:3260');
  b.handshake();
  if (strayAck) a.ack('initiator');
  b.fin('initiator');
  return cap.bytes();
}

function analyse(bytes: Uint8Array, open?: number) {
  const an = new Analyzer();
  an.push(bytes);
  // The first connection, ended and quiet for 600 s, is closed by then; the second is still open.
  if (open !== undefined) expect(an.openTcpConnections).toBe(open);
  return an.finish();
}

test('a connection closed mid-capture reports what it reports when open to the end', () => {
  const soon = analyse(capture(1, false), 2);
  const late = analyse(capture(600, true), 1);
  // Both captures hold two TCP connections; the stray ACK 600 s on is not a third.
  expect([soon.capture.tcpConnections, late.capture.tcpConnections]).toEqual([2, 2]);
  expect(late.connections).toHaveLength(1);
  const [s, l] = [soon.connections[0], late.connections[0]];
  // Written into the capture: one retransmitted segment from the initiator (the Login Request, 262 bytes' worth).
  expect(l.tcp?.retransmittedSegments).toEqual({ 'I>T': 1, 'T>I': 0 });
  expect(l.tcp).toEqual(s.tcp);
  expect([l.pdus, l.loginComplete, l.initiatorKeys, l.end]).toEqual([s.pdus, s.loginComplete, s.initiatorKeys, s.end]);
  expect(late.model.connections[0].logout?.responseCode).toBe(0);
});
