import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { readTsv } from '../support/shared.ts';

const DIR = join(import.meta.dirname, '../fixtures/hostile');
/** Bytes of a Login or Text data segment the framer keeps: past them, keys are not read. */
const KEPT = 65536;

/** tshark's key=value entries of each Login PDU, by frame. */
function tsharkKeys(capture: string): Map<number, { opcode: number; dsl: number; keys: string[] }> {
  const out = new Map<number, { opcode: number; dsl: number; keys: string[] }>();
  for (const r of readTsv(join(DIR, `${capture}.tshark-keys.tsv`))) {
    out.set(Number(r['frame.number']), { opcode: Number(r['iscsi.opcode']), dsl: Number(r['iscsi.datasegmentlength']), keys: r['iscsi.keyvalue'].split('|') });
  }
  return out;
}

describe('text keys past 64 KiB', () => {
  test('a Login Request with 96 KiB of keys: those in the first 64 KiB listed, the cut said', () => {
    const { analysis, pdus } = analyzeFile(join(DIR, 'text-keys-96k.pcap'));
    const want = tsharkKeys('text-keys-96k.pcap');
    const request = pdus.find((p) => p.opcode === 0x03);
    const response = pdus.find((p) => p.opcode === 0x23);
    if (!request || !response) throw new Error('no login in the capture');
    const w = want.get(request.frame);
    expect(w?.opcode).toBe(0x03);
    expect(request.dataSegmentLength).toBe(w?.dsl);
    expect(w!.dsl).toBeGreaterThan(KEPT);
    // The entries that end within the kept bytes, then the one the cut goes through, as far as kept.
    const listed: string[] = [];
    let at = 0;
    for (const entry of w!.keys) {
      if (at >= KEPT) break;
      listed.push(entry.slice(0, KEPT - at));
      at += entry.length + 1;
    }
    expect((request.keys as Array<[string, string]>).map(([k, v]) => `${k}=${v}`)).toEqual(listed);
    expect(request.keysCut).toBe(true);
    expect(request.truncated).toBe(false);
    // The operational keys came after the cut: the connection does not claim to know them.
    const conn = analysis.connections[0];
    expect(w!.keys.some((e) => e.startsWith('InitiatorName='))).toBe(true);
    expect(conn.initiatorKeys.InitiatorName).toBeUndefined();
    expect(analysis.details.get(0)?.dataComplete).toBe(false);
    // The Login Response's keys are whole.
    expect(response.keysCut).toBeUndefined();
    expect((response.keys as Array<[string, string]>).map(([k, v]) => `${k}=${v}`)).toEqual(want.get(response.frame)?.keys);
    expect(conn.targetKeys.HeaderDigest).toBe('CRC32C');
  });

  test('a Login Request with 60 KiB of keys: every key listed, nothing cut', () => {
    const { analysis, pdus } = analyzeFile(join(DIR, 'text-keys-60k.pcap'));
    const want = tsharkKeys('text-keys-60k.pcap');
    for (const p of pdus.filter((x) => x.opcode === 0x03 || x.opcode === 0x23)) {
      expect((p.keys as Array<[string, string]>).map(([k, v]) => `${k}=${v}`)).toEqual(want.get(p.frame)?.keys);
      expect(p.keysCut).toBeUndefined();
    }
    expect(analysis.connections[0].initiatorKeys.InitiatorName).toBe('iqn.2024-01.scale:verbose');
    expect(analysis.details.get(0)?.dataComplete).toBe(true);
  });
});
