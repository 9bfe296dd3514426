// SVC (src/kernels/svc): (a) a separable toy set whose maximum-margin hyperplane is known
// analytically; (b) the GPU (engine.gram rows) run against the float64 run of the same
// solver on the standardized digits split; (c) agreement with scikit-learn's SVC
// (test/fixtures/sklearn-svc-digits.json, made by scripts/sklearn_svc_reference.py on OUR
// split); (d) bad parameters and data, refused before any work; max iterations; the row
// cache under a tiny budget. WebGPU cases are never skipped: without an adapter they fail.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConvergenceError, createEngine, DisposedError, type Engine, EngineRowProvider, type KernelRowProvider, type Matrix, ShapeError, solveBinary, SVC, type SVCOptions, ValueError,
} from '../src/index.js';
import { column, dropColumn, takeRows } from '../src/data/matrix.js';
import { stratifiedSplit } from '../src/data/split.js';
import { standardize } from '../src/data/standardize.js';
import { readCsv } from '../src/io/csv.js';
import { expectClose, expectThrows } from './helpers/expectClose.js';
import { expectYields } from './helpers/yields.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test/fixtures');

function matrix(rows: readonly (readonly number[])[]): Matrix {
  return { rows: rows.length, cols: rows[0]!.length, data: Float32Array.from(rows.flat()) };
}

function agreement(a: readonly number[], b: readonly number[]): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

function accuracy(pred: readonly number[], y: readonly number[]): number {
  return agreement(pred, y);
}

// ---- the digits split, standardized with the training statistics ----
const csv = readCsv(readFileSync(join(ROOT, 'data/digits.csv'), 'utf8'), { source: 'digits.csv' });
const labelCol = csv.header!.indexOf('label');
const yAll = column(csv, labelCol);
const split = stratifiedSplit(yAll, { testFraction: 0.25, seed: 0 });
const { train: xTrain, others: [xTest] } = standardize(takeRows(dropColumn(csv, labelCol), split.train), takeRows(dropColumn(csv, labelCol), split.test));
const yTrain = split.train.map((i) => yAll[i]!);
const yTest = split.test.map((i) => yAll[i]!);

if (process.env.SVC_WRITE_SPLIT === '1') {
  writeFileSync(join(FIXTURES, 'digits-split-seed0.json'), `${JSON.stringify({ testFraction: 0.25, seed: 0, train: split.train, test: split.test })}\n`);
}

interface SkModel {
  params: { kernel: string; C: number; gamma: number | 'scale'; coef0: number };
  gamma: number;
  train_accuracy: number;
  test_accuracy: number;
  n_support: number[];
  support: number[];
  intercept: number[];
  test_predictions: number[];
}
const sk = JSON.parse(readFileSync(join(FIXTURES, 'sklearn-svc-digits.json'), 'utf8')) as {
  split: { train: number[]; test: number[]; seed: number; testFraction: number };
  rbf: SkModel;
  sigmoid: SkModel;
};

const skOptions = (m: SkModel): SVCOptions => ({
  kernel: m.params.kernel as 'rbf' | 'sigmoid', C: m.params.C, gamma: m.params.gamma, coef0: m.params.coef0, tol: 1e-3,
});

let gpu: Engine;
let cpu: Engine;
beforeAll(async () => {
  cpu = await createEngine({ backend: 'cpu', log: null });
  try {
    gpu = await createEngine({ backend: 'webgpu', log: null });
  } catch (err) {
    throw new Error(`createEngine({ backend: 'webgpu' }) failed: ${err instanceof Error ? err.message : String(err)}`);
  }
});
afterAll(() => {
  gpu?.destroy();
  cpu?.destroy();
});

// ---- (a) a separable toy set ----
// Class 1 (positive side): (1.5, 0), (1.5, 2) on the margin x₁ = 1.5, the rest beyond it;
// class 0: (−0.5, 1) on the margin x₁ = −0.5, the rest beyond. The maximum-margin separator
// is x₁ = 0.5: w = (1, 0), b = −0.5, margin 2/‖w‖ = 2, and the dual is unique: α = 0.25,
// 0.25 for the two positive support vectors and 0.5 for the negative one.
const TOY_X = matrix([
  [1.5, 0], [1.5, 2], [3, 1], [2.5, -1], [4, 3], [2, 4],
  [-0.5, 1], [-2, 0], [-1.5, 3], [-3, -1], [-1, -2], [-2.5, 2.5],
]);
const TOY_Y = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0];

