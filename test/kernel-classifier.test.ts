// The kernel classifier (src/kernels/kernel-classifier.ts), the article's model: sigmoid-
// kernel features against seeded landmarks, a dense model trained with Adam, BCE, batches
// of 32, 10 epochs — on two moons (binary) and on the digits (10 classes, softmax CE), on
// both backends, with the same results on both within float tolerance; errors.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine, DisposedError, dropColumn, type Engine, KernelClassifier, type Matrix, seededRandom, ShapeError, standardize,
  stratifiedSplit, takeRows, takeValues, ValueError,
} from '../src/index.js';
import { readCsv } from '../src/io/csv.js';
import { expectThrows } from './helpers/expectClose.js';
import { expectYields, withYieldingClock } from './helpers/yields.js';

/** Two interleaved half circles with Gaussian noise (scikit-learn's make_moons), seeded; labels 0/1. */
function moons(n: number, noise: number, seed: number): { x: Matrix; y: number[] } {
  const r = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const data = new Float32Array(2 * n);
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * r.next();
    data[2 * i] = (c === 0 ? Math.cos(t) : 1 - Math.cos(t)) + noise * gauss();
    data[2 * i + 1] = (c === 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * gauss();
    y.push(c);
  }
  return { x: { rows: n, cols: 2, data }, y };
}

const rawTrain = moons(400, 0.15, 1);
const rawTest = moons(200, 0.15, 2);
const moonsStd = standardize(rawTrain.x, rawTest.x);
const train = { x: moonsStd.train, y: rawTrain.y };
const test = { x: moonsStd.others[0]!, y: rawTest.y };

const csv = readCsv(readFileSync(new URL('../data/digits.csv', import.meta.url), 'utf8'), { source: 'digits.csv' });
const labelCol = csv.header!.indexOf('label');
const pixels = dropColumn(csv, labelCol);
const labels = Array.from({ length: csv.rows }, (_, r) => csv.data[r * csv.cols + labelCol]!);
const split = stratifiedSplit(labels, { testFraction: 0.25, seed: 0 });
const { train: dTrain, others: [dTest] } = standardize(takeRows(pixels, split.train), takeRows(pixels, split.test));
const dyTrain = takeValues(labels, split.train);
const dyTest = takeValues(labels, split.test);

const engines: Record<string, Engine> = {};
const results: Record<string, Record<string, { acc: number; loss: number; proba: Float32Array; history: number[] }>> = {};
const MOONS_ACC = 0.95;
const DIGITS_ACC = 0.93;

beforeAll(async () => {
  engines.cpu = await createEngine({ backend: 'cpu', log: null });
  engines.webgpu = await createEngine({ backend: 'webgpu', log: null });
});
afterAll(() => {
  for (const e of Object.values(engines)) e.destroy();
  for (const [problem, r] of Object.entries(results)) {
    console.log(`kernel classifier ${problem}: ${Object.entries(r).map(([b, v]) => `${b} test accuracy ${v.acc.toFixed(4)} (loss ${v.loss.toFixed(4)})`).join(', ')}`);
  }
});

function record(problem: string, backend: string, v: { acc: number; loss: number; proba: Float32Array; history: number[] }): void {
  (results[problem] ??= {})[backend] = v;
}

/** A 6-landmark classifier fitted on the two-moons training part for `epochs` on `backend`, then `body`; disposed after. */
async function withFitted(backend: string, epochs: number, body: (e: Engine, clf: KernelClassifier) => Promise<void>): Promise<void> {
  const e = engines[backend]!;
  const clf = new KernelClassifier({ landmarks: 6, epochs, seed: 3 });
  try {
    await clf.fit(e, train.x, train.y);
    await body(e, clf);
  } finally {
    clf.dispose();
  }
}

