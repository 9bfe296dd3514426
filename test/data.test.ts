// Data utilities: seeded stratified splits, the seed mixer (against a BigInt rewrite),
// standardisation fit on train only, label handling (classification vs regression, class
// mapping), one-hot, column selection.
import { describe, expect, it } from 'vitest';
import {
  applyStandardizer, dropColumn, fitStandardizer, labelsFromColumn, oneHot, randomSplit, resolveColumn, seededRandom, selectColumns, standardize,
  stratifiedSplit, takeRows,
} from '../src/data/index.js';
import { mixSeed } from '../src/data/random.js';
import { ValueError } from '../src/errors.js';

/** 10 classes of unequal sizes (class k has 5 + 3k rows), interleaved. */
function unevenLabels(): number[] {
  const labels: number[] = [];
  for (let k = 0; k < 10; k++) for (let i = 0; i < 5 + 3 * k; i++) labels.push(k);
  // Interleave deterministically so that rows of one class are not contiguous.
  return labels.map((_, i) => labels[(i * 37) % labels.length]!);
}

describe('stratifiedSplit', () => {
  it('partitions the rows, sorted, with round(n·f) test rows', () => {
    const labels = unevenLabels();
    const n = labels.length;
    const { train, test } = stratifiedSplit(labels, { testFraction: 0.25, seed: 1 });
    expect(test.length).toBe(Math.round(n * 0.25));
    expect(train.length + test.length).toBe(n);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(test).toEqual([...test].sort((a, b) => a - b));
  });

  it('keeps each class in proportion (within one row)', () => {
    const labels = unevenLabels();
    const { test } = stratifiedSplit(labels, { testFraction: 0.3, seed: 7 });
    const f = test.length / labels.length;
    for (let k = 0; k < 10; k++) {
      const total = labels.filter((l) => l === k).length;
      const inTest = test.filter((i) => labels[i] === k).length;
      expect(Math.abs(inTest - total * f)).toBeLessThan(1);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const labels = unevenLabels();
    const a = stratifiedSplit(labels, { testFraction: 0.25, seed: 3 });
    expect(stratifiedSplit(labels, { testFraction: 0.25, seed: 3 })).toEqual(a);
    expect(stratifiedSplit(labels, { testFraction: 0.25, seed: 4 }).test).not.toEqual(a.test);
    expect(stratifiedSplit(labels, { testFraction: 0.25 })).toEqual(stratifiedSplit(labels, { testFraction: 0.25, seed: 0 }));
  });

  it('never takes a class\'s last training row while the train part has room for every class', () => {
    // 20 + 20 + 1 rows at 0.5: 21 test rows; the singleton class has the largest fractional
    // share (0.51) but must stay in train, so one of the big classes gives the extra row.
    const labels = [...Array(20).fill(0), ...Array(20).fill(1), 2];
    for (let seed = 0; seed < 5; seed++) {
      const { train, test } = stratifiedSplit(labels, { testFraction: 0.5, seed });
      expect(test.length).toBe(21);
      expect(train).toContain(40);
      for (const k of [0, 1]) expect(test.filter((i) => labels[i] === k).length).toBeGreaterThanOrEqual(10);
    }
    // 4 + 4 rows with one training row: one class cannot be kept, the split still partitions.
    const tight = stratifiedSplit([0, 0, 0, 0, 1, 1, 1, 1], { testFraction: 0.9 });
    expect(tight.train.length).toBe(1);
    expect(tight.test.length).toBe(7);
  });

  it('with all-distinct labels behaves as a random split (not the first rows)', () => {
    const labels = Array.from({ length: 100 }, (_, i) => i + 0.5);
    const { test } = stratifiedSplit(labels, { testFraction: 0.2, seed: 0 });
    expect(test.length).toBe(20);
    expect(test).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(Math.max(...test)).toBeGreaterThan(50);
  });

  it('randomSplit partitions n rows', () => {
    const { train, test } = randomSplit(10, { testFraction: 0.3, seed: 2 });
    expect(test.length).toBe(3);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(randomSplit(10, { testFraction: 0.3, seed: 2 })).toEqual({ train, test });
  });

  it('rejects bad fractions and too few rows', () => {
    for (const f of [0, 1, -0.1, 1.5, Number.NaN]) {
      expect(() => stratifiedSplit([0, 1, 0, 1], { testFraction: f })).toThrow(/testFraction must be in \(0, 1\)/);
    }
    expect(() => stratifiedSplit([1], { testFraction: 0.5 })).toThrow(/at least 2 rows/);
    expect(() => stratifiedSplit([0, 1], { testFraction: 0.5, seed: 1.5 })).toThrow(ValueError);
    // The seed range is the library's (MAX_SEED, |seed| ≤ 2^52), as for fit, sequential, nystroem and KernelClassifier.
    const range = /seed must be an integer in −2\^52\.\.2\^52, got 4503599627370497/;
    expect(() => stratifiedSplit([0, 1], { testFraction: 0.5, seed: 2 ** 52 + 1 })).toThrow(range);
    expect(() => randomSplit(4, { testFraction: 0.5, seed: 2 ** 52 + 1 })).toThrow(range);
    expect(() => seededRandom(2 ** 52 + 1)).toThrow(range);
    expect(() => seededRandom(-(2 ** 52) - 1)).toThrow(ValueError);
    expect(randomSplit(4, { testFraction: 0.5, seed: 2 ** 52 }).test).toHaveLength(2);
    expect(stratifiedSplit([0, 1, 0, 1], { testFraction: 0.5, seed: -(2 ** 52) }).test).toHaveLength(2);
    expect(seededRandom(2 ** 52).next()).toBeLessThan(1);
    // Always at least one row on each side.
    const tiny = stratifiedSplit([0, 1, 0], { testFraction: 0.01 });
    expect(tiny.test.length).toBe(1);
    expect(tiny.train.length).toBe(2);
  });
});

describe('seededRandom', () => {
  /** mulberry32 from the 64-bit two's-complement words of the seed: the low one XOR murmur3's fmix32 of the high one (BigInt arithmetic). */
  const reference = (seed: number, count: number): number[] => {
    const M = 0xffffffffn;
    const u = BigInt.asUintN(64, BigInt(seed));
    let h = u >> 32n;
    h = ((h ^ (h >> 16n)) * 0x85ebca6bn) & M;
    h = ((h ^ (h >> 13n)) * 0xc2b2ae35n) & M;
    let state = (u & M) ^ h ^ (h >> 16n) ^ 0x9e3779b9n;
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      state = (state + 0x6d2b79f5n) & M;
      let t = state;
      t = ((t ^ (t >> 15n)) * (t | 1n)) & M;
      t = (t ^ (t + (((t ^ (t >> 7n)) * (t | 61n)) & M))) & M;
      out.push(Number(t ^ (t >> 14n)) / 2 ** 32);
    }
    return out;
  };
  const draws = (seed: number, count = 4) => Array.from({ length: count }, seededRandom(seed).next);

  it('is mulberry32 of the seed\'s low word, its high word mixed in, for negative and large seeds too', () => {
    for (const seed of [0, 1, 77, 2 ** 31, 2 ** 32 - 1, -1, -2, -(2 ** 31), 2 ** 32, 2 ** 32 + 1, 2 ** 52, -(2 ** 52), 2 ** 33 + 5]) {
      expect(draws(seed, 8), String(seed)).toEqual(reference(seed, 8));
    }
  });

  it('seeds −k−1 and k, 2^32 + k and k XOR 1 draw different numbers (the high word was XORed in as it is: identical streams)', () => {
    for (let k = 0; k < 64; k++) {
      expect(draws(-k - 1), `${-k - 1} and ${k}`).not.toEqual(draws(k));
      expect(draws(2 ** 32 + k), `2^32 + ${k} and ${k ^ 1}`).not.toEqual(draws(k ^ 1));
    }
    // And splits and initial weights, which draw from it.
    expect(randomSplit(40, { testFraction: 0.5, seed: -1 }).test).not.toEqual(randomSplit(40, { testFraction: 0.5, seed: 0 }).test);
    const first = new Set<number>();
    for (let seed = -256; seed < 256; seed++) first.add(seededRandom(seed).next());
    for (let seed = 2 ** 32 - 256; seed < 2 ** 32 + 256; seed++) first.add(seededRandom(seed).next());
    expect(first.size).toBe(1024);
  });
});

