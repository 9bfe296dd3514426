// Training end to end on both backends: WebGPU and CPU agree step by step (first 20 step
// losses and the weights after them), a backend repeats itself bit for bit, XOR is learned
// (and a single sigmoid unit learns AND and OR but not XOR), the epoch logs are consistent
// (loss = mean of step losses and, over thousands of steps, the float64 loss and gradient
// norms without drift; gradient norms, learned α, validation), and 1,000 training
// steps leave the engine's live memory flat.
import { describe, expect, it } from 'vitest';
import { type Engine, type History, type LayerSpec, type OptimizerSpec, type Sequential } from '../../src/index.js';
import { checkRowCount, MAX_ROWS, rowSourceTestHooks } from '../../src/nn/data.js';
import { adam, dense, encodeSafetensors, sequential, sgd, sigmoid, tanh } from '../../src/nn/index.js';
import { useEngines } from '../helpers/engines.js';
import { expectClose } from '../helpers/expectClose.js';
import { AND, blobs, LOGIC_X, OR, XOR } from './data-helpers.js';
import { refSoftmax } from '../helpers/reference.js';
import { refForward, refLoss } from './reference-net.js';

const engines = useEngines();
const bothEngines = (): [string, Engine][] => [['cpu', engines.cpu], ['webgpu', engines.gpu]];

async function weightsOf(m: Sequential): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of m.parameters()) out.set(p.name, await p.tensor.read());
  return out;
}

/** The parameters in float64, as refForward takes them. */
async function refParamsOf(m: Sequential): Promise<Map<string, Float64Array>> {
  return new Map([...(await weightsOf(m))].map(([name, v]) => [name, Float64Array.from(v)]));
}

const DATA = blobs(7, 200, 8, 3);
const NET: LayerSpec[] = [dense(8, 16), sigmoid({ learnAlpha: true }), dense(16, 12, { init: 'he' }), tanh(), dense(12, 3)];

async function run20(e: Engine, optimizer: OptimizerSpec): Promise<{ h: History; w: Map<string, Float32Array> }> {
  const m = sequential(e, NET, { seed: 3 });
  try {
    m.compile({ loss: 'softmaxCrossEntropy', optimizer });
    // 200 rows / batch 10 = 20 steps.
    const h = await m.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 10, seed: 11, recordStepLosses: true });
    return { h, w: await weightsOf(m) };
  } finally {
    m.dispose();
  }
}

