// Gradient checks. Each problem is a scalar loss L = ⟨dY, f(params)⟩ (so ∂L/∂Y = dY) built
// from engine ops, with its backward written with the engine's backward ops the way a
// layer does it (activationBackward / sigmoidBackward, transposed matmuls, colSums).
// The loss problems use the real losses instead: L = mean loss(P, T) through
// engine.lossGrad (its gradient alone, and flowing back through a dense layer), against
// the float64 reference losses (refLoss: textbook forms, not the library's).
//   1. On the CPU engine, every gradient is compared with central finite differences of
//      the float64 reference loss (test/helpers/reference.ts).
//   2. On the WebGPU engine, every gradient is compared with the CPU engine's on the same
//      inputs. No skip without an adapter: the webgpu beforeAll fails with the reason.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Activation, type ActivationKind, createEngine, type Engine, type Tensor } from '../src/index.js';
import { type CloseOptions, expectClose } from './helpers/expectClose.js';
import type { LossKind } from '../src/types.js';
import {
  type ActParams, dot, finiteDiffGrad, refActivation, refLoss, refMatmul,
} from './helpers/reference.js';
import { Rng } from './helpers/rng.js';
import { lossTargets } from './helpers/targets.js';
import { type Scope, scoped } from './helpers/scope.js';
import { describeError } from '../tools/describe-error.js';

/** Finite differences in float64 are accurate to ~1e-8 here; the engine's float32 backward to ~1e-6. */
const FD_TOL: CloseOptions = { rtol: 1e-5, atol: 1e-5 };
/** GPU vs CPU gradients: compound pipelines of float32 ops, compared like matmuls. */
const GPU_TOL: CloseOptions = { relNorm: 1e-5 };

interface Param {
  value: Float32Array;
  /** The float64 reference loss as a function of this parameter (the others fixed). */
  loss(v: Float64Array): number;
}

interface GradProblem {
  name: string;
  /** Tolerance against finite differences (default FD_TOL). */
  fdTol?: CloseOptions;
  params: Record<string, Param>;
  /** Runs forward and backward on the engine; returns one gradient per param name. */
  backward(engine: Engine, s: Scope): Promise<Record<string, Float32Array>>;
}

function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** act(X·W + b) in float64, X [m, k], W [k, n]. */
function refLayer(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number,
  kind: ActivationKind, p: ActParams): Float64Array {
  const z = refMatmul(x, w, m, n, k);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) z[i * n + j]! += b[j]!;
  return refActivation(kind, z, p);
}

// ---- the problems --------------------------------------------------------------------------

interface ActCase {
  label: string;
  kind: ActivationKind;
  params: ActParams;
  /** α is a [1] tensor (trainable): the layer also gets dα. */
  alphaTensor?: boolean;
  act(s: Scope): Activation;
}

const ACTS: ActCase[] = [
  { label: 'sigmoid', kind: 'sigmoid', params: {}, act: () => 'sigmoid' },
  { label: 'sigmoid α=1.75', kind: 'sigmoid', params: { alpha: 1.75 }, act: () => ({ kind: 'sigmoid', alpha: 1.75 }) },
  { label: 'sigmoid α=[0.625]', kind: 'sigmoid', params: { alpha: 0.625 }, alphaTensor: true, act: (s) => ({ kind: 'sigmoid', alpha: s.t([0.625], [1]) }) },
  { label: 'relu', kind: 'relu', params: {}, act: () => 'relu' },
  { label: 'leakyRelu', kind: 'leakyRelu', params: {}, act: () => 'leakyRelu' },
  { label: 'leakyRelu slope=0.2', kind: 'leakyRelu', params: { slope: 0.2 }, act: () => ({ kind: 'leakyRelu', slope: 0.2 }) },
  { label: 'tanh', kind: 'tanh', params: {}, act: () => 'tanh' },
  { label: 'identity', kind: 'identity', params: {}, act: () => 'identity' },
];

/** activationBackward: dx of L = ⟨dy, act(x)⟩, with x kept ≥ 0.01 away from relu's kink. */
function activationProblem(a: ActCase): GradProblem {
  const name = `activationBackward ${a.label}`;
  const rng = new Rng(seedOf(name));
  const x = rng.awayFromZero(37, 0.01, 3);
  const dy = rng.uniform(37);
  return {
    name,
    params: { x: { value: x, loss: (v) => dot(dy, refActivation(a.kind, v, a.params)) } },
    async backward(engine, s) {
      const act = a.act(s);
      const y = s.keep(engine.activation(s.t(x), act));
      const dx = s.keep(engine.activationBackward(s.t(dy), y, act));
      return { x: await dx.read() };
    },
  };
}