describe('mixSeed', () => {
  /** murmur3's fmix32 in BigInt arithmetic (an independent rewrite of random.ts's Math.imul form). */
  const fmix = (h: bigint): bigint => {
    const M = 0xffffffffn;
    h = ((h ^ (h >> 16n)) * 0x85ebca6bn) & M;
    h = ((h ^ (h >> 13n)) * 0xc2b2ae35n) & M;
    return h ^ (h >> 16n);
  };
  /** mixSeed's definition: the 64-bit two's-complement words of seed and index, low then high, folded in turn. */
  const reference = (seed: number, index: number): number => {
    let h = 0x9e3779b9n;
    for (const v of [seed, index]) {
      const u = BigInt.asUintN(64, BigInt(v));
      h = fmix(h ^ (u & 0xffffffffn));
      h = fmix(h ^ (u >> 32n));
    }
    return Number(h);
  };

  it('folds both words of the seed and of the index, negative ones as two\'s complement', () => {
    const r = seededRandom(77);
    const values = [0, 1, -1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), 2 ** 52, -(2 ** 52), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (let i = 0; i < 20; i++) values.push(Math.floor((r.next() - 0.5) * 2 ** 53));
    for (const seed of values) for (const index of values) expect(mixSeed(seed, index), `${seed}, ${index}`).toBe(reference(seed, index));
  });

  it('128 seeds × 64 indices give 8192 distinct seeds (seed + index gave 191); high seed bits count', () => {
    const seen = new Set<number>();
    for (let seed = -64; seed < 64; seed++) for (let index = 0; index < 64; index++) seen.add(mixSeed(seed, index));
    expect(seen.size).toBe(128 * 64);
    // Seeds that differ only above bit 32 (mulberry32 alone folds 2^32 + 1 onto 0).
    expect(mixSeed(2 ** 32 + 1, 0)).not.toBe(mixSeed(0, 0));
    expect(mixSeed(2 ** 32, 0)).not.toBe(mixSeed(0, 0));
  });

  it('refuses a seed or an index that is not a safe integer, naming it', () => {
    expect(() => mixSeed(1.5, 0)).toThrow(/mixSeed: seed must be an integer, got 1\.5/);
    expect(() => mixSeed(0, 2 ** 53)).toThrow(/mixSeed: index must be an integer/);
    expect(() => mixSeed(Number.NaN, 0)).toThrow(ValueError);
  });
});

