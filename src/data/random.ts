// Seeded pseudo-random numbers (mulberry32) for data splits and shuffles, and mixSeed, which
// derives the seed of one of several streams (fit's epochs) from a seed: the same seed gives
// the same sequence in Node and in the browser.

import { ValueError } from '../errors.js';
import { checkSeed, describeValue } from '../validate.js';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * A deterministic PRNG (mulberry32, the seed's high word mixed in): next() in [0, 1), int(n) in 0..n−1.
 * The seed is an integer with |seed| ≤ MAX_SEED (2^52), as every seeded entry point takes.
 */
export function seededRandom(seed: number): Random {
  checkSeed(seed);
  return mulberry32(seed);
}

/**
 * seededRandom for a seed the library derives from a checked one (a model's seed plus a layer
 * or epoch number, which may pass MAX_SEED a little): any safe integer. Not exported from the package.
 */
export function mulberry32(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new ValueError(`seed must be an integer, got ${describeValue(seed)}`);
  // The state has 32 bits for 2^53 seeds, so some seeds share a stream whatever the mixing. The
  // high word goes in through murmur3's finaliser (0 stays 0: seeds 0..2^32−1 keep their streams)
  // so that those that do are scattered; XORed in as it is, −(k+1) shared k's stream and
  // 2^32 + k shared k XOR 1's.
  let state = ((seed >>> 0) ^ fmix32(Math.floor(seed / 4294967296) >>> 0) ^ 0x9e3779b9) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/**
 * The seed of stream `index` of `seed` (fit's epoch e of a shuffle seed): the 32-bit words of
 * both (high ones too) folded in turn through murmur3's finaliser, a bijection of 32-bit
 * values, so a seed's indices 0..2^32−1 give distinct seeds and distinct (seed, index) pairs
 * unrelated ones. seed + index made seed s's stream e + 1 seed s + 1's stream e.
 * Any safe integers; the result is in 0..2^32−1 (mulberry32's state is 32 bits anyway).
 * Not exported from the package.
 */
export function mixSeed(seed: number, index: number): number {
  for (const [name, v] of [['seed', seed], ['index', index]] as const) {
    if (!Number.isSafeInteger(v)) throw new ValueError(`mixSeed: ${name} must be an integer, got ${describeValue(v)}`);
  }
  let h = 0x9e3779b9;
  for (const v of [seed, index]) {
    h = fmix32(h ^ (v >>> 0)); // the low word (two's complement for a negative v)
    h = fmix32(h ^ (Math.floor(v / 4294967296) >>> 0)); // the high one
  }
  return h;
}

/** murmur3's 32-bit finaliser: every input bit flips about half the output bits. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Shuffles `a` in place (Fisher–Yates) and returns it. */
export function shuffleInPlace<T>(a: T[], random: Random): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
