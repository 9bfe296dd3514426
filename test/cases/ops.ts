// The op suite: every engine op against a float64 reference, on fresh seeded inputs in
// [−2, 2] plus tiny and huge values, at awkward sizes (1, 3, 17, 63, 64, 65, 127, 257,
// 1000, 4096, 2^16+3). The SAME cases run in Node (test/ops.test.ts, both backends) and in
// headless Chromium (test/browser, against the built library), so this module imports no
// vitest and no Node module: only the test helpers and types. A runner passes an engine
// (created with poisonOutputs: true, so unwritten outputs read as NaN) and the library
// namespace (for the error classes); a case throws on failure and disposes what it makes.
//
// Training primitives (gatherRows, lossGrad, countCorrect, softmax, sumSquares, axpyInto,
// sgdStep, adamStep) are checked the same way; losses within 1e-5 relative, their
// gradients allclose(1e-6, 1e-6·scale) where scale = 1/size (1/rows) is the mean's factor,
// optimizer state after each of several steps allclose(1e-6, 1e-6) against float64.
//
// Tolerances (docs/DESIGN.md): matmul-like outputs ‖out − ref‖/‖ref‖ ≤ 1e-5; elementwise
// outputs in [0, 1] or [−1, 1] within 1e-6 absolute, others within 1e-6 relative;
// backward values (which mix both) allclose(rtol 1e-6, atol 1e-6); reductions within 1e-5
// relative, with an absolute floor of 1e-5·‖x‖₂ (the natural scale of a sum whose terms
// cancel). Sizes are chosen so the suite stays fast on a software GPU (~0.1 GFLOP/s).

import type { Activation, ActivationKind, Engine, GramKernel, GramOptions, Tensor, Tiling } from '../../src/index.js';
import type { LossKind } from '../../src/types.js';
import { type CloseOptions, expectClose, expectExactAt, expectFinite, expectThrows } from '../helpers/expectClose.js';
import {
  type ActParams, refActivation, refActivationBackward, refActivationGrad, refAdamStep, type RefAdamState, refColSums,
  refCountCorrect, refGatherRows, refGram, refLoss, refMatmul, refNorm, refSgdStep, type RefSgdState, refSoftmax, refSum,
  refSumSquares,
} from '../helpers/reference.js';
import { Rng } from '../helpers/rng.js';
import { lossTargets } from '../helpers/targets.js';
import { type Scope, scoped } from '../helpers/scope.js';

export type Lib = typeof import('../../src/index.js');

export interface OpCase {
  name: string;
  run(engine: Engine, lib: Lib): Promise<void>;
}

// ---- tolerances -------------------------------------------------------------------------

const MATMUL: CloseOptions = { relNorm: 1e-5 };
const UNIT: CloseOptions = { atol: 1e-6 }; // outputs in [0, 1] or [−1, 1]
const REL: CloseOptions = { rtol: 1e-6 }; // other elementwise outputs
const GRAD: CloseOptions = { rtol: 1e-6, atol: 1e-6 }; // backward: dy·g(y), |.| ≲ 2
function reduction(x: ArrayLike<number>): CloseOptions {
  return { rtol: 1e-5, atol: 1e-5 * refNorm(x) };
}

// ---- small utilities ----------------------------------------------------------------------

/** A stable seed per case name, so each case sees the same inputs whatever runs before it. */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function expectShape(t: Tensor, shape: readonly number[], label: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${label}: output shape ${fmt(t.shape)}, expected ${fmt(shape)}`);
  }
}

/** Tiny (but normal float32) and moderate-large values placed through an input. */
const SPECIALS = [0, 1e-30, -1e-30, 1e-7, -1e-7, 20, -20, 100, -100];

/** Overwrites evenly spaced elements of x with `specials` (when x has room for them all). */
function withSpecials(x: Float32Array, specials: readonly number[] = SPECIALS): Float32Array {
  if (x.length >= 2 * specials.length) {
    specials.forEach((v, i) => {
      x[Math.floor(((i + 0.5) * x.length) / specials.length)] = v;
    });
  }
  return x;
}

// Every length mod 4 (the WebGPU elementwise kernels take four elements per thread).
const VECTOR_SHAPES: readonly (readonly number[])[] = [[1], [2], [3], [63], [64], [65], [1000], [127, 17], [3, 334]];

// ---- matmul ------------------------------------------------------------------------------

/**
 * [m, k, n]: one 1000/4096-sized dimension at most, so a software GPU stays fast. The
 * register kernel skips a tile's second column half when columns 32..63 all lie past n:
 * n = 32, 96 (just inside), 33, 97 (just outside), 65, 257 (a narrow last tile).
 */
const MATMUL_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [3, 17, 5], [1, 64, 3], [63, 64, 65], [65, 127, 63], [127, 3, 257],
  [1000, 17, 3], [3, 257, 1000], [17, 1000, 33], [5, 4096, 7], [9, 40, 32], [70, 9, 96], [33, 20, 97],
];

function matmulCase(transposeA: boolean, transposeB: boolean): OpCase {
  const tag = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
  const name = `matmul ${tag}`;
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        for (const [m, k, n] of MATMUL_SHAPES) {
          const aShape = transposeA ? [k, m] : [m, k];
          const bShape = transposeB ? [n, k] : [k, n];
          const a = rng.uniform(m * k);
          const b = rng.uniform(k * n);
          const out = s.keep(engine.matmul(s.t(a, aShape), s.t(b, bShape), { transposeA, transposeB }));
          const label = `${name} m=${m} k=${k} n=${n}`;
          expectShape(out, [m, n], label);
          expectClose(await out.read(), refMatmul(a, b, m, n, k, transposeA, transposeB), { ...MATMUL, label });
        }
      }),
  };
}

// ---- linear (matmul + bias + activation epilogue) -----------------------------------------

interface ActVariant {
  label: string;
  kind: ActivationKind;
  params: ActParams;
  /** Builds the engine's activation argument (may create an α tensor in the scope). */
  make(s: Scope): Activation;
  /** Outputs bounded in [0, 1] / [−1, 1] (absolute tolerance) or not (relative). */
  unit: boolean;
}

const ACT_VARIANTS: readonly ActVariant[] = [
  { label: 'identity', kind: 'identity', params: {}, make: () => 'identity', unit: false },
  { label: 'sigmoid', kind: 'sigmoid', params: {}, make: () => 'sigmoid', unit: true },
  { label: 'sigmoid α=2.5', kind: 'sigmoid', params: { alpha: 2.5 }, make: () => ({ kind: 'sigmoid', alpha: 2.5 }), unit: true },
  { label: 'sigmoid α=−1.5', kind: 'sigmoid', params: { alpha: -1.5 }, make: () => ({ kind: 'sigmoid', alpha: -1.5 }), unit: true },
  {
    label: 'sigmoid α=[0.625] tensor', kind: 'sigmoid', params: { alpha: 0.625 },
    make: (s) => ({ kind: 'sigmoid', alpha: s.t([0.625], [1]) }), unit: true,
  },
  { label: 'relu', kind: 'relu', params: {}, make: () => 'relu', unit: false },
  { label: 'leakyRelu', kind: 'leakyRelu', params: {}, make: () => 'leakyRelu', unit: false },
  {
    label: 'leakyRelu slope=0.2', kind: 'leakyRelu', params: { slope: 0.2 },
    make: () => ({ kind: 'leakyRelu', slope: 0.2 }), unit: false,
  },
  { label: 'tanh', kind: 'tanh', params: {}, make: () => 'tanh', unit: true },
];

interface LinearShape {
  m: number;
  k: number;
  n: number;
  bias: 'vector' | 'row' | 'none';
  transposeA?: boolean;
  transposeB?: boolean;
}

const LINEAR_SHAPES: readonly LinearShape[] = [
  { m: 1, k: 1, n: 1, bias: 'vector' },
  { m: 65, k: 17, n: 63, bias: 'vector' },
  { m: 1000, k: 3, n: 17, bias: 'row' },
  { m: 3, k: 127, n: 65, bias: 'vector' },
  { m: 64, k: 65, n: 3, bias: 'none' },
  { m: 17, k: 63, n: 64, bias: 'vector', transposeA: true },
  { m: 63, k: 17, n: 65, bias: 'row', transposeB: true },
];

/** Seeded operands of one LINEAR_SHAPES entry: x [m, k] (stored [k, m] when Aᵀ), w [k, n] (or [n, k]). */
function linearOperands(rng: Rng, s: Scope, sh: LinearShape) {
  const { m, k, n } = sh;
  const ta = sh.transposeA === true;
  const tb = sh.transposeB === true;
  const x = rng.uniform(m * k);
  const w = rng.uniform(k * n, -2 / Math.sqrt(k), 2 / Math.sqrt(k)); // keeps x·w (+ b) of order 1
  const opts = { transposeA: ta, transposeB: tb };
  const label = `m=${m} k=${k} n=${n}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`;
  return { m, k, n, x, w, xt: s.t(x, ta ? [k, m] : [m, k]), wt: s.t(w, tb ? [n, k] : [k, n]), opts, label, product: () => refMatmul(x, w, m, n, k, ta, tb) };
}

/**
 * An op case over LINEAR_SHAPES for one activation variant: `check` gets each shape's seeded
 * operands (drawn in shape order from the case's own generator, which it may draw on too).
 */
function linearShapesCase(
  name: string, v: ActVariant,
  check: (c: { engine: Engine; s: Scope; rng: Rng; act: Activation; sh: LinearShape; o: ReturnType<typeof linearOperands> }) => Promise<void>,
): OpCase {
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        const act = v.make(s);
        for (const sh of LINEAR_SHAPES) await check({ engine, s, rng, act, sh, o: linearOperands(rng, s, sh) });
      }),
  };
}

function linearCase(v: ActVariant): OpCase {
  const name = `linear + bias + ${v.label}`;
  return linearShapesCase(name, v, async ({ engine, s, rng, act, sh, o }) => {
    const { m, n } = o;
    const b = rng.uniform(n, -1, 1);
    const bias = sh.bias === 'none' ? null : s.t(b, sh.bias === 'row' ? [1, n] : [n]);
    const out = s.keep(engine.linear(o.xt, o.wt, bias, act, o.opts));
    const z = o.product();
    if (bias !== null) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) z[i * n + j]! += b[j]!;
    const label = `${name} ${o.label} bias=${sh.bias}`;
    expectShape(out, [m, n], label);
    expectClose(await out.read(), refActivation(v.kind, z, v.params), { ...MATMUL, label });
  });
}

/**
 * (op(A)·op(B)) ⊙ act'(y) (matmulActivationBackward): dZ·Wᵀ through the activation below,
 * against the float64 product times the documented rule on the saved output y, and
 * against the two unfused ops of the same engine (matmul, then activationBackward).
 */
function matmulActivationBackwardCase(v: ActVariant): OpCase {
  const name = `matmulActivationBackward ${v.label}`;
  return linearShapesCase(name, v, async ({ engine, s, rng, act, o }) => {
    const { m, n } = o;
    const y = Float32Array.from(refActivation(v.kind, rng.uniform(m * n, -3, 3), v.params)); // a saved output
    const yt = s.t(y, [m, n]);
    const out = s.keep(engine.matmulActivationBackward(o.xt, o.wt, yt, act, o.opts));
    const label = `${name} ${o.label}`;
    expectShape(out, [m, n], label);
    const got = await out.read();
    expectClose(got, refActivationBackward(v.kind, o.product(), y, v.params), { ...MATMUL, label });
    const unfused = s.keep(engine.activationBackward(s.keep(engine.matmul(o.xt, o.wt, o.opts)), yt, act));
    expectClose(got, await unfused.read(), { ...MATMUL, label: `${label} vs matmul + activationBackward` });
  });
}

/**
 * A fused SGD step's result `got` against the float64 parameters `ref` and the unfused
 * ops' `unfused`, as parameters and as the step itself (p0 dominates the parameters, so the
 * step shows an error the parameters would hide).
 */
function expectSgdStep(got: Float32Array, ref: Float64Array, unfused: Float32Array, p0: Float32Array, tol: CloseOptions, label: string): void {
  expectClose(got, ref, { ...tol, label });
  const step = (p: ArrayLike<number>) => Float64Array.from(p, (v, i) => v - p0[i]!);
  expectClose(step(got), step(ref), { ...tol, label: `${label}: the step` });
  expectClose(step(got), step(unfused), { ...tol, label: `${label}: the step vs the unfused ops` });
}

/**
 * sgdMatmulStep: param −= lr·(op(A)·op(B) + wd·param) in place, against float64 (the
 * product, then the SGD rule) and against the two unfused ops (matmul, then sgdStep).
 * A parameter with a big weight decay checks that the decay term reads the old param.
 */
const sgdMatmulStepCase: OpCase = {
  name: 'sgdMatmulStep: SGD step with a matmul gradient',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('sgdMatmulStep'));
      for (const sh of LINEAR_SHAPES) {
        for (const [lr, wd] of [[0.1, 0], [0.03, 0.5]] as const) {
          const o = linearOperands(rng, s, sh);
          const { m, n } = o;
          const p0 = rng.uniform(m * n);
          const fused = s.t(p0, [m, n]);
          const unfused = s.t(p0, [m, n]);
          engine.sgdMatmulStep(fused, o.xt, o.wt, { ...o.opts, lr, weightDecay: wd });
          engine.sgdStep(unfused, s.keep(engine.matmul(o.xt, o.wt, o.opts)), null, { lr, weightDecay: wd });
          const st = { p: Float64Array.from(p0), vel: null };
          refSgdStep(st, o.product(), lr, 0, wd);
          const label = `sgdMatmulStep ${o.label} lr=${lr} wd=${wd}`;
          expectSgdStep(await fused.read(), st.p, await unfused.read(), p0, MATMUL, label);
        }
      }
    }),
};

// ---- activations ---------------------------------------------------------------------------

/** The same activation through the engine's named shortcut (sigmoid, relu, ...). */
function viaShortcut(engine: Engine, s: Scope, x: Tensor, v: ActVariant): Tensor {
  const act = v.make(s);
  if (typeof act === 'string') {
    if (act === 'sigmoid') return engine.sigmoid(x);
    if (act === 'relu') return engine.relu(x);
    if (act === 'leakyRelu') return engine.leakyRelu(x);
    if (act === 'tanh') return engine.tanh(x);
    return engine.identity(x);
  }
  if (act.kind === 'sigmoid') return engine.sigmoid(x, { alpha: act.alpha });
  if (act.kind === 'leakyRelu') return engine.leakyRelu(x, act.slope);
  return engine.activation(x, act);
}

function activationForwardCase(v: ActVariant): OpCase {
  const name = `activation ${v.label} forward`;
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        const tol = v.unit ? UNIT : REL;
        for (const shape of VECTOR_SHAPES) {
          for (const [lo, hi] of [[-2, 2], [-12, 12]] as const) {
            const x = withSpecials(rng.uniform(sizeOf(shape), lo, hi));
            const xt = s.t(x, shape);
            const expected = refActivation(v.kind, x, v.params);
            const label = `${name} ${fmt(shape)} in [${lo}, ${hi}]`;
            const y1 = s.keep(engine.activation(xt, v.make(s)));
            expectShape(y1, shape, label);
            expectClose(await y1.read(), expected, { ...tol, label: `${label} (engine.activation)` });
            const y2 = s.keep(viaShortcut(engine, s, xt, v));
            expectClose(await y2.read(), expected, { ...tol, label: `${label} (shortcut)` });
          }
        }
      }),
  };
}

function activationBackwardCase(v: ActVariant): OpCase {
  const name = `activation ${v.label} backward`;
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        for (const shape of VECTOR_SHAPES) {
          const x = withSpecials(rng.uniform(sizeOf(shape)));
          const y = Float32Array.from(refActivation(v.kind, x, v.params)); // the saved forward output
          const dy = rng.uniform(sizeOf(shape));
          const dx = s.keep(engine.activationBackward(s.t(dy, shape), s.t(y, shape), v.make(s)));
          const label = `${name} ${fmt(shape)}`;
          expectShape(dx, shape, label);
          const got = await dx.read();
          // The documented rule on the given y, and the true derivative at x.
          expectClose(got, refActivationBackward(v.kind, dy, y, v.params), { ...GRAD, label: `${label} vs dy·g(y)` });
          const g = refActivationGrad(v.kind, x, v.params);
          expectClose(got, g.map((gi, i) => gi * dy[i]!), { ...GRAD, label: `${label} vs dy·act'(x)` });
        }
      }),
  };
}