describe('standardize', () => {
  const train = { rows: 4, cols: 3, data: Float32Array.from([1, 5, 10, 2, 5, 20, 3, 5, 30, 4, 5, 40]) };
  const test = { rows: 2, cols: 3, data: Float32Array.from([2.5, 6, 25, 0, 5, 0]) };

  it('fits mean and std on train only and applies them to the others', () => {
    const { train: tr, others: [te], stats } = standardize(train, test);
    expect(stats.mean).toEqual([2.5, 5, 25]);
    const sd0 = Math.sqrt(1.25);
    expect(stats.std[0]).toBeCloseTo(sd0, 12);
    expect(stats.std[1]).toBe(1); // constant column: centred, not scaled
    expect(stats.std[2]).toBeCloseTo(10 * sd0, 12);
    // Train columns have mean 0 and std 1 (except the constant one: all 0).
    for (let c = 0; c < 3; c++) {
      const col = [0, 1, 2, 3].map((r) => tr.data[r * 3 + c]!);
      expect(col.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 6);
      const v = col.reduce((s, x) => s + x * x, 0) / 4;
      expect(v).toBeCloseTo(c === 1 ? 0 : 1, 6);
    }
    // The test rows use the train statistics, not their own.
    expect(Array.from(te!.data)).toEqual([0, 1, 0, Math.fround(-2.5 / sd0), 0, Math.fround(-25 / (10 * sd0))].map(Math.fround));
    expect(train.data[0]).toBe(1); // inputs untouched
  });

  it('relativeNoise: a std at most that fraction of |mean| counts as 0 (centred, not scaled); a bad value is refused', () => {
    // Column 0: spread 2^-20 ≈ 1e-6 around 1; column 1: spread 1 around 0.
    const x = { rows: 2, cols: 2, data: Float32Array.from([1 - 2 ** -20, -1, 1 + 2 ** -20, 1]) };
    const spread = 2 ** -20; // the float32 values are exact, so the std is exactly this
    expect(fitStandardizer(x).std).toEqual([spread, 1]);
    expect(fitStandardizer(x, 1e-5).std).toEqual([1, 1]);
    expect(fitStandardizer(x, 1e-5).mean).toEqual(fitStandardizer(x).mean);
    for (const bad of [-1, 1, Number.NaN, '0.1']) {
      expect(() => fitStandardizer(x, bad as number)).toThrow(/fitStandardizer: relativeNoise must be a number in \[0, 1\)/);
    }
  });

  it('rejects statistics of another width', () => {
    const { stats } = standardize(train);
    expect(() => applyStandardizer({ rows: 1, cols: 2, data: new Float32Array(2) }, stats)).toThrow(/statistics are for 3 columns but the data has 2/);
  });
});

