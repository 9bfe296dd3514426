// Device limits: long matmul/gram work is split into dispatches of bounded size (bit-identical
// to one dispatch), requests over a buffer limit throw a LimitError naming the limit and the
// size, and an out-of-memory allocation gives a clear GPUOpError after which the engine
// still works.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, GPUOpError, LimitError, type Tensor } from '../src/index.js';
import { dispatchLimits } from '../src/webgpu/backend.js';
import { bufferBytes, MAX_POOLED_GPU_BYTES, poolTestHooks } from '../src/webgpu/buffers.js';
import { expectClose } from './helpers/expectClose.js';
import { refMatmul, refSigmoidScalar } from './helpers/reference.js';
import { rng } from './helpers/rng.js';

let e: Engine;
beforeAll(async () => {
  e = await createEngine({ backend: 'webgpu', log: null });
});
afterAll(() => e?.destroy());

const DEFAULT_MACS = dispatchLimits.maxMacsPerDispatch;
afterEach(() => {
  dispatchLimits.maxMacsPerDispatch = DEFAULT_MACS;
  poolTestHooks.failAllocations = 0;
  poolTestHooks.maxPooledBytes = MAX_POOLED_GPU_BYTES;
});

function rand(seed: number, rows: number, cols: number, on: Engine = e): Tensor {
  return on.tensor(rng(seed).uniform(rows * cols, -2, 2), [rows, cols]);
}

/** Counts queue submissions made on `on` while `fn` runs (to see that the work was split). */
async function countSubmits(on: Engine, fn: () => Promise<Float32Array>): Promise<{ out: Float32Array; submits: number }> {
  const q = on.gpuDevice!.queue;
  const orig = q.submit;
  let submits = 0;
  q.submit = function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
    submits++;
    return orig.call(this, buffers);
  };
  try {
    return { out: await fn(), submits };
  } finally {
    q.submit = orig;
  }
}

it('the default dispatch bound is documented and large: training-sized matmuls stay one dispatch', () => {
  expect(DEFAULT_MACS).toBe(2 ** 31);
});

for (const tiling of ['workgroup', 'register'] as const) describe(`long work is split into bounded dispatches (tiling=${tiling})`, () => {
  let te: Engine;
  beforeAll(async () => {
    te = await createEngine({ backend: 'webgpu', tiling, log: null });
  });
  afterAll(() => te?.destroy());

  for (const [ta, tb] of [[false, false], [true, true]] as const) {
    it(`matmul (transposeA ${ta}, transposeB ${tb}, bias + sigmoid) split into tiny dispatches is bit-identical`, async () => {
      const [m, n, k] = [257, 129, 65];
      const a = ta ? rand(1, k, m, te) : rand(1, m, k, te);
      const b = tb ? rand(2, n, k, te) : rand(2, k, n, te);
      const bias = te.tensor(rng(3).uniform(n, -1, 1), [n]);
      const run = async (): Promise<Float32Array> => {
        const c = te.linear(a, b, bias, 'sigmoid', { transposeA: ta, transposeB: tb });
        try {
          return await c.read();
        } finally {
          c.dispose();
        }
      };
      const whole = await countSubmits(te, run);
      dispatchLimits.maxMacsPerDispatch = 64 * 64 * k * 3; // 3 tiles per dispatch
      const split = await countSubmits(te, run);
      const tiles = Math.ceil(m / 64) * Math.ceil(n / 64); // 5 × 3 = 15 → 5 dispatches
      expect(split.submits).toBeGreaterThanOrEqual(whole.submits + Math.ceil(tiles / 3) - 1);
      expect(split.out).toEqual(whole.out); // bit for bit (toEqual on Float32Array compares every element)
      expect(Array.from(split.out).every(Number.isFinite)).toBe(true);
      for (const t of [a, b, bias]) t.dispose();
    });
  }

  it('an sgdMatmulStep split into parts over 65535 tiles (2-D grids) updates every tile once', async () => {
    // A part of 70001 tiles is folded into a 35001 × 2 grid: its spare workgroup must not
    // compute the first tile of the next part too, which would apply that tile's update twice.
    const per = 70001;
    const m = 64 * (per + 1); // [m, 1]: one 64-row tile per 64 rows, two parts
    const p = te.zeros([m, 1]);
    const a = te.tensor(new Float32Array(m).fill(1), [m, 1]);
    const b = te.tensor([1], [1, 1]);
    dispatchLimits.maxMacsPerDispatch = per * 64 * 64; // k = 1
    te.sgdMatmulStep(p, a, b, { lr: 1 });
    const got = await p.read();
    const wrong = got.findIndex((v) => v !== -1);
    expect(wrong === -1 ? 'every element −1' : `element ${wrong} (tile ${Math.floor(wrong / 64)}) is ${got[wrong]}`).toBe('every element −1');
    for (const t of [p, a, b]) t.dispose();
  });

  for (const kernel of ['sigmoid', 'rbf', 'polynomial'] as const) {
    it(`gram (${kernel}) split into one-tile dispatches is bit-identical`, async () => {
      const x = rand(4, 200, 17, te);
      const y = rand(5, 130, 17, te);
      const run = async (): Promise<Float32Array> => {
        const g = te.gram(x, y, { kernel, gamma: 0.1 });
        try {
          return await g.read();
        } finally {
          g.dispose();
        }
      };
      const whole = await run();
      dispatchLimits.maxMacsPerDispatch = 1; // floor: one 64×64 tile per dispatch
      const split = await countSubmits(te, run);
      expect(split.submits).toBeGreaterThanOrEqual(Math.ceil(200 / 64) * Math.ceil(130 / 64));
      expect(split.out).toEqual(whole);
      x.dispose();
      y.dispose();
    });
  }
});