describe('same answer on both backends', () => {
  for (const [name, opt] of [['sgd with momentum', sgd({ lr: 0.1, momentum: 0.9 })], ['adam', adam({ lr: 0.01 })]] as const) {
    it(`${name}: the first 20 step losses and the weights after them agree to 1e-4`, async () => {
      const a = await run20(engines.cpu, opt);
      const b = await run20(engines.gpu, opt);
      expect(a.h.stepLosses).toHaveLength(20);
      expectClose(b.h.stepLosses!, a.h.stepLosses!, { rtol: 1e-4, label: 'step losses webgpu vs cpu' });
      // The losses must actually move (the test would be vacuous otherwise).
      expect(a.h.stepLosses![19]!).toBeLessThan(a.h.stepLosses![0]! * 0.9);
      for (const [p, w] of a.w) expectClose(b.w.get(p)!, w, { rtol: 1e-4, atol: 1e-5, label: `${p} webgpu vs cpu` });
      expectClose(b.h.epochs[0]!.alphas, a.h.epochs[0]!.alphas, { rtol: 1e-4, label: 'learned α' });
      expectClose(b.h.epochs[0]!.gradNorms, a.h.epochs[0]!.gradNorms, { rtol: 1e-4, label: 'gradient norms' });
    });
  }

  it('fit calls in a row shuffle on: two fit({ epochs: 1 }) train as one fit({ epochs: 2 }), a given seed keeps its own order', async () => {
    for (const [name, e] of bothEngines()) {
      const make = () => {
        const m = sequential(e, NET, { seed: 3 });
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
        return m;
      };
      const [one, two, seeded] = [make(), make(), make()];
      try {
        const a = await one.fit(DATA.x, DATA.labels, { epochs: 2, batchSize: 50, recordStepLosses: true });
        const b1 = await two.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 50, recordStepLosses: true });
        const b2 = await two.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 50, recordStepLosses: true });
        expect([...b1.stepLosses!, ...b2.stepLosses!], name).toEqual(a.stepLosses);
        const [wa, wb] = [await weightsOf(one), await weightsOf(two)];
        for (const [p, w] of wa) expect(Array.from(wb.get(p)!), `${name} ${p}`).toEqual(Array.from(w));
        // An explicit seed: the second call repeats the first call's order (its own stream).
        const s1 = await seeded.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 50, seed: 3, recordStepLosses: true });
        expect(s1.stepLosses, name).toEqual(b1.stepLosses);
        const s2 = await seeded.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 50, seed: 3, recordStepLosses: true });
        expect(s2.stepLosses, name).not.toEqual(b2.stepLosses);
      } finally {
        one.dispose();
        two.dispose();
        seeded.dispose();
      }
    }
  });

  it('distinct fit seeds share no epoch order: seeds 0 and 1 over 6 epochs (seed + epoch made seed 1 shuffle as seed 0 one epoch later)', async () => {
    // One-row steps with the weights held still (lr 1e-30: every update rounds away): an epoch's
    // step losses are its rows' losses in its order, so equal sequences mean equal orders.
    const d = blobs(3, 23, 8, 3);
    for (const [name, e] of bothEngines()) {
      const orders: string[] = [];
      let rows: string | undefined; // the row losses, sorted: every epoch of both runs holds them
      for (const seed of [0, 1]) {
        const m = sequential(e, NET, { seed: 3 });
        try {
          m.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 1e-30 }) });
          const h = await m.fit(d.x, d.labels, { epochs: 6, batchSize: 1, seed, recordStepLosses: true });
          for (let ep = 0; ep < 6; ep++) {
            const losses = h.stepLosses!.slice(ep * 23, ep * 23 + 23);
            expect(new Set(losses).size, `${name}: the 23 rows have distinct losses`).toBe(23);
            rows ??= [...losses].sort((a, b) => a - b).join();
            expect([...losses].sort((a, b) => a - b).join(), `${name} seed ${seed} epoch ${ep}: the same rows, reordered`).toBe(rows);
            orders.push(losses.join());
          }
        } finally {
          m.dispose();
        }
      }
      expect(new Set(orders).size, `${name}: 12 epochs (2 seeds × 6), 12 orders`).toBe(12);
    }
  });

  it('the same seed on the same backend repeats losses and weights bit for bit', async () => {
    for (const [name, e] of bothEngines()) {
      const a = await run20(e, adam({ lr: 0.01 }));
      const b = await run20(e, adam({ lr: 0.01 }));
      expect(b.h.stepLosses, name).toEqual(a.h.stepLosses);
      for (const [p, w] of a.w) expect(Array.from(b.w.get(p)!), `${name} ${p}`).toEqual(Array.from(w));
    }
  });

  it('the initial weights are identical on both backends (host-seeded) and differ across seeds', async () => {
    const a = sequential(engines.cpu, NET, { seed: 5 });
    const b = sequential(engines.gpu, NET, { seed: 5 });
    const c = sequential(engines.cpu, NET, { seed: 6 });
    try {
      const wa = await weightsOf(a);
      const wb = await weightsOf(b);
      const wc = await weightsOf(c);
      for (const [p, w] of wa) expect(Array.from(wb.get(p)!), p).toEqual(Array.from(w));
      expect(Array.from(wc.get('layers.0.weight')!)).not.toEqual(Array.from(wa.get('layers.0.weight')!));
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });
});

