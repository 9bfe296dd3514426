// SVC: a C-support-vector classifier in the style of scikit-learn's sklearn.svm.SVC (which
// is libsvm). Multi-class is one-vs-one as in libsvm: k(k−1)/2 binary problems, one per pair
// of classes (a < b, class a the +1 side), each solved by the SMO solver in smo.ts, and
// prediction by voting (ties go to the lowest class index). Attributes follow
// scikit-learn's names and layouts: supportIndices (grouped by class), supportVectors,
// nSupport, dualCoef [k−1, nSV] (libsvm's sv_coef layout), intercept (−ρ per pair),
// classes. In the binary case dualCoef, intercept and decisionFunction are negated, as
// scikit-learn does, so that a positive decision value means classes[1].

import { checkMatrix, checkMatrixData, type Matrix } from '../../data/matrix.js';
import { checkEngine, type Engine } from '../../engine.js';
import { ShapeError, SigmoidCoreError, ValueError } from '../../errors.js';
import { parseSafetensors } from '../../nn/safetensors.js';
import { describeValue, optionKeys, optionsObject } from '../../validate.js';
import { kernelMatrixF64 } from './kernel-f64.js';
import { engineGramOptions, type KernelParams, MAX_ITER_ADVICE, resolveGamma, resolveSVCOptions, type ResolvedSVCOptions } from './params.js';
import { checkKernelValues, type KernelRowProvider } from './provider.js';
import { EngineRowProvider, SVC_SUMS_REMEDY } from './provider-engine.js';
import { checkGramSums } from '../float32-sums.js';
import { Float64RowProvider } from './provider-f64.js';
import { defaultMaxIter, solveBinary } from './smo.js';
import { decodeSVC, encodeSVC, type SavedSVC } from './svc-file.js';
import type { DecisionValues, SVCFitInfo, SVCOptions } from './types.js';

const LOAD_KEYS = optionKeys<Pick<SVCOptions, 'log'>>()('log');

/** A binary problem stopped at maxIter and the SVC was asked to throw (onMaxIter: 'throw'). */
export class ConvergenceError extends SigmoidCoreError {
  override name = 'ConvergenceError';
}

/** A fitted model: what an SVC file holds but the options, and the engine it predicts on. */
interface Fitted extends Omit<SavedSVC, 'options'> {
  engine: Engine | null;
  /** First support vector of each class in the SV list (running sums of nSupport). */
  svStart: number[];
}

function fittedModel(m: Omit<SavedSVC, 'options'>, engine: Engine | null): Fitted {
  const svStart: number[] = [];
  let start = 0;
  for (const count of m.nSupport) {
    svStart.push(start);
    start += count;
  }
  return {
    engine, kernel: m.kernel, classes: m.classes, nSupport: m.nSupport, supportIndices: m.supportIndices, supportVectors: m.supportVectors,
    coef: m.coef, rho: m.rho, svStart,
  };
}

/**
 * C-support-vector classifier (libsvm's SMO, one-vs-one): `new SVC(options)` checks the
 * options at once, `await svc.fit(engine, X, y)` trains, then predict / decisionFunction /
 * score; attributes as scikit-learn names them.
 */
export class SVC {
  readonly options: Readonly<ResolvedSVCOptions>;
  readonly #onProgress: SVCOptions['onProgress'];
  readonly #log: ((line: string) => void) | null;
  #fitted: Fitted | null = null;
  #info: SVCFitInfo | null = null;
  #fitting = false;

  /** Options are checked here: a bad value throws a ValueError at once. */
  constructor(options: SVCOptions = {}) {
    this.options = Object.freeze(resolveSVCOptions(options));
    this.#onProgress = options.onProgress;
    this.#log = options.log === undefined ? (line: string) => console.warn(line) : options.log;
  }