const SIGMOID_BACKWARD: readonly { label: string; alpha: number; tensor: boolean }[] = [
  { label: 'α=1', alpha: 1, tensor: false },
  { label: 'α=1.875', alpha: 1.875, tensor: false },
  { label: 'α=[0.625] tensor', alpha: 0.625, tensor: true },
];

function sigmoidBackwardCase(p: { label: string; alpha: number; tensor: boolean }): OpCase {
  const name = `sigmoidBackward ${p.label} dx and dα`;
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        const alpha = p.tensor ? s.t([p.alpha], [1]) : p.alpha;
        for (const shape of [[1], [3], [65], [1000], [257, 65], [65539]]) {
          const n = sizeOf(shape);
          const x = withSpecials(rng.uniform(n));
          const y = Float32Array.from(refActivation('sigmoid', x, { alpha: p.alpha }));
          const dy = rng.uniform(n);
          const { dx, dAlpha } = engine.sigmoidBackward(s.t(dy, shape), s.t(x, shape), s.t(y, shape), { alpha });
          s.keep(dx);
          s.keep(dAlpha);
          const label = `${name} ${fmt(shape)}`;
          expectShape(dx, shape, label);
          expectShape(dAlpha, [1], `${label} dα`);
          const terms = new Float64Array(n);
          const dxRef = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const g = dy[i]! * y[i]! * (1 - y[i]!);
            dxRef[i] = p.alpha * g;
            terms[i] = x[i]! * g;
          }
          expectClose(await dx.read(), dxRef, { ...GRAD, label: `${label} dx` });
          expectClose(await dAlpha.read(), [refSum(terms)], { ...reduction(terms), label: `${label} dα` });
        }
      }),
  };
}

// ---- elementwise arithmetic ----------------------------------------------------------------

const BINARY_SHAPES: readonly (readonly number[])[] = [[1], [2], [3], [17, 63], [1000], [257, 65], [5, 38]];
/** Tiny and huge values for `a` (with b in [−2, 2] the results stay normal and finite). */
const ARITH_SPECIALS = [0, 1e-30, -1e-30, 1e-20, 1e30, -1e30, 3e37];

function binaryCase(op: 'add' | 'sub' | 'mul'): OpCase {
  const name = `elementwise ${op}`;
  const f = op === 'add' ? (a: number, b: number) => a + b : op === 'sub' ? (a: number, b: number) => a - b : (a: number, b: number) => a * b;
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        for (const shape of BINARY_SHAPES) {
          const n = sizeOf(shape);
          const a = withSpecials(rng.uniform(n), ARITH_SPECIALS);
          const b = rng.uniform(n);
          const at = s.t(a, shape);
          const out = s.keep(engine[op](at, s.t(b, shape)));
          const label = `${name} ${fmt(shape)}`;
          expectShape(out, shape, label);
          expectClose(await out.read(), Array.from(a, (ai, i) => f(ai, b[i]!)), { ...REL, label });
          // The same tensor on both sides (moderate values: x·x of the specials would under/overflow).
          const c = rng.uniform(n);
          const ct = s.t(c, shape);
          const self = s.keep(engine[op](ct, ct));
          expectClose(await self.read(), Array.from(c, (ci) => f(ci, ci)), { ...REL, label: `${label} (x ${op} x)` });
        }
      }),
  };
}

const scaleCase: OpCase = {
  name: 'elementwise scale',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('elementwise scale'));
      for (const shape of BINARY_SHAPES) {
        for (const factor of [-0.37, 3, 0, 1e-3]) {
          const x = withSpecials(rng.uniform(sizeOf(shape)), ARITH_SPECIALS.filter((v) => Math.abs(v) < 1e37));
          const out = s.keep(engine.scale(s.t(x, shape), factor));
          const label = `scale ${fmt(shape)} by ${factor}`;
          expectShape(out, shape, label);
          expectClose(await out.read(), Array.from(x, (v) => factor * v), { ...REL, label });
        }
      }
    }),
};

const biasAddCase: OpCase = {
  name: 'biasAdd',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('biasAdd'));
      const shapes: [number, number][] = [[1, 1], [3, 17], [1000, 17], [65, 64], [3, 1000], [127, 1], [2, 3], [7, 6], [1, 2]];
      for (const [idx, [rows, cols]] of shapes.entries()) {
        const x = rng.uniform(rows * cols);
        const b = rng.uniform(cols);
        const bShape = idx % 2 === 0 ? [cols] : [1, cols];
        const out = s.keep(engine.biasAdd(s.t(x, [rows, cols]), s.t(b, bShape)));
        const label = `biasAdd [${rows}, ${cols}] + ${fmt(bShape)}`;
        expectShape(out, [rows, cols], label);
        expectClose(await out.read(), Array.from(x, (v, i) => v + b[i % cols]!), { ...REL, label });
      }
      // A vector is one row.
      const v = rng.uniform(65);
      const b = rng.uniform(65);
      const out = s.keep(engine.biasAdd(s.t(v, [65]), s.t(b, [65])));
      expectShape(out, [65], 'biasAdd [65] + [65]');
      expectClose(await out.read(), Array.from(v, (x, i) => x + b[i]!), { ...REL, label: 'biasAdd [65] + [65]' });
    }),
};

// ---- reductions ----------------------------------------------------------------------------

/** The largest Euclidean norm of a column of x [rows, cols]: the scale of a column sum's rounding error. */
function maxColumnNorm(x: Float32Array, rows: number, cols: number): number {
  let worst = 0;
  for (let c = 0; c < cols; c++) {
    let q = 0;
    for (let r = 0; r < rows; r++) q += x[r * cols + c]! ** 2;
    worst = Math.max(worst, Math.sqrt(q));
  }
  return worst;
}

const colSumsCase: OpCase = {
  name: 'colSums',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('colSums'));
      const shapes: [number, number][] = [[1, 1], [3, 17], [1000, 17], [65, 127], [17, 1000], [65539, 3], [1000, 1], [64, 65]];
      for (const [rows, cols] of shapes) {
        const x = rng.uniform(rows * cols);
        const out = s.keep(engine.colSums(s.t(x, [rows, cols])));
        const label = `colSums [${rows}, ${cols}]`;
        expectShape(out, [cols], label);
        expectClose(await out.read(), refColSums(x, rows, cols), { rtol: 1e-5, atol: 1e-5 * maxColumnNorm(x, rows, cols), label });
      }
    }),
};

/**
 * sgdColSumsStep: bias −= lr·(colSums(x) + wd·bias) in place, against float64 (the column
 * sums, then the SGD rule) and against the two unfused ops (colSums, then sgdStep), for
 * row counts that take one, two and three column-sums passes, and a vector x (one row).
 */
const sgdColSumsStepCase: OpCase = {
  name: 'sgdColSumsStep: SGD step with a column-sums gradient',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('sgdColSumsStep'));
      const shapes: [number, number][] = [[1, 1], [3, 17], [128, 33], [129, 5], [1000, 65], [20000, 3], [0, 45]];
      for (const [rows, cols] of shapes) {
        for (const [lr, wd] of [[0.1, 0], [0.03, 0.5]] as const) {
          const vector = rows === 0; // [cols] as one row
          const r = vector ? 1 : rows;
          const x = rng.uniform(r * cols);
          const xt = s.t(x, vector ? [cols] : [r, cols]);
          const p0 = rng.uniform(cols);
          const fused = s.t(p0, [cols]);
          const unfused = s.t(p0, [cols]);
          engine.sgdColSumsStep(fused, xt, { lr, weightDecay: wd });
          engine.sgdStep(unfused, s.keep(engine.colSums(xt)), null, { lr, weightDecay: wd });
          const st = { p: Float64Array.from(p0), vel: null };
          refSgdStep(st, refColSums(x, r, cols), lr, 0, wd);
          const label = `sgdColSumsStep x ${vector ? `[${cols}]` : `[${r}, ${cols}]`} lr=${lr} wd=${wd}`;
          // The column sums' tolerance (colSums above) carried through lr, plus float32
          // rounding of the updated parameter.
          const tol = { rtol: 1e-5, atol: lr * 1e-5 * maxColumnNorm(x, r, cols) + 2e-7 };
          expectSgdStep(await fused.read(), st.p, await unfused.read(), p0, tol, label);
        }
      }
    }),
};

const sumMeanCase: OpCase = {
  name: 'sum and mean',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('sum and mean'));
      const inputs: { label: string; x: Float32Array; shape: number[] }[] = [];
      for (const n of [1, 3, 64, 65, 1000, 65539]) inputs.push({ label: `[${n}] in [−2, 2]`, x: rng.uniform(n), shape: [n] });
      inputs.push({ label: '[257, 127] in [−2, 2]', x: rng.uniform(257 * 127), shape: [257, 127] });
      inputs.push({ label: '[65539] in [0, 1)', x: rng.uniform(65539, 0, 1), shape: [65539] });
      inputs.push({ label: '[65539] ones', x: new Float32Array(65539).fill(1), shape: [65539] });
      inputs.push({ label: '[1000] with tiny and huge', x: withSpecials(rng.uniform(1000), [1e-30, 1e4, -1e4, 1e-20]), shape: [1000] });
      for (const { label, x, shape } of inputs) {
        const xt = s.t(x, shape);
        const sum = s.keep(engine.sum(xt));
        const mean = s.keep(engine.mean(xt));
        expectShape(sum, [1], `sum ${label}`);
        expectShape(mean, [1], `mean ${label}`);
        const ref = refSum(x);
        const tol = reduction(x);
        expectClose(await sum.read(), [ref], { ...tol, label: `sum ${label}` });
        expectClose(await mean.read(), [ref / x.length], { rtol: 1e-5, atol: tol.atol! / x.length, label: `mean ${label}` });
      }
    }),
};

// ---- gram ----------------------------------------------------------------------------------

/** [n, m, d]; m = 0 means Y omitted (K(X, X)). */
const GRAM_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [3, 17, 5], [65, 63, 17], [1000, 3, 17], [3, 1000, 64], [127, 65, 3],
  [7, 6, 3], [1, 0, 3], [63, 0, 17], [257, 0, 65],
];

const GRAM_VARIANTS: Record<Exclude<GramKernel, 'projected-sigmoid'>, readonly GramOptions[]> = {
  sigmoid: [{}, { gamma: 0.03, coef0: -0.5 }],
  logistic: [{}, { gamma: 0.05, coef0: 0.3 }],
  linear: [{}, { gamma: 0.5, coef0: 2 }], // γ and c₀ do not apply to the linear kernel
  polynomial: [{}, { gamma: 0.2, coef0: 0.5, degree: 2 }, { gamma: 0.05, coef0: -0.25, degree: 5 }],
  rbf: [{}, { gamma: 0.05 }, { gamma: 2 }],
};

