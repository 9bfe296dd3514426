// Standardisation: per-column mean and standard deviation measured on the training rows
// only, then applied to every part (train, test, new data), so that no statistic of the
// held-out data leaks into the model. A constant column (std 0) is centred, not scaled.

import { ShapeError, ValueError } from '../errors.js';
import { describeValue } from '../validate.js';
import { checkMatrix, type Matrix } from './matrix.js';

export interface Standardizer {
  /** Per-column mean of the training data. */
  mean: number[];
  /** Per-column population standard deviation (1 where it was 0). */
  std: number[];
}

/**
 * Measures per-column mean and std (population, float64 accumulation) of `x`. A std of at most
 * `relativeNoise`·|mean| (default 1e-10: a constant column's float64 rounding) counts as 0, so
 * that column is centred, not scaled.
 */
export function fitStandardizer(x: Matrix, relativeNoise = 1e-10): Standardizer {
  checkMatrix('fitStandardizer', x);
  if (typeof relativeNoise !== 'number' || !(relativeNoise >= 0 && relativeNoise < 1)) {
    throw new ValueError(`fitStandardizer: relativeNoise must be a number in [0, 1), got ${describeValue(relativeNoise)}`);
  }
  const { rows, cols, data } = x;
  const mean = new Array<number>(cols).fill(0);
  const m2 = new Array<number>(cols).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) mean[c]! += data[r * cols + c]!;
  }
  for (let c = 0; c < cols; c++) mean[c]! /= rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const d = data[r * cols + c]! - mean[c]!;
      m2[c]! += d * d;
    }
  }
  // A constant column leaves only rounding noise (relative 1e-16) in float64: treat it as 0.
  const std = m2.map((s, c) => {
    const sd = Math.sqrt(s / rows);
    return sd > relativeNoise * Math.abs(mean[c]!) && sd > 0 && Number.isFinite(sd) ? sd : 1;
  });
  return { mean, std };
}

/** (x − mean) / std, column by column; a new matrix. */
export function applyStandardizer(x: Matrix, s: Standardizer): Matrix {
  checkMatrix('applyStandardizer', x);
  if (s.mean.length !== x.cols || s.std.length !== x.cols) {
    throw new ShapeError(`standardize: the statistics are for ${s.mean.length} columns but the data has ${x.cols}`);
  }
  for (let c = 0; c < x.cols; c++) {
    if (!Number.isFinite(s.mean[c]!) || !(s.std[c]! > 0) || !Number.isFinite(s.std[c]!)) {
      throw new ValueError(`standardize: column ${c} has mean ${describeValue(s.mean[c])} and std ${describeValue(s.std[c])}; std must be finite and > 0`);
    }
  }
  const { rows, cols, data } = x;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = (data[r * cols + c]! - s.mean[c]!) / s.std[c]!;
  }
  return { rows, cols, data: out };
}

/**
 * Fits on `train` and applies to it and to each of `others`:
 * `const { train, others: [test], stats } = standardize(xTrain, xTest)`.
 */
export function standardize(train: Matrix, ...others: Matrix[]): { train: Matrix; others: Matrix[]; stats: Standardizer } {
  const stats = fitStandardizer(train);
  return { train: applyStandardizer(train, stats), others: others.map((o) => applyStandardizer(o, stats)), stats };
}
