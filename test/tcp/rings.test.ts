import { expect, test } from 'vitest';
import { UnackedRing, WatchRing } from '../../src/tcp/rings.ts';

/** The bounded FIFOs behind the analysis; expected values are what the test put in. */

test('UnackedRing holds at most its bound (Wireshark stops adding at 10,000), pops what an ACK covers', () => {
  const r = new UnackedRing(10000);
  for (let i = 0; i < 10000; i++) expect(r.push((1000 + i * 10) | 0, i)).toBe(true);
  expect(r.push(999999, 1)).toBe(false);
  expect(r.size).toBe(10000);
  expect(r.oldestTime()).toBe(0);
  r.popAcked(1000 + 10 * 100); // covers the first 101 segments (next sequence numbers ≤ the ACK)
  expect(r.size).toBe(9899);
  expect(r.oldestTime()).toBe(101);
  expect(r.push(5, 7)).toBe(true);
});

test('UnackedRing: a retransmission behind later data is dropped by compact(), across sequence number 0', () => {
  const r = new UnackedRing(100);
  r.push(-100, 1); // 0xffffff9c
  r.push(100, 2); // past the wrap
  r.push(-50, 3); // sent again, lower
  r.popAcked(0); // covers -100 only: the front
  expect(r.size).toBe(2);
  r.compact(0); // -50 is covered too, though behind 100
  expect(r.size).toBe(1);
  expect(r.oldestTime()).toBe(2);
});

test('WatchRing refuses past its bound and hands tokens back in order', () => {
  const w = new WatchRing(4);
  for (let i = 0; i < 4; i++) expect(w.push(i * 100, i + 0.5)).toBe(true);
  expect(w.push(1000, 9)).toBe(false);
  expect(w.frontSeq()).toBe(0);
  expect([w.shift(), w.shift()]).toEqual([0.5, 1.5]);
  expect(w.push(1000, 9)).toBe(true);
  expect(w.size).toBe(3);
});