  /**
   * Trains on X [n, d] and labels y (n finite numbers; the classes are the distinct values,
   * ascending). `engine` runs the kernel rows for provider 'engine' (and later predictions);
   * it may be null for provider 'float64'. Everything is checked before any work starts.
   */
  async fit(engine: Engine | null, x: Matrix, y: ArrayLike<number>): Promise<this> {
    if (this.#fitting) throw new ValueError('SVC.fit: a fit is already running on this SVC (await it first)');
    this.#fitting = true;
    try {
      return await this.#train(engine, x, y);
    } finally {
      this.#fitting = false;
    }
  }

  async #train(engine: Engine | null, x: Matrix, y: ArrayLike<number>): Promise<this> {
    const o = this.options;
    if (o.provider === 'engine' && (engine === null || engine === undefined)) {
      throw new ValueError("SVC.fit: provider 'engine' needs an engine (createEngine()); pass one, or use provider 'float64'");
    }
    if (engine !== null && engine !== undefined) checkEngine('SVC.fit', engine);
    checkX('SVC.fit', x);
    checkLabels('SVC.fit', x, y);
    for (let i = 0; i < y.length; i++) {
      if (typeof y[i] !== 'number' || !Number.isFinite(y[i]!)) throw new ValueError(`SVC.fit: label ${i} is ${describeValue(y[i])}, not a finite number`);
    }
    const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
    if (classes.length < 2) {
      throw new ValueError(`SVC.fit: the labels have only one class (${classes[0]}); a classifier needs at least 2 classes`);
    }
    const classOf = new Map(classes.map((c, k) => [c, k]));
    const yIdx = Int32Array.from(y, (v) => classOf.get(v)!);
    const kernel: KernelParams = { kernel: o.kernel, gamma: resolveGamma(o.gamma, x), coef0: o.coef0, degree: o.degree };
    const t0 = performance.now();

    const cacheBytes = o.cacheSize * 1024 * 1024;
    const provider: KernelRowProvider = o.provider === 'engine'
      ? new EngineRowProvider(engine!, x, kernel, { cacheBytes, batchRows: o.batchRows })
      : new Float64RowProvider(x, kernel, cacheBytes);
    const k = classes.length;
    const members: number[][] = classes.map(() => []);
    yIdx.forEach((c, i) => members[c]!.push(i));
    const pairs = (k * (k - 1)) / 2;
    const alphaOf: Float64Array[] = []; // per pair, α of [members a..., members b...]
    const rho = new Float64Array(pairs);
    const pairIterations: number[] = [];
    let converged = true;
    try {
      for (const [p, [a, b]] of classPairs(k).entries()) {
        const ma = members[a]!;
        const mb = members[b]!;
        const index = Int32Array.from([...ma, ...mb]);
        const ys = new Int8Array(index.length);
        ys.fill(1, 0, ma.length);
        ys.fill(-1, ma.length);
        const maxIter = o.maxIter ?? defaultMaxIter(index.length);
        const sol = await solveBinary(provider, { index, y: ys, C: o.C }, { tol: o.tol, maxIter, shrinking: o.shrinking });
        if (!sol.converged) {
          converged = false;
          const msg =
            `SVC: the binary problem ${classes[a]} vs ${classes[b]} stopped at maxIter = ${maxIter} iterations before the ` +
            `KKT violation fell below tol = ${o.tol}; the model may be inaccurate (${MAX_ITER_ADVICE})`;
          if (o.onMaxIter === 'throw') throw new ConvergenceError(msg);
          this.#log?.(msg);
        }
        alphaOf.push(sol.alpha);
        rho[p] = sol.rho;
        pairIterations.push(sol.iterations);
        let nsv = 0;
        for (const v of sol.alpha) if (v > 0) nsv++;
        this.#onProgress?.({
          pair: p + 1, pairs, classes: [classes[a]!, classes[b]!], size: index.length, iterations: sol.iterations,
          supportVectors: nsv, converged: sol.converged, elapsed: (performance.now() - t0) / 1000,
        });
      }
    } finally {
      provider.dispose();
    }

    // ---- support vectors: points with α > 0 in any of their problems, grouped by class ----
    const nonzero = new Uint8Array(x.rows);
    for (const [p, [a, b]] of classPairs(k).entries()) {
      const ma = members[a]!;
      const mb = members[b]!;
      const al = alphaOf[p]!;
      for (let t = 0; t < ma.length; t++) if (al[t]! > 0) nonzero[ma[t]!] = 1;
      for (let t = 0; t < mb.length; t++) if (al[ma.length + t]! > 0) nonzero[mb[t]!] = 1;
    }
    const sv: number[] = [];
    const nSupport: number[] = [];
    const posOf = new Int32Array(x.rows).fill(-1);
    for (let c = 0; c < k; c++) {
      let count = 0;
      for (const i of members[c]!) {
        if (nonzero[i]) {
          posOf[i] = sv.length;
          sv.push(i);
          count++;
        }
      }
      nSupport.push(count);
    }
    const nSV = sv.length;
    const coef = new Float64Array((k - 1) * nSV);
    for (const [p, [a, b]] of classPairs(k).entries()) {
      const ma = members[a]!;
      const mb = members[b]!;
      const al = alphaOf[p]!;
      // libsvm: class a's coefficients of pair (a, b) in row b − 1, class b's in row a.
      for (let t = 0; t < ma.length; t++) if (posOf[ma[t]!]! >= 0) coef[(b - 1) * nSV + posOf[ma[t]!]!] = al[t]!;
      for (let t = 0; t < mb.length; t++) if (posOf[mb[t]!]! >= 0) coef[a * nSV + posOf[mb[t]!]!] = -al[ma.length + t]!;
    }
    const d = x.cols;
    const svData = new Float32Array(nSV * d);
    sv.forEach((i, r) => svData.set(x.data.subarray(i * d, (i + 1) * d), r * d));
    this.#fitted = fittedModel(
      { kernel, classes, nSupport, supportIndices: Int32Array.from(sv), supportVectors: { rows: nSV, cols: d, data: svData }, coef, rho }, engine,
    );
    const st = provider.stats;
    this.#info = {
      seconds: (performance.now() - t0) / 1000,
      iterations: pairIterations.reduce((s, v) => s + v, 0),
      pairIterations,
      converged,
      provider: o.provider,
      backend: o.provider === 'engine' ? engine!.backend : 'float64',
      rowsComputed: st.rowsComputed,
      batches: st.batches,
      cacheHits: st.cacheHits,
      gamma: kernel.gamma,
    };
    return this;
  }

  /**
   * The fitted model as safetensors bytes (svc-file.ts): options, kernel, support vectors and
   * coefficients (float64, exactly). SVC.load(bytes, engine) gives a model that predicts the same.
   */
  save(): Uint8Array {
    return encodeSVC({ ...this.#fit, options: { ...this.options } });
  }

  /**
   * A fitted SVC from the bytes of svc.save(), predicting on `engine` (provider 'engine'; with
   * null, or provider 'float64', in float64 on the host). The file is checked field by field
   * (a ValueError names the bad one). fitInfo is not saved: it describes a fit in this process.
   */
  static load(bytes: Uint8Array, engine: Engine | null, options?: Pick<SVCOptions, 'log'>): SVC {
    optionsObject('SVC.load', options, LOAD_KEYS, undefined, ['log']); // before the file is read
    return SVC.fromSaved(decodeSVC(parseSafetensors(bytes)), engine, options);
  }

  /** SVC.load of a file already decoded (decodeSVC of a parsed file: checked, and read once). */
  static fromSaved(m: SavedSVC, engine: Engine | null, options?: Pick<SVCOptions, 'log'>): SVC {
    const o = optionsObject('SVC.load', options, LOAD_KEYS, undefined, ['log']);
    if (typeof m !== 'object' || m === null || typeof m.options !== 'object' || m.options === null) {
      throw new ValueError(`SVC.fromSaved: expected a decoded SVC file (decodeSVC), got ${describeValue(m)}`);
    }
    if (engine !== null && engine !== undefined) checkEngine('SVC.load', engine);
    const svc = new SVC({ ...m.options, maxIter: m.options.maxIter ?? undefined, log: o.log });
    svc.#fitted = fittedModel(m, engine ?? null);
    return svc;
  }

  /**
   * Decision values, scikit-learn's decision_function_shape='ovo': [m, k(k−1)/2] with the
   * pairs in order (0,1), (0,2), ..., (k−2, k−1) and a positive value meaning the pair's
   * first class; for 2 classes [m, 1] with a positive value meaning classes[1].
   */
  async decisionFunction(x: Matrix): Promise<DecisionValues> {
    // The fit the values come from: a refit finishing meanwhile must not decide their sign.
    const f = this.#fit;
    checkX('SVC.decisionFunction', x);
    const raw = await this.#rawDecision(f, x, 'decisionFunction');
    if (f.classes.length === 2) for (let i = 0; i < raw.data.length; i++) raw.data[i] = -raw.data[i]!;
    return raw;
  }

  /** Predicted class values (one-vs-one voting, ties to the lowest class index). */
  async predict(x: Matrix): Promise<number[]> {
    const f = this.#fit;
    checkX('SVC.predict', x);
    return this.#predict(f, x, 'predict');
  }

  /** predict() by fit `f` of a checked x, for the public call `op` (score's errors name score, not predict). */
  async #predict(f: Fitted, x: Matrix, op: 'predict' | 'score'): Promise<number[]> {
    const raw = await this.#rawDecision(f, x, op);
    const k = f.classes.length;
    const out: number[] = new Array(raw.rows);
    const votes = new Int32Array(k);
    const pairs = classPairs(k);
    for (let r = 0; r < raw.rows; r++) {
      votes.fill(0);
      pairs.forEach(([a, b], p) => {
        if (raw.data[r * raw.cols + p]! > 0) votes[a]!++;
        else votes[b]!++;
      });
      let best = 0;
      for (let c = 1; c < k; c++) if (votes[c]! > votes[best]!) best = c;
      out[r] = f.classes[best]!;
    }
    return out;
  }

  /** Share of rows of x whose prediction equals y. */
  async score(x: Matrix, y: ArrayLike<number>): Promise<number> {
    checkX('SVC.score', x);
    checkLabels('SVC.score', x, y);
    const p = await this.#predict(this.#fit, x, 'score');
    let ok = 0;
    for (let i = 0; i < p.length; i++) if (p[i] === y[i]) ok++;
    return ok / p.length;
  }

  /** libsvm's decision values of fit `f` for a checked x (positive: the pair's first class), [m, pairs]. */
  async #rawDecision(f: Fitted, x: Matrix, op: string): Promise<DecisionValues> {
    if (x.cols !== f.supportVectors.cols) {
      throw new ShapeError(`SVC.${op}: X has ${x.cols} features but the model was trained on ${f.supportVectors.cols}`);
    }
    const K = await this.#kernel(f, x, op);
    const k = f.classes.length;
    const nSV = f.supportVectors.rows;
    const pairList = classPairs(k);
    const pairs = pairList.length;
    const out = new Float64Array(x.rows * pairs);
    for (let r = 0; r < x.rows; r++) {
      const kr = r * nSV;
      pairList.forEach(([a, b], p) => {
        let s = 0;
        const ca = (b - 1) * nSV;
        for (let t = f.svStart[a]!, e = t + f.nSupport[a]!; t < e; t++) s += f.coef[ca + t]! * K[kr + t]!;
        const cb = a * nSV;
        for (let t = f.svStart[b]!, e = t + f.nSupport[b]!; t < e; t++) s += f.coef[cb + t]! * K[kr + t]!;
        out[r * pairs + p] = s - f.rho[p]!;
      });
    }
    return { rows: x.rows, cols: pairs, data: out };
  }

  /**
   * K(x, supportVectors) [m, nSV]: engine.gram in row tiles, or float64 on the host; values
   * beyond the rows' precision (new data far larger than the training data) are a ValueError
   * naming the entry, not NaN decisions that vote every row into one class.
   */
  async #kernel(f: Fitted, x: Matrix, op: string): Promise<Float32Array | Float64Array> {
    const sv = f.supportVectors;
    if (sv.rows === 0) return new Float64Array(0);
    const at = (k: number): [number, number] => [Math.floor(k / sv.rows), k % sv.rows];
    if (this.options.provider === 'float64' || f.engine === null) {
      const k64 = kernelMatrixF64(f.kernel, x, sv);
      checkKernelValues(k64, at, f.kernel, 'float64');
      return k64;
    }
    const e = f.engine;
    checkGramSums(e, `SVC.${op}`, f.kernel, [x, sv], SVC_SUMS_REMEDY);
    const out = new Float32Array(x.rows * sv.rows);
    const tile = Math.max(1, Math.min(x.rows, 4096, Math.floor(e.limits.maxStorageBufferBindingSize / (4 * sv.rows))));
    const s = e.tensor(sv.data, [sv.rows, sv.cols]);
    const gram = engineGramOptions(f.kernel);
    try {
      for (let r0 = 0; r0 < x.rows; r0 += tile) {
        const rows = Math.min(tile, x.rows - r0);
        const xt = e.tensor(x.data.subarray(r0 * x.cols, (r0 + rows) * x.cols), [rows, x.cols]);
        try {
          const kt = e.gram(xt, s, gram);
          try {
            out.set(await kt.read(), r0 * sv.rows);
          } finally {
            kt.dispose();
          }
        } finally {
          xt.dispose();
        }
      }
    } finally {
      s.dispose();
    }
    checkKernelValues(out, at, f.kernel, 'float32');
    return out;
  }

  get #fit(): Fitted {
    if (this.#fitted === null) throw new ValueError('this SVC is not fitted yet: call await svc.fit(engine, X, y) first');
    return this.#fitted;
  }

  /** The class values, ascending (class k is classes[k]). */
  get classes(): number[] {
    return this.#fit.classes.slice();
  }

  /** Indices (rows of the training X) of the support vectors, grouped by class. */
  get supportIndices(): Int32Array {
    return this.#fit.supportIndices.slice();
  }

  /** The support vectors [nSV, d], in the order of supportIndices. */
  get supportVectors(): Matrix {
    const sv = this.#fit.supportVectors;
    return { rows: sv.rows, cols: sv.cols, data: sv.data.slice() };
  }

  /** Number of support vectors of each class. */
  get nSupport(): number[] {
    return this.#fit.nSupport.slice();
  }

  /**
   * αᵢyᵢ of the support vectors, [k−1, nSV] in libsvm's layout (scikit-learn's dual_coef_);
   * negated for 2 classes, as scikit-learn.
   */
  get dualCoef(): DecisionValues {
    const f = this.#fit;
    const data = f.coef.slice();
    if (f.classes.length === 2) for (let i = 0; i < data.length; i++) data[i] = -data[i]! + 0;
    return { rows: f.classes.length - 1, cols: f.supportVectors.rows, data };
  }

  /** −ρ of each pair (scikit-learn's intercept_); negated for 2 classes, as scikit-learn. */
  get intercept(): Float64Array {
    const f = this.#fit;
    return Float64Array.from(f.rho, (r) => (f.classes.length === 2 ? r : -r));
  }

  /** The kernel with γ resolved. */
  get kernelParams(): Readonly<KernelParams> {
    return { ...this.#fit.kernel };
  }

  /** What the last fit measured. */
  get fitInfo(): SVCFitInfo {
    if (this.#info === null) {
      throw new ValueError(this.#fitted === null
        ? 'this SVC is not fitted yet: call await svc.fit(engine, X, y) first'
        : 'this SVC was loaded from a file (SVC.load): fitInfo describes a fit made in this process, and none was');
    }
    return { ...this.#info, pairIterations: this.#info.pairIterations.slice() };
  }

  get fitted(): boolean {
    return this.#fitted !== null;
  }
}

function checkX(op: string, x: Matrix): void {
  checkMatrixData(`${op}: X`, x);
  try {
    checkMatrix(op, x);
  } catch (err) {
    throw new ShapeError((err as Error).message);
  }
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i]!)) {
      throw new ValueError(`${op}: X has a non-finite value (${x.data[i]}) at row ${Math.floor(i / x.cols)}, column ${i % x.cols} (0-based)`);
    }
  }
}

/** y is array-like with one label per row of x (score(X, null) was a TypeError reading null's length). */
function checkLabels(op: string, x: Matrix, y: ArrayLike<number>): void {
  if (y === null || y === undefined || typeof y.length !== 'number') throw new ValueError(`${op}: y must be an array of labels`);
  if (y.length !== x.rows) throw new ShapeError(`${op}: X has ${x.rows} rows but y has ${y.length} labels`);
}

/** The one-vs-one problems in libsvm's order: pair p is (a, b), a < b, a outer. */
function classPairs(k: number): [a: number, b: number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) out.push([a, b]);
  return out;
}
