import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SynthCapture } from '../../src/synth/index.ts';
import { jsonLines, runCli } from '../cli/run.ts';
import { analyzeBytes } from '../support/analyze.ts';

// Connections are numbered in order of their first packet (as Wireshark numbers TCP streams), even
// when a later connection speaks first.
test('connection numbers follow the first packet, not the first PDU; the streamed CLI listing agrees', async () => {
  const cap = new SynthCapture();
  const a = cap.connection('10.0.0.1:40000', '10.0.0.2:3260');
  const b = cap.connection('10.0.0.1:40001', '10.0.0.2:3260');
  a.handshake();
  b.handshake();
  const nop = (itt: number) => ({ opcode: 0x00 as const, itt, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1 });
  b.send('initiator', nop(2));
  a.send('initiator', nop(1));
  b.send('initiator', nop(4));
  a.send('initiator', nop(3));
  const bytes = cap.bytes();
  const { analysis, pdus } = analyzeBytes(bytes);
  expect(analysis.connections.map((c) => [c.conn, c.initiator.port])).toEqual([[0, 40000], [1, 40001]]);
  expect(pdus.map((p) => [p.itt, p.conn])).toEqual([[2, 1], [1, 0], [4, 1], [3, 0]]);
  expect(Array.from(analysis.pdus.conn)).toEqual([1, 0, 1, 0]);
  const dir = mkdtempSync(join(tmpdir(), 'iscsi-num-'));
  writeFileSync(join(dir, 'two.pcap'), bytes);
  const streamed = jsonLines((await runCli(['pdus', join(dir, 'two.pcap')])).stdout);
  expect(streamed.map((p) => [p.itt, p.conn])).toEqual([[2, 1], [1, 0], [4, 1], [3, 0]]);
});
