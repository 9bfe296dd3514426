// sigmoid-core (this library, from source) on WebGPU or on its CPU backend.
// Sync: engine.sync() (waits for every submitted command buffer; a GPU validation or
// out-of-memory error makes it throw). The MLP step is model.trainStep(x, y) on resident
// tensors (one queue submission); it is synchronised by reading its [1] loss, which comes
// after the whole step in the queue.
import { buildInfo } from '../build.js';
import type { CaseData } from '../cases.js';
import {
  createEngine, dense, describeAdapter, encodeSafetensors, type Engine, sequential, sgd, sigmoid, type Tensor, type TilingChoice,
} from '../../src/index.js';
import type { Peer, PeerCase } from './types.js';

/** "sigmoid-core 0.1.0 (source, commit abc1234)", as far as the build knows. */
function sigmoidCoreLibrary(): string {
  const b = buildInfo();
  if (b === null) return 'sigmoid-core (source)';
  return `sigmoid-core ${b.sigmoidCore} (source${b.commit === null ? '' : `, commit ${b.commit.slice(0, 7)}${b.dirty ? ' with changes' : ''}`})`;
}

/** `tiling` picks the WebGPU kernel family (default 'auto'; see src/webgpu/tiling.ts). */
export function sigmoidCorePeer(backend: 'webgpu' | 'cpu', tiling: TilingChoice = 'auto'): Peer {
  let engine: Engine | null = null;
  return {
    id: `sigmoid-core-${backend}`,
    async init() {
      engine = await createEngine({ backend, tiling, log: null });
      return {
        library: sigmoidCoreLibrary(),
        device: engine.adapterInfo
          ? `WebGPU: ${describeAdapter(engine.adapterInfo)}, ${engine.tiling}-tiled kernels`
          : 'CPU (Float32Array, one thread)',
        details: { adapter: engine.adapterInfo, tiling: engine.tiling, limits: engine.limits },
      };
    },
    async enter() {}, // each backend has an engine of its own
    async prepare(data) {
      if (!engine) throw new Error('init() first');
      const c = prepare(engine, data);
      await engine.sync();
      return c;
    },
    async destroy() {
      engine?.destroy();
      engine = null;
    },
  };
}

function prepare(e: Engine, d: CaseData): PeerCase {
  const inputs: Tensor[] = [];
  const up = (v: Float32Array, shape: [number] | [number, number]) => {
    const t = e.tensor(v, shape);
    inputs.push(t);
    return t;
  };
  const op = (record: () => Tensor): PeerCase => ({
    async run() {
      const out = record();
      await e.sync();
      return out;
    },
    read: (out) => (out as Tensor).read(),
    free: (out) => (out as Tensor).dispose(),
    dispose: () => inputs.forEach((t) => t.dispose()),
  });
  switch (d.kind) {
    case 'matmul': {
      const a = up(d.a, [d.n, d.n]);
      const b = up(d.b, [d.n, d.n]);
      return op(() => e.matmul(a, b));
    }
    case 'sigmoid': {
      const x = up(d.x, [d.n]);
      return op(() => e.sigmoid(x));
    }
    case 'gram': {
      const x = up(d.x, [d.n, d.d]);
      const y = up(d.y, [d.m, d.d]);
      return op(() => e.gram(x, y, { kernel: 'sigmoid', gamma: d.gamma, coef0: d.coef0 }));
    }
    case 'mlp': {
      const layers = [];
      for (let l = 0; l + 1 < d.widths.length; l++) {
        layers.push(dense(d.widths[l]!, d.widths[l + 1]!));
        if (l + 2 < d.widths.length) layers.push(sigmoid());
      }
      const model = sequential(e, layers);
      // The shared initial weights, through the public safetensors loader.
      const dense_ = model.denseLayers;
      model.load(encodeSafetensors(dense_.flatMap((layer, l) => [
        { name: `layers.${layer}.weight`, shape: [d.widths[l]!, d.widths[l + 1]!], data: d.weights[l]! },
        { name: `layers.${layer}.bias`, shape: [d.widths[l + 1]!], data: d.biases[l]! },
      ])));
      model.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: d.lr }), metrics: [] });
      const x = up(d.x, [d.batch, d.widths[0]!]);
      const y = up(d.y, [d.batch, d.widths[d.widths.length - 1]!]);
      const weights = dense_.map((layer) => `layers.${layer}.weight`);
      return {
        async run() {
          const loss = model.trainStep(x, y);
          await loss.read(); // the loss comes after the whole step (update included) in the queue
          return loss;
        },
        async read(out) {
          const params = new Map(model.parameters().map((p) => [p.name, p.tensor]));
          const parts = [await (out as Tensor).read(), ...(await Promise.all(weights.map((n) => params.get(n)!.read())))];
          return concat(parts);
        },
        free: (out) => (out as Tensor).dispose(),
        dispose: () => {
          inputs.forEach((t) => t.dispose());
          model.dispose();
        },
      };
    }
  }
}

export function concat(parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
