// jax-js on its webgpu or wasm device. Arrays are reference-counted (every call consumes
// its arguments, hence the `.ref`s) and lazy. Sync: `await out.blockUntilReady()`, which
// dispatches the pending work and waits until it has executed. The Gram matrix and the MLP
// step are jit-compiled (jax-js fuses them into few kernels); the step is valueAndGrad of
// the mean softmax cross-entropy plus a manual SGD update (w − lr·g) on resident arrays,
// synchronised with blockUntilReady on the loss and every new parameter.
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { withVersion } from '../build.js';
import type { CaseData } from '../cases.js';
import { concat } from './sigmoid-core.js';
import type { Peer, PeerCase } from './types.js';
import { webgpuAbsentReason } from './webgpu-absent.js';

type Device = 'webgpu' | 'wasm';

export function jaxPeer(device: Device): Peer {
  return {
    id: `jax-${device}`,
    async init() {
      const got = await init(device);
      if (!got.includes(device)) {
        const absent = device === 'webgpu' ? await webgpuAbsentReason() : null;
        throw new Error(`jax-js init('${device}') did not start that device (got [${got.join(', ')}])${absent === null ? '' : `: ${absent}`}`);
      }
      return { library: withVersion('@jax-js/jax'), device: `jax device '${device}'` };
    },
    async enter() {
      defaultDevice(device); // where arrays made without a device (the jitted code's constants) go
    },
    prepare: async (d) => prepare(d, device),
    async destroy() {},
  };
}

type Params = { w: np.Array[]; b: np.Array[] };

function prepare(d: CaseData, device: Device): PeerCase {
  const inputs: np.Array[] = [];
  const up = (v: Float32Array, shape: number[]) => {
    const a = np.array(v, { shape, device });
    inputs.push(a);
    return a;
  };
  const op = (record: () => np.Array, extra: () => void = () => {}): PeerCase => ({
    async run() {
      const out = record();
      await out.blockUntilReady();
      return out;
    },
    read: async (out) => Float32Array.from((await (out as np.Array).data()) as Float32Array), // data() consumes out
    free: () => {},
    dispose: () => {
      inputs.forEach((a) => a.dispose());
      extra();
    },
  });
  switch (d.kind) {
    case 'matmul': {
      const a = up(d.a, [d.n, d.n]);
      const b = up(d.b, [d.n, d.n]);
      return op(() => np.matmul(a.ref, b.ref));
    }
    case 'sigmoid': {
      const x = up(d.x, [d.n]);
      return op(() => nn.sigmoid(x.ref));
    }
    case 'gram': {
      const x = up(d.x, [d.n, d.d]);
      const y = up(d.y, [d.m, d.d]);
      const { gamma, coef0 } = d;
      const gram = jit((x: np.Array, y: np.Array) => np.tanh(np.matmul(x, y.transpose()).mul(gamma).add(coef0)));
      return op(() => gram(x.ref, y.ref), () => gram.dispose());
    }
    case 'mlp': {
      const L = d.weights.length;
      const x = up(d.x, [d.batch, d.widths[0]!]);
      const y = up(d.y, [d.batch, d.widths[L]!]);
      let params: Params = {
        w: d.weights.map((w, l) => np.array(w, { shape: [d.widths[l]!, d.widths[l + 1]!], device })),
        b: d.biases.map((b) => np.array(b, { shape: [b.length], device })),
      };
      const { lr, batch } = d;
      const lossFn = (p: Params, x: np.Array, y: np.Array): np.Array => {
        let h = x;
        for (let l = 0; l < L; l++) {
          const z = np.matmul(h, p.w[l]!).add(p.b[l]!);
          h = l < L - 1 ? nn.sigmoid(z) : z;
        }
        return np.sum(y.mul(nn.logSoftmax(h, -1))).mul(-1 / batch);
      };
      const step = jit((p: Params, x: np.Array, y: np.Array) => {
        const [loss, g] = valueAndGrad(lossFn)(tree.ref(p), x, y);
        const next = tree.map((w: np.Array, gw: np.Array) => w.sub(gw.mul(lr)), p, g as Params);
        return [loss, next] as [np.Array, Params];
      });
      return {
        async run() {
          const [loss, next] = step(params, x.ref, y.ref); // consumes the old parameters
          params = next;
          await blockUntilReady([loss, params]);
          return loss;
        },
        async read(out) {
          const parts = [await (out as np.Array).data(), ...(await Promise.all(params.w.map((w) => w.ref.data())))];
          return concat(parts as Float32Array[]);
        },
        free: () => {},
        dispose: () => {
          inputs.forEach((a) => a.dispose());
          tree.dispose(params);
          step.dispose();
        },
      };
    }
  }
}
