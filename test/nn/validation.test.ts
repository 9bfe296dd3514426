// Bad input fails loudly and changes nothing: mismatched rows, labels out of range, NaN/Inf
// in data (the message names row and column), wrong widths, bad options, use before
// compile/after dispose. Each failing fit leaves the weights (and the optimizer state:
// training afterwards gives bit-identical results) as they were.
import { describe, expect, it } from 'vitest';
import { useEngines } from '../helpers/engines.js';
import {
  createEngine, DisposedError, type Engine, type FitOptions, type Inputs, type Sequential, ShapeError, type Targets, ValueError,
} from '../../src/index.js';
import { adam, dense, sequential, sgd, sigmoid } from '../../src/nn/index.js';
import { expectThrows } from '../helpers/expectClose.js';
import { blobs } from './data-helpers.js';

const engines = useEngines();

const D = blobs(1, 30, 4, 3);

async function weights(m: Sequential): Promise<number[][]> {
  return Promise.all(m.parameters().map(async (p) => Array.from(await p.tensor.read())));
}

function model(e: Engine, loss: 'softmaxCrossEntropy' | 'binaryCrossEntropy' | 'mse' = 'softmaxCrossEntropy'): Sequential {
  const out = loss === 'softmaxCrossEntropy' ? 3 : 1;
  const m = sequential(e, [dense(4, 6), sigmoid(), dense(6, out)], { seed: 1 });
  m.compile({ loss, optimizer: adam({ lr: 0.05 }) });
  return m;
}

