// Sequential: a stack of layers on one engine. sequential(engine, layers, { seed }) checks
// the widths, makes the initial parameters on the host (seeded: the same on every backend)
// and uploads them once; compile() picks loss, optimizer and metrics; fit/evaluate/predict
// run on the engine; save()/load() write and read safetensors.

import { checkEngine, checkRecoverOptions, type Engine, LOSS_KINDS, type RecoverOptions } from '../engine.js';
import { DisposedError, GPUOpError, ShapeError, ValueError } from '../errors.js';
import { CPU_WORK_PER_YIELD } from '../next-task.js';
import { Tensor } from '../tensor.js';
import type { BackendKind, LossKind } from '../types.js';
import { checkFiniteEntries, checkPositive, checkPositiveInt, checkSeed, checkTensorBytes, fmtShape, optionKeys, optionsObject } from '../validate.js';
import {
  allowNonFiniteOption, checkFiniteMatrix, checkRowCount, HostRows, inputShape, type Prepared, type RowSource, rowSource, rowsPerTensor, toHostMatrix, toHostTargets,
} from './data.js';
import { type AccuracyKind, batchStep, type DeviceData, evaluateLoop, fitLoop, inferenceBatches, resolveFitOptions, type ShuffleStream, type TrainContext } from './fit.js';
import { CHECKPOINT_TAG, checkCheckpointOptions, setUpCheckpoints } from './checkpoint.js';
import { initWeights, layerSeed } from './init.js';
import { checkLayerSpec, describeLayer } from './layers.js';
import { Network, type Param } from './network.js';
import type { TrainingRecovery } from './recovery.js';
import { adam, canonicalOptimizer, Optimizer } from './optimizers.js';
import { checkFormatVersion, encodeSafetensors, metadataSeed, modelMetadata, parseSafetensors, type SafetensorEntry, type SafetensorFile } from './safetensors.js';
import type {
  CompileOptions, EvaluateOptions, EvaluateResult, FitOptions, History, Inputs, LayerSpec, MetricName, NamedParameter,
  OptimizerSpec, PredictOptions, Targets,
} from './types.js';

const SEQUENTIAL_KEYS = optionKeys<SequentialOptions>()('seed');
const COMPILE_KEYS = optionKeys<CompileOptions>()('loss', 'optimizer', 'metrics');
const EVALUATE_KEYS = optionKeys<EvaluateOptions>()('batchSize', 'allowNonFinite');
const PREDICT_KEYS = optionKeys<PredictOptions>()('batchSize', 'allowNonFinite');

export interface SequentialOptions {
  /** Seed of the initial weights (layer i of the list, activations included: seed + i·2654435761 unless it has its own) and of fit's shuffles; default 0. */
  seed?: number;
}

/** Builds a Sequential model on `engine` with seeded initial weights (default seed 0). */
export function sequential(engine: Engine, layers: readonly LayerSpec[], opts: SequentialOptions = {}): Sequential {
  checkEngine('sequential', engine);
  return newSequential(engine, layers, { seed: optionsObject('sequential', opts, SEQUENTIAL_KEYS).seed ?? 0 });
}

/** `weights` (by parameter name) replaces the random initialisation. */
interface SequentialInit { seed: number; weights?: ReadonlyMap<string, Float32Array>; savedLoss?: LossKind }

/** How sequential() and sequentialFromFile() make models (the constructor is private, so the typings show none). */
let newSequential: (engine: Engine, layers: readonly LayerSpec[], o: SequentialInit) => Sequential;

interface Compiled {
  loss: LossKind;
  optimizer: Optimizer;
  metrics: MetricName[];
  logits: boolean;
  accuracy: AccuracyKind;
}

/** Widest activation that predict() runs in one pass (elements, 64 MiB of float32). */
const PREDICT_ELEMENTS = 16 * 1024 * 1024;

/** evaluate()'s default rows per batch on WebGPU. */
const EVALUATE_BATCH = 1024;

/**
 * Default rows per batch of predict() and evaluate() on the CPU backend: about
 * CPU_WORK_PER_YIELD of work (a row's forward pass costs about one multiply-add per
 * parameter), as the yields come between batches and a GPU-sized batch of 784-256-256-10 ran
 * for 6 s (predict) or 0.5–1.5 s (evaluate's 1024 rows). The CPU matmul computes each row
 * alone, so the outputs do not depend on the batching.
 */
function cpuBatchRows(parameters: number): number {
  return Math.max(1, Math.floor(CPU_WORK_PER_YIELD / parameters));
}

/**
 * predict()'s default rows per batch: as many as keep the widest activation within
 * PREDICT_ELEMENTS, and on the CPU backend no more than cpuBatchRows.
 */
function predictBatchRows(backend: BackendKind, widest: number, parameters: number): number {
  const fit = Math.max(1, Math.floor(PREDICT_ELEMENTS / widest));
  return backend === 'cpu' ? Math.min(fit, cpuBatchRows(parameters)) : fit;
}