/** sigmoidBackward: dx and dα of L = ⟨dy, σ(α·x)⟩, α a number or a [1] tensor. */
function scaledSigmoidProblem(alpha: number, asTensor: boolean): GradProblem {
  const name = `sigmoidBackward α=${alpha}${asTensor ? ' tensor' : ''}`;
  const rng = new Rng(seedOf(name));
  const x = rng.uniform(5 * 13, -3, 3);
  const dy = rng.uniform(5 * 13);
  return {
    name,
    params: {
      x: { value: x, loss: (v) => dot(dy, refActivation('sigmoid', v, { alpha })) },
      alpha: { value: Float32Array.of(alpha), loss: (v) => dot(dy, refActivation('sigmoid', x, { alpha: v[0]! })) },
    },
    async backward(engine, s) {
      const a = asTensor ? s.t([alpha], [1]) : alpha;
      const xt = s.t(x, [5, 13]);
      const y = s.keep(engine.sigmoid(xt, { alpha: a }));
      const { dx, dAlpha } = engine.sigmoidBackward(s.t(dy, [5, 13]), xt, y, { alpha: a });
      s.keep(dx);
      s.keep(dAlpha);
      return { x: await dx.read(), alpha: await dAlpha.read() };
    },
  };
}

/**
 * Matmul backward for Y = op(A)·op(B): dA = dY·op(B)ᵀ and dB = op(A)ᵀ·dY, produced in A's
 * and B's stored layouts with the engine's transposed matmuls.
 */
function matmulProblem(ta: boolean, tb: boolean): GradProblem {
  const name = `matmul ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} backward`;
  const rng = new Rng(seedOf(name));
  const m = 5, k = 7, n = 4;
  const a = rng.uniform(m * k);
  const b = rng.uniform(k * n);
  const dy = rng.uniform(m * n);
  const aShape = ta ? [k, m] : [m, k];
  const bShape = tb ? [n, k] : [k, n];
  return {
    name,
    params: {
      a: { value: a, loss: (v) => dot(dy, refMatmul(v, b, m, n, k, ta, tb)) },
      b: { value: b, loss: (v) => dot(dy, refMatmul(a, v, m, n, k, ta, tb)) },
    },
    async backward(engine, s) {
      const at = s.t(a, aShape);
      const bt = s.t(b, bShape);
      const dyt = s.t(dy, [m, n]);
      const y = s.keep(engine.matmul(at, bt, { transposeA: ta, transposeB: tb }));
      if (y.shape[0] !== m || y.shape[1] !== n) throw new Error(`forward shape ${y.shape}`);
      // Stored layouts: A [m,k] or [k,m]; B [k,n] or [n,k].
      const da = !ta
        ? engine.matmul(dyt, bt, { transposeB: !tb }) // dY·op(B)ᵀ: [m,n]·[n,k]
        : engine.matmul(bt, dyt, { transposeA: tb, transposeB: true }); // (dY·op(B)ᵀ)ᵀ = op(B)·dYᵀ: [k,n]·[n,m]
      const db = !tb
        ? engine.matmul(at, dyt, { transposeA: !ta }) // op(A)ᵀ·dY: [k,m]·[m,n]
        : engine.matmul(dyt, at, { transposeA: true, transposeB: ta }); // (op(A)ᵀ·dY)ᵀ = dYᵀ·op(A): [n,m]·[m,k]
      s.keep(da);
      s.keep(db);
      const expectShape = (t: Tensor, shape: number[], what: string) => {
        if (t.shape.join() !== shape.join()) throw new Error(`${what} has shape [${t.shape}], expected [${shape}]`);
      };
      expectShape(da, aShape, 'dA');
      expectShape(db, bShape, 'dB');
      return { a: await da.read(), b: await db.read() };
    },
  };
}