function gramCase(kernel: Exclude<GramKernel, 'projected-sigmoid'>): OpCase {
  const name = `gram ${kernel}`;
  // Bounded kernels: elementwise; unbounded (linear, polynomial): the matmul tolerance.
  const tol = kernel === 'linear' || kernel === 'polynomial' ? MATMUL : UNIT;
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        for (const opts of GRAM_VARIANTS[kernel]) {
          for (const [n, m0, d] of GRAM_SHAPES) {
            const m = m0 === 0 ? n : m0;
            const x = rng.uniform(n * d);
            const y = m0 === 0 ? x : rng.uniform(m * d);
            const xt = s.t(x, [n, d]);
            const out = s.keep(m0 === 0 ? engine.gram(xt, undefined, { kernel, ...opts }) : engine.gram(xt, s.t(y, [m, d]), { kernel, ...opts }));
            const resolved = { kernel, gamma: opts.gamma ?? 1 / d, coef0: opts.coef0 ?? 1, degree: opts.degree ?? 3 };
            const label = `${name} ${JSON.stringify(opts)} X [${n}, ${d}] ${m0 === 0 ? 'Y omitted' : `Y [${m}, ${d}]`}`;
            expectShape(out, [n, m], label);
            expectClose(await out.read(), refGram(x, y, n, m, d, resolved), { ...tol, label });
          }
        }
        // Y = null means the same as Y omitted.
        const x = rng.uniform(17 * 5);
        const out = s.keep(engine.gram(s.t(x, [17, 5]), null, { kernel }));
        expectClose(await out.read(), refGram(x, x, 17, 17, 5, { kernel, gamma: 1 / 5, coef0: 1, degree: 3 }), {
          ...tol, label: `${name} Y = null`,
        });
      }),
  };
}

/**
 * The article's projected form σ(αᵀx + βᵀy + γ) (σ logistic), α, β of length d drawn in
 * [−2/d, 2/d] (so αᵀx stays O(1), like γ = 1/d for the sigmoid kernel), γ default 0 and set;
 * huge α gives exact 0/1 and no NaN.
 */
const projectedGramCase: OpCase = {
  name: 'gram projected-sigmoid',
  run: (engine) =>
    scoped(engine, async (s) => {
      const name = 'gram projected-sigmoid';
      const rng = new Rng(seedOf(name));
      for (const bias of [undefined, -0.7]) {
        for (const [n, m0, d] of GRAM_SHAPES) {
          const m = m0 === 0 ? n : m0;
          const x = rng.uniform(n * d);
          const y = m0 === 0 ? x : rng.uniform(m * d);
          const alpha = rng.uniform(d).map((v) => v / d);
          const beta = Array.from(rng.uniform(d), (v) => v / d); // a plain number[] works too
          const opts = { kernel: 'projected-sigmoid' as const, alpha, beta, ...(bias === undefined ? {} : { gamma: bias }) };
          const xt = s.t(x, [n, d]);
          const out = s.keep(m0 === 0 ? engine.gram(xt, undefined, opts) : engine.gram(xt, s.t(y, [m, d]), opts));
          const label = `${name} γ = ${bias ?? 'default 0'} X [${n}, ${d}] ${m0 === 0 ? 'Y omitted' : `Y [${m}, ${d}]`}`;
          expectShape(out, [n, m], label);
          const ref = refGram(x, y, n, m, d, { kernel: 'projected-sigmoid', gamma: bias ?? 0, coef0: 1, degree: 3, alpha, beta });
          expectClose(await out.read(), ref, { ...UNIT, label });
        }
      }
      // Saturation: huge projections give exact 0 and 1, never NaN.
      const x = new Float32Array([1, -1, 3e3, 0, -3e3, 0, 0.5, 0.25]);
      const alpha = [1e35, 0];
      const beta = [0, 1];
      const k = s.keep(engine.gram(s.t(x, [4, 2]), null, { kernel: 'projected-sigmoid', alpha, beta }));
      const got = await k.read();
      expectFinite(got, 'projected-sigmoid on huge α');
      const ref = refGram(x, x, 4, 4, 2, { kernel: 'projected-sigmoid', gamma: 0, coef0: 1, degree: 3, alpha, beta });
      expectClose(got, ref, { ...UNIT, label: 'projected-sigmoid on huge α' });
    }),
};

const sklearnCase: OpCase = {
  name: 'gram sigmoid: scikit-learn documented values',
  run: (engine) =>
    scoped(engine, async (s) => {
      // sklearn.metrics.pairwise.sigmoid_kernel([[0,0,0],[1,1,1]], [[1,0,0],[1,1,0]]) with
      // its defaults γ = 1/n_features, c₀ = 1 (from the scikit-learn documentation).
      const k = s.keep(engine.gram(s.t([[0, 0, 0], [1, 1, 1]]), s.t([[1, 0, 0], [1, 1, 0]])));
      expectShape(k, [2, 2], 'sklearn sigmoid_kernel');
      expectClose(await k.read(), [0.76159416, 0.76159416, 0.87006166, 0.93110961], { ...UNIT, label: 'sklearn sigmoid_kernel' });
      const arr = await k.toArray();
      if (!Array.isArray(arr[0]) || arr.length !== 2) throw new Error(`toArray() of a [2, 2] tensor gave ${JSON.stringify(arr)}`);
    }),
};

// ---- huge inputs ---------------------------------------------------------------------------

const HUGE = [1e4, -1e4, 3e38, -3e38];

const hugeActivationCase: OpCase = {
  name: 'huge inputs: activations give exact 0/1/±1, never NaN',
  run: (engine) =>
    scoped(engine, async (s) => {
      const x = Float32Array.from([...HUGE, 0, 1, -1]);
      const hugeIdx = [0, 1, 2, 3];
      const xt = s.t(x);
      const variants: { label: string; act: Activation; kind: ActivationKind; p: ActParams; idx: number[] }[] = [
        { label: 'sigmoid', act: 'sigmoid', kind: 'sigmoid', p: {}, idx: hugeIdx },
        { label: 'sigmoid α=[0.5] tensor', act: { kind: 'sigmoid', alpha: s.t([0.5], [1]) }, kind: 'sigmoid', p: { alpha: 0.5 }, idx: hugeIdx },
        { label: 'sigmoid α=−1', act: { kind: 'sigmoid', alpha: -1 }, kind: 'sigmoid', p: { alpha: -1 }, idx: hugeIdx },
        { label: 'tanh', act: 'tanh', kind: 'tanh', p: {}, idx: hugeIdx },
        { label: 'relu', act: 'relu', kind: 'relu', p: {}, idx: hugeIdx },
        { label: 'leakyRelu', act: 'leakyRelu', kind: 'leakyRelu', p: {}, idx: [0, 2] },
        { label: 'identity', act: 'identity', kind: 'identity', p: {}, idx: hugeIdx },
      ];
      for (const v of variants) {
        const y = s.keep(engine.activation(xt, v.act));
        const got = await y.read();
        const ref = refActivation(v.kind, x, v.p);
        const label = `${v.label} of ${Array.from(x).join(', ')}`;
        expectFinite(got, label);
        expectExactAt(got, Float32Array.from(ref), v.idx, label);
        expectClose(got, ref, { ...(v.kind === 'sigmoid' || v.kind === 'tanh' ? UNIT : REL), label });
        // Backward from the saturated output: exactly 0 for sigmoid and tanh, never NaN.
        const dy = Float32Array.from(x, (_, i) => (i % 2 === 0 ? 2 : -1.5));
        const dx = s.keep(engine.activationBackward(s.t(dy), y, v.act));
        const dxGot = await dx.read();
        expectFinite(dxGot, `${label} backward`);
        const dxRef = refActivationBackward(v.kind, dy, got, v.p);
        expectExactAt(dxGot, Float32Array.from(dxRef), v.idx, `${label} backward`);
        expectClose(dxGot, dxRef, { ...GRAD, label: `${label} backward` });
      }
      // Larger α on ±1e4 (α·x stays far from float32 overflow).
      const x2 = Float32Array.from([1e4, -1e4, 50, -50]);
      const y2 = s.keep(engine.sigmoid(s.t(x2), { alpha: 2 }));
      const got2 = await y2.read();
      expectExactAt(got2, [1, 0, 1, 0], [0, 1, 2], 'sigmoid α=2 of ±1e4, ±50');
      expectClose(got2, refActivation('sigmoid', x2, { alpha: 2 }), { ...UNIT, label: 'sigmoid α=2 of ±1e4, ±50' });
      // sigmoidBackward on saturated outputs: dx exactly 0, dα finite (never dy·x·0 = Inf·0).
      const y3 = s.keep(engine.sigmoid(xt));
      const dy3 = Float32Array.from(x, () => 2);
      const { dx, dAlpha } = engine.sigmoidBackward(s.t(dy3), xt, y3);
      s.keep(dx);
      s.keep(dAlpha);
      const dxGot = await dx.read();
      expectExactAt(dxGot, [0, 0, 0, 0], hugeIdx, 'sigmoidBackward dx at huge x');
      const yv = await y3.read();
      const terms = Array.from(x, (xi, i) => dy3[i]! * yv[i]! * (1 - yv[i]!) * xi);
      expectClose(await dAlpha.read(), [refSum(terms)], { ...reduction(terms), label: 'sigmoidBackward dα at huge x' });
    }),
};

const hugeLinearCase: OpCase = {
  name: 'huge inputs: linear epilogue gives exact 0/1/±1, never NaN',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('huge linear'));
      // Each row of X holds one huge value, so every z = x·w + b is huge and finite in float32.
      const m = 8, k = 3, n = 5;
      const x = new Float32Array(m * k);
      HUGE.forEach((v, r) => {
        x[r * k + (r % k)] = v;
        x[(r + 4) * k + ((r + 1) % k)] = v;
      });
      const w = rng.uniform(k * n, 0.5, 1);
      const b = rng.uniform(n, -0.5, 0.5);
      const xt = s.t(x, [m, k]);
      const wt = s.t(w, [k, n]);
      const bt = s.t(b, [n]);
      const z = refMatmul(x, w, m, n, k);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) z[i * n + j]! += b[j]!;
      const all = Array.from({ length: m * n }, (_, i) => i);
      for (const [label, act, kind, p] of [
        ['sigmoid', 'sigmoid', 'sigmoid', {}],
        ['sigmoid α=[0.5] tensor', { kind: 'sigmoid', alpha: s.t([0.5], [1]) }, 'sigmoid', { alpha: 0.5 }],
        ['tanh', 'tanh', 'tanh', {}],
      ] as [string, Activation, ActivationKind, ActParams][]) {
        const y = s.keep(engine.linear(xt, wt, bt, act));
        const got = await y.read();
        const ref = refActivation(kind, z, p);
        expectFinite(got, `linear + ${label} on huge x`);
        expectExactAt(got, Float32Array.from(ref), all, `linear + ${label} on huge x`);
      }
      const id = s.keep(engine.linear(xt, wt, bt, 'identity'));
      const idGot = await id.read();
      expectFinite(idGot, 'linear identity on huge x');
      expectClose(idGot, z, { ...REL, label: 'linear identity on huge x' });
    }),
};

const hugeGramCase: OpCase = {
  name: 'huge inputs: gram sigmoid/logistic/rbf give exact 0/1/±1, never NaN',
  run: (engine) =>
    scoped(engine, async (s) => {
      // One huge value per row of X; |y| ≤ 1 keeps every inner product finite in float32.
      const x = Float32Array.from([1e4, 0, -1e4, 0, 0, 3e38, 0, -3e38]);
      const y = Float32Array.from([1, 0, 0, 1, 0, -1, 0.5, 0.5]);
      const xt = s.t(x, [4, 2]);
      const yt = s.t(y, [4, 2]);
      for (const kernel of ['sigmoid', 'logistic'] as const) {
        const k = s.keep(engine.gram(xt, yt, { kernel }));
        const got = await k.read();
        const ref = refGram(x, y, 4, 4, 2, { kernel, gamma: 0.5, coef0: 1, degree: 3 });
        const label = `gram ${kernel} on huge x`;
        expectFinite(got, label);
        const inner = refGram(x, y, 4, 4, 2, { kernel: 'linear', gamma: 1, coef0: 0, degree: 1 });
        const hugeIdx = Array.from(inner.keys()).filter((i) => Math.abs(inner[i]!) >= 1e3);
        if (hugeIdx.length !== 10) throw new Error(`test setup: expected 10 huge inner products, got ${hugeIdx.length}`);
        expectExactAt(got, Float32Array.from(ref), hugeIdx, label);
        expectClose(got, ref, { ...UNIT, label });
      }
      // rbf: ‖x − y‖² of 1e4-sized rows is 1e8: exp(−min(γ·1e8, 120)) is exactly 0.
      const xr = Float32Array.from([1e4, 0, -1e4, 0, 0, 1e4]);
      const k = s.keep(engine.gram(s.t(xr, [3, 2]), yt, { kernel: 'rbf' }));
      const got = await k.read();
      expectFinite(got, 'gram rbf on huge x');
      expectExactAt(got, new Float32Array(12), Array.from({ length: 12 }, (_, i) => i), 'gram rbf on huge x');
    }),
};

/**
 * Sums past float32's range: WebGPU adds in float32, and an overflowed sum (3e38 + 3e38 = Inf,
 * then − 3e38 − 3e38 + 2 stays Inf where the true sum is 2) used to come out as a finite wrong
 * value (tanh(Inf) = 1 against tanh(1.4) = 0.885, rbf 0, σ(Inf) = 1); now it is NaN there, and
 * right wherever no sum overflowed. The CPU backend adds in float64 and is right everywhere.
 */