describe('SVC on a separable toy set (linear kernel, hard margin)', () => {
  for (const provider of ['float64', 'engine-cpu', 'engine-webgpu'] as const) {
    it(`${provider}: w = (1, 0), b = −0.5, margin 2, the three expected support vectors`, async () => {
      const engine = provider === 'engine-cpu' ? cpu : provider === 'engine-webgpu' ? gpu : null;
      const svc = new SVC({ kernel: 'linear', C: 1e6, tol: 1e-5, provider: provider === 'float64' ? 'float64' : 'engine' });
      await svc.fit(engine, TOY_X, TOY_Y);
      expect(svc.classes).toEqual([0, 1]);
      expect(Array.from(svc.supportIndices)).toEqual([6, 0, 1]); // grouped by class: class 0 first
      expect(svc.nSupport).toEqual([1, 2]);
      const coef = svc.dualCoef;
      expect([coef.rows, coef.cols]).toEqual([1, 3]);
      expectClose(coef.data, [-0.5, 0.25, 0.25], { atol: 1e-3, label: 'dual coefficients αᵢyᵢ' });
      const sv = svc.supportVectors;
      const w = [0, 0];
      for (let s = 0; s < sv.rows; s++) for (let c = 0; c < 2; c++) w[c]! += coef.data[s]! * sv.data[s * 2 + c]!;
      const b = svc.intercept[0]!;
      expectClose(w, [1, 0], { atol: 1e-3, label: 'w' });
      expectClose([b], [-0.5], { atol: 1e-3, label: 'b' });
      expectClose([2 / Math.hypot(w[0]!, w[1]!)], [2], { atol: 1e-3, label: 'margin 2/‖w‖' });
      const dec = await svc.decisionFunction(TOY_X);
      expect([dec.rows, dec.cols]).toEqual([12, 1]);
      // On the margin: ±1; beyond it: |f| > 1; positive means classes[1].
      expectClose([dec.data[0]!, dec.data[1]!, dec.data[6]!], [1, 1, -1], { atol: 1e-3, label: 'decision values on the margin' });
      for (let i = 0; i < 12; i++) expect(Math.sign(dec.data[i]!)).toBe(TOY_Y[i] === 1 ? 1 : -1);
      expect(await svc.predict(matrix([[0.6, 10], [0.4, -10]]))).toEqual([1, 0]);
      expect(svc.fitInfo.converged).toBe(true);
    });
  }

  it('a second fit while one runs is refused (which fit won depended on timing); the first still fits', async () => {
    for (const engine of [cpu, gpu]) {
      const svc = new SVC({ kernel: 'linear', C: 1e6, tol: 1e-5, provider: 'engine' });
      const first = svc.fit(engine, TOY_X, TOY_Y);
      await expect(svc.fit(engine, TOY_X, TOY_Y.map((v) => 1 - v))).rejects.toThrow(/SVC\.fit: a fit is already running/);
      await first;
      expect(await svc.predict(matrix([[0.6, 10], [0.4, -10]]))).toEqual([1, 0]);
    }
  });

  it('decisionFunction gives the values of the fit it started on when a refit finishes meanwhile (the sign flipped)', async () => {
    // The fit's engine is the WebGPU engine with its gram read held on purpose: the refit
    // (on the CPU engine) runs to its end while the pending decisionFunction waits on that read,
    // whatever the timing of the real read back.
    let hold: Promise<void> | null = null;
    let release = (): void => {};
    let readStarted = (): void => {};
    const reading = new Promise<void>((r) => (readStarted = r));
    const gram = gpu.gram.bind(gpu);
    gpu.gram = (...args) => {
      const kt = gram(...args);
      const read = kt.read.bind(kt);
      const gate = hold;
      if (gate !== null) {
        Object.assign(kt, {
          read: async () => {
            readStarted();
            await gate;
            return read();
          },
        });
      }
      return kt;
    };
    try {
      const svc = new SVC({ kernel: 'linear', C: 1e6, tol: 1e-5, provider: 'engine' });
      await svc.fit(gpu, TOY_X, TOY_Y);
      const before = await svc.decisionFunction(TOY_X);
      for (let i = 0; i < 12; i++) expect(Math.sign(before.data[i]!)).toBe(TOY_Y[i] === 1 ? 1 : -1);
      hold = new Promise<void>((r) => (release = r));
      let settled = false;
      const pending = svc.decisionFunction(TOY_X).finally(() => (settled = true));
      await reading; // decisionFunction has taken its fit and waits on the held read
      await svc.fit(cpu, matrix([[0, 0], [0.2, 0.1], [5, 0], [5.1, 0.3], [0, 5], [0.3, 5.2]]), [0, 0, 1, 1, 2, 2]);
      expect(svc.classes).toEqual([0, 1, 2]);
      expect(settled, 'the refit finished before the pending decisionFunction settled').toBe(false);
      release();
      const during = await pending;
      expect([during.rows, during.cols]).toEqual([12, 1]);
      for (let i = 0; i < 12; i++) expect(Math.sign(during.data[i]!)).toBe(TOY_Y[i] === 1 ? 1 : -1); // positive: classes[1]
      expectClose(during.data, before.data, { atol: 0, label: 'decision values during a refit' });
    } finally {
      gpu.gram = gram;
    }
  });

  it('labels are any numbers; a three-class toy problem votes one-vs-one', async () => {
    const x = matrix([[0, 0], [0.2, 0.1], [5, 0], [5.1, 0.3], [0, 5], [0.3, 5.2]]);
    const svc = new SVC({ kernel: 'linear', C: 10, provider: 'float64' });
    await svc.fit(null, x, [-7, -7, 2.5, 2.5, 40, 40]);
    expect(svc.classes).toEqual([-7, 2.5, 40]);
    expect(await svc.predict(matrix([[0.1, 0], [6, 0], [0, 6]]))).toEqual([-7, 2.5, 40]);
    const dec = await svc.decisionFunction(matrix([[0.1, 0]]));
    expect([dec.rows, dec.cols]).toEqual([1, 3]); // pairs (−7, 2.5), (−7, 40), (2.5, 40)
    expect(dec.data[0]).toBeGreaterThan(0); // positive: the pair's first class
    expect(dec.data[1]).toBeGreaterThan(0);
    expect(svc.dualCoef.rows).toBe(2);
    expect(svc.intercept.length).toBe(3);
  });
});