describe('XOR and the logic gates', () => {
  it('XOR: 2-8-1 sigmoid network, binary cross-entropy, adam(lr 0.1), 300 epochs → 100 % on both backends', async () => {
    for (const [name, e] of bothEngines()) {
      const m = sequential(e, [dense(2, 8), sigmoid(), dense(8, 1)], { seed: 1 });
      try {
        m.compile({ loss: 'binaryCrossEntropy', optimizer: adam({ lr: 0.1 }) });
        const h = await m.fit(LOGIC_X, XOR, { epochs: 300, batchSize: 4 });
        expect(h.accuracy!.at(-1), name).toBe(1);
        const r = await m.evaluate(LOGIC_X, XOR);
        expect(r.accuracy, name).toBe(1);
        expect(r.loss, name).toBeLessThan(0.1);
        const p = await m.predictProba(LOGIC_X);
        const probs = await p.read();
        p.dispose();
        expect(Array.from(probs).map((v) => (v > 0.5 ? 1 : 0)), name).toEqual(XOR);
      } finally {
        m.dispose();
      }
    }
  });

  it('XOR the Sigmoid Core way: stacked σ(W·x + b) layers, MSE, SGD with momentum, 1000 epochs (CPU)', async () => {
    const m = sequential(engines.cpu, [dense(2, 8), sigmoid(), dense(8, 1), sigmoid()], { seed: 2 });
    try {
      m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.5, momentum: 0.9 }), metrics: ['accuracy'] });
      const h = await m.fit(LOGIC_X, XOR, { epochs: 1000, batchSize: 4 });
      expect(h.accuracy!.at(-1)).toBe(1);
      expect(h.loss.at(-1)!).toBeLessThan(0.02);
      const out = await m.predict(LOGIC_X);
      const y = await out.read();
      out.dispose();
      expect(Array.from(y).map((v) => (v > 0.5 ? 1 : 0))).toEqual(XOR);
    } finally {
      m.dispose();
    }
  });

  it('a single sigmoid unit learns AND and OR but not XOR (not linearly separable)', async () => {
    const accuracy = async (targets: number[]): Promise<number> => {
      const m = sequential(engines.cpu, [dense(2, 1), sigmoid()], { seed: 4 });
      try {
        m.compile({ loss: 'binaryCrossEntropy', optimizer: adam({ lr: 0.1 }) });
        await m.fit(LOGIC_X, targets, { epochs: 500, batchSize: 4 });
        return (await m.evaluate(LOGIC_X, targets)).accuracy!;
      } finally {
        m.dispose();
      }
    };
    expect(await accuracy(AND)).toBe(1);
    expect(await accuracy(OR)).toBe(1);
    expect(await accuracy(XOR)).toBeLessThanOrEqual(0.75);
  });
});

