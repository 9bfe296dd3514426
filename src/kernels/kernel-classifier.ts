// The article's kernel classifier: features φ(x) = K(x, L) — by default the sigmoid kernel
// tanh(γ⟨x, l⟩ + c₀) — against m landmark rows L sampled (seeded, without replacement) from
// the training data, optionally standardised (statistics of the training features), then a
// Sequential model trained with the nn fit loop: one dense layer (or dense → sigmoid →
// dense with `hidden` units) ending in a sigmoid output with binary cross-entropy for two
// classes, softmax cross-entropy for more; Adam, batches of 32, 10 epochs by default.
// The features are computed on the engine (engine.gram, then one fused engine.linear for
// the standardisation) and stay there for training. After a device loss and engine.recover()
// a fitted classifier restores its model from the host copy its fit left (Sequential.recover)
// and uploads its scaler and landmarks again from the host, on its next call.

import { checkEngine, type Engine } from '../engine.js';
import { DisposedError, GPUOpError, ValueError } from '../errors.js';
import { resolveGramOptions, type ResolvedGramOptions, SYMMETRIC_GRAM_KEY_NAMES } from '../gram-options.js';
import type { Matrix } from '../data/matrix.js';
import { classIndices, labelsFromColumn } from '../data/labels.js';
import { fitStandardizer } from '../data/standardize.js';
import { adam } from '../nn/optimizers.js';
import { dense, sigmoid } from '../nn/layers.js';
import { sequential, type Sequential } from '../nn/sequential.js';
import type { EpochLogs, EvaluateResult, History, LayerSpec } from '../nn/types.js';
import type { Tensor } from '../tensor.js';
import type { SymmetricGramKernel, SymmetricGramOptions } from '../types.js';
import { checkPositive, checkSeed, describeValue, optionalBoolean, optionKeys, optionsObject } from '../validate.js';
import {
  blockRows, checkInputMatrix, checkKernelFinite, checkSymmetricKernel, checkWidth, gatherRows, mapRowBlocks, sampleRowIndices,
} from './landmarks.js';
import { checkGramSums } from './float32-sums.js';

export interface KernelClassifierOptions extends SymmetricGramOptions {
  /** Number of landmark rows m sampled from the training data (≤ N); default 100. */
  landmarks?: number;
  /** Units of a sigmoid hidden layer; 0 (default) = a single dense layer on the features. */
  hidden?: number;
  /**
   * Standardise the kernel features with the training statistics; default true. A feature that
   * varies only by float32 rounding of its mean, or only below float32's normals, is centred, not scaled.
   */
  standardize?: boolean;
  /** Default 10. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam's learning rate; default 0.001. */
  lr?: number;
  /** Seed of the landmark sampling, the initial weights and the shuffles; default 0. */
  seed?: number;
}

export interface KernelFitOptions {
  /** Held-out rows and labels, evaluated after every epoch (logs.valLoss, logs.valAccuracy). */
  validationData?: readonly [Matrix, ArrayLike<number>];
  /** After each epoch; return false to stop. */
  onEpochEnd?: (logs: EpochLogs) => void | boolean | Promise<void | boolean>;
}

/** Relative spread (std / |mean|) of a kernel feature below which it is float32 rounding noise: about 4 ulps. */
const ROUNDING_SPREAD = 2 ** -21;

const CLASSIFIER_KEYS = optionKeys<KernelClassifierOptions>()(
  ...SYMMETRIC_GRAM_KEY_NAMES, 'landmarks', 'hidden', 'standardize', 'epochs', 'batchSize', 'lr', 'seed',
);
const FIT_KEYS = optionKeys<KernelFitOptions>()('validationData', 'onEpochEnd');

interface Scaler {
  w: Tensor;
  b: Tensor;
  scale: Float32Array;
  shift: Float32Array;
}

interface Fitted {
  engine: Engine;
  gram: ResolvedGramOptions<SymmetricGramKernel>;
  landmarkRows: Matrix;
  landmarkIndices: number[];
  landmarks: Tensor;
  /** diag(1/std) [m, m] and −mean/std [m] on the engine, 1/std and −mean/std on the host; null without standardisation. */
  scaler: Scaler | null;
  classes: number[];
  model: Sequential;
  /** Calls (transform, predict, evaluate) under way on this fit: a refit frees it after them. */
  users: number;
}

/**
 * The article's classifier: kernel features against sampled landmark rows, then a small
 * Sequential model. `new KernelClassifier(options)`, `await clf.fit(engine, X, y)`, then
 * predict / predictProba / evaluate / transform; dispose() frees its engine tensors.
 */
