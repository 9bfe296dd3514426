// The model API: layer constructors and their validation, width checks between dense
// layers, seeded host initialisation (glorot bounds, he spread, per-layer seeds), parameter
// names, summary(), the input forms fit/predict accept, predict in batches, predictProba,
// predict and evaluate yielding between batches on one state of the weights (a fit may run
// meanwhile; a dispose stops them), evaluate's loss summed over many batches without drift,
// and the regression of system 3 (y = 2x + 1 + noise) recovered by a linear model.
import { describe, expect, it } from 'vitest';
import { DisposedError, ShapeError, Tensor, ValueError } from '../../src/index.js';
import {
  adam, dense, type EvaluateResult, identity, leakyRelu, mlpLayers, parseSafetensors, relu, Sequential, sequential, sgd, sigmoid, tanh,
} from '../../src/nn/index.js';
import { CPU_WORK_PER_YIELD } from '../../src/next-task.js';
import { useEngines } from '../helpers/engines.js';
import { expectClose, expectThrows } from '../helpers/expectClose.js';
import { rng } from '../helpers/rng.js';
import { expectYields, withYieldingClock } from '../helpers/yields.js';
import { blobs } from './data-helpers.js';
import { refLoss } from './reference-net.js';

const engines = useEngines();

describe('layers', () => {
  it('constructors give plain specs with defaults', () => {
    expect(dense(3, 4)).toEqual({ kind: 'dense', inputs: 3, units: 4, init: 'glorot' });
    expect(dense(3, 4, { init: 'he', seed: 9 })).toEqual({ kind: 'dense', inputs: 3, units: 4, init: 'he', seed: 9 });
    expect(sigmoid()).toEqual({ kind: 'sigmoid', alpha: 1, learnAlpha: false });
    expect(sigmoid({ alpha: 2, learnAlpha: true })).toEqual({ kind: 'sigmoid', alpha: 2, learnAlpha: true });
    expect(leakyRelu()).toEqual({ kind: 'leakyRelu', slope: 0.01 });
    expect([relu(), tanh(), identity()]).toEqual([{ kind: 'relu' }, { kind: 'tanh' }, { kind: 'identity' }]);
  });

  it('mlpLayers: dense + activation per hidden width (He before relu/leakyRelu), then the output layer', () => {
    expect(mlpLayers(5, [8, 6], 3, { activation: 'relu' })).toEqual([
      dense(5, 8, { init: 'he' }), relu(), dense(8, 6, { init: 'he' }), relu(), dense(6, 3),
    ]);
    expect(mlpLayers(2, [4], 1, { activation: 'leakyRelu' })).toEqual([dense(2, 4, { init: 'he' }), leakyRelu(), dense(4, 1)]);
    expect(mlpLayers(2, [4], 1, { activation: 'sigmoid', alpha: 2, learnAlpha: true })).toEqual([
      dense(2, 4), sigmoid({ alpha: 2, learnAlpha: true }), dense(4, 1),
    ]);
    expect(mlpLayers(2, [], 3, { activation: 'tanh' })).toEqual([dense(2, 3)]);
    expect(() => mlpLayers(2, [0], 1, { activation: 'tanh' })).toThrow(/units/);
  });

  it('invalid sizes and parameters are ValueErrors', () => {
    expect(() => dense(0, 3)).toThrow(ValueError);
    expect(() => dense(2.5, 3)).toThrow(/inputs/);
    expect(() => dense(2, -1)).toThrow(/units/);
    expect(() => dense(2, 2, { init: 'xavier' as 'he' })).toThrow(/init/);
    expect(() => sigmoid({ alpha: Number.NaN })).toThrow(/alpha/);
    expect(() => sigmoid({ alpha: Infinity })).toThrow(ValueError);
    expect(() => leakyRelu(-0.1)).toThrow(/slope/);
  });

  it('sequential checks consecutive dense widths, naming both layers', async () => {
    await expectThrows(() => sequential(engines.cpu, [dense(2, 8), sigmoid(), dense(4, 1)]), ShapeError, 'widths', [
      'layer 2', 'dense(4 → 1', 'layer 0', 'dense(2 → 8', '8 outputs',
    ]);
    await expectThrows(() => sequential(engines.cpu, [sigmoid(), relu()]), ValueError, 'no dense', ['dense']);
    await expectThrows(() => sequential(engines.cpu, []), ValueError, 'empty');
    await expectThrows(() => sequential(engines.cpu, [{ kind: 'conv2d' } as never]), ValueError, 'unknown kind', ['conv2d']);
    expect(engines.cpu.memory().liveTensors).toBe(0);
  });
});

