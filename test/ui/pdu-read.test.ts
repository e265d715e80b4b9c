import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { analyzeBytes, analyzeFile } from '../support/analyze.ts';
import { CAPTURES } from '../support/shared.ts';
import { headerFromColumns, headerMatches, readPduDetail } from '../../src/ui/lib/pdu-read.ts';

describe('the PDU detail view re-reads each header from the file', () => {
  test.each(['initiator-ping-timeout.pcap', 'slow-target-abort.pcap', 'header-digest.pcap', 'midstream.pcap'])('%s: every PDU decodes to the CLI\'s record', async (file) => {
    const path = join(CAPTURES, file);
    const { analysis, pdus } = analyzeFile(path);
    const blob = new Blob([readFileSync(path)]);
    for (let row = 0; row < analysis.pdus.count; row++) {
      const d = await readPduDetail(blob, analysis, row, false);
      expect(d.source === 'file' || d.source === 'kept', `row ${row}`).toBe(true);
      expect(d.record).toEqual(pdus[row]);
    }
  });

  test('a gzip capture: offsets are in the decompressed stream, and the view says so', async () => {
    const raw = readFileSync(join(CAPTURES, 'initiator-ping-timeout.pcap'));
    const gz = gzipSync(raw);
    const { analysis, pdus } = analyzeBytes(raw);
    const blob = new Blob([gz]);
    for (const row of [0, 5, analysis.pdus.count - 1]) {
      const d = await readPduDetail(blob, analysis, row);
      expect(d.source).toBe('gzip');
      expect(d.note).toMatch(/decompress/);
      expect(d.record).toEqual(pdus[row]);
    }
  });

  test('without the file, the header is rebuilt from the columns and says what is unknown', async () => {
    const { analysis } = analyzeFile(join(CAPTURES, 'initiator-ping-timeout.pcap'));
    const d = await readPduDetail(undefined, analysis, 2);
    expect(d.source).toBe('columns');
    expect(d.note).toMatch(/not kept/);
    expect(d.known[40]).toBe(0);
    const h = headerFromColumns(analysis, 2);
    expect(headerMatches(analysis.pdus, 2, h.bytes)).toBe(true);
  });
});
