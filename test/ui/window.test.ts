import { expect, test } from 'vitest';
import { rowsInBand } from '../../src/ui/lib/window.ts';

test('rowsInBand: the rows a band of the view meets', () => {
  // Rows of 10 px: row i spans [10 i, 10 i + 10).
  const even = (from: number, to: number) => rowsInBand(100, (i) => i * 10, () => 10, from, to);
  expect(even(0, 25)).toEqual([0, 3]);
  expect(even(35, 36)).toEqual([3, 4]);
  expect(even(-50, 5)).toEqual([0, 1]);
  expect(even(995, 2000)).toEqual([99, 100]);
  expect(even(2000, 3000)).toEqual([100, 100]);
  // Lanes of unequal height: 0 [0,10) 1 [10,40) 2 [40,45) 3 [45,100).
  const tops = [0, 10, 40, 45], heights = [10, 30, 5, 55];
  expect(rowsInBand(4, (i) => tops[i], (i) => heights[i], 20, 44)).toEqual([1, 3]);
  expect(rowsInBand(4, (i) => tops[i], (i) => heights[i], 41, 42)).toEqual([2, 3]);
  expect(rowsInBand(0, () => 0, () => 0, 0, 100)).toEqual([0, 0]);
});