describe('initialisation and parameters', () => {
  it('parameter names, shapes and initial values (glorot bound, zero biases, α)', async () => {
    const m = sequential(engines.cpu, [dense(30, 20), sigmoid({ alpha: 1.5, learnAlpha: true }), dense(20, 10, { init: 'he' }), relu(), dense(10, 2)]);
    try {
      const ps = m.parameters();
      expect(ps.map((p) => [p.name, [...p.tensor.shape]])).toEqual([
        ['layers.0.weight', [30, 20]], ['layers.0.bias', [20]], ['layers.1.alpha', [1]], ['layers.2.weight', [20, 10]],
        ['layers.2.bias', [10]], ['layers.4.weight', [10, 2]], ['layers.4.bias', [2]],
      ]);
      const w0 = await ps[0]!.tensor.read();
      const limit = Math.sqrt(6 / 50);
      expect(Math.max(...w0.map(Math.abs))).toBeLessThanOrEqual(limit);
      expect(Math.max(...w0.map(Math.abs))).toBeGreaterThan(0.9 * limit);
      expect(Array.from(await ps[1]!.tensor.read())).toEqual(new Array(20).fill(0));
      expect(Array.from(await ps[2]!.tensor.read())).toEqual([1.5]);
      expect(m.inputs).toBe(30);
      expect(m.outputs).toBe(2);
      expect(m.parameterCount).toBe(30 * 20 + 20 + 1 + 20 * 10 + 10 + 10 * 2 + 2);
      expect(m.denseLayers).toEqual([0, 2, 4]);
      expect(m.sigmoidLayers).toEqual([1]);
    } finally {
      m.dispose();
    }
  });

  it('he init has std √(2/in) and mean 0', async () => {
    const m = sequential(engines.cpu, [dense(200, 200, { init: 'he' })]);
    try {
      const w = await m.parameters()[0]!.tensor.read();
      const mean = w.reduce((s, v) => s + v, 0) / w.length;
      const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
      expect(Math.abs(mean)).toBeLessThan(0.003);
      expect(std / Math.sqrt(2 / 200)).toBeGreaterThan(0.98);
      expect(std / Math.sqrt(2 / 200)).toBeLessThan(1.02);
    } finally {
      m.dispose();
    }
  });

  it('a layer seed fixes that layer whatever the model seed and position', async () => {
    const a = sequential(engines.cpu, [dense(3, 5, { seed: 42 }), dense(5, 2)], { seed: 1 });
    const b = sequential(engines.cpu, [dense(2, 3), dense(3, 5, { seed: 42 })], { seed: 7 });
    try {
      expect(Array.from(await b.parameters()[2]!.tensor.read())).toEqual(Array.from(await a.parameters()[0]!.tensor.read()));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('models a few seeds apart share no layer: runs repeated over seeds 0..4 start independently (seed 0\'s layer 2 was seed 2\'s layer 0)', async () => {
    const layers = [dense(8, 8), sigmoid(), dense(8, 8), sigmoid(), dense(8, 8), sigmoid(), dense(8, 8), sigmoid(), dense(8, 2)];
    // Each weight matrix divided by its glorot bound: the uniform draws it was made from.
    const draws = new Map<string, string>();
    for (let seed = 0; seed < 5; seed++) {
      const m = sequential(engines.cpu, layers, { seed });
      try {
        for (const p of m.parameters().filter((q) => q.name.endsWith('.weight'))) {
          const bound = Math.sqrt(6 / (p.tensor.shape[0] + p.tensor.shape[1]!));
          const key = Array.from((await p.tensor.read()).subarray(0, 16), (v) => (v / bound).toFixed(6)).join();
          const where = `seed ${seed} ${p.name}`;
          expect(draws.get(key), `${where} repeats the draws of`).toBeUndefined();
          draws.set(key, where);
        }
      } finally {
        m.dispose();
      }
    }
  });

  it('summary lists layers, output widths and parameter counts', () => {
    const m = sequential(engines.cpu, [dense(2, 8), sigmoid(), dense(8, 1)], { seed: 3 });
    try {
      m.compile({ loss: 'binaryCrossEntropy', optimizer: sgd({ lr: 0.5 }) });
      const s = m.summary();
      expect(s).toContain('2 inputs → 1 outputs');
      expect(s).toContain('binaryCrossEntropy');
      expect(s).toMatch(/dense\(2 → 8, glorot\)\s+\[N, 8\]\s+24/);
      expect(s).toMatch(/sigmoid\s+\[N, 8\]\s+0/);
      expect(s).toContain('total parameters: 33');
      expect(m.compiled).toEqual({ loss: 'binaryCrossEntropy', optimizer: sgd({ lr: 0.5 }), metrics: ['accuracy'] });
    } finally {
      m.dispose();
    }
  });
});

describe('inputs, predict and predictProba', () => {
  const d = blobs(2, 60, 5, 3);

  it('nested rows (number[] or typed-array rows), host matrices, tensors and label vectors train identically', async () => {
    const flat = new Float32Array(d.x.flat());
    const results: number[][] = [];
    for (const form of ['nested', 'host', 'tensor', 'typed rows'] as const) {
      const m = sequential(engines.cpu, [dense(5, 4), tanh(), dense(4, 3)], { seed: 1 });
      const xt = form === 'tensor' ? engines.cpu.tensor(flat, [60, 5]) : null;
      const yt = form === 'tensor' ? engines.cpu.tensor(d.onehot) : null;
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
        const x = form === 'nested' ? d.x : form === 'host' ? { rows: 60, cols: 5, data: flat } : form === 'tensor' ? xt! : d.x.map((r) => Float32Array.from(r));
        // Typed one-hot rows are a target matrix, not a label vector.
        const y = form === 'nested' ? d.labels : form === 'host' ? Int32Array.from(d.labels) : form === 'tensor' ? yt! : d.onehot.map((r) => Float32Array.from(r));
        const h = await m.fit(x, y, { epochs: 2, batchSize: 16 });
        results.push(h.loss);
        if (xt) expect(xt.disposed).toBe(false); // the caller's tensors are used in place, not freed
      } finally {
        xt?.dispose();
        yt?.dispose();
        m.dispose();
      }
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[3]).toEqual(results[0]);
  });

  it('read-only inputs type-check and run: `as const` metrics, a readonly validationData tuple (typed mutable, they did not compile)', async () => {
    const m = sequential(engines.cpu, [dense(5, 3)], { seed: 1 });
    try {
      const metrics = ['accuracy'] as const;
      m.compile({ loss: 'softmaxCrossEntropy', metrics: Object.freeze(metrics) });
      const validationData = Object.freeze([d.x.slice(0, 10), d.labels.slice(0, 10)] as const);
      const h = await m.fit(d.x, d.labels, { epochs: 1, batchSize: 16, validationData });
      expect(h.valAccuracy).toHaveLength(1);
    } finally {
      m.dispose();
    }
  });

  it('predict in batches equals predict in one pass; predictProba rows are softmax', async () => {
    for (const e of [engines.cpu, engines.gpu]) {
      const m = sequential(e, [dense(5, 7), sigmoid(), dense(7, 3)], { seed: 4 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy' });
        const whole = await m.predict(d.x);
        const parts = await m.predict(d.x, { batchSize: 7 });
        const a = await whole.read();
        expect(Array.from(await parts.read())).toEqual(Array.from(a));
        expect([...whole.shape]).toEqual([60, 3]);
        const p = await m.predictProba(d.x);
        const probs = await p.read();
        for (let r = 0; r < 60; r++) {
          const row = Array.from(a.subarray(r * 3, r * 3 + 3));
          const max = Math.max(...row);
          const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
          expectClose(probs.subarray(r * 3, r * 3 + 3), row.map((v) => Math.exp(v - max) / z), { rtol: 1e-5, atol: 1e-7 });
        }
        for (const t of [whole, parts, p]) t.dispose();
      } finally {
        m.dispose();
      }
    }
  });

  it('save(), batched predict() and evaluate() called while fit runs see one state of the weights, the one at the call, also when they yield between batches', async () => {
    for (const e of [engines.cpu, engines.gpu]) {
      const m = sequential(e, [dense(5, 7), sigmoid(), dense(7, 3)], { seed: 4 });
      const xt = e.tensor(Float32Array.from(d.x.flat()), [60, 5]);
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.1 }) });
        let probe: Promise<[Uint8Array, Float32Array[], Float32Array, Float32Array, EvaluateResult]> | null = null;
        // Every yield point yields: the fit steps between the batches of predict and evaluate.
        await withYieldingClock(() => m.fit(d.x, d.labels, {
          epochs: 2, batchSize: 10,
          onBatchEnd: ({ epoch, step }) => {
            if (epoch !== 0 || step !== 1) return;
            // All issued here, between two steps, without waiting: the fit goes on meanwhile.
            const saved = m.save();
            const now = Promise.all(m.parameters().map((p) => p.tensor.read()));
            const parts = m.predict(xt, { batchSize: 7 }).then((t) => t.readAndDispose());
            const whole = m.predict(xt).then((t) => t.readAndDispose());
            probe = Promise.all([saved, now, parts, whole, m.evaluate(d.x, d.labels, { batchSize: 7 })]);
          },
        }));
        const [saved, now, parts, whole, evaluated] = await probe!;
        const file = parseSafetensors(saved);
        m.parameters().forEach((p, i) => expect(Array.from(file.tensors.find((t) => t.name === p.name)!.data), `${e.backend} ${p.name}`).toEqual(Array.from(now[i]!)));
        expect(Array.from(parts), e.backend).toEqual(Array.from(whole));
        // A copy at the saved weights, which nothing trains, gives the same evaluation.
        const copy = Sequential.fromSafetensors(e, saved);
        try {
          copy.compile({ loss: 'softmaxCrossEntropy' });
          expect(evaluated, e.backend).toEqual(await copy.evaluate(d.x, d.labels, { batchSize: 7 }));
          expect(Array.from(whole), e.backend).toEqual(Array.from(await (await copy.predict(xt)).readAndDispose()));
        } finally {
          copy.dispose();
        }
      } finally {
        xt.dispose();
        m.dispose();
      }
    }
  });

  it('binaryCrossEntropy: σ is applied by predictProba, or fused when the model ends with sigmoid', async () => {
    const x = d.x;
    const y = d.labels.map((c) => (c === 0 ? 1 : 0));
    const logits = sequential(engines.cpu, [dense(5, 4), tanh(), dense(4, 1)], { seed: 6 });
    const ends = sequential(engines.cpu, [dense(5, 4), tanh(), dense(4, 1), sigmoid()], { seed: 6 });
    try {
      logits.compile({ loss: 'binaryCrossEntropy', optimizer: sgd({ lr: 0.1 }) });
      ends.compile({ loss: 'binaryCrossEntropy', optimizer: sgd({ lr: 0.1 }) });
      const h1 = await logits.fit(x, y, { epochs: 3, batchSize: 10 });
      const h2 = await ends.fit(x, y, { epochs: 3, batchSize: 10 });
      // The same computation: sigmoid + BCE is trained on the sigmoid's input.
      expect(h2.loss).toEqual(h1.loss);
      const [p1, p2, raw2] = [await logits.predictProba(x), await ends.predictProba(x), await ends.predict(x)];
      const probs = await p1.read();
      expectClose(await p2.read(), probs, { rtol: 1e-6, atol: 1e-7 });
      expect(Array.from(await raw2.read())).toEqual(Array.from(await p2.read()));
      for (const v of probs) expect(v > 0 && v < 1).toBe(true);
      for (const t of [p1, p2, raw2]) t.dispose();
    } finally {
      logits.dispose();
      ends.dispose();
    }
  });
});

