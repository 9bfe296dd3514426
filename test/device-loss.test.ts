// Device loss: ops on a lost engine fail at once with GPUOpError 'device-lost' (never hang),
// engine.recover() gives the engine a new backend, and fit survives a device destroyed
// mid-epoch: it restores the last host copy of the training state on a new device (or the
// CPU), re-runs the interrupted epoch and records the event, ending where an undisturbed
// run ends.

import { describe, expect, it } from 'vitest';
import {
  adam, createEngine, dense, DisposedError, type Engine, GPUOpError, type History, KernelClassifier, nystroem, RecoveryFailedError, Sequential,
  sequential, sigmoid, SVC,
} from '../src/index.js';
import { blobs } from './nn/data-helpers.js';

const PROMPT_MS = 5_000;

/** `p`, or a rejection after `ms` (a hang is a failure, not a timeout of the whole test). */
function within<T>(p: Promise<T>, ms = PROMPT_MS): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms (hang)`)), ms)),
  ]);
}

async function gpuEngine(): Promise<Engine> {
  return createEngine({ backend: 'webgpu', log: null });
}

async function destroyDevice(e: Engine): Promise<void> {
  const device = e.gpuDevice;
  expect(device).not.toBeNull();
  device!.destroy();
  await within(device!.lost);
}

function expectDeviceLost(err: unknown): void {
  expect(err).toBeInstanceOf(GPUOpError);
  expect((err as GPUOpError).kind).toBe('device-lost');
  expect((err as GPUOpError).message).toMatch(/lost/);
}

/** destroy() while `recovering` runs: it rejects with DisposedError, and the engine stays destroyed with no device. */
async function destroyWhileRecovering(e: Engine, recovering: Promise<unknown>): Promise<void> {
  e.destroy();
  await within(recovering).then(() => expect.unreachable(), (err: unknown) => {
    expect(err).toBeInstanceOf(DisposedError);
    expect((err as Error).message).toMatch(/destroyed while it was recovering/);
  });
  expect(() => e.backend).toThrow(DisposedError);
  expect(e.gpuDevice).toBeNull();
  expect(() => e.tensor([1, 2])).toThrow(DisposedError);
}

describe('a lost device', () => {
  it('makes every op, read() and sync() fail promptly with GPUOpError device-lost', async () => {
    const e = await gpuEngine();
    try {
      const a = e.tensor([[1, 2], [3, 4]]);
      const lost: string[] = [];
      e.onLost = (m) => lost.push(m);
      await destroyDevice(e);
      expect(e.lost).toBe(true);
      expect(lost).toHaveLength(1);
      expect(() => e.matmul(a, a)).toThrow(GPUOpError);
      try {
        e.gram(a);
        expect.unreachable();
      } catch (err) {
        expectDeviceLost(err);
      }
      expect(() => e.tensor([1, 2, 3])).toThrow(GPUOpError);
      await within(a.read()).then(() => expect.unreachable(), expectDeviceLost);
      await within(e.sync()).then(() => expect.unreachable(), expectDeviceLost);
      a.dispose(); // still allowed
    } finally {
      e.destroy();
    }
  });

  it('rejects a read that was waiting when the device went (no hang)', async () => {
    const e = await gpuEngine();
    try {
      const a = e.tensor(new Float32Array(256 * 256).fill(0.5), [256, 256]);
      const c = e.matmul(a, a);
      const pending = c.read();
      e.gpuDevice!.destroy();
      await within(pending).then(
        (v) => expect(v[0]).toBeCloseTo(128, 3), // it may have finished before the loss
        expectDeviceLost,
      );
    } finally {
      e.destroy();
    }
  });

  it('recover() gives a working engine; old tensors are dead and leak nothing', async () => {
    const e = await gpuEngine();
    try {
      const a = e.tensor([[1, 2], [3, 4]]);
      await destroyDevice(e);
      expect(await e.recover()).toBe('webgpu');
      expect(e.lost).toBe(false);
      expect(() => e.matmul(a, a)).toThrow(/lost/);
      await expect(a.read()).rejects.toThrow(GPUOpError);
      a.dispose();
      const b = e.tensor([[1, 2], [3, 4]]);
      const c = e.matmul(b, b);
      expect(Array.from(await c.read())).toEqual([7, 10, 15, 22]);
      b.dispose();
      c.dispose();
      expect(e.memory().liveTensors).toBe(0);
      // A second loss and a forced move to the CPU.
      await destroyDevice(e);
      expect(await e.recover({ backend: 'cpu' })).toBe('cpu');
      expect(e.backend).toBe('cpu');
      const d = e.tensor([2, 3]);
      expect(Array.from(await e.scale(d, 2).read())).toEqual([4, 6]);
    } finally {
      e.destroy();
    }
  });

  it('destroy() while recover() makes the new device: the engine stays destroyed, the recovery rejects (no device left behind)', async () => {
    for (const [backend, to] of [['webgpu', undefined], ['cpu', 'webgpu']] as const) {
      const e = await createEngine({ backend, log: null });
      const recovering = e.recover(to === undefined ? undefined : { backend: to });
      await destroyWhileRecovering(e, recovering);
    }
    // No new device to be had (a device that cannot be used) and no CPU fallback: still DisposedError, not the GPUOpError.
    const e = await gpuEngine();
    const device = e.gpuDevice!;
    const broken = { createBuffer: () => { throw new Error('this device makes no buffers'); }, queue: device.queue, limits: device.limits };
    await expect(e.recover({ device: broken as unknown as GPUDevice, fallbackToCpu: false })).rejects.toThrow(GPUOpError); // without destroy()
    expect(e.backend).toBe('webgpu');
    const recovering = e.recover({ device: broken as unknown as GPUDevice, fallbackToCpu: false });
    await destroyWhileRecovering(e, recovering);
  });

  it('a device passed in by the caller cannot be recreated: recover() moves to the CPU, or fails when told not to', async () => {
    const e = await gpuEngine();
    const device = e.gpuDevice!;
    const mine = await createEngine({ device, log: null });
    try {
      device.destroy();
      await within(device.lost);
      await expect(mine.recover({ fallbackToCpu: false })).rejects.toThrow(GPUOpError);
      expect(mine.lost).toBe(true);
      expect(await mine.recover()).toBe('cpu');
      const t = mine.tensor([1, 2]);
      expect(Array.from(await t.read())).toEqual([1, 2]);
    } finally {
      mine.destroy();
      e.destroy();
    }
  });
});

// ---- fit --------------------------------------------------------------------------------

const DATA = blobs(5, 240, 6, 3);
const EPOCHS = 6;

async function train(
  e: Engine, opts: { destroyAt?: { epoch: number; step: number }; destroyAfterEpoch?: number; recovery?: { backend?: 'cpu'; fallbackToCpu?: boolean } | false } = {},
): Promise<{ h: History; weights: Float32Array[]; acc: number; backend: string }> {
  const m = sequential(e, [dense(6, 16), sigmoid(), dense(16, 3)], { seed: 2 });
  try {
    m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.02 }) });
    let destroyed = false;
    const h = await m.fit(DATA.x, DATA.labels, {
      epochs: EPOCHS, batchSize: 24, seed: 4, validationSplit: 0.25,
      ...(opts.recovery !== undefined ? { recovery: opts.recovery } : {}),
      onBatchEnd: ({ epoch, step }) => {
        const at = opts.destroyAt;
        if (at && !destroyed && epoch === at.epoch && step === at.step) {
          destroyed = true;
          e.gpuDevice!.destroy();
        }
      },
      onEpochEnd: async ({ epoch }) => {
        if (opts.destroyAfterEpoch === epoch && !destroyed) {
          destroyed = true;
          const device = e.gpuDevice!;
          device.destroy();
          await device.lost;
        }
      },
    });
    const weights: Float32Array[] = [];
    for (const p of m.parameters()) weights.push(await p.tensor.read());
    const r = await m.evaluate(DATA.x, DATA.labels);
    return { h, weights, acc: r.accuracy!, backend: e.backend };
  } finally {
    m.dispose();
  }
}

type TrainResult = Awaited<ReturnType<typeof train>>;
let reference: Promise<TrainResult> | undefined;

/** train() on a fresh WebGPU engine with no device loss (deterministic: run once, shared). */
function undisturbedRun(): Promise<TrainResult> {
  reference ??= (async () => {
    const e = await gpuEngine();
    try {
      return await train(e);
    } finally {
      e.destroy();
    }
  })();
  return reference;
}

describe('fit survives a device loss', () => {
  it('on a new WebGPU device: all epochs, the event recorded, the same losses as an undisturbed run', async () => {
    const ref = await undisturbedRun();
    expect(ref.h.events).toEqual([]);
    const e = await gpuEngine();
    try {
      const r = await train(e, { destroyAt: { epoch: 2, step: 3 } });
      expect(r.h.epochs).toHaveLength(EPOCHS);
      expect(r.h.events).toHaveLength(1);
      expect(r.h.events![0]).toMatchObject({ epoch: 2, kind: 'device-lost', recoveredOn: 'webgpu' });
      expect(r.h.events![0]!.message).toMatch(/lost/);
      expect(r.backend).toBe('webgpu');
      for (const w of r.weights) expect(w.every(Number.isFinite)).toBe(true);
      // Epochs before the loss are untouched; the re-run epoch starts from the same state.
      expect(r.h.loss.slice(0, 2)).toEqual(ref.h.loss.slice(0, 2));
      for (let i = 2; i < EPOCHS; i++) expect(r.h.loss[i]).toBeCloseTo(ref.h.loss[i]!, 5);
      expect(r.h.loss[EPOCHS - 1]!).toBeLessThan(r.h.loss[0]!);
      expect(r.acc).toBeGreaterThanOrEqual(Math.min(0.95, ref.acc));
      expect(e.memory().liveTensors).toBe(0);
    } finally {
      e.destroy();
    }
  });

  it('two fits on one engine that lose the device together recover it once and both end as undisturbed runs', async () => {
    const ref = await undisturbedRun();
    const e = await gpuEngine();
    const recover = e.recover.bind(e);
    const devices = new Set<unknown>(); // the device each recover() call left the engine on
    e.recover = async (o) => {
      const kind = await recover(o);
      devices.add(e.gpuDevice);
      return kind;
    };
    try {
      const [a, b] = await Promise.all([train(e, { destroyAt: { epoch: 2, step: 3 } }), train(e)]);
      for (const r of [a, b]) {
        expect(r.h.epochs).toHaveLength(EPOCHS);
        expect(r.h.events).toHaveLength(1);
        expect(r.backend).toBe('webgpu');
        for (let i = 0; i < EPOCHS; i++) expect(r.h.loss[i]).toBeCloseTo(ref.h.loss[i]!, 5);
      }
      expect(devices.size).toBe(1); // one new device: the second fit joined the recovery (or found it done)
      expect(e.memory().liveTensors).toBe(0);
    } finally {
      e.destroy();
    }
  });

  it('a loss between epochs (in onEpochEnd) is recovered at the next epoch with the same losses', async () => {
    const ref = await undisturbedRun();
    const e = await gpuEngine();
    try {
      const r = await train(e, { destroyAfterEpoch: 1 });
      expect(r.h.events).toEqual([expect.objectContaining({ epoch: 2, kind: 'device-lost', recoveredOn: 'webgpu' })]);
      expect(r.h.loss).toHaveLength(EPOCHS);
      for (let i = 0; i < EPOCHS; i++) expect(r.h.loss[i]).toBeCloseTo(ref.h.loss[i]!, 5);
    } finally {
      e.destroy();
    }
  });

  it('a loss while an epoch is being checkpointed (after its readback) is recovered', async () => {
    const xor = { x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [[0], [1], [1], [0]] };
    const run = async (lose: boolean): Promise<History> => {
      const e = await gpuEngine();
      const m = sequential(e, [dense(2, 4), sigmoid(), dense(4, 1)], { seed: 0 });
      try {
        m.compile({ loss: 'binaryCrossEntropy', optimizer: adam({ lr: 0.1 }) });
        let bytes = new Uint8Array(0);
        const store = { write: async (b: Uint8Array) => void (bytes = b.slice()), read: async () => bytes };
        if (lose) {
          // The device goes right after epoch 0's stats readback: next comes the checkpoint.
          const read = e.readTensor.bind(e);
          let reads = 0;
          e.readTensor = async (t) => {
            const v = await read(t);
            if (++reads === 2) e.gpuDevice!.destroy();
            return v;
          };
        }
        return await m.fit(xor.x, xor.y, { epochs: 3, batchSize: 4, checkpoint: { every: 1, to: store } });
      } finally {
        m.dispose();
        e.destroy();
      }
    };
    const ref = await run(false);
    const r = await run(true);
    expect(r.events).toEqual([expect.objectContaining({ epoch: 0, kind: 'device-lost' })]);
    expect(r.loss).toEqual(ref.loss);
  });

  it("an error thrown by onBatchEnd reaches the caller even while the device is lost (it is not taken for the loss)", async () => {
    const e = await gpuEngine();
    const m = sequential(e, [dense(6, 4), dense(4, 3)], { seed: 1 });
    try {
      m.compile({ loss: 'softmaxCrossEntropy' });
      const fit = m.fit(DATA.x, DATA.labels, {
        epochs: 2, batchSize: 60,
        onBatchEnd: async ({ epoch, step }) => {
          if (epoch === 1 && step === 0) {
            const d = e.gpuDevice!;
            d.destroy();
            await d.lost;
            throw new Error('user abort');
          }
        },
      });
      await expect(fit).rejects.toThrow(/^user abort$/);
    } finally {
      m.dispose();
      e.destroy();
    }
  });

  it('recovery forced to the CPU finishes on the CPU', async () => {
    const ref = await undisturbedRun();
    const e = await gpuEngine();
    try {
      const r = await train(e, { destroyAt: { epoch: 2, step: 3 }, recovery: { backend: 'cpu' } });
      expect(r.backend).toBe('cpu');
      expect(r.h.epochs).toHaveLength(EPOCHS);
      expect(r.h.events).toEqual([expect.objectContaining({ epoch: 2, kind: 'device-lost', recoveredOn: 'cpu' })]);
      expect(r.h.loss.slice(0, 2)).toEqual(ref.h.loss.slice(0, 2));
      for (let i = 2; i < EPOCHS; i++) expect(r.h.loss[i]).toBeCloseTo(ref.h.loss[i]!, 3);
      for (const w of r.weights) expect(w.every(Number.isFinite)).toBe(true);
      expect(r.acc).toBeGreaterThanOrEqual(Math.min(0.95, ref.acc));
    } finally {
      e.destroy();
    }
  });

  it('with recovery off, the loss rejects fit with GPUOpError device-lost', async () => {
    const e = await gpuEngine();
    try {
      await expect(train(e, { destroyAt: { epoch: 1, step: 0 }, recovery: false })).rejects.toSatisfy(
        (err: unknown) => err instanceof GPUOpError && err.kind === 'device-lost',
      );
    } finally {
      e.destroy();
    }
  });

  it('when recovery is impossible fit rejects with RecoveryFailedError holding the last host copy', async () => {
    const e = await gpuEngine();
    const device = e.gpuDevice!;
    const mine = await createEngine({ device, log: null }); // a caller's device: cannot be recreated
    try {
      const err = await train(mine, { destroyAt: { epoch: 1, step: 2 }, recovery: { fallbackToCpu: false } }).then(
        () => null, (x: unknown) => x,
      );
      expect(err).toBeInstanceOf(RecoveryFailedError);
      const f = err as RecoveryFailedError;
      expect(f.kind).toBe('device-lost');
      expect(f.epoch).toBe(0);
      expect([...f.hostParameters.keys()]).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
      for (const w of f.hostParameters.values()) expect(w.every(Number.isFinite)).toBe(true);
      // The host copy moves the model to another engine.
      const cpu = await createEngine({ backend: 'cpu' });
      try {
        const moved = Sequential.fromSafetensors(cpu, f.safetensors);
        const w0 = await moved.parameters()[0]!.tensor.read();
        expect(Array.from(w0)).toEqual(Array.from(f.hostParameters.get('layers.0.weight')!));
        // As a saved model file: the seed, and the loss predictProba applies (it gave logits).
        expect(moved.seed).toBe(2);
        const proba = await moved.predictProba(DATA.x.slice(0, 5));
        const probs = await proba.read();
        for (let r = 0; r < 5; r++) expect(probs[3 * r]! + probs[3 * r + 1]! + probs[3 * r + 2]!, `row ${r} sums to 1`).toBeCloseTo(1, 6);
        expect(probs.every((p) => p > 0 && p < 1)).toBe(true);
        proba.dispose();
        moved.dispose();
      } finally {
        cpu.destroy();
      }
    } finally {
      mine.destroy();
      e.destroy();
    }
  });
});

/** The 6-16-3 model used below, after `epochs` epochs of fit (which leaves a host copy). */
async function fittedModel(e: Engine, epochs = 1): Promise<Sequential> {
  const m = sequential(e, [dense(6, 16), sigmoid(), dense(16, 3)], { seed: 2 });
  m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.02 }) });
  await m.fit(DATA.x, DATA.labels, { epochs, batchSize: 24 });
  return m;
}

describe('a loss between calls: model.recover()', () => {
  it('restores the state the last fit ended with (parameters and optimizer state): the same predictions, and the next fit as if nothing was lost', async () => {
    const runs: { predictions: number[]; next: number[] }[] = [];
    for (const lose of [false, true]) {
      const e = await gpuEngine();
      const m = await fittedModel(e, 2);
      try {
        if (lose) {
          await destroyDevice(e);
          expect(await m.predict(DATA.x).then(() => null, (err: unknown) => err), 'predict on the lost device').toBeInstanceOf(GPUOpError);
          await e.recover(); // elsewhere (an onLost handler, say): the model's tensors are dead all the same
          expect(await within(m.recover())).toBe('webgpu');
        }
        const predictions = Array.from(await (await m.predict(DATA.x)).readAndDispose());
        runs.push({ predictions, next: (await m.fit(DATA.x, DATA.labels, { epochs: 2, batchSize: 24, recordStepLosses: true })).stepLosses! });
      } finally {
        m.dispose();
        e.destroy();
      }
    }
    expect(runs[1]!.predictions).toEqual(runs[0]!.predictions);
    expect(runs[1]!.next).toEqual(runs[0]!.next); // Adam's moments and step count came back too
  });

  it('a loss while fit reads its first host copy is recovered from the copy the last fit left: the fit ends as an undisturbed one', async () => {
    const runs: { h: History; predictions: number[] }[] = [];
    for (const lose of [false, true]) {
      const e = await gpuEngine();
      const m = await fittedModel(e, 1);
      try {
        if (lose) {
          // The second fit's first read is its initial host copy (recovery.ts capture()).
          const read = e.readTensor.bind(e);
          let destroyed = false;
          e.readTensor = async (t) => {
            if (!destroyed) {
              destroyed = true;
              e.gpuDevice!.destroy();
            }
            return read(t);
          };
        }
        const h = await within(m.fit(DATA.x, DATA.labels, { epochs: 2, batchSize: 24, recordStepLosses: true }), 60_000);
        runs.push({ h, predictions: Array.from(await (await m.predict(DATA.x)).readAndDispose()) });
      } finally {
        m.dispose();
        e.destroy();
      }
    }
    const [ref, lost] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(ref.h.events).toEqual([]);
    expect(lost.h.events).toHaveLength(1);
    expect(lost.h.events![0]).toMatchObject({ epoch: 0, kind: 'device-lost', recoveredOn: 'webgpu' });
    expect(lost.h.stepLosses).toEqual(ref.h.stepLosses); // parameters and Adam's state came back from the earlier fit's copy
    expect(lost.predictions).toEqual(ref.predictions);
  });

  it('a trainStep or fit on the dead tensors is refused and keeps the host copy: recover() still restores the model (they dropped it first)', async () => {
    const e = await gpuEngine();
    const m = await fittedModel(e, 2);
    try {
      const before = Array.from(await (await m.predict(DATA.x)).readAndDispose());
      const batch = () => [e.tensor(DATA.x.slice(0, 8)), e.tensor(DATA.labels.slice(0, 8).map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))))] as const;
      const [x0, y0] = batch();
      // A step refused for its input leaves the copy too (it used to drop it first).
      const [gone, y1] = batch();
      gone.dispose();
      expect(() => m.trainStep(gone, y1)).toThrow(/trainStep: x was disposed/);
      y1.dispose();
      await destroyDevice(e);
      const refused = async (call: () => unknown, op: string): Promise<void> => {
        const err = await Promise.resolve().then(call).then(() => null, (caught: unknown) => caught);
        expectDeviceLost(err);
        expect((err as Error).message).toMatch(new RegExp(`op '${op}': the model's tensors were on a GPU device that was lost: await model\\.recover\\(\\) first`));
      };
      await refused(() => m.trainStep(x0, y0), 'trainStep'); // on the lost engine
      await e.recover(); // elsewhere: the model's tensors are dead all the same
      await refused(() => m.trainStep(...batch()), 'trainStep');
      await refused(() => m.fit(DATA.x, DATA.labels, { epochs: 1 }), 'fit');
      expect(await within(m.recover())).toBe('webgpu');
      expect(Array.from(await (await m.predict(DATA.x)).readAndDispose())).toEqual(before);
    } finally {
      m.dispose();
      e.destroy();
    }
  });

  it('recovers a lost engine itself; without a host copy (trainStep since the fit) it says so and how to go on', async () => {
    const e = await gpuEngine();
    const m = await fittedModel(e);
    try {
      await destroyDevice(e);
      expect(await within(m.recover())).toBe('webgpu');
      expect(e.lost).toBe(false);
      expect(await m.recover()).toBe('webgpu'); // alive: nothing to do
      const x = e.tensor(DATA.x.slice(0, 8));
      const y = e.tensor(DATA.labels.slice(0, 8).map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
      m.trainStep(x, y).dispose();
      await destroyDevice(e);
      const err = await m.recover().then(() => null, (caught: unknown) => caught);
      expectDeviceLost(err);
      expect((err as Error).message).toMatch(/no host copy .*trainStep.*Sequential\.fromSafetensors/);
      expect(e.lost).toBe(false); // the engine itself was recovered
    } finally {
      m.dispose();
      e.destroy();
    }
  });

  it('holds the model while the engine recovers: fit, compile and another recover are refused, and a dispose meanwhile is reported as one', async () => {
    const e = await gpuEngine();
    const m = await fittedModel(e);
    try {
      await destroyDevice(e);
      const recovering = m.recover();
      await expect(m.fit(DATA.x, DATA.labels, { epochs: 1 })).rejects.toThrow(/fit: the model is recovering \(await recover\(\) first\)/);
      expect(() => m.compile({ loss: 'mse' })).toThrow(/compile: the model is recovering/);
      await expect(m.recover()).rejects.toThrow(/recover: the model is recovering/);
      expect(await within(recovering)).toBe('webgpu');
      const after = await m.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 24 }); // free again
      expect(Number.isFinite(after.loss[0])).toBe(true);

      await destroyDevice(e);
      const disposedMeanwhile = m.recover();
      m.dispose();
      const err = await within(disposedMeanwhile).then(() => null, (caught: unknown) => caught);
      expect(err).toBeInstanceOf(DisposedError);
      expect((err as Error).message).toMatch(/recover: the model was disposed while the engine recovered/);
      expect(e.memory().liveTensors).toBe(0);
    } finally {
      m.dispose();
      e.destroy();
    }
  });
});