describe('data larger than one device buffer (kept on the host, a batch uploaded per step)', () => {
  for (const [name, e] of [['cpu', () => engines.cpu], ['webgpu', () => engines.gpu]] as const) {
    it(`${name}: fit (with validation), evaluate and predict give exactly what the device-resident path gives`, async () => {
      const data = blobs(8, 120, 6, 3);
      const run = async (hostBytes: number | null) => {
        rowSourceTestHooks.maxDeviceBytes = hostBytes;
        const m = sequential(e(), [dense(6, 12), sigmoid(), dense(12, 3)], { seed: 5 });
        try {
          m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.05 }) });
          const h = await m.fit(data.x, data.labels, { epochs: 3, batchSize: 16, validationSplit: 0.25, recordStepLosses: true });
          const ev = await m.evaluate(data.x, data.labels, { batchSize: 1000 });
          const p = await (await m.predict(data.x, { batchSize: 1000 })).readAndDispose();
          return { h, ev, p: Array.from(p) };
        } finally {
          m.dispose();
          rowSourceTestHooks.maxDeviceBytes = null;
        }
      };
      // 2 KiB: x (120 × 6 floats, 2880 bytes) stays on the host; the labels (120 × 3) are uploaded.
      const [host, device] = [await run(2048), await run(null)];
      expect(host.h.stepLosses).toEqual(device.h.stepLosses);
      expect(host.h.valLoss).toEqual(device.h.valLoss);
      expect(host.h.accuracy).toEqual(device.h.accuracy);
      // evaluate's batches are capped on the host path (85 rows here, not 120): the same loss summed in another order.
      expectClose([host.ev.loss, host.ev.accuracy!], [device.ev.loss, device.ev.accuracy!], { rtol: 1e-6, atol: 0 });
      expect(host.p).toEqual(device.p); // one row's outputs do not depend on the batch it was in
      expect(e().memory().liveTensors).toBe(0);
    });
  }

  it('more than 2^24 rows (float32 row indices) is a LimitError before training, not wrong rows', async () => {
    const rows = MAX_ROWS + 1;
    const m = sequential(engines.cpu, [dense(1, 1)], { seed: 5 });
    try {
      m.compile({ loss: 'mse', optimizer: adam({ lr: 0.05 }) });
      const x = { rows, cols: 1, data: new Float32Array(rows) };
      await expect(m.fit(x, new Float32Array(rows), { epochs: 1, batchSize: 1024 })).rejects.toThrow(
        /the training data has 16777217 rows, over the 16777216 \(2\^24\) rows one call can index/,
      );
      expect(() => checkRowCount('x', MAX_ROWS)).not.toThrow();
    } finally {
      m.dispose();
    }
  }, 60_000);

  it('a training batch too big for one device tensor is refused before training, naming the largest batchSize that fits', async () => {
    const data = blobs(8, 120, 6, 3);
    const m = sequential(engines.cpu, [dense(6, 4), dense(4, 3)], { seed: 5 });
    rowSourceTestHooks.maxDeviceBytes = 2048;
    try {
      m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.05 }) });
      const before = await m.parameters()[0]!.tensor.read();
      await expect(m.fit(data.x, data.labels, { epochs: 1, batchSize: 100 })).rejects.toThrow(
        /batchSize 100 × 6 columns of x needs 2400 bytes per batch, over the 2048 bytes .* use batchSize ≤ 85/,
      );
      expect(Array.from(await m.parameters()[0]!.tensor.read())).toEqual(Array.from(before));
    } finally {
      rowSourceTestHooks.maxDeviceBytes = null;
      m.dispose();
    }
  });

  it('a resume refused for its batch (too big for one device tensor) leaves the model as it was, not at the checkpoint', async () => {
    const data = blobs(8, 120, 6, 3);
    const m = sequential(engines.cpu, [dense(6, 4), dense(4, 3)], { seed: 5 });
    try {
      m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.05 }) });
      let saved: Uint8Array | null = null;
      const store = { write: async (b: Uint8Array) => void (saved = b), read: async () => saved! };
      await m.fit(data.x, data.labels, { epochs: 2, batchSize: 100, checkpoint: { to: store } });
      await m.fit(data.x, data.labels, { epochs: 1, batchSize: 10 }); // moves away from the checkpoint
      const before = await weightsOf(m);
      rowSourceTestHooks.maxDeviceBytes = 2048;
      await expect(m.fit(data.x, data.labels, { epochs: 3, resumeFrom: store })).rejects.toThrow(/use batchSize ≤ 85/);
      rowSourceTestHooks.maxDeviceBytes = null;
      expect(await weightsOf(m)).toEqual(before);
    } finally {
      rowSourceTestHooks.maxDeviceBytes = null;
      m.dispose();
    }
  });
});

describe('fit and the event loop', () => {
  it('a CPU fit lets timers run (a stop flag set by setTimeout is seen; an interval ticks)', async () => {
    const data = blobs(3, 400, 16, 4);
    const m = sequential(engines.cpu, [dense(16, 64), sigmoid(), dense(64, 4)], { seed: 1 });
    try {
      m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
      let stop = false;
      let ticks = 0;
      const interval = setInterval(() => ticks++, 5);
      setTimeout(() => (stop = true), 100);
      const t0 = performance.now();
      try {
        const h = await m.fit(data.x, data.labels, { epochs: 400, batchSize: 8, onEpochEnd: () => !stop });
        expect(h.stoppedEarly).toBe(true);
        expect(h.epochs.length).toBeLessThan(400);
        expect(performance.now() - t0).toBeLessThan(2000); // stopped soon after 100 ms, not at the end
      } finally {
        clearInterval(interval);
      }
      expect(ticks).toBeGreaterThan(0); // at most one tick per yield (every 50 ms)
    } finally {
      m.dispose();
    }
  });
});

