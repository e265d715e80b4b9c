import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AttemptAnswer } from '../../src/tcp/index.ts';
import { SYNTHETIC } from './synth.ts';
import { ourEventRows, readTsv, runTcp, tsharkEventRows } from './support.ts';

/**
 * Edge cases written by hand (synth.ts) and read by tshark 4.0 (their .tcpflags.tsv, made by
 * tools/make-synthetic.ts): wraparound through sequence number 0, window scaling with and without
 * the handshake, keep-alives, zero-window probes, SYN retransmissions, refused reconnects and
 * port reuse, loss from the sender's side, TCP Fast Open, and the cases where Wireshark versions
 * differ. The stored captures must be what synth.ts writes, so tshark's reading is of these bytes.
 */

const DIR = join(import.meta.dirname, '../fixtures/tcp/synthetic');

describe('synthetic TCP conversations: our events equal tshark 4.0', () => {
  for (const [name, make] of Object.entries(SYNTHETIC)) {
    test(name, () => {
      const bytes = make();
      expect(Buffer.from(bytes).equals(readFileSync(join(DIR, `${name}.pcap`)))).toBe(true);
      const r = runTcp(bytes, { ports: [3260] });
      expect(ourEventRows(r.events)).toEqual(tsharkEventRows(readTsv(join(DIR, `${name}.pcap.tcpflags.tsv`))));
    });
  }
});

/** tshark's event names for a frame of a synthetic capture (documents the cases). */
function tsharkAt(name: string, frame: number): string[] {
  return tsharkEventRows(readTsv(join(DIR, `${name}.pcap.tcpflags.tsv`))).find((r) => r.frame === frame)?.events ?? [];
}

describe('what the cases show (as tshark reads them)', () => {
  test('wraparound: a segment ending at sequence number 0, then data from 0, then that segment again', () => {
    const r = runTcp(SYNTHETIC.wraparound(), { ports: [3260] });
    // No hole is invented across the wrap: the stream is whole.
    expect(r.missing.get(0)).toBeUndefined();
    expect(r.delivered.get(0)).toEqual([4000, 100]);
    expect(tsharkAt('wraparound', 8)).toEqual([]);
    expect(tsharkAt('wraparound', 9)).toEqual(['retransmission']);
  });

  test('window scale from the handshake: full window, zero window, probe, probe ACK, update', () => {
    expect(tsharkAt('window-scale', 6)).toEqual(['window-full']);
    expect(tsharkAt('window-scale', 7)).toEqual(['zero-window']);
    expect(tsharkAt('window-scale', 8)).toEqual(['zero-window-probe']);
    expect(tsharkAt('window-scale', 9)).toEqual(['zero-window', 'zero-window-probe-ack']);
    expect(tsharkAt('window-scale', 10)).toEqual(['window-update']);
    const e = runTcp(SYNTHETIC['window-scale'](), { ports: [3260] }).events;
    const i = Array.from(e.frame).indexOf(10);
    expect(e.win[i]).toBe(4 << 7);
  });

  test('midstream: the scale is unknown, windows stay as sent; keep-alives and their ACKs', () => {
    expect(tsharkAt('midstream', 5)).toEqual(['keep-alive']);
    expect(tsharkAt('midstream', 6)).toEqual(['keep-alive-ack']);
    expect(tsharkAt('midstream', 7)).toEqual(['keep-alive']);
    const r = runTcp(SYNTHETIC.midstream(), { ports: [3260] });
    expect(r.events.win.every((w) => w <= 8)).toBe(true);
    expect([...r.figures.values()][0].handshakeRtt).toBeNaN();
  });

  test('SYN retransmissions: one attempt answered late, one never answered', () => {
    const r = runTcp(SYNTHETIC['syn-retransmissions'](), { ports: [3260] });
    const a = r.attempts;
    expect(a.count).toBe(2);
    expect([a.syns[0], a.answer[0], a.answerFrame[0], a.firstSynFrame[0], a.lastSynFrame[0]]).toEqual([3, AttemptAnswer.SynAck, 4, 1, 3]);
    expect([a.syns[1], a.answer[1], a.firstSynFrame[1], a.lastSynFrame[1]]).toEqual([4, AttemptAnswer.None, 6, 9]);
    expect(a.answerTime[0] - a.firstSynTime[0]).toBeCloseTo(3.001, 6);
    expect(tsharkAt('syn-retransmissions', 2)).toEqual(['retransmission', 'syn']);
  });

  test('refused reconnects: a new port, a reused port with a new ISN, the same ISN again', () => {
    const r = runTcp(SYNTHETIC['rst-storm'](), { ports: [3260] });
    const a = r.attempts;
    const rows = Array.from({ length: a.count }, (_, i) => [a.clientPort[i], a.isn[i], a.syns[i], a.answer[i], a.tcpConn[i]]);
    expect(rows).toEqual([
      [40010, 100, 1, AttemptAnswer.Rst, 0],
      [40011, 200, 1, AttemptAnswer.Rst, 1],
      [40011, 300, 2, AttemptAnswer.Rst, 2], // the same ISN after the RST: the same attempt (and connection)
      [40012, 400, 1, AttemptAnswer.SynAck, 3],
    ]);
    // tshark's streams: the reused port with a new ISN is a new one.
    expect(new Set(tsharkEventRows(readTsv(join(DIR, 'rst-storm.pcap.tcpflags.tsv'))).map((x) => x.stream))).toEqual(new Set([0, 1, 2, 3]));
  });

  test('loss at the sender: lost segment, duplicate ACKs, fast and spurious retransmission, out of order, ACKed unseen', () => {
    expect(tsharkAt('loss', 5)).toEqual(['lost-segment']);
    expect(tsharkAt('loss', 7)).toEqual(['duplicate-ack']);
    expect(tsharkAt('loss', 9)).toEqual(['retransmission', 'fast-retransmission']);
    expect(tsharkAt('loss', 11)).toEqual(['retransmission', 'spurious-retransmission']);
    expect(tsharkAt('loss', 14)).toEqual(['out-of-order']);
    expect(tsharkAt('loss', 15)).toEqual(['ack-lost-segment']);
    const f = [...runTcp(SYNTHETIC.loss(), { ports: [3260] }).figures.values()][0];
    expect(f.dirs[0].retransmittedSegments).toBe(3);
    expect(f.dirs[0].retransmittedBytes).toBe(3000);
  });

  test('version cases: what tshark 4.0 (not later versions) does', () => {
    // A full window before the peer's first ACK counts the window unscaled (issue 14690) …
    expect(tsharkAt('version-cases', 4)).toEqual(['window-full']);
    expect(tsharkAt('version-cases', 5)).toEqual([]);
    // … a spurious retransmission wins over out-of-order, a quick SYN repeat is a retransmission …
    expect(tsharkAt('version-cases', 14)).toEqual(['retransmission', 'spurious-retransmission']);
    expect(tsharkAt('version-cases', 16)).toEqual(['retransmission', 'syn']);
    // … and after the same SYN again, data from the ISN is new (issue 17616).
    expect(tsharkAt('version-cases', 30)).toEqual([]);
  });
});

describe('TCP Fast Open: data in the SYN', () => {
  test('is read from the sequence number after the SYN (no byte lost, no phantom gap)', () => {
    const r = runTcp(SYNTHETIC['fast-open'](), { ports: [3260] });
    expect(r.delivered.get(0)).toEqual([48, 48]);
    expect(r.missing.get(0)).toBeUndefined();
    expect(r.conns.get(0)?.dirs[0].position).toBe(48);
  });
});
