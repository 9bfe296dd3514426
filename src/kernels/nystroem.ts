// The Nyström approximation of a kernel, built as scikit-learn's `Nystroem` is: m component
// rows sampled (seeded, without replacement) from the data, K_mm = K(C, C) on the engine,
// `U, S, Vᵀ = svd(K_mm)` (float64, on the host: m is small; from K_mm's symmetric
// eigendecomposition, nystroemNormalization), S = max(S, floor),
// normalization = U · diag(1/√S) · Vᵀ, and the feature map
//
//     Z = K(X, C) · normalizationᵀ        (N × m, computed on the engine in row blocks)
//
// so that Z·Zᵀ ≈ K(X, X) without ever forming an N × N matrix (memory linear in N).
//
// What Z·Zᵀ is. With normalization = U S^{-1/2} Vᵀ,
//     Z·Zᵀ = K_nm · V S^{-1/2} Uᵀ · U S^{-1/2} Vᵀ · K_mn = K_nm · V S⁻¹ Vᵀ · K_mn.
// K_mm is symmetric: K_mm = Q Λ Qᵀ, whose SVD has S = |Λ|, V = Q, U = Q·sign(Λ). Hence
//     Z·Zᵀ = K_nm · |K_mm|⁻¹ · K_mn,    |K_mm| = Q |Λ| Qᵀ
// (eigenvalues below the floor in magnitude replaced by the floor). scikit-learn's floor is
// 1e-12; ours is max(1e-12, ε₃₂·max S), ε₃₂ = 2⁻²³, the smallest eigenvalue float32 resolves
// next to the largest, because Z is computed in float32: with a duplicate row K_mm is
// singular, 1/√1e-12 puts entries of 10⁶ into the normalization, and rounding those to
// float32 wiped out Z's O(1) part (max |Z·Zᵀ − K| 0.07–0.1 at m = N). Where every eigenvalue
// is above ε₃₂·max S the two floors give the same Z. For a positive semi-definite
// kernel (rbf, linear, polynomial with c₀ ≥ 0) |K_mm| = K_mm and this is the classical
// Nyström approximation K_nm K_mm⁺ K_mn, exact on the component rows and exact everywhere
// when m = N (up to float32 rounding). The sigmoid kernel tanh(γ⟨x,y⟩ + c₀) is not PSD for
// most (γ, c₀): when K_mm has negative eigenvalues, Z·Zᵀ is K_nm |K_mm|⁻¹ K_mn — the signs
// of those eigen-directions are flipped to +, so Z·Zᵀ is always PSD and is NOT an
// approximation of K itself (it does not converge to K as m grows, not even at m = N:
// there Z·Zᵀ = K |K|⁻¹ K = |K|). The exact Nyström form would be K_nm K_mm⁻¹ K_mn,
// which no real feature map Z can give when K_mm is indefinite. `eigenvalues` (signed)
// and `negativeEigenvalues` report how indefinite the sampled K_mm was.

import { checkEngine, type Engine } from '../engine.js';
import { resolveGramOptions, type ResolvedGramOptions, SYMMETRIC_GRAM_KEY_NAMES } from '../gram-options.js';
import type { Matrix } from '../data/matrix.js';
import type { SymmetricGramKernel, SymmetricGramOptions } from '../types.js';
import { checkPositiveInt, optionKeys, optionsObject } from '../validate.js';
import {
  blockRows, checkInputMatrix, checkKernelFinite, checkSymmetricKernel, checkWidth, gatherRows, mapRowBlocks, sampleRowIndices,
} from './landmarks.js';
import { checkGramSums } from './float32-sums.js';

export interface NystroemOptions extends SymmetricGramOptions {
  /** Number of component rows m, 1 ≤ m ≤ N; default 100. */
  components?: number;
  /** Seed of the component sampling; default 0. */
  seed?: number;
}

export interface TransformOptions {
  /** Rows per engine pass (default: about 4 M float32 values per block; on the CPU backend, about 10–20 ms of work). */
  blockRows?: number;
}

/** Singular values below this are raised to it (scikit-learn's floor). */
export const NYSTROEM_EPS = 1e-12;
const FLOAT32_EPS = 2 ** -23;

