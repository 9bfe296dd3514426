// Inputs and targets for fit/evaluate/predict: turns tensors, nested rows, host matrices
// and label vectors into host float32 matrices, validates them (shapes, NaN/±Inf naming
// the row and column, class labels and {0,1}/probability targets in range) BEFORE anything
// is uploaded or trained, then uploads each matrix once (a tensor of the right shape is
// used in place, not copied).

import { checkMatrix, checkNotEmpty } from '../data/matrix.js';
import type { Engine } from '../engine.js';
import { LimitError, ShapeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { LossKind } from '../types.js';
import { flatValues, isRow, rowValues } from '../nested-arrays.js';
import { describeValue, fmtShape, optionalBoolean } from '../validate.js';
import type { HostMatrix, Inputs, Targets } from './types.js';

/** A validated matrix: host values, plus the caller's tensor when it can be used as is. */
export interface Prepared {
  rows: number;
  cols: number;
  data: Float32Array;
  tensor: Tensor | null;
}

function isHostMatrix(v: unknown): v is HostMatrix {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && 'data' in v && 'rows' in v && 'cols' in v;
}

/** The shape of an input without reading it (for predict's width check). */
export function inputShape(name: string, x: Inputs): [number, number] {
  if (x instanceof Tensor) {
    if (x.shape.length !== 2) throw new ShapeError(`${name} must be a matrix [rows, features], got a tensor of shape ${fmtShape(x.shape)}`);
    return [x.shape[0], x.shape[1]];
  }
  if (isHostMatrix(x)) {
    checkMatrix(name, x, ShapeError);
    return [x.rows, x.cols];
  }
  if (Array.isArray(x)) {
    if (x.length === 0) throw new ShapeError(`${name} has no rows`);
    if (!isRow(x[0])) throw new ShapeError(`${name} must be rows of numbers (number[][]), got a flat array`);
    // [[], [1, 2]] is ragged, not 2×0: rowValues names its row (it reads no values when every row is empty).
    if (x[0].length === 0) rowValues(name, x, 0);
    checkNotEmpty(name, x.length, x[0].length, ShapeError); // [[]]: not "x has 0 columns but the model takes 3 inputs"
    return [x.length, x[0].length];
  }
  throw new ValueError(`${name} must be a Tensor, a { rows, cols, data } matrix or number[][], got ${describeValue(x)}`);
}

/** Host float32 values of a matrix input (a tensor is read back once). */
export async function toHostMatrix(name: string, x: Inputs): Promise<Prepared> {
  const [rows, cols] = inputShape(name, x);
  if (x instanceof Tensor) return { rows, cols, data: await x.read(), tensor: x };
  if (isHostMatrix(x)) return { rows, cols, data: x.data, tensor: null };
  return { rows, cols, data: rowValues(name, x as readonly unknown[], cols), tensor: null };
}

/** Throws a ValueError naming the first NaN/±Inf (or float32 overflow) by row and column. */
export function checkFiniteMatrix(name: string, m: Prepared): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const what = Number.isNaN(data[i]!) ? 'NaN' : `${data[i]} (not finite, or too large for float32)`;
      throw new ValueError(`${name} row ${Math.floor(i / cols)}, column ${i % cols} (0-based) is ${what}; the data must be finite numbers`);
    }
  }
}

/**
 * Targets as an [N, outputs] matrix, validated for the loss: a label vector is turned into
 * one-hot rows (softmaxCrossEntropy) or a column (one output).
 */
export async function toHostTargets(
  name: string, y: Targets, rows: number, outputs: number, loss: LossKind, allowNonFinite = false,
): Promise<Prepared> {
  let t: Prepared;
  const isVector = (Array.isArray(y) && !isRow(y[0])) || ArrayBuffer.isView(y) || (y instanceof Tensor && y.shape.length === 1);
  if (isVector) {
    const values = y instanceof Tensor ? await y.read() : (y as ArrayLike<number>);
    if (values.length !== rows) {
      throw new ShapeError(`${name} has ${values.length} values but x has ${rows} rows; they must have the same number of rows`);
    }
    if (loss === 'softmaxCrossEntropy') {
      const data = new Float32Array(rows * outputs);
      for (let r = 0; r < rows; r++) {
        const v = values[r]!;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= outputs) {
          throw new ValueError(
            `${name} row ${r} (0-based) is ${describeValue(v)}: class labels must be integers in 0..${outputs - 1} (the model has ${outputs} outputs)`,
          );
        }
        data[r * outputs + v] = 1;
      }
      return { rows, cols: outputs, data, tensor: null };
    }
    if (outputs !== 1) {
      throw new ShapeError(
        `${name} is a vector (one value per row) but the model has ${outputs} outputs; give a [${rows}, ${outputs}] matrix of targets`,
      );
    }
    t = { rows, cols: 1, data: flatValues(name, values), tensor: null };
  } else {
    t = await toHostMatrix(name, y as Inputs);
    if (t.rows !== rows) throw new ShapeError(`${name} has ${t.rows} rows but x has ${rows} rows; they must have the same number of rows`);
    if (t.cols !== outputs) {
      const hint = t.cols === 1 && loss === 'softmaxCrossEntropy' ? ' (for class indices, pass one number per row: a flat number[] or Int32Array)' : '';
      throw new ShapeError(`${name} has ${t.cols} columns but the model has ${outputs} outputs; targets must be [${rows}, ${outputs}]${hint}`);
    }
  }
  if (!allowNonFinite) checkFiniteMatrix(name, t);
  if (loss === 'binaryCrossEntropy') {
    const i = t.data.findIndex((v) => v < 0 || v > 1);
    if (i >= 0) {
      throw new ValueError(
        `${name} row ${Math.floor(i / t.cols)}, column ${i % t.cols} (0-based) is ${t.data[i]}: binaryCrossEntropy targets must be in [0, 1] (0/1 labels)`,
      );
    }
  } else if (loss === 'softmaxCrossEntropy') {
    for (let r = 0; r < t.rows; r++) {
      let sum = 0;
      for (let c = 0; c < t.cols; c++) {
        const v = t.data[r * t.cols + c]!;
        if (v < 0 || v > 1) {
          throw new ValueError(
            `${name} row ${r}, column ${c} (0-based) is ${v}: softmaxCrossEntropy targets must be one-hot (or probability) rows with values in [0, 1]`,
          );
        }
        sum += v;
      }
      if (Math.abs(sum - 1) > 1e-3) {
        throw new ValueError(
          `${name} row ${r} (0-based) sums to ${sum}: softmaxCrossEntropy targets must be one-hot (or probability) rows summing to 1; ` +
            `pass class indices as a number[] to have them one-hot encoded`,
        );
      }
    }
  }
  return t;
}

