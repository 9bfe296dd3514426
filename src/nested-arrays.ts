// Plain JS arrays (number[] and number[][]) to float32 values, checking every element: a
// hole in a sparse array ([1, , 3]) or a non-number is a ValueError naming its position,
// and a row of the wrong length a ShapeError (forEach would skip holes and let them
// through as NaN or 0).

import { ShapeError, ValueError } from './errors.js';
import { describeValue } from './validate.js';

function element(name: string, v: unknown, at: string): number {
  if (typeof v !== 'number') throw new ValueError(`${name}${at} is not a number: ${describeValue(v)}${v === undefined ? ' (a missing element?)' : ''}`);
  return v;
}

/** A row of a nested matrix: a number[] or a typed array (Float32Array rows, e.g. from a parser). */
export type Row = readonly number[] | Float32Array | Float64Array | Int32Array | Uint8Array;

/** `v` can be a row of a nested matrix: an array or a typed array (not a DataView). */
export function isRow(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** The values of a number[] (or typed array) as float32. */
export function flatValues(name: string, flat: ArrayLike<unknown>): Float32Array {
  const out = new Float32Array(flat.length);
  for (let i = 0; i < flat.length; i++) out[i] = element(name, flat[i], `[${i}]`);
  return out;
}

/** The values of rows (number[] or typed arrays) with `cols` values each, row-major, as float32. */
export function rowValues(name: string, rows: readonly unknown[], cols: number): Float32Array {
  const out = new Float32Array(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!isRow(row)) throw new ShapeError(`${name} row ${r} (0-based) is ${describeValue(row)}, not a row of numbers (number[] or a typed array)`);
    if (row.length !== cols) throw new ShapeError(`${name} row ${r} (0-based) has ${row.length} values, row 0 has ${cols}`);
    for (let c = 0; c < cols; c++) out[r * cols + c] = element(name, row[c], `[${r}][${c}]`);
  }
  return out;
}