const NYSTROEM_KEYS = optionKeys<NystroemOptions>()(...SYMMETRIC_GRAM_KEY_NAMES, 'components', 'seed');
const TRANSFORM_KEYS = optionKeys<TransformOptions>()('blockRows');

/** The smallest singular value used: scikit-learn's 1e-12, or what float32 Z can resolve. */
export function nystroemFloor(singularValues: ArrayLike<number>): number {
  return Math.max(NYSTROEM_EPS, FLOAT32_EPS * Math.max(0, ...Array.from(singularValues)));
}

/** How nystroem() makes feature maps (the constructor is private, so the typings show none). */
let newNystroem: (
  o: ResolvedGramOptions<SymmetricGramKernel>, components: Matrix, indices: number[], normalization: Float64Array, eigenvalues: Float64Array,
) => Nystroem;

/** A fitted Nyström feature map (see the file comment for what Z·Zᵀ approximates). */
export class Nystroem {
  readonly kernel: SymmetricGramKernel;
  readonly gamma: number;
  readonly coef0: number;
  readonly degree: number;
  /** Their row indices in the fitted data. */
  readonly componentIndices: readonly number[];
  // The fitted map, kept private: the getters hand out copies, so editing one cannot change the map.
  readonly #components: Matrix;
  readonly #normalization: Float64Array;
  readonly #eigenvalues: Float64Array;

  static {
    newNystroem = (...args) => new Nystroem(...args);
  }

  /** Use nystroem(). */
  private constructor(o: ResolvedGramOptions<SymmetricGramKernel>, components: Matrix, indices: number[], normalization: Float64Array, eigenvalues: Float64Array) {
    this.kernel = o.kernel;
    this.gamma = o.gamma;
    this.coef0 = o.coef0;
    this.degree = o.degree;
    this.#components = components;
    this.componentIndices = Object.freeze(indices);
    this.#normalization = normalization;
    this.#eigenvalues = eigenvalues;
  }

  /** The component rows C, [m, d] (a copy). */
  get components(): Matrix {
    const c = this.#components;
    return { rows: c.rows, cols: c.cols, data: c.data.slice() };
  }

  /** U · diag(1/√max(S, nystroemFloor(S))) · Vᵀ, [m, m] row-major (float64; a copy). */
  get normalization(): Float64Array {
    return this.#normalization.slice();
  }

  /** Eigenvalues of K_mm, signed, by decreasing |λ| (a copy). */
  get eigenvalues(): Float64Array {
    return this.#eigenvalues.slice();
  }

  /** m, the number of components (columns of Z). */
  get size(): number {
    return this.#components.rows;
  }

  /** Number of features d the map was fitted on. */
  get features(): number {
    return this.#components.cols;
  }