describe('a loss between calls: the kernel methods', () => {
  it('KernelClassifier, Nystroem and SVC say to recover the engine, then work as before (the classifier restores its model, then re-uploads its scaler and landmarks)', async () => {
    const e = await gpuEngine();
    const x = { rows: DATA.x.length, cols: 6, data: Float32Array.from(DATA.x.flat()) };
    const clf = new KernelClassifier({ landmarks: 20, epochs: 2 });
    try {
      await clf.fit(e, x, DATA.labels);
      const ny = await nystroem(e, x, { components: 20 });
      const svc = await new SVC({ kernel: 'rbf' }).fit(e, x, DATA.labels);
      const calls: Record<string, () => Promise<{ data: ArrayLike<number> }>> = {
        clf: () => clf.predictProba(x), ny: () => ny.transform(e, x), svc: () => svc.decisionFunction(x),
      };
      const before = await Promise.all(Object.values(calls).map(async (f) => Array.from((await f()).data)));
      await destroyDevice(e);
      for (const [name, f] of Object.entries(calls)) {
        const err = await within(f()).then(() => null, (caught: unknown) => caught);
        expectDeviceLost(err);
        expect((err as Error).message, name).toMatch(/call engine\.recover\(\) to continue/);
      }
      await e.recover();
      const after = await Promise.all(Object.values(calls).map(async (f) => Array.from((await f()).data)));
      expect(after).toEqual(before);

      // A restore that fails part way (here the scaler's upload) is done again by the next call.
      await destroyDevice(e);
      await e.recover();
      const upload = e.tensor.bind(e);
      let failures = 0;
      e.tensor = (data, shape) => {
        if (failures === 0 && shape?.length === 2 && shape[0] === 20 && shape[1] === 20) { // the scaler's diag(1/std)
          failures++;
          throw new Error('injected upload failure');
        }
        return upload(data, shape);
      };
      try {
        await expect(clf.predictProba(x)).rejects.toThrow(/injected upload failure/);
      } finally {
        e.tensor = upload;
      }
      expect(failures).toBe(1);
      expect(Array.from((await clf.predictProba(x)).data)).toEqual(before[0]);

      // A model trained on through clf.model has no host copy to come back from: every call
      // says so (the same single remedy), none runs on the dead model.
      const xt = e.tensor(new Float32Array(8 * 20), [8, 20]); // 8 rows of 20 features
      const yt = e.tensor(DATA.labels.slice(0, 8).map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
      clf.model.trainStep(xt, yt).dispose();
      await destroyDevice(e);
      await e.recover();
      for (const call of [() => clf.predict(x), () => clf.predict(x), () => clf.evaluate(x, DATA.labels)]) {
        const err = await call().then(() => null, (caught: unknown) => caught);
        expectDeviceLost(err);
        expect((err as Error).message).toMatch(/op 'KernelClassifier\.(predict|evaluate)': .*cannot be restored .*; fit the classifier again$/);
        expect((err as Error).message).not.toMatch(/fromSafetensors|upload it again/);
      }
      expect(e.memory().liveTensors).toBe(0); // nothing uploaded for a fit that cannot come back
      clf.dispose();
      expect(e.memory().liveTensors).toBe(0);
    } finally {
      clf.dispose();
      e.destroy();
    }
  });
});