export class KernelClassifier {
  readonly landmarks: number;
  readonly hidden: number;
  readonly standardize: boolean;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  readonly kernel: SymmetricGramKernel;
  readonly #gramOptions: SymmetricGramOptions;
  #fitted: Fitted | null = null;
  #disposed = false;
  #fitting = false;
  /** The model a running fit trains (dispose() frees it, which stops that fit). */
  #training: Sequential | null = null;

  constructor(opts: KernelClassifierOptions = {}) {
    opts = optionsObject('KernelClassifier', opts, CLASSIFIER_KEYS);
    this.landmarks = intOption('landmarks', opts.landmarks ?? 100, 1);
    this.hidden = intOption('hidden', opts.hidden ?? 0, 0);
    this.epochs = intOption('epochs', opts.epochs ?? 10, 1);
    this.batchSize = intOption('batchSize', opts.batchSize ?? 32, 1);
    this.lr = opts.lr ?? 0.001;
    checkPositive('lr', this.lr);
    this.seed = opts.seed ?? 0;
    checkSeed(this.seed);
    this.standardize = optionalBoolean('standardize', opts.standardize, true);
    checkSymmetricKernel('KernelClassifier', opts.kernel);
    this.#gramOptions = { kernel: opts.kernel, gamma: opts.gamma, coef0: opts.coef0, degree: opts.degree };
    this.kernel = resolveGramOptions(this.#gramOptions, 1).kernel; // validates kernel, γ, c₀, degree now
  }

  /** The class label values (ascending), once fitted (a copy: predict labels its outputs with the fit's own). */
  get classes(): number[] {
    return this.#ready('classes').classes.slice();
  }

  /** The resolved kernel options (γ = 1/d by default), once fitted. */
  get gramOptions(): ResolvedGramOptions<SymmetricGramKernel> {
    return { ...this.#ready('gramOptions').gram };
  }

  /** The landmark rows and their indices in the training data, once fitted (copies). */
  get landmarkRows(): { rows: Matrix; indices: readonly number[] } {
    const f = this.#ready('landmarkRows');
    const r = f.landmarkRows; // copies: the fit uploads these rows again after a device loss
    return { rows: { rows: r.rows, cols: r.cols, data: r.data.slice() }, indices: f.landmarkIndices.slice() };
  }

  /** The trained Sequential model (owned by the classifier), once fitted. */
  get model(): Sequential {
    return this.#ready('model').model;
  }

  get fitted(): boolean {
    return this.#fitted !== null;
  }

  /**
   * Samples the landmarks, computes the training features on `engine` and trains the model,
   * replacing any earlier fit once it succeeds (a fit that fails keeps the earlier one; calls
   * still running on the earlier fit finish on it). `y` holds integer class labels (≥ 2 distinct values).
   */
  async fit(engine: Engine, x: Matrix, y: ArrayLike<number>, options?: KernelFitOptions): Promise<History> {
    this.#alive();
    checkEngine('KernelClassifier.fit', engine);
    const opts = optionsObject('KernelClassifier.fit', options, FIT_KEYS);
    if (this.#fitting) throw new ValueError('KernelClassifier.fit: a fit is already running (await it first)');
    this.#fitting = true;
    try {
      return await this.#fit(engine, x, y, opts);
    } catch (err) {
      if (this.#disposed) throw new DisposedError('KernelClassifier.fit: the classifier was disposed while it was training');
      throw err;
    } finally {
      this.#fitting = false;
      this.#training = null;
    }
  }

  async #fit(engine: Engine, x: Matrix, y: ArrayLike<number>, opts: KernelFitOptions): Promise<History> {
    checkInputMatrix('fit: X', x);
    const labels = checkLabels('fit: y', y, x.rows);
    const parsed = labelsFromColumn(labels, { task: 'classification', name: 'fit: y' });
    if (parsed.task !== 'classification') throw new ValueError('fit: y must hold class labels');
    const classes = parsed.classes;
    let validation: [Matrix, Int32Array] | null = null;
    if (opts.validationData !== undefined) {
      if (!Array.isArray(opts.validationData) || opts.validationData.length !== 2) throw new ValueError('validationData must be a pair [X, y]');
      const [vx, vy] = opts.validationData;
      checkInputMatrix('validationData X', vx);
      checkWidth('validationData X', vx, x.cols, 'the training data');
      validation = [vx, classIndices(checkLabels('validationData y', vy, vx.rows), classes, 'validationData y')];
    }
    const gram = resolveGramOptions(this.#gramOptions, x.cols);
    const idx = sampleRowIndices(x.rows, this.landmarks, this.seed, 'landmarks');
    const landmarkRows = gatherRows(x, idx);
    checkGramSums(engine, 'KernelClassifier.fit', gram, validation === null ? [x] : [x, validation[0]]);
    const binary = classes.length === 2;

    const made: Tensor[] = [];
    let model: Sequential | null = null;
    try {
      const landmarks = engine.tensor(landmarkRows.data, [this.landmarks, x.cols]);
      made.push(landmarks);
      const partial: Fitted = { engine, gram, landmarkRows, landmarkIndices: idx, landmarks, scaler: null, classes, model: null as never, users: 0 };
      const raw = await this.#features(partial, x);
      let feats = raw;
      made.push(raw);
      // Read here (the statistics need them anyway): features that overflowed float32 are
      // named as such, not as a NaN in the model's x, which the user never passed.
      const rawHost = await raw.read();
      checkKernelFinite('KernelClassifier.fit: the kernel features K(X, landmarks)', rawHost, this.landmarks, gram.kernel);
      if (this.standardize) {
        // Centred like a constant feature, not scaled: one whose spread is within a few float32
        // roundings of its mean, which is the kernel's rounding noise and differs by backend (rbf
        // with γ = 1e-12: the CPU's K is 1, WebGPU's exp gives 1 − 2⁻²⁴), so scaling it up made
        // the two backends' models disagree; and one that varies only below float32's normals
        // (≈ 1e-40: the linear or sigmoid kernel on X ≈ 1e-20), whose 1/std overflowed into ±Inf
        // features that the model's fit blamed on an 'x' never passed.
        const stats = fitStandardizer({ rows: x.rows, cols: this.landmarks, data: rawHost }, ROUNDING_SPREAD);
        const std = stats.std.map((s) => (Math.fround(1 / s) === Infinity ? 1 : s));
        const scale = Float32Array.from(std, (s) => 1 / s);
        const shift = Float32Array.from(stats.mean, (mu, j) => -mu / std[j]!);
        partial.scaler = { ...scalerTensors(engine, scale, shift), scale, shift };
        made.push(partial.scaler.w, partial.scaler.b);
        feats = engine.linear(raw, partial.scaler.w, partial.scaler.b);
        made.push(feats);
      }
      const layers: LayerSpec[] = this.hidden > 0
        ? [dense(this.landmarks, this.hidden), sigmoid(), dense(this.hidden, binary ? 1 : classes.length)]
        : [dense(this.landmarks, binary ? 1 : classes.length)];
      if (binary) layers.push(sigmoid());
      this.#alive(); // disposed while the features were computed
      model = this.#training = sequential(engine, layers, { seed: this.seed });
      model.compile({ loss: binary ? 'binaryCrossEntropy' : 'softmaxCrossEntropy', optimizer: adam({ lr: this.lr }), metrics: ['accuracy'] });
      partial.model = model;
      const targets = binary ? Float32Array.from(parsed.indices) : parsed.indices;
      // The validation features go to the model as the host copy read for their check (given
      // the tensor, fit would read it back again).
      let vX: Matrix | null = null;
      if (validation !== null) {
        const vFeats = await this.#features(partial, validation[0]);
        try {
          vX = { rows: validation[0].rows, cols: this.landmarks, data: await vFeats.read() };
        } finally {
          vFeats.dispose();
        }
        checkKernelFinite('KernelClassifier.fit: the kernel features K(validationData X, landmarks)', vX.data, this.landmarks, gram.kernel);
      }
      const history = await model.fit(feats, targets, {
        epochs: this.epochs, batchSize: this.batchSize, seed: this.seed,
        ...(vX !== null ? { validationData: [vX, binary ? Float32Array.from(validation![1]) : validation![1]] } : {}),
        ...(opts.onEpochEnd !== undefined ? { onEpochEnd: opts.onEpochEnd } : {}),
      });
      this.#alive(); // dispose() during the fit: the catch below frees what it made
      // Keep only what prediction needs.
      if (feats !== raw) feats.dispose();
      raw.dispose();
      this.#release(false);
      this.#fitted = partial;
      return history;
    } catch (err) {
      model?.dispose();
      for (const t of made) if (!t.disposed) t.dispose();
      throw err;
    }
  }

  /** The (standardised) kernel features K(X, L) of X, [N, m], read back to the host. */
  async transform(x: Matrix): Promise<Matrix> {
    return this.#use('transform', async (f) => {
      const t = await this.#newFeatures(f, x, 'transform');
      try {
        return { rows: x.rows, cols: this.landmarks, data: await this.#finiteFeatures(f, t, 'transform') };
      } finally {
        t.dispose();
      }
    });
  }

  /** Class probabilities [N, classes] (columns in `classes` order; binary: [1 − p, p]). */
  async predictProba(x: Matrix): Promise<Matrix> {
    return this.#use('predictProba', (f) => this.#predictProba(f, x, 'predictProba'));
  }

  /** The predicted class label of each row (the most probable class). */
  async predict(x: Matrix): Promise<number[]> {
    return this.#use('predict', async (f) => {
      const p = await this.#predictProba(f, x, 'predict');
      const out: number[] = [];
      for (let i = 0; i < p.rows; i++) {
        let best = 0;
        for (let k = 1; k < p.cols; k++) if (p.data[i * p.cols + k]! > p.data[i * p.cols + best]!) best = k;
        out.push(f.classes[best]!);
      }
      return out;
    });
  }

  /** Mean loss and accuracy on labelled data. */
  async evaluate(x: Matrix, y: ArrayLike<number>): Promise<EvaluateResult> {
    return this.#use('evaluate', async (f) => {
      const idx = classIndices(checkLabels('evaluate: y', y, x.rows), f.classes, 'evaluate: y');
      const t = await this.#newFeatures(f, x, 'evaluate');
      let data: Float32Array;
      try {
        // Checked here: evaluate's own check would blame an 'x' the caller never passed. The
        // model gets the host copy read for it (given the tensor, it would read it back again).
        data = await this.#finiteFeatures(f, t, 'evaluate');
      } finally {
        t.dispose();
      }
      return f.model.evaluate({ rows: x.rows, cols: this.landmarks, data }, f.classes.length === 2 ? Float32Array.from(idx) : idx);
    });
  }

  /** `op` names the public call in error messages. */
  async #predictProba(f: Fitted, x: Matrix, op: 'predict' | 'predictProba'): Promise<Matrix> {
    const t = await this.#newFeatures(f, x, op);
    let p: Float32Array;
    try {
      p = await (await f.model.predictProba(t)).readAndDispose();
      // Only non-finite probabilities make the features worth reading back (to name the overflow).
      if (!p.every(Number.isFinite)) await this.#finiteFeatures(f, t, op);
    } finally {
      t.dispose();
    }
    if (f.classes.length > 2) return { rows: x.rows, cols: f.classes.length, data: p };
    const data = new Float32Array(2 * x.rows);
    for (let i = 0; i < x.rows; i++) {
      data[2 * i] = 1 - p[i]!;
      data[2 * i + 1] = p[i]!;
    }
    return { rows: x.rows, cols: 2, data };
  }

  /**
   * Runs `body` on the current fit, which a refit finishing meanwhile frees only after `body`
   * (so a call never mixes two fits, nor fails because a newer one replaced its own).
   */
  async #use<T>(what: string, body: (f: Fitted) => Promise<T>): Promise<T> {
    const f = this.#ready(what);
    f.users++;
    try {
      await this.#restore(f, what);
      return await body(f);
    } catch (err) {
      // dispose() freed the fit's tensors under the call (it yields between row blocks).
      if (this.#disposed) throw new DisposedError(`KernelClassifier.${what}: the classifier was disposed while it ran`);
      throw err;
    } finally {
      f.users--;
      if (this.#fitted !== f && f.users === 0) freeFitted(f); // replaced (or disposed) meanwhile
    }
  }

  /**
   * After a device loss and engine.recover() (the fit's tensors are dead): restores the model
   * from the host copy its fit left, then uploads the scaler and, last, the landmark rows
   * again from the host, so current landmarks mean the whole fit is restored (a restore that
   * fails part way is tried again, from the model on, by the next call). A model with no host
   * copy (trained on through `model.trainStep`, or loaded) cannot be restored: every call then
   * says to fit the classifier again. A lost engine is left alone: the call's first op says
   * to recover it.
   */
  async #restore(f: Fitted, what: string): Promise<void> {
    const e = f.engine;
    if (e.lost || e.isCurrent(f.landmarks)) return;
    try {
      await f.model.recover();
    } catch (err) {
      if (!(err instanceof GPUOpError) || err.kind !== 'device-lost' || e.lost) throw err;
      throw new GPUOpError(
        `KernelClassifier.${what}`, 'device-lost',
        "the classifier's model cannot be restored after the device loss: it has no host copy of its weights " +
          '(it was trained on through clf.model.trainStep, or loaded, since the fit); fit the classifier again',
      );
    }
    // Another call restored the rest while this one awaited the model.
    if (e.lost || e.isCurrent(f.landmarks)) return;
    if (f.scaler !== null) {
      f.scaler.w.dispose();
      f.scaler.b.dispose();
      Object.assign(f.scaler, scalerTensors(e, f.scaler.scale, f.scaler.shift));
    }
    f.landmarks.dispose();
    f.landmarks = e.tensor(f.landmarkRows.data, [this.landmarks, f.landmarkRows.cols]);
  }

  /** Frees the model and the engine tensors. Idempotent. */
  dispose(): void {
    this.#release(true);
    this.#training?.dispose();
    this.#disposed = true;
  }

  /** Drops the current fit: at once when `now` (dispose), else after the calls using it. */
  #release(now: boolean): void {
    const f = this.#fitted;
    this.#fitted = null;
    if (f === null) return;
    if (now || f.users === 0) freeFitted(f);
  }

  /** The features of new data `x` for `op` (X and its float32 Gram sums checked first); the caller disposes them. */
  async #newFeatures(f: Fitted, x: Matrix, op: string): Promise<Tensor> {
    checkInputMatrix(`${op}: X`, x);
    checkWidth(`${op}: X`, x, f.landmarkRows.cols, 'the classifier');
    checkGramSums(f.engine, `KernelClassifier.${op}`, f.gram, [x, f.landmarkRows]);
    return this.#features(f, x);
  }

  /**
   * The features read back, or a ValueError naming the first non-finite one (a kernel that
   * overflowed gave NaN probabilities and predictions decided by NaN comparisons).
   */
  async #finiteFeatures(f: Fitted, t: Tensor, op: string): Promise<Float32Array> {
    const host = await t.read();
    checkKernelFinite(`KernelClassifier.${op}: the kernel features K(X, landmarks)`, host, this.landmarks, f.gram.kernel);
    return host;
  }

  /** K(X, L) (standardised when fitted so) as an engine tensor; row blocks when X is large. */
  async #features(f: Fitted, x: Matrix): Promise<Tensor> {
    const e = f.engine;
    const step = (xb: Tensor): Tensor => {
      const k = e.gram(xb, f.landmarks, f.gram);
      if (f.scaler === null) return k;
      try {
        return e.linear(k, f.scaler.w, f.scaler.b);
      } finally {
        k.dispose();
      }
    };
    const rows = blockRows(e, x.rows, x.cols, this.landmarks);
    if (rows >= x.rows) {
      const xt = e.tensor(x.data, [x.rows, x.cols]);
      try {
        return step(xt);
      } finally {
        xt.dispose();
      }
    }
    const host = await mapRowBlocks(e, x, this.landmarks, rows, step);
    return e.tensor(host.data, [x.rows, this.landmarks]);
  }

  #alive(): void {
    if (this.#disposed) throw new DisposedError('KernelClassifier was used after dispose()');
  }

  #ready(what: string): Fitted {
    this.#alive();
    if (this.#fitted === null) throw new ValueError(`KernelClassifier.${what}: call fit(engine, X, y) first`);
    return this.#fitted;
  }
}