const overflowGramCase: OpCase = {
  name: 'float32 overflow: the WebGPU Gram gives NaN where a sum overflowed, never a finite wrong value',
  run: (engine) =>
    scoped(engine, async (s) => {
      const gpu = engine.backend === 'webgpu';
      const check = (got: Float32Array, ref: Float64Array, overflowed: number[], label: string): void => {
        for (let i = 0; i < got.length; i++) {
          if (gpu && overflowed.includes(i)) {
            if (!Number.isNaN(got[i])) throw new Error(`${label}: entry ${i} is ${got[i]}, expected NaN (its float32 sum overflowed; float64 gives ${ref[i]})`);
          }
        }
        const kept = Array.from(ref.keys()).filter((i) => !gpu || !overflowed.includes(i));
        expectClose(kept.map((i) => got[i]!), kept.map((i) => ref[i]!), { ...UNIT, label });
      };
      // Row 0 · column 0 overflows and cancels to 2; the other three entries stay finite.
      const x = Float32Array.from([2e19, 2e19, 2e19, 2e19, 1, 1, 0, 0, 0, 0]);
      const y = Float32Array.from([1.5e19, 1.5e19, -1.5e19, -1.5e19, 2, 1, 1, 1, 1, 1]);
      for (const kernel of ['sigmoid', 'logistic'] as const) {
        const got = await s.keep(engine.gram(s.t(x, [2, 5]), s.t(y, [2, 5]), { kernel })).read();
        const ref = refGram(x, y, 2, 2, 5, { kernel, gamma: 0.2, coef0: 1, degree: 3 });
        check(got, ref, [0], `gram ${kernel} with an overflowing inner product`);
      }
      // rbf with γ·3.4e38 = 34 (not saturated): ‖x₀ − yⱼ‖² ≈ 5.12e38 overflows, exp(−51.2) = 5.8e-23.
      const xr = Float32Array.from([1.6e19, 1.6e19, 0, 0]);
      const yr = Float32Array.from([0, 0, 1, 1]);
      const rbf = { kernel: 'rbf', gamma: 1e-37 } as const;
      const gotR = await s.keep(engine.gram(s.t(xr, [2, 2]), s.t(yr, [2, 2]), rbf)).read();
      check(gotR, refGram(xr, yr, 2, 2, 2, { ...rbf, coef0: 1, degree: 3 }), [0, 1], 'gram rbf with an overflowing distance');
      // γ = 1 saturates exp(−γ·s) long before float32 overflows: those entries are 0, exactly, on both backends.
      const satR = await s.keep(engine.gram(s.t(xr, [2, 2]), s.t(yr, [2, 2]), { kernel: 'rbf', gamma: 1 })).read();
      expectExactAt(satR, new Float32Array(4), [0, 1], 'gram rbf with an overflowing distance and a saturating γ');
      // projected-sigmoid: ⟨x₀, α⟩ = 2e38 + 2e38 − 2e38 − 2e38 overflows (true 0), ⟨x₁, α⟩ = 1e37.
      const xp = Float32Array.from([20, 20, 20, 20, 1, 0, 0, 0]);
      const alpha = [1e37, 1e37, -1e37, -1e37];
      const beta = [0, 0, 0, 0.5];
      const gotP = await s.keep(engine.gram(s.t(xp, [2, 4]), null, { kernel: 'projected-sigmoid', alpha, beta })).read();
      const refP = refGram(xp, xp, 2, 2, 4, { kernel: 'projected-sigmoid', gamma: 0, coef0: 1, degree: 3, alpha, beta });
      check(gotP, refP, [0, 1], 'gram projected-sigmoid with an overflowing projection');
    }),
};

// ---- tensors, errors -----------------------------------------------------------------------

// ---- small inputs ---------------------------------------------------------------------------

const smallTanhCase: OpCase = {
  name: 'small inputs: tanh and the sigmoid-kernel Gram keep their relative precision',
  run: (engine) =>
    scoped(engine, async (s) => {
      // Both sides of |z| = 1/4 (where the GPU switches from a series to the exp form).
      const mags = [1e-30, 1e-8, 1e-6, 1e-4, 1e-3, 0.01, 0.1, 0.2, 0.2499, 0.25, 0.2501, 0.3, 0.5];
      const x = Float32Array.from(mags.flatMap((v) => [v, -v]));
      const got = await s.keep(engine.tanh(s.t(x))).read();
      expectClose(got, Array.from(x, Math.tanh), { rtol: 1e-6, label: 'tanh of small |x|' });
      // Inner products from 1e-8 to 0.4, γ = 1, c₀ = 0: K ≈ γ⟨x, y⟩ itself.
      const gx = Float32Array.from([1e-3, 0, 0, 1e-3, 1e-4, 2e-4, 0.3, -0.4, 1e-2, 1e-2]);
      const gy = Float32Array.from([1e-3, 1e-3, -2e-3, 5e-4, 0.5, 0.5, 1e-4, -1e-4]);
      const o = { kernel: 'sigmoid', gamma: 1, coef0: 0, degree: 1 } as const;
      const k = await s.keep(engine.gram(s.t(gx, [5, 2]), s.t(gy, [4, 2]), o)).read();
      expectClose(k, refGram(gx, gy, 5, 4, 2, o), { rtol: 1e-5, label: 'sigmoid-kernel Gram of small inner products' });
    }),
};

/**
 * tanh backward near saturation: act'(y) = (1 − y)(1 + y) keeps its relative precision as
 * y → ±1 (1 − y·y in float32 loses it: 7e-5 relative at y = 0.99985), in activationBackward
 * and in matmulActivationBackward's epilogue. Elementwise relative tolerance: the GRAD and
 * MATMUL tolerances are absolute or normwise and would pass the cancelled values.
 */
const saturatedTanhBackwardCase: OpCase = {
  name: 'saturated inputs: tanh backward keeps its relative precision',
  run: (engine) =>
    scoped(engine, async (s) => {
      // y = tanh(z) in float32 for |z| in [3, 8.5] (both signs), dy of mixed signs.
      const zs: number[] = [];
      for (let z = 3; z <= 8.5; z += 0.25) zs.push(z, -z);
      const n = zs.length;
      const y = Float32Array.from(zs, Math.tanh);
      const dy = Float32Array.from(zs, (_, i) => [1, -0.75, 1.5][i % 3]!);
      const dx = await s.keep(engine.activationBackward(s.t(dy), s.t(y), 'tanh')).read();
      expectClose(dx, refActivationBackward('tanh', dy, y), { rtol: 1e-6, label: 'activationBackward tanh near ±1' });
      // op(A)·op(B) with k = 1 and power-of-2 factors, so the product is exact: x ⊗ dy.
      const m = 3;
      const x = Float32Array.from([1, 2, -0.5]);
      const ym = new Float32Array(m * n);
      for (let i = 0; i < m; i++) ym.set(y, i * n);
      const product = Float64Array.from({ length: m * n }, (_, i) => x[Math.floor(i / n)]! * dy[i % n]!);
      const out = await s.keep(engine.matmulActivationBackward(s.t(x, [m, 1]), s.t(dy, [1, n]), s.t(ym, [m, n]), 'tanh')).read();
      expectClose(out, refActivationBackward('tanh', product, ym), { rtol: 1e-6, label: 'matmulActivationBackward tanh near ±1' });
    }),
};

// ---- NaN inputs ----------------------------------------------------------------------------
// A NaN input gives NaN where the float64 reference has one, on both backends: the element
// (activations), the rows and columns it reaches (linear, gram), its row (softmax and the
// cross-entropies). expectClose needs a NaN exactly where the reference is NaN. On WebGPU
// this fails unless the shaders pass NaN through on purpose: GPU min/max drop a NaN operand.

/** Uniform values in [−2, 2] with NaN at `at`. */
function withNaN(rng: Rng, n: number, at: readonly number[]): Float32Array {
  const x = rng.uniform(n);
  for (const i of at) x[i] = NaN;
  return x;
}

const nanMatmulCase: OpCase = {
  name: 'NaN inputs: linear and gram give NaN in the rows and columns a NaN reaches',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('nan matmul'));
      // linear: NaN in row 2 of X and in bias column 4.
      const m = 5, k = 3, n = 6;
      const x = withNaN(rng, m * k, [2 * k + 1]);
      const w = rng.uniform(k * n);
      const b = withNaN(rng, n, [4]);
      const z = refMatmul(x, w, m, n, k);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) z[i * n + j]! += b[j]!;
      for (const [act, kind] of [['sigmoid', 'sigmoid'], ['tanh', 'tanh'], ['relu', 'relu'], ['identity', 'identity']] as const) {
        const got = await s.keep(engine.linear(s.t(x, [m, k]), s.t(w, [k, n]), s.t(b, [n]), act)).read();
        expectClose(got, refActivation(kind, z), { ...(kind === 'sigmoid' || kind === 'tanh' ? UNIT : REL), label: `linear ${act} with NaN` });
      }
      // gram: NaN in row 1 of X and row 3 of Y.
      const d = 4, nx = 5, ny = 6;
      const gx = withNaN(rng, nx * d, [1 * d + 2]);
      const gy = withNaN(rng, ny * d, [3 * d]);
      for (const kernel of ['sigmoid', 'logistic', 'linear', 'polynomial', 'rbf'] as const) {
        const o = { kernel, gamma: 0.3, coef0: 0.5, degree: 3 };
        const got = await s.keep(engine.gram(s.t(gx, [nx, d]), s.t(gy, [ny, d]), o)).read();
        const ref = refGram(gx, gy, nx, ny, d, o);
        expectClose(got, ref, { ...(kernel === 'linear' || kernel === 'polynomial' ? MATMUL : UNIT), label: `gram ${kernel} with NaN` });
      }
    }),
};

const nanElementwiseCase: OpCase = {
  name: 'NaN inputs: activations, projected-sigmoid gram, softmax and losses give NaN where the reference does',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('nan elementwise'));
      // The first, a middle and the last element (each vec4 lane position is reached).
      const x = withNaN(rng, 51, [0, 22, 50]);
      for (const v of ACT_VARIANTS) {
        const got = await s.keep(engine.activation(s.t(x, [3, 17]), v.make(s))).read();
        expectClose(got, refActivation(v.kind, x, v.params), { ...(v.unit ? UNIT : REL), label: `${v.label} with NaN` });
      }
      // projected-sigmoid: NaN in row 0 of X and row 2 of Y.
      const d = 3;
      const px = withNaN(rng, 4 * d, [1]);
      const py = withNaN(rng, 3 * d, [2 * d + 2]);
      const alpha = rng.uniform(d), beta = rng.uniform(d);
      const pGot = await s.keep(engine.gram(s.t(px, [4, d]), s.t(py, [3, d]), { kernel: 'projected-sigmoid', alpha, beta, gamma: 0.1 })).read();
      expectClose(pGot, refGram(px, py, 4, 3, d, { kernel: 'projected-sigmoid', alpha, beta, gamma: 0.1, coef0: 0, degree: 1 }),
        { ...UNIT, label: 'projected-sigmoid with NaN' });
      // Row ops, narrow (5 columns: a thread per row) and wide (40: a workgroup per row), with
      // a NaN first, in the middle or last in a row, and a row holding +Inf.
      for (const cols of [5, 40]) {
        const rows = 5;
        const pred = withNaN(rng, rows * cols, [0, cols + 2, 3 * cols - 1]);
        pred[3 * cols + 1] = Infinity;
        const label = `[${rows}, ${cols}] with NaN`;
        const sm = await s.keep(engine.softmax(s.t(pred, [rows, cols]))).read();
        expectClose(sm, refSoftmax(pred, rows, cols), { ...UNIT, label: `softmax ${label}` });
        for (const kind of LOSSES) {
          const target = lossTargets(rng, kind, rows, cols, false);
          const { loss, grad } = engine.lossGrad(kind, s.t(pred, [rows, cols]), s.t(target, [rows, cols]));
          const ref = refLoss(kind, pred, target, rows, cols);
          expectClose(await s.keep(loss).read(), [ref.mean], { rtol: 1e-5, label: `${kind} loss ${label}` });
          const scale = kind === 'softmaxCrossEntropy' ? 1 / rows : 1 / (rows * cols);
          expectClose(await s.keep(grad).read(), ref.grad, { rtol: 1e-6, atol: 1e-6 * scale, label: `${kind} grad ${label}` });
        }
      }
    }),
};

/**
 * A NaN in a target makes the loss NaN, as a NaN prediction does (nanElementwiseCase): on
 * WebGPU the softmax cross-entropy skipped a target term equal to 0 with `t != 0`, which a
 * compiler may evaluate as false for a NaN (WGSL lets it assume no NaN), dropping the NaN.
 * One NaN per row tested (first, middle or last column), narrow (5 columns) and wide (40)
 * rows; the other rows finite.
 */
const nanTargetCase: OpCase = {
  name: 'NaN targets: the losses give NaN, their gradients NaN where the reference does',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('nan targets'));
      for (const cols of [5, 40]) {
        const rows = 4;
        for (const at of [0, Math.floor(cols / 2), cols - 1]) {
          for (const kind of LOSSES) {
            const pred = rng.uniform(rows * cols, -3, 3);
            const target = lossTargets(rng, kind, rows, cols, false);
            target[cols + at] = NaN; // row 1
            const label = `${kind} [${rows}, ${cols}] with a NaN target at row 1, column ${at}`;
            const { loss, grad } = engine.lossGrad(kind, s.t(pred, [rows, cols]), s.t(target, [rows, cols]));
            const ref = refLoss(kind, pred, target, rows, cols);
            expectClose(await s.keep(loss).read(), [ref.mean], { rtol: 1e-5, label: `${label}: loss` });
            const scale = kind === 'softmaxCrossEntropy' ? 1 / rows : 1 / (rows * cols);
            expectClose(await s.keep(grad).read(), ref.grad, { rtol: 1e-6, atol: 1e-6 * scale, label: `${label}: grad` });
          }
        }
      }
    }),
};

