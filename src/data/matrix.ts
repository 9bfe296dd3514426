// A row-major float32 matrix (what readCsv returns, minus the header) and the column/row
// selections the CLI and the examples need: pick feature columns, take rows by index, and
// find a column by header name or 0-based index.

import { ValueError } from '../errors.js';
import { describeValue } from '../validate.js';

/**
 * A host matrix. Every function that takes one (gramMatrix, gramTiles, SVC, nystroem,
 * KernelClassifier, Sequential's fit/evaluate/predict) needs `data` to be a Float32Array
 * (what readCsv gives, uploaded without a conversion): a plain number[] is refused with a
 * ValueError; convert it with Float32Array.from(values).
 */
export interface Matrix {
  rows: number;
  cols: number;
  /** rows × cols values, row-major. */
  data: Float32Array;
}

/** Checks that `m` is an object whose data is a Float32Array (the first half of checkMatrix). */
export function checkMatrixData(name: string, m: unknown): asserts m is Matrix {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    throw new ValueError(`${name} must be a { rows, cols, data: Float32Array } matrix, got ${describeValue(m)}`);
  }
  const data = (m as { data?: unknown }).data;
  if (!(data instanceof Float32Array)) {
    throw new ValueError(`${name} must be a { rows, cols, data: Float32Array } matrix; its data is ${describeValue(data)}`);
  }
}

/**
 * Checks that `m` is a well-formed matrix: data a Float32Array of rows × cols values, at
 * least 1×1. A wrong shape is thrown as `ShapeErr` (a ValueError unless given; Sequential's
 * fit/evaluate/predict throw ShapeError), a wrong data type as a ValueError.
 */
export function checkMatrix(name: string, m: Matrix, ShapeErr: new (message: string) => Error = ValueError): void {
  checkMatrixData(name, m);
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.data.length !== m.rows * m.cols) {
    throw new ShapeErr(`${name}: ${describeValue(m.rows)}×${describeValue(m.cols)} does not match ${m.data.length} values`);
  }
  // A 0×d matrix does hold its 0 values: "0×2 does not match 0 values" said nothing true.
  checkNotEmpty(name, m.rows, m.cols, ShapeErr);
}

/**
 * Refuses a rows × cols shape with no rows or no columns (a 0×d host matrix, or the rows [[]]
 * Sequential is given) as `ShapeErr`: "x is 1×0: it needs at least 1 row and 1 column".
 */
export function checkNotEmpty(name: string, rows: number, cols: number, ShapeErr: new (message: string) => Error): void {
  if (rows < 1 || cols < 1) throw new ShapeErr(`${name} is ${rows}×${cols}: it needs at least 1 row and 1 column`);
}

/** The given columns of `m`, in the given order (indices 0-based, repeats allowed). */
export function selectColumns(m: Matrix, columns: readonly number[]): Matrix {
  checkMatrix('selectColumns', m);
  if (columns.length === 0) throw new ValueError('selectColumns: no columns selected');
  for (const c of columns) {
    if (!Number.isInteger(c) || c < 0 || c >= m.cols) {
      throw new ValueError(`selectColumns: column ${describeValue(c)} is outside 0..${m.cols - 1}`);
    }
  }
  const cols = columns.length;
  const data = new Float32Array(m.rows * cols);
  for (let r = 0; r < m.rows; r++) {
    const src = r * m.cols;
    const dst = r * cols;
    for (let j = 0; j < cols; j++) data[dst + j] = m.data[src + columns[j]!]!;
  }
  return { rows: m.rows, cols, data };
}

/** One column of `m` as a vector. */
export function column(m: Matrix, index: number): Float32Array {
  return selectColumns(m, [index]).data;
}

/** Every column of `m` except `drop` (e.g. the features beside a label column). */
export function dropColumn(m: Matrix, drop: number): Matrix {
  if (!Number.isInteger(drop) || drop < 0 || drop >= m.cols) throw new ValueError(`dropColumn: column ${describeValue(drop)} is outside 0..${m.cols - 1}`);
  if (m.cols === 1) throw new ValueError('dropColumn: the matrix has only that one column');
  return selectColumns(m, Array.from({ length: m.cols - 1 }, (_, j) => (j < drop ? j : j + 1)));
}

/** The given rows of `m`, in the given order. */
export function takeRows(m: Matrix, rows: readonly number[]): Matrix {
  checkMatrix('takeRows', m);
  if (rows.length === 0) throw new ValueError('takeRows: no rows selected');
  const data = new Float32Array(rows.length * m.cols);
  rows.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r >= m.rows) throw new ValueError(`takeRows: row ${describeValue(r)} is outside 0..${m.rows - 1}`);
    data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  });
  return { rows: rows.length, cols: m.cols, data };
}

/** Picks the same positions out of a vector. */
export function takeValues(v: ArrayLike<number>, rows: readonly number[]): Float32Array {
  return Float32Array.from(rows, (r) => {
    if (!Number.isInteger(r) || r < 0 || r >= v.length) throw new ValueError(`takeValues: index ${describeValue(r)} is outside 0..${v.length - 1}`);
    return v[r]!;
  });
}

/**
 * The 0-based index of a column named by `spec`: a header name (exact match first, then
 * case-insensitive), or else a 0-based index. The error lists the names; a name that two
 * columns share is an error too (picking one would be a guess).
 */
export function resolveColumn(header: readonly string[] | null, cols: number, spec: string, what = 'column'): number {
  if (header) {
    const matching = (same: (h: string) => boolean) => header.flatMap((h, i) => (same(h) ? [i] : []));
    let found = matching((h) => h === spec);
    if (found.length === 0) found = matching((h) => h.toLowerCase() === spec.toLowerCase());
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new ValueError(
        `${what} ${JSON.stringify(spec)} is ambiguous: it names columns ${found.join(', ')} (0-based) of ${listNames(header)}; ` +
          'rename them or give a 0-based column index',
      );
    }
  }
  if (/^\d+$/.test(spec.trim())) {
    const i = Number(spec.trim());
    if (i < cols) return i;
    throw new ValueError(`${what} ${i} is outside the ${cols} columns (0-based indices 0..${cols - 1})`);
  }
  if (!header) {
    throw new ValueError(`${what} ${JSON.stringify(spec)} needs a header row to be found by name; give a 0-based column index instead (0..${cols - 1})`);
  }
  throw new ValueError(`no ${what} named ${JSON.stringify(spec)}; columns are ${listNames(header)}`);
}

function listNames(header: readonly string[]): string {
  const shown = header.length <= 12 ? header : [...header.slice(0, 5), '...', ...header.slice(-5)];
  return `${shown.map((h) => (h === '...' ? h : JSON.stringify(h))).join(', ')} (${header.length} in all)`;
}