describe.each(['cpu', 'webgpu'])('KernelClassifier on %s', (backend) => {
  // Two classes of 4 points for the overflow cases; scaled(s) is small × s.
  const small: Matrix = { rows: 8, cols: 2, data: Float32Array.from([-2, -1, -1.5, 0.5, -1, -2, -1, -1, 2, 1, 1.5, -0.5, 1, 2, 1, 1]) };
  const y = [0, 0, 0, 0, 1, 1, 1, 1];
  const scaled = (s: number): Matrix => ({ ...small, data: small.data.map((v) => v * s) });

  it(`two moons (standardised): sigmoid kernel γ = 3, c₀ = 1, 100 landmarks, Adam lr 0.03 + BCE, batch 32, 10 epochs → test accuracy ≥ ${MOONS_ACC}`, async () => {
    const e = engines[backend]!;
    const clf = new KernelClassifier({ landmarks: 100, gamma: 3, coef0: 1, lr: 0.03, seed: 0 });
    try {
      const epochs: number[] = [];
      const h = await clf.fit(e, train.x, train.y, { validationData: [test.x, test.y], onEpochEnd: (l) => void epochs.push(l.valAccuracy!) });
      expect(h.epochs.length).toBe(10);
      expect(h.epochs[0]!.steps).toBe(13); // 400 rows / 32
      expect(clf.classes).toEqual([0, 1]);
      const ev = await clf.evaluate(test.x, test.y);
      expect(ev.accuracy!).toBeGreaterThanOrEqual(MOONS_ACC);
      expect(epochs.at(-1)).toBeCloseTo(ev.accuracy!, 6);
      const proba = await clf.predictProba(test.x);
      expect([proba.rows, proba.cols]).toEqual([200, 2]);
      const pred = await clf.predict(test.x);
      const acc = pred.filter((p, i) => p === test.y[i]).length / pred.length;
      expect(acc).toBeCloseTo(ev.accuracy!, 6);
      for (let i = 0; i < proba.rows; i++) expect(proba.data[2 * i]! + proba.data[2 * i + 1]!).toBeCloseTo(1, 5);
      record('two moons', backend, { acc: ev.accuracy!, loss: ev.loss, proba: proba.data, history: h.loss });
    } finally {
      clf.dispose();
    }
    expect(e.memory().liveTensors).toBe(0);
  });

  it(`digits, 10 classes (softmax CE), 200 landmarks, default sigmoid kernel → test accuracy ≥ ${DIGITS_ACC}`, async () => {
    const e = engines[backend]!;
    const clf = new KernelClassifier({ landmarks: 200, lr: 0.003, seed: 0 });
    try {
      const h = await clf.fit(e, dTrain, dyTrain);
      expect(clf.gramOptions).toEqual({ kernel: 'sigmoid', gamma: 1 / 64, coef0: 1, degree: 3 });
      const ev = await clf.evaluate(dTest!, dyTest);
      expect(ev.accuracy!).toBeGreaterThanOrEqual(DIGITS_ACC);
      const proba = await clf.predictProba(dTest!);
      expect([proba.rows, proba.cols]).toEqual([dTest!.rows, 10]);
      record('digits', backend, { acc: ev.accuracy!, loss: ev.loss, proba: proba.data, history: h.loss });
    } finally {
      clf.dispose();
    }
    expect(e.memory().liveTensors).toBe(0);
  });

  it('rejects bad input with clear errors', async () => {
    const e = engines[backend]!;
    expect(() => new KernelClassifier({ landmarks: 0 })).toThrow(/landmarks must be an integer ≥ 1/);
    expect(() => new KernelClassifier({ hidden: -1 })).toThrow(/hidden must be an integer ≥ 0/);
    expect(() => new KernelClassifier({ lr: 0 })).toThrow(/lr must be > 0/);
    expect(() => new KernelClassifier({ epochs: 1.5 })).toThrow(ValueError);
    expect(() => new KernelClassifier({ kernel: 'cosine' as never })).toThrow(/^KernelClassifier: unknown kernel "cosine"; expected one of sigmoid, logistic, linear, polynomial, rbf$/);
    expect(() => new KernelClassifier({ kernel: 'rbf', gamma: -1 })).toThrow(/gamma must be > 0/);
    // @ts-expect-error the type refuses projected-sigmoid too (SymmetricGramKernel)
    expect(() => new KernelClassifier({ kernel: 'projected-sigmoid' })).toThrow(/does not support the projected-sigmoid kernel/);
    const clf = new KernelClassifier({ landmarks: 10, epochs: 1 });
    await expect(clf.predict(test.x)).rejects.toThrow(/call fit\(engine, X, y\) first/);
    await expect(clf.fit(e, train.x, train.y.slice(1))).rejects.toThrow(/399 labels but X has 400 rows/);
    await expect(clf.fit(e, train.x, train.y.map(() => 1))).rejects.toThrow(/at least 2 classes/);
    await expect(clf.fit(e, train.x, train.y.map((v) => v + 0.5))).rejects.toThrow(/integer class labels/);
    await expect(new KernelClassifier({ landmarks: 401 }).fit(e, train.x, train.y)).rejects.toThrow(/landmarks \(401\) must be ≤ the number of rows \(400\)/);
    await clf.fit(e, train.x, train.y);
    await expect(clf.predict({ rows: 1, cols: 3, data: new Float32Array(3) })).rejects.toThrow(ShapeError);
    await expect(clf.evaluate(test.x, test.y.map((v) => v + 2))).rejects.toThrow(/not one of the classes 0, 1/);
    await expect(clf.predict({ rows: 1, cols: 2, data: new Float32Array([0, Number.NaN]) })).rejects.toThrow(/row 0, column 1 \(0-based\) is NaN/);
    clf.dispose();
    await expect(clf.predict(test.x)).rejects.toThrow(DisposedError);
    expect(e.memory().liveTensors).toBe(0);
  });

  it('rbf with a tiny γ on data whose squared distances overflow float32 is refused on WebGPU (fit and predict), not all-zero features', async () => {
    const e = engines[backend]!;
    const big = scaled(1e21);
    const clf = new KernelClassifier({ kernel: 'rbf', gamma: 1e-37, landmarks: 4, epochs: 1 });
    try {
      if (backend === 'webgpu') {
        await expect(clf.fit(e, big, y)).rejects.toThrow(/^KernelClassifier\.fit: the squared distances .* come out wrong/);
        await clf.fit(e, small, y);
        await expect(clf.predict(big)).rejects.toThrow(/^KernelClassifier\.predict: the squared distances/);
        // Signed sums: x = (a, b), y = (a, −b) has ⟨x, y⟩ = a² − b² ≈ 1e37, but a² overflows float32,
        // so WebGPU gave tanh = 1 where the CPU gives 0.29; whatever γ is, that data is refused.
        const sig = new KernelClassifier({ kernel: 'sigmoid', gamma: 1, landmarks: 4, epochs: 1 });
        try {
          await sig.fit(e, small, y);
          const ab: Matrix = { rows: 2, cols: 2, data: Float32Array.from([1.8708e19, 1.8439e19, 1.8708e19, -1.8439e19]) };
          await expect(sig.transform(ab)).rejects.toThrow(/^KernelClassifier\.transform: the inner products ⟨xᵢ, xⱼ⟩ of X can reach/);
        } finally {
          sig.dispose();
        }
      } else {
        await clf.fit(e, big, y); // float64 sums: right on the CPU
        expect((await clf.transform(big)).data.some((v) => v !== 0)).toBe(true);
      }
    } finally {
      clf.dispose();
    }
    expect(e.memory().liveTensors).toBe(0);
  });

  it('kernel features that overflow float32 from a finite X are named as such (fit, validation, transform); predict names itself', async () => {
    const e = engines[backend]!;
    // Linear kernel on X × 1e20: K(X, landmarks) ≈ 1e40. fit blamed "x row 0, column 0 is NaN", an x the user never passed.
    const overflow = 'although X is finite: the linear kernel overflows float32 here; scale the data down';
    for (const standardize of [true, false]) {
      await expectThrows(() => new KernelClassifier({ kernel: 'linear', landmarks: 4, epochs: 1, standardize }).fit(e, scaled(1e20), y), ValueError,
        `fit, standardize ${standardize}`, ['KernelClassifier.fit: the kernel features K(X, landmarks)[0, 0] (0-based) is ', overflow]);
    }
    const clf = new KernelClassifier({ kernel: 'linear', landmarks: 4, epochs: 1 });
    // Landmarks of magnitude ≤ 2 against X × 1e38: |K| up to 5e38.
    await expectThrows(() => clf.fit(e, small, y, { validationData: [scaled(1e38), y] }), ValueError, 'validation',
      ['KernelClassifier.fit: the kernel features K(validationData X, landmarks)[', overflow]);
    await clf.fit(e, small, y);
    await expectThrows(() => clf.transform(scaled(1e38)), ValueError, 'transform', ['KernelClassifier.transform: the kernel features K(X, landmarks)[', overflow]);
    // predict, predictProba and evaluate check the features too (NaN probabilities; evaluate blamed an 'x' never passed).
    for (const op of ['predict', 'predictProba', 'evaluate'] as const) {
      await expectThrows(() => (op === 'evaluate' ? clf.evaluate(scaled(1e38), y) : clf[op](scaled(1e38))), ValueError, op,
        [`KernelClassifier.${op}: the kernel features K(X, landmarks)[`, overflow]);
    }
    const nan: Matrix = { rows: 1, cols: 2, data: new Float32Array([0, Number.NaN]) };
    await expect(clf.predict(nan)).rejects.toThrow(/^predict: X row 0, column 1 \(0-based\) is NaN/);
    await expect(clf.predictProba(nan)).rejects.toThrow(/^predictProba: X row 0, column 1 \(0-based\) is NaN/);
    clf.dispose();
    expect(e.memory().liveTensors).toBe(0);
  });

  it('features that vary only below float32 normals (linear and sigmoid kernels on X × 1e-20) are centred, not scaled to ±Inf', async () => {
    const e = engines[backend]!;
    // std ≈ 1e-40, 1/std past float32: fit failed with "x row 0, column 0 (0-based) is -Infinity", an x never passed.
    for (const kernel of ['linear', 'sigmoid'] as const) {
      const clf = new KernelClassifier({ kernel, coef0: 0, landmarks: 4, epochs: 1 });
      try {
        await clf.fit(e, scaled(1e-20), y);
        expect((await clf.transform(scaled(1e-20))).data.every(Number.isFinite)).toBe(true);
      } finally {
        clf.dispose();
      }
    }
    expect(e.memory().liveTensors).toBe(0);
  });

  it('features that vary only by float32 rounding (rbf with γ = 1e-12) are centred, so both backends predict alike', async () => {
    // The CPU's K is exactly 1, WebGPU's exp gives 1 − 2⁻²⁴ off the diagonal: standardised, that
    // noise became features of ±4 and WebGPU predicted 0.03 to 0.99 where the CPU says 0.5.
    const e = engines[backend]!;
    const clf = new KernelClassifier({ kernel: 'rbf', gamma: 1e-12, landmarks: 4, epochs: 20, lr: 0.1 });
    try {
      await clf.fit(e, small, y);
      const p = (await clf.predictProba(small)).data;
      expect(p.every((v) => Math.abs(v - 0.5) < 0.01), `probabilities ${Array.from(p)}`).toBe(true);
    } finally {
      clf.dispose();
    }
  });

  it('a second fit while one runs is refused, and dispose() during a fit frees everything', async () => {
    const e = engines[backend]!;
    const clf = new KernelClassifier({ landmarks: 5, epochs: 2 });
    const first = clf.fit(e, train.x, train.y);
    await expect(clf.fit(e, train.x, train.y)).rejects.toThrow(/a fit is already running/);
    await first;
    expect(clf.fitted).toBe(true);
    clf.dispose();
    expect(e.memory().liveTensors).toBe(0);

    const other = new KernelClassifier({ landmarks: 5, epochs: 3 });
    let epochs = 0;
    const stopped = other.fit(e, train.x, train.y, { onEpochEnd: () => void (epochs++, other.dispose()) });
    await expect(stopped).rejects.toThrow(DisposedError);
    await expect(stopped).rejects.toThrow(/KernelClassifier\.fit: the classifier was disposed while it was training/);
    expect(epochs).toBe(1); // training stopped at once, not after every remaining epoch
    expect(e.memory().liveTensors).toBe(0);
  });

  it('a refit that fails keeps the earlier fit (it still predicts the same)', () =>
    withFitted(backend, 2, async (e, clf) => {
      const before = await clf.predictProba(test.x);
      const live = e.memory().liveTensors;
      await expect(clf.fit(e, train.x, train.y, { onEpochEnd: () => { throw new Error('stop'); } })).rejects.toThrow('stop');
      expect(clf.fitted).toBe(true);
      expect(Array.from((await clf.predictProba(test.x)).data)).toEqual(Array.from(before.data));
      expect(e.memory().liveTensors).toBe(live);
    }));

  it('landmarkRows and classes hand out copies: editing them leaves the fit (which uploads the rows again after a device loss, and labels predictions with the classes) alone', () =>
    withFitted(backend, 1, async (e, clf) => {
      const first = clf.landmarkRows;
      const rows = Array.from(first.rows.data);
      const indices = [...first.indices];
      expect(rows).toEqual(indices.flatMap((i) => Array.from(train.x.data.subarray(i * train.x.cols, (i + 1) * train.x.cols))));
      first.rows.data.fill(0);
      (first.indices as number[]).fill(0);
      const again = clf.landmarkRows;
      expect(Array.from(again.rows.data)).toEqual(rows);
      expect([...again.indices]).toEqual(indices);

      // classes, which predict maps the model's outputs through: editing the array handed out changes no label.
      const predictions = await clf.predict(train.x);
      expect(new Set(predictions)).toEqual(new Set([0, 1]));
      const classes = clf.classes as number[];
      classes.fill(7);
      expect(clf.classes).toEqual([0, 1]);
      expect(await clf.predict(train.x)).toEqual(predictions);
    }));

  it('calls under way when a refit succeeds finish on the fit they started with', () =>
    withFitted(backend, 2, async (e, clf) => {
      const before = await clf.predictProba(test.x);
      const labels = await clf.predict(test.x);
      const live = e.memory().liveTensors;
      // Hold the old model's predictions until the refit has replaced the fit.
      const old = clf.model;
      const predictProba = old.predictProba.bind(old);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      old.predictProba = async (x) => (await gate, predictProba(x));
      const pending = Promise.all([clf.predictProba(test.x), clf.predict(test.x)]);
      await clf.fit(e, train.x, train.y.map((v) => v + 5));
      open();
      const [proba, predicted] = await pending;
      expect(Array.from(proba.data)).toEqual(Array.from(before.data));
      expect(predicted).toEqual(labels); // the old classes, not the new fit's 5 and 6
      expect(new Set(await clf.predict(test.x))).toEqual(new Set([5, 6]));
      expect(e.memory().liveTensors).toBe(live); // the old fit was freed once they finished
    }));
});

