// Train/test splits by row index, seeded and deterministic. stratifiedSplit keeps each
// class's share in both parts (the test part gets round(n·f) rows in all, divided among
// the classes in proportion, the remainders going to the classes with the largest
// fractional shares, ties broken by the seed, but never taking a class's last training row
// while the train part has a row for every class); randomSplit ignores labels.

import { ValueError } from '../errors.js';
import { describeValue, optionKeys, optionsObject } from '../validate.js';
import { seededRandom, shuffleInPlace } from './random.js';

export interface SplitOptions {
  /** Share of rows in the test part, in (0, 1). */
  testFraction: number;
  /** Seed of the shuffle: an integer with |seed| ≤ MAX_SEED (2^52); default 0. */
  seed?: number;
}

export interface Split {
  /** Row indices of the training part, ascending. */
  train: number[];
  /** Row indices of the test part, ascending. */
  test: number[];
}

const SPLIT_KEYS = optionKeys<SplitOptions>()('testFraction', 'seed');

/** The test part's size; the seed is checked by seededRandom, which each split calls right after this. */
function checkSplit(what: string, n: number, options: SplitOptions): { nTest: number; seed: number } {
  const o = optionsObject(what, options, SPLIT_KEYS, '{ testFraction: 0.25 }');
  const f = o.testFraction;
  if (typeof f !== 'number' || !(f > 0 && f < 1)) throw new ValueError(`testFraction must be in (0, 1), got ${describeValue(f)}`);
  if (n < 2) throw new ValueError(`a split needs at least 2 rows, got ${n}`);
  return { nTest: Math.min(n - 1, Math.max(1, Math.round(n * f))), seed: o.seed ?? 0 };
}

/** Split rows 0..n−1 at random, without regard to labels. */
export function randomSplit(n: number, o: SplitOptions): Split {
  if (!Number.isInteger(n)) throw new ValueError(`randomSplit: n must be an integer, got ${describeValue(n)}`);
  const { nTest, seed } = checkSplit('randomSplit', n, o);
  const random = seededRandom(seed); // before the rows are listed: a bad seed is reported whatever n
  const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), random);
  return { train: order.slice(nTest).sort(ascending), test: order.slice(0, nTest).sort(ascending) };
}

/**
 * Split row indices so that every class (distinct label value) is represented in the
 * train and test parts in proportion to its size.
 */
export function stratifiedSplit(labels: ArrayLike<number>, o: SplitOptions): Split {
  const n = labels.length;
  const { nTest, seed } = checkSplit('stratifiedSplit', n, o);
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new ValueError(`stratifiedSplit: label ${i} is ${describeValue(v)}`);
    const rows = byClass.get(v);
    if (rows) rows.push(i);
    else byClass.set(v, [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const f = nTest / n;
  // Floor of each class's share, then the leftover rows by largest fractional part.
  const take = classes.map((c) => Math.floor(byClass.get(c)!.length * f));
  const tiebreak = shuffleInPlace(classes.map((_, k) => k), random);
  const rank = new Array<number>(classes.length);
  tiebreak.forEach((k, r) => (rank[k] = r));
  const order = classes
    .map((c, k) => ({ k, frac: byClass.get(c)!.length * f - take[k]! }))
    .sort((a, b) => b.frac - a.frac || rank[a.k]! - rank[b.k]!);
  let left = nTest - take.reduce((s, t) => s + t, 0);
  // First pass: no class gives up its last training row (a class the model never sees
  // cannot be learnt); the second only runs when the train part has fewer rows than classes.
  for (const keep of [1, 0]) {
    for (const { k } of order) {
      if (left === 0) break;
      if (take[k]! < byClass.get(classes[k]!)!.length - keep) {
        take[k]!++;
        left--;
      }
    }
  }
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((c, k) => {
    const rows = shuffleInPlace(byClass.get(c)!.slice(), random);
    test.push(...rows.slice(0, take[k]));
    train.push(...rows.slice(take[k]));
  });
  return { train: train.sort(ascending), test: test.sort(ascending) };
}

function ascending(a: number, b: number): number {
  return a - b;
}