describe('epoch logs', () => {
  /**
   * Fits of thousands of tiny steps, where a float32 sum over the steps drifts: [engine, rows,
   * batch size, the rtol the float64 reference is met to] on each backend.
   */
  const manyStepFits = () => [[engines.cpu, 5003, 1, 1e-8], [engines.gpu, 2999, 2, 1e-7]] as const;

  it('loss is the row-weighted mean of the step losses, the last batch is smaller, accuracy matches evaluate-style counting', async () => {
    for (const [name, e] of bothEngines()) {
      const d = blobs(9, 103, 8, 3);
      const m = sequential(e, NET, { seed: 1 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
        const batches: number[] = [];
        const h = await m.fit(d.x, d.onehot, {
          epochs: 2, batchSize: 10, recordStepLosses: true,
          onBatchEnd: (b) => {
            if (b.epoch === 0) batches.push(b.rows);
          },
        });
        expect(batches, name).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
        expect(h.stepLosses, name).toHaveLength(22);
        for (let ep = 0; ep < 2; ep++) {
          const steps = h.stepLosses!.slice(ep * 11, ep * 11 + 11);
          const mean = steps.reduce((s, l, i) => s + l * batches[i]!, 0) / 103;
          expectClose([h.loss[ep]!], [mean], { rtol: 1e-5, label: `${name} epoch ${ep} loss` });
          expect(h.epochs[ep]!.steps).toBe(11);
          expect(h.epochs[ep]!.samplesPerSecond).toBeGreaterThan(0);
          expect(h.epochs[ep]!.gradNorms).toHaveLength(3);
          expect(h.epochs[ep]!.alphas).toHaveLength(1);
        }
        const acc = h.accuracy![1]!;
        expect(acc * 103).toBeCloseTo(Math.round(acc * 103), 6);
      } finally {
        m.dispose();
      }
    }
  });

  it('the epoch loss adds its steps without drift: 5003 one-row steps (cpu) or 1500 two-row ones (webgpu) give the float64 mean of the row losses', async () => {
    // lr 1e-30: every update rounds away (the biases, from 0, move by ~1e-30), so each epoch's
    // exact loss is the float64 forward pass of the weights the fit ends with. One float32 sum
    // that every step added to was 1.0e-6 (cpu) and 1.9e-7 (webgpu) off here; a slot per step,
    // 1e-9 and 2e-8 (the WebGPU row losses are float32: exp and log).
    const layers = [dense(5, 7), sigmoid({ learnAlpha: true }), dense(7, 3)];
    for (const [e, rows, batchSize, rtol] of manyStepFits()) {
      const d = blobs(13, rows, 5, 3);
      const m = sequential(e, layers, { seed: 2 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 1e-30 }) });
        const h = await m.fit(d.x, d.labels, { epochs: 2, batchSize, seed: 5, recordStepLosses: true });
        expect(h.stepLosses).toHaveLength(2 * Math.ceil(rows / batchSize));
        const params = await refParamsOf(m);
        const { out, cols } = refForward(layers, params, d.x.flat(), rows);
        const exact = refLoss('softmaxCrossEntropy', out, d.onehot.flat(), rows, cols);
        expectClose(h.loss, [exact, exact], { rtol, atol: 0, label: `${e.backend} epoch losses over ${h.epochs[0]!.steps} steps` });
      } finally {
        m.dispose();
      }
    }
  });

  it('accuracy counts past 2^24 elements exactly (binary accuracy counts rows × outputs): evaluate and a fit epoch, cpu', async () => {
    // 72,000 rows × 256 outputs, logits all −1 (predicted 0) against targets 1 about one in 97:
    // 17.6 M correct. One float32 count that every batch added to was 4 off (adds of odd counts
    // rounded to even past 2^24); a slot per batch is exact. lr 1e-30 keeps fit's logits at −1.
    const e = engines.cpu;
    const rows = 72_000;
    const outs = 256;
    const x = { rows, cols: 1, data: new Float32Array(rows) };
    const y = { rows, cols: outs, data: new Float32Array(rows * outs) };
    let ones = 0;
    let state = 1;
    for (let i = 0; i < y.data.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      if (state % 97 === 0) {
        y.data[i] = 1;
        ones++;
      }
    }
    const exact = (rows * outs - ones) / (rows * outs);
    expect(rows * outs - ones).toBeGreaterThan(2 ** 24);
    const m = sequential(e, [dense(1, outs)]);
    try {
      m.compile({ loss: 'binaryCrossEntropy', optimizer: sgd({ lr: 1e-30 }), metrics: ['accuracy'] });
      m.load(encodeSafetensors([
        { name: 'layers.0.weight', shape: [1, outs], data: new Float32Array(outs) },
        { name: 'layers.0.bias', shape: [outs], data: new Float32Array(outs).fill(-1) },
      ]));
      expect((await m.evaluate(x, y, { batchSize: 1000 })).accuracy).toBe(exact);
      const h = await m.fit(x, y, { epochs: 1, batchSize: 1000, shuffle: false });
      expect(h.accuracy![0]).toBe(exact);
    } finally {
      m.dispose();
    }
  });

  it('the epoch gradNorms add their steps without drift: 5003 one-row steps (cpu) or 1500 two-row ones (webgpu) give the float64 root mean ‖∂L/∂W‖²', async () => {
    // One dense layer (logits → softmax cross-entropy), lr 1e-30 so the weights stay put and,
    // in order (no shuffle), step s's ∂L/∂W = X_sᵀ(P_s − Y_s)/rows_s in float64. One float32
    // sum of the steps' ‖∂L/∂W‖² was 4.7e-7 off (cpu); a slot per step, 1.2e-9 (cpu), 1.1e-8 (webgpu).
    const layers = [dense(5, 3)];
    for (const [e, rows, batchSize, rtol] of manyStepFits()) {
      const d = blobs(17, rows, 5, 3);
      const m = sequential(e, layers, { seed: 4 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 1e-30 }) });
        const h = await m.fit(d.x, d.labels, { epochs: 1, batchSize, shuffle: false });
        const params = await refParamsOf(m);
        const { out } = refForward(layers, params, d.x.flat(), rows);
        const p = refSoftmax(out, rows, 3);
        let sumSq = 0;
        const steps = Math.ceil(rows / batchSize);
        for (let s = 0; s < steps; s++) {
          const batch = Array.from({ length: Math.min(batchSize, rows - s * batchSize) }, (_, k) => s * batchSize + k);
          for (let i = 0; i < 5; i++) {
            for (let c = 0; c < 3; c++) {
              let g = 0;
              for (const r of batch) g += d.x[r]![i]! * (p[r * 3 + c]! - d.onehot[r]![c]!);
              sumSq += (g / batch.length) ** 2;
            }
          }
        }
        expectClose(h.epochs[0]!.gradNorms, [Math.sqrt(sumSq / steps)], { rtol, atol: 0, label: `${e.backend} gradNorms over ${steps} steps` });
      } finally {
        m.dispose();
      }
    }
  });

  it('gradNorms is ‖∂L/∂W‖ per dense layer (one plain SGD step, lr 1: W − W′ = ∂L/∂W)', async () => {
    for (const [name, e] of bothEngines()) {
      const m = sequential(e, [dense(8, 6), sigmoid(), dense(6, 5), sigmoid(), dense(5, 3)], { seed: 2 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 1 }) });
        const before = await weightsOf(m);
        const h = await m.fit(DATA.x.slice(0, 32), DATA.labels.slice(0, 32), { epochs: 1, batchSize: 32 });
        const after = await weightsOf(m);
        const norms = [0, 2, 4].map((i) => {
          const a = before.get(`layers.${i}.weight`)!;
          const b = after.get(`layers.${i}.weight`)!;
          return Math.sqrt(a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0));
        });
        expectClose(h.epochs[0]!.gradNorms, norms, { rtol: 2e-3, label: `${name} gradNorms` });
      } finally {
        m.dispose();
      }
    }
  });

  it('a learned α moves and is reported; fixed α are reported as given', async () => {
    const m = sequential(engines.cpu, [dense(8, 6), sigmoid({ alpha: 0.5, learnAlpha: true }), dense(6, 6), sigmoid({ alpha: 2 }), dense(6, 3)], {
      seed: 3,
    });
    try {
      m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.05 }) });
      const h = await m.fit(DATA.x, DATA.labels, { epochs: 3, batchSize: 20 });
      const alpha = (await m.parameters().find((p) => p.name === 'layers.1.alpha')!.tensor.read())[0]!;
      expect(h.epochs[2]!.alphas[0]).toBe(alpha);
      expect(alpha).not.toBe(0.5);
      expect(h.epochs.map((l) => l.alphas[1])).toEqual([2, 2, 2]);
    } finally {
      m.dispose();
    }
  });

  it('validationSplit holds out the last rows: valLoss equals evaluate() on them after the epoch', async () => {
    for (const [name, e] of bothEngines()) {
      const m = sequential(e, NET, { seed: 4 });
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
        const h = await m.fit(DATA.x, DATA.labels, { epochs: 2, batchSize: 16, validationSplit: 0.25 });
        expect(h.epochs[1]!.samplesPerSecond * h.epochs[1]!.seconds).toBeCloseTo(150, 6);
        const r = await m.evaluate(DATA.x.slice(150), DATA.labels.slice(150));
        expect(r.samples).toBe(50);
        expectClose([h.valLoss![1]!, h.valAccuracy![1]!], [r.loss, r.accuracy!], { rtol: 1e-5, label: `${name} validation` });
        // ⌊200 · (1 − 0.8)⌋ = 40 training rows, though 200 · (1 − 0.8) is 39.99999999999999 in float64.
        const h8 = await m.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 1, validationSplit: 0.8 });
        expect(h8.epochs[0]!.steps, `${name} steps at validationSplit 0.8`).toBe(40);
      } finally {
        m.dispose();
      }
    }
  });

  it('onEpochEnd returning false stops training', async () => {
    const m = sequential(engines.cpu, NET, { seed: 4 });
    try {
      m.compile({ loss: 'softmaxCrossEntropy' });
      const h = await m.fit(DATA.x, DATA.labels, { epochs: 10, onEpochEnd: (l) => l.epoch < 2 });
      expect(h.epochs).toHaveLength(3);
      expect(h.stoppedEarly).toBe(true);
    } finally {
      m.dispose();
    }
  });
});

