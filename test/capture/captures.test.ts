/** The real captures in /work/shared/captures against tshark 4.0.17's frame list of each. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CAPTURES, digest, epoch, glob, readOk, tsvRows } from './helpers.ts';

const files = glob(CAPTURES, /\.(pcap|pcapng)$/);

test('the captures are all there', () => {
  expect(files.length).toBeGreaterThanOrEqual(16);
});

describe.each(files.map((f) => [basename(f), f]))('%s', (name, file) => {
  test('timestamps of the frames tshark lists are exact to the nanosecond', () => {
    const r = readOk(new Uint8Array(readFileSync(file)));
    // The .tshark-frames.tsv lists only the frames holding iSCSI (tshark -Y iscsi): check those.
    const rows = tsvRows(readFileSync(`${file}.tshark-frames.tsv`, 'utf8'), ['frame.number', 'frame.time_epoch']);
    const byFrame = new Map(r.packets.map((p) => [p.frame, p]));
    for (const row of rows) {
      const p = byFrame.get(Number(row[0]));
      expect(p, `frame ${row[0]}`).toBeDefined();
      expect(epoch(p!)).toBe(row[1]);
    }
    // Frames are numbered 1..n with no gaps, in file order; offsets grow.
    r.packets.forEach((p, i) => expect(p.frame).toBe(i + 1));
    for (let i = 1; i < r.packets.length; i++) expect(r.packets[i].fileOffset).toBeGreaterThan(r.packets[i - 1].fileOffset);
    expect(r.info.format).toBe(name.endsWith('.pcapng') ? 'pcapng' : 'pcap');
    expect(r.info.interfaces.map((i) => i.linkType)).toEqual([1]); // tcpdump / dumpcap on lo: Ethernet
  });
});

test('snaplen-96 / snaplen-128: the header snaplen is read and no packet is longer', () => {
  for (const snap of [96, 128]) {
    const r = readOk(new Uint8Array(readFileSync(`${CAPTURES}/snaplen-${snap}.pcap`)));
    expect(r.info.interfaces[0].snaplen).toBe(snap);
    expect(r.packets.length).toBeGreaterThan(0);
    expect(r.packets.every((p) => p.capLen <= snap && p.capLen <= p.origLen)).toBe(true);
    expect(r.packets.some((p) => p.origLen > snap)).toBe(true);
  }
});

test('pcapng-nano.pcap (tcpdump, ns) and its editcap conversion to pcapng read identically', () => {
  const a = readOk(new Uint8Array(readFileSync(`${CAPTURES}/pcapng-nano.pcap`)));
  const b = readOk(new Uint8Array(readFileSync(`${CAPTURES}/pcapng-nano-editcap.pcapng`)));
  expect(a.info.timePrecision).toBe('ns');
  expect(b.info.interfaces[0].tsresol).toBe(9);
  const noOffsets = (r: typeof a) => ({ packets: r.packets.map((p) => ({ ...p, fileOffset: 0 })), nonPackets: [] });
  expect(a.packets.length).toBe(b.packets.length);
  expect(digest(noOffsets(a))).toBe(digest(noOffsets(b)));
});

test('dumpcap pcapng: interface name, resolution and byte order are reported', () => {
  const r = readOk(new Uint8Array(readFileSync(`${CAPTURES}/pcapng-nano.pcapng`)));
  expect(r.info.version).toBe('1.0');
  expect(r.info.byteOrder).toBe('little-endian');
  expect(r.info.sections.length).toBe(1);
  expect(r.info.interfaces[0]).toMatchObject({ name: 'lo', tsresol: 9, timeUnitsPerSecond: 1e9, linkType: 1, snaplen: 262144 });
  expect(r.info.interfaces[0].packets).toBe(r.packets.length);
});