describe('buffer limits', () => {
  it('every pooled buffer is a whole number of vec4s inside the (16-byte-rounded) limits', () => {
    // The elementwise kernels read and write four floats at a time, up to 16·⌈n/4⌉ bytes.
    for (const limit of [e.limits.maxStorageBufferBindingSize, e.limits.maxBufferSize]) expect(limit % 16).toBe(0);
    const caps = [e.limits.maxStorageBufferBindingSize, 65536, 1000 * 16];
    for (const cap of caps) {
      for (const floats of [1, 2, 3, 5, 63, 64, 65, 1001, cap / 4 - 5, cap / 4 - 4, cap / 4 - 3, cap / 4 - 1, cap / 4]) {
        const got = bufferBytes(floats * 4, cap);
        const label = `${floats} floats, cap ${cap}`;
        expect(got % 16, label).toBe(0);
        expect(got, label).toBeGreaterThanOrEqual(Math.ceil(floats / 4) * 16);
        expect(got, label).toBeLessThanOrEqual(Math.max(256, cap));
      }
    }
  });

  it('the sizes between the largest size class and a cap that is not a class share one class (the cap)', () => {
    const cap = 1_000_000; // a multiple of 16 between the classes 917504 and 1048576
    const sizes = new Set<number>();
    for (let bytes = 917_504 + 4; bytes <= cap; bytes += 4_000) sizes.add(bufferBytes(bytes, cap));
    expect([...sizes]).toEqual([cap]);
  });

  it('a tensor over maxStorageBufferBindingSize throws a LimitError naming the limit and the size; the engine goes on', () => {
    const limit = e.limits.maxStorageBufferBindingSize;
    const side = Math.ceil(Math.sqrt(limit / 4)) + 1; // side² floats > limit bytes
    const col = e.zeros([side, 1]);
    const row = e.zeros([1, side]);
    const before = e.memory().liveTensors;
    let err: unknown = null;
    try {
      e.matmul(col, row); // output side × side
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(LimitError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/maxStorageBufferBindingSize|maxBufferSize/);
    expect(msg).toContain(String(side * side * 4));
    expect(msg).toContain(String(Math.min(limit, e.limits.maxBufferSize)));
    expect(e.memory().liveTensors).toBe(before); // nothing half-made
    col.dispose();
    row.dispose();
  });

  it('a tensor over maxBufferSize is refused the same way', () => {
    expect(() => e.zeros([Math.floor(e.limits.maxBufferSize / 4) + 1])).toThrow(LimitError);
  });

  it('engine.limits is read-only on both backends: a write cannot lift the checks (it did on WebGPU: a GPU validation error instead)', async () => {
    const cpu = await createEngine({ backend: 'cpu', log: null });
    try {
      for (const on of [e, cpu]) {
        expect(Object.isFrozen(on.limits), on.backend).toBe(true);
        // @ts-expect-error the limits are typed readonly
        expect(() => (on.limits.maxBufferSize = 2 ** 40), on.backend).toThrow(TypeError);
      }
      const side = Math.ceil(Math.sqrt(e.limits.maxStorageBufferBindingSize / 4)) + 1;
      expect(() => e.zeros([side, side])).toThrow(LimitError);
    } finally {
      cpu.destroy();
    }
  });
});

describe('out of GPU memory', () => {
  // A real out-of-memory cannot be provoked reliably on a software driver (lavapipe and
  // SwiftShader allocate host memory lazily, up to the machine's RAM), so this injects one
  // through the pool's test hook: the allocation is reported exactly as a failed
  // 'out-of-memory' error scope would report it.
  it('gives a GPUOpError naming the allocation and its bytes; the engine stays usable', async () => {
    poolTestHooks.failAllocations = 1;
    const big = e.tensor(new Float32Array(3_000_001), [3_000_001]); // a size class no earlier test made
    let err: unknown = null;
    await e.sync().catch((x: unknown) => {
      err = x;
    });
    expect(err).toBeInstanceOf(GPUOpError);
    expect((err as GPUOpError).kind).toBe('out-of-memory');
    expect((err as GPUOpError).message).toMatch(/allocate \d+ bytes for a tensor of 3000001 floats/);
    const pooledBefore = e.memory().pooledBuffers;
    big.dispose(); // the failed buffer is destroyed, never pooled and handed out again
    expect(e.memory().pooledBuffers).toBe(pooledBefore);
    const again = e.tensor(new Float32Array(3_000_001).fill(2), [3_000_001]);
    const s = e.sum(again);
    expect(Array.from(await s.read())).toEqual([6_000_002]);
    const a = e.tensor([[1, 2], [3, 4]]);
    const c = e.matmul(a, a);
    expect(Array.from(await c.read())).toEqual([7, 10, 15, 22]);
    await e.sync();
    for (const t of [again, s, a, c]) t.dispose();
  });

  it('a buffer whose out-of-memory error arrives after its op released it (a temporary) is destroyed, never handed out again', async () => {
    // The device itself fails one creation here, as Dawn does: the buffer is invalid and its
    // 'out-of-memory' scope resolves later, when colSums had already pooled its temporary.
    const fresh = await createEngine({ backend: 'webgpu', log: null }); // a pool with nothing in it
    const d = fresh.gpuDevice!;
    const [push, pop, create] = [d.pushErrorScope, d.popErrorScope, d.createBuffer];
    const failing: boolean[] = []; // one per open error scope: whether it reports an out-of-memory
    let failSize = bufferBytes(800 * 4, Infinity); // colSums' 800-float partial sums of 1000 × 100
    d.pushErrorScope = function (this: GPUDevice, filter: GPUErrorFilter) {
      failing.push(false);
      return push.call(this, filter);
    };
    d.popErrorScope = function (this: GPUDevice) {
      const fail = failing.pop();
      const p = pop.call(this);
      return fail ? p.then(() => ({ message: 'emulated out of memory' }) as GPUError) : p;
    };
    d.createBuffer = function (this: GPUDevice, desc: GPUBufferDescriptor) {
      const b = create.call(this, desc);
      if (desc.size === failSize) {
        failSize = -1;
        failing[failing.length - 1] = true;
        b.destroy(); // invalid, as an allocation that failed
      }
      return b;
    };
    try {
      const x = fresh.tensor(new Float32Array(1000 * 100).fill(1), [1000, 100]);
      const sums = fresh.colSums(x);
      expect(failSize, 'the partial sums were allocated').toBe(-1);
      await expect(fresh.sync()).rejects.toThrow(/out-of-memory error in op 'allocate \d+ bytes/);
      // colSums' submit used the invalid buffer: its own error comes next, then none.
      await expect(fresh.sync()).rejects.toThrow(/validation error in op 'submit of \[colSums\]'/);
      await fresh.sync();
      sums.dispose();
      // The next tensor of that size class got the destroyed buffer: every read of it failed.
      const t = fresh.tensor(new Float32Array(800).fill(7));
      expect(Array.from(await t.read())).toEqual(new Array(800).fill(7));
      await fresh.sync();
      expect(Array.from(await fresh.scale(t, 2).read())).toEqual(new Array(800).fill(14));
    } finally {
      Object.assign(d, { pushErrorScope: push, popErrorScope: pop, createBuffer: create });
      fresh.destroy();
    }
  });

  it('every error is reported, each by the first sync()/read() issued after its op', async () => {
    // Size classes no earlier test here pooled (4 and 8 MiB), so each op creates a buffer: the
    // hook fails creations, not reuses.
    const x = e.tensor(new Float32Array(5_001).fill(1));
    await e.sync();
    // A read issued before a failing op gets its data; the error goes to the next check.
    const early = x.read();
    poolTestHooks.failAllocations = 2;
    const y = e.zeros([917_505]); // out of memory
    const z = e.zeros([1_835_009]); // out of memory, a second error
    expect((await early).length).toBe(5_001);
    const errs: string[] = [];
    for (let i = 0; i < 3; i++) await e.sync().then(() => errs.push('ok'), (err: GPUOpError) => errs.push(`${err.kind}: ${err.message}`));
    expect(errs[0], JSON.stringify(errs)).toMatch(/^out-of-memory: .*allocate \d+ bytes for a tensor of 917505 floats/);
    expect(errs[1]).toMatch(/^out-of-memory: .*allocate \d+ bytes for a tensor of 1835009 floats/);
    expect(errs[2]).toBe('ok');
    for (const t of [x, y, z]) t.dispose();
  });

  it('disposing a failed tensor before its batch is submitted keeps the other ops of the batch', async () => {
    const x = e.tensor([1, 2, 3, 4, 5]);
    const big = e.tensor(new Float32Array(458_753).fill(1)); // a 2 MiB buffer: a class no earlier test pooled
    await e.sync();
    poolTestHooks.failAllocations = 1;
    const y = e.scale(big, 2); // its output buffer (a second 2 MiB one) runs out of memory
    const z = e.scale(x, 3); // same batch, unrelated
    y.dispose();
    await expect(z.read()).rejects.toThrow(/tensor of 458753 floats/);
    expect(Array.from(await z.read())).toEqual([3, 6, 9, 12, 15]);
    await e.sync();
    for (const t of [x, big, z]) t.dispose();
  });

  it('a read that reports an error still returns its staging buffer to the pool', async () => {
    const x = e.tensor(new Float32Array(1000).fill(1));
    await x.read();
    const pooled = e.memory().pooledBuffers;
    for (let i = 0; i < 3; i++) {
      poolTestHooks.failAllocations = 1;
      e.zeros([[229_377, 327_681, 393_217][i]!]).dispose(); // a new size class (1, 1.25, 1.5 MiB): its creation fails
      await expect(x.read()).rejects.toThrow(GPUOpError);
      expect(e.memory().pooledBuffers, `after failed read ${i}`).toBe(pooled);
    }
    x.dispose();
  });
});

describe('the buffer pool is capped', () => {
  const CAP = 1 << 20;

  it('free storage buffers past the cap are destroyed, oldest first (24 live tensors of ~0.3 MiB, then disposed)', async () => {
    poolTestHooks.maxPooledBytes = CAP;
    await e.sync();
    const base = e.memory().pooledBytes;
    const zs = Array.from({ length: 24 }, (_, i) => e.zeros([65_536 + 4096 * i]));
    const ts = [...zs, ...zs.map((z) => e.sigmoid(z))];
    await e.sync();
    for (const t of ts) t.dispose();
    await e.sync();
    const m = e.memory();
    expect(m.liveTensors).toBe(0);
    // Without the cap the 48 buffers (zeros and σ of each) would all stay: ~14 MiB.
    expect(m.pooledBytes).toBeLessThanOrEqual(Math.max(CAP, base));
  });

  it('a thousand reads at once leave at most the cap of staging buffers behind', async () => {
    poolTestHooks.maxPooledBytes = CAP;
    const x = e.tensor(rng(7).uniform(65_536, -2, 2));
    const reads = await Promise.all(Array.from({ length: 1000 }, () => x.read()));
    expect(reads[999]).toEqual(reads[0]);
    x.dispose();
    await e.sync();
    expect(e.memory().pooledBytes).toBeLessThanOrEqual(CAP);
  }, 60_000);

  it('with a cap of 0 bytes (every free buffer destroyed as soon as no unsubmitted command can use it) ops stay right', async () => {
    poolTestHooks.maxPooledBytes = 0;
    const [n, k, m] = [37, 65, 19];
    const aData = rng(11).uniform(n * k, -2, 2);
    const bData = rng(12).uniform(k * m, -2, 2);
    // Operands and intermediates are disposed while the batch that uses them is still open:
    // destroying those buffers then would fail the whole submit.
    let a = e.tensor(aData, [n, k]);
    const b = e.tensor(bData, [k, m]);
    const p = e.matmul(a, b);
    a.dispose();
    const s = e.sigmoid(p);
    p.dispose();
    for (let i = 0; i < 10; i++) e.zeros([4096 + 64 * i]).dispose();
    a = e.tensor(aData, [n, k]); // reuse-or-create under pressure
    const out = await s.read();
    const ref = Array.from(refMatmul(aData, bData, n, m, k), refSigmoidScalar);
    expectClose(out, ref, { atol: 1e-6 });
    for (const t of [a, b, s]) t.dispose();
    await e.sync();
    expect(e.memory()).toMatchObject({ liveTensors: 0, pooledBytes: 0, pooledBuffers: 0 });
  });
});
