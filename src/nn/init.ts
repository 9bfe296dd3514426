// Initial parameters, made on the HOST with a seeded PRNG so that every backend starts
// from bit-identical weights: glorot uniform U(±√(6/(in+out))), he normal N(0, 2/in)
// (Box–Muller), biases 0. Also the seeded epoch permutation used by fit().

import { mulberry32 } from '../data/random.js';
import type { InitKind } from './types.js';

/**
 * The default seed of layer `index` of a model seeded `seed`: the seed itself for layer 0,
 * then steps of 2654435761 (2³²/φ). A step of 1 made models a few seeds apart share layers
 * (seed 0's layer 2 was seed 2's layer 0), so runs repeated over seeds 0, 1, 2, … were not
 * independent. Stays a safe integer for |seed| ≤ MAX_SEED and up to 10⁶ layers.
 */
export function layerSeed(seed: number, index: number): number {
  return seed + index * 2654435761;
}

/** Initial weights W [inputs, units], row-major. */
export function initWeights(init: InitKind, inputs: number, units: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const w = new Float32Array(inputs * units);
  if (init === 'glorot') {
    const limit = Math.sqrt(6 / (inputs + units));
    for (let i = 0; i < w.length; i++) w[i] = (2 * random.next() - 1) * limit;
  } else {
    const std = Math.sqrt(2 / inputs);
    for (let i = 0; i < w.length; i++) {
      const u = 1 - random.next(); // (0, 1]: log(u) is finite
      const v = random.next();
      w[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
  }
  return w;
}

/**
 * A seeded permutation of `count` row numbers (Fisher–Yates), as float32 for gatherRows
 * (exact below 2²⁴ rows). shuffle = false: 0..count−1 in order.
 */
export function rowPermutation(count: number, seed: number, shuffle: boolean): Float32Array {
  const p = new Float32Array(count);
  for (let i = 0; i < count; i++) p[i] = i;
  if (!shuffle) return p;
  const random = mulberry32(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