describe('predict and evaluate on the CPU backend and the event loop', () => {
  // 3000 rows and ~17,700 parameters: the default CPU batches are ~450 rows of ~8·10⁶
  // multiply-adds, 7 of them (the GPU-sized defaults were all 3000 at once for predict and 3
  // batches of 1024 for evaluate).
  const big = blobs(7, 3000, 5, 3);
  const layers = [dense(5, 128), relu(), dense(128, 128), relu(), dense(128, 3)];
  const calls = {
    predict: (m: Sequential, batchSize?: number) => m.predict(big.x, { batchSize }),
    evaluate: (m: Sequential, batchSize?: number) => m.evaluate(big.x, big.labels, { batchSize }),
  };

  it.each(Object.keys(calls) as (keyof typeof calls)[])('%s with the default batches yields between them (it never left the microtask queue: a page froze)', async (method) => {
    const m = sequential(engines.cpu, layers, { seed: 4 });
    try {
      m.compile({ loss: 'softmaxCrossEntropy' });
      const value = async (r: Tensor | EvaluateResult) => (r instanceof Tensor ? Array.from(await r.readAndDispose()) : r);
      const batchRows = Math.floor(CPU_WORK_PER_YIELD / m.parameterCount);
      let yielding: unknown;
      // A turn at each yield between the 7 batches (predict's one pass gave none, evaluate's 1024-row batches 2).
      await expectYields(async () => (yielding = await value(await calls[method](m))), Math.ceil(big.x.length / batchRows) - 1);
      // Unchanged: predict's outputs are those of one pass, evaluate's those of its batches run without yields.
      expect(yielding).toEqual(await value(await calls[method](m, method === 'predict' ? big.x.length : batchRows)));
      if (method === 'evaluate') {
        // In one pass: the same accuracy, and the loss up to float32 rounding of the batches' means.
        const { loss, accuracy } = yielding as EvaluateResult;
        const whole = (await calls.evaluate(m, big.x.length)) as EvaluateResult;
        expect(accuracy).toBe(whole.accuracy);
        expectClose([loss], [whole.loss], { rtol: 1e-6, atol: 0, label: 'loss of the default batches vs one pass' });
      }
    } finally {
      m.dispose();
    }
  });

  // predictProba runs predict's batches: its error names predictProba, the call the user made.
  const disposing = { ...calls, predictProba: (m: Sequential) => m.predictProba(big.x) };
  it.each(Object.keys(disposing) as (keyof typeof disposing)[])('dispose() during %s is a DisposedError naming the call, and frees everything', async (method) => {
    const e = engines.cpu;
    const live = e.memory().liveTensors;
    const m = sequential(e, layers, { seed: 4 });
    m.compile({ loss: 'softmaxCrossEntropy' });
    await withYieldingClock(async () => {
      const run = disposing[method](m);
      setImmediate(() => m.dispose()); // at the call's first yield
      await expect(run).rejects.toThrow(DisposedError);
      await expect(run).rejects.toThrow(new RegExp(`^${method}: the model was disposed while it ran`));
    });
    expect(e.memory().liveTensors).toBe(live);
  });
});

