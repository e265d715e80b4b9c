import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES } from '../support/shared.ts';
import { rowsOf } from '../../src/sessions/index.ts';
import { encodeHeaderInto } from '../../src/codec/index.ts';
import { PduTableBuilder } from '../../src/iscsi/index.ts';
import {
  assignLanes, BAND_H, buildItems, CTRL_H, findBands, GAP_H, GAP_S, ItemKind, isRoutine, layoutItems, MAX_SCROLL_PX, ROW_H,
  scrollToVirtual, virtualToScroll, visibleRange, bandSummary, TcpState, DENSE_TCP_RUN, yAtTime,
} from '../../src/ui/lib/ladder-model.ts';
import type { PduColumns } from '../../src/iscsi/index.ts';

/** Columns of n routine PDUs (READ(10) command / Data-In with status pairs) 1 ms apart, with a 2 s pause at `pauseAt`. */
function routine(n: number, pauseAt = -1): PduColumns {
  const b = new PduTableBuilder(n);
  const h = new Uint8Array(48);
  let t = 1000;
  for (let i = 0; i < n; i++) {
    if (i === pauseAt) t += 2;
    t += 0.001;
    h.fill(0);
    const itt = i >> 1;
    if (i % 2 === 0) {
      encodeHeaderInto({ opcode: 0x01, final: true, read: true, itt, lun: 0, cmdSN: itt, expStatSN: itt, expectedDataTransferLength: 4096, cdb: new Uint8Array([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]), dataSegmentLength: 0 }, h, 0);
    } else {
      encodeHeaderInto({ opcode: 0x25, final: true, statusPresent: true, status: 0, itt, ttt: 0xffffffff, statSN: itt, expCmdSN: itt + 1, maxCmdSN: itt + 64, dataSN: 0, bufferOffset: 0, dataSegmentLength: 4096 }, h, 0);
    }
    b.add(h, { time: t, fileOffset: 0, frame: i + 1, firstFrame: i + 1, conn: 0, state: 0, lun: 0 });
  }
  return b.finish().columns;
}

const ident = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('bands of routine I/O', () => {
  test('a run of routine PDUs is one band; a marked PDU and an idle gap split it', () => {
    const c = routine(100, 60);
    const rows = ident(100);
    expect(isRoutine(c, 0)).toBe(true);
    const plain = findBands(c, rows, undefined, 16);
    expect([...plain.start]).toEqual([0, 60]);
    expect([...plain.end]).toEqual([60, 100]);
    const marked = new Uint8Array(100);
    marked[30] = 1;
    const split = findBands(c, rows, marked, 16);
    expect([...split.start]).toEqual([0, 31, 60]);
    expect([...split.end]).toEqual([30, 60, 100]);
    // runs shorter than minRun stay PDUs
    expect(findBands(c, rows, undefined, 61).count).toBe(0);
  });

  test('a CHECK CONDITION response is not routine', () => {
    const c = routine(4);
    c.b0[3] = 0x21;
    c.b3[3] = 0x02;
    expect(isRoutine(c, 3)).toBe(false);
    c.b3[3] = 0;
    expect(isRoutine(c, 3)).toBe(true);
  });

  test('the band summary counts its PDUs, time, commands and bytes', () => {
    const c = routine(40);
    const b = findBands(c, ident(40), undefined, 16);
    const s = bandSummary(c, ident(40), b, 0);
    expect(s.pdus).toBe(40);
    expect(s.commands.get(0x28)).toBe(20);
    expect(s.bytes).toBe(20 * 4096);
    expect(s.seconds).toBeCloseTo(0.039, 6);
  });
});

