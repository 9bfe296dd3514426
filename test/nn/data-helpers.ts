// Small seeded data sets for the model tests: Gaussian blobs (classification) and the
// four-point logic tables.

import { rng } from '../helpers/rng.js';

export interface Blobs {
  x: number[][];
  /** Class index of each row. */
  labels: number[];
  /** One-hot rows. */
  onehot: number[][];
}

/** `n` rows of `d` features around `classes` random centres (spread 1, centres ±3). */
export function blobs(seed: number, n: number, d: number, classes: number): Blobs {
  const r = rng(seed);
  const centres = Array.from({ length: classes }, () => Array.from(r.uniform(d, -3, 3)));
  const x: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const noise = r.randn(d);
    x.push(centres[c]!.map((v, j) => v + noise[j]!));
    labels.push(c);
  }
  const onehot = labels.map((c) => Array.from({ length: classes }, (_, k) => (k === c ? 1 : 0)));
  return { x, labels, onehot };
}

export const LOGIC_X = [[0, 0], [0, 1], [1, 0], [1, 1]];
export const XOR = [0, 1, 1, 0];
export const AND = [0, 0, 0, 1];
export const OR = [0, 1, 1, 1];