/** biasAdd backward: L = ⟨dY, X + b⟩ → db = colSums(dY). */
function biasAddProblem(): GradProblem {
  const name = 'biasAdd backward = colSums';
  const rng = new Rng(seedOf(name));
  const rows = 9, cols = 6;
  const x = rng.uniform(rows * cols);
  const b = rng.uniform(cols);
  const dy = rng.uniform(rows * cols);
  const fwd = (xv: ArrayLike<number>, bv: ArrayLike<number>) => Float64Array.from({ length: rows * cols }, (_, i) => xv[i]! + bv[i % cols]!);
  return {
    name,
    params: {
      b: { value: b, loss: (v) => dot(dy, fwd(x, v)) },
      x: { value: x, loss: (v) => dot(dy, fwd(v, b)) },
    },
    async backward(engine, s) {
      s.keep(engine.biasAdd(s.t(x, [rows, cols]), s.t(b))); // the forward (its output is not needed)
      const dyt = s.t(dy, [rows, cols]);
      const db = s.keep(engine.colSums(dyt));
      const dx = s.keep(engine.identity(dyt));
      return { b: await db.read(), x: await dx.read() };
    },
  };
}

/**
 * One dense layer Y = act(X·W + b) (fused linear): dZ = act'·dY from the saved Y,
 * dX = dZ·Wᵀ, dW = Xᵀ·dZ, db = colSums(dZ). For a tensor α, Z is kept and
 * sigmoidBackward gives dZ and dα.
 */
function linearProblem(a: ActCase): GradProblem {
  const name = `linear layer ${a.label} backward`;
  const rng = new Rng(seedOf(name));
  const m = 6, k = 5, n = 4;
  const x = rng.uniform(m * k);
  const w = rng.uniform(k * n, -1, 1);
  const b = rng.uniform(n, -0.5, 0.5);
  const dy = rng.uniform(m * n);
  const L = (xv: ArrayLike<number>, wv: ArrayLike<number>, bv: ArrayLike<number>, p: ActParams = a.params) =>
    dot(dy, refLayer(xv, wv, bv, m, k, n, a.kind, p));
  const alphaIsTensor = a.alphaTensor === true;
  const params: Record<string, Param> = {
    x: { value: x, loss: (v) => L(v, w, b) },
    w: { value: w, loss: (v) => L(x, v, b) },
    b: { value: b, loss: (v) => L(x, w, v) },
  };
  if (alphaIsTensor) {
    params.alpha = { value: Float32Array.of(a.params.alpha!), loss: (v) => L(x, w, b, { alpha: v[0]! }) };
  }
  return {
    name,
    params,
    async backward(engine, s) {
      const xt = s.t(x, [m, k]);
      const wt = s.t(w, [k, n]);
      const bt = s.t(b, [n]);
      const dyt = s.t(dy, [m, n]);
      const act = a.act(s);
      let dz: Tensor;
      const out: Record<string, Float32Array> = {};
      if (alphaIsTensor && typeof act === 'object' && act.kind === 'sigmoid') {
        const z = s.keep(engine.linear(xt, wt, bt, 'identity'));
        const y = s.keep(engine.sigmoid(z, { alpha: act.alpha }));
        const g = engine.sigmoidBackward(dyt, z, y, { alpha: act.alpha });
        dz = s.keep(g.dx);
        out.alpha = await s.keep(g.dAlpha).read();
      } else {
        const y = s.keep(engine.linear(xt, wt, bt, act));
        dz = s.keep(engine.activationBackward(dyt, y, act));
      }
      out.x = await s.keep(engine.matmul(dz, wt, { transposeB: true })).read();
      out.w = await s.keep(engine.matmul(xt, dz, { transposeA: true })).read();
      out.b = await s.keep(engine.colSums(dz)).read();
      return out;
    },
  };
}

/**
 * Two layers: H = tanh(X·W1 + b1), Y = σ(α·(H·W2 + b2)) with a trainable α — the scaled
 * sigmoid network of the design — backpropagated by hand through both layers.
 */