/** Idempotent (every dispose is): a call that outlives dispose() may run it again. */
function freeFitted(f: Fitted): void {
  f.model.dispose();
  f.landmarks.dispose();
  f.scaler?.w.dispose();
  f.scaler?.b.dispose();
}

/** The standardisation as one engine.linear: weights diag(scale) [m, m], bias shift [m]. */
function scalerTensors(engine: Engine, scale: Float32Array, shift: Float32Array): { w: Tensor; b: Tensor } {
  const m = scale.length;
  const w = new Float32Array(m * m);
  for (let j = 0; j < m; j++) w[j * m + j] = scale[j]!;
  const wt = engine.tensor(w, [m, m]);
  try {
    return { w: wt, b: engine.tensor(shift, [m]) };
  } catch (err) {
    wt.dispose();
    throw err;
  }
}

function intOption(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ValueError(`${name} must be an integer ≥ ${min}, got ${describeValue(v)}`);
  return v;
}

function checkLabels(name: string, y: ArrayLike<number>, rows: number): ArrayLike<number> {
  if (typeof y !== 'object' || y === null || typeof y.length !== 'number') throw new ValueError(`${name} must be an array of class labels`);
  if (y.length !== rows) throw new ValueError(`${name} has ${y.length} labels but X has ${rows} rows`);
  return y;
}