describe('fit rejects bad input before touching the model', () => {
  const withNaN = D.x.map((r) => [...r]);
  withNaN[7]![2] = Number.NaN;
  const withInf = D.x.map((r) => [...r]);
  withInf[3]![1] = Infinity;
  const badOneHot = D.onehot.map((r) => [...r]);
  badOneHot[5] = [1, 1, 0];
  const cases: [string, Inputs, Targets, FitOptions, typeof ShapeError | typeof ValueError, string[]][] = [
    ['x/y row counts differ', D.x, D.labels.slice(0, 29), {}, ShapeError, ['29', '30 rows']],
    ['one-hot y rows differ', D.x, D.onehot.slice(1), {}, ShapeError, ['29 rows', '30 rows']],
    ['label out of range (3 of 3 classes)', D.x, D.labels.map((v, i) => (i === 4 ? 3 : v)), {}, ValueError, ['row 4', '0..2']],
    ['negative label', D.x, D.labels.map((v, i) => (i === 2 ? -1 : v)), {}, ValueError, ['row 2']],
    ['fractional label', D.x, D.labels.map((v, i) => (i === 9 ? 1.5 : v)), {}, ValueError, ['row 9', '1.5']],
    ['one-hot row that is not one-hot', D.x, badOneHot, {}, ValueError, ['row 5', 'sums to 2']],
    ['NaN in x', withNaN, D.labels, {}, ValueError, ['row 7', 'column 2', 'NaN']],
    ['Inf in x', withInf, D.labels, {}, ValueError, ['row 3', 'column 1']],
    ['wrong width', D.x.map((r) => r.slice(1)), D.labels, {}, ShapeError, ['3 columns', '4 inputs']],
    ['wrong target width', D.x, D.onehot.map((r) => [...r, 0]), {}, ShapeError, ['4 columns', '3 outputs']],
    ['ragged rows', D.x.map((r, i) => (i === 6 ? r.slice(1) : r)), D.labels, {}, ShapeError, ['row 6']],
    ['epochs 0', D.x, D.labels, { epochs: 0 }, ValueError, ['epochs']],
    ['batchSize 2.5', D.x, D.labels, { batchSize: 2.5 }, ValueError, ['batchSize']],
    ['validationSplit 1', D.x, D.labels, { validationSplit: 1 }, ValueError, ['validationSplit']],
    ['validationSplit leaving no rows', D.x, D.labels, { validationSplit: 0.99 }, ValueError, ['no rows']],
    ['NaN in validation data', D.x, D.labels, { validationData: [withNaN, D.labels] }, ValueError, ['validationData x', 'row 7']],
    ['validation labels out of range', D.x, D.labels, { validationData: [D.x, D.labels.map(() => 7)] }, ValueError, ['validationData y']],
  ];
  for (const [name, x, y, o, cls, words] of cases) {
    it(name, async () => {
      const m = model(engines.cpu);
      try {
        const before = await weights(m);
        const live = engines.cpu.memory().liveTensors;
        await expectThrows(() => m.fit(x, y, { epochs: 2, ...o }), cls, name, words);
        expect(await weights(m)).toEqual(before);
        expect(engines.cpu.memory().liveTensors).toBe(live);
      } finally {
        m.dispose();
      }
    });
  }

  it('binary targets outside [0, 1] and MSE NaN targets', async () => {
    const m = model(engines.cpu, 'binaryCrossEntropy');
    const r = model(engines.cpu, 'mse');
    try {
      const before = await weights(m);
      await expectThrows(() => m.fit(D.x, D.labels.map((v) => v), {}), ValueError, 'bce 2', ['[0, 1]', 'row 2']);
      expect(await weights(m)).toEqual(before);
      await expectThrows(() => r.fit(D.x, D.labels.map((v, i) => (i === 11 ? Number.NaN : v)), {}), ValueError, 'mse NaN', ['row 11']);
    } finally {
      m.dispose();
      r.dispose();
    }
  });

  it('a failed fit leaves the optimizer state too: training afterwards is bit-identical (WebGPU)', async () => {
    const a = model(engines.gpu);
    const b = model(engines.gpu);
    try {
      await expectThrows(() => b.fit(D.x, D.labels.map(() => 9)), ValueError, 'bad labels');
      await a.fit(D.x, D.labels, { epochs: 2, batchSize: 8 });
      await b.fit(D.x, D.labels, { epochs: 2, batchSize: 8 });
      expect(await weights(b)).toEqual(await weights(a));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('tensors of another engine are refused', async () => {
    const m = model(engines.cpu);
    const x = engines.gpu.tensor(D.x);
    try {
      await expectThrows(() => m.fit(x, D.labels), ValueError, 'foreign tensor', ['another engine']);
    } finally {
      x.dispose();
      m.dispose();
    }
  });
});

describe('predict / evaluate / lifecycle', () => {
  it('predict with the wrong width is a ShapeError; weights unchanged', async () => {
    const m = model(engines.cpu);
    try {
      const before = await weights(m);
      await expectThrows(() => m.predict([[1, 2, 3]]), ShapeError, 'predict width', ['3 columns', '4 inputs']);
      const t = engines.cpu.tensor([[1, 2, 3, 4, 5]]);
      await expectThrows(() => m.predict(t), ShapeError, 'predict tensor width', ['5 columns']);
      t.dispose();
      await expectThrows(() => m.evaluate(D.x, D.labels.slice(3)), ShapeError, 'evaluate rows');
      expect(await weights(m)).toEqual(before);
    } finally {
      m.dispose();
    }
  });

  it('fit/evaluate before compile, bad compile options, use after dispose', async () => {
    const m = sequential(engines.cpu, [dense(4, 3)]);
    try {
      await expectThrows(() => m.fit(D.x, D.labels), ValueError, 'fit before compile', ['compile']);
      await expectThrows(() => m.evaluate(D.x, D.labels), ValueError, 'evaluate before compile', ['compile']);
      await expectThrows(() => m.compile({ loss: 'hinge' as 'mse' }), ValueError, 'unknown loss', ['hinge']);
      await expectThrows(() => m.compile({ loss: 'mse', optimizer: { kind: 'rmsprop' } as never }), ValueError, 'unknown optimizer', ['rmsprop']);
      await expectThrows(() => m.compile({ loss: 'mse', metrics: ['f1' as 'accuracy'] }), ValueError, 'unknown metric', ['metrics']);
      const one = sequential(engines.cpu, [dense(4, 1)]);
      await expectThrows(() => one.compile({ loss: 'softmaxCrossEntropy' }), ValueError, 'softmax on 1 output', ['2 outputs']);
      one.dispose();
      const learned = sequential(engines.cpu, [dense(4, 1), sigmoid({ learnAlpha: true })]);
      await expectThrows(() => learned.compile({ loss: 'binaryCrossEntropy' }), ValueError, 'bce after learned α', ['logits']);
      learned.dispose();
    } finally {
      m.dispose();
    }
    m.dispose(); // idempotent
    await expectThrows(() => m.predict(D.x), DisposedError, 'predict after dispose');
    expect(() => m.parameters()).toThrow(DisposedError);
  });

  it('dispose() while predict/evaluate read their host data: the error says the model was disposed, nothing leaks', async () => {
    for (const e of [engines.cpu, engines.gpu]) {
      const live = e.memory().liveTensors;
      for (const call of [(m: Sequential) => m.predict(D.x), (m: Sequential) => m.evaluate(D.x, D.labels), (m: Sequential) => m.predictProba(D.x)]) {
        const m = model(e);
        const running = call(m);
        m.dispose();
        await expect(running).rejects.toThrow(DisposedError);
        await expect(running).rejects.toThrow(/the model was used after dispose\(\)/); // not "tensor of shape [4, 6] was used after dispose()"
      }
      expect(e.memory().liveTensors, e.backend).toBe(live);
    }
  });

  it('dispose() while fit reads its data or its checkpoint: DisposedError, no training, no optimizer state left behind', async () => {
    for (const e of [engines.cpu, engines.gpu]) {
      for (const optimizer of [adam({ lr: 0.05 }), sgd({ lr: 0.1, momentum: 0.9 })]) {
        let bytes = new Uint8Array(0);
        const store = { write: async (b: Uint8Array) => void (bytes = b.slice()), read: async () => bytes };
        const saver = sequential(e, [dense(4, 6), sigmoid(), dense(6, 3)], { seed: 1 });
        saver.compile({ loss: 'softmaxCrossEntropy', optimizer });
        await saver.fit(D.x, D.labels, { epochs: 1, checkpoint: { every: 1, to: store } });
        saver.dispose();
        const live = e.memory().liveTensors;
        for (const resume of [false, true]) {
          const m = sequential(e, [dense(4, 6), sigmoid(), dense(6, 3)], { seed: 1 });
          m.compile({ loss: 'softmaxCrossEntropy', optimizer });
          let epochs = 0;
          const running = m.fit(D.x, D.labels, { epochs: 2, onEpochEnd: () => void epochs++, ...(resume ? { resumeFrom: store } : {}) });
          m.dispose();
          const what = `${e.backend}, ${optimizer.kind}${resume ? ', resumeFrom' : ''}`;
          await expect(running, what).rejects.toThrow(DisposedError);
          await expect(running, what).rejects.toThrow(/fit: the model was disposed/);
          expect(epochs, `${what}: epochs trained`).toBe(0);
          expect(e.memory().liveTensors, `${what}: live tensors`).toBe(live);
        }
      }
    }
  });

  it('after engine.destroy() or a disposed parameter, fit, trainStep and recover say so (DisposedError), not that a device was lost', async () => {
    for (const backend of ['cpu', 'webgpu'] as const) {
      const e = await createEngine({ backend, log: null });
      const m = model(e);
      await m.fit(D.x, D.labels, { epochs: 1 });
      const x = e.tensor(D.x);
      const y = e.tensor(D.labels.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
      m.parameters()[2]!.tensor.dispose(); // layers.2.weight
      const named = /the model's parameter layers\.2\.weight was disposed/;
      await expectThrows(() => m.fit(D.x, D.labels), DisposedError, `${backend} fit, freed parameter`, ['fit:', 'layers.2.weight']);
      expect(() => m.trainStep(x, y)).toThrow(named);
      await expect(m.recover()).rejects.toThrow(named);
      const other = model(e);
      await other.fit(D.x, D.labels, { epochs: 1 });
      e.destroy();
      for (const [what, call] of [['fit', () => other.fit(D.x, D.labels)], ['trainStep', () => other.trainStep(x, y)], ['recover', () => other.recover()]] as [string, () => unknown][]) {
        const err = await Promise.resolve().then(call).then(() => null, (caught: unknown) => caught);
        expect(err, `${backend} ${what} after destroy()`).toBeInstanceOf(DisposedError);
        expect((err as Error).message, `${backend} ${what} after destroy()`).toMatch(/destroy\(\)/);
      }
    }
  });

  it('optimizer hyper-parameters are validated', () => {
    expect(() => sgd({ lr: -1 })).toThrow(ValueError);
    expect(() => sgd({ lr: 0 })).toThrow(ValueError);
    expect(() => sgd({ momentum: 1 })).toThrow(ValueError);
    expect(() => adam({ beta1: 1 })).toThrow(ValueError);
    expect(() => adam({ eps: 0 })).toThrow(ValueError);
    expect(() => adam({ weightDecay: Number.NaN })).toThrow(ValueError);
    expect(adam()).toEqual({ kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    expect(sgd()).toEqual({ kind: 'sgd', lr: 0.01, momentum: 0, weightDecay: 0 });
  });
});