describe("SVC: 'poly' (alias of polynomial) and linear kernels, engine rows against float64 rows", () => {
  for (const kernel of ['poly', 'linear'] as const) {
    it(`${kernel}: cpu engine and float64 predictions agree on a 600-row digits subset`, async () => {
      const rows = Array.from({ length: 600 }, (_, i) => i);
      const x = takeRows(xTrain, rows);
      const y = yTrain.slice(0, 600);
      const opts: SVCOptions = { kernel, degree: 2, coef0: 1, gamma: 'auto' };
      const e = await new SVC({ ...opts, provider: 'engine' }).fit(cpu, x, y);
      const f = await new SVC({ ...opts, provider: 'float64' }).fit(null, x, y);
      expect(e.options.kernel).toBe(kernel === 'poly' ? 'polynomial' : 'linear');
      const [pe, pf] = [await e.predict(xTest!), await f.predict(xTest!)];
      expect(agreement(pe, pf)).toBeGreaterThanOrEqual(0.995);
      expect(accuracy(pf, yTest)).toBeGreaterThanOrEqual(0.93);
    });
  }
});

// ---- (b) GPU rows against float64 rows, same solver ----
describe('SVC on digits: the WebGPU run agrees with the float64 run of the same solver', () => {
  for (const model of ['rbf', 'sigmoid'] as const) {
    it(`${model} (${model === 'rbf' ? 'C=1, γ=scale' : 'scikit-learn-tuned C, γ, c₀'})`, async () => {
      const opts = skOptions(sk[model]);
      const live = gpu.memory().liveTensors;
      const g = await new SVC({ ...opts, provider: 'engine' }).fit(gpu, xTrain, yTrain);
      expect(gpu.memory().liveTensors).toBe(live);
      const f = await new SVC({ ...opts, provider: 'float64' }).fit(null, xTrain, yTrain);
      const pg = await g.predict(xTest!);
      const pf = await f.predict(xTest!);
      expect(gpu.memory().liveTensors).toBe(live);
      const agree = agreement(pg, pf);
      const [ag, af] = [accuracy(pg, yTest), accuracy(pf, yTest)];
      console.log(`${model}: webgpu acc ${ag.toFixed(4)} (${g.fitInfo.seconds.toFixed(2)} s, ${g.fitInfo.batches} gram dispatches), ` +
        `float64 acc ${af.toFixed(4)} (${f.fitInfo.seconds.toFixed(2)} s), agreement ${agree.toFixed(4)}, nSV ${g.nSupport.reduce((s, v) => s + v)} vs ${f.nSupport.reduce((s, v) => s + v)}`);
      expect(agree).toBeGreaterThanOrEqual(0.995);
      expect(Math.abs(ag - af)).toBeLessThanOrEqual(0.005);
      expect(g.fitInfo.backend).toBe('webgpu');
      expect(f.fitInfo.backend).toBe('float64');
      const kinds: readonly ('webgpu' | 'cpu' | 'float64')[] = [g.fitInfo.backend, f.fitInfo.backend]; // typed as the three kinds (tsc)
      expect(kinds).toHaveLength(2);
      expect(g.fitInfo.converged && f.fitInfo.converged).toBe(true);
      // Batched: far fewer dispatches than rows.
      expect(g.fitInfo.batches).toBeLessThan(g.fitInfo.rowsComputed / 8);
    });
  }
});

