/**
 * Which of `count` stacked rows (lanes, table rows) meet the band [from, to) of a scrolled view:
 * the first whose bottom is at or past `from`, and one past the last whose top is before `to`.
 * Rows are in order and do not overlap; `top(i)` and `height(i)` place row i.
 */
export function rowsInBand(count: number, top: (i: number) => number, height: (i: number) => number, from: number, to: number): [number, number] {
  const firstWhere = (past: (i: number) => boolean): number => {
    let lo = 0, hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (past(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const first = firstWhere((i) => top(i) + height(i) >= from);
  return [first, Math.max(first, firstWhere((i) => top(i) >= to))];
}