const roundTripCase: OpCase = {
  name: 'tensor upload and read back exactly',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('round trip'));
      for (const shape of [[1], [3], [1000], [65, 17], [65539]]) {
        const x = withSpecials(rng.uniform(sizeOf(shape)), [...SPECIALS, ...HUGE, 1.1754943508222875e-38, 1.401298464324817e-45]);
        const t = s.t(x, shape);
        expectShape(t, shape, `tensor ${fmt(shape)}`);
        const back = await t.read();
        expectExactAt(back, x, Array.from(x.keys()), `tensor ${fmt(shape)} read back`);
        back[0] = 12345; // read() returns a copy
        const again = await t.read();
        expectExactAt(again, x, [0], `tensor ${fmt(shape)}: read() must return a copy`);
      }
      const z = s.keep(engine.zeros([17, 3]));
      expectExactAt(await z.read(), new Float32Array(51), Array.from({ length: 51 }, (_, i) => i), 'zeros([17, 3])');
      const nested = s.t([[1, 2, 3], [4, 5, 6]]);
      expectShape(nested, [2, 3], 'tensor from nested rows');
      const arr = await nested.toArray();
      if (JSON.stringify(arr) !== '[[1,2,3],[4,5,6]]') throw new Error(`toArray() gave ${JSON.stringify(arr)}`);
    }),
};

const shapeErrorCase: OpCase = {
  name: 'errors: shape mismatches throw ShapeError naming both shapes',
  run: (engine, lib) =>
    scoped(engine, async (s) => {
      const t = (shape: number[]) => s.t(new Float32Array(sizeOf(shape)), shape);
      const a23 = t([2, 3]);
      const a32 = t([3, 2]);
      const b45 = t([4, 5]);
      await expectThrows(() => engine.matmul(a23, b45), lib.ShapeError, 'matmul [2,3]·[4,5]', ['[2, 3]', '[4, 5]']);
      await expectThrows(() => engine.matmul(a23, a32, { transposeA: true }), lib.ShapeError, 'matmul [2,3]ᵀ·[3,2]', ['[2, 3]', '[3, 2]']);
      await expectThrows(() => engine.matmul(a23, b45, { transposeB: true }), lib.ShapeError, 'matmul [2,3]·[4,5]ᵀ', ['[2, 3]', '[4, 5]']);
      await expectThrows(() => engine.matmul(t([3]), a32), lib.ShapeError, 'matmul with a vector', ['[3]']);
      await expectThrows(() => engine.linear(a23, a32, t([5]), 'sigmoid'), lib.ShapeError, 'linear with a [5] bias', ['[5]', '[2, 2]']);
      await expectThrows(() => engine.linear(a23, b45, null), lib.ShapeError, 'linear [2,3]·[4,5]', ['[2, 3]', '[4, 5]']);
      for (const op of ['add', 'sub', 'mul'] as const) {
        await expectThrows(() => engine[op](a23, a32), lib.ShapeError, `${op} [2,3] and [3,2]`, ['[2, 3]', '[3, 2]']);
        await expectThrows(() => engine[op](t([3]), t([4])), lib.ShapeError, `${op} [3] and [4]`, ['[3]', '[4]']);
      }
      await expectThrows(() => engine.biasAdd(a23, t([4])), lib.ShapeError, 'biasAdd [2,3] + [4]', ['[4]', '[2, 3]']);
      await expectThrows(() => engine.biasAdd(a23, t([2, 3])), lib.ShapeError, 'biasAdd [2,3] + [2,3]', ['[2, 3]']);
      await expectThrows(() => engine.gram(t([3, 4]), t([2, 5])), lib.ShapeError, 'gram X [3,4] Y [2,5]', ['[3, 4]', '[2, 5]']);
      await expectThrows(() => engine.gram(t([4])), lib.ShapeError, 'gram of a vector', ['[4]']);
      await expectThrows(() => engine.activationBackward(t([3]), t([4]), 'tanh'), lib.ShapeError, 'activationBackward [3] vs [4]', ['[3]', '[4]']);
      await expectThrows(() => engine.matmulActivationBackward(a23, a32, t([3, 3]), 'sigmoid'), lib.ShapeError, 'matmulActivationBackward y [3,3] for [2,2]', ['[3, 3]', '[2, 2]']);
      await expectThrows(() => engine.matmulActivationBackward(a23, b45, t([2, 5]), 'tanh'), lib.ShapeError, 'matmulActivationBackward [2,3]·[4,5]', ['[2, 3]', '[4, 5]']);
      await expectThrows(() => engine.sgdMatmulStep(t([3, 3]), a23, a32, { lr: 0.1 }), lib.ShapeError, 'sgdMatmulStep param [3,3] for [2,2]', ['[3, 3]', '[2, 2]']);
      await expectThrows(() => engine.sgdColSumsStep(t([2]), a23, { lr: 0.1 }), lib.ShapeError, 'sgdColSumsStep param [2] for x [2,3]', ['[3]', '[2]', '[2, 3]']);
      await expectThrows(() => engine.sgdColSumsStep(t([1, 3]), a23, { lr: 0.1 }), lib.ShapeError, 'sgdColSumsStep param [1,3]', ['[3]', '[1, 3]']);
      await expectThrows(() => engine.sigmoidBackward(t([3]), t([3]), t([2])), lib.ShapeError, 'sigmoidBackward y [2]', ['[3]', '[2]']);
      await expectThrows(() => engine.sigmoid(t([3]), { alpha: t([2]) }), lib.ShapeError, 'sigmoid α of shape [2]', ['[2]']);
      await expectThrows(() => engine.tensor([1, 2, 3], [2, 2]), lib.ShapeError, 'tensor of 3 values as [2, 2]', ['[2, 2]', '3']);
      await expectThrows(() => engine.tensor([[1, 2], [3]]), lib.ShapeError, 'ragged nested rows', ['row 1']);
      await expectThrows(() => engine.zeros([0, 3]), lib.ShapeError, 'zeros([0, 3])', ['[0, 3]']);
    }),
};

const disposedErrorCase: OpCase = {
  name: 'errors: a disposed tensor throws DisposedError',
  run: (engine, lib) =>
    scoped(engine, async (s) => {
      const live = s.t(new Float32Array(6), [2, 3]);
      const dead = engine.tensor(new Float32Array(6), [2, 3]);
      dead.dispose();
      dead.dispose(); // twice is harmless
      if (!dead.disposed) throw new Error('tensor.disposed should be true after dispose()');
      const E = lib.DisposedError;
      await expectThrows(() => dead.read(), E, 'read()');
      await expectThrows(() => engine.sigmoid(dead), E, 'sigmoid(disposed)');
      await expectThrows(() => engine.add(live, dead), E, 'add(live, disposed)');
      await expectThrows(() => engine.matmul(dead, live, { transposeB: true }), E, 'matmul(disposed, live)');
      await expectThrows(() => engine.linear(live, dead, null, 'relu', { transposeB: true }), E, 'linear(live, disposed)');
      await expectThrows(() => engine.gram(dead), E, 'gram(disposed)');
      await expectThrows(() => engine.sum(dead), E, 'sum(disposed)');
      await expectThrows(() => engine.colSums(dead), E, 'colSums(disposed)');
      await expectThrows(() => engine.sgdColSumsStep(s.t(new Float32Array(3)), dead, { lr: 0.1 }), E, 'sgdColSumsStep(live, disposed)');
      await expectThrows(() => engine.mean(dead), E, 'mean(disposed)');
      await expectThrows(() => engine.scale(dead, 2), E, 'scale(disposed)');
      await expectThrows(() => engine.biasAdd(dead, s.t(new Float32Array(3))), E, 'biasAdd(disposed, live)');
      await expectThrows(() => engine.activationBackward(live, dead, 'tanh'), E, 'activationBackward(live, disposed)');
      await expectThrows(() => engine.matmulActivationBackward(live, live, dead, 'tanh', { transposeB: true }), E, 'matmulActivationBackward with a disposed y');
      const deadAlpha = engine.tensor([1.5], [1]);
      deadAlpha.dispose();
      await expectThrows(() => engine.sigmoid(live, { alpha: deadAlpha }), E, 'sigmoid with a disposed α tensor');
      await expectThrows(() => engine.linear(live, live, null, { kind: 'sigmoid', alpha: deadAlpha }, { transposeB: true }), E, 'linear with a disposed α tensor');
    }),
};

const valueErrorCase: OpCase = {
  name: 'errors: invalid gram options, SGD hyper-parameters and arguments throw ValueError',
  run: (engine, lib) =>
    scoped(engine, async (s) => {
      const x = s.t(new Float32Array(12), [4, 3]);
      const V = lib.ValueError;
      const sq = s.t(new Float32Array(9), [3, 3]);
      await expectThrows(() => engine.sgdMatmulStep(sq, sq, s.t(new Float32Array(9), [3, 3]), { lr: 0.1 }), V, 'sgdMatmulStep param = a', ['param', 'a']);
      await expectThrows(() => engine.sgdMatmulStep(sq, x, x, { lr: -1, transposeA: true }), V, 'sgdMatmulStep lr < 0', ['lr']);
      await expectThrows(() => engine.sgdMatmulStep(sq, x, x, { lr: 0.1, weightDecay: Number.NaN, transposeA: true }), V, 'sgdMatmulStep weightDecay NaN', ['weightDecay']);
      const bias = s.t(new Float32Array(3), [3]);
      await expectThrows(() => engine.sgdColSumsStep(bias, bias, { lr: 0.1 }), V, 'sgdColSumsStep param = x', ['param', 'x']);
      await expectThrows(() => engine.sgdColSumsStep(bias, x, { lr: Number.POSITIVE_INFINITY }), V, 'sgdColSumsStep lr = ∞', ['lr']);
      await expectThrows(() => engine.sgdColSumsStep(bias, x, { lr: 0.1, weightDecay: -0.5 }), V, 'sgdColSumsStep weightDecay < 0', ['weightDecay']);
      const bad: [GramOptions, string][] = [
        [{ kernel: 'cubic' as GramKernel }, 'cubic'],
        [{ gamma: Number.NaN }, 'gamma'],
        [{ gamma: Number.POSITIVE_INFINITY }, 'gamma'],
        [{ kernel: 'rbf', gamma: 0 }, 'gamma'],
        [{ kernel: 'rbf', gamma: -1 }, 'gamma'],
        [{ coef0: Number.NaN }, 'coef0'],
        [{ kernel: 'polynomial', degree: 2.5 }, 'degree'],
        [{ kernel: 'polynomial', degree: 0 }, 'degree'],
      ];
      for (const [opts, word] of bad) {
        await expectThrows(() => engine.gram(x, null, opts), V, `gram ${JSON.stringify(opts)}`, [word]);
      }
      // projected-sigmoid: α and β required, d finite values each (a wrong length is a ShapeError naming both).
      const P = 'projected-sigmoid' as const;
      const badProjected: [Parameters<Engine['gram']>[2], string][] = [
        [{ kernel: P, beta: [1, 2, 3] }, 'alpha'],
        [{ kernel: P, alpha: [1, 2, 3] }, 'beta'],
        [{ kernel: P, alpha: [1, Number.NaN, 3], beta: [1, 2, 3] }, 'alpha[1]'],
        [{ kernel: P, alpha: [1, 2, 3], beta: [1, 2, Number.POSITIVE_INFINITY] }, 'beta[2]'],
        [{ kernel: P, alpha: [1, 2, 3], beta: [1, 2, 1e39] }, 'beta[2]'],
        [{ kernel: P, alpha: [1, 2, 3], beta: [1, 2, 3], gamma: Number.NaN }, 'gamma'],
        [{ kernel: 'sigmoid', alpha: [1, 2, 3] }, 'alpha'],
      ];
      for (const [opts, word] of badProjected) {
        await expectThrows(() => engine.gram(x, null, opts), V, `gram ${JSON.stringify(opts)}`, [word]);
      }
      await expectThrows(() => engine.gram(x, null, { kernel: P, alpha: [1, 2], beta: [1, 2, 3] }), lib.ShapeError,
        'projected-sigmoid α of length 2 for d = 3', ['alpha', '2', '3']);
      await expectThrows(() => engine.gram(x, null, { kernel: P, alpha: [1, 2, 3], beta: new Float32Array(4) }), lib.ShapeError,
        'projected-sigmoid β of length 4 for d = 3', ['beta', '4', '3']);
      await expectThrows(() => engine.scale(x, Number.NaN), V, 'scale by NaN');
      await expectThrows(() => engine.sigmoid(x, { alpha: Number.POSITIVE_INFINITY }), V, 'sigmoid α = Infinity', ['alpha']);
      await expectThrows(() => engine.leakyRelu(x, -0.5), V, 'leakyRelu slope −0.5', ['slope']);
      await expectThrows(() => engine.activation(x, 'softplus' as ActivationKind), V, 'unknown activation', ['softplus']);
      await expectThrows(() => engine.tensor([1, 'a' as unknown as number, 3]), V, 'non-number tensor data');
      await expectThrows(() => engine.tensor([[1, 2], [3, 'b' as unknown as number]]), V, 'non-number nested tensor data');
      // Every kernel and activation kind the library knows is covered by a case above.
      for (const k of lib.GRAM_KERNELS) if (!(k in GRAM_VARIANTS) && k !== 'projected-sigmoid') throw new Error(`gram kernel '${k}' has no op case`);
      for (const k of lib.ACTIVATION_KINDS) {
        if (!ACT_VARIANTS.some((v) => v.kind === k)) throw new Error(`activation '${k}' has no op case`);
      }
    }),
};

// ---- training primitives ---------------------------------------------------------------------

