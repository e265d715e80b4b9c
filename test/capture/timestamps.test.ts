/**
 * pcapng timestamps: every if_tsresol, checked against exact BigInt arithmetic done here.
 *
 * What tshark does (wiretap/pcapng.c): units = 10^n or 2^n (exponents that do not fit in 64 bits give
 * 2^64 - 1); secs = ts / units; nsecs = (ts % units) * 10^9 / units, truncated. tshark 4.0 does the
 * last step in 64 bits, which overflows for 10^-n with n > 10 and 2^-n with n > 34; later versions
 * (and this reader) compute it exactly, so both agree wherever 4.0 does not overflow.
 * if_tsoffset (seconds) is added by the pcapng spec, libpcap and current Wireshark; tshark 4.0 ignores it
 * (option applyTsOffset: false).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { PcapngWriter, PcapWriter } from '../../src/capture/index.ts';
import { epoch, readOk } from './helpers.ts';

function unitsOf(tsresol: number): bigint {
  const n = BigInt(tsresol & 0x7f);
  if (tsresol & 0x80) return n < 64n ? 1n << n : 2n ** 64n - 1n;
  return n < 20n ? 10n ** n : 2n ** 64n - 1n;
}

function expected(tsresol: number, ts: bigint, offset: bigint): string {
  const u = unitsOf(tsresol);
  const sec = ts / u + offset;
  const nsec = ((ts % u) * 1_000_000_000n) / u;
  return `${sec}.${nsec.toString().padStart(9, '0')}`;
}

function readOne(tsresol: number, ts: bigint, tsoffset?: number, applyTsOffset?: boolean): string {
  const w = new PcapngWriter({ bigEndian: ts % 2n === 0n });
  w.addInterface({ tsresol, ...(tsoffset === undefined ? {} : { tsoffset }) });
  w.addPacketRaw(0, Number(ts >> 32n), Number(ts & 0xffffffffn), new Uint8Array(14));
  const r = readOk(w.toBytes(), undefined, applyTsOffset === undefined ? {} : { applyTsOffset });
  expect(r.packets.length).toBe(1);
  return epoch(r.packets[0]);
}

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

test('µs and ns (the fast paths) over the whole 64-bit range', () => {
  fc.assert(fc.property(fc.constantFrom(6, 9), u64, (r, ts) => {
    expect(readOne(r, ts)).toBe(expected(r, ts, 0n));
  }), { numRuns: 3000 });
});

test('µs and ns next to whole seconds, up to the largest 64-bit values', () => {
  for (const r of [6, 9]) {
    const u = unitsOf(r);
    for (const k of [1n, 1_700_000_000n, 2n ** 32n, 18_446_744_073n, (2n ** 64n - 1n) / u - 1n]) {
      for (const d of [-1n, 0n, 1n, u - 1n, u / 2n]) {
        const ts = k * u + d;
        if (ts < 0n || ts >= 2n ** 64n) continue;
        expect(readOne(r, ts)).toBe(expected(r, ts, 0n));
      }
    }
    expect(readOne(r, 2n ** 64n - 1n)).toBe(expected(r, 2n ** 64n - 1n, 0n));
  }
});

test('every decimal and binary resolution, and out-of-range exponents', () => {
  const tsresol = fc.oneof(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 70 }).map((n) => 0x80 | n));
  fc.assert(fc.property(tsresol, u64, (r, ts) => {
    // Seconds must fit a double exactly for the comparison to be meaningful.
    fc.pre(ts / unitsOf(r) < 2n ** 53n);
    expect(readOne(r, ts)).toBe(expected(r, ts, 0n));
  }), { numRuns: 2000 });
});

test('worked examples', () => {
  expect(readOne(6, 1340954905298858n)).toBe('1340954905.298858000');
  expect(readOne(9, 1795378228691638874n)).toBe('1795378228.691638874');
  expect(readOne(0x80 | 20, 3n * 2n ** 20n + 2n ** 19n)).toBe('3.500000000'); // 2^-20 s
  expect(readOne(0x80 | 20, 1n)).toBe('0.000000953'); // 1/2^20 s = 953.67 ns, truncated
  expect(readOne(0x80 | 32, 2n ** 32n - 1n)).toBe('0.999999999');
  expect(readOne(0x80 | 40, 2n ** 40n * 5n + 1n)).toBe('5.000000000');
  expect(readOne(12, 1_000_000_000_000n * 7n + 999_999_999_999n)).toBe('7.999999999'); // ps
  expect(readOne(3, 1234567n)).toBe('1234.567000000'); // ms
  expect(readOne(0, 42n)).toBe('42.000000000');
});

test('if_tsoffset is added (spec, libpcap, current Wireshark), or ignored like tshark 4.0', () => {
  fc.assert(fc.property(fc.constantFrom(6, 9, 0x80 | 24), fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), (r, ts, off) => {
    fc.pre(ts / unitsOf(r) < 2n ** 52n);
    expect(readOne(r, ts, off)).toBe(expected(r, ts, BigInt(off)));
    expect(readOne(r, ts, off, false)).toBe(expected(r, ts, 0n));
  }), { numRuns: 500 });
  // Before the epoch: the time is tsSec + tsNsec / 10^9 with tsNsec never negative (-3598.5 s here).
  const w = new PcapngWriter();
  w.addInterface({ tsoffset: -3600 });
  w.addPacketRaw(0, 0, 1_500_000, new Uint8Array(1));
  expect(readOk(w.toBytes()).packets[0]).toMatchObject({ tsSec: -3599, tsNsec: 500_000_000 });
});

test('classic pcap: a fraction field of a second or more carries into the seconds', () => {
  for (const nanosecond of [false, true]) {
    const w = new PcapWriter({ nanosecond });
    w.addPacket(10, 0, new Uint8Array(1));
    const b = w.toBytes();
    new DataView(b.buffer).setUint32(24 + 4, nanosecond ? 2_500_000_000 : 2_500_000, true);
    expect(epoch(readOk(b).packets[0])).toBe('12.500000000');
  }
});

test('interface info reports the resolution', () => {
  const w = new PcapngWriter();
  w.addInterface({ tsresol: 9, name: 'eth0', snaplen: 1500, linkType: 276, tsoffset: 100 });
  w.addInterface({ tsresol: 0x80 | 10 });
  w.addInterface();
  const info = readOk(w.toBytes()).info;
  expect(info.interfaces).toEqual([
    { section: 0, id: 0, linkType: 276, linkTypeName: 'Linux cooked v2 (SLL2)', snaplen: 1500, tsresol: 9, timeUnitsPerSecond: 1e9, tsOffset: 100, fcsLength: null, name: 'eth0', packets: 0 },
    { section: 0, id: 1, linkType: 1, linkTypeName: 'Ethernet', snaplen: 0, tsresol: 0x8a, timeUnitsPerSecond: 1024, tsOffset: 0, fcsLength: null, name: null, packets: 0 },
    { section: 0, id: 2, linkType: 1, linkTypeName: 'Ethernet', snaplen: 0, tsresol: 6, timeUnitsPerSecond: 1e6, tsOffset: 0, fcsLength: null, name: null, packets: 0 },
  ]);
});
