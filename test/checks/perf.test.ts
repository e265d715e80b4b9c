import { expect, test } from 'vitest';
import { analyzeSessions } from '../../src/checks/index.ts';
import { PduTableBuilder } from '../../src/engine/pdu-table.ts';
import type { Analysis, ConnectionSummary } from '../../src/engine/types.ts';

/**
 * A million PDUs of routine I/O straight into the engine's columns (writing a pcap of that size
 * would time the encoder, not the checks): 4 connections, READ(10) with 6 Data-In + status,
 * WRITE(10) with R2T, 6 Data-Out and a SCSI Response, ITTs reused from a pool of 128 as Linux does,
 * a NOP-Out ping now and then.
 */
function bulk(pdus: number): Analysis {
  const b = new PduTableBuilder(pdus + 64);
  const conns = 4;
  const state = Array.from({ length: conns }, () => ({ cmdSN: 1, statSN: 1, itt: 0 }));
  let frame = 1;
  let time = 1_700_000_000;
  const add = (conn: number, op: number, itt: number, f: (i: number) => void): void => {
    const i = b.add();
    const c = b.cols;
    c.time[i] = time; c.frame[i] = frame++; c.firstFrame[i] = c.frame[i]; c.conn[i] = conn; c.b0[i] = op;
    c.b1[i] = 0x80; c.b2[i] = 0; c.b3[i] = 0; c.state[i] = 0; c.lun[i] = 0; c.w4[i] = 0; c.itt[i] = itt;
    c.w20[i] = 0xffffffff; c.w24[i] = 0; c.w28[i] = 0; c.w32[i] = 0; c.w36[i] = 0; c.fileOffset[i] = 0;
    f(i);
    time += 0.00001;
  };
  while (b.count < pdus) {
    for (let k = 0; k < conns && b.count < pdus; k++) {
      const s = state[k];
      const itt = (s.itt++ % 128) | (k << 24);
      const win = (i: number): void => { b.cols.w24[i] = s.statSN; b.cols.w28[i] = s.cmdSN; b.cols.w32[i] = s.cmdSN + 127; };
      if (s.itt % 500 === 0) {
        add(k, 0x40, 0x7f000000 | s.itt, (i) => { b.cols.w24[i] = s.cmdSN; b.cols.w28[i] = s.statSN; });
        add(k, 0x20, 0x7f000000 | s.itt, (i) => { win(i); });
        s.statSN++;
      }
      const write = s.itt % 2 === 0;
      add(k, 0x01, itt, (i) => {
        b.cols.b1[i] = write ? 0xa1 : 0xc1; b.cols.w20[i] = 6 * 8192; b.cols.w24[i] = s.cmdSN; b.cols.w28[i] = s.statSN;
        b.cols.w32[i] = (write ? 0x2a : 0x28) << 24;
      });
      s.cmdSN++;
      if (write) {
        add(k, 0x31, itt, (i) => { win(i); b.cols.w20[i] = 0x1000 + itt; });
        for (let d = 0; d < 6; d++) add(k, 0x05, itt, (i) => { b.cols.w20[i] = 0x1000 + itt; b.cols.w28[i] = s.statSN; b.cols.w36[i] = d; });
        add(k, 0x21, itt, (i) => { win(i); });
      } else {
        for (let d = 0; d < 6; d++) add(k, 0x25, itt, (i) => { win(i); b.cols.b1[i] = 0; b.cols.w36[i] = d; });
        add(k, 0x25, itt, (i) => { win(i); b.cols.b1[i] = 0x81; });
      }
      s.statSN++;
    }
  }
  const { columns } = b.finish();
  const connections: ConnectionSummary[] = Array.from({ length: conns }, (_, k) => ({
    conn: k, initiator: { address: '10.0.0.1', port: 40000 + k }, target: { address: '10.0.0.2', port: 3260 },
    firstFrame: 1, lastFrame: frame, firstTime: 1_700_000_000, lastTime: time, synSeen: false, midstream: true,
    pdus: 0, truncatedPdus: 0, unframedBytes: 0, missingBytes: 0, gaps: [], headerDigest: 'None', dataDigest: 'None',
    loginComplete: false, initiatorKeys: {}, targetKeys: {}, isid: undefined, tsih: undefined, loginRequestTsih: undefined, cid: undefined,
    loginStatus: undefined, control: [], end: { kind: 'open' },
  }));
  return {
    capture: {
      format: 'pcap', compression: undefined, bytes: 0, packets: frame, firstTime: 1_700_000_000, lastTime: time, linkTypes: [], truncatedPackets: 0,
      snaplenCutSegments: 0, snaplen: 262144, skipped: { notIp: 0, notTcp: 0, fragments: 0, truncated: 0, malformed: 0, unsupportedLink: 0 },
      tcpConnections: conns,
    },
    connections, pdus: columns, headerFrames: new Map(), details: new Map(), luns: ['0000000000000000'], findings: [], model: undefined, error: undefined,
  };
}

test('a million PDUs: model and checks well under a second', () => {
  const analysis = bulk(1_000_000);
  analyzeSessions(analysis); // warm up the JIT
  const t0 = performance.now();
  const { model, findings } = analyzeSessions(analysis);
  const ms = performance.now() - t0;
  console.log(`model + checks over ${analysis.pdus.count} PDUs: ${ms.toFixed(0)} ms, ${model.tasks.count} commands, ${findings.length} findings`);
  expect(model.tasks.count).toBeGreaterThan(100_000);
  // Every command completed; the pings were answered.
  expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
  expect(ms).toBeLessThan(1000);
});
