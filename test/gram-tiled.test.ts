// Tiled Gram matrices (src/kernels/gram-tiled.ts) on both backends: tiles stitched together
// equal the untiled engine.gram bit for bit (same kernel, same data: tiling must not change
// the per-entry arithmetic), K(X, X) is mirrored exactly, every entry is handed over once,
// 'projected-sigmoid' matches float64, and bad options fail with typed errors. Engines
// poison their outputs with NaN, so an entry a tile forgets to write shows up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import type { Engine, GramOptions, GramTile, GramTileOptions, Matrix } from '../src/index.js';
import { checkLargeGram } from '../bench/gram-check.js';
import { expectClose } from './helpers/expectClose.js';
import { refGram } from './helpers/reference.js';
import { Rng } from './helpers/rng.js';
import { expectYields } from './helpers/yields.js';

function matrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  return { rows, cols, data: rng.uniform(rows * cols).map((v) => v * scale) };
}

/** engine.gram of the whole (one dispatch), read back. */
async function untiled(engine: Engine, x: Matrix, y: Matrix | null, opts: GramOptions): Promise<Float32Array> {
  const tx = engine.tensor(x.data, [x.rows, x.cols]);
  const ty = y ? engine.tensor(y.data, [y.rows, y.cols]) : null;
  const k = engine.gram(tx, ty, opts);
  try {
    return await k.read();
  } finally {
    for (const t of [tx, ty, k]) t?.dispose();
  }
}

/** Runs gramTiles, stitching the tiles and counting how often each entry was handed over. */
async function stitch(engine: Engine, x: Matrix, y: Matrix | null, opts: GramTileOptions) {
  const n = x.rows;
  const m = y ? y.rows : x.rows;
  const k = new Float32Array(n * m).fill(Number.NaN);
  const seen = new Uint8Array(n * m);
  const tiles: GramTile[] = [];
  const progress: lib.GramTileProgress[] = [];
  const plan = await lib.gramTiles(engine, x, y, { ...opts, onProgress: (p) => progress.push(p) }, (t) => {
    tiles.push(t);
    expect(t.data.length, 'tile data length').toBe(t.rows * t.cols);
    for (let r = 0; r < t.rows; r++) {
      for (let c = 0; c < t.cols; c++) {
        const e = (t.rowStart + r) * m + t.colStart + c;
        k[e] = t.data[r * t.cols + c]!;
        seen[e]!++;
      }
    }
  });
  return { k, seen, tiles, progress, plan };
}

function expectBits(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  let diff = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      diff = i;
      break;
    }
  }
  expect(diff, `${label}: first entry that differs in its bits (${diff >= 0 ? `${actual[diff]} vs ${expected[diff]}` : ''})`).toBe(-1);
}

