// A synthetic Analysis for component tests: a capture written by src/synth (so every frame below is
// known) with a slow command, a skipped StatSN, unanswered pings and a re-login, analysed by the
// engine — findings included. Runs in Node and in the browser.

import { SynthCapture, loginKeys } from '../../src/synth/index.ts';
import { Analyzer } from '../../src/engine/index.ts';
import type { Analysis } from '../../src/engine/index.ts';

export interface SyntheticCase {
  analysis: Analysis;
  /** Frames of interest, by name. */
  frames: Record<string, number[]>;
}

export function syntheticCase(): SyntheticCase {
  const cap = new SynthCapture({ start: 1_800_000_000 });
  const frames: Record<string, number[]> = { pings: [], reads: [] };

  // conn 0: login, a TEST UNIT READY, three NOP-Out pings nobody answers, the initiator gives up (FIN).
  const a = cap.connection('10.0.0.1:40000', '10.0.0.2:3260');
  a.handshake();
  const keys = loginKeys('iqn.2024-01.test:host1', 'iqn.2024-01.test:disk1');
  const isid = '80:12:34:56:00:00';
  let statSN = 100;
  let cmdSN = 1000;
  frames.login = [
    ...a.send('initiator', { opcode: 0x03, immediate: true, itt: 1, isid, tsih: 0, transit: true, csg: 1, nsg: 3, cmdSN, expStatSN: 0, keys: keys.request }),
  ];
  cap.wait(0.001);
  frames.login.push(...a.send('target', { opcode: 0x23, itt: 1, isid, tsih: 0x100, transit: true, csg: 1, nsg: 3, statSN: statSN++, expCmdSN: cmdSN, maxCmdSN: cmdSN + 63, keys: keys.response }));
  cap.wait(0.01);
  frames.tur = a.send('initiator', { opcode: 0x01, itt: 2, lun: 1, scsiOpcode: 0x00, cmdSN: cmdSN++, expStatSN: statSN });
  cap.wait(1.5);
  // A slow response with a StatSN that skips one.
  statSN++;
  frames.tur.push(...a.send('target', { opcode: 0x21, itt: 2, status: 0, statSN: statSN++, expCmdSN: cmdSN, maxCmdSN: cmdSN + 63 }));
  for (let i = 0; i < 3; i++) {
    cap.wait(1);
    frames.pings.push(...a.send('initiator', { opcode: 0x00, immediate: true, itt: 0x10 + i, ttt: 0xffffffff, lun: 0, cmdSN, expStatSN: statSN }));
  }
  cap.wait(5);
  frames.fin = [a.fin('initiator')];

  // conn 1: the same host logs in again and reads 40 blocks (routine I/O to collapse).
  cap.wait(2);
  const b = cap.connection('10.0.0.1:40002', '10.0.0.2:3260');
  b.handshake();
  statSN = 500;
  b.send('initiator', { opcode: 0x03, immediate: true, itt: 1, isid, tsih: 0, transit: true, csg: 1, nsg: 3, cmdSN, expStatSN: 0, keys: keys.request });
  cap.wait(0.001);
  b.send('target', { opcode: 0x23, itt: 1, isid, tsih: 0x101, transit: true, csg: 1, nsg: 3, statSN: statSN++, expCmdSN: cmdSN, maxCmdSN: cmdSN + 63, keys: keys.response });
  for (let i = 0; i < 40; i++) {
    cap.wait(0.0005);
    const itt = 0x100 + i;
    frames.reads.push(...b.send('initiator', { opcode: 0x01, itt, lun: 1, read: true, cdb: new Uint8Array([0x28, 0, 0, 0, 0, i, 0, 0, 8, 0]), expectedDataTransferLength: 4096, cmdSN: cmdSN++, expStatSN: statSN }));
    cap.wait(0.0003 + (i % 7) * 0.0004);
    b.send('target', { opcode: 0x25, itt, lun: 1, final: true, statusPresent: true, status: 0, statSN: statSN++, expCmdSN: cmdSN, maxCmdSN: cmdSN + 63, dataSN: 0, bufferOffset: 0, data: new Uint8Array(4096) });
  }
  cap.wait(0.001);
  b.send('initiator', { opcode: 0x06, immediate: true, itt: 0x999, logoutReason: 0, cmdSN, expStatSN: statSN });
  b.send('target', { opcode: 0x26, itt: 0x999, response: 0, statSN: statSN++, expCmdSN: cmdSN, maxCmdSN: cmdSN + 63 });
  b.fin('initiator');
  b.fin('target');

  const analyzer = new Analyzer();
  analyzer.push(cap.bytes());
  const analysis = analyzer.finish();
  return { analysis, frames };
}
