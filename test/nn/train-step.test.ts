// Sequential.trainStep: one step on a batch already on the device must be exactly one fit
// step (same loss, same weights after it) on both backends, and must check its arguments.
// With plain SGD, trainStep applies the update in the epilogues of the dW matmuls
// (engine.sgdMatmulStep) and of the bias column sums (engine.sgdColSumsStep) while fit,
// which reports gradient norms, stores dW and db and updates separately: the two paths
// must agree.
import { describe, expect, it, vi } from 'vitest';
import { DisposedError, type Engine, type LayerSpec, type OptimizerSpec, type Sequential, ShapeError, ValueError } from '../../src/index.js';
import { adam, dense, sequential, sgd, sigmoid, tanh } from '../../src/nn/index.js';
import { useEngines } from '../helpers/engines.js';
import { expectClose, expectThrows } from '../helpers/expectClose.js';
import { blobs } from './data-helpers.js';

const engines = useEngines();
const DATA = blobs(5, 40, 6, 3);
const NET: LayerSpec[] = [dense(6, 10), sigmoid({ learnAlpha: true }), dense(10, 8), tanh(), dense(8, 3)];

async function weightsOf(m: Sequential): Promise<Float32Array[]> {
  return Promise.all(m.parameters().map((p) => p.tensor.read()));
}

function model(e: Engine, optimizer: OptimizerSpec = adam({ lr: 0.05 })): Sequential {
  const m = sequential(e, NET, { seed: 4 });
  m.compile({ loss: 'softmaxCrossEntropy', optimizer });
  return m;
}

const OPTIMIZERS: [string, () => OptimizerSpec, number][] = [
  // name, optimizer, sgdMatmulStep and sgdColSumsStep calls per trainStep (one each per
  // dense layer when fused)
  ['adam', () => adam({ lr: 0.05 }), 0],
  ['sgd (fused into the dW matmul)', () => sgd({ lr: 0.5 }), 3],
  ['sgd + weight decay (fused)', () => sgd({ lr: 0.5, weightDecay: 0.05 }), 3],
  ['sgd + momentum (not fused)', () => sgd({ lr: 0.5, momentum: 0.9 }), 0],
];