describe('both backends agree', () => {
  it('the same accuracies and probabilities within float tolerance', () => {
    for (const problem of ['two moons', 'digits']) {
      const { cpu, webgpu } = results[problem]!;
      expect(Math.abs(cpu!.acc - webgpu!.acc)).toBeLessThanOrEqual(0.01);
      let worst = 0;
      for (let i = 0; i < cpu!.proba.length; i++) worst = Math.max(worst, Math.abs(cpu!.proba[i]! - webgpu!.proba[i]!));
      expect(worst).toBeLessThan(1e-2);
      cpu!.history.forEach((l, i) => expect(Math.abs(l - webgpu!.history[i]!)).toBeLessThan(1e-3 * Math.max(1, l)));
    }
  });
});

describe('KernelClassifier on the CPU backend and the event loop', () => {
  // 4000 rows: one GPU-sized block (the whole X, which skipped the row-block loop), several CPU ones.
  const big: Matrix = { rows: 10 * train.x.rows, cols: 2, data: new Float32Array(20 * train.x.rows).map((_, i) => train.x.data[i % train.x.data.length]!) };
  const bigY = Array.from({ length: big.rows }, (_, i) => train.y[i % train.y.length]!);
  const calls = {
    transform: (clf: KernelClassifier) => clf.transform(big),
    predict: (clf: KernelClassifier) => clf.predict(big),
    evaluate: (clf: KernelClassifier) => clf.evaluate(big, bigY),
  };

  it.each(Object.keys(calls) as (keyof typeof calls)[])('%s with the default blocks yields between blocks (a page froze)', async (method) => {
    const clf = new KernelClassifier({ landmarks: 100, epochs: 1 });
    try {
      await clf.fit(engines.cpu!, train.x, train.y);
      await expectYields(() => calls[method](clf), 2);
    } finally {
      clf.dispose();
    }
  });

  it.each(Object.keys(calls) as (keyof typeof calls)[])('dispose() during %s is a DisposedError naming the call, and frees everything', async (method) => {
    const e = engines.cpu!;
    const clf = new KernelClassifier({ landmarks: 100, epochs: 1 });
    await clf.fit(e, train.x, train.y);
    await withYieldingClock(async () => {
      const run = calls[method](clf);
      setImmediate(() => clf.dispose()); // at the call's first yield
      await expect(run).rejects.toThrow(DisposedError);
      await expect(run).rejects.toThrow(new RegExp(`^KernelClassifier\\.${method}: the classifier was disposed while it ran`));
    });
    expect(e.memory().liveTensors).toBe(0);
  });
});