  /** Eigenvalues of K_mm below −1e-4·max|λ| (above float32 rounding noise; 0 for a PSD kernel). */
  get negativeEigenvalues(): number {
    const top = Math.abs(this.#eigenvalues[0] ?? 0);
    return this.#eigenvalues.filter((l) => l < -1e-4 * top).length;
  }

  get gramOptions(): Required<SymmetricGramOptions> {
    return { kernel: this.kernel, gamma: this.gamma, coef0: this.coef0, degree: this.degree };
  }

  /**
   * Z = K(X, C) · normalizationᵀ, [N, m]: the kernel block and the product on the engine,
   * in row blocks (memory linear in N; the host result is the only N-sized array). A Z that
   * is not finite (the kernel overflowed float32) is a ValueError.
   */
  async transform(engine: Engine, x: Matrix, options?: TransformOptions): Promise<Matrix> {
    checkEngine('Nystroem.transform', engine);
    const opts = optionsObject('Nystroem.transform', options, TRANSFORM_KEYS);
    checkInputMatrix('transform: X', x);
    checkWidth('transform: X', x, this.features, 'the Nyström map');
    checkGramSums(engine, 'Nystroem.transform', this.gramOptions, [x, this.#components]);
    const m = this.size;
    const rows = opts.blockRows ?? blockRows(engine, x.rows, x.cols, m);
    checkPositiveInt('blockRows', rows);
    const c = engine.tensor(this.#components.data, [m, this.features]);
    const norm = engine.tensor(Float32Array.from(this.#normalization), [m, m]);
    try {
      const z = await mapRowBlocks(engine, x, m, rows, (xb) => {
        const k = engine.gram(xb, c, this.gramOptions);
        try {
          return engine.matmul(k, norm, { transposeB: true });
        } finally {
          k.dispose();
        }
      });
      checkKernelFinite('Nystroem.transform: Z', z.data, m, this.kernel);
      return z;
    } finally {
      c.dispose();
      norm.dispose();
    }
  }
}

/**
 * Fits a Nyström map on X [N, d]: samples `components` rows (seeded), computes K_mm on the
 * engine and its eigendecomposition on the host. Options as engine.gram (kernel default 'sigmoid',
 * γ = 1/d, c₀ = 1, degree 3). A K_mm that overflows float32 is a ValueError.
 */
export async function nystroem(engine: Engine, x: Matrix, opts: NystroemOptions = {}): Promise<Nystroem> {
  checkEngine('nystroem', engine);
  opts = optionsObject('nystroem', opts, NYSTROEM_KEYS);
  checkSymmetricKernel('nystroem', opts.kernel);
  checkInputMatrix('nystroem: X', x);
  const o = resolveGramOptions(opts, x.cols);
  const m = opts.components ?? 100;
  const idx = sampleRowIndices(x.rows, m, opts.seed ?? 0, 'components');
  const comps = gatherRows(x, idx);
  checkGramSums(engine, 'nystroem', o, [comps]);
  const c = engine.tensor(comps.data, [m, x.cols]);
  let kmm: Float32Array;
  try {
    kmm = await engine.gram(c, c, o).readAndDispose();
  } finally {
    c.dispose();
  }
  // An overflowed K_mm made every eigenvalue and every Z NaN.
  checkKernelFinite('nystroem: K_mm', kmm, m, o.kernel);
  const { normalization, eigenvalues } = await nystroemNormalization(kmm, m);
  return newNystroem(o, comps, idx, normalization, eigenvalues);
}

/**
 * scikit-learn's normalization U · diag(1/√max(S, floor)) · Vᵀ of a symmetric m×m matrix
 * (the float32 K_mm, symmetrised in float64 first), with the float32-aware floor
 * (nystroemFloor), and its signed eigenvalues by decreasing |λ|. Computed from the symmetric
 * eigendecomposition K = Q Λ Qᵀ (the SVD of a symmetric matrix is S = |Λ|, U = Q·sign(Λ),
 * V = Q, so the normalization is Q · diag(sign(λ)/√max(|λ|, floor)) · Qᵀ), in 0.4× the
 * time of the general SVD (ml-matrix's; m = 500: 1.4 s against 3.6 s, m = 1000: 11.6 s
 * against 27.4 s on our 2-core build VM).
 */
export async function nystroemNormalization(kmm: ArrayLike<number>, m: number): Promise<{ normalization: Float64Array; eigenvalues: Float64Array }> {
  // ml-matrix (the eigendecomposition) is loaded on first use, from its own chunk of the
  // build: a page that never fits a Nyström map never downloads it.
  const { Matrix: MlMatrix, EigenvalueDecomposition } = await import('ml-matrix');
  const a = new MlMatrix(m, m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) a.set(i, j, 0.5 * (kmm[i * m + j]! + kmm[j * m + i]!));
  }
  const evd = new EigenvalueDecomposition(a, { assumeSymmetric: true });
  const lambda = evd.realEigenvalues;
  const q = evd.eigenvectorMatrix.to2DArray(); // column t: the eigenvector of lambda[t]
  const order = lambda.map((_, t) => t).sort((s, t) => Math.abs(lambda[t]!) - Math.abs(lambda[s]!));
  const eigenvalues = Float64Array.from(order, (t) => lambda[t]!);
  const floor = nystroemFloor(eigenvalues.map(Math.abs));
  const scale = lambda.map((l) => (l < 0 ? -1 : 1) / Math.sqrt(Math.max(Math.abs(l), floor)));
  // Q · diag(scale) · Qᵀ is symmetric: the upper triangle, mirrored.
  const normalization = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const qi = q[i]!;
    for (let j = i; j < m; j++) {
      const qj = q[j]!;
      let s = 0;
      for (let t = 0; t < m; t++) s += qi[t]! * scale[t]! * qj[t]!;
      normalization[i * m + j] = s;
      normalization[j * m + i] = s;
    }
  }
  return { normalization, eigenvalues };
}
