// Losses and accuracy at the edges, through the model API on both backends (the op-level
// checks are cases of test/cases/ops.ts): a NaN target reaches evaluate's loss.
import { describe, expect, it } from 'vitest';
import { type Engine } from '../src/index.js';
import { dense, sequential } from '../src/nn/index.js';
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
