/**
 * The pcapng reader test suite (hadrielk/pcapng-test-generator) against tshark 4.0's reading of it.
 *
 * What the suite holds that needs care (see each testNNN.txt):
 * - tshark numbers Custom Blocks (CB 0x00000BAD and "do not copy" DCB 0x40000BAD) as frames: rows with
 *   no time, no interface and no encapsulation, whose cap_len = len = the block's bytes after the PEN.
 *   The reader gives them the same frame numbers (through onNonPacketRecord) without handing them to
 *   the packet sink, so packet frame numbers stay Wireshark's.
 * - Simple Packet Blocks have no timestamp (empty frame.time_epoch) and their captured length is
 *   min(original length, snaplen of interface 0) (test012: 315 of 342 bytes).
 * - test008's IDBs say if_tsresol = 9 (ns), so its timestamps read as 1970 (1340954.905298858).
 * - test202 mixes sections of both byte orders in one file; interface ids restart in each section.
 * - output_le and output_be hold the same tests in the two byte orders, with identical .tsv files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CONFORMANCE, digest, epoch, glob, readOk, tsvRows } from './helpers.ts';

const HEADER = ['frame.number', 'frame.time_epoch', 'frame.cap_len', 'frame.len', 'frame.interface_id', 'frame.encap_type'];

/** Wireshark's WTAP_ENCAP_ for the LINKTYPE_ values these files use (wiretap/pcap-encap.c). */
const WTAP_ENCAP: ReadonlyMap<number, number> = new Map([
  [1, 1], // LINKTYPE_ETHERNET → WTAP_ENCAP_ETHERNET
  [0, 15], // LINKTYPE_NULL → WTAP_ENCAP_NULL
]);

const files = glob(CONFORMANCE, /^test\d+\.pcapng$/);

test('the suite has 48 files: 24 tests (18 basic, 3 advanced, 3 difficult) in each byte order', () => {
  expect(files.length).toBe(48);
  expect(files.filter((f) => f.includes('/output_le/')).length).toBe(24);
  expect(files.filter((f) => f.includes('/output_be/')).length).toBe(24);
});

/** "Block counts" from testNNN.txt. */
function blockCounts(txt: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of txt.split('\n')) {
    const r = /^\s+([A-Z]+):\s+(\d+)\s*$/.exec(line);
    if (r) m.set(r[1], Number(r[2]));
  }
  return m;
}

describe.each(files.map((f) => [f.slice(CONFORMANCE.length + 1), f]))('%s', (_name, file) => {
  const bytes = new Uint8Array(readFileSync(file));
  const rows = tsvRows(readFileSync(file.replace(/\.pcapng$/, '.tshark.tsv'), 'utf8'), HEADER);
  const counts = blockCounts(readFileSync(file.replace(/\.pcapng$/, '.txt'), 'utf8'));

  test('reads exactly what tshark reads', () => {
    const r = readOk(bytes);
    expect(r.info.format).toBe('pcapng');
    expect(r.info.sections.length).toBe(counts.get('SHB') ?? 0);
    expect(r.info.interfaces.length).toBe(counts.get('IDB') ?? 0);
    // Every row is either a packet or a non-packet record, with no frame number missing or repeated.
    expect(r.packets.length + r.nonPackets.length).toBe(rows.length);
    expect(r.info.frames).toBe(rows.length);
    const packetRows = rows.filter((row) => row[4] !== '');
    const otherRows = rows.filter((row) => row[4] === '');
    // The .txt block counts say the same thing independently of tshark.
    expect(packetRows.length).toBe((counts.get('EPB') ?? 0) + (counts.get('SPB') ?? 0) + (counts.get('PB') ?? 0));
    expect(otherRows.length).toBe((counts.get('CB') ?? 0) + (counts.get('DCB') ?? 0));

    expect(r.packets.map((p) => {
      const encap = WTAP_ENCAP.get(p.linkType);
      if (encap === undefined) throw new Error(`no WTAP_ENCAP mapping for LINKTYPE ${p.linkType} (add it to the table)`);
      return [String(p.frame), epoch(p), String(p.capLen), String(p.origLen), String(p.interfaceId), String(encap)];
    })).toEqual(packetRows);

    expect(r.nonPackets.map((n) => [String(n.frame), '', String(n.length), String(n.length), '', ''])).toEqual(otherRows);
    for (const n of r.nonPackets) expect([0x00000bad, 0x40000bad]).toContain(n.blockType);
    expect(r.info.packets).toBe(r.packets.length);
    expect(r.info.bytesConsumed).toBe(bytes.length);
  });

  test('the other byte order reads the same (packet bytes included)', () => {
    const twin = file.includes('/output_le/') ? file.replace('/output_le/', '/output_be/') : file.replace('/output_be/', '/output_le/');
    const a = readOk(bytes);
    const b = readOk(new Uint8Array(readFileSync(twin)));
    const strip = (r: typeof a) => ({
      packets: r.packets.map((p) => ({ ...p, fileOffset: 0 })),
      // (A custom block's options are in its section's byte order, so only its length must agree.)
      nonPackets: r.nonPackets.map((n) => ({ ...n, fileOffset: 0, bytes: [] })),
    });
    expect(digest(strip(a))).toBe(digest(strip(b)));
  });
});