describe('TCP marks among the PDUs', () => {
  /** Marks at the frames given (1-based PDU frames of `routine`), each 0.1 ms after that PDU. */
  const marks = (c: PduColumns, frames: number[], state: number = TcpState.Fixed) => ({
    count: frames.length,
    frame: Uint32Array.from(frames),
    time: Float64Array.from(frames, (f) => c.time[f - 1] + 0.0001),
    state: new Uint8Array(frames.length).fill(state),
  });

  test('a notable mark keeps its row and splits a band; a routine one folds into it', () => {
    const c = routine(100);
    const rows = ident(100);
    // sits before the PDU of its frame: frame 41 is PDU position 40
    const one = findBands(c, rows, undefined, 16, GAP_S, marks(c, [41]));
    expect([...one.start]).toEqual([0, 41]);
    expect([...one.end]).toEqual([40, 101]);
    expect(one.seq[40]).toBe(~0);
    const items = buildItems(c, rows, [], one, () => true);
    expect([...items.kind]).toEqual([ItemKind.Band, ItemKind.Tcp, ItemKind.Band]);
    expect(items.tcpToItem[0]).toBe(1);
    const routineMark = findBands(c, rows, undefined, 16, GAP_S, marks(c, [41], TcpState.Foldable));
    expect(routineMark.count).toBe(1);
    const folded = buildItems(c, rows, [], routineMark, () => true);
    expect(folded.count).toBe(1);
    expect(folded.tcpToItem[0]).toBe(0);
    expect(bandSummary(c, rows, routineMark, 0)).toMatchObject({ pdus: 100, tcp: [0] });
    // hidden marks are not in the sequence at all
    expect(findBands(c, rows, undefined, 16, GAP_S, marks(c, [41], TcpState.Hidden)).seq.length).toBe(100);
  });

  test('a dense run of notable marks (only routine I/O between them) folds into a band; a shorter one does not', () => {
    const c = routine(200);
    const rows = ident(200);
    const dense = Array.from({ length: DENSE_TCP_RUN }, (_, i) => 51 + 2 * i);
    const run = findBands(c, rows, undefined, 16, GAP_S, marks(c, dense));
    expect(run.count).toBe(1);
    const items = buildItems(c, rows, [], run, () => true);
    expect(items.count).toBe(1);
    const sparse = findBands(c, rows, undefined, 16, GAP_S, marks(c, dense.slice(1)));
    const open = buildItems(c, rows, [], sparse, () => true);
    let tcpItems = 0;
    for (let i = 0; i < open.count; i++) if (open.kind[i] === ItemKind.Tcp) tcpItems++;
    expect(tcpItems).toBe(DENSE_TCP_RUN - 1);
  });

  test('yAtTime: a moment between two items is placed in proportion to the idle time', () => {
    const c = routine(10, 5);
    const rows = ident(10);
    const none = findBands(c, rows, undefined, 99);
    const items = buildItems(c, rows, [], none, () => false);
    const lay = layoutItems(c, rows, [], none, items, 'time', 100);
    const mid = (c.time[4] + c.time[5]) / 2;
    const y0 = lay.top[4] + ROW_H;
    expect(yAtTime(lay, items, mid)).toBeCloseTo((y0 + lay.top[5]) / 2, 6);
    expect(yAtTime(lay, items, c.time[0] - 1)).toBe(0);
    expect(yAtTime(lay, items, c.time[9] + 1)).toBe(lay.top[10]);
  });
});

describe('items and layout', () => {
  const control = [
    { kind: 'SYN' as const, by: 'initiator' as const, frame: 1, time: 1000 },
    { kind: 'FIN' as const, by: 'initiator' as const, frame: 100, time: 1003 },
  ];

  test('collapsed bands replace their PDUs; control events sit by frame', () => {
    const c = routine(100, 60);
    const rows = ident(100);
    const bands = findBands(c, rows, undefined, 16);
    const open = buildItems(c, rows, control, bands, () => false);
    expect(open.count).toBe(102);
    expect(open.kind[0]).toBe(ItemKind.Control); // SYN before the PDU of frame 1
    expect(open.kind[101]).toBe(ItemKind.Control); // FIN after the PDU of frame 100
    const shut = buildItems(c, rows, control, bands, () => true);
    expect(shut.count).toBe(4);
    expect([...shut.kind]).toEqual([ItemKind.Control, ItemKind.Band, ItemKind.Band, ItemKind.Control]);
    expect(shut.posToItem[59]).toBe(1);
    expect(shut.posToItem[60]).toBe(2);
    expect(shut.ctlToItem[1]).toBe(3);
  });

  test('compact: a row per item plus a marker per idle gap', () => {
    const c = routine(10, 5);
    const rows = ident(10);
    const items = buildItems(c, rows, [], findBands(c, rows, undefined, 99), () => false);
    const lay = layoutItems(c, rows, [], findBands(c, rows, undefined, 99), items, 'compact', 100);
    expect(lay.top[1]).toBe(ROW_H);
    expect(lay.top[4]).toBe(4 * ROW_H);
    expect(lay.top[5]).toBe(5 * ROW_H + GAP_H);
    expect(lay.top[6]).toBe(6 * ROW_H + GAP_H);
    expect(lay.gapBefore[5]).toBeGreaterThanOrEqual(GAP_S);
    expect(lay.top[10]).toBe(10 * ROW_H + GAP_H);
  });

  test('true time: idle time to scale, bursts at least a row apart', () => {
    const c = routine(10, 5);
    const rows = ident(10);
    const none = findBands(c, rows, undefined, 99);
    const items = buildItems(c, rows, [], none, () => false);
    const lay = layoutItems(c, rows, [], none, items, 'time', 100);
    expect(lay.top[1] - lay.top[0]).toBe(ROW_H); // 1 ms × 100 px/s < a row
    expect(lay.top[5] - lay.top[4]).toBeCloseTo(2.001 * 100, 6); // the 2 s pause, to scale
    for (let i = 1; i < 10; i++) expect(lay.top[i] - lay.top[i - 1]).toBeGreaterThanOrEqual(ROW_H);
    const both = [BAND_H, CTRL_H];
    expect(both.every((h) => h > 0)).toBe(true);
  });
});