function twoLayerProblem(): GradProblem {
  const name = 'two-layer tanh → scaled sigmoid network backward';
  const rng = new Rng(seedOf(name));
  const m = 6, d = 4, h = 5, o = 3;
  const x = rng.uniform(m * d);
  const w1 = rng.uniform(d * h, -1, 1);
  const b1 = rng.uniform(h, -0.5, 0.5);
  const w2 = rng.uniform(h * o, -1, 1);
  const b2 = rng.uniform(o, -0.5, 0.5);
  const alpha = 1.5;
  const dy = rng.uniform(m * o);
  const L = (v: { x?: ArrayLike<number>; w1?: ArrayLike<number>; b1?: ArrayLike<number>; w2?: ArrayLike<number>; b2?: ArrayLike<number>; alpha?: number }) => {
    const hh = refLayer(v.x ?? x, v.w1 ?? w1, v.b1 ?? b1, m, d, h, 'tanh', {});
    return dot(dy, refLayer(hh, v.w2 ?? w2, v.b2 ?? b2, m, h, o, 'sigmoid', { alpha: v.alpha ?? alpha }));
  };
  return {
    name,
    params: {
      x: { value: x, loss: (v) => L({ x: v }) },
      w1: { value: w1, loss: (v) => L({ w1: v }) },
      b1: { value: b1, loss: (v) => L({ b1: v }) },
      w2: { value: w2, loss: (v) => L({ w2: v }) },
      b2: { value: b2, loss: (v) => L({ b2: v }) },
      alpha: { value: Float32Array.of(alpha), loss: (v) => L({ alpha: v[0]! }) },
    },
    async backward(engine, s) {
      const xt = s.t(x, [m, d]);
      const w1t = s.t(w1, [d, h]);
      const w2t = s.t(w2, [h, o]);
      const at = s.t([alpha], [1]);
      const hh = s.keep(engine.linear(xt, w1t, s.t(b1), 'tanh'));
      const z2 = s.keep(engine.linear(hh, w2t, s.t(b2)));
      const y = s.keep(engine.sigmoid(z2, { alpha: at }));
      const g2 = engine.sigmoidBackward(s.t(dy, [m, o]), z2, y, { alpha: at });
      const dz2 = s.keep(g2.dx);
      s.keep(g2.dAlpha);
      const dH = s.keep(engine.matmul(dz2, w2t, { transposeB: true }));
      const dz1 = s.keep(engine.activationBackward(dH, hh, 'tanh'));
      return {
        alpha: await g2.dAlpha.read(),
        w2: await s.keep(engine.matmul(hh, dz2, { transposeA: true })).read(),
        b2: await s.keep(engine.colSums(dz2)).read(),
        w1: await s.keep(engine.matmul(xt, dz1, { transposeA: true })).read(),
        b1: await s.keep(engine.colSums(dz1)).read(),
        x: await s.keep(engine.matmul(dz1, w1t, { transposeB: true })).read(),
      };
    },
  };
}

// ---- losses ---------------------------------------------------------------------------------

/** Loss gradients are O(1/size): the absolute floor is scaled down with them. */
const LOSS_FD_TOL: CloseOptions = { rtol: 1e-5, atol: 1e-7 };

/** engine.lossGrad's gradient: d(mean loss)/d(pred), against the float64 reference loss. */
function lossProblem(kind: LossKind, soft: boolean): GradProblem {
  const name = `lossGrad ${kind} ${soft ? 'soft' : 'hard'} targets`;
  const rng = new Rng(seedOf(name));
  const rows = 6, cols = 4;
  const pred = rng.uniform(rows * cols, -3, 3);
  const target = lossTargets(rng, kind, rows, cols, soft, 'positive');
  return {
    name,
    fdTol: LOSS_FD_TOL,
    params: { pred: { value: pred, loss: (v) => refLoss(kind, v, target, rows, cols).mean } },
    async backward(engine, s) {
      const { loss, grad } = engine.lossGrad(kind, s.t(pred, [rows, cols]), s.t(target, [rows, cols]));
      s.keep(loss);
      s.keep(grad);
      return { pred: await grad.read() };
    },
  };
}

/**
 * A dense layer under a loss: P = act(X·W + b), L = mean loss(P, T). The loss gradient
 * from lossGrad flows back through the layer's own backward ops (what fit() does).
 */