/** `allowNonFinite` of fit/evaluate/predict options: absent (false) or a boolean. */
export function allowNonFiniteOption(o: { allowNonFinite?: unknown }): boolean {
  return optionalBoolean('allowNonFinite', o.allowNonFinite, false);
}

/**
 * Rows of a matrix too big for one device buffer (over maxStorageBufferBindingSize, e.g.
 * 60,000 × 784 floats against lavapipe's 128 MiB), kept on the host: each batch is gathered
 * here and uploaded on its own (a batch-sized write per step instead of one upload per call).
 */
export class HostRows {
  constructor(
    readonly data: Float32Array,
    readonly rows: number,
    readonly cols: number,
  ) {}

  /** Rows order[start], …, order[start + count − 1] as a new [count, cols] tensor. */
  take(engine: Engine, order: ArrayLike<number>, start: number, count: number): Tensor {
    const c = this.cols;
    const out = new Float32Array(count * c);
    for (let i = 0; i < count; i++) {
      const r = order[start + i]!;
      out.set(this.data.subarray(r * c, (r + 1) * c), i * c);
    }
    return engine.tensor(out, [count, c]);
  }
}

/** A matrix the loops read batches from: on the device (one upload), or on the host when too big for one buffer. */
export type RowSource = Tensor | HostRows;

/** Test-only: a smaller "largest device tensor" than the device's, so the host path runs on small data. */
export const rowSourceTestHooks: { maxDeviceBytes: number | null } = { maxDeviceBytes: null };

/** The most bytes one device tensor may hold on `engine`. */
export function maxTensorBytes(engine: Engine): number {
  const l = engine.limits;
  return rowSourceTestHooks.maxDeviceBytes ?? Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize);
}

/** How many rows of `width` floats one device tensor may hold (at least 1). */
export function rowsPerTensor(engine: Engine, width: number): number {
  return Math.max(1, Math.floor(maxTensorBytes(engine) / (4 * width)));
}

/**
 * The prepared matrix as a row source: the caller's own tensor when given (unless `fresh`:
 * after a device loss it is dead), one upload when it fits in a device tensor, else its rows
 * on the host. `owned`: a tensor made here, for the caller to dispose.
 */
export function rowSource(engine: Engine, m: Prepared, fresh = false): { rows: RowSource; owned: Tensor | null } {
  if (!fresh && m.tensor !== null && m.tensor.shape.length === 2) return { rows: m.tensor, owned: null };
  if (m.rows * m.cols * 4 > maxTensorBytes(engine)) return { rows: new HostRows(m.data, m.rows, m.cols), owned: null };
  const t = engine.tensor(m.data, [m.rows, m.cols]);
  return { rows: t, owned: t };
}

/** Row indices travel as float32 (exact up to 2²⁴): more rows would gather the wrong ones. */
export const MAX_ROWS = 2 ** 24;

/** Refuses more than MAX_ROWS rows with a LimitError naming `what`. */
export function checkRowCount(what: string, rows: number): void {
  if (rows > MAX_ROWS) throw new LimitError(`${what} has ${rows} rows, over the ${MAX_ROWS} (2^24) rows one call can index (row indices are float32); split it`);
}

/** Rows order[start..start+count) of `src` as a new tensor: a device gather (perm: `order` on the device) or a host gather. */
export function takeRows(engine: Engine, src: RowSource, perm: Tensor, order: ArrayLike<number>, start: number, count: number): Tensor {
  return src instanceof HostRows ? src.take(engine, order, start, count) : engine.gatherRows(src, perm, start, count);
}