describe('evaluate over many batches', () => {
  it('adds the batches\' losses without drift: 20,000 one-row batches (cpu) or 1000 two-row ones (webgpu) give the float64 mean of the row losses', async () => {
    // One float32 sum that every batch added to was 2.2e-6 (cpu) and 2.0e-7 (webgpu) off here; a
    // slot per batch, 3e-10 and 2e-8 (the WebGPU row losses are float32: exp and log).
    const cases = [[engines.cpu, 20000, 1, 1e-8], [engines.gpu, 2000, 2, 1e-7]] as const;
    for (const [e, rows, batchSize, rtol] of cases) {
      const d = blobs(5, rows, 5, 3);
      const m = sequential(e, [dense(5, 16), tanh(), dense(16, 3)], { seed: 2 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy' });
        const logits = await (await m.predict(d.x)).readAndDispose();
        const exact = refLoss('softmaxCrossEntropy', logits, d.onehot.flat(), rows, 3);
        const { loss } = await m.evaluate(d.x, d.labels, { batchSize });
        expectClose([loss], [exact], { rtol, atol: 0, label: `${e.backend} loss over ${rows / batchSize} batches` });
      } finally {
        m.dispose();
      }
    }
  });
});

describe('predictProba and a compile() while it runs', () => {
  it('squashes with the loss the model had when it was called, not one compiled while it awaited', async () => {
    for (const e of [engines.cpu, engines.gpu]) {
      const m = sequential(e, [dense(2, 3), tanh(), dense(3, 1)], { seed: 3 });
      try {
        m.compile({ loss: 'binaryCrossEntropy' });
        const x = [[0.5, -1], [2, 0.25], [-1.5, 1]];
        const raw = await (await m.predict(x)).readAndDispose();
        const pending = m.predictProba(x);
        m.compile({ loss: 'mse' }); // no squashing for calls from here on
        const p = await (await pending).readAndDispose();
        expectClose(p, Array.from(raw, (v) => 1 / (1 + Math.exp(-v))), { rtol: 1e-6, atol: 1e-7, label: `${e.backend}: σ(outputs)` });
        expect(Array.from(await (await m.predictProba(x)).readAndDispose())).toEqual(Array.from(raw));
      } finally {
        m.dispose();
      }
    }
  });
});

describe('regression (system 3)', () => {
  it('y = 2x + 1 + noise, 100 points: a linear model recovers slope and intercept (MSE, SGD), both backends', async () => {
    const r = rng(5);
    const xs = Array.from(r.uniform(100, -1, 1));
    const noise = r.randn(100, 0, 0.1);
    const ys = xs.map((v, i) => 2 * v + 1 + noise[i]!);
    for (const e of [engines.cpu, engines.gpu]) {
      const m = sequential(e, [dense(1, 1)], { seed: 0 });
      try {
        m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.1, momentum: 0.9 }) });
        const h = await m.fit(xs.map((v) => [v]), ys, { epochs: 100, batchSize: 20 });
        const [w, b] = await Promise.all(m.parameters().map(async (p) => (await p.tensor.read())[0]!));
        expect(Math.abs(w! - 2), e.backend).toBeLessThan(0.05);
        expect(Math.abs(b! - 1), e.backend).toBeLessThan(0.05);
        expect(h.loss.at(-1)!).toBeLessThan(0.02);
        expect(h.accuracy).toBeUndefined(); // mse: no accuracy unless asked
      } finally {
        m.dispose();
      }
    }
  });
});

