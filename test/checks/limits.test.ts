import { describe, expect, test } from 'vitest';
import { SynthCapture } from '../../src/synth/index.ts';
import { analyzeBytes } from '../support/analyze.ts';

/** data-segment-over-limit: against what the login in the capture declared (RFC 7143 §13.12). */
function session(dataOutBytes: number, dataInBytes: number): ReturnType<typeof analyzeBytes>['analysis'] {
  const cap = new SynthCapture();
  const c = cap.connection('10.0.0.1:40000', '10.0.0.2:3260');
  c.handshake();
  const isid = '80:00:00:00:00:01';
  c.send('initiator', { opcode: 0x03, itt: 1, transit: true, csg: 1, nsg: 3, isid, cmdSN: 1,
    keys: [['InitiatorName', 'iqn.i'], ['TargetName', 'iqn.t'], ['MaxRecvDataSegmentLength', '262144']] });
  c.send('target', { opcode: 0x23, itt: 1, transit: true, csg: 1, nsg: 3, isid, tsih: 1, statSN: 1, expCmdSN: 1, maxCmdSN: 9,
    keys: [['MaxRecvDataSegmentLength', '8192']] });
  c.send('initiator', { opcode: 0x01, itt: 2, write: true, expectedDataTransferLength: dataOutBytes, cmdSN: 1, expStatSN: 2, scsiOpcode: 0x2a });
  c.send('target', { opcode: 0x31, itt: 2, ttt: 7, statSN: 2, expCmdSN: 2, maxCmdSN: 9, desiredDataTransferLength: dataOutBytes });
  c.send('initiator', { opcode: 0x05, itt: 2, ttt: 7, expStatSN: 2, data: new Uint8Array(dataOutBytes) });
  c.send('target', { opcode: 0x21, itt: 2, statSN: 2, expCmdSN: 2, maxCmdSN: 9 });
  c.send('initiator', { opcode: 0x01, itt: 3, read: true, expectedDataTransferLength: dataInBytes, cmdSN: 2, expStatSN: 3, scsiOpcode: 0x28 });
  c.send('target', { opcode: 0x25, itt: 3, statusPresent: true, final: true, statSN: 3, expCmdSN: 3, maxCmdSN: 9, data: new Uint8Array(dataInBytes) });
  return analyzeBytes(cap.bytes()).analysis;
}

describe('data-segment-over-limit', () => {
  test('a Data-Out beyond the 8192 bytes the target declared is flagged, naming both numbers', () => {
    const f = session(16384, 4096).findings.filter((x) => x.kind === 'data-segment-over-limit');
    expect(f.map((x) => [x.dir, x.dataSegmentLength, x.maxRecvDataSegmentLength, x.severity])).toEqual([['I>T', 16384, 8192, 'warning']]);
    expect(f[0].message).toContain('ISCSI_ERR_DATALEN');
  });

  test('segments within what each receiver declared raise nothing (Data-In up to the initiator\'s 262144)', () => {
    expect(session(8192, 262144).findings.filter((x) => x.kind === 'data-segment-over-limit')).toEqual([]);
  });
});