describe('labels', () => {
  it('integers → classification with sorted classes mapped to 0..C−1', () => {
    const l = labelsFromColumn([5, -1, 5, 3, 3, -1]);
    expect(l.task).toBe('classification');
    if (l.task !== 'classification') return;
    expect(l.classes).toEqual([-1, 3, 5]);
    expect(Array.from(l.indices)).toEqual([2, 0, 2, 1, 1, 0]);
  });

  it('non-integers → regression; the task can be forced', () => {
    const r = labelsFromColumn([0.5, 1, 2]);
    expect(r.task).toBe('regression');
    if (r.task === 'regression') expect(Array.from(r.values)).toEqual([0.5, 1, 2]);
    expect(labelsFromColumn([1, 2, 3], { task: 'regression' }).task).toBe('regression');
    expect(() => labelsFromColumn([0.5, 1], { task: 'classification', name: 'y' })).toThrow(/y: classification needs integer class labels, but row 0 \(0-based\) is 0.5/);
  });

  it('one class, NaN and empty columns are errors', () => {
    expect(() => labelsFromColumn([2, 2, 2])).toThrow(/at least 2 classes, but every row is 2/);
    expect(() => labelsFromColumn([1, Number.NaN])).toThrow(/row 1 \(0-based\) is NaN/);
    expect(() => labelsFromColumn([0, 1, 0.5], { task: 'classification', firstLine: 2 })).toThrow(/but line 4 is 0\.5/);
    expect(() => labelsFromColumn([])).toThrow(/is empty/);
  });

  it('oneHot', () => {
    const m = oneHot([2, 0, 1], 3);
    expect([m.rows, m.cols]).toEqual([3, 3]);
    expect(Array.from(m.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(() => oneHot([0, 3], 3)).toThrow(/label 1 is 3, expected an integer in 0..2/);
    expect(() => oneHot([0.5], 3)).toThrow(ValueError);
  });
});

describe('columns and rows', () => {
  const m = { rows: 2, cols: 3, data: Float32Array.from([1, 2, 3, 4, 5, 6]) };

  it('selectColumns, dropColumn and takeRows', () => {
    expect(Array.from(selectColumns(m, [2, 0]).data)).toEqual([3, 1, 6, 4]);
    expect(Array.from(dropColumn(m, 1).data)).toEqual([1, 3, 4, 6]);
    expect(Array.from(takeRows(m, [1, 1, 0]).data)).toEqual([4, 5, 6, 4, 5, 6, 1, 2, 3]);
    expect(() => selectColumns(m, [3])).toThrow(/column 3 is outside 0..2/);
    expect(() => takeRows(m, [2])).toThrow(/row 2 is outside 0..1/);
  });

  it('resolveColumn by name (exact, then case-insensitive) or 0-based index', () => {
    const header = ['a', 'Label', 'c'];
    expect(resolveColumn(header, 3, 'Label')).toBe(1);
    expect(resolveColumn(header, 3, 'label')).toBe(1);
    expect(resolveColumn(header, 3, '2')).toBe(2);
    expect(resolveColumn(null, 3, '0')).toBe(0);
    expect(() => resolveColumn(header, 3, 'target')).toThrow(/no column named "target"; columns are "a", "Label", "c" \(3 in all\)/);
    expect(() => resolveColumn(null, 3, 'label')).toThrow(/needs a header row/);
    expect(() => resolveColumn(null, 3, '3')).toThrow(/column 3 is outside the 3 columns/);
  });

  it('resolveColumn refuses a name that two columns share (exactly or case-insensitively)', () => {
    // Taking the first "label" would train on column 1 (a feature here) without a word.
    expect(() => resolveColumn(['a', 'label', 'label'], 3, 'label', 'label column')).toThrow(/label column "label" is ambiguous: it names columns 1, 2 \(0-based\)/);
    expect(() => resolveColumn(['a', 'Label', 'LABEL'], 3, 'label')).toThrow(/"label" is ambiguous: it names columns 1, 2/);
    // An exact match still wins over case-insensitive ones, and an index still works.
    expect(resolveColumn(['label', 'Label', 'LABEL'], 3, 'label')).toBe(0);
    expect(resolveColumn(['a', 'label', 'label'], 3, '2')).toBe(2);
  });
});