describe('the virtual window', () => {
  test('visibleRange finds exactly the items intersecting the viewport', () => {
    const top = Float64Array.from({ length: 11 }, (_, i) => i * 10);
    expect(visibleRange(top, 10, 0, 10)).toEqual([0, 1]);
    expect(visibleRange(top, 10, 5, 25)).toEqual([0, 3]);
    expect(visibleRange(top, 10, 95, 500)).toEqual([9, 10]);
    expect(visibleRange(top, 10, 200, 300)).toEqual([10, 10]);
    expect(visibleRange(top, 0, 0, 100)).toEqual([0, 0]);
  });

  test('a million-PDU connection: layout in typed arrays, window by binary search, scaled scrolling', () => {
    const n = 1_000_000;
    const c = routine(n);
    const rows = ident(n);
    const none = findBands(c, rows, undefined, n + 1);
    expect(none.count).toBe(0);
    const items = buildItems(c, rows, [], none, () => false);
    const lay = layoutItems(c, rows, [], none, items, 'compact', 100);
    expect(items.count).toBe(n);
    const total = lay.top[n];
    expect(total).toBe(n * ROW_H);
    expect(total).toBeGreaterThan(MAX_SCROLL_PX);
    const vh = 800;
    // the scroll bar's range stands for the whole virtual height
    expect(scrollToVirtual(MAX_SCROLL_PX - vh, total, vh)).toBeCloseTo(total - vh, 3);
    expect(virtualToScroll(scrollToVirtual(1234567, total, vh), total, vh)).toBeCloseTo(1234567, 3);
    const y = scrollToVirtual(MAX_SCROLL_PX / 2, total, vh);
    const [a, b] = visibleRange(lay.top, n, y, y + vh);
    expect(b - a).toBeLessThanOrEqual(Math.ceil(vh / ROW_H) + 1);
  });

  test('brackets that overlap get different lanes', () => {
    expect([...assignLanes([[0, 10], [2, 3], [5, 12], [11, 20], [21, 22]])]).toEqual([0, 1, 1, 0, 0]);
  });
});

describe('on a real capture', () => {
  test('every PDU of every connection is drawn once', () => {
    const { analysis } = analyzeFile(join(CAPTURES, 'basic-io.pcap'));
    for (const conn of analysis.connections) {
      const rows = rowsOf(analysis.model.rows, conn.conn);
      const bands = findBands(analysis.pdus, rows, undefined);
      const items = buildItems(analysis.pdus, rows, conn.control, bands, () => true);
      let covered = 0;
      for (let i = 0; i < items.count; i++) {
        if (items.kind[i] === ItemKind.Pdu) covered++;
        else if (items.kind[i] === ItemKind.Band) covered += bands.end[items.ref[i]] - bands.start[items.ref[i]];
      }
      expect(covered).toBe(rows.length);
    }
  });
});
