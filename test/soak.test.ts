// Soak: 5,000 training steps on the WebGPU engine (100 epochs × 50 steps of 2 rows) with
// engine.memory() recorded at every epoch end. Live tensors/bytes must be exactly the same
// at every epoch end after the first, and the pool of free buffers must not grow after the
// first epoch (exact equality: every step allocates the same sizes, so it reuses the same
// pooled buffers).
import { expect, it } from 'vitest';
import { adam, createEngine, dense, type MemoryStats, sequential, sigmoid } from '../src/index.js';

it('5,000 steps: live GPU bytes flat, no pooled-buffer growth after the first epoch', async () => {
  const e = await createEngine({ backend: 'webgpu', log: null });
  try {
    const rows = 100;
    const x = Array.from({ length: rows }, (_, i) => [Math.sin(i), Math.cos(i), (i % 5) / 5, ((i * 7) % 11) / 11]);
    const y = x.map((r) => [r[0]! * r[1]! > 0 ? 1 : 0]);
    const m = sequential(e, [dense(4, 8), sigmoid(), dense(8, 1)], { seed: 0 });
    m.compile({ loss: 'binaryCrossEntropy', optimizer: adam({ lr: 0.01 }) });
    const X = e.tensor(x);
    const Y = e.tensor(y);
    const mem: MemoryStats[] = [];
    let steps = 0;
    const t0 = performance.now();
    const h = await m.fit(X, Y, {
      epochs: 100, batchSize: 2,
      onBatchEnd: () => { steps++; },
      onEpochEnd: () => { mem.push(e.memory()); },
    });
    const secs = (performance.now() - t0) / 1000;
    console.log(`soak: ${steps} steps in ${secs.toFixed(1)} s; memory after epoch 1 ${JSON.stringify(mem[0])}, after epoch 100 ${JSON.stringify(mem[99])}`);
    expect(steps).toBe(5000);
    expect(mem).toHaveLength(100);
    expect(h.loss.every(Number.isFinite)).toBe(true);
    for (let i = 1; i < mem.length; i++) {
      expect(mem[i]!.liveTensors, `liveTensors at epoch ${i + 1}`).toBe(mem[0]!.liveTensors);
      expect(mem[i]!.liveBytes, `liveBytes at epoch ${i + 1}`).toBe(mem[0]!.liveBytes);
      expect(mem[i]!.pooledBuffers, `pooledBuffers at epoch ${i + 1}`).toBe(mem[0]!.pooledBuffers);
      expect(mem[i]!.pooledBytes, `pooledBytes at epoch ${i + 1}`).toBe(mem[0]!.pooledBytes);
    }
    X.dispose();
    Y.dispose();
    m.dispose();
    expect(e.memory().liveTensors).toBe(0);
  } finally {
    e.destroy();
  }
}, 120_000);
