// Gradient checks of the model layer: for tiny networks covering every layer kind (dense
// fused with each activation, fixed and learned-α scaled sigmoids, fused and standalone,
// a leading parameter-free activation) and every loss (including sigmoid fused into binary
// cross-entropy), the network's full backward (Network.forward → engine.lossGrad →
// Network.backward) on the CPU backend is compared with central finite differences of a
// float64 host re-implementation of forward + loss; then the WebGPU backward is compared
// with the CPU one.
import { describe, expect, it } from 'vitest';
import { type Engine, type LayerSpec, type LossKind } from '../../src/index.js';
import { dense, identity, leakyRelu, relu, sigmoid, tanh } from '../../src/nn/index.js';
import { Network } from '../../src/nn/network.js';
import { useEngines } from '../helpers/engines.js';
import { expectClose } from '../helpers/expectClose.js';
import { finiteDiffGrad } from '../helpers/reference.js';
import { rng } from '../helpers/rng.js';
import { refForward, refLoss, type RefParams } from './reference-net.js';

interface Case {
  name: string;
  layers: LayerSpec[];
  loss: LossKind;
  /** The final sigmoid is fused into binaryCrossEntropy. */
  logits?: boolean;
}

const CASES: Case[] = [
  { name: 'dense+sigmoid, mse', layers: [dense(3, 4), sigmoid(), dense(4, 2)], loss: 'mse' },
  { name: 'dense+sigmoid(α=2 fixed), mse', layers: [dense(3, 4), sigmoid({ alpha: 2 }), dense(4, 2)], loss: 'mse' },
  { name: 'dense+relu, mse', layers: [dense(3, 4), relu(), dense(4, 2)], loss: 'mse' },
  { name: 'dense+leakyRelu(0.1), mse', layers: [dense(3, 4), leakyRelu(0.1), dense(4, 2)], loss: 'mse' },
  { name: 'dense+tanh, mse', layers: [dense(3, 4), tanh(), dense(4, 2)], loss: 'mse' },
  { name: 'dense+identity, mse', layers: [dense(3, 4), identity(), dense(4, 2)], loss: 'mse' },
  {
    name: 'learned α after dense (hidden and output): dW, db, dα',
    layers: [dense(3, 4), sigmoid({ alpha: 1.5, learnAlpha: true }), dense(4, 2), sigmoid({ alpha: 0.7, learnAlpha: true })],
    loss: 'mse',
  },
  {
    name: 'standalone learned-α sigmoid after tanh, deep sigmoid stack',
    layers: [dense(3, 4), tanh(), sigmoid({ alpha: 1.2, learnAlpha: true }), dense(4, 4), sigmoid(), dense(4, 2)],
    loss: 'mse',
  },
  { name: 'leading parameter-free activation', layers: [tanh(), dense(3, 4), sigmoid(), dense(4, 2)], loss: 'mse' },
  { name: 'binaryCrossEntropy on logits', layers: [dense(3, 4), sigmoid(), dense(4, 2)], loss: 'binaryCrossEntropy' },
  {
    name: 'binaryCrossEntropy with the final sigmoid fused',
    layers: [dense(3, 4), relu(), dense(4, 1), sigmoid()], loss: 'binaryCrossEntropy', logits: true,
  },
  { name: 'softmaxCrossEntropy', layers: [dense(3, 5), sigmoid({ learnAlpha: true }), dense(5, 3)], loss: 'softmaxCrossEntropy' },
];

const ROWS = 5;

function caseData(c: Case, seed: number): { params: Map<string, Float32Array>; x: Float32Array; y: Float32Array; outputs: number } {
  const r = rng(seed);
  const net = new Network(null as unknown as Engine, c.layers); // parameter slots only
  const params = new Map<string, Float32Array>();
  for (const p of net.params) {
    const size = p.shape.length === 1 ? p.shape[0] : p.shape[0] * p.shape[1];
    params.set(p.name, p.name.endsWith('.alpha') ? r.uniform(1, 0.6, 1.8) : r.uniform(size, -1, 1));
  }
  const inputs = c.layers.find((l) => l.kind === 'dense')!;
  const last = [...c.layers].reverse().find((l) => l.kind === 'dense')!;
  const d = inputs.kind === 'dense' ? inputs.inputs : 0;
  const outputs = last.kind === 'dense' ? last.units : 0;
  const x = r.uniform(ROWS * d, -2, 2);
  let y: Float32Array;
  if (c.loss === 'mse') y = r.uniform(ROWS * outputs, -1, 1);
  else if (c.loss === 'binaryCrossEntropy') y = Float32Array.from({ length: ROWS * outputs }, () => (r.next() < 0.5 ? 0 : 1));
  else {
    y = new Float32Array(ROWS * outputs);
    for (let i = 0; i < ROWS; i++) y[i * outputs + r.int(0, outputs)] = 1;
  }
  return { params, x, y, outputs };
}

