// Engine-level behaviour on both backends: choosing a backend (and saying which in one
// line), adapter info, the WebGPU kernel tiling, memory accounting and buffer reuse, tensor creation and its errors,
// and use after destroy(). For 'webgpu' nothing is skipped: without an adapter these
// tests fail with createEngine's message.
import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError, createEngine, describeAdapter, DisposedError, type Engine, ShapeError, Tensor, ValueError,
} from '../src/index.js';
import { CpuPool, MAX_POOLED_BYTES } from '../src/cpu/pool.js';
import { resolveTiling } from '../src/webgpu/tiling.js';
import { describeError } from '../tools/describe-error.js';

async function engineFor(backend: 'cpu' | 'webgpu'): Promise<Engine> {
  try {
    return await createEngine({ backend, log: null });
  } catch (err) {
    throw new Error(`createEngine({ backend: '${backend}' }) failed: ${describeError(err)}`);
  }
}

async function withEngine(backend: 'cpu' | 'webgpu', fn: (e: Engine) => Promise<void>): Promise<void> {
  const e = await engineFor(backend);
  try {
    await fn(e);
  } finally {
    e.destroy();
  }
}

describe('createEngine', () => {
  it('cpu: backend "cpu", no adapter, positive limits', async () => {
    await withEngine('cpu', async (e) => {
      expect(e.backend).toBe('cpu');
      expect(e.adapterInfo).toBeNull();
      for (const [name, v] of Object.entries(e.limits)) {
        expect(Number.isInteger(v) && v > 0, `limit ${name} = ${v}`).toBe(true);
      }
      expect(e.limits.maxBufferSize).toBeGreaterThanOrEqual(e.limits.maxStorageBufferBindingSize);
    });
  });

  it('webgpu: backend "webgpu" with adapter info and device limits', async () => {
    await withEngine('webgpu', async (e) => {
      expect(e.backend).toBe('webgpu');
      const info = e.adapterInfo;
      expect(info).not.toBeNull();
      expect(typeof info!.isFallbackAdapter).toBe('boolean');
      expect(typeof info!.vendor).toBe('string');
      expect(typeof info!.architecture).toBe('string');
      expect(typeof info!.device).toBe('string');
      expect(typeof info!.description).toBe('string');
      // WebGPU guarantees at least these (the spec's default limits).
      expect(e.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
      expect(e.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * 1024 * 1024);
      expect(e.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
      expect(e.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    });
  });

  it("auto: picks WebGPU here and says so in exactly one line through `log`", async () => {
    const lines: string[] = [];
    const e = await createEngine({ backend: 'auto', log: (line) => lines.push(line) });
    try {
      expect(e.backend).toBe('webgpu');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/WebGPU/);
      expect(lines[0]).not.toContain('\n');
    } finally {
      e.destroy();
    }
  });

  it('auto is the default, and log: null is silent', async () => {
    const e = await createEngine({ log: null });
    try {
      expect(['webgpu', 'cpu']).toContain(e.backend);
    } finally {
      e.destroy();
    }
  });

  it('an unknown backend name is a ValueError naming it', async () => {
    await expect(createEngine({ backend: 'tpu' as 'cpu', log: null })).rejects.toThrow(ValueError);
    await expect(createEngine({ backend: 'tpu' as 'cpu', log: null })).rejects.toThrow(/tpu/);
  });

  it('a GPUDevice with backend "cpu" is a ValueError', async () => {
    await expect(createEngine({ backend: 'cpu', device: {} as GPUDevice, log: null })).rejects.toThrow(ValueError);
  });

  it('tiling: null on the CPU; auto picks register on a CPU-backed adapter, workgroup on hardware', async () => {
    await withEngine('cpu', async (e) => {
      expect(e.tiling).toBeNull();
    });
    await withEngine('webgpu', async (e) => {
      const info = e.adapterInfo!;
      // The drivers here (lavapipe, SwiftShader) are fallback adapters; a hardware GPU is not.
      expect(e.tiling).toBe(info.isFallbackAdapter ? 'register' : 'workgroup');
    });
    const cpuBacked = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: '', isFallbackAdapter: false };
    expect(resolveTiling(undefined, cpuBacked)).toBe('register');
    expect(resolveTiling('auto', { ...cpuBacked, device: 'NVIDIA H100', architecture: 'hopper' })).toBe('workgroup');
    expect(resolveTiling('auto', null)).toBe('workgroup');
    expect(resolveTiling('register', null)).toBe('register');
  });

  it('the CPU pool keeps the most recently freed arrays: past its cap the least recently freed go', () => {
    const pool = new CpuPool();
    const big = (MAX_POOLED_BYTES / 16) / 4; // 16 of these fill the pool
    const olds = Array.from({ length: 16 }, () => new Float32Array(big));
    for (const a of olds) pool.give(a);
    expect(pool.stats()).toEqual({ pooledBytes: MAX_POOLED_BYTES, pooledBuffers: 16 });
    const recent = new Float32Array(1000);
    pool.give(recent);
    expect(pool.take(1000)).toBe(recent); // kept (the oldest big array made room), reused
    expect(pool.stats()).toEqual({ pooledBytes: 15 * big * 4, pooledBuffers: 15 });
    expect(pool.take(big)).toBe(olds[15]); // the most recent of the rest first
    expect(pool.take(big) === olds[0]).toBe(false); // the oldest was let go (not.toBe compares 4 MiB arrays deeply)
    pool.give(new Float32Array(MAX_POOLED_BYTES / 4 + 4)); // larger than the whole pool: not kept
    expect(pool.stats().pooledBytes).toBeLessThanOrEqual(MAX_POOLED_BYTES);
  });

  it('describeAdapter: the description when there is one, else vendor, architecture and device; and which kind', () => {
    const lavapipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', isFallbackAdapter: true };
    expect(describeAdapter(lavapipe)).toBe('llvmpipe: Mesa 25.0.7 (LLVM 15.0.6), software (fallback) adapter');
    expect(describeAdapter({ ...lavapipe, description: ' ', isFallbackAdapter: false })).toBe('mesa software llvmpipe-llvm-15, hardware adapter');
    expect(describeAdapter({ vendor: '', architecture: '', isFallbackAdapter: false })).toBe('unknown adapter, hardware adapter');
  });

  it('tiling: a forced choice holds, also for the backend recover() makes', async () => {
    for (const tiling of ['workgroup', 'register'] as const) {
      const e = await createEngine({ backend: 'webgpu', tiling, log: null });
      try {
        expect(e.tiling).toBe(tiling);
        expect(await e.recover()).toBe('webgpu');
        expect(e.tiling).toBe(tiling);
      } finally {
        e.destroy();
      }
    }
  });

  it('tiling: an unknown choice is a ValueError naming it, before any device is made', async () => {
    await expect(createEngine({ backend: 'cpu', tiling: 'shared' as 'auto', log: null })).rejects.toThrow(/tiling.*"shared"/);
    await expect(createEngine({ backend: 'webgpu', tiling: 'shared' as 'auto', log: null })).rejects.toThrow(ValueError);
  });

  it('BackendUnavailableError is exported for callers that want to catch it', () => {
    expect(new BackendUnavailableError('x')).toBeInstanceOf(Error);
  });
});

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`${backend}: memory`, () => {
    it('liveTensors and liveBytes go up with tensors and back down after dispose', async () => {
      await withEngine(backend, async (e) => {
        const m0 = e.memory();
        expect(m0.liveTensors).toBe(0);
        expect(m0.liveBytes).toBe(0);
        const a = e.tensor(new Float32Array(100), [10, 10]);
        expect(e.memory()).toMatchObject({ liveTensors: 1, liveBytes: 400 });
        const b = e.sigmoid(a);
        const c = e.sum(b);
        expect(e.memory()).toMatchObject({ liveTensors: 3, liveBytes: 400 + 400 + 4 });
        b.dispose();
        b.dispose(); // twice: counted once
        expect(e.memory()).toMatchObject({ liveTensors: 2, liveBytes: 404 });
        expect(await c.read()).toEqual(Float32Array.of(50)); // Σ σ(0) over 100 elements
        a.dispose();
        c.dispose();
        expect(e.memory()).toMatchObject({ liveTensors: 0, liveBytes: 0 });
      });
    });

    it('engine.disposeTensor (internal, but in the typings) frees a tensor once: counts never go negative, a later use is a DisposedError', async () => {
      await withEngine(backend, async (e) => {
        const t = e.tensor([1, 2, 3, 4]);
        e.disposeTensor(t);
        e.disposeTensor(t);
        t.dispose();
        expect(e.memory()).toMatchObject({ liveTensors: 0, liveBytes: 0 }); // was −1 and −16
        const u = e.tensor([1, 2, 3, 4]);
        e.disposeTensor(u);
        expect(() => e.scale(u, 2)).toThrow(DisposedError);
        await expect(u.read()).rejects.toThrow(DisposedError);
        u.dispose();
        expect(e.memory()).toMatchObject({ liveTensors: 0, liveBytes: 0 });
      });
    });

    it('1,000 alloc–op–dispose iterations leave liveBytes flat and the pool bounded (buffers reused)', async () => {
      await withEngine(backend, async (e) => {
        const data = new Float32Array(64 * 65).map((_, i) => Math.sin(i));
        const bytesPerIteration = 4 * (3 * 64 * 65 + 1);
        const checkpoints: { pooledBytes: number; pooledBuffers: number }[] = [];
        for (let it = 1; it <= 1000; it++) {
          const x = e.tensor(data, [64, 65]);
          const y = e.sigmoid(x, { alpha: 1.5 });
          const z = e.mul(x, y);
          const s = e.mean(z);
          if (it % 100 === 0) {
            const v = await s.read();
            expect(Number.isFinite(v[0]!)).toBe(true);
          }
          for (const t of [x, y, z, s]) t.dispose();
          if (it % 100 === 0) {
            await e.sync();
            const m = e.memory();
            expect(m.liveTensors).toBe(0);
            expect(m.liveBytes).toBe(0);
            checkpoints.push({ pooledBytes: m.pooledBytes, pooledBuffers: m.pooledBuffers });
          }
        }
        const first = checkpoints[0]!;
        // Bounded: a few iterations' worth of buffers at most, and no growth after the first 100.
        expect(first.pooledBytes).toBeGreaterThan(0);
        expect(first.pooledBytes).toBeLessThanOrEqual(8 * bytesPerIteration);
        for (const c of checkpoints) {
          expect(c.pooledBytes).toBeLessThanOrEqual(first.pooledBytes);
          expect(c.pooledBuffers).toBeLessThanOrEqual(first.pooledBuffers);
        }
      });
    });
  });

  describe(`${backend}: tensors`, () => {
    it('a null activation is the identity, as undefined (it was a TypeError reading "kind")', async () => {
      await withEngine(backend, async (e) => {
        const x = e.tensor([[1.5, -2], [0.25, 3]]);
        const w = e.tensor([[1, 2], [-1, 0.5]]);
        expect(await e.activation(x, null as never).toArray()).toEqual([[1.5, -2], [0.25, 3]]);
        expect(await e.linear(x, w, null, null as never).toArray()).toEqual(await e.linear(x, w, null).toArray());
        expect(await e.activationBackward(w, x, null as never).toArray()).toEqual([[1, 2], [-1, 0.5]]);
      });
    });

    it('tensor() from nested rows, Float32Array, flat + shape; toArray()', async () => {
      await withEngine(backend, async (e) => {
        const nested = e.tensor([[1, 2, 3], [4, 5, 6]]);
        expect(nested).toBeInstanceOf(Tensor);
        expect(nested.shape).toEqual([2, 3]);
        expect(nested.rows).toBe(2);
        expect(nested.cols).toBe(3);
        expect(nested.size).toBe(6);
        expect(await nested.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);

        const src = Float32Array.of(0.5, -1.25, 3e38, 1e-30);
        const vec = e.tensor(src);
        src[0] = 99; // the tensor holds a copy
        expect(vec.shape).toEqual([4]);
        expect(await vec.read()).toEqual(Float32Array.of(0.5, -1.25, 3e38, 1e-30));
        expect(await vec.toArray()).toEqual([0.5, -1.25, Math.fround(3e38), Math.fround(1e-30)]);

        const flat = e.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
        expect(await flat.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
        const f32 = e.tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
        expect(await f32.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
        const z = e.zeros([3, 4]);
        expect(await z.read()).toEqual(new Float32Array(12));
        expect(String(z)).toContain('3×4');

        const r = await flat.read();
        r[0] = 42; // read() returns a copy
        expect((await flat.read())[0]).toBe(1);
        for (const t of [nested, vec, flat, f32, z]) t.dispose();
        expect(e.memory().liveTensors).toBe(0);
      });
    });

    it('readAndDispose() returns the values and frees the tensor, also when the read fails', async () => {
      await withEngine(backend, async (e) => {
        const x = e.tensor([[1, -2], [3, 4]]);
        const y = e.scale(x, 0.5);
        expect(Array.from(await y.readAndDispose())).toEqual([0.5, -1, 1.5, 2]);
        expect(y.disposed).toBe(true);
        expect(e.memory().liveTensors).toBe(1);
        const foreign = await engineFor('cpu');
        try {
          const t = foreign.tensor([1, 2, 3]);
          foreign.destroy(); // its read now fails
          await expect(t.readAndDispose()).rejects.toThrow(/destroy/);
          expect(t.disposed).toBe(true);
        } finally {
          foreign.destroy();
        }
        x.dispose();
        expect(e.memory().liveTensors).toBe(0);
      });
    });

    it('tensor() errors name the data and the shape', async () => {
      await withEngine(backend, async (e) => {
        expect(() => e.tensor([1, 2, 3], [2, 2])).toThrow(ShapeError);
        expect(() => e.tensor([1, 2, 3], [2, 2])).toThrow(/3 values.*\[2, 2\]/);
        expect(() => e.tensor(new Float32Array(5), [2, 3])).toThrow(ShapeError);
        expect(() => e.tensor([[1, 2], [3]])).toThrow(ShapeError);
        expect(() => e.tensor([1, 2], [2, 0])).toThrow(ShapeError);
        expect(() => e.tensor([1, 2], [1, 1, 2])).toThrow(ShapeError);
        expect(() => e.tensor([1, 2], [1.5])).toThrow(ShapeError);
        expect(() => e.tensor([])).toThrow(ShapeError);
        expect(() => e.tensor([1, 'x' as unknown as number])).toThrow(ValueError);
        expect(() => e.tensor('abc' as unknown as number[])).toThrow(ValueError);
        expect(() => e.zeros([-1])).toThrow(ShapeError);
        expect(e.memory().liveTensors).toBe(0); // nothing half-made
      });
    });

    it('a tensor cannot be used with another engine', async () => {
      const other = await engineFor('cpu');
      try {
        await withEngine(backend, async (e) => {
          const a = e.tensor([[1, 2], [3, 4]]);
          const b = other.tensor([[1, 2], [3, 4]]);
          expect(() => e.add(a, b)).toThrow(ValueError);
          expect(() => other.matmul(b, a)).toThrow(ValueError);
          // A sigmoid's α tensor too, in every op that takes one.
          const alpha = other.tensor([2]);
          const ownAlpha = e.tensor([2]);
          const y = e.sigmoid(a, { alpha: ownAlpha });
          expect(() => e.sigmoid(a, { alpha })).toThrow(/belongs to another engine/);
          expect(() => e.linear(a, a, null, { kind: 'sigmoid', alpha })).toThrow(/belongs to another engine/);
          expect(() => e.activationBackward(a, y, { kind: 'sigmoid', alpha })).toThrow(/belongs to another engine/);
          expect(() => e.sigmoidBackward(a, a, y, { alpha })).toThrow(/belongs to another engine/);
          for (const t of [alpha, ownAlpha, y]) t.dispose();
          a.dispose();
          b.dispose();
        });
      } finally {
        other.destroy();
      }
    });
  });

  describe(`${backend}: destroy`, () => {
    it('use after destroy() throws DisposedError; destroy() and dispose() stay harmless', async () => {
      const e = await engineFor(backend);
      const t = e.tensor([1, 2, 3]);
      const u = e.sigmoid(t);
      e.destroy();
      expect(() => e.tensor([1])).toThrow(DisposedError);
      expect(() => e.zeros([2])).toThrow(DisposedError);
      expect(() => e.memory()).toThrow(DisposedError);
      expect(() => e.backend).toThrow(DisposedError);
      expect(() => e.sigmoid(t)).toThrow(DisposedError);
      await expect(t.read()).rejects.toThrow(DisposedError);
      await expect((async () => e.sync())()).rejects.toThrow(DisposedError);
      expect(() => u.dispose()).not.toThrow();
      expect(() => e.destroy()).not.toThrow();
    });

    if (backend === 'webgpu') {
      it("a device passed in runs the engine whether backend is left out, 'webgpu' or 'auto'", async () => {
        const owner = await engineFor('webgpu');
        try {
          for (const choice of [undefined, 'webgpu', 'auto'] as const) {
            const lines: string[] = [];
            const e = await createEngine({ device: owner.gpuDevice!, log: (l) => lines.push(l), ...(choice ? { backend: choice } : {}) });
            expect(e.gpuDevice, String(choice)).toBe(owner.gpuDevice);
            expect(lines.every((l) => !l.includes('running on the CPU')), String(choice)).toBe(true);
            e.destroy();
          }
        } finally {
          owner.destroy();
        }
      });

      it('on a device passed in by the caller, a read() and a sync() pending at destroy() both reject with DisposedError', async () => {
        const owner = await engineFor('webgpu');
        const e = await createEngine({ device: owner.gpuDevice!, log: null });
        try {
          const t = e.sigmoid(e.tensor(new Float32Array(4096).fill(0.5)));
          const read = t.read();
          const sync = e.sync();
          e.destroy();
          await expect(read).rejects.toThrow(DisposedError);
          await expect(sync).rejects.toThrow(DisposedError);
          // The caller's device is untouched.
          const u = owner.tensor([1, 2]);
          expect(Array.from(await u.read())).toEqual([1, 2]);
          u.dispose();
        } finally {
          owner.destroy();
        }
      });
    }

    it('a read() or sync() pending when destroy() runs rejects with a typed error', async () => {
      const e = await engineFor(backend);
      const t = e.sigmoid(e.tensor(new Float32Array(4096).fill(0.5)));
      const read = t.read();
      const sync = e.sync();
      e.destroy();
      for (const [what, p] of [['read', read], ['sync', sync]] as const) {
        // Either it finished before destroy() took effect, or it names what happened.
        const r = await p.then(() => null, (err: unknown) => err);
        if (r !== null) expect(r, `${what}: ${String(r)}`).toBeInstanceOf(DisposedError);
      }
    });
  });
}