const KERNELS: readonly (GramOptions & { label: string })[] = [
  { label: 'sigmoid', kernel: 'sigmoid', gamma: 0.1 },
  { label: 'rbf', kernel: 'rbf', gamma: 0.2 },
  { label: 'polynomial', kernel: 'polynomial', gamma: 0.1, coef0: 0.5, degree: 3 },
];

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`gramTiles on ${backend}`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await lib.createEngine({ backend, log: null, poisonOutputs: true });
    });
    afterAll(() => engine?.destroy());

    const noLeaks = async (fn: () => Promise<void>) => {
      const before = engine.memory().liveTensors;
      await fn();
      expect(engine.memory().liveTensors, 'live tensors after the run').toBe(before);
    };

    it('K(X, Y) stitched from 17×64 tiles equals the untiled gram bit for bit, every entry once', () =>
      noLeaks(async () => {
        const rng = new Rng(11);
        const d = 13;
        const x = matrix(rng, 150, d);
        const y = matrix(rng, 197, d);
        const projected: GramOptions & { label: string } = {
          label: 'projected-sigmoid', kernel: 'projected-sigmoid', gamma: 0.3,
          alpha: rng.uniform(d).map((v) => v / d), beta: rng.uniform(d).map((v) => v / d),
        };
        for (const { label, ...opts } of [...KERNELS, projected]) {
          const ref = await untiled(engine, x, y, opts);
          for (const [tileRows, tileCols] of [[17, 64], [64, 17], [1, 197], [150, 1], [1000, 1000]] as const) {
            const { k, seen, tiles, progress, plan } = await stitch(engine, x, y, { ...opts, tileRows, tileCols });
            const tag = `${label} ${tileRows}×${tileCols}`;
            expect(seen.every((v) => v === 1), `${tag}: every entry handed over exactly once`).toBe(true);
            expectBits(k, ref, tag);
            const expectedTiles = Math.ceil(150 / Math.min(tileRows, 150)) * Math.ceil(197 / Math.min(tileCols, 197));
            expect(tiles.length, `${tag}: tiles`).toBe(expectedTiles);
            expect(plan.computedTiles, `${tag}: computed tiles`).toBe(expectedTiles);
            expect(tiles.every((t) => !t.mirrored), `${tag}: nothing mirrored`).toBe(true);
            expect(progress.at(-1), `${tag}: last progress`).toEqual({ tilesDone: expectedTiles, tiles: expectedTiles, entriesDone: 150 * 197, entries: 150 * 197 });
          }
        }
      }));

    it('K(X, X) computes the upper triangle of tiles and mirrors it exactly', () =>
      noLeaks(async () => {
        const rng = new Rng(12);
        const x = matrix(rng, 130, 9);
        for (const { label, ...opts } of KERNELS) {
          const ref = await untiled(engine, x, null, opts);
          const { k, seen, tiles, plan } = await stitch(engine, x, null, { ...opts, tileRows: 17, tileCols: 64 });
          expect(plan.tileRows, 'symmetric tiles are square: min(17, 64)').toBe(17);
          expect(plan.tileCols).toBe(17);
          const blocks = Math.ceil(130 / 17);
          expect(plan.computedTiles).toBe((blocks * (blocks + 1)) / 2);
          expect(tiles.filter((t) => !t.mirrored).length, `${label}: computed tiles`).toBe((blocks * (blocks + 1)) / 2);
          expect(tiles.length, `${label}: all tiles`).toBe(blocks * blocks);
          for (const t of tiles) {
            if (!t.mirrored) expect(t.colStart, 'a computed tile is on or above the diagonal').toBeGreaterThanOrEqual(t.rowStart);
            else expect(t.colStart, 'a mirrored tile is below the diagonal').toBeLessThan(t.rowStart);
          }
          expect(seen.every((v) => v === 1), `${label}: every entry once`).toBe(true);
          let asym = 0;
          for (let i = 0; i < 130; i++) for (let j = 0; j < i; j++) if (!Object.is(k[i * 130 + j], k[j * 130 + i])) asym++;
          expect(asym, `${label}: K[j, i] !== K[i, j]`).toBe(0);
          // The upper triangle is engine.gram's own values (and so is the lower, by mirroring).
          const upper = (a: Float32Array) => Float32Array.from({ length: (130 * 131) / 2 }, (_, e) => {
            let i = 0;
            let r = e;
            while (r >= 130 - i) r -= 130 - i++;
            return a[i * 130 + i + r]!;
          });
          expectBits(upper(k), upper(ref), `${label} upper triangle`);
          // mirror: false computes every tile and equals the untiled K bit for bit.
          const full = await stitch(engine, x, null, { ...opts, tileRows: 17, tileCols: 64, mirror: false });
          expect(full.tiles.length).toBe(Math.ceil(130 / 17) * Math.ceil(130 / 64));
          expectBits(full.k, ref, `${label} mirror: false`);
        }
      }));

    it('gramMatrix of many tiny tiles equals gramMatrix in one tile; projected-sigmoid matches float64', () =>
      noLeaks(async () => {
        const rng = new Rng(13);
        const d = 21;
        const x = matrix(rng, 77, d);
        const y = matrix(rng, 45, d);
        const alpha = Array.from(rng.uniform(d), (v) => v / d);
        const beta = rng.uniform(d).map((v) => v / d);
        for (const yy of [y, null]) {
          const m = yy ? 45 : 77;
          const opts: GramOptions = { kernel: 'projected-sigmoid', alpha, beta, gamma: -0.25 };
          const whole = await lib.gramMatrix(engine, x, yy, opts);
          const tiny = await lib.gramMatrix(engine, x, yy, { ...opts, tileRows: 5, tileCols: 7 });
          expectBits(tiny, whole, `tiny tiles, Y ${yy ? 'given' : 'null'}`);
          const ref = refGram(x.data, (yy ?? x).data, 77, m, d, { kernel: 'projected-sigmoid', gamma: -0.25, coef0: 1, degree: 3, alpha, beta });
          if (!yy) {
            // σ(αᵀx + βᵀy + γ) with α ≠ β is not symmetric: no mirroring, every tile computed.
            const plan = lib.planGramTiles(engine.limits, 77, 77, d, false, { tileRows: 5, tileCols: 7 });
            const got = await stitch(engine, x, null, { ...opts, tileRows: 5, tileCols: 7 });
            expect(got.plan.symmetric).toBe(false);
            expect(got.tiles.length).toBe(plan.tiles);
            expect(got.tiles.every((t) => !t.mirrored)).toBe(true);
            // with α = β it is symmetric, and mirrored.
            const sym = await stitch(engine, x, null, { ...opts, beta: alpha, tileRows: 5, tileCols: 7 });
            expect(sym.plan.symmetric).toBe(true);
            expectBits(sym.k, await untiled(engine, x, null, { ...opts, beta: alpha }), 'projected-sigmoid α = β, mirrored');
          }
          expectClose(tiny, ref, { atol: 1e-6, label: `projected-sigmoid vs float64, Y ${yy ? 'given' : 'null'}` });
          const sig = await lib.gramMatrix(engine, x, yy, { tileRows: 3, tileCols: 64 });
          expectClose(sig, refGram(x.data, (yy ?? x).data, 77, m, d, { kernel: 'sigmoid', gamma: 1 / d, coef0: 1, degree: 3 }), {
            atol: 1e-6, label: `sigmoid default options, Y ${yy ? 'given' : 'null'}`,
          });
        }
      }));

    it('default tiles stay inside the device limits and ≤ 2048 per side', () => {
      const l = engine.limits;
      const plan = lib.planGramTiles(l, 30000, 20000, 784, false);
      expect(plan.tileRows).toBeLessThanOrEqual(lib.DEFAULT_GRAM_TILE);
      expect(plan.tileCols).toBeLessThanOrEqual(lib.DEFAULT_GRAM_TILE);
      const cap = Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize);
      expect(plan.tileRows * plan.tileCols * 4).toBeLessThanOrEqual(cap);
      expect(plan.tileRows * 784 * 4).toBeLessThanOrEqual(cap);
      // A tiny device: 64 KiB buffers. Operand blocks and tiles shrink to fit.
      const tiny = { ...l, maxStorageBufferBindingSize: 65536, maxBufferSize: 65536 };
      const p = lib.planGramTiles(tiny, 5000, 5000, 100, true);
      expect(p.tileRows * 100 * 4).toBeLessThanOrEqual(65536);
      expect(p.tileRows * p.tileCols * 4).toBeLessThanOrEqual(65536);
      expect(p.tileRows).toBe(p.tileCols);
      const q = lib.planGramTiles(tiny, 5000, 5000, 4, false, { tileRows: 1000 });
      expect(q.tileRows * q.tileCols * 4).toBeLessThanOrEqual(65536);
      expect(() => lib.planGramTiles(tiny, 5000, 5000, 4, false, { tileRows: 1000, tileCols: 1000 })).toThrow(lib.LimitError);
      expect(() => lib.planGramTiles(tiny, 10, 10, 20000, false)).toThrow(lib.LimitError);
      // Shapes that are no matrix (they planned 0-row tiles and NaN tile counts).
      for (const [n, m, d] of [[0, 5, 3], [5, 0, 3], [5, 5, 0], [2.5, 5, 3], [5, Number.NaN, 3]]) {
        expect(() => lib.planGramTiles(engine.limits, n!, m!, d!, false), `${n}, ${m}, ${d}`).toThrow(lib.ValueError);
      }
      expect(() => lib.planGramTiles(engine.limits, 0, 5, 3, false)).toThrow(/^planGramTiles: n must be a positive integer, got 0$/);
    });

    it('data whose float32 sums overflow (X ≈ 1e19, γ tiny): refused on WebGPU before any work (it gave rbf 0, tanh 1), right on the CPU', () =>
      noLeaks(async () => {
        const x: Matrix = { rows: 2, cols: 1, data: Float32Array.from([1.9e19, -1e18]) }; // ‖x₀ − x₁‖² = 4e38
        const rbf: GramOptions = { kernel: 'rbf', gamma: 1.2e-38 };
        if (backend === 'webgpu') {
          await expect(lib.gramMatrix(engine, x, null, rbf)).rejects.toThrow(/^gramMatrix: the squared distances ‖xᵢ − xⱼ‖² of X can reach 4\.00e\+38/);
          await expect(lib.gramTiles(engine, x, x, rbf, () => {})).rejects.toThrow(/^gramTiles: the squared distances/);
          // ⟨x₀, y₁⟩ = 3.61e38 − 1e38 fits float32, but its first term does not.
          const sx: Matrix = { rows: 1, cols: 2, data: Float32Array.from([1.9e19, 1e19]) };
          const sy: Matrix = { rows: 1, cols: 2, data: Float32Array.from([1.9e19, -1e19]) };
          await expect(lib.gramMatrix(engine, sx, sy, { kernel: 'sigmoid', gamma: 1.2e-38 })).rejects.toThrow(/^gramMatrix: the inner products/);
        } else {
          const diff = x.data[0]! - x.data[1]!;
          const k01 = Math.exp(-1.2e-38 * diff * diff); // 0.0082
          expectClose(await lib.gramMatrix(engine, x, null, rbf), [1, k01, k01, 1], { rtol: 1e-5 });
        }
      }));

    it('projected-sigmoid whose float32 projections overflow (⟨x, α⟩ = 2e38 + 2e38 − 2e38 − 2e38): refused on WebGPU (it gave σ(+Inf) = 1), right on the CPU', () =>
      noLeaks(async () => {
        const x: Matrix = { rows: 2, cols: 4, data: Float32Array.from([2e19, 2e19, 2e19, 2e19, 1, 2, 3, 4]) };
        const y: Matrix = { rows: 1, cols: 4, data: new Float32Array(4) };
        const huge = [1e19, 1e19, -1e19, -1e19];
        const ones = [1, 1, 1, 1];
        const opts: GramOptions = { kernel: 'projected-sigmoid', alpha: huge, beta: ones };
        // K[0, 0] = σ(0 + 0), K[1, 0] = σ(−4e19)
        if (backend === 'webgpu') {
          const refused = /^gram(Matrix|Tiles): the projections ⟨xᵢ, α⟩ and ⟨yⱼ, β⟩ of X can reach 8\.00e\+38, beyond float32's range/;
          await expect(lib.gramMatrix(engine, x, y, opts)).rejects.toThrow(refused);
          await expect(lib.gramMatrix(engine, x, null, opts)).rejects.toThrow(refused); // X is projected on α and β
          await expect(lib.gramTiles(engine, y, x, { ...opts, alpha: ones, beta: huge }, () => {})).rejects.toThrow(refused); // Y on β
        } else {
          expectClose(await lib.gramMatrix(engine, x, y, opts), [0.5, 0], { atol: 1e-7 });
        }
        // Terms of 2e37: the sums fit float32, and both backends agree.
        const small = huge.map((v) => v / 10);
        expectClose(await lib.gramMatrix(engine, x, y, { ...opts, alpha: small }), [0.5, 0], { atol: 1e-7 });
      }));

    it('a consumer that changes a tile in place does not change the mirrored tile after it', () =>
      noLeaks(async () => {
        const x = matrix(new Rng(15), 6, 3);
        const ref = await lib.gramMatrix(engine, x, null, { tileRows: 2 });
        const k = new Float32Array(36).fill(Number.NaN);
        await lib.gramTiles(engine, x, null, { tileRows: 2 }, (t) => {
          for (let r = 0; r < t.rows; r++) for (let c = 0; c < t.cols; c++) k[(t.rowStart + r) * 6 + t.colStart + c] = t.data[r * t.cols + c]!;
          t.data.fill(-7); // the tile is the consumer's: its mirror was transposed from it afterwards
        });
        expectBits(k, ref, 'K with every tile overwritten by its consumer');
      }));

    it('NaN and ±Inf in X are data, as to engine.gram: NaN entries where they reach, the same on both backends (WebGPU blamed an overflow)', () =>
      noLeaks(async () => {
        const x: Matrix = { rows: 3, cols: 2, data: Float32Array.from([Number.POSITIVE_INFINITY, 1, 0.5, 0.5, Number.NaN, 0.25]) };
        const y: Matrix = { rows: 2, cols: 2, data: Float32Array.from([1, 1, -0.5, 0.25]) };
        const row1 = [0.5, 0.5];
        const ys = [[1, 1], [-0.5, 0.25]];
        const dot = (a: number[], b: number[], w = [1, 1]) => a[0]! * b[0]! * w[0]! + a[1]! * b[1]! * w[1]!;
        const sigma = (z: number) => 1 / (1 + Math.exp(-z));
        // Row 0 holds +Inf: its sums are infinite (tanh(+Inf) = 1, σ(+Inf) = 1 were the CPU's
        // answers, NaN WebGPU's); row 2 holds NaN. Row 1 is finite and exact.
        const cases: [GramOptions, (y: number[]) => number][] = [
          [{ kernel: 'sigmoid', gamma: 0.5, coef0: 0.1 }, (yy) => Math.tanh(0.5 * dot(row1, yy) + 0.1)],
          [{ kernel: 'logistic', gamma: 0.5, coef0: 0 }, (yy) => sigma(0.5 * dot(row1, yy))],
          [{ kernel: 'projected-sigmoid', alpha: [1, 2], beta: [1, 1], gamma: 0 }, (yy) => sigma(dot(row1, [1, 1], [1, 2]) + dot(yy, [1, 1]))],
          // rbf with a γ too small to make any overflowed distance 0 (rbfSaturates): NaN.
          [{ kernel: 'rbf', gamma: 1e-37 }, (yy) => Math.exp(-1e-37 * ((row1[0]! - yy[0]!) ** 2 + (row1[1]! - yy[1]!) ** 2))],
        ];
        for (const [opts, k] of cases) {
          const got = await lib.gramMatrix(engine, x, y, opts);
          expect(Array.from(got.subarray(0, 2)), `${opts.kernel}: row 0 (+Inf)`).toEqual([Number.NaN, Number.NaN]);
          expectClose(got.subarray(2, 4), ys.map(k), { rtol: 1e-6, atol: 1e-7 });
          expect(Array.from(got.subarray(4, 6)), `${opts.kernel}: row 2 (NaN)`).toEqual([Number.NaN, Number.NaN]);
          expectBits(await untiled(engine, x, y, opts), got, `${opts.kernel}: engine.gram`); // no tiling: the same
        }
        // rbf whose γ makes any distance past float32 give 0: an infinite one gives 0 too.
        const rbf = await lib.gramMatrix(engine, x, y, { kernel: 'rbf', gamma: 0.5 });
        expect(Array.from(rbf.subarray(0, 2))).toEqual([0, 0]);
      }));

    it('errors: bad tile sizes, Y width, α length, too big for one Float32Array, a throwing onTile', () =>
      noLeaks(async () => {
        const rng = new Rng(14);
        const x = matrix(rng, 20, 3);
        const noop = () => {};
        for (const bad of [0, -1, 2.5, Number.NaN, '8' as unknown as number]) {
          await expect(lib.gramTiles(engine, x, null, { tileRows: bad }, noop), `tileRows ${bad}`).rejects.toThrow(lib.ValueError);
          await expect(lib.gramTiles(engine, x, null, { tileCols: bad }, noop), `tileCols ${bad}`).rejects.toThrow(/tileCols/);
        }
        await expect(lib.gramTiles(engine, x, null, { tileRows: 2 ** 30 }, noop)).rejects.toThrow(lib.LimitError);
        await expect(lib.gramTiles(engine, x, matrix(rng, 5, 4), {}, noop)).rejects.toThrow(lib.ShapeError);
        await expect(lib.gramTiles(engine, x, matrix(rng, 5, 4), {}, noop)).rejects.toThrow(/\[20, 3\].*\[5, 4\]/);
        await expect(lib.gramMatrix(engine, x, null, { kernel: 'projected-sigmoid', alpha: [1, 2], beta: [1, 2, 3] }))
          .rejects.toThrow(lib.ShapeError);
        await expect(lib.gramMatrix(engine, x, null, { kernel: 'projected-sigmoid', alpha: [1, 2, 3] })).rejects.toThrow(/beta/);
        // 70000² = 4.9·10⁹ entries: refused before any work (X itself is small).
        const tall: Matrix = { rows: 70000, cols: 1, data: new Float32Array(70000) };
        await expect(lib.gramMatrix(engine, tall, null)).rejects.toThrow(lib.LimitError);
        await expect(lib.gramMatrix(engine, tall, null)).rejects.toThrow(/70000×70000/);
        // An error in onTile stops the run, is rethrown, and frees everything (checked by noLeaks).
        let calls = 0;
        await expect(lib.gramTiles(engine, x, null, { tileRows: 4 }, () => {
          if (++calls === 3) throw new Error('consumer failed');
        })).rejects.toThrow('consumer failed');
        expect(calls).toBe(3);
        await expect(lib.gramTiles(engine, x, matrix(rng, 9, 3), { tileRows: 4, tileCols: 4 }, async () => {
          await new Promise((r) => setTimeout(r, 1));
          throw new Error('async consumer failed');
        })).rejects.toThrow('async consumer failed');
      }));
  });
}