/** A shuffled permutation of 0..n−1 (as float32 row numbers). */
function permutation(rng: Rng, n: number): Float32Array {
  const idx = Float32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

const gatherRowsCase: OpCase = {
  name: 'gatherRows',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('gatherRows'));
      for (const cols of [1, 3, 65, 257]) {
        for (const srcRows of [1, 17, 300]) {
          const src = rng.uniform(srcRows * cols);
          // Index list longer than src (rows repeat), shuffled.
          const idx = Float32Array.from([...permutation(rng, srcRows), ...permutation(rng, srcRows)]);
          const srcT = s.t(src, [srcRows, cols]);
          const idxT = s.t(idx);
          const ranges: [number, number][] = [[0, idx.length], [0, 1], [idx.length - 1, 1]];
          if (idx.length > 4) ranges.push([1, idx.length - 3], [Math.floor(idx.length / 3), Math.floor(idx.length / 2)]);
          for (const [start, count] of ranges) {
            const out = s.keep(engine.gatherRows(srcT, idxT, start, count));
            const label = `gatherRows src [${srcRows}, ${cols}] indices ${start}..${start + count}`;
            expectShape(out, [count, cols], label);
            const got = await out.read();
            expectExactAt(got, Float32Array.from(refGatherRows(src, idx, start, count, cols)), Array.from(got.keys()), label);
          }
          // Defaults: all indices.
          const all = s.keep(engine.gatherRows(srcT, idxT));
          expectShape(all, [idx.length, cols], `gatherRows src [${srcRows}, ${cols}] defaults`);
          expectClose(await all.read(), refGatherRows(src, idx, 0, idx.length, cols), { rtol: 0, atol: 0, label: 'gatherRows defaults' });
        }
      }
      // Only `start` given: from start to the end. A [n, 1] index matrix works like a vector.
      const src = rng.uniform(10 * 4);
      const idx = permutation(rng, 10);
      const out = s.keep(engine.gatherRows(s.t(src, [10, 4]), s.t(idx, [10, 1]), 6));
      expectShape(out, [4, 4], 'gatherRows start=6');
      expectClose(await out.read(), refGatherRows(src, idx, 6, 4, 4), { rtol: 0, atol: 0, label: 'gatherRows start=6' });
      // A row number outside src (or not an integer) gives a NaN row, never a read outside src.
      const bad = s.keep(engine.gatherRows(s.t(src, [10, 4]), s.t([3, 10, -1, 2.5, 1e9, 0]), 0, 6));
      const got = await bad.read();
      expectClose(got.subarray(0, 4), src.subarray(12, 16), { rtol: 0, atol: 0, label: 'gatherRows row 3' });
      expectClose(got.subarray(20, 24), src.subarray(0, 4), { rtol: 0, atol: 0, label: 'gatherRows row 0' });
      for (let i = 4; i < 20; i++) {
        if (!Number.isNaN(got[i]!)) throw new Error(`gatherRows with row numbers 10, −1, 2.5, 1e9 of 10 rows: [${i}] = ${got[i]}, expected NaN`);
      }
    }),
};

const LOSS_SHAPES: readonly [number, number][] = [[1, 1], [3, 1], [17, 10], [257, 3], [9, 33], [5, 65], [2, 1000]];
const LOSSES: readonly LossKind[] = ['mse', 'binaryCrossEntropy', 'softmaxCrossEntropy'];

/** Runs engine.lossGrad and checks loss and gradient against the float64 reference. */
async function checkLoss(
  engine: Engine, s: Scope, kind: LossKind, pred: Float32Array, target: Float32Array, rows: number, cols: number,
  label: string, shape: readonly number[] = [rows, cols],
): Promise<{ loss: number; grad: Float32Array; ref: ReturnType<typeof refLoss> }> {
  const { loss, grad } = engine.lossGrad(kind, s.t(pred, shape), s.t(target, shape));
  s.keep(loss);
  s.keep(grad);
  expectShape(loss, [1], `${label} loss`);
  expectShape(grad, shape, `${label} grad`);
  const ref = refLoss(kind, pred, target, rows, cols);
  const l = await loss.read();
  expectFinite(l, `${label} loss`);
  expectClose(l, [ref.mean], { rtol: 1e-5, label: `${label} loss` });
  // |∂ℓ| ≤ ~4 before the 1/size (1/rows) scale: 1e-6 of that scale absolute.
  const scale = kind === 'softmaxCrossEntropy' ? 1 / rows : 1 / (rows * cols);
  const g = await grad.read();
  expectClose(g, ref.grad, { rtol: 1e-6, atol: 1e-6 * scale, label: `${label} grad` });
  return { loss: l[0]!, grad: g, ref };
}

function lossGradCase(kind: LossKind): OpCase {
  const name = `lossGrad ${kind}`;
  return {
    name,
    run: (engine) =>
      scoped(engine, async (s) => {
        const rng = new Rng(seedOf(name));
        for (const [rows, cols] of LOSS_SHAPES) {
          for (const soft of [false, true]) {
            const pred = rng.uniform(rows * cols, -3, 3);
            const target = lossTargets(rng, kind, rows, cols, soft);
            await checkLoss(engine, s, kind, pred, target, rows, cols, `${name} [${rows}, ${cols}] ${soft ? 'soft' : 'hard'} targets`);
          }
        }
        // A vector is one row.
        const pred = rng.uniform(7, -3, 3);
        const target = lossTargets(rng, kind, 1, 7, true);
        await checkLoss(engine, s, kind, pred, target, 1, 7, `${name} [7] vector`, [7]);
        // Target rows that do not sum to 1 (0: a masked row, 0.5, 2): ∂ = softmax·Σt − t.
        if (kind === 'softmaxCrossEntropy') {
          for (const [rows, cols] of [[6, 5], [3, 65]] as const) {
            const p = rng.uniform(rows * cols, -3, 3);
            const t = lossTargets(rng, kind, rows, cols, true);
            for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[r * cols + c]! *= [0, 0.5, 2][r % 3]!;
            await checkLoss(engine, s, kind, p, t, rows, cols, `${name} [${rows}, ${cols}] rows summing to 0, 0.5, 2`);
          }
        }
        // Confident, correct predictions: the loss is tiny and must keep its relative precision.
        if (kind !== 'mse') {
          for (const [rows, cols] of [[16, 4], [4, 65]] as const) {
            const t = lossTargets(rng, kind, rows, cols, false);
            const p = rng.uniform(rows * cols, -2, 2);
            for (let i = 0; i < p.length; i++) {
              if (kind === 'binaryCrossEntropy') p[i] = (t[i]! > 0.5 ? 1 : -1) * (8 + 10 * rng.next());
              else if (t[i] === 1) p[i] = 12 + 6 * rng.next();
            }
            await checkLoss(engine, s, kind, p, t, rows, cols, `${name} [${rows}, ${cols}] confident`);
          }
        }
      }),
  };
}

const hugeLossCase: OpCase = {
  name: 'huge inputs: losses of ±1e4 logits are finite, gradients exact',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('huge losses'));
      for (const kind of LOSSES) {
        for (const [rows, cols] of [[4, 4], [4, 64], [2, 1]] as const) {
          const n = rows * cols;
          // Every other row holds a huge logit at a random column (the first row: +1e4).
          const pred = rng.uniform(n, -2, 2);
          const target = lossTargets(rng, kind, rows, cols, false);
          const hugeIdx: number[] = [];
          for (let r = 0; r < rows; r += 1) {
            if (r % 2 === 1 && rows > 2) continue;
            const c = rng.int(0, cols);
            pred[r * cols + c] = r % 4 === 0 ? 1e4 : -1e4;
            if (kind === 'binaryCrossEntropy') hugeIdx.push(r * cols + c);
            // softmax: a +1e4 row is exactly one-hot; a −1e4 element has softmax exactly 0.
            if (kind === 'softmaxCrossEntropy') {
              if (r % 4 === 0) for (let k = 0; k < cols; k++) hugeIdx.push(r * cols + k);
              else hugeIdx.push(r * cols + c);
            }
          }
          const label = `${kind} [${rows}, ${cols}] with ±1e4 logits`;
          const { grad, ref } = await checkLoss(engine, s, kind, pred, target, rows, cols, label);
          // The scale (1/16, 1/4, 1/256, 1/2) is a power of 2: these gradients are exact in float32.
          expectExactAt(grad, Float32Array.from(ref.grad), hugeIdx, `${label} grad`);
        }
        // Soft targets at huge logits of both signs: t·(±1e4) terms, still finite.
        const pred = Float32Array.from([1e4, -1e4, 3, -1e4, 1e4, 0]);
        const target = kind === 'mse' ? Float32Array.from([1, 0, 1, 1, 1, 0])
          : kind === 'binaryCrossEntropy' ? Float32Array.from([0.25, 0.75, 0.5, 1, 0, 0.5])
          : Float32Array.from([0.5, 0.5, 0, 0.25, 0.25, 0.5]);
        await checkLoss(engine, s, kind, pred, target, 2, 3, `${kind} soft targets at ±1e4`);
      }
      // mse near float32's limit: 2·(p − t) alone overflows, 2·(p − t)/size does not.
      const big = Float32Array.from([3e38, -3e38, 1, 2e38, 0, -1]);
      const { loss, grad } = engine.lossGrad('mse', s.t(big, [2, 3]), s.t(new Float32Array(6), [2, 3]));
      s.keep(loss);
      expectClose(await s.keep(grad).read(), refLoss('mse', big, new Float32Array(6), 2, 3).grad, { rtol: 1e-6, label: 'mse grad at ±3e38' });
      // A mean float32 holds whose sum it does not: across rows and within a row (the rows' losses
      // are scaled before they are summed; they used to be summed first, to Inf).
      for (const [kind, values, rows, cols] of [
        ['mse', [1.8e19, -1.8e19], 2, 1], ['binaryCrossEntropy', [3e38, 3e38], 2, 1], ['binaryCrossEntropy', [3e38, 3e38], 1, 2],
      ] as [LossKind, number[], number, number][]) {
        const pred = Float32Array.from(values);
        const target = new Float32Array(values.length);
        const ref = refLoss(kind, pred, target, rows, cols);
        const label = `${kind} [${rows}, ${cols}] mean loss ${ref.mean.toExponential(3)}, sum over float32's range`;
        if (!(ref.mean < 3.4e38)) throw new Error(`${label}: the case's mean must fit in float32`);
        const r = engine.lossGrad(kind, s.t(pred, [rows, cols]), s.t(target, [rows, cols]));
        s.keep(r.grad);
        expectClose(await s.keep(r.loss).read(), [ref.mean], { rtol: 1e-6, label });
      }
    }),
};

/**
 * Binary cross-entropy at p = ±∞ (a logit that overflowed float32) takes its limit for every
 * t in [0, 1]: 0 for (+∞, 1) and (−∞, 0), +∞ otherwise; the gradient σ(p) − t is 1 − t or −t.
 * max(p, 0) − p·t gave ∞ − ∞ or ∞·0 = NaN there. NaN logits still give NaN, whatever t.
 */
const infiniteLogitCase: OpCase = {
  name: 'infinite logits: binary cross-entropy gives its limits, never NaN',
  run: (engine) =>
    scoped(engine, async (s) => {
      const kind: LossKind = 'binaryCrossEntropy';
      const ts = [0, 0.25, 0.5, 0.75, 1];
      // One element per call: the mean of a batch holding +∞ hides the others.
      for (const p of [Infinity, -Infinity, NaN]) {
        for (const t of ts) {
          const pred = Float32Array.from([p]);
          const target = Float32Array.from([t]);
          const { loss, grad } = engine.lossGrad(kind, s.t(pred, [1, 1]), s.t(target, [1, 1]));
          const ref = refLoss(kind, pred, target, 1, 1);
          const label = `binaryCrossEntropy p=${p} t=${t}`;
          expectClose(await s.keep(loss).read(), [ref.mean], { rtol: 0, atol: 0, label: `${label}: loss` });
          expectClose(await s.keep(grad).read(), ref.grad, { rtol: 0, atol: 0, label: `${label}: grad` });
        }
      }
      // A batch whose infinite logits are all confidently right: a finite mean, both layouts.
      for (const cols of [3, 40]) {
        const rows = 4;
        const rng = new Rng(seedOf(`infinite logits ${cols}`));
        const pred = rng.uniform(rows * cols, -3, 3);
        const target = lossTargets(rng, kind, rows, cols, true);
        for (let i = 0; i < pred.length; i += 5) {
          const one = i % 2 === 0;
          pred[i] = one ? Infinity : -Infinity;
          target[i] = one ? 1 : 0;
        }
        const ref = refLoss(kind, pred, target, rows, cols);
        const label = `binaryCrossEntropy [${rows}, ${cols}] with right ±∞ logits`;
        const { loss, grad } = engine.lossGrad(kind, s.t(pred, [rows, cols]), s.t(target, [rows, cols]));
        const l = await s.keep(loss).read();
        expectFinite(l, `${label}: loss`);
        expectClose(l, [ref.mean], { rtol: 1e-5, label: `${label}: loss` });
        const scale = 1 / (rows * cols);
        expectClose(await s.keep(grad).read(), ref.grad, { rtol: 1e-6, atol: 1e-6 * scale, label: `${label}: grad` });
      }
    }),
};

/**
 * Binary cross-entropy gradients of confidently right logits keep their relative precision:
 * σ(p) − 1 for t = 1 is −σ(−p) (−4e-8 at p = 17, −2e-22 at p = 50), and σ(p) − t rounded
 * σ(p) to 1 first (float32 beyond p ≈ 17, float64 beyond p ≈ 37), returning exactly 0 while
 * t = 0 kept its tiny σ(p). Relative tolerance 1e-5 (WGSL bounds exp(x) by 3 + 2|x| ulp).
 */
