// The model-level API types: layer and optimizer specs (plain JSON-serialisable data, so
// an architecture can be written into a safetensors header and rebuilt), compile and fit
// options, and what fit/evaluate return.

import type { RecoveryOption, TrainingEvent } from './recovery.js';
import type { Tensor } from '../tensor.js';
import type { Row } from '../nested-arrays.js';
import type { LossKind } from '../types.js';
import type { CheckpointOptions } from './checkpoint.js';
import type { CheckpointTarget } from './checkpoint-store.js';

// ---- layers ------------------------------------------------------------------------------

export type InitKind = 'glorot' | 'he';

/** A fully connected layer Y = X·W + b, W [inputs, units], b [units]. */
export interface DenseSpec {
  kind: 'dense';
  inputs: number;
  units: number;
  /** Weight initialisation: glorot uniform ±√(6/(in+out)) or he normal N(0, 2/in). Biases start at 0. */
  init: InitKind;
  /** Seed of this layer's initial weights; default: the model's seed + i·2654435761, i the layer's index in the model's layer list (activation layers count). */
  seed?: number;
}

/** The scaled sigmoid σ(α·x); α is a trainable [1] parameter when learnAlpha. */
export interface SigmoidSpec {
  kind: 'sigmoid';
  alpha: number;
  learnAlpha: boolean;
}

export interface LeakyReluSpec {
  kind: 'leakyRelu';
  /** Negative-side slope, ≥ 0. */
  slope: number;
}

export interface PlainActivationSpec {
  kind: 'relu' | 'tanh' | 'identity';
}

/** One layer of a Sequential model, as made by dense(), sigmoid(), relu(), ... */
export type LayerSpec = DenseSpec | SigmoidSpec | LeakyReluSpec | PlainActivationSpec;

// ---- optimizers --------------------------------------------------------------------------

/** Plain or momentum SGD (PyTorch's form: v = μv + g; p −= lr·v). */
export interface SgdSpec {
  kind: 'sgd';
  lr: number;
  momentum: number;
  /** L2 penalty added to the gradient of each weight matrix (not biases, not α). */
  weightDecay: number;
}

/** Adam (PyTorch's form, bias-corrected). */
export interface AdamSpec {
  kind: 'adam';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty added to the gradient of each weight matrix (not biases, not α). */
  weightDecay: number;
}

export type OptimizerSpec = SgdSpec | AdamSpec;

// ---- compile / fit -----------------------------------------------------------------------

export type MetricName = 'accuracy';

export interface CompileOptions {
  /**
   * The loss. The cross-entropies take logits: end the model with a dense layer (no
   * activation), or — for binaryCrossEntropy only — with sigmoid() (α = 1, not learned),
   * which is then fused into the loss (trained on its input, the logits).
   */
  loss: LossKind;
  /** Default adam(). */
  optimizer?: OptimizerSpec;
  /** Default ['accuracy'] for the cross-entropies, [] for mse. */
  metrics?: readonly MetricName[];
}

/** A host matrix: rows × cols float32 values, row-major. */
export interface HostMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** Inputs: a [N, d] tensor (used in place), nested rows, or a host matrix. */
export type Inputs = Tensor | HostMatrix | readonly Row[];

/**
 * Targets: like Inputs ([N, outputs]: one-hot or probability rows for
 * softmaxCrossEntropy, values in [0, 1] for binaryCrossEntropy), or one number per row:
 * a class index in 0..outputs−1 for softmaxCrossEntropy, the target itself when the model
 * has a single output.
 */
export type Targets = Inputs | readonly number[] | Float32Array | Int32Array | Uint8Array;

export interface BatchInfo {
  epoch: number;
  /** Step within the epoch, 0-based. */
  step: number;
  /** Rows in this batch (the last one may be smaller). */
  rows: number;
}

