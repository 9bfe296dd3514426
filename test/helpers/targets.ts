// Seeded loss targets for the tests: 0/1 values or one-hot rows ("hard"), or soft values in
// [0, 1] / probability rows; mse targets are plain uniform values.

import type { LossKind } from '../../src/types.js';
import type { Rng } from './rng.js';

/**
 * Soft softmax rows are drawn 'sparse' (about 30 % exact zeros; an all-zero row becomes
 * one-hot on column 0) or 'positive' (every entry ≥ 0.05 before normalising, as finite
 * differences want).
 */
export type SoftRows = 'sparse' | 'positive';

export function lossTargets(rng: Rng, kind: LossKind, rows: number, cols: number, soft: boolean, softRows: SoftRows = 'sparse'): Float32Array {
  if (kind === 'mse') return rng.uniform(rows * cols);
  const t = new Float32Array(rows * cols);
  if (kind === 'binaryCrossEntropy') {
    for (let i = 0; i < t.length; i++) t[i] = soft ? rng.next() : rng.next() < 0.5 ? 0 : 1;
    return t;
  }
  for (let r = 0; r < rows; r++) {
    if (!soft) {
      t[r * cols + rng.int(0, cols)] = 1;
      continue;
    }
    let z = 0;
    for (let c = 0; c < cols; c++) {
      z += t[r * cols + c] = softRows === 'positive' ? 0.05 + rng.next() : rng.next() < 0.3 ? 0 : rng.next();
    }
    if (z === 0) t[r * cols] = z = 1;
    for (let c = 0; c < cols; c++) t[r * cols + c]! /= z;
  }
  return t;
}