describe('trainStep', () => {
  for (const backend of ['cpu', 'gpu'] as const) for (const [name, optimizer, fusedCalls] of OPTIMIZERS) {
    it(`${backend}, ${name}: three trainStep calls equal three full-batch fit epochs (losses and weights)`, async () => {
      const e = engines[backend];
      const viaFit = model(e, optimizer());
      const viaStep = model(e, optimizer());
      const x = e.tensor(DATA.x);
      const y = e.tensor(DATA.onehot);
      const fused = vi.spyOn(e, 'sgdMatmulStep');
      const fusedBias = vi.spyOn(e, 'sgdColSumsStep');
      try {
        const h = await viaFit.fit(DATA.x, DATA.onehot, { epochs: 3, batchSize: 40, shuffle: false, recordStepLosses: true });
        expect(fused, 'fit stores dW (it reports gradient norms)').not.toHaveBeenCalled();
        expect(fusedBias, 'fit stores db').not.toHaveBeenCalled();
        const losses: number[] = [];
        for (let i = 0; i < 3; i++) {
          const loss = viaStep.trainStep(x, y);
          losses.push((await loss.read())[0]!);
          loss.dispose();
        }
        expect(fused).toHaveBeenCalledTimes(3 * fusedCalls);
        expect(fusedBias).toHaveBeenCalledTimes(3 * fusedCalls);
        expectClose(losses, h.stepLosses!, { rtol: 1e-6, label: 'trainStep losses vs fit step losses' });
        expect(losses[2]).toBeLessThan(losses[0]!); // it trains
        const a = await weightsOf(viaFit);
        const b = await weightsOf(viaStep);
        a.forEach((w, i) => expectClose(b[i]!, w, { rtol: 1e-6, atol: 1e-7, label: `parameter ${i} after 3 steps` }));
      } finally {
        fused.mockRestore();
        fusedBias.mockRestore();
        viaFit.dispose();
        viaStep.dispose();
        x.dispose();
        y.dispose();
      }
    });
  }

  for (const backend of ['cpu', 'gpu'] as const) for (const [name, optimizer] of OPTIMIZERS) {
    it(`${backend}, ${name}: setLearningRate keeps the optimizer state (the next update scales with the rate; compile would restart it)`, async () => {
      const e = engines[backend];
      const x = e.tensor(DATA.x);
      const y = e.tensor(DATA.onehot);
      const [kept, changed] = [model(e, optimizer()), model(e, optimizer())];
      try {
        for (const m of [kept, changed]) for (let i = 0; i < 2; i++) m.trainStep(x, y).dispose();
        const before = await weightsOf(kept);
        expect(await weightsOf(changed)).toEqual(before);
        changed.setLearningRate(kept.learningRate / 4);
        expect(changed.learningRate).toBe(kept.learningRate / 4);
        kept.trainStep(x, y).dispose();
        changed.trainStep(x, y).dispose();
        // Same state and gradient, a quarter of the rate: a quarter of the step, element by element.
        const [a, b] = [await weightsOf(kept), await weightsOf(changed)];
        before.forEach((w0, i) => {
          const quarter = Float32Array.from(w0, (v, j) => v + (a[i]![j]! - v) / 4);
          expectClose(b[i]!, quarter, { rtol: 1e-5, atol: 1e-6, label: `parameter ${i}` });
        });
      } finally {
        kept.dispose();
        changed.dispose();
        x.dispose();
        y.dispose();
      }
    });
  }

  it('setLearningRate refuses a rate ≤ 0 or non-finite, and an uncompiled model', () => {
    const m = model(engines.cpu);
    try {
      expect(() => m.setLearningRate(0)).toThrow(/lr must be > 0, got 0/);
      expect(() => m.setLearningRate(Number.NaN)).toThrow(ValueError);
      expect(m.learningRate).toBe(0.05);
    } finally {
      m.dispose();
    }
    const raw = sequential(engines.cpu, NET, { seed: 4 });
    expect(() => raw.setLearningRate(0.1)).toThrow(/call model.compile/);
    raw.dispose();
  });

  for (const backend of ['cpu', 'gpu'] as const) {
    it(`${backend}: refuses a parameter or optimizer state as x or y, and a disposed batch, before any update (plain SGD updates layer by layer)`, async () => {
      const e = engines[backend];
      const m = sequential(e, [dense(3, 3), sigmoid(), dense(3, 3)], { seed: 4 });
      m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.5, momentum: 0.5 }) });
      const batch = e.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [0.7, 0.8, 0.9]]);
      m.trainStep(batch, batch).dispose(); // makes the velocity tensors
      const plain = sequential(e, [dense(3, 3), sigmoid(), dense(3, 3)], { seed: 4 });
      plain.compile({ loss: 'mse', optimizer: sgd({ lr: 0.5 }) });
      try {
        for (const model_ of [m, plain]) {
          const before = await weightsOf(model_);
          const [w0, , w2] = model_.parameters().map((p) => p.tensor);
          for (const [x, y, name] of [[w0!, batch, 'x'], [batch, w2!, 'y']] as const) {
            await expectThrows(() => model_.trainStep(x, y), ValueError, `${name} a parameter`, [`trainStep: ${name} is one of the model's parameters`]);
          }
          const gone = e.tensor([[1, 2, 3]]);
          const y = e.tensor([[1, 2, 3]]);
          gone.dispose();
          await expectThrows(() => model_.trainStep(gone, y), DisposedError, 'x disposed', ['trainStep: x was disposed']);
          y.dispose();
          const after = await weightsOf(model_);
          before.forEach((w, i) => expectClose(after[i]!, w, { rtol: 0, atol: 0, label: `parameter ${i} unchanged` }));
        }
      } finally {
        batch.dispose();
        m.dispose();
        plain.dispose();
      }
    });
  }

  it('rejects wrong widths, row mismatches and foreign tensors, leaving the weights unchanged', async () => {
    const e = engines.cpu;
    const m = model(e);
    const x = e.tensor(DATA.x);
    const y = e.tensor(DATA.onehot);
    const wrongX = e.zeros([40, 5]);
    const shortY = e.zeros([39, 3]);
    const before = await weightsOf(m);
    try {
      await expectThrows(() => m.trainStep(wrongX, y), ShapeError, 'x width', ['[rows, 6]', '[40, 5]']);
      await expectThrows(() => m.trainStep(x, shortY), ShapeError, 'row mismatch', ['40', '39']);
      const foreign = engines.gpu.tensor(DATA.x);
      try {
        await expectThrows(() => m.trainStep(foreign, y), ValueError, 'foreign engine', ["this model's engine"]);
      } finally {
        foreign.dispose();
      }
      const after = await weightsOf(m);
      before.forEach((w, i) => expectClose(after[i]!, w, { rtol: 0, atol: 0, label: `parameter ${i} unchanged` }));
    } finally {
      for (const t of [x, y, wrongX, shortY]) t.dispose();
      m.dispose();
    }
  });
});