const confidentBceGradCase: OpCase = {
  name: 'confident logits: binary cross-entropy gradients keep their relative precision',
  run: (engine) =>
    scoped(engine, async (s) => {
      const mags = [5, 10, 17, 20, 30, 40, 50, 60];
      // Both signs, each right (t = 1 for p > 0, 0 below); [2, 8] narrow, [1, 64] wide rows.
      const base = mags.flatMap((m) => [m, -m]);
      for (const [rows, cols] of [[2, 8], [1, 64]] as const) {
        const n = rows * cols;
        const pred = Float32Array.from({ length: n }, (_, i) => base[i % base.length]!);
        const target = Float32Array.from(pred, (p) => (p > 0 ? 1 : 0));
        // ∂ℓ/∂p / n in float64: −σ(−p) = −1/(1 + e^p) for t = 1, σ(p) = 1/(1 + e^−p) for t = 0.
        const want = Array.from(pred, (p, i) => (target[i] === 1 ? -1 / (1 + Math.exp(p)) : 1 / (1 + Math.exp(-p))) / n);
        const { loss, grad } = engine.lossGrad('binaryCrossEntropy', s.t(pred, [rows, cols]), s.t(target, [rows, cols]));
        s.keep(loss);
        expectClose(await s.keep(grad).read(), want, { rtol: 1e-5, label: `binaryCrossEntropy grad [${rows}, ${cols}] at confident logits` });
      }
    }),
};

const countCorrectCase: OpCase = {
  name: 'countCorrect binary and multiclass (ties: first max wins)',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('countCorrect'));
      const check = async (kind: 'binary' | 'multiclass', pred: Float32Array, target: Float32Array, rows: number, cols: number, label: string) => {
        const out = s.keep(engine.countCorrect(kind, s.t(pred, [rows, cols]), s.t(target, [rows, cols])));
        expectShape(out, [1], label);
        const want = refCountCorrect(kind, pred, target, rows, cols);
        expectClose(await out.read(), [want], { rtol: 0, atol: 0, label: `${label} (expected ${want})` });
      };
      for (const [rows, cols] of [[1, 1], [3, 1], [17, 10], [257, 3], [9, 33], [5, 65], [3, 1000]] as const) {
        const n = rows * cols;
        // binary: logits in [−2, 2] with exact zeros; targets in {0, 0.5, 1} and [0, 1).
        const p = rng.uniform(n);
        for (let i = 0; i < n; i += 5) p[i] = 0;
        const t = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? [0, 0.5, 1][rng.int(0, 3)]! : rng.next()));
        await check('binary', p, t, rows, cols, `binary [${rows}, ${cols}]`);
        // multiclass with many ties: small integers, so rows often hold the max twice or more.
        const pq = Float32Array.from({ length: n }, () => rng.int(0, 4));
        const tq = Float32Array.from({ length: n }, () => rng.int(0, 3));
        await check('multiclass', pq, tq, rows, cols, `multiclass ties [${rows}, ${cols}]`);
        // one-hot targets against random logits, and the predictions themselves as targets (all correct).
        const oh = lossTargets(rng, 'softmaxCrossEntropy', rows, cols, false);
        const pr = rng.uniform(n);
        await check('multiclass', pr, oh, rows, cols, `multiclass one-hot [${rows}, ${cols}]`);
        await check('multiclass', pq, pq, rows, cols, `multiclass self [${rows}, ${cols}]`);
      }
      // Ties decided by hand: the first max wins, also across a wide row's threads.
      const wide = new Float32Array(2 * 70);
      wide[69] = 5; wide[5] = 5; // row 0: max at 5 and 69 → 5
      wide[70 + 68] = 5; wide[70 + 4] = 5; // row 1: max at 4 and 68 → 4
      const wideT = new Float32Array(2 * 70);
      wideT[5] = 1; wideT[70 + 68] = 1;
      await check('multiclass', wide, wideT, 2, 70, 'multiclass ties in wide rows');
      const tieP = Float32Array.from([1, 3, 3, 0, 2, 2, 2, 0, -1, -1, -1, -1]);
      const tieT = Float32Array.from([0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]);
      const out = s.keep(engine.countCorrect('multiclass', s.t(tieP, [3, 4]), s.t(tieT, [3, 4])));
      expectClose(await out.read(), [2], { rtol: 0, atol: 0, label: 'multiclass ties by hand' });
    }),
};

/**
 * A NaN prediction or target is never counted correct ('binary': that element;
 * 'multiclass': that row). The bare comparison (NaN > 0) === (t > 0.5) counted a NaN
 * prediction correct for every t ≤ 0.5; the argmax scans treated a NaN differently on the
 * two backends (WebGPU: a NaN first in a thread's columns hid that thread's other columns).
 */
const nanCountCorrectCase: OpCase = {
  name: 'countCorrect: a NaN prediction or target is never correct',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('countCorrect NaN'));
      const check = async (kind: 'binary' | 'multiclass', pred: Float32Array, target: Float32Array, rows: number, cols: number, want: number, label: string) => {
        const out = s.keep(engine.countCorrect(kind, s.t(pred, [rows, cols]), s.t(target, [rows, cols])));
        // The float64 reference must agree with the count worked out by hand.
        expectClose([refCountCorrect(kind, pred, target, rows, cols)], [want], { rtol: 0, atol: 0, label: `${label}: reference` });
        expectClose(await out.read(), [want], { rtol: 0, atol: 0, label });
      };
      // binary, by hand: NaN against every kind of target, beside finite predictions.
      const bp = Float32Array.from([NaN, NaN, NaN, NaN, NaN, -1, 2, -3, 1]);
      const bt = Float32Array.from([0, 0.25, 0.5, 0.75, 1, 0, 1, NaN, NaN]);
      await check('binary', bp, bt, 9, 1, 2, 'binary NaN predictions and targets [9, 1]');
      await check('binary', bp, bt, 3, 3, 2, 'binary NaN predictions and targets [3, 3]');
      // Seeded rows, narrow and wide, with NaN predictions and targets at a few places.
      for (const [rows, cols] of [[17, 10], [5, 65]] as const) {
        const n = rows * cols;
        const p = rng.uniform(n);
        const t = Float32Array.from({ length: n }, () => [0, 0.5, 1][rng.int(0, 3)]!);
        for (let i = 0; i < n; i += 7) p[i] = NaN;
        for (let i = 3; i < n; i += 11) t[i] = NaN;
        let want = 0;
        for (let i = 0; i < n; i++) if (!Number.isNaN(p[i]!) && !Number.isNaN(t[i]!) && (p[i]! > 0) === (t[i]! > 0.5)) want++;
        await check('binary', p, t, rows, cols, want, `binary with NaN [${rows}, ${cols}]`);
      }
      // multiclass, by hand: a row with a NaN anywhere in its prediction or target is wrong,
      // whatever its argmax; narrow (8 columns: a thread per row) and wide (70: a workgroup
      // per row, where column 5's thread also visits column 69, the true max).
      for (const cols of [8, 70]) {
        const rows = 5;
        const mp = new Float32Array(rows * cols);
        const mt = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          mp[r * cols + cols - 1] = 10; // every row predicts its last column ...
          mt[r * cols + cols - 1] = 1; // ... which is its label
        }
        mp[0 * cols + 5] = NaN; // row 0: NaN prediction before the max (same thread when wide)
        mp[1 * cols + 0] = NaN; // row 1: NaN prediction in the first column
        mp.fill(NaN, 2 * cols, 3 * cols); // row 2: all NaN
        mt[2 * cols] = 1; mt[2 * cols + cols - 1] = 0; // labelled 0, what an all-NaN scan picks
        mt[3 * cols + 5] = NaN; // row 3: NaN target
        // row 4: no NaN, correct
        await check('multiclass', mp, mt, rows, cols, 1, `multiclass NaN rows [${rows}, ${cols}]`);
      }
      // Seeded one-hot rows, some with a NaN prediction or target.
      for (const [rows, cols] of [[17, 10], [9, 33], [5, 65]] as const) {
        const t = lossTargets(rng, 'softmaxCrossEntropy', rows, cols, false);
        const p = Float32Array.from(t, (v) => v * 3 + rng.next()); // right, but for the NaN rows
        const nanRows = new Set<number>();
        for (let r = 0; r < rows; r += 3) {
          (r % 2 === 0 ? p : t)[r * cols + rng.int(0, cols)] = NaN;
          nanRows.add(r);
        }
        let want = 0;
        for (let r = 0; r < rows; r++) {
          if (nanRows.has(r)) continue;
          let bp = 0, bt = 0;
          for (let c = 1; c < cols; c++) {
            if (p[r * cols + c]! > p[r * cols + bp]!) bp = c;
            if (t[r * cols + c]! > t[r * cols + bt]!) bt = c;
          }
          if (bp === bt) want++;
        }
        if (want === 0) throw new Error('multiclass with NaN: no correct row left to count');
        await check('multiclass', p, t, rows, cols, want, `multiclass with NaN [${rows}, ${cols}]`);
      }
    }),
};

const softmaxCase: OpCase = {
  name: 'softmax rows',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('softmax'));
      for (const [rows, cols] of [[1, 1], [3, 1], [17, 10], [257, 3], [9, 33], [5, 65], [2, 1000]] as const) {
        for (const [lo, hi] of [[-2, 2], [-30, 30]] as const) {
          const x = rng.uniform(rows * cols, lo, hi);
          if (rows > 2) {
            x[0] = 1e4;
            x[cols * 2] = -1e4;
          }
          const out = s.keep(engine.softmax(s.t(x, [rows, cols])));
          const label = `softmax [${rows}, ${cols}] in [${lo}, ${hi}]`;
          expectShape(out, [rows, cols], label);
          const got = await out.read();
          expectFinite(got, label);
          expectClose(got, refSoftmax(x, rows, cols), { ...UNIT, label });
          for (let r = 0; r < rows; r++) {
            let z = 0;
            for (let c = 0; c < cols; c++) z += got[r * cols + c]!;
            if (Math.abs(z - 1) > 1e-5) throw new Error(`${label}: row ${r} sums to ${z}`);
          }
        }
      }
    }),
};

const sumSquaresCase: OpCase = {
  name: 'sumSquares',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('sumSquares'));
      const inputs: { label: string; x: Float32Array; shape: number[] }[] = [];
      for (const n of [1, 3, 64, 65, 1000, 65539]) inputs.push({ label: `[${n}]`, x: rng.uniform(n), shape: [n] });
      inputs.push({ label: '[257, 127]', x: rng.uniform(257 * 127), shape: [257, 127] });
      inputs.push({ label: '[1000] with tiny and huge', x: withSpecials(rng.uniform(1000), [1e-30, 1e4, -1e4, 1e-20]), shape: [1000] });
      for (const { label, x, shape } of inputs) {
        const out = s.keep(engine.sumSquares(s.t(x, shape)));
        expectShape(out, [1], `sumSquares ${label}`);
        expectClose(await out.read(), [refSumSquares(x)], { rtol: 1e-5, label: `sumSquares ${label}` });
      }
      // The plain sum is unchanged by the square flag's pipelines (both are cached).
      const x = rng.uniform(5000);
      const sum = s.keep(engine.sum(s.t(x)));
      expectClose(await sum.read(), [refSum(x)], { ...reduction(x), label: 'sum after sumSquares' });
    }),
};

const axpyCase: OpCase = {
  name: 'axpyInto (in place)',
  run: (engine, lib) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('axpyInto'));
      for (const shape of [[1], [3], [17, 63], [1000], [257, 65]]) {
        const n = sizeOf(shape);
        for (const a of [1, -0.37, 3, 0]) {
          const acc = rng.uniform(n);
          const x = rng.uniform(n);
          const accT = s.t(acc, shape);
          const ret = engine.axpyInto(accT, s.t(x, shape), a) as unknown;
          if (ret !== undefined) throw new Error('axpyInto should return nothing');
          const label = `axpyInto ${fmt(shape)} a=${a}`;
          expectShape(accT, shape, label);
          expectClose(await accT.read(), Array.from(acc, (v, i) => v + a * x[i]!), { rtol: 1e-6, atol: 1e-6, label });
        }
        // Accumulating twice, then into itself: acc += 2·acc.
        const acc = rng.uniform(n);
        const x = rng.uniform(n);
        const accT = s.t(acc, shape);
        const xT = s.t(x, shape);
        engine.axpyInto(accT, xT);
        engine.axpyInto(accT, xT, 0.5);
        const twice = Array.from(acc, (v, i) => v + x[i]! + 0.5 * x[i]!);
        expectClose(await accT.read(), twice, { rtol: 1e-6, atol: 1e-6, label: `axpyInto ${fmt(shape)} twice` });
        engine.axpyInto(accT, accT, 2);
        expectClose(await accT.read(), twice.map((v) => 3 * v), { rtol: 1e-6, atol: 1e-6, label: `axpyInto ${fmt(shape)} into itself` });
        expectClose(await xT.read(), x, { rtol: 0, atol: 0, label: `axpyInto ${fmt(shape)}: x unchanged` });
      }
      // With an offset: x [k] lands in acc's flat elements [off, off + k); the rest is untouched.
      for (const [accLen, k, off] of [[1, 1, 0], [10, 1, 9], [300, 65, 17], [1000, 257, 743]] as const) {
        const acc = rng.uniform(accLen);
        const x = rng.uniform(k);
        const accT = s.t(acc, [accLen]);
        engine.axpyInto(accT, s.t(x, [k]), -1.5, off);
        const want = Array.from(acc, (v, i) => (i >= off && i < off + k ? v - 1.5 * x[i - off]! : v));
        expectClose(await accT.read(), want, { rtol: 1e-6, atol: 1e-6, label: `axpyInto offset ${off} of ${k} into ${accLen}` });
      }
      const accT = s.t(rng.uniform(100), [100]);
      await expectThrows(() => engine.axpyInto(accT, s.t(rng.uniform(10), [10]), 1, 91), lib.ValueError,
        'axpyInto offset past the end', ['offset 91', '100 values']);
    }),
};