// ---- (c) scikit-learn ----
describe('SVC on digits agrees with scikit-learn (fixture from scripts/sklearn_svc_reference.py)', () => {
  it("the fixture was made on our split (stratifiedSplit seed 0, testFraction 0.25)", () => {
    expect(sk.split.train).toEqual(split.train);
    expect(sk.split.test).toEqual(split.test);
  });

  for (const model of ['rbf', 'sigmoid'] as const) {
    for (const provider of ['float64', 'webgpu'] as const) {
      it(`${model} (${provider}): accuracy and predictions match scikit-learn`, async () => {
        const m = sk[model];
        const svc = await new SVC({ ...skOptions(m), provider: provider === 'float64' ? 'float64' : 'engine' })
          .fit(provider === 'webgpu' ? gpu : null, xTrain, yTrain);
        expectClose([svc.fitInfo.gamma], [m.gamma], { rtol: 1e-6, label: 'resolved γ' });
        const pred = await svc.predict(xTest!);
        const acc = accuracy(pred, yTest);
        const agree = agreement(pred, m.test_predictions);
        const nsv = svc.nSupport.reduce((s, v) => s + v);
        const skNsv = m.n_support.reduce((s, v) => s + v);
        console.log(`${model} ${provider}: test acc ${acc.toFixed(4)} (sklearn ${m.test_accuracy.toFixed(4)}), agreement ${agree.toFixed(4)}, nSV ${nsv} (sklearn ${skNsv})`);
        if (model === 'rbf') expect(acc).toBeGreaterThanOrEqual(0.97);
        expect(Math.abs(acc - m.test_accuracy)).toBeLessThanOrEqual(0.01);
        expect(agree).toBeGreaterThanOrEqual(0.98);
        expect(Math.abs(nsv - skNsv)).toBeLessThanOrEqual(0.02 * skNsv);
      });
    }
  }
});

