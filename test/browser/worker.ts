// The module Worker of test/browser/worker.html: the BUILT library inside a DedicatedWorker
// (no window, no document; navigator.gpu is the worker's own). On WebGPU and on the CPU it
// computes a sigmoid-kernel Gram matrix, trains XOR and fits a Nyström map (whose
// eigendecomposition loads ml-matrix's lazy chunk inside the worker), and posts the results
// to the page (worker-data.ts).
import * as lib from 'sigmoid-core';
import { describeError } from '../../tools/describe-error.js';
import { WORKER_GRAM, WORKER_NYSTROEM, WORKER_XOR, type WorkerBackendResult, type WorkerBackendRun, type WorkerMessage, workerInputs } from './worker-data.js';

function post(m: WorkerMessage): void {
  self.postMessage(m);
}

async function runBackend(backend: 'webgpu' | 'cpu', seed: number): Promise<WorkerBackendRun> {
  const e = await lib.createEngine({ backend, log: null, poisonOutputs: true });
  try {
    const input = workerInputs(seed);
    const g = WORKER_GRAM;
    const x = e.tensor(input.gramX, [g.n, g.d]);
    const y = e.tensor(input.gramY, [g.m, g.d]);
    const gram = await e.gram(x, y, { kernel: 'sigmoid', gamma: g.gamma, coef0: g.coef0 }).readAndDispose();
    x.dispose();
    y.dispose();

    const t = WORKER_XOR;
    const model = lib.sequential(e, [lib.dense(2, t.hidden), lib.sigmoid(), lib.dense(t.hidden, 1), lib.sigmoid()], { seed: 0 });
    let xorOutputs: number[];
    let xorLoss: [number, number];
    try {
      model.compile({ loss: 'mse', optimizer: lib.adam({ lr: t.lr }) });
      const inputs = t.inputs.map((row) => [...row]);
      const history = await model.fit(inputs, [...t.targets], { epochs: t.epochs, batchSize: 4, shuffle: false });
      xorLoss = [history.loss[0]!, history.loss[history.loss.length - 1]!];
      xorOutputs = Array.from(await (await model.predict(inputs)).readAndDispose());
    } finally {
      model.dispose();
    }

    const n = WORKER_NYSTROEM;
    const data = { rows: n.n, cols: n.d, data: input.nystroemX };
    const ny = await lib.nystroem(e, data, { kernel: 'rbf', gamma: n.gamma, components: n.n, seed: 1 });
    const z = await ny.transform(e, data);
    return {
      backend,
      adapter: e.adapterInfo ? lib.describeAdapter(e.adapterInfo) : null,
      error: null,
      gram: Array.from(gram),
      xorOutputs,
      xorLoss,
      z: Array.from(z.data),
      zCols: z.cols,
      liveTensors: e.memory().liveTensors,
    };
  } finally {
    e.destroy();
  }
}

self.onmessage = async (ev: MessageEvent<{ seed: number }>) => {
  try {
    for (const backend of ['webgpu', 'cpu'] as const) {
      const result = await runBackend(backend, ev.data.seed).catch((err: unknown): WorkerBackendResult => ({ backend, error: describeError(err) }));
      post({ kind: 'result', result });
    }
    post({ kind: 'done' });
  } catch (err) {
    post({ kind: 'error', message: describeError(err) });
  }
};