describe('memory', () => {
  it('1,000 training steps leave live tensors and bytes flat (both backends)', async () => {
    for (const [name, e] of bothEngines()) {
      const start = e.memory();
      const m = sequential(e, NET, { seed: 5 });
      const seen: { liveTensors: number; liveBytes: number }[] = [];
      try {
        m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
        // 200 rows, batch 20: 10 steps per epoch × 100 epochs = 1,000 steps, with
        // step-loss recording and validation on to cover those paths too.
        const h = await m.fit(DATA.x, DATA.labels, {
          epochs: 100, batchSize: 20, recordStepLosses: true,
          validationData: [DATA.x.slice(0, 50), DATA.labels.slice(0, 50)],
          onEpochEnd: () => {
            const { liveTensors, liveBytes } = e.memory();
            seen.push({ liveTensors, liveBytes });
          },
        });
        expect(h.stepLosses, name).toHaveLength(1000);
        expect(seen, name).toHaveLength(100);
        for (const s of seen) expect(s, name).toEqual(seen[0]);
        // After fit: the parameters and Adam's m and v (3 tensors per parameter) remain.
        const params = m.parameters().length;
        expect(e.memory().liveTensors - start.liveTensors, name).toBe(3 * params);
      } finally {
        m.dispose();
      }
      expect(e.memory().liveTensors, name).toBe(start.liveTensors);
      expect(e.memory().liveBytes, name).toBe(start.liveBytes);
    }
  });
});