const OPT_SHAPES: readonly (readonly number[])[] = [[1], [3], [17, 10], [257, 3], [1000]];
/** Optimizer state after several float32 steps vs float64: allclose(1e-6, 1e-6) on params of order 1. */
const OPT_TOL: CloseOptions = { rtol: 1e-6, atol: 1e-6 };

const sgdCase: OpCase = {
  name: 'sgdStep: plain, momentum, weight decay, several steps',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('sgdStep'));
      const variants = [
        { lr: 0.1, momentum: 0, weightDecay: 0 },
        { lr: 0.05, momentum: 0.9, weightDecay: 0 },
        { lr: 0.03, momentum: 0.5, weightDecay: 0.01 },
        { lr: 0.2, momentum: 0, weightDecay: 0.05 },
        { lr: 0, momentum: 0.9, weightDecay: 0.1 },
      ];
      for (const shape of OPT_SHAPES) {
        const n = sizeOf(shape);
        for (const v of variants) {
          const p0 = rng.uniform(n);
          const st: RefSgdState = { p: Float64Array.from(p0), vel: v.momentum > 0 ? new Float64Array(n) : null };
          const pT = s.t(p0, shape);
          const velT = v.momentum > 0 ? s.t(new Float32Array(n), shape) : null;
          for (let step = 1; step <= 4; step++) {
            const g = rng.uniform(n);
            const gT = s.t(g, shape);
            const opts = v.momentum > 0 || step % 2 === 0 ? v : { lr: v.lr, weightDecay: v.weightDecay }; // momentum omitted = 0
            engine.sgdStep(pT, gT, velT, opts);
            refSgdStep(st, g, v.lr, v.momentum, v.weightDecay);
            const label = `sgdStep ${fmt(shape)} ${JSON.stringify(v)} step ${step}`;
            expectClose(await pT.read(), st.p, { ...OPT_TOL, label: `${label} param` });
            if (velT !== null) expectClose(await velT.read(), st.vel!, { ...OPT_TOL, label: `${label} velocity` });
            expectClose(await gT.read(), g, { rtol: 0, atol: 0, label: `${label}: grad unchanged` });
          }
        }
      }
      // momentum 0 with a velocity tensor: plain SGD, the velocity is not touched.
      const p0 = rng.uniform(5);
      const g = rng.uniform(5);
      const pT = s.t(p0);
      const velT = s.t([7, 7, 7, 7, 7]);
      engine.sgdStep(pT, s.t(g), velT, { lr: 0.5 });
      expectClose(await pT.read(), Array.from(p0, (p, i) => p - 0.5 * g[i]!), { ...OPT_TOL, label: 'sgdStep momentum 0 with velocity' });
      expectClose(await velT.read(), [7, 7, 7, 7, 7], { rtol: 0, atol: 0, label: 'sgdStep momentum 0: velocity untouched' });
    }),
};

const adamCase: OpCase = {
  name: 'adamStep: steps 1..5 vs float64 Adam',
  run: (engine) =>
    scoped(engine, async (s) => {
      const rng = new Rng(seedOf('adamStep'));
      const variants = [
        { lr: 0.01 },
        { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6 },
        { lr: 0.02, weightDecay: 0.1 },
        { lr: 0.1, beta1: 0, beta2: 0.5, eps: 1e-3, weightDecay: 0.01 },
      ];
      for (const shape of OPT_SHAPES) {
        const n = sizeOf(shape);
        for (const v of variants) {
          const p0 = rng.uniform(n);
          const st: RefAdamState = { p: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n), t: 0 };
          const pT = s.t(p0, shape);
          const mT = s.t(new Float32Array(n), shape);
          const vT = s.t(new Float32Array(n), shape);
          for (let step = 1; step <= 5; step++) {
            // Gradients of mixed sizes, including tiny ones (where ε matters) and exact zeros.
            const g = rng.uniform(n);
            for (let i = 0; i < n; i += 7) g[i] = i % 2 === 0 ? 0 : 1e-5 * g[i]!;
            engine.adamStep(pT, s.t(g, shape), mT, vT, { ...v, step });
            refAdamStep(st, g, v.lr, v.beta1 ?? 0.9, v.beta2 ?? 0.999, v.eps ?? 1e-8, v.weightDecay ?? 0);
            const label = `adamStep ${fmt(shape)} ${JSON.stringify(v)} step ${step}`;
            expectClose(await pT.read(), st.p, { ...OPT_TOL, label: `${label} param` });
            expectClose(await mT.read(), st.m, { rtol: 1e-6, atol: 1e-7, label: `${label} m` });
            expectClose(await vT.read(), st.v, { rtol: 1e-6, atol: 1e-9, label: `${label} v` });
          }
        }
      }
      // Gradients whose square overflows float32 (|g| > 1.8e19) while (1 − β₂)·g² and the
      // step do not: the update must still move p by about lr.
      const g = Float32Array.from([1e19, -2e19, 3e19, -1e18, 5e18, 2e-3, 0]);
      const n = g.length;
      const p0 = rng.uniform(n);
      const st: RefAdamState = { p: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n), t: 0 };
      const pT = s.t(p0);
      const mT = s.t(new Float32Array(n));
      const vT = s.t(new Float32Array(n));
      for (let step = 1; step <= 2; step++) {
        engine.adamStep(pT, s.t(g), mT, vT, { lr: 0.1, step });
        refAdamStep(st, g, 0.1, 0.9, 0.999, 1e-8, 0);
        const label = `adamStep with |g| up to 3e19, step ${step}`;
        expectClose(await pT.read(), st.p, { ...OPT_TOL, label: `${label} param` });
        expectClose(await vT.read(), st.v, { rtol: 1e-6, atol: 1e-9, label: `${label} v` });
      }
    }),
};

const trainErrorCase: OpCase = {
  name: 'errors: training primitives reject bad losses, shapes and hyperparameters',
  run: (engine, lib) =>
    scoped(engine, async (s) => {
      const t = (shape: number[]) => s.t(new Float32Array(sizeOf(shape)), shape);
      const a23 = t([2, 3]);
      const a32 = t([3, 2]);
      const V = lib.ValueError;
      const S = lib.ShapeError;
      await expectThrows(() => engine.lossGrad('hinge' as LossKind, a23, a23), V, 'unknown loss', ['hinge']);
      for (const kind of LOSSES) {
        await expectThrows(() => engine.lossGrad(kind, a23, a32), S, `${kind} [2,3] vs [3,2]`, ['[2, 3]', '[3, 2]']);
        await expectThrows(() => engine.lossGrad(kind, t([6]), a23), S, `${kind} [6] vs [2,3]`, ['[6]', '[2, 3]']);
      }
      await expectThrows(() => engine.countCorrect('multiclass', a23, a32), S, 'countCorrect [2,3] vs [3,2]', ['[2, 3]', '[3, 2]']);
      await expectThrows(() => engine.countCorrect('topk' as 'binary', a23, a23), V, 'countCorrect kind', ['topk']);
      await expectThrows(() => engine.axpyInto(a23, a32), S, 'axpyInto [2,3] += [3,2]', ['[2, 3]', '[3, 2]']);
      await expectThrows(() => engine.axpyInto(a23, t([2, 3]), Number.NaN), V, 'axpyInto factor NaN');
      const idx = s.t([0, 1, 1]);
      await expectThrows(() => engine.gatherRows(a23, idx, 2, 2), V, 'gatherRows rows 2..4 of 3', ['3']);
      await expectThrows(() => engine.gatherRows(a23, idx, -1, 1), V, 'gatherRows start −1');
      await expectThrows(() => engine.gatherRows(a23, idx, 0, 0), V, 'gatherRows count 0');
      await expectThrows(() => engine.gatherRows(a23, idx, 4), V, 'gatherRows start past the end');
      await expectThrows(() => engine.gatherRows(t([6]), idx), S, 'gatherRows from a vector', ['[6]']);
      const p = t([2, 3]);
      const g = t([2, 3]);
      await expectThrows(() => engine.sgdStep(p, a32, null, { lr: 0.1 }), S, 'sgdStep grad [3,2]', ['[2, 3]', '[3, 2]']);
      await expectThrows(() => engine.sgdStep(p, g, a32, { lr: 0.1, momentum: 0.9 }), S, 'sgdStep velocity [3,2]', ['[2, 3]', '[3, 2]']);
      await expectThrows(() => engine.sgdStep(p, g, null, { lr: -0.1 }), V, 'sgdStep lr −0.1', ['lr']);
      await expectThrows(() => engine.sgdStep(p, g, null, { lr: Number.NaN }), V, 'sgdStep lr NaN', ['lr']);
      await expectThrows(() => engine.sgdStep(p, g, t([2, 3]), { lr: 0.1, momentum: 1 }), V, 'sgdStep momentum 1', ['momentum']);
      await expectThrows(() => engine.sgdStep(p, g, null, { lr: 0.1, momentum: 0.9 }), V, 'sgdStep momentum without velocity', ['velocity']);
      await expectThrows(() => engine.sgdStep(p, g, null, { lr: 0.1, weightDecay: -1 }), V, 'sgdStep weightDecay −1', ['weightDecay']);
      const m = t([2, 3]);
      const v = t([2, 3]);
      const adam = (o: Partial<{ lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number }>) =>
        () => engine.adamStep(p, g, m, v, { lr: 0.01, step: 1, ...o });
      await expectThrows(adam({ lr: -1 }), V, 'adamStep lr −1', ['lr']);
      await expectThrows(adam({ beta1: 1 }), V, 'adamStep beta1 = 1', ['beta1']);
      await expectThrows(adam({ beta1: -0.1 }), V, 'adamStep beta1 = −0.1', ['beta1']);
      await expectThrows(adam({ beta2: 1 }), V, 'adamStep beta2 = 1', ['beta2']);
      await expectThrows(adam({ eps: 0 }), V, 'adamStep eps = 0', ['eps']);
      await expectThrows(adam({ eps: Number.POSITIVE_INFINITY }), V, 'adamStep eps = Infinity', ['eps']);
      await expectThrows(adam({ step: 0 }), V, 'adamStep step 0', ['step']);
      await expectThrows(adam({ step: 1.5 }), V, 'adamStep step 1.5', ['step']);
      await expectThrows(adam({ weightDecay: -0.1 }), V, 'adamStep weightDecay −0.1', ['weightDecay']);
      await expectThrows(() => engine.adamStep(p, g, a32, v, { lr: 0.01, step: 1 }), S, 'adamStep m [3,2]', ['[2, 3]', '[3, 2]']);
      await expectThrows(() => engine.adamStep(p, g, m, t([6]), { lr: 0.01, step: 1 }), S, 'adamStep v [6]', ['[2, 3]', '[6]']);
      // Rejected updates changed nothing.
      expectClose(await p.read(), new Float32Array(6), { rtol: 0, atol: 0, label: 'param after rejected updates' });
    }),
};

// ---- the suite -----------------------------------------------------------------------------

/**
 * The cases whose WebGPU kernels depend on the engine's tiling (matmul, the fused linear,
 * activation-gradient and SGD epilogues, the Gram kernels, sums and column sums): runners repeat them under each
 * tiling, since 'auto' picks only one per adapter (test/engine.test.ts checks which).
 */
export const tilingCases: OpCase[] = [
  matmulCase(false, false),
  matmulCase(true, false),
  matmulCase(false, true),
  matmulCase(true, true),
  ...ACT_VARIANTS.map(linearCase),
  ...ACT_VARIANTS.map(matmulActivationBackwardCase),
  sgdMatmulStepCase,
  ...(['sigmoid', 'logistic', 'linear', 'polynomial', 'rbf'] as const).map(gramCase),
  sklearnCase,
  hugeLinearCase,
  hugeGramCase,
  overflowGramCase,
  nanMatmulCase,
  saturatedTanhBackwardCase,
  colSumsCase,
  sgdColSumsStepCase,
  sumMeanCase,
  sumSquaresCase,
];

export const opCases: OpCase[] = [
  roundTripCase,
  ...tilingCases,
  ...ACT_VARIANTS.map(activationForwardCase),
  ...ACT_VARIANTS.map(activationBackwardCase),
  ...SIGMOID_BACKWARD.map(sigmoidBackwardCase),
  binaryCase('add'),
  binaryCase('sub'),
  binaryCase('mul'),
  scaleCase,
  biasAddCase,
  projectedGramCase,
  hugeActivationCase,
  nanElementwiseCase,
  nanTargetCase,
  smallTanhCase,
  shapeErrorCase,
  disposedErrorCase,
  valueErrorCase,
  gatherRowsCase,
  ...LOSSES.map(lossGradCase),
  hugeLossCase,
  infiniteLogitCase,
  confidentBceGradCase,
  countCorrectCase,
  nanCountCorrectCase,
  softmaxCase,
  axpyCase,
  sgdCase,
  adamCase,
  trainErrorCase,
];

/** One engine configuration and the cases run on it, shared by the Node and browser runners. */
export interface OpRun {
  name: string;
  backend: 'webgpu' | 'cpu';
  tiling?: Tiling;
  cases: readonly OpCase[];
}

// Every case once on WebGPU and the tiling-dependent ones under the other tiling too (an
// 'auto' run besides both would repeat one tiling's cases: a minute of compiles on lavapipe).
export const opRuns: readonly OpRun[] = [
  { name: 'webgpu tiling=register', backend: 'webgpu', tiling: 'register', cases: opCases },
  { name: 'webgpu tiling=workgroup', backend: 'webgpu', tiling: 'workgroup', cases: tilingCases },
  { name: 'cpu', backend: 'cpu', cases: opCases },
];
