/** Typed-array columns that grow by doubling while a table is filled, trimmed at the end. */
type Column = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float64Array;

export function grown<T extends Column>(col: T, needed: number): T {
  if (needed <= col.length) return col;
  let n = Math.max(16, col.length * 2);
  while (n < needed) n *= 2;
  const next = new (col.constructor as new (n: number) => T)(n);
  next.set(col);
  return next;
}