/**
 * A stack of layers trained on one engine: sequential(engine, layers, { seed }) builds it,
 * compile() picks loss and optimizer, then fit / evaluate / predict / predictProba,
 * save() / load() / Sequential.fromSafetensors(), trainStep for custom loops, recover()
 * after a device loss, dispose().
 */
export class Sequential {
  readonly engine: Engine;
  readonly layers: readonly LayerSpec[];
  readonly seed: number;
  /** Number of input features. */
  readonly inputs: number;
  /** Number of outputs (units of the last dense layer). */
  readonly outputs: number;
  readonly #net: Network;
  #compiled: Compiled | null = null;
  /** The loss a loaded file was trained with (predictProba's squashing until compile()). */
  #savedLoss: LossKind | null = null;
  #disposed = false;
  /** The call that holds the model (fit, or recover awaiting the engine); others wait for it. */
  #busy: 'fit' | 'recover' | null = null;
  /**
   * The host copy of the parameters and optimizer state the last fit ended with, for
   * recover() after a device loss between calls; null when there is none or it is stale
   * (trainStep, load and compile change the state without a copy).
   */
  #hostCopy: TrainingRecovery | null = null;
  /**
   * Where a fit() without a seed of its own shuffles from: the last run's stream, past the
   * epochs it ended at (a resumed run counts from its checkpoint; a failed one, the epochs it
   * kept), so calls shuffle on from there.
   */
  #nextShuffle: ShuffleStream;

  static {
    newSequential = (...args) => new Sequential(...args);
  }

