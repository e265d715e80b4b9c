import { describe, expect, test } from 'vitest';
import { TcpEventFlag } from '../../src/tcp/index.ts';
import { ACK, PSH, RST, Script, SYN } from './synth.ts';
import { runTcp } from './support.ts';

/**
 * Reassembly under overlap, caps, many connections, and the API the layer above uses (keep,
 * watchAck). Every expected value is what the test wrote into its capture.
 */

const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A handshake on `port` (initiator ISN 999, target ISN 4999): data starts at 1000 and 5000. */
function handshake(s: Script, port: number, targetPort = 3260): void {
  s.seg('initiator', port, { seq: 999, flags: SYN }, targetPort);
  s.seg('target', port, { seq: 4999, ack: 1000, flags: SYN | ACK }, targetPort);
  s.seg('initiator', port, { seq: 1000, ack: 5000 }, targetPort);
}

describe('overlapping segments: the first copy wins, differences are reported', () => {
  test('an in-order segment overlapping a held one: the held bytes stand', () => {
    const s = new Script();
    handshake(s, 40100);
    const held = s.seg('initiator', 40100, { seq: 1004, ack: 5000, payload: text('EFGH'), flags: ACK | PSH });
    const later = s.seg('initiator', 40100, { seq: 1000, ack: 5000, payload: text('abcdxyGH'), flags: ACK | PSH });
    const r = runTcp(s.bytes(), { ports: [3260], collect: true });
    expect(r.bytes.get(0)?.[0]).toBe('abcdEFGH');
    expect(r.conflicts).toEqual([{ conn: 0, dir: 0, bytes: 2, used: 'first', firstFrame: held, laterFrame: later }]);
    expect(r.conns.get(0)?.dirs[0].conflicts).toBe(1);
  });

  test('two held segments overlapping each other: the first held stands, whatever its place', () => {
    const s = new Script();
    handshake(s, 40101);
    const first = s.seg('initiator', 40101, { seq: 1006, ack: 5000, payload: text('GHIJ'), flags: ACK | PSH });
    const second = s.seg('initiator', 40101, { seq: 1004, ack: 5000, payload: text('efghij'), flags: ACK | PSH });
    s.seg('initiator', 40101, { seq: 1000, ack: 5000, payload: text('abcd'), flags: ACK | PSH });
    const r = runTcp(s.bytes(), { ports: [3260], collect: true });
    expect(r.bytes.get(0)?.[0]).toBe('abcdefGHIJ');
    expect(r.conflicts).toEqual([{ conn: 0, dir: 0, bytes: 4, used: 'first', firstFrame: first, laterFrame: second }]);
  });

  test('a retransmission with the same bytes is no conflict; one past what was delivered adds only its new bytes', () => {
    const s = new Script();
    handshake(s, 40102);
    s.seg('initiator', 40102, { seq: 1004, ack: 5000, payload: text('efgh'), flags: ACK | PSH });
    s.seg('initiator', 40102, { seq: 1004, ack: 5000, payload: text('efgh'), flags: ACK | PSH });
    s.seg('initiator', 40102, { seq: 1000, ack: 5000, payload: text('abcd'), flags: ACK | PSH });
    s.seg('initiator', 40102, { seq: 1002, ack: 5000, payload: text('cdefghij'), flags: ACK | PSH });
    const r = runTcp(s.bytes(), { ports: [3260], collect: true });
    expect(r.bytes.get(0)?.[0]).toBe('abcdefghij');
    expect(r.conflicts).toEqual([]);
  });
});

describe('bounds', () => {
  test('out-of-order data held past the per-direction segment bound: the sink is told, the gap declared', () => {
    const s = new Script();
    handshake(s, 40110);
    // A hole at 1000, then 5000 one-byte segments after it.
    for (let i = 0; i < 5000; i++) s.seg('initiator', 40110, { seq: 1001 + 2 * i, ack: 5000, len: 1, flags: ACK | PSH, dt: 0 });
    const r = runTcp(s.bytes(), { ports: [3260] });
    expect(r.capped.length).toBeGreaterThan(0);
    expect(r.capped[0]).toMatchObject({ conn: 0, dir: 0, limit: 'direction-segments' });
    expect(r.delivered.get(0)?.[0]).toBe(5000);
    expect(r.missing.get(0)?.[0]).toBe(5000); // every other byte
  });

  test('held data over all connections is bounded by segments too', () => {
    const s = new Script();
    // 20 connections, each with a hole and 3,500 one-byte segments held: 70,000 in all.
    for (let c = 0; c < 20; c++) handshake(s, 41000 + c);
    for (let i = 0; i < 3500; i++) for (let c = 0; c < 20; c++) s.seg('initiator', 41000 + c, { seq: 1001 + 2 * i, ack: 5000, len: 1, flags: ACK | PSH, dt: 0 });
    const r = runTcp(s.bytes(), { ports: [3260] });
    expect(r.capped.some((x) => x.limit === 'total-segments')).toBe(true);
    let delivered = 0;
    for (const v of r.delivered.values()) delivered += v[0];
    expect(delivered).toBe(70000);
  });

  test('connections that carry nothing (a SYN scan) are forgotten, and counted', () => {
    const s = new Script();
    for (let i = 0; i < 20000; i++) s.seg('initiator', 30000 + i, { seq: i, flags: SYN, dt: 0.00001 }, 80);
    const r = runTcp(s.bytes(), { ports: [3260] });
    // Never more than MAX_UNTAKEN (16,384) of them open at once.
    expect(r.reassembler.forgottenCount).toBe(20000 - 16384);
    expect(r.events.count).toBe(0); // not wanted: no events kept
  });

  test('an idle connection that carried nothing is let go after two minutes, and stays listed', () => {
    const s = new Script();
    s.seg('initiator', 40120, { seq: 1, flags: SYN }, 3260);
    s.seg('initiator', 40121, { seq: 1, flags: SYN, dt: 121 }, 3260);
    s.seg('initiator', 40122, { seq: 1, flags: SYN }, 3260);
    let openAtFrame3 = 0;
    const r = runTcp(s.bytes(), { ports: [3260], beforeSegment: (re, frame) => { if (frame === 3) openAtFrame3 = re.undecidedFrame(); } });
    // By frame 3 the first connection (frame 1) is no longer open: the oldest still open began at frame 2.
    expect(openAtFrame3).toBe(2);
    // Kept from its first SYN (port 3260), it is listed with its attempt and events, so not counted
    // as forgotten (that is for connections past the listing bound: test/engine/port-scan.test.ts).
    expect(r.reassembler.forgottenCount).toBe(0);
    expect(r.reassembler.keptConnections().count).toBe(3);
    expect(r.attempts.count).toBe(3);
    expect(r.events.count).toBe(3);
  });
});