describe('optimizer details', () => {
  it('weightDecay applies to weight matrices only (one SGD step: ΔW = −lr·wd·W, biases identical)', async () => {
    const d = blobs(3, 16, 5, 3);
    const step = async (wd: number): Promise<Float32Array[]> => {
      const m = sequential(engines.cpu, [dense(5, 4), sigmoid({ learnAlpha: true }), dense(4, 3)], { seed: 8 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 0.5, weightDecay: wd }) });
        await m.fit(d.x, d.labels, { epochs: 1, batchSize: 16 });
        return Promise.all(m.parameters().map((p) => p.tensor.read()));
      } finally {
        m.dispose();
      }
    };
    const init = sequential(engines.cpu, [dense(5, 4), sigmoid({ learnAlpha: true }), dense(4, 3)], { seed: 8 });
    const w0 = await Promise.all(init.parameters().map((p) => p.tensor.read()));
    const names = init.parameters().map((p) => p.name);
    init.dispose();
    const plain = await step(0);
    const decayed = await step(0.1);
    names.forEach((name, i) => {
      if (name.endsWith('.weight')) {
        const diff = decayed[i]!.map((v, k) => v - plain[i]![k]!);
        expectClose(diff, w0[i]!.map((v) => -0.5 * 0.1 * v), { atol: 1e-6, label: name });
      } else {
        expect(Array.from(decayed[i]!), name).toEqual(Array.from(plain[i]!));
      }
    });
  });
});

describe('vanishing gradients (system 4)', () => {
  it('in a deep plain-sigmoid network the first layer gets a far smaller gradient than the last', async () => {
    const spec = [dense(8, 16), ...Array.from({ length: 6 }, () => [sigmoid(), dense(16, 16)]).flat(), sigmoid(), dense(16, 3)];
    const m = sequential(engines.cpu, spec, { seed: 1 });
    try {
      m.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 0.01 }) });
      const d = blobs(4, 64, 8, 3);
      const h = await m.fit(d.x, d.labels, { epochs: 1, batchSize: 64 });
      const g = h.epochs[0]!.gradNorms;
      expect(g).toHaveLength(8);
      expect(h.epochs[0]!.alphas).toEqual(new Array(7).fill(1));
      expect(g[0]! / g[7]!).toBeLessThan(0.01);
    } finally {
      m.dispose();
    }
  });
});
