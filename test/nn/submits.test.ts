// The training loop's contract with the GPU, measured on a WebGPU device whose queue and
// buffers are instrumented: exactly ONE queue submission per training step, NO readback
// (mapAsync) inside an epoch, and one readback per epoch (the packed statistics) — with
// step-loss recording on as well.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { acquireDevice } from '../../src/webgpu/device.js';
import { adam, dense, sequential, sigmoid } from '../../src/nn/index.js';
import { blobs } from './data-helpers.js';

let device: GPUDevice;
let engine: Engine;
const counts = { submits: 0, maps: 0 };

beforeAll(async () => {
  device = (await acquireDevice()).device;
  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (buffers: Iterable<GPUCommandBuffer>): undefined => {
    counts.submits++;
    return submit(buffers);
  };
  const proto = (globalThis as unknown as { GPUBuffer: { prototype: GPUBuffer } }).GPUBuffer.prototype;
  const mapAsync = proto.mapAsync;
  proto.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
    counts.maps++;
    return mapAsync.apply(this, args);
  };
  engine = await createEngine({ device, log: null });
});
afterAll(() => {
  engine?.destroy();
  device?.destroy();
});

it('one submission per training step, no readback inside an epoch, one per epoch', async () => {
  const d = blobs(1, 100, 6, 3);
  const m = sequential(engine, [dense(6, 8), sigmoid({ learnAlpha: true }), dense(8, 3)], { seed: 1 });
  try {
    m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
    expect(device.queue.submit).not.toBe(undefined);
    const perStep: { submits: number; maps: number }[] = [];
    const epochStart: { submits: number; maps: number }[] = [];
    let last = { ...counts };
    const h = await m.fit(d.x, d.labels, {
      epochs: 3, batchSize: 10, recordStepLosses: true,
      onBatchEnd: (b) => {
        if (b.step === 0) epochStart.push({ submits: counts.submits - last.submits, maps: counts.maps - last.maps });
        else perStep.push({ submits: counts.submits - last.submits, maps: counts.maps - last.maps });
        last = { ...counts };
      },
      onEpochEnd: () => {
        last = { ...counts };
      },
    });
    expect(h.stepLosses).toHaveLength(30);
    // Steps 1..9 of each epoch: exactly one submission and no map each.
    expect(perStep).toHaveLength(27);
    for (const s of perStep) expect(s).toEqual({ submits: 1, maps: 0 });
    // Step 0 may also carry the epoch's one small upload of the shuffle (a write, not a
    // submit of its own) — still one submission, no map. Before epoch 0, fit reads the
    // training state once for its device-loss host copy (src/nn/recovery.ts): one submit
    // and one map at the start of fit; later copies ride in each epoch's stats readback.
    expect(epochStart[0]).toEqual({ submits: 2, maps: 1 });
    for (const s of epochStart.slice(1)) expect(s).toEqual({ submits: 1, maps: 0 });
    // The epoch ends with exactly one readback (plus the one host copy at the start of fit).
    let before = { ...counts };
    await m.fit(d.x, d.labels, { epochs: 1, batchSize: 100 });
    expect(counts.maps - before.maps).toBe(2);
    before = { ...counts };
    await m.fit(d.x, d.labels, { epochs: 3, batchSize: 100 });
    expect(counts.maps - before.maps).toBe(1 + 3);
    before = { ...counts };
    await m.fit(d.x, d.labels, { epochs: 3, batchSize: 100, recovery: false });
    expect(counts.maps - before.maps).toBe(3);
  } finally {
    m.dispose();
  }
});
