// The test helpers themselves: expectClose must fail when it should (NaN, Inf, length,
// tolerance, norm), the RNG must be seeded and float32-exact, and the float64 reference
// must match known values — otherwise every comparison built on them proves nothing.
import { describe, expect, it } from 'vitest';
import { expectClose, expectExactAt, expectFinite, expectThrows } from './helpers/expectClose.js';
import {
  finiteDiffGrad, refActivation, refActivationGrad, refColSums, refGram, refMatmul, refSum,
} from './helpers/reference.js';
import { Rng } from './helpers/rng.js';

describe('expectClose', () => {
  it('passes within tolerance and fails outside it, naming the worst element and the count', () => {
    expect(() => expectClose([1, 2, 3], [1, 2, 3 + 1e-7], { atol: 1e-6 })).not.toThrow();
    expect(() => expectClose([1, 2.1, 3.5], [1, 2, 3], { atol: 1e-6, label: 'L' })).toThrow(
      /^L: 2 of 3 elements out of tolerance.*worst at \[2\]: actual 3\.5, expected 3/,
    );
    expect(() => expectClose([100.001], [100], { rtol: 1e-6 })).toThrow(/out of tolerance/);
    expect(() => expectClose([100.001], [100], { rtol: 1e-6, atol: 1e-2 })).not.toThrow();
    expect(() => expectClose([1 + 2e-6], [1])).toThrow(); // default rtol 1e-6
  });

  it('never passes NaN or Inf where a finite value is expected, in either mode', () => {
    expect(() => expectClose([NaN], [0], { atol: 1e9 })).toThrow(/NaN/);
    expect(() => expectClose([Infinity], [1], { rtol: 1e9 })).toThrow(/Infinity/);
    expect(() => expectClose([1, NaN], [1, 1], { relNorm: 1e9 })).toThrow(/NaN/);
    expect(() => expectClose([NaN], [NaN])).not.toThrow();
    expect(() => expectClose([-Infinity], [-Infinity])).not.toThrow();
    expect(() => expectClose([Infinity], [-Infinity])).toThrow();
  });

  it('checks lengths', () => {
    expect(() => expectClose([1, 2], [1, 2, 3], { label: 'len' })).toThrow(/len: length mismatch: actual has 2 elements, expected 3/);
  });

  it('relNorm compares ‖a − e‖/‖e‖', () => {
    const e = [3, 4]; // ‖e‖ = 5
    expect(() => expectClose([3, 4 + 4e-5], e, { relNorm: 1e-5 })).not.toThrow(); // 8e-6
    expect(() => expectClose([3, 4 + 6e-5], e, { relNorm: 1e-5 })).toThrow(/relative error norm/);
    // With atol as well, the elementwise test must hold too.
    expect(() => expectClose([3, 4 + 4e-5], e, { relNorm: 1e-5, atol: 1e-6 })).toThrow(/out of tolerance/);
  });

  it('expectFinite / expectExactAt / expectThrows', async () => {
    expect(() => expectFinite([1, 2])).not.toThrow();
    expect(() => expectFinite([1, -Infinity])).toThrow(/1 of 2 values are not finite/);
    expect(() => expectExactAt([0, 1], [0, 1], [0, 1])).not.toThrow();
    expect(() => expectExactAt([-0, 1], [0, 1], [0])).not.toThrow();
    expect(() => expectExactAt([1e-45, 1], [0, 1], [0])).toThrow(/exactly 0/);
    class MyError extends Error {}
    await expect(expectThrows(() => 1, MyError, 'nothing')).rejects.toThrow(/nothing was thrown/);
    await expect(expectThrows(() => { throw new Error('x'); }, MyError, 'wrong class')).rejects.toThrow(/expected a MyError/);
    await expect(expectThrows(() => { throw new MyError('abc'); }, MyError, 'msg', ['zzz'])).rejects.toThrow(/mention "zzz"/);
    await expect(expectThrows(async () => { throw new MyError('abc'); }, MyError, 'ok', ['b'])).resolves.toBeUndefined();
  });
});