// ---- (d) errors, max iterations, the row cache ----
describe('SVC: bad parameters and data are refused before any work', () => {
  // The float64 fit of the toy set, the reference of the scaled-data cases below (deterministic; only read).
  let toyRef: SVC;
  beforeAll(async () => {
    toyRef = await new SVC({ provider: 'float64' }).fit(null, TOY_X, TOY_Y);
  });

  it.each([
    [{ C: -1 }, 'C must be a finite number > 0, got -1'],
    [{ C: 0 }, 'C must be a finite number > 0, got 0'],
    [{ C: Number.NaN }, 'C must be a finite number > 0'],
    [{ degree: 0 }, 'degree must be an integer in 1..4294967295, got 0'],
    [{ degree: 2.5 }, 'degree must be an integer in 1..4294967295, got 2.5'],
    [{ gamma: 0 }, "gamma must be 'scale', 'auto' or a finite number > 0, got 0"],
    [{ gamma: -0.1 }, 'got -0.1'],
    [{ gamma: 'big' }, 'got "big"'],
    [{ kernel: 'gaussian' }, 'unknown kernel "gaussian"; expected one of rbf, sigmoid, linear, polynomial, poly'],
    [{ tol: 0 }, 'tol must be a finite number > 0'],
    [{ maxIter: 0 }, 'maxIter must be a positive integer'],
    [{ cacheSize: 0 }, 'cacheSize must be a number of MB > 0'],
    [{ coef0: Number.POSITIVE_INFINITY }, 'coef0 must be a finite number'],
    // Outside float32 (the kernel rows' type): refused here, not by engine.gram mid-fit.
    [{ gamma: 1e39 }, 'gamma must be within the float32 range (|x| ≤ 3.4e38), got 1e+39'],
    [{ kernel: 'sigmoid', coef0: 1e39 }, 'coef0 must be within the float32 range (|x| ≤ 3.4e38), got 1e+39'],
    [{ kernel: 'polynomial', coef0: -1e39 }, 'coef0 must be within the float32 range (|x| ≤ 3.4e38), got -1e+39'],
    [{ provider: 'gpu' }, "provider must be 'engine' or 'float64'"],
    [{ shrinking: 'yes' }, 'shrinking must be true or false, got "yes"'],
    [{ shrinking: 0 }, 'shrinking must be true or false, got 0'],
  ])('new SVC(%j) throws a ValueError', async (opts, message) => {
    await expectThrows(() => new SVC(opts as SVCOptions), ValueError, JSON.stringify(opts), [message as string]);
  });

  it('fit: one class, NaN in X, length mismatch, no engine; predict: width mismatch, not fitted', async () => {
    const live = cpu.memory().liveTensors;
    const x = matrix([[0, 0], [1, 1], [2, 2]]);
    await expectThrows(() => new SVC().fit(cpu, x, [1, 1, 1]), ValueError, 'one class', ['only one class (1)']);
    const nan = matrix([[0, 0], [1, Number.NaN], [2, 2]]);
    await expectThrows(() => new SVC().fit(cpu, nan, [0, 1, 1]), ValueError, 'NaN', ['non-finite value (NaN) at row 1, column 1 (0-based)']);
    await expectThrows(() => new SVC().fit(cpu, x, [0, 1]), ShapeError, 'length', ['X has 3 rows but y has 2 labels']);
    await expectThrows(() => new SVC().fit(cpu, x, [0, Number.NaN, 1]), ValueError, 'NaN label', ['label 1 is NaN']);
    await expectThrows(() => new SVC().fit(null, x, [0, 1, 1]), ValueError, 'no engine', ["provider 'engine' needs an engine"]);
    await expectThrows(() => new SVC().fit(cpu, { rows: 3, cols: 2, data: new Float32Array(5) }, [0, 1, 1]), ShapeError, 'malformed X', ['3×2 does not match 5 values']);
    // Empty X: said '0×2 does not match 0 values', which is not what is wrong.
    const empty = { rows: 0, cols: 2, data: new Float32Array(0) };
    await expectThrows(() => new SVC().fit(cpu, empty, []), ShapeError, 'no rows', ['SVC.fit is 0×2: it needs at least 1 row and 1 column']);
    await expectThrows(() => new SVC().predict(x), ValueError, 'not fitted', ['not fitted yet']);
    expect(cpu.memory().liveTensors).toBe(live); // nothing was allocated
    const svc = await new SVC({ kernel: 'linear' }).fit(cpu, x, [0, 1, 1]);
    await expectThrows(() => svc.predict(matrix([[1, 2, 3]])), ShapeError, 'width', ['X has 3 features but the model was trained on 2']);
    await expectThrows(() => svc.decisionFunction(nan), ValueError, 'NaN at predict', ['non-finite value']);
    await expectThrows(() => svc.predict({ rows: 0, cols: 2, data: new Float32Array(0) }), ShapeError, 'predict no rows', ['SVC.predict is 0×2: it needs at least 1 row']);
    // score(X, null) was a TypeError reading null's length.
    await expectThrows(() => svc.score(x, null as never), ValueError, 'score y null', ['SVC.score: y must be an array of labels']);
    await expectThrows(() => svc.score(null as never, [0, 1, 1]), ValueError, 'score X null', ['SVC.score: X must be a { rows, cols, data: Float32Array } matrix, got null']);
    // score's width check said 'SVC.predict: ...', a call the user never made.
    await expectThrows(() => svc.score(matrix([[1, 2, 3]]), [0]), ShapeError, 'score width', ['SVC.score: X has 3 features but the model was trained on 2']);
  });

  it("gamma 'scale' resolved beyond float32 (X × 1e-21: γ ≈ 1e41) is refused before any work on both engines; float64 fits", async () => {
    const tiny: Matrix = { rows: TOY_X.rows, cols: TOY_X.cols, data: TOY_X.data.map((v) => v * 1e-21) };
    for (const e of [cpu, gpu]) {
      const live = e.memory().liveTensors;
      await expectThrows(() => new SVC().fit(e, tiny, TOY_Y), ValueError, `${e.backend}: tiny X`, [
        "SVC.fit: gamma 'scale' resolved to 1.1", '1 / (d · Var(X)) = 1 / (2 · 4.', 'the variance of X is so tiny', 'standardize X', "provider 'float64'",
      ]);
      expect(e.memory().liveTensors).toBe(live); // refused before the data went up
    }
    // rbf with γ = 'scale' does not change when X is scaled: the float64 run predicts as at scale 1.
    const f = await new SVC({ provider: 'float64' }).fit(null, tiny, TOY_Y);
    expect(f.fitInfo.gamma).toBeGreaterThan(1e41);
    expect(await f.predict(tiny)).toEqual(await toyRef.predict(TOY_X));
  });

  it("linear kernel: γ 'scale', which it does not use, resolved below float32's normals (X ≈ ±1e19) or past its range (X ≈ 1e-20) fits (engine.gram refused that γ)", async () => {
    const big = matrix([[-1.5e19], [-1e19], [1e19], [1.5e19]]);
    for (const e of [cpu, gpu]) {
      const svc = await new SVC({ kernel: 'linear' }).fit(e, big, [0, 0, 1, 1]);
      expect(svc.fitInfo.gamma).toBeLessThan(1.2e-38);
      // The hard margin: w = 1e-19, b = 0.
      expectClose((await svc.decisionFunction(big)).data, [-1.5, -1, 1, 1.5], { rtol: 1e-6, label: e.backend });
    }
    // K ≈ 1e-40 is subnormal, which a GPU may flush: the CPU engine only.
    const tiny = matrix([[-2e-20], [-1e-20], [1e-20], [2e-20]]);
    const svc = await new SVC({ kernel: 'linear' }).fit(cpu, tiny, [0, 0, 1, 1]);
    expect(svc.fitInfo.gamma).toBeGreaterThan(3.4e38);
    expect(await svc.predict(tiny)).toEqual([0, 0, 1, 1]);
  });

  // Linear kernel on TOY_X × 1e20: K ≈ 1e40, shown by the diagonal before any work. Polynomial
  // (γ·s − 1e12)⁴ on ±1e6: the diagonal is 0, K[0, 1] = (−2e12)⁴ = 1.6e49, found in the first
  // row read back. Both gave an all-NaN model reported converged.
  const HUGE: Matrix = { rows: TOY_X.rows, cols: TOY_X.cols, data: TOY_X.data.map((v) => v * 1e20) };
  const PM = matrix([[1e6], [-1e6], [1e6], [-1e6]]);
  const POLY: SVCOptions = { kernel: 'polynomial', gamma: 1, coef0: -1e12, degree: 4 };
  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`${backend} engine: kernel values beyond float32 are refused (the diagonal before any work, or a row as it is read)`, async () => {
      const e = backend === 'cpu' ? cpu : gpu;
      const live = e.memory().liveTensors;
      await expectThrows(() => new SVC({ kernel: 'linear' }).fit(e, HUGE, TOY_Y), ValueError, 'linear', [
        'SVC: K[0, 0] (0-based) is 2.25e+40: the linear kernel overflows float32 here; scale the data down', "or use provider 'float64'",
      ]);
      await expectThrows(() => new SVC(POLY).fit(e, PM, [0, 1, 0, 1]), ValueError, 'polynomial', [
        'is Infinity: the polynomial kernel overflows float32 here; choose a smaller gamma or degree', "or use provider 'float64'",
      ]);
      expect(e.memory().liveTensors).toBe(live);
    });

    it(`${backend} engine: predicting data whose kernel against the support vectors overflows is refused (it voted every row into one class)`, async () => {
      const e = backend === 'cpu' ? cpu : gpu;
      const svc = await new SVC({ kernel: 'linear' }).fit(e, TOY_X, TOY_Y);
      // Finite float32 data (|x| ≤ 2e38) whose inner products with the support vectors are not.
      const far: Matrix = { rows: TOY_X.rows, cols: TOY_X.cols, data: TOY_X.data.map((v) => v * 5e37) };
      await expectThrows(() => svc.predict(far), ValueError, 'predict', ['the linear kernel overflows float32 here', "provider 'float64'"]);
      await expectThrows(() => svc.decisionFunction(far), ValueError, 'decisionFunction', ['SVC: K[']);
      expect(await svc.predict(TOY_X)).toEqual(TOY_Y); // ordinary data still predicts
    });
  }

  it("webgpu engine: data whose float32 sums overflow (X × 1e21) is refused before any work unless γ saturates the kernel there; γ 'scale' below float32's normals on either engine too", async () => {
    // rbf: ‖xᵢ − xⱼ‖² up to 8.5e43 → Inf → K = exp(−∞) = 0 off the diagonal, the identity: wrong
    // for a γ so small that γ·‖xᵢ − xⱼ‖² is moderate (every point became a support vector).
    // sigmoid: ⟨xᵢ, xⱼ⟩ → ±Inf → tanh = ±1, wrong for such a γ.
    const big: Matrix = { rows: TOY_X.rows, cols: TOY_X.cols, data: TOY_X.data.map((v) => v * 1e21) };
    const live = gpu.memory().liveTensors;
    await expectThrows(() => new SVC({ gamma: 1e-37 }).fit(gpu, big, TOY_Y), ValueError, 'rbf', [
      "SVC: the squared distances ‖xᵢ − xⱼ‖² of X can reach 8.50e+43, beyond float32's range (3.4e38): WebGPU sums them in float32",
      'the rbf kernel values come out wrong; standardize X', "or use provider 'float64'",
    ]);
    await expectThrows(() => new SVC({ kernel: 'sigmoid', gamma: 2e-38 }).fit(gpu, big, TOY_Y), ValueError, 'sigmoid', [
      'SVC: the inner products ⟨xᵢ, xⱼ⟩ of X can reach 2.50e+43, beyond', 'the sigmoid kernel values come out wrong',
    ]);
    expect(gpu.memory().liveTensors).toBe(live);
    // γ = 1: exp(−γ·‖xᵢ − xⱼ‖²) is float32's 0 whether the sum overflowed or not: K = I is right,
    // nothing is refused, and WebGPU fits what the CPU engine (float64 sums) fits.
    const [g1, c1] = [await new SVC({ gamma: 1 }).fit(gpu, big, TOY_Y), await new SVC({ gamma: 1 }).fit(cpu, big, TOY_Y)];
    expect(Array.from(g1.supportIndices)).toEqual(Array.from(c1.supportIndices));
    // Fitted on ordinary data, predicting the huge data with a tiny γ: refused there too.
    const tiny = await new SVC({ gamma: 1e-37 }).fit(gpu, TOY_X, TOY_Y);
    await expectThrows(() => tiny.predict(big), ValueError, 'predict', ['SVC.predict: the squared distances', "provider 'float64'"]);
    // γ 'scale' = 1/(d·Var(X)) ≈ 1e-43 here: below float32's normals, refused on both engines
    // (a GPU would use 0); the float64 provider fits as at scale 1 (rbf with 'scale' does not
    // change when X is scaled).
    for (const e of [cpu, gpu]) {
      await expectThrows(() => new SVC().fit(e, big, TOY_Y), ValueError, "'scale' below normals", [
        "gamma 'scale' resolved to 1.16e-43", "below float32's smallest normal number", 'standardize X',
      ]);
    }
    const c = await new SVC({ provider: 'float64' }).fit(null, big, TOY_Y);
    expect(Array.from(c.supportIndices)).toEqual(Array.from(toyRef.supportIndices));
    expect(await c.predict(big)).toEqual(await toyRef.predict(TOY_X));
  });

  it('float64 provider: fits kernel values beyond float32, refuses those beyond float64', async () => {
    // float64 rows hold 1e40: the same separator as at scale 1.
    const f = await new SVC({ kernel: 'linear', provider: 'float64' }).fit(null, HUGE, TOY_Y);
    expect(await f.predict(HUGE)).toEqual(TOY_Y);
    // (1e20·s − 1e32)¹⁰ = (−2e32)¹⁰ off the diagonal (0 on it); (1e20·1e12)²⁰ = 1e640 on the diagonal.
    await expectThrows(() => new SVC({ ...POLY, gamma: 1e20, coef0: -1e32, degree: 10, provider: 'float64' }).fit(null, PM, [0, 1, 0, 1]),
      ValueError, 'float64 row', ['is Infinity: the polynomial kernel overflows float64 here; choose a smaller gamma or degree']);
    await expectThrows(() => new SVC({ kernel: 'polynomial', gamma: 1e20, degree: 20, provider: 'float64' }).fit(null, PM, [0, 1, 0, 1]),
      ValueError, 'float64 diagonal', ['SVC: K[0, 0] (0-based) is Infinity: the polynomial kernel overflows float64 here']);
  });

  it('solveBinary never reports convergence from a NaN gradient (a provider whose rows are NaN)', async () => {
    const rows = { rowsComputed: 0, batches: 0, cacheHits: 0 };
    const nanRows: KernelRowProvider = {
      size: 4, diagonal: Float64Array.of(1, 1, 1, 1), stats: rows, dispose: () => {},
      cached: () => undefined, fetch: async (need) => need.map(() => new Float64Array(4).fill(Number.NaN)),
    };
    await expectThrows(
      () => solveBinary(nanRows, { index: Int32Array.of(0, 1, 2, 3), y: Int8Array.of(1, 1, -1, -1), C: 1 }, { tol: 1e-3, maxIter: 100 }),
      ValueError, 'NaN rows', ["SVC: the solver's gradient at point 0 is NaN after 1 iterations: the kernel values are not finite"],
    );
  });

  it('EngineRowProvider (exported) used after dispose() throws a DisposedError (it threw a plain Error)', async () => {
    const p = new EngineRowProvider(cpu, PM, { kernel: 'rbf', gamma: 1, coef0: 0, degree: 3 }, { cacheBytes: 1e6, batchRows: 2 });
    expect((await p.fetch([0]))[0]!.length).toBe(4);
    p.dispose();
    await expectThrows(() => p.fetch([1]), DisposedError, 'after dispose', ['EngineRowProvider used after dispose()']);
  });

  it('maxIter: warns (default) or throws ConvergenceError; the partial model still predicts', async () => {
    const lines: string[] = [];
    const svc = await new SVC({ maxIter: 5, provider: 'float64', log: (l) => lines.push(l) }).fit(null, xTrain, yTrain);
    expect(svc.fitInfo.converged).toBe(false);
    expect(lines.length).toBe(45);
    expect(lines[0]).toMatch(/binary problem 0 vs 1 stopped at maxIter = 5 iterations before the KKT violation fell below tol = 0\.001/);
    expect((await svc.predict(xTest!)).length).toBe(yTest.length);
    await expectThrows(
      () => new SVC({ maxIter: 5, onMaxIter: 'throw', provider: 'float64' }).fit(null, xTrain, yTrain), ConvergenceError, 'throw', ['maxIter = 5'],
    );
  });

  it('a tiny row cache (0.02 MB: 13 rows of 400) evicts and recomputes, with the same model', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => i);
    const x = takeRows(xTrain, rows);
    const y = yTrain.slice(0, 400);
    const small = await new SVC({ cacheSize: 0.02, provider: 'engine' }).fit(cpu, x, y);
    const big = await new SVC({ provider: 'engine' }).fit(cpu, x, y);
    expect(big.fitInfo.rowsComputed).toBeLessThanOrEqual(400);
    expect(small.fitInfo.rowsComputed).toBeGreaterThan(2 * big.fitInfo.rowsComputed);
    expect(Array.from(small.supportIndices)).toEqual(Array.from(big.supportIndices));
    expect(await small.predict(xTest!)).toEqual(await big.predict(xTest!));
  });

  it('a row cache smaller than the working set, on the CPU backend: prefetching fills free room only (it thrashed: 64 rows per miss)', async () => {
    const y = yTrain.map((v) => v % 2); // one problem over all 1348 rows; 2 MB hold 388 of them
    const opts: SVCOptions = { kernel: 'rbf', cacheSize: 2, provider: 'engine' };
    const batched = await new SVC(opts).fit(cpu, xTrain, y);
    // batchRows 1: no prefetching, every row computed when it is missed (libsvm's way).
    const onDemand = await new SVC({ ...opts, batchRows: 1 }).fit(cpu, xTrain, y);
    const capacity = Math.floor((2 * 2 ** 20) / (4 * xTrain.rows));
    expect(batched.fitInfo.rowsComputed).toBeLessThanOrEqual(onDemand.fitInfo.rowsComputed + capacity);
    expect(batched.fitInfo.batches).toBeLessThanOrEqual(onDemand.fitInfo.batches);
    expect(Array.from(batched.supportIndices)).toEqual(Array.from(onDemand.supportIndices));
  });

  it('progress: one call per one-vs-one problem, in pair order', async () => {
    const seen: string[] = [];
    await new SVC({ provider: 'float64', onProgress: (p) => seen.push(`${p.pair}/${p.pairs}:${p.classes.join('-')}`) })
      .fit(null, takeRows(xTrain, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]), yTrain.slice(0, 20).map((v) => v % 3));
    expect(seen).toEqual(['1/3:0-1', '2/3:0-2', '3/3:1-2']);
  });

  it('a CPU fit yields between solver iterations (it never left the microtask queue: a page froze, onProgress could not repaint)', async () => {
    await expectYields(() => new SVC({ kernel: 'rbf', C: 10, provider: 'engine' }).fit(cpu, xTrain, yTrain.map((v) => v % 2)));
  });
});
