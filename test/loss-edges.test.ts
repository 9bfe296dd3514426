// Losses and accuracy at the edges, through the model API on both backends (the op-level
// checks are cases of test/cases/ops.ts): a NaN target reaches evaluate's loss; a NaN
// output is never counted correct by evaluate or by fit's epoch accuracy.
import { describe, expect, it } from 'vitest';
import { type Engine, type LossKind } from '../src/index.js';
import { dense, sequential, sgd } from '../src/nn/index.js';
import { useEngines } from './helpers/engines.js';

const engines = useEngines();
const bothEngines = (): [string, Engine][] => [['cpu', engines.cpu], ['webgpu', engines.gpu]];

describe('NaN targets', () => {
  it('evaluate with a NaN in a softmax cross-entropy target gives a NaN loss on both backends', async () => {
    const x = [[0.5, -1], [1, 2], [-0.3, 0.7]];
    const y = [[1, 0, 0], [0, 1, 0], [Number.NaN, 0, 1]];
    for (const [name, e] of bothEngines()) {
      const m = sequential(e, [dense(2, 3)], { seed: 1 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy' });
        const r = await m.evaluate(x, y, { allowNonFinite: true });
        expect(r.loss, `${name} loss`).toBeNaN();
      } finally {
        m.dispose();
      }
    }
  });
});

// Binary accuracy: binaryCrossEntropy compares logits with 0 ('binary'), mse with one output
// compares outputs with 0.5 ('binaryHalf'). Most labels are 0, the side a NaN output was
// counted correct on.
const BINARY: { loss: LossKind; threshold: number }[] = [
  { loss: 'binaryCrossEntropy', threshold: 0 },
  { loss: 'mse', threshold: 0.5 },
];
const GRID_X: number[][] = [];
const GRID_Y: number[] = [];
for (let i = 0; i < 64; i++) {
  GRID_X.push([(i % 8) / 4 - 1, Math.floor(i / 8) / 4 - 1]);
  GRID_Y.push(i % 4 === 0 ? 1 : 0);
}

describe('NaN outputs are never correct', () => {
  for (const { loss, threshold } of BINARY) {
    it(`${loss}: evaluate counts the rows with a NaN input (NaN output) as wrong, on both backends`, async () => {
      const x = GRID_X.slice(0, 16).map((r) => [...r]);
      const nanRows = [1, 2, 5, 8, 13];
      for (const r of nanRows) x[r]![1] = Number.NaN;
      const y = GRID_Y.slice(0, 16);
      for (const [name, e] of bothEngines()) {
        const m = sequential(e, [dense(2, 1)], { seed: 4 });
        try {
          m.compile({ loss, metrics: ['accuracy'] });
          const p = await (await m.predict(x, { allowNonFinite: true })).readAndDispose();
          expect(nanRows.every((r) => Number.isNaN(p[r]!)), `${name}: NaN outputs in the NaN rows`).toBe(true);
          let correct = 0;
          p.forEach((v, i) => {
            if (!Number.isNaN(v) && (v > threshold) === (y[i]! > 0.5)) correct++;
          });
          const r = await m.evaluate(x, y, { allowNonFinite: true });
          expect(r.accuracy, `${name} accuracy`).toBeCloseTo(correct / 16, 12);
        } finally {
          m.dispose();
        }
      }
    });

    it(`${loss}: a diverged fit (weights NaN) reports accuracy 0, not the share of label 0`, async () => {
      for (const [name, e] of bothEngines()) {
        const m = sequential(e, [dense(2, 4), dense(4, 1)], { seed: 0 });
        try {
          m.compile({ loss, optimizer: sgd({ lr: 1e38 }), metrics: ['accuracy'] });
          // The first step overflows the weights; every output after it is NaN.
          const h = await m.fit(GRID_X, GRID_Y, { epochs: 3, batchSize: 16, shuffle: false });
          const p = await (await m.predict(GRID_X)).readAndDispose();
          expect(p.every(Number.isNaN), `${name}: the model diverged`).toBe(true);
          expect(h.accuracy!.slice(1), `${name} epoch accuracy after divergence`).toEqual([0, 0]);
          expect((await m.evaluate(GRID_X, GRID_Y)).accuracy, `${name} evaluate accuracy`).toBe(0);
        } finally {
          m.dispose();
        }
      }
    });
  }

  it('softmaxCrossEntropy: evaluate counts the rows with a NaN output as wrong, narrow and wide rows, on both backends', async () => {
    // 8 classes (a thread per row) and 70 (a workgroup per row). Each finite row is labelled
    // with the model's own prediction (correct); the NaN rows with 0, the class an argmax scan
    // of an all-NaN row lands on.
    for (const classes of [8, 70]) {
      const x = GRID_X.slice(0, 12).map((r) => [...r]);
      const nanRows = [0, 3, 7];
      for (const r of nanRows) x[r]![0] = Number.NaN;
      for (const [name, e] of bothEngines()) {
        const m = sequential(e, [dense(2, classes)], { seed: 2 });
        try {
          m.compile({ loss: 'softmaxCrossEntropy' });
          const p = await (await m.predict(x, { allowNonFinite: true })).readAndDispose();
          const labels = x.map((_, r) => {
            const row = Array.from(p.subarray(r * classes, (r + 1) * classes));
            expect(row.some(Number.isNaN), `${name}: row ${r} NaN`).toBe(nanRows.includes(r));
            return nanRows.includes(r) ? 0 : row.indexOf(Math.max(...row));
          });
          const r = await m.evaluate(x, labels, { allowNonFinite: true });
          expect(r.accuracy, `${name} accuracy, ${classes} classes`).toBeCloseTo((x.length - nanRows.length) / x.length, 12);
        } finally {
          m.dispose();
        }
      }
    }
  });
});