/** Loss and gradients (by parameter name) of the network's own backward on `engine`. */
async function engineGrads(engine: Engine, c: Case, seed: number): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const { params, x, y, outputs } = caseData(c, seed);
  const net = new Network(engine, c.layers);
  for (const p of net.params) p.tensor = engine.tensor(params.get(p.name)!, p.shape);
  const xt = engine.tensor(x, [ROWS, x.length / ROWS]);
  const yt = engine.tensor(y, [ROWS, outputs]);
  try {
    const out = net.forward(xt, { train: true, logits: c.logits === true });
    const { loss, grad } = engine.lossGrad(c.loss, out, yt);
    const g = net.backward(grad, { logits: c.logits === true, weightNorms: true });
    const grads = new Map<string, Float32Array>();
    for (let i = 0; i < net.params.length; i++) grads.set(net.params[i]!.name, await g.grads[i]!.read());
    // The reported ‖dW‖² match the weight gradients.
    const denseWeights = net.params.filter((p) => p.name.endsWith('.weight'));
    for (let i = 0; i < denseWeights.length; i++) {
      const w = grads.get(denseWeights[i]!.name)!;
      const sq = w.reduce((s, v) => s + v * v, 0);
      expectClose(await g.weightSqNorms[i]!.read(), [sq], { rtol: 1e-5, atol: 1e-12, label: `${c.name}: ‖dW${i}‖²` });
    }
    const lossValue = (await loss.read())[0]!;
    for (const t of [loss, grad, ...g.grads, ...g.weightSqNorms]) t?.dispose();
    net.releaseCaches();
    return { loss: lossValue, grads };
  } finally {
    xt.dispose();
    yt.dispose();
    for (const p of net.params) p.tensor.dispose();
  }
}

function refLossOf(c: Case, params: RefParams, x: Float32Array, y: Float32Array): number {
  const { out, cols } = refForward(c.layers, params, x, ROWS, c.logits === true);
  return refLoss(c.loss, out, y, ROWS, cols);
}

const engines = useEngines();

describe('model backward vs float64 finite differences (CPU)', () => {
  CASES.forEach((c, k) => {
    it(c.name, async () => {
      const seed = 100 + k;
      const { params, x, y } = caseData(c, seed);
      const ref: RefParams = new Map([...params].map(([n, v]) => [n, Float64Array.from(v)]));
      const { loss, grads } = await engineGrads(engines.cpu, c, seed);
      expectClose([loss], [refLossOf(c, ref, x, y)], { rtol: 1e-5, atol: 1e-7, label: `${c.name}: loss` });
      expect([...grads.keys()]).toEqual([...params.keys()]);
      for (const [name, value] of params) {
        const fd = finiteDiffGrad((v) => {
          const p = new Map(ref);
          p.set(name, v);
          return refLossOf(c, p, x, y);
        }, value);
        expectClose(grads.get(name)!, fd, { rtol: 1e-3, atol: 2e-6, label: `${c.name}: ∂L/∂${name}` });
      }
    });
  });
});

describe('model backward: WebGPU vs CPU', () => {
  it('every case gives the same loss and gradients on both backends', async () => {
    for (const [k, c] of CASES.entries()) {
      const seed = 100 + k;
      const a = await engineGrads(engines.cpu, c, seed);
      const b = await engineGrads(engines.gpu, c, seed);
      expectClose([b.loss], [a.loss], { rtol: 1e-5, atol: 1e-7, label: `${c.name}: loss` });
      for (const [name, g] of a.grads) {
        expectClose(b.grads.get(name)!, g, { rtol: 1e-4, atol: 1e-6, label: `${c.name}: ${name} (webgpu vs engines.cpu)` });
      }
    }
  });
});