  /** Use sequential() or Sequential.fromSafetensors(). */
  private constructor(engine: Engine, layers: readonly LayerSpec[], o: SequentialInit) {
    if (!Array.isArray(layers) || layers.length === 0) throw new ValueError('a Sequential model needs a non-empty list of layers');
    checkSeed(o.seed);
    layers.forEach((l, i) => checkLayerSpec(l, `layer ${i}`));
    const specs = layers.map((l) => Object.freeze({ ...l })) as LayerSpec[];
    let prev: { index: number; units: number } | null = null;
    specs.forEach((l, i) => {
      if (l.kind !== 'dense') return;
      if (prev !== null && prev.units !== l.inputs) {
        throw new ShapeError(
          `layer ${i} ${describeLayer(l)} takes ${l.inputs} inputs but layer ${prev.index} ${describeLayer(specs[prev.index]!)} gives ${prev.units} outputs`,
        );
      }
      prev = { index: i, units: l.units };
    });
    const dense = specs.filter((l) => l.kind === 'dense');
    if (dense.length === 0) throw new ValueError('a Sequential model needs at least one dense layer');
    this.engine = engine;
    this.layers = Object.freeze(specs);
    this.seed = o.seed;
    this.inputs = dense[0]!.inputs;
    this.outputs = dense[dense.length - 1]!.units;
    this.#net = new Network(engine, this.layers);
    this.#savedLoss = o.savedLoss ?? null;
    this.#nextShuffle = { seed: o.seed, shuffleEpoch: 0 };
    // Before any host memory is filled with initial values (10⁵ × 10⁵ floats would not fit).
    for (const p of this.#net.params) checkTensorBytes(`parameter ${p.name}`, p.shape, engine.limits.maxBufferSize);

    const made: Tensor[] = [];
    try {
      for (const p of this.#net.params) {
        const given = o.weights?.get(p.name);
        p.tensor = engine.tensor(given ?? this.#initialValues(p), p.shape);
        made.push(p.tensor);
      }
    } catch (err) {
      for (const t of made) t.dispose();
      throw err;
    }
  }

  #initialValues(p: Param): Float32Array {
    const [, index, what] = p.name.split('.') as [string, string, string];
    const i = Number(index);
    const l = this.layers[i]!;
    if (what === 'weight' && l.kind === 'dense') return initWeights(l.init, l.inputs, l.units, l.seed ?? layerSeed(this.seed, i));
    if (what === 'alpha' && l.kind === 'sigmoid') return new Float32Array([l.alpha]);
    return new Float32Array(p.shape[0]); // bias: zeros
  }

  /** Rebuilds a model saved by save() (architecture from __metadata__, weights from the tensors). */
  static fromSafetensors(engine: Engine, bytes: Uint8Array): Sequential {
    checkEngine('fromSafetensors', engine);
    return sequentialFromFile(engine, parseSafetensors(bytes));
  }

  // ---- inspection ----------------------------------------------------------------------

  /** The parameters in layer order, named as in safetensors (owned by the model). */
  parameters(): NamedParameter[] {
    this.#alive();
    return this.#net.params.map((p) => ({ name: p.name, tensor: p.tensor }));
  }

  /** Number of trainable scalars. */
  get parameterCount(): number {
    return this.#net.params.reduce((s, p) => s + (p.shape.length === 1 ? p.shape[0] : p.shape[0] * p.shape[1]), 0);
  }

  /** Indices of the dense layers (EpochLogs.gradNorms follows this order). */
  get denseLayers(): readonly number[] {
    return this.#net.denseLayers;
  }

  /** Indices of the sigmoid layers (EpochLogs.alphas follows this order). */
  get sigmoidLayers(): readonly number[] {
    return this.#net.sigmoidLayers;
  }

  get compiled(): { loss: LossKind; optimizer: OptimizerSpec; metrics: MetricName[] } | null {
    const c = this.#compiled;
    return c === null ? null : { loss: c.loss, optimizer: { ...c.optimizer.spec }, metrics: [...c.metrics] };
  }

  /** A table of layers, output widths and parameter counts. */
  summary(): string {
    const rows: string[][] = [['#', 'layer', 'output', 'parameters']];
    let width = this.inputs;
    this.layers.forEach((l, i) => {
      let params = 0;
      if (l.kind === 'dense') {
        width = l.units;
        params = l.inputs * l.units + l.units;
      } else if (l.kind === 'sigmoid' && l.learnAlpha) params = 1;
      rows.push([String(i), describeLayer(l), `[N, ${width}]`, String(params)]);
    });
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const lines = rows.map((r) => r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
    const c = this.#compiled;
    const head = `Sequential: ${this.inputs} inputs → ${this.outputs} outputs, seed ${this.seed}, ${this.engine.backend} backend` +
      (c ? `; loss ${c.loss}, optimizer ${c.optimizer.spec.kind}(lr ${c.optimizer.spec.lr})` : '; not compiled');
    return [head, ...lines, `total parameters: ${this.parameterCount}`].join('\n');
  }

  // ---- training ------------------------------------------------------------------------

  /** Chooses loss, optimizer (default adam()) and metrics; resets any optimizer state. */
  compile(opts: CompileOptions): void {
    this.#alive();
    this.#notBusy('compile');
    if (typeof opts !== 'object' || opts === null) throw new ValueError('compile needs options { loss, optimizer?, metrics? }');
    optionsObject('compile', opts, COMPILE_KEYS, '{ loss, optimizer?, metrics? }');
    const loss = opts.loss;
    if (!LOSS_KINDS.includes(loss)) throw new ValueError(`unknown loss ${JSON.stringify(loss)}; expected one of ${LOSS_KINDS.join(', ')}`);
    const optimizerSpec = canonicalOptimizer(opts.optimizer ?? adam());
    const metrics = opts.metrics ?? (loss === 'mse' ? [] : ['accuracy']);
    if (!Array.isArray(metrics) || metrics.some((m) => m !== 'accuracy')) {
      throw new ValueError(`metrics must be a list of 'accuracy', got ${JSON.stringify(metrics)}`);
    }
    if (loss === 'softmaxCrossEntropy' && this.outputs < 2) {
      throw new ValueError('softmaxCrossEntropy needs at least 2 outputs; for one output use binaryCrossEntropy');
    }
    const last = this.layers[this.layers.length - 1]!;
    let logits = false;
    if (last.kind === 'sigmoid' && loss === 'binaryCrossEntropy') {
      if (last.learnAlpha || last.alpha !== 1) {
        throw new ValueError(
          'binaryCrossEntropy takes logits: end the model with a dense layer (or a plain sigmoid(), which is fused into the loss), not a scaled/learned sigmoid',
        );
      }
      logits = true;
    }
    if (last.kind === 'sigmoid' && loss === 'softmaxCrossEntropy') {
      throw new ValueError('softmaxCrossEntropy takes logits: end the model with a dense layer, not a sigmoid');
    }
    let accuracy: AccuracyKind = null;
    if (metrics.includes('accuracy')) {
      accuracy = loss === 'softmaxCrossEntropy' ? 'multiclass' : loss === 'binaryCrossEntropy' ? 'binary' : this.outputs > 1 ? 'multiclass' : 'binaryHalf';
    }
    this.#compiled?.optimizer.reset();
    this.#hostCopy = null;
    this.#compiled = {
      loss, optimizer: new Optimizer(this.engine, optimizerSpec),
      metrics: [...new Set(metrics)], logits, accuracy,
    };
  }

  /** The optimizer's learning rate (compile's, or the last setLearningRate). */
  get learningRate(): number {
    return this.#ready('learningRate').optimizer.spec.lr;
  }

  /**
   * Sets the optimizer's learning rate, keeping its state (Adam's moments and step count,
   * SGD's velocity), which compile() would reset: for schedules, also from a fit's
   * onEpochEnd (the next step uses it). Checkpoints record the rate current when written.
   */
  setLearningRate(lr: number): void {
    const c = this.#ready('setLearningRate');
    checkPositive('lr', lr);
    c.optimizer.spec.lr = lr; // read at every step, and by the checkpoint writer
  }

  /**
   * Trains on x [N, inputs] and y (see Targets). Everything is validated before the first
   * step; a failed validation leaves the model as it was.
   */
  async fit(x: Inputs, y: Targets, opts: FitOptions = {}): Promise<History> {
    const c = this.#ready('fit');
    this.#notBusy('fit');
    this.#busy = 'fit';
    try {
      const o = resolveFitOptions(opts, this.#nextShuffle);
      if (opts.resumeFrom === undefined) this.#onLiveDevice('fit'); // a resume uploads the parameters afresh
      const writer = checkCheckpointOptions(opts);
      const nonFinite = allowNonFiniteOption(opts);
      const hx = await this.#inputs('x', x, nonFinite);
      const hy = await this.#targets('y', y, hx.rows, c.loss, nonFinite);
      let trainRows = hx.rows;
      let hvx: Prepared | null = null;
      let hvy: Prepared | null = null;
      if (opts.validationData !== undefined) {
        hvx = await this.#inputs('validationData x', opts.validationData[0], nonFinite);
        hvy = await this.#targets('validationData y', opts.validationData[1], hvx.rows, c.loss, nonFinite);
      } else if (opts.validationSplit !== undefined) {
        // ⌊N·(1 − split)⌋ of the decimal split: 1 − 0.8 is 0.19999999999999996 in binary, and a
        // plain floor would train 10 rows at split 0.8 on one row instead of two.
        trainRows = Math.floor(hx.rows * (1 - opts.validationSplit) * (1 + 1e-12));
        if (trainRows < 1 || trainRows >= hx.rows) {
          throw new ValueError(`validationSplit ${opts.validationSplit} of ${hx.rows} rows leaves no rows for training or for validation`);
        }
      }
      // Checkpoints (checkpoint.ts): resumeFrom is read and checked here, restored right before the loop.
      const restore = await setUpCheckpoints(
        opts, writer, o, { layers: this.layers, seed: this.seed, loss: c.loss, optimizer: c.optimizer.spec },
        { rows: trainRows, x: hx.data.subarray(0, trainRows * hx.cols), y: hy.data.subarray(0, trainRows * hy.cols) }, this.#net.params, c.optimizer.stateSlots,
      );
      // Validated: upload each matrix once (or keep one too big for a device buffer on the host).
      const owned: Tensor[] = [];
      const up = (m: Prepared, fresh = false): RowSource => {
        // fresh: from the host copy even when m came from a tensor (after a device loss it is dead).
        const r = rowSource(this.engine, m, fresh);
        if (r.owned !== null) owned.push(r.owned);
        return r.rows;
      };
      try {
        const deviceData = (fresh: boolean): DeviceData => {
          const X = up(hx, fresh);
          const Y = up(hy, fresh);
          let validation: DeviceData['validation'] = null;
          if (hvx !== null && hvy !== null) validation = { x: up(hvx, fresh), y: up(hvy, fresh), start: 0, rows: hvx.rows };
          else if (trainRows < hx.rows) validation = { x: X, y: Y, start: trainRows, rows: hx.rows - trainRows };
          return { x: X, y: Y, trainRows, validation, reupload: () => deviceData(true) };
        };
        const data = deviceData(false);
        // The model's copy is kept until the first step (a loss before it is recovered from it);
        // a resume replaces the state, so the copy goes now.
        const previous = opts.resumeFrom === undefined ? this.#hostCopy : null;
        if (previous === null) this.#hostCopy = null;
        // The next unseeded fit shuffles on from the epochs the model keeps, also when this one fails.
        const kept = (epochs: number): void => void (this.#nextShuffle = { seed: o.seed, shuffleEpoch: o.shuffleEpoch + epochs });
        this.#alive(); // disposed while the data was read: fitLoop would restore and make optimizer state into a freed model
        const { history, hostCopy } = await fitLoop(this.#context(c), data, o, restore, kept, { previous, leaving: () => void (this.#hostCopy = null) });
        this.#hostCopy = hostCopy;
        return history;
      } finally {
        for (const t of owned) t.dispose();
      }
    } catch (err) {
      if (this.#disposed) {
        c.optimizer.reset(); // state made after dispose() (a step's ensureState) would leak
        // dispose() from a callback (or elsewhere) while fit ran: the next step found freed tensors.
        if (err instanceof DisposedError) throw new DisposedError('fit: the model was disposed while it was training (its tensors are freed)');
      }
      throw err;
    } finally {
      this.#busy = null;
    }
  }

  /**
   * One training step on one batch already on the device, the lowest-overhead way to train:
   * forward, loss, backward and the optimizer's update, recorded as one queue submission;
   * nothing is read back or re-checked (unlike fit, the values are not scanned for NaN).
   * x is [rows, inputs]; y is [rows, outputs] as the loss takes it (one-hot rows for
   * softmaxCrossEntropy). Returns the batch's mean loss before the update, a [1] tensor the
   * caller disposes: `await loss.read()` waits for the step to finish. Nothing here waits
   * for the GPU (fit's fences are fit's): a loop that reads nothing queues every step.
   */
  trainStep(x: Tensor, y: Tensor): Tensor {
    const c = this.#ready('trainStep');
    this.#notBusy('trainStep');
    for (const [name, t, cols] of [['x', x, this.inputs], ['y', y, this.outputs]] as const) {
      if (!(t instanceof Tensor) || t.owner !== this.engine) throw new ValueError(`trainStep: ${name} must be a tensor of this model's engine`);
      if (t.shape.length !== 2 || t.shape[1] !== cols) {
        throw new ShapeError(`trainStep: ${name} must be [rows, ${cols}], got ${fmtShape(t.shape)}`);
      }
    }
    if (x.shape[0] !== y.shape[0]) throw new ShapeError(`trainStep: x has ${x.shape[0]} rows but y has ${y.shape[0]}`);
    this.#onLiveDevice('trainStep');
    // Refused here, before any update is recorded (plain SGD updates each layer as backward
    // reaches it) and before the host copy is dropped.
    const state = c.optimizer.stateTensors() ?? [];
    for (const [name, t] of [['x', x], ['y', y]] as const) {
      if (t.disposed) throw new DisposedError(`trainStep: ${name} was disposed`);
      if (this.#net.params.some((p) => p.tensor === t) || state.some((s) => s.includes(t))) {
        throw new ValueError(`trainStep: ${name} is one of the model's parameters (or its optimizer state), which the step updates; pass a copy (engine.identity(${name}))`);
      }
      if (!this.engine.isCurrent(t)) {
        throw new GPUOpError('trainStep', 'device-lost', `${name} is a tensor of a GPU device that was lost: upload the batch again`);
      }
    }
    this.#hostCopy = null;
    return batchStep(this.#context(c), x, y);
  }

  /** Mean loss (and accuracy when compiled with it) on x, y, without training. */
  async evaluate(x: Inputs, y: Targets, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
    const c = this.#ready('evaluate');
    opts = optionsObject('evaluate', opts, EVALUATE_KEYS);
    const batchSize = opts.batchSize ?? (this.engine.backend === 'cpu' ? cpuBatchRows(this.parameterCount) : EVALUATE_BATCH);
    checkPositiveInt('batchSize', batchSize);
    const nonFinite = allowNonFiniteOption(opts);
    const hx = await this.#inputs('x', x, nonFinite);
    const hy = await this.#targets('y', y, hx.rows, c.loss, nonFinite);
    this.#alive(); // disposed while the data was read: say so, not that some [rows, units] tensor was freed
    const X = rowSource(this.engine, hx);
    try {
      const Y = rowSource(this.engine, hy);
      try {
        return await evaluateLoop(this.#context(c), X.rows, Y.rows, 0, hx.rows, batchSize);
      } finally {
        Y.owned?.dispose();
      }
    } catch (err) {
      throw this.#disposedWhileRunning('evaluate', err);
    } finally {
      X.owned?.dispose();
    }
  }

  // ---- inference -----------------------------------------------------------------------

  /**
   * The model's raw outputs [N, outputs] (logits when it ends with a dense layer) as a new
   * tensor owned by the caller. Host inputs (number[][], { rows, cols, data }) are checked for
   * NaN/±Inf (a ValueError naming row and column) unless `allowNonFinite: true`; tensor inputs
   * are device data and are used as they are (not read back or scanned).
   */
  async predict(x: Inputs, opts: PredictOptions = {}): Promise<Tensor> {
    return this.#predict(x, opts, 'predict');
  }

  /** predict(), for the public call `what` (named in the DisposedError of a dispose() while it runs). */
  async #predict(x: Inputs, opts: PredictOptions, what: 'predict' | 'predictProba'): Promise<Tensor> {
    this.#alive();
    opts = optionsObject('predict', opts, PREDICT_KEYS);
    this.#notForeign('x', x);
    const [rows, cols] = inputShape('x', x);
    if (cols !== this.inputs) throw new ShapeError(`x has ${cols} columns but the model takes ${this.inputs} inputs`);
    const widest = Math.max(this.inputs, ...this.layers.map((l) => (l.kind === 'dense' ? l.units : 0)));
    const batchSize = opts.batchSize ?? predictBatchRows(this.engine.backend, widest, this.parameterCount);
    checkPositiveInt('batchSize', batchSize);
    const nonFinite = allowNonFiniteOption(opts);
    let X: { rows: RowSource; owned: Tensor | null };
    if (x instanceof Tensor) X = { rows: x, owned: null };
    else {
      const hx = await toHostMatrix('x', x);
      this.#alive(); // as in evaluate
      if (!nonFinite) checkFiniteMatrix('x', hx);
      X = rowSource(this.engine, hx);
    }
    try {
      if (batchSize >= rows && !(X.rows instanceof HostRows)) return this.#net.forward(X.rows, { train: false, logits: false });
      checkRowCount('x', rows);
      // Batches, yielding between them (inferenceBatches: from the first yield on they run on
      // a snapshot of the weights, so a fit running meanwhile cannot change the weights between
      // batches); each batch's read is issued as it goes and the result is uploaded once.
      const out = new Float32Array(rows * this.outputs);
      const reads: Promise<void>[] = [];
      // Rows kept on the host: each batch is one upload, so it must fit in a device tensor.
      const bs = X.rows instanceof HostRows ? Math.min(batchSize, rowsPerTensor(this.engine, widest)) : batchSize;
      try {
        await inferenceBatches(this.#net, 0, rows, bs, ({ s, take, forward }) => {
          const xb = take(X.rows);
          let yb: Tensor;
          try {
            yb = forward(xb, false);
          } finally {
            xb.dispose();
          }
          const at = s * this.outputs;
          const read = yb.read().then((v) => out.set(v, at)).finally(() => yb.dispose());
          read.catch(() => {}); // awaited below; no unhandled rejection if a later batch throws first
          reads.push(read);
        });
        await Promise.all(reads);
      } catch (err) {
        await Promise.allSettled(reads); // each frees its batch's output
        throw this.#disposedWhileRunning(what, err);
      }
      return this.engine.tensor(out, [rows, this.outputs]);
    } finally {
      X.owned?.dispose();
    }
  }

  /**
   * Probabilities: softmax of the outputs for softmaxCrossEntropy, σ(outputs) for
   * binaryCrossEntropy (unless the model already ends with a sigmoid), else predict()'s.
   * The loss is the compiled one, or for a model loaded from a file the one it was saved with.
   */
  async predictProba(x: Inputs, opts: PredictOptions = {}): Promise<Tensor> {
    // The loss when called: a compile() while predict runs must not change how these outputs are squashed.
    const loss = this.#loss;
    const last = this.layers[this.layers.length - 1]!;
    const squash = loss === 'softmaxCrossEntropy' ? 'softmax' : loss === 'binaryCrossEntropy' && last.kind !== 'sigmoid' ? 'sigmoid' : null;
    const raw = await this.#predict(x, opts, 'predictProba');
    if (squash === null) return raw;
    try {
      return squash === 'softmax' ? this.engine.softmax(raw) : this.engine.sigmoid(raw);
    } finally {
      raw.dispose();
    }
  }

  // ---- safetensors ---------------------------------------------------------------------

  /** The parameters and the architecture as safetensors bytes (reads the parameters back). */
  async save(): Promise<Uint8Array> {
    this.#alive();
    // Every read issued before the first await: one consistent snapshot even while a fit
    // runs (no step can be recorded between them).
    const params = this.#net.params;
    const data = await Promise.all(params.map((p) => p.tensor.read()));
    // load() and fromSafetensors refuse non-finite weights: a diverged model's file would be unreadable.
    params.forEach((p, i) => checkFiniteEntries('save', p.name, data[i]!, ': the model diverged (lower the learning rate); nothing was written'));
    const tensors: SafetensorEntry[] = params.map((p, i) => ({ name: p.name, shape: [...p.shape], data: data[i]! }));
    return encodeSafetensors(tensors, modelMetadata(this.layers, this.seed, this.#loss));
  }

  /**
   * Replaces the parameters with those in safetensors `bytes` (names, shapes and dtype must
   * match this model exactly). Any problem throws a ValueError and changes nothing; on
   * success the optimizer state is reset, and the loss the file was saved with is the one
   * predictProba applies while the model is not compiled.
   */
  load(bytes: Uint8Array): void {
    this.#alive();
    this.#notBusy('load');
    const file = parseSafetensors(bytes);
    checkFormatVersion(file.metadata);
    if (file.metadata.layers !== undefined) checkSameArchitecture(this.layers, file.metadata.layers);
    const savedLoss = metadataLoss(file.metadata) ?? null;
    const weights = checkedWeights(this.#net.params, modelTensors(file));
    const fresh: Tensor[] = [];
    try {
      for (const p of this.#net.params) fresh.push(this.engine.tensor(weights.get(p.name)!, p.shape));
    } catch (err) {
      for (const t of fresh) t.dispose();
      throw err;
    }
    this.#net.params.forEach((p, i) => {
      p.tensor.dispose();
      p.tensor = fresh[i]!;
    });
    this.#savedLoss = savedLoss;
    this.#compiled?.optimizer.reset();
    this.#hostCopy = null;
  }

  /**
   * After a device loss between calls (the engine lost, or already recovered by someone
   * else): recovers the engine when it is lost (options as engine.recover, used only then; a
   * recovery under way is joined) and uploads the parameters and optimizer state from the host copy the
   * last fit ended with. Returns the backend the model now runs on; does nothing when its
   * tensors are alive. Throws a GPUOpError 'device-lost' when there is no such copy: only a
   * completed fit leaves one (trainStep, load and compile drop it), and `recovery: false`
   * turns it off; rebuild such a model from a saved file (Sequential.fromSafetensors). While it
   * awaits the engine the model is held: fit, trainStep, compile, load and another recover are
   * refused ("the model is recovering"), and a dispose meanwhile rejects it with DisposedError.
   */
  async recover(options?: RecoverOptions): Promise<BackendKind> {
    this.#alive();
    this.#notBusy('recover');
    const e = this.engine;
    if (e.lost) {
      this.#busy = 'recover';
      try {
        await e.recover(options);
      } finally {
        this.#busy = null;
      }
      if (this.#disposed) throw new DisposedError('recover: the model was disposed while the engine recovered');
    } else {
      checkRecoverOptions(options);
    }
    if (this.#paramsLive()) return e.backend;
    this.#notFreed('recover');
    const copy = this.#hostCopy;
    if (copy === null) throw new GPUOpError('recover', 'device-lost', NO_HOST_COPY);
    copy.restore();
    return e.backend;
  }

  /**
   * Frees the parameters and the optimizer state. Idempotent. A predict, predictProba or evaluate
   * that is between two of its batches then rejects with DisposedError; one whose batches have all
   * run (awaiting their reads) still resolves.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#hostCopy = null;
    this.#net.releaseCaches();
    this.#compiled?.optimizer.reset();
    for (const p of this.#net.params) p.tensor.dispose();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  // ---- internals -----------------------------------------------------------------------

  #alive(): void {
    if (this.#disposed) throw new DisposedError('the model was used after dispose()');
  }

  /**
   * Refuses `op` while the parameters are on a lost device, before it drops the host copy
   * recover() restores them from (the op failed on the dead tensors right after dropping it).
   */
  #onLiveDevice(op: string): void {
    if (this.#paramsLive()) return;
    this.#notFreed(op);
    throw new GPUOpError(op, 'device-lost', this.#hostCopy === null
      ? NO_HOST_COPY
      : "the model's tensors were on a GPU device that was lost: await model.recover() first (it restores them from the host copy its last fit left)");
  }

  /**
   * Parameters that are not live for a reason other than a device loss: the engine was
   * destroyed (its DisposedError), or a tensor from parameters() was disposed.
   */
  #notFreed(op: string): void {
    void this.engine.backend;
    const freed = this.#net.params.find((p) => p.tensor.disposed);
    if (freed !== undefined) {
      throw new DisposedError(`${op}: the model's parameter ${freed.name} was disposed (the tensors parameters() gives belong to the model: copy one with engine.identity() to keep it)`);
    }
  }

  /** Every parameter tensor is alive on the engine's current backend. */
  #paramsLive(): boolean {
    const e = this.engine;
    return this.#net.params.every((p) => e.isCurrent(p.tensor));
  }

  /** `err` of a call that a dispose() cut short (inferenceBatches sees it after a yield) as a DisposedError naming the call. */
  #disposedWhileRunning(what: string, err: unknown): unknown {
    return this.#disposed && err instanceof DisposedError ? new DisposedError(`${what}: the model was disposed while it ran`) : err;
  }

  #notBusy(what: string): void {
    if (this.#busy === 'fit') throw new ValueError(`${what}: the model is training (await fit() first)`);
    if (this.#busy === 'recover') throw new ValueError(`${what}: the model is recovering (await recover() first)`);
  }

  /** The compiled loss, else the one a loaded file was trained with. */
  get #loss(): LossKind | null {
    return this.#compiled?.loss ?? this.#savedLoss;
  }

  #ready(what: string): Compiled {
    this.#alive();
    if (this.#compiled === null) throw new ValueError(`${what}: call model.compile({ loss, optimizer }) first`);
    return this.#compiled;
  }

  /** Throws when `v` is a tensor of another engine. */
  #notForeign(name: string, v: Inputs | Targets): void {
    if (v instanceof Tensor && v.owner !== this.engine) throw new ValueError(`${name} belongs to another engine`);
  }

  /** Host copy of an input matrix, checked: this engine's, right width, finite. */
  async #inputs(name: string, x: Inputs, allowNonFinite: boolean): Promise<Prepared> {
    this.#notForeign(name, x);
    const [, cols] = inputShape(name, x);
    if (cols !== this.inputs) throw new ShapeError(`${name} has ${cols} columns but the model takes ${this.inputs} inputs`);
    const m = await toHostMatrix(name, x);
    if (!allowNonFinite) checkFiniteMatrix(name, m);
    return m;
  }

  /** Host copy of targets, checked: this engine's (a tensor), rows, width and values for the loss. */
  async #targets(name: string, y: Targets, rows: number, loss: LossKind, allowNonFinite: boolean): Promise<Prepared> {
    this.#notForeign(name, y);
    return toHostTargets(name, y, rows, this.outputs, loss, allowNonFinite);
  }

  #context(c: Compiled): TrainContext {
    return { engine: this.engine, net: this.#net, seed: this.seed, loss: c.loss, logits: c.logits, accuracy: c.accuracy, optimizer: c.optimizer };
  }
}

/** Why a model whose tensors died with their device cannot be restored (recover, and the calls that would need it). */
const NO_HOST_COPY =
  "the model's tensors were on a GPU device that was lost, and it has no host copy to restore them from " +
  '(only a completed fit leaves one; trainStep, load and compile drop it): rebuild it from a saved file with Sequential.fromSafetensors';

/**
 * @internal Sequential.fromSafetensors on a file already parsed (the CLI's predict reads its
 * metadata first): the architecture from __metadata__, the weights from the tensors.
 */
export function sequentialFromFile(engine: Engine, file: SafetensorFile): Sequential {
  const m = file.metadata;
  if (m.format !== 'sigmoid-core' || m.layers === undefined) {
    throw new ValueError(
      'safetensors: no sigmoid-core architecture in __metadata__ (format/layers); build the model with sequential() and call model.load(bytes)',
    );
  }
  checkFormatVersion(m);
  let layers: unknown;
  try {
    layers = JSON.parse(m.layers);
  } catch {
    throw new ValueError('safetensors: __metadata__.layers is not valid JSON');
  }
  if (!Array.isArray(layers)) throw new ValueError('safetensors: __metadata__.layers must be a JSON list of layer specs');
  layers.forEach((l, i) => checkLayerSpec(l, `safetensors layer ${i}`));
  const seed = metadataSeed(m);
  const savedLoss = metadataLoss(m);
  // Check names/shapes/values against the architecture first (no tensors made yet).
  const probe = new Network(engine, layers as LayerSpec[]);
  const weights = checkedWeights(probe.params, modelTensors(file));
  try {
    return newSequential(engine, layers as LayerSpec[], { seed, weights, ...(savedLoss !== undefined ? { savedLoss } : {}) });
  } catch (err) {
    // The file describes no valid model (layers that do not chain, no dense layer, a seed
    // out of range): a ValueError about the file, as for its other checks.
    if (err instanceof ShapeError || err instanceof ValueError) throw new ValueError(`safetensors: __metadata__ describes no valid model: ${err.message}`);
    throw err;
  }
}

/** The loss a file's model was compiled with when saved (__metadata__.loss), checked. */
function metadataLoss(m: SafetensorFile['metadata']): LossKind | undefined {
  const loss = m.loss as LossKind | undefined;
  if (loss !== undefined && !LOSS_KINDS.includes(loss)) {
    throw new ValueError(`safetensors: __metadata__.loss is ${JSON.stringify(loss)}, not one of ${LOSS_KINDS.join(', ')}`);
  }
  return loss;
}

/** A file's parameter tensors: a training checkpoint's optimizer.* state is left out (checkpoint.ts). */
function modelTensors(file: SafetensorFile): SafetensorEntry[] {
  return file.metadata.checkpoint === CHECKPOINT_TAG ? file.tensors.filter((t) => !t.name.startsWith('optimizer.')) : file.tensors;
}

/** The file's tensors by name, checked against the model's parameters (names, shapes, finite). */
export function checkedWeights(params: readonly Param[], tensors: readonly SafetensorEntry[]): Map<string, Float32Array> {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = new Set(params.map((p) => p.name));
  const missing = params.filter((p) => !byName.has(p.name)).map((p) => p.name);
  const extra = tensors.filter((t) => !expected.has(t.name)).map((t) => t.name);
  if (missing.length > 0 || extra.length > 0) {
    throw new ValueError(
      `safetensors: the tensors do not match the model` +
        (missing.length > 0 ? `; missing ${missing.join(', ')}` : '') +
        (extra.length > 0 ? `; unexpected ${extra.join(', ')}` : ''),
    );
  }
  const out = new Map<string, Float32Array>();
  for (const p of params) {
    const t = byName.get(p.name)!;
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new ValueError(`safetensors: ${p.name} has shape [${t.shape.join(', ')}] but the model needs [${p.shape.join(', ')}]`);
    }
    checkFiniteEntries('safetensors', p.name, t.data);
    out.set(p.name, t.data);
  }
  return out;
}

/** Throws unless the architecture in a file's metadata is this model's (seeds and initial α aside). */
export function checkSameArchitecture(layers: readonly LayerSpec[], json: string): void {
  let theirs: unknown;
  try {
    theirs = JSON.parse(json);
  } catch {
    throw new ValueError('safetensors: __metadata__.layers is not valid JSON');
  }
  const key = (l: LayerSpec): string => {
    switch (l.kind) {
      case 'dense':
        return `dense ${l.inputs}→${l.units}`;
      case 'sigmoid':
        return l.learnAlpha ? 'sigmoid(learned α)' : `sigmoid(α=${l.alpha})`;
      case 'leakyRelu':
        return `leakyRelu(${l.slope})`;
      default:
        return l.kind;
    }
  };
  if (!Array.isArray(theirs)) throw new ValueError('safetensors: __metadata__.layers must be a JSON list of layer specs');
  theirs.forEach((l, i) => checkLayerSpec(l, `safetensors layer ${i}`));
  const a = layers.map(key).join(', ');
  const b = (theirs as LayerSpec[]).map(key).join(', ');
  if (a !== b) throw new ValueError(`safetensors: the file's architecture [${b}] differs from the model's [${a}]`);
}