describe('keep(): connections the layer above recognises later', () => {
  test('their events from the first SYN join the table, and their attempt is recorded', () => {
    const s = new Script();
    handshake(s, 40130, 5000);
    s.seg('initiator', 40130, { seq: 1000, ack: 5000, len: 48, flags: ACK | PSH }, 5000);
    s.seg('initiator', 40130, { seq: 1000, ack: 5000, len: 48, flags: ACK | PSH, dt: 0.5 }, 5000); // retransmission
    let kept = false;
    const r = runTcp(s.bytes(), {
      ports: [3260],
      onStream(re, conn) {
        if (!kept) re.keep(conn);
        kept = true;
      },
    });
    expect(Array.from(r.events.frame)).toEqual([1, 2, 5]);
    expect(Array.from(r.events.flags)).toEqual([TcpEventFlag.Syn, TcpEventFlag.SynAck, TcpEventFlag.Retransmission]);
    expect(r.attempts.count).toBe(1);
    expect([r.attempts.serverPort[0], r.attempts.answerFrame[0]]).toEqual([5000, 2]);
  });

  test('connections marked ignored keep no events', () => {
    const s = new Script();
    handshake(s, 40131, 5001);
    s.seg('initiator', 40131, { seq: 1000, ack: 5000, len: 48, flags: ACK | PSH }, 5001);
    s.seg('initiator', 40131, { seq: 1048, ack: 5000, flags: RST }, 5001);
    const r = runTcp(s.bytes(), { ports: [3260], onStream(_re, conn) { conn.ignored = true; } });
    expect(r.events.count).toBe(0);
    expect(r.attempts.count).toBe(0);
    expect(r.conns.get(0)?.analysis).toBeUndefined();
  });

  test('a wanted portal (from SendTargets) is analysed from its first SYN', () => {
    const s = new Script();
    handshake(s, 40132, 3261);
    const r = runTcp(s.bytes(), {
      ports: [3260],
      beforeSegment(re, frame) { if (frame === 1) re.wantPortal(4, [0x0a000002], 3261); },
    });
    expect(r.events.count).toBe(2);
    expect(r.attempts.count).toBe(1);
  });
});

describe('watchAck', () => {
  test('fires on the first ACK from the other side that covers the byte, or at the end with frame 0', () => {
    const s = new Script();
    handshake(s, 40140);
    s.seg('initiator', 40140, { seq: 1000, ack: 5000, len: 100, flags: ACK | PSH }); // frame 4
    s.seg('target', 40140, { seq: 5000, ack: 1050 }); // 5: covers bytes 0..49
    s.seg('target', 40140, { seq: 5000, ack: 1100 }); // 6: all 100
    s.seg('initiator', 40140, { seq: 1100, ack: 5000, len: 100, flags: ACK | PSH }); // 7: never acknowledged
    let set = 0;
    const r = runTcp(s.bytes(), {
      ports: [3260],
      onStream(re, conn, dir) {
        if (dir !== 0) return;
        if (set === 0) {
          expect(re.watchAck(conn, 0, 50, 1)).toBe(true);
          expect(re.watchAck(conn, 0, 51, 2)).toBe(true);
          expect(re.watchAck(conn, 0, 100, 3)).toBe(true);
        } else {
          expect(re.watchAck(conn, 0, 200, 4)).toBe(true);
        }
        set++;
      },
    });
    expect(r.acked.map((a) => [a.token, a.frame])).toEqual([[1, 5], [2, 6], [3, 6], [4, 0]]);
  });

  test('a byte already acknowledged when watched is reported at once, with the highest ACK frame', () => {
    const s = new Script();
    handshake(s, 40141);
    s.seg('initiator', 40141, { seq: 1010, ack: 5000, len: 10, flags: ACK | PSH }); // 4: held (10 bytes before it missing)
    s.seg('target', 40141, { seq: 5000, ack: 1020 }); // 5: acknowledges all 20: the hole is declared
    const r = runTcp(s.bytes(), { ports: [3260], onStream(re, conn, dir) { if (dir === 0 && conn.dirs[0].position === 20) re.watchAck(conn, 0, 20, 7); } });
    expect(r.acked).toMatchObject([{ token: 7, frame: 5 }]);
  });
});
