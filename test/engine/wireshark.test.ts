import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES, pduCount, readTsv, sharedCaptures } from '../support/shared.ts';
import { compare, countByName } from '../support/wireshark.ts';

/**
 * Wireshark agreement: every PDU tshark decoded in a shared capture (its .tshark.tsv, one row per
 * PDU, in the frame that completed it) must be one of ours, in the same frame, with the same header
 * fields. Where lab/pducount.py's independent walk gives a count, ours must equal it.
 */

const SNAPLEN = new Set(['snaplen-96.pcap', 'snaplen-128.pcap']);

describe('Wireshark agreement on the shared captures', () => {
  for (const capture of sharedCaptures()) {
    test(capture, () => {
      const tsvPath = join(CAPTURES, `${capture}.tshark.tsv`);
      expect(existsSync(tsvPath)).toBe(true);
      const rows = readTsv(tsvPath);
      const { analysis, pdus } = analyzeFile(join(CAPTURES, capture));
      expect(analysis.error).toBeUndefined();
      const a = compare(capture, pdus, rows);
      expect(a.mismatches).toEqual([]);
      expect(a.matched).toBe(rows.length);

      const independent = pduCount(capture);
      if (independent && !SNAPLEN.has(capture)) {
        // The independent walk and ours see the same PDUs, type by type.
        expect(pdus.length).toBe(independent.total);
        expect(countByName(pdus)).toEqual(independent.byName);
      }
      if (capture === 'midstream.pcap') {
        // Wireshark resynchronises only where a segment starts with a BHS: it misses the Data-In
        // PDUs that begin inside segments of the target's stream (19 of 42).
        expect(rows.length).toBe(23);
        expect(a.missedByWireshark.map((p) => p.opcode)).toEqual(Array(19).fill(0x25));
      } else if (!SNAPLEN.has(capture)) {
        expect(a.missedByWireshark).toEqual([]);
      }
    });
  }

  test('snaplen 128: every PDU Wireshark decodes, marked truncated where cut', () => {
    const rows = readTsv(join(CAPTURES, 'snaplen-128.pcap.tshark.tsv'));
    const { analysis, pdus } = analyzeFile(join(CAPTURES, 'snaplen-128.pcap'));
    const a = compare('snaplen-128.pcap', pdus, rows);
    expect(a.mismatches).toEqual([]);
    expect(a.matched).toBe(154);
    expect(analysis.capture.truncatedPackets).toBeGreaterThan(0);
    expect(pdus.some((p) => p.truncated === true)).toBe(true);
  });

  test('snaplen 96: no whole BHS in any frame: no PDUs invented, truncation reported', () => {
    const { analysis, pdus } = analyzeFile(join(CAPTURES, 'snaplen-96.pcap'));
    expect(pdus).toEqual([]);
    expect(analysis.capture.snaplen).toBe(96);
    expect(analysis.capture.truncatedPackets).toBeGreaterThan(1000);
    expect(analysis.connections.length).toBe(1);
  });
});