export interface FitOptions {
  /** Passes over the training data; default 1. */
  epochs?: number;
  /** Rows per step; default 32 (capped at the number of training rows). */
  batchSize?: number;
  /** Shuffle the rows each epoch (seeded); default true. */
  shuffle?: boolean;
  /**
   * Seed of the shuffles. Epoch e's permutation is drawn from a seed mixed from (seed, e), so
   * distinct seeds share no epoch's order. Default: where the model's last fit left off (its
   * seed, at the epoch it ended at, or for a fit that failed the epochs it kept; the model's
   * seed at epoch 0 at first), so calls in a row shuffle on (two fit({ epochs: 1 }) calls
   * shuffle as one fit({ epochs: 2 }) does, a resumed run as the uninterrupted one) instead
   * of repeating one order; a given seed makes the call's shuffles its own (from its epoch 0).
   */
  seed?: number;
  /**
   * Hold out this share of the rows, in (0, 1), for validation: the LAST rows, before any
   * shuffling (Keras' rule: the first ⌊N·(1 − split)⌋ rows train).
   */
  validationSplit?: number;
  /** Held-out data evaluated after each epoch (instead of validationSplit). */
  validationData?: readonly [Inputs, Targets];
  /** Keep every step's loss (GPU-resident, read once per epoch) in history.stepLosses. */
  recordStepLosses?: boolean;
  /**
   * After each step is submitted. Gets no loss (reading it would stall the GPU).
   * May return a promise (awaited).
   */
  onBatchEnd?: (info: BatchInfo) => void | Promise<void>;
  /** After each epoch with its logs; return false (or a promise of false) to stop training. */
  onEpochEnd?: (logs: EpochLogs) => void | boolean | Promise<void | boolean>;
  /**
   * Write a checkpoint (parameters + optimizer state + the run's position, one safetensors
   * file, replaced atomically) after every `every`-th epoch of the run (default 1) and after
   * its last epoch, to `to`: a file path (Node), 'opfs:name' or 'idb:name' (browser), or a
   * { write(bytes), read() } store. Written after onEpochEnd (with the rate a schedule there
   * set), also at an epoch where onEpochEnd stops the run (the run can be resumed).
   */
  checkpoint?: CheckpointOptions;
  /**
   * Continue the run saved in a checkpoint (bytes, a path, 'opfs:name', 'idb:name' or a
   * store): restores the parameters and optimizer state and runs epochs
   * epochs_completed..epochs−1 — `epochs` counts the WHOLE run — with the run's seed,
   * shuffle and batch size (giving different ones is an error), so the losses equal those
   * of an uninterrupted run. The architecture, loss, optimizer and training rows (their number,
   * and their values: a CRC-32 the checkpoint records) must match (ValueError otherwise; the
   * model is left unchanged).
   */
  resumeFrom?: Uint8Array | CheckpointTarget;
  /**
   * Accept NaN/±Inf in the inputs (and the targets, for fit/evaluate) instead of throwing a
   * ValueError naming the first one by row and column; default false. Class labels must
   * still be valid integers.
   */
  allowNonFinite?: boolean;
  /**
   * Device-loss recovery (default on): when the GPU device is lost, fit gets a new device
   * (or the CPU: `fallbackToCpu`, default true; `backend: 'cpu'` goes straight there),
   * restores the parameters and optimizer state of the end of the last completed epoch and
   * re-runs the interrupted epoch; history.events records it. The same host copy undoes the
   * steps of an epoch that fails for another reason (a callback that throws). false: no host
   * copy; a loss rejects fit, and a failure part-way keeps the steps already taken.
   */
  recovery?: RecoveryOption;
}

export interface EpochLogs {
  /** 0-based epoch number of the run (within this fit() call; a resumed run continues the checkpoint's count). */
  epoch: number;
  /** Mean training loss over the epoch's samples (the loss as the optimizer saw it, batch by batch). */
  loss: number;
  /** Training accuracy over the epoch (when the accuracy metric is on). */
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /**
   * √(mean over the epoch's steps of ‖∂L/∂W‖²) for each dense layer, input to output
   * (the per-layer gradient size to watch for vanishing gradients).
   */
  gradNorms: number[];
  /** α of every sigmoid layer, input to output (after the epoch's updates). */
  alphas: number[];
  /** Steps (batches) in the epoch. */
  steps: number;
  /** Wall-clock seconds of the epoch's training (validation excluded). */
  seconds: number;
  /**
   * Training rows / seconds. Infinity when the epoch took less than the clock's resolution
   * (a page's performance.now() is coarsened to 0.1 ms or more): average over epochs for a rate.
   */
  samplesPerSecond: number;
}

export interface History {
  /** One entry per epoch run. */
  epochs: EpochLogs[];
  /** Per-epoch columns, for plotting. */
  loss: number[];
  accuracy?: number[];
  valLoss?: number[];
  valAccuracy?: number[];
  /** Every step's loss, all epochs in order (only with recordStepLosses). */
  stepLosses?: number[];
  /** True when onEpochEnd stopped training before `epochs`. */
  stoppedEarly: boolean;
  /**
   * What happened to the run besides training: a device loss that fit recovered from
   * (`{ epoch, kind: 'device-lost', message, recoveredOn }`, see src/nn/recovery.ts).
   * Empty when nothing happened (absent with `recovery: false`).
   */
  events?: TrainingEvent[];
}

export interface EvaluateOptions {
  /**
   * Rows per forward pass. Default: 1024 on WebGPU; on the CPU backend batches of about
   * 8·10⁶ multiply-adds (10–20 ms), between which it yields, as predict() does. The loss is
   * the batches' loss sums added in float64 (past 4096 batches a few share a float32 slot
   * first), so the batching moves it only in its last bits.
   */
  batchSize?: number;
  /**
   * Accept NaN/±Inf in the inputs (and the targets, for fit/evaluate) instead of throwing a
   * ValueError naming the first one by row and column; default false. Class labels must
   * still be valid integers.
   */
  allowNonFinite?: boolean;
}

export interface EvaluateResult {
  /** Mean loss over the samples (as in EpochLogs.loss). */
  loss: number;
  /** When the model was compiled with the accuracy metric. */
  accuracy?: number;
  /** Number of rows evaluated. */
  samples: number;
}

export interface PredictOptions {
  /**
   * Rows per forward pass. Default: all rows at once when the widest activation fits in
   * 64 MiB, else batches of that size (their outputs are assembled on the host); on the CPU
   * backend batches of at most about 8·10⁶ multiply-adds (10–20 ms), between which it yields.
   */
  batchSize?: number;
  /**
   * Accept NaN/±Inf in host inputs (number[][] or { rows, cols, data }) instead of throwing
   * a ValueError naming the first one by row and column; default false. Tensor inputs are
   * device data and are not scanned (engine.tensor accepts any float32).
   */
  allowNonFinite?: boolean;
}

/** A named parameter tensor of a model (owned by the model: don't dispose it). */
export interface NamedParameter {
  /** safetensors name: layers.{i}.weight | layers.{i}.bias | layers.{i}.alpha. */
  name: string;
  tensor: Tensor;
}
