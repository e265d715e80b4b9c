// Routine I/O straight into the PDU table, without writing a capture: what the model and the checks
// are measured on at a scale where encoding a pcap would time the encoder, not them. Every header is
// made by the codec's encoder, so the table holds exactly what framing real bytes would give.

import { encodeHeaderInto } from '../codec/index.ts';
import type { PduInput } from '../codec/index.ts';
import { PduTableBuilder } from '../iscsi/index.ts';
import type { ConnectionSummary, FramedCapture, PduRow, TcpCapture } from '../iscsi/index.ts';

const START = 1_700_000_000;

/**
 * `pdus` PDUs over 4 connections: READ(10) with 6 Data-In + status, WRITE(10) with an R2T, 6 Data-Out
 * and a SCSI Response, ITTs reused from a pool of 128 as Linux does, a NOP-Out ping every 500
 * commands; every command answered, every ping answered, every StatSN in sequence.
 */
export function bulkFramedCapture(pdus: number): FramedCapture {
  const b = new PduTableBuilder(pdus + 64);
  const conns = 4;
  const state = Array.from({ length: conns }, () => ({ cmdSN: 1, statSN: 1, itt: 0 }));
  const h = new Uint8Array(48);
  const row: PduRow = { time: START, fileOffset: 0, frame: 1, firstFrame: 1, conn: 0, state: 0, lun: 0 };
  let frame = 1;
  let time = START;
  const add = (conn: number, input: PduInput): void => {
    h.fill(0);
    encodeHeaderInto(input, h, 0);
    row.time = time; row.frame = frame; row.firstFrame = frame; row.conn = conn;
    b.add(h, row);
    frame++;
    time += 0.00001;
  };
  while (b.count < pdus) {
    for (let k = 0; k < conns && b.count < pdus; k++) {
      const s = state[k];
      const itt = (s.itt++ % 128) | (k << 24);
      const win = () => ({ statSN: s.statSN, expCmdSN: s.cmdSN, maxCmdSN: s.cmdSN + 127 });
      if (s.itt % 500 === 0) {
        add(k, { opcode: 0x00, immediate: true, itt: 0x7f000000 | s.itt, ttt: 0xffffffff, cmdSN: s.cmdSN, expStatSN: s.statSN, dataSegmentLength: 0 });
        add(k, { opcode: 0x20, itt: 0x7f000000 | s.itt, ttt: 0xffffffff, ...win(), dataSegmentLength: 0 });
        s.statSN++;
      }
      const write = s.itt % 2 === 0;
      const cdb = new Uint8Array([write ? 0x2a : 0x28, 0, 0, 0, 0, 0, 0, 0, 96, 0]);
      add(k, { opcode: 0x01, final: true, read: !write, write, attr: 1, itt, lun: 0, expectedDataTransferLength: 6 * 8192, cmdSN: s.cmdSN, expStatSN: s.statSN, cdb, dataSegmentLength: 0 });
      s.cmdSN++;
      if (write) {
        add(k, { opcode: 0x31, itt, ttt: 0x1000 + itt, lun: 0, ...win(), r2tSN: 0, bufferOffset: 0, desiredDataTransferLength: 6 * 8192 });
        for (let d = 0; d < 6; d++) {
          add(k, { opcode: 0x05, final: d === 5, itt, ttt: 0x1000 + itt, lun: 0, expStatSN: s.statSN, dataSN: d, bufferOffset: d * 8192, dataSegmentLength: 8192 });
        }
        add(k, { opcode: 0x21, itt, response: 0, status: 0, ...win(), dataSegmentLength: 0 });
      } else {
        for (let d = 0; d < 7; d++) {
          const last = d === 6;
          add(k, { opcode: 0x25, final: last, statusPresent: last, status: 0, itt, ttt: 0xffffffff, ...win(), dataSN: d, bufferOffset: d * 8192, dataSegmentLength: last ? 0 : 8192 });
        }
      }
      s.statSN++;
    }
  }
  const { columns } = b.finish();
  const connections: ConnectionSummary[] = Array.from({ length: conns }, (_, k) => ({
    conn: k, initiator: { address: '10.0.0.1', port: 40000 + k }, target: { address: '10.0.0.2', port: 3260 },
    firstFrame: 1, lastFrame: frame, firstTime: START, lastTime: time, synSeen: false, midstream: true,
    pdus: 0, truncatedPdus: 0, unframedBytes: 0, missingBytes: 0, gaps: [], headerDigest: 'None', unnegotiatedDigests: [], dataDigest: 'None',
    loginComplete: false, initiatorKeys: {}, targetKeys: {}, isid: undefined, tsih: undefined, loginRequestTsih: undefined, cid: undefined,
    loginStatus: undefined, control: [], end: { kind: 'open' }, tcp: undefined,
  }));
  return {
    capture: {
      format: 'pcap', compression: undefined, bytes: 0, packets: frame, firstTime: START, lastTime: time, timeBackwards: undefined, linkTypes: [], truncatedPackets: 0,
      snaplenCutSegments: 0, snaplen: 262144, timeResolution: 1e-6, skipped: { notIp: 0, notTcp: 0, fragments: 0, truncated: 0, malformed: 0, unsupportedLink: 0, lengthExceedsPacket: 0, extensionHeaderLimit: 0 },
      tcpConnections: conns, forgottenTcpConnections: 0,
    },
    connections, pdus: columns, headerFrames: new Map(), details: new Map(), luns: ['0000000000000000'], tcp: noTcp(), error: undefined,
  };
}

/** Columns written without TCP under them: no TCP connection was analysed. */
function noTcp(): TcpCapture {
  const u32 = (): Uint32Array => new Uint32Array(0);
  const f64 = (): Float64Array => new Float64Array(0);
  return {
    connections: { count: 0, conn: new Int32Array(0), initiatorSide: new Uint8Array(0), firstFrame: u32(), firstTime: f64() },
    events: {
      count: 0, frame: u32(), tcpConn: u32(), dir: new Uint8Array(0), flags: u32(), seq: u32(), ack: u32(), len: u32(), win: u32(), time: f64(), rto: new Float32Array(0),
      conn: new Int32Array(0), fromTarget: new Uint8Array(0),
    },
    attempts: {
      count: 0, tcpConn: u32(), ipVersion: new Uint8Array(0), clientAddr: u32(), serverAddr: u32(), clientPort: new Uint16Array(0),
      serverPort: new Uint16Array(0), isn: u32(), syns: u32(), firstSynFrame: u32(), firstSynTime: f64(), lastSynFrame: u32(),
      lastSynTime: f64(), prevSynFrame: u32(), prevSynTime: f64(), answer: new Uint8Array(0), answerFrame: u32(), answerTime: f64(), dropped: 0, droppedRefused: 0, droppedConnected: 0, droppedAnsweredLate: 0, droppedUnanswered: 0, droppedFirstFrame: 0, droppedFirstTime: 0, droppedLastTime: 0,
    },
    acks: { count: 0, row: u32(), frame: u32(), time: f64() },
  };
}