function lossLayerProblem(kind: LossKind, a: ActCase): GradProblem {
  const name = `${a.label} layer under ${kind}: dW, db, dX`;
  const rng = new Rng(seedOf(name));
  const m = 7, k = 5, n = 3;
  const x = rng.uniform(m * k);
  const w = rng.uniform(k * n, -1, 1);
  const b = rng.uniform(n, -0.5, 0.5);
  const target = lossTargets(rng, kind, m, n, true, 'positive');
  const L = (xv: ArrayLike<number>, wv: ArrayLike<number>, bv: ArrayLike<number>) =>
    refLoss(kind, refLayer(xv, wv, bv, m, k, n, a.kind, a.params), target, m, n).mean;
  return {
    name,
    fdTol: LOSS_FD_TOL,
    params: {
      x: { value: x, loss: (v) => L(v, w, b) },
      w: { value: w, loss: (v) => L(x, v, b) },
      b: { value: b, loss: (v) => L(x, w, v) },
    },
    async backward(engine, s) {
      const xt = s.t(x, [m, k]);
      const wt = s.t(w, [k, n]);
      const act = a.act(s);
      const p = s.keep(engine.linear(xt, wt, s.t(b), act));
      const { loss, grad } = engine.lossGrad(kind, p, s.t(target, [m, n]));
      s.keep(loss);
      s.keep(grad);
      const dz = s.keep(engine.activationBackward(grad, p, act));
      return {
        x: await s.keep(engine.matmul(dz, wt, { transposeB: true })).read(),
        w: await s.keep(engine.matmul(xt, dz, { transposeA: true })).read(),
        b: await s.keep(engine.colSums(dz)).read(),
      };
    },
  };
}

const LOSS_KINDS: readonly LossKind[] = ['mse', 'binaryCrossEntropy', 'softmaxCrossEntropy'];
const IDENTITY_ACT = ACTS.find((a) => a.label === 'identity')!;
const TANH_ACT = ACTS.find((a) => a.label === 'tanh')!;

const PROBLEMS: GradProblem[] = [
  ...ACTS.map(activationProblem),
  scaledSigmoidProblem(1, false),
  scaledSigmoidProblem(1.75, false),
  scaledSigmoidProblem(0.625, true),
  matmulProblem(false, false),
  matmulProblem(true, false),
  matmulProblem(false, true),
  matmulProblem(true, true),
  biasAddProblem(),
  ...ACTS.filter((a) => ['sigmoid', 'sigmoid α=[0.625]', 'relu', 'leakyRelu slope=0.2', 'tanh', 'identity'].includes(a.label)).map(linearProblem),
  twoLayerProblem(),
  ...LOSS_KINDS.flatMap((kind) => [lossProblem(kind, false), lossProblem(kind, true)]),
  lossLayerProblem('mse', TANH_ACT),
  lossLayerProblem('binaryCrossEntropy', IDENTITY_ACT),
  lossLayerProblem('softmaxCrossEntropy', IDENTITY_ACT),
];

async function gradients(engine: Engine, p: GradProblem): Promise<Record<string, Float32Array>> {
  const before = engine.memory().liveTensors;
  const g = await scoped(engine, (s) => p.backward(engine, s));
  const after = engine.memory().liveTensors;
  if (after !== before) throw new Error(`${p.name}: ${after - before} tensors leaked`);
  for (const k of Object.keys(p.params)) if (!(k in g)) throw new Error(`${p.name}: no gradient for '${k}'`);
  return g;
}

// ---- the tests -----------------------------------------------------------------------------

let cpu: Engine;

beforeAll(async () => {
  cpu = await createEngine({ backend: 'cpu', log: null, poisonOutputs: true });
});

afterAll(() => {
  cpu?.destroy();
});

describe('cpu backward vs central finite differences (float64 reference)', () => {
  for (const p of PROBLEMS) {
    it(p.name, async () => {
      const g = await gradients(cpu, p);
      for (const [k, param] of Object.entries(p.params)) {
        expectClose(g[k]!, finiteDiffGrad(param.loss, param.value), { ...(p.fdTol ?? FD_TOL), label: `${p.name}: d/d${k}` });
      }
    });
  }
});

describe('webgpu backward vs cpu backward', () => {
  let gpu: Engine | undefined;

  beforeAll(async () => {
    try {
      gpu = await createEngine({ backend: 'webgpu', log: null, poisonOutputs: true });
    } catch (err) {
      throw new Error(`createEngine({ backend: 'webgpu' }) failed: ${describeError(err)}`);
    }
  });

  afterAll(() => {
    gpu?.destroy();
  });

  for (const p of PROBLEMS) {
    it(p.name, async () => {
      if (gpu === undefined) throw new Error('no webgpu engine (createEngine failed in beforeAll)');
      const want = await gradients(cpu, p);
      const got = await gradients(gpu, p);
      await gpu.sync();
      for (const k of Object.keys(p.params)) {
        expectClose(got[k]!, want[k]!, { ...GPU_TOL, label: `${p.name}: d/d${k} webgpu vs cpu` });
      }
    });
  }
});
