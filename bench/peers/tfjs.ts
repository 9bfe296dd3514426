// TensorFlow.js (tfjs-core + the webgpu, wasm and cpu backends, switched with tf.setBackend).
// Sync: a run ends with `await t.data()` on a one-element slice of its output (the slice
// depends on the output, and reading it flushes TF.js's command queue and waits for the GPU
// to finish), so the whole output is not read back inside the timed region; on wasm/cpu the
// kernels run synchronously anyway. The MLP step is optimizer.minimize() (tf.train.sgd) on
// tf.variable weights with the batch in resident tensors; it returns the loss, and
// `await loss.data()` waits for the step (the update was queued before the read).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { withVersion } from '../build.js';
import type { CaseData } from '../cases.js';
import { concat } from './sigmoid-core.js';
import type { Peer, PeerCase } from './types.js';
import { webgpuAbsentReason } from './webgpu-absent.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

export function tfjsPeer(backend: 'webgpu' | 'wasm' | 'cpu'): Peer {
  return {
    id: `tfjs-${backend}`,
    async init() {
      await setBackendOrExplain(backend);
      await tf.ready();
      const details: Record<string, unknown> = {};
      if (backend === 'wasm') {
        details.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        details.threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      }
      if (backend === 'webgpu') {
        const be = tf.backend() as unknown as { adapterInfo?: unknown };
        details.adapterInfo = be.adapterInfo ?? null;
      }
      return { library: `@tensorflow/tfjs-core ${tf.version_core}, ${withVersion(`@tensorflow/tfjs-backend-${backend}`)}`, device: `tf.setBackend('${backend}')`, details };
    },
    async enter() {
      // Another TF.js backend may be current (its init(), or its last run). A tensor of one
      // backend used while another is current is copied over by TF.js, so every run needs this.
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
    },
    prepare: async (d) => prepare(d),
    async destroy() {
      tf.disposeVariables();
    },
  };
}

/**
 * tf.setBackend(backend), throwing the reason when it fails: a backend whose module did not
 * register it, or one whose initialisation failed, which TF.js only logs (console.warn: a
 * line saying so, then the error's stack) before it resolves false; for webgpu, first why
 * there is no WebGPU here, if there is none.
 */
async function setBackendOrExplain(backend: 'webgpu' | 'wasm' | 'cpu'): Promise<void> {
  if (tf.findBackendFactory(backend) === null) {
    // tfjs-backend-webgpu registers itself only when navigator.gpu exists as it loads.
    throw new Error(`TF.js has no ${backend} backend registered${backend === 'webgpu' ? `: ${(await webgpuAbsentReason()) ?? 'navigator.gpu was missing when it loaded'}` : ''}`);
  }
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warned.push(args.map(String).join(' '));
    warn.apply(console, args);
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend);
  } finally {
    console.warn = warn;
  }
  if (ok) return;
  const why = warned
    .filter((line) => !line.startsWith('Initialization of backend'))
    .map((line) => line.split('\n')[0]!.trim())
    .filter((line) => line !== '');
  // TF.js reads the adapter without checking it, so a missing one shows as a TypeError.
  const absent = backend === 'webgpu' ? await webgpuAbsentReason() : null;
  if (absent !== null) why.unshift(absent);
  throw new Error(`tf.setBackend('${backend}') failed${why.length > 0 ? `: ${why.join('; ')}` : ' and TF.js gave no reason'}`);
}

/** Waits until `t` has been computed, reading back one element that depends on it. */
async function sync(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), 0, 1));
  await one.data();
  one.dispose();
}

function prepare(d: CaseData): PeerCase {
  const inputs: tf.Tensor[] = [];
  const up = <T extends tf.Tensor>(t: T): T => {
    inputs.push(t);
    return t;
  };
  const op = (record: () => tf.Tensor): PeerCase => ({
    async run() {
      const out = record();
      await sync(out);
      return out;
    },
    read: async (out) => (await (out as tf.Tensor).data()) as Float32Array,
    free: (out) => (out as tf.Tensor).dispose(),
    dispose: () => inputs.forEach((t) => t.dispose()),
  });
  switch (d.kind) {
    case 'matmul': {
      const a = up(tf.tensor2d(d.a, [d.n, d.n]));
      const b = up(tf.tensor2d(d.b, [d.n, d.n]));
      return op(() => tf.matMul(a, b));
    }
    case 'sigmoid': {
      const x = up(tf.tensor1d(d.x));
      return op(() => tf.sigmoid(x));
    }
    case 'gram': {
      const x = up(tf.tensor2d(d.x, [d.n, d.d]));
      const y = up(tf.tensor2d(d.y, [d.m, d.d]));
      return op(() => tf.tidy(() => tf.tanh(tf.add(tf.mul(tf.matMul(x, y, false, true), d.gamma), d.coef0))));
    }
    case 'mlp': {
      const L = d.weights.length;
      const ws = d.weights.map((w, l) => tf.variable(tf.tensor2d(w, [d.widths[l]!, d.widths[l + 1]!])));
      const bs = d.biases.map((b) => tf.variable(tf.tensor1d(b)));
      const x = up(tf.tensor2d(d.x, [d.batch, d.widths[0]!]));
      const y = up(tf.tensor2d(d.y, [d.batch, d.widths[L]!]));
      const opt = tf.train.sgd(d.lr);
      const loss = () => {
        let h: tf.Tensor2D = x;
        for (let l = 0; l < L; l++) {
          const z = tf.add(tf.matMul(h, ws[l]!), bs[l]!) as tf.Tensor2D;
          h = l < L - 1 ? tf.sigmoid(z) : z;
        }
        return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
      };
      return {
        async run() {
          const l = opt.minimize(loss, true)!;
          await l.data();
          return l;
        },
        read: async (out) => concat([await (out as tf.Tensor).data(), ...(await Promise.all(ws.map((w) => w.data())))]),
        free: (out) => (out as tf.Tensor).dispose(),
        dispose: () => {
          inputs.forEach((t) => t.dispose());
          [...ws, ...bs].forEach((v) => v.dispose());
          opt.dispose();
        },
      };
    }
  }
}