describe('Rng', () => {
  it('is deterministic per seed, in range, and float32-exact', () => {
    const a = new Rng(7).uniform(1000, -2, 2);
    const b = new Rng(7).uniform(1000, -2, 2);
    const c = new Rng(8).uniform(1000, -2, 2);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toBeInstanceOf(Float32Array);
    for (const v of a) {
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(2);
    }
    const mean = refSum(a) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.15);
    const n = new Rng(9).randn(4000);
    const m = refSum(n) / n.length;
    const variance = refSum(n.map((v) => (v - m) ** 2)) / n.length;
    expect(Math.abs(m)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
    for (const v of new Rng(3).awayFromZero(500, 0.01, 2)) expect(Math.abs(v)).toBeGreaterThanOrEqual(Math.fround(0.01));
  });
});

describe('float64 reference', () => {
  it('refMatmul: a hand-computed product in all four layouts', () => {
    const a = [1, 2, 3, 4, 5, 6]; // [2, 3]
    const b = [7, 8, 9, 10, 11, 12]; // [3, 2]
    const c = [58, 64, 139, 154];
    expect(Array.from(refMatmul(a, b, 2, 2, 3))).toEqual(c);
    const at = [1, 4, 2, 5, 3, 6]; // Aᵀ stored [3, 2]
    const bt = [7, 9, 11, 8, 10, 12]; // Bᵀ stored [2, 3]
    expect(Array.from(refMatmul(at, b, 2, 2, 3, true, false))).toEqual(c);
    expect(Array.from(refMatmul(a, bt, 2, 2, 3, false, true))).toEqual(c);
    expect(Array.from(refMatmul(at, bt, 2, 2, 3, true, true))).toEqual(c);
  });

  it('refGram reproduces scikit-learn sigmoid_kernel and the other kernels by hand', () => {
    const k = refGram([0, 0, 0, 1, 1, 1], [1, 0, 0, 1, 1, 0], 2, 2, 3, { kernel: 'sigmoid', gamma: 1 / 3, coef0: 1, degree: 3 });
    expectClose(k, [0.76159416, 0.76159416, 0.87006166, 0.93110961], { atol: 5e-9 });
    const x = [1, 2];
    const y = [3, -1];
    const o = { gamma: 0.5, coef0: 1, degree: 2 };
    expect(refGram(x, y, 1, 1, 2, { kernel: 'linear', ...o })[0]).toBe(1);
    expect(refGram(x, y, 1, 1, 2, { kernel: 'polynomial', ...o })[0]).toBe(2.25);
    expect(refGram(x, y, 1, 1, 2, { kernel: 'rbf', ...o })[0]).toBeCloseTo(Math.exp(-0.5 * 13), 15);
    expect(refGram(x, y, 1, 1, 2, { kernel: 'logistic', ...o })[0]).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 15);
  });

  it('activations are finite and saturate at huge |x|', () => {
    const x = [3e38, -3e38, 1e4, -1e4, 0];
    expect(Array.from(refActivation('sigmoid', x))).toEqual([1, 0, 1, 0, 0.5]);
    expect(Array.from(refActivation('sigmoid', x, { alpha: 2 }))).toEqual([1, 0, 1, 0, 0.5]);
    expect(Array.from(refActivation('tanh', x))).toEqual([1, -1, 1, -1, 0]);
    expect(Array.from(refActivationGrad('sigmoid', x))).toEqual([0, 0, 0, 0, 0.25]);
    expect(Array.from(refActivation('leakyRelu', [-2, 3], { slope: 0.1 }))).toEqual([-0.2, 3]);
  });

  it('finiteDiffGrad recovers a known gradient; refColSums/refSum add up', () => {
    const g = finiteDiffGrad((v) => v[0]! ** 3 + Math.sin(v[1]!), [2, 0.5]);
    expectClose(g, [12, Math.cos(0.5)], { rtol: 1e-8 });
    expect(Array.from(refColSums([1, 2, 3, 4, 5, 6], 3, 2))).toEqual([9, 12]);
    expect(refSum([0.5, 0.25, -1])).toBe(-0.25);
  });
});