describe('gramTiles and the event loop', () => {
  it('a CPU run with the default tiles yields between tiles (it never left the microtask queue: a page froze, onProgress could not repaint)', async () => {
    const cpu = await lib.createEngine({ backend: 'cpu', log: null });
    try {
      // One GPU-sized tile (2048²) held all of K, computed without a yield; the CPU default
      // tiles are sized by work, so K(1000 × 64) takes several, with yields between them.
      const x = matrix(new Rng(15), 1000, 64);
      let k: Float32Array = new Float32Array(0);
      await expectYields(async () => (k = await lib.gramMatrix(cpu, x, null)), 2);
      expectBits(k, await untiled(cpu, x, null, {}), 'default CPU tiles');
    } finally {
      cpu.destroy();
    }
  });
});

// The issue's "done when": a 20,000 × 20,000 sigmoid Gram matrix (1.6 GB of float32, over
// one buffer of a lavapipe device: 128 MiB bindings) streamed through gramTiles on WebGPU,
// 20 sampled rows checked against the CPU backend and float64. About 11 s on lavapipe
// (2 cores); `npm run bench:gram-20k` runs the same check as a script.
describe('20,000 × 20,000 sigmoid Gram on WebGPU through tiling', () => {
  it('matches the CPU backend on 20 sampled rows', async () => {
    const gpu = await lib.createEngine({ backend: 'webgpu', log: null });
    const cpu = await lib.createEngine({ backend: 'cpu', log: null });
    try {
      const r = await checkLargeGram(gpu, cpu, { n: 20000, d: 32, samples: 20 });
      expect(r.entries).toBe(20000 * 20000);
      expect(r.tiling.symmetric).toBe(true);
      expect(r.tiling.computedTiles).toBeLessThan(r.tiling.tiles);
      expect(r.maxDiffReference, 'max |webgpu − cpu| on the sampled rows').toBeLessThanOrEqual(1e-5);
      expect(r.maxDiffFloat64, 'max |webgpu − float64|').toBeLessThanOrEqual(1e-5);
      expect(gpu.memory().liveTensors).toBe(0);
    } finally {
      gpu.destroy();
      cpu.destroy();
    }
  }, 120_000);
});
