import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { analyzeBytes } from '../support/analyze.ts';
import { readPduCount, readTsv } from '../support/shared.ts';
import { compare, countByName } from '../support/wireshark.ts';

/**
 * A capture taken behind the loss (../shared/lab/tcp-faults loss-t2i: netem drops the target's
 * segments before tcpdump sees them), so the target's stream has holes that retransmissions fill
 * later, and the segments after each hole arrive first. Beside it, tshark 4.0's reading with
 * `-o tcp.reassemble_out_of_order:TRUE` (lab/reference.sh): each PDU in the frame that closed the
 * hole before it — what the initiator could read, and when. (With default preferences tshark drops
 * out-of-order segments and decodes 592 of the 602 PDUs, 6 of them in later frames.)
 */
const DIR = join(import.meta.dirname, '../fixtures/tcp/ooo');
const CAPTURE = join(DIR, 'loss-t2i.pcap.gz');

test('out-of-order segments: every PDU where Wireshark, reassembling them, completes it', () => {
  const rows = readTsv(`${CAPTURE}.tshark.tsv`);
  // Stored gzip-compressed (9 MB → 170 KB); the engine reads gzip too (test/engine/gzip.test.ts).
  const { analysis, pdus } = analyzeBytes(gunzipSync(readFileSync(CAPTURE)));
  expect(analysis.error).toBeUndefined();
  const a = compare('loss-t2i.pcap.gz', pdus, rows);
  expect(a.mismatches).toEqual([]);
  expect(a.matched).toBe(rows.length);
  expect(a.missedByWireshark).toEqual([]);
  expect(analysis.connections[0].missingBytes).toBe(0);
  // The lab's independent walk (lab/pducount.py) counts the same PDUs, type by type.
  const walk = readPduCount(`${CAPTURE}.pducount.txt`);
  expect(pdus.length).toBe(walk?.total);
  expect(countByName(pdus)).toEqual(walk?.byName);
});
