// The training and evaluation loops. The data is on the device (uploaded once per call);
// each epoch uploads one small index tensor (the seeded shuffle). A training step is
// gather batch → forward → engine.lossGrad → backward → optimizer updates → accumulate
// the step's loss·rows, ‖∂L/∂W‖² and correct count (each in a slot of its own: batch-sums.ts)
// into one stats vector ON THE DEVICE (engine.axpyInto with an offset) →
// engine.flush(): one queue submission per step
// and no readback inside an epoch (on WebGPU a fence now and then keeps the steps submitted
// and not yet run to a short backlog: backlog.ts). At the end of the epoch the learned α (and
// the recorded step losses, in their own slots) join the same vector, which is read once.
// Evaluation (and predict, in sequential.ts) yields between batches and then runs on a
// snapshot of the weights (inferenceBatches, InferencePauses).

import { mixSeed } from '../data/random.js';
import { checkRecoverOptions, type Engine } from '../engine.js';
import { DisposedError, GPUOpError, LimitError, ValueError } from '../errors.js';
import { yielder } from '../next-task.js';
import type { Tensor } from '../tensor.js';
import type { LossKind } from '../types.js';
import { checkOptionalFunction, checkPositiveInt, checkSeed, describeValue, optionalBoolean, optionKeys, optionsObject } from '../validate.js';
import { StepBacklog } from './backlog.js';
import { checkRowCount, HostRows, maxTensorBytes, type RowSource, rowsPerTensor, takeRows } from './data.js';
import { rowPermutation } from './init.js';
import { BatchSums } from './batch-sums.js';
import { isDeviceLoss, recoverFit, type RecoveryOption, TrainingRecovery } from './recovery.js';
import { modelMetadata } from './safetensors.js';
import type { Network, ParamTensors } from './network.js';
import type { Optimizer } from './optimizers.js';
import type { EpochLogs, EvaluateResult, FitOptions, History } from './types.js';

/** Which accuracy the model's loss implies (null: the metric is off). */
export type AccuracyKind = 'multiclass' | 'binary' | 'binaryHalf' | null;

/** What the loops need from a compiled model. */
export interface TrainContext {
  engine: Engine;
  net: Network;
  /** The model's seed, which its files record. */
  seed: number;
  loss: LossKind;
  /** Train/evaluate on the input of the final sigmoid (sigmoid + binaryCrossEntropy fused). */
  logits: boolean;
  accuracy: AccuracyKind;
  optimizer: Optimizer;
}

/**
 * Training data: rows 0..trainRows−1 of x/y train; validation optional. On the device, or
 * (a matrix too big for one device buffer) on the host, a batch uploaded per step (data.ts).
 */
export interface DeviceData {
  x: RowSource;
  y: RowSource;
  trainRows: number;
  validation: { x: RowSource; y: RowSource; start: number; rows: number } | null;
  /** Uploads the data again from its host copy (after a device loss: recovery.ts). */
  reupload?: () => DeviceData;
}

/**
 * Where a fit's row orders come from: epoch e of the run is shuffled by the seed
 * mixSeed(seed, shuffleEpoch + e), so distinct seeds draw unrelated orders (seed + e made
 * seed s + 1 shuffle as seed s one epoch later), and an unseeded fit continues the model's
 * last one (Sequential's #nextShuffle) as one longer fit would.
 */
export interface ShuffleStream {
  seed: number;
  /** The stream's index for the run's epoch 0: 0 for a fit given its seed. */
  shuffleEpoch: number;
}

export interface ResolvedFitOptions extends ShuffleStream {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  recordStepLosses: boolean;
  onBatchEnd: FitOptions['onBatchEnd'];
  onEpochEnd: FitOptions['onEpochEnd'];
  /** The run's first epoch index (> 0 when resuming from a checkpoint; see checkpoint.ts). */
  startEpoch: number;
  /** Device-loss recovery (recovery.ts); false: off. */
  recovery: RecoveryOption;
  /** Writes a checkpoint after every `every`-th epoch of the run and after the last (checkpoint.ts). */
  checkpoint: { every: number; save(ctx: TrainContext, epochsCompleted: number): Promise<void> } | null;
}

/** Number of correct predictions of a batch ([1]), or null when the metric is off. */
function countCorrect(ctx: TrainContext, pred: Tensor, target: Tensor, half: Tensor | null): Tensor | null {
  const e = ctx.engine;
  switch (ctx.accuracy) {
    case null:
      return null;
    case 'multiclass':
      return e.countCorrect('multiclass', pred, target);
    case 'binary':
      return e.countCorrect('binary', pred, target);
    case 'binaryHalf': {
      // mse with one output: predicted class is pred > 0.5 (a NaN pred − 0.5 stays NaN: never correct).
      const shifted = e.biasAdd(pred, half!);
      try {
        return e.countCorrect('binary', shifted, target);
      } finally {
        shifted.dispose();
      }
    }
  }
}

/** Elements compared per row by countCorrect. */
function accuracyPerRow(ctx: TrainContext, outputs: number): number {
  return ctx.accuracy === 'multiclass' ? 1 : outputs;
}

/** A [outputs] tensor of −0.5 for the 'binaryHalf' accuracy, else null. */
function makeHalf(ctx: TrainContext, outputs: number): Tensor | null {
  return ctx.accuracy === 'binaryHalf' ? ctx.engine.tensor(new Float32Array(outputs).fill(-0.5), [outputs]) : null;
}

/**
 * Slots of the per-epoch stats vector: [correct (BatchSums)..., learned α..., loss·rows
 * (BatchSums)..., ‖dW‖² (BatchSums) of each dense layer..., step losses...]. The count of
 * correct predictions has a slot per batch too: a float32 slot that every batch added to
 * lost counts past 2^24 (binary accuracy counts elements: rows × outputs).
 */

function disposeAll(ts: readonly (Tensor | null | undefined)[]): void {
  for (const t of ts) t?.dispose();
}

/** The model's host copy around a fit (Sequential's, which model.recover() restores from). */
export interface HostCopyHooks {
  /** The copy the model's last fit left, when it still holds the model's state (null: none, or a resume replaces the state). */
  previous: TrainingRecovery | null;
  /** Called right before the first step: from then on the state leaves the model's copy. */
  leaving: () => void;
}

/**
 * Trains `ctx` on `data`. `restore` (a checkpoint's state for resumeFrom) runs once the data
 * has passed the loop's own checks, so a refused fit leaves the model as it was. `kept` is
 * told the epochs of the run the model's state has completed whenever that changes for
 * good (the checkpoint restored, an epoch's steps done): what it keeps if the fit fails later.
 */
export async function fitLoop(
  ctx: TrainContext, data: DeviceData, o: ResolvedFitOptions, restore: (ctx: TrainContext) => void,
  kept: (epochsCompleted: number) => void, copy: HostCopyHooks,
): Promise<{ history: History; hostCopy: TrainingRecovery | null }> {
  const e = ctx.engine;
  const net = ctx.net;
  const outputs = data.y.cols;
  const n = data.trainRows;
  const bs = Math.min(o.batchSize, n);
  const steps = Math.ceil(n / bs);
  const learnedAlphas = net.params.filter((p) => p.name.endsWith('.alpha'));
  const nDense = net.denseLayers.length;
  const correctSums = new BatchSums(0, steps);
  const alphaSlot = correctSums.end;
  const lossSums = new BatchSums(alphaSlot + learnedAlphas.length, steps);
  const gradSums: BatchSums[] = [];
  for (let i = 0; i < nDense; i++) gradSums.push(new BatchSums(gradSums[i - 1]?.end ?? lossSums.end, steps));
  const sums = { correct: correctSums, loss: lossSums, grads: gradSums };
  const stepSlot = gradSums[nDense - 1]?.end ?? lossSums.end;
  const statsLength = stepSlot + (o.recordStepLosses ? steps : 0);
  const history: History = { epochs: [], loss: [], stoppedEarly: false };
  if (ctx.accuracy !== null) history.accuracy = [];
  if (data.validation !== null) {
    history.valLoss = [];
    if (ctx.accuracy !== null) history.valAccuracy = [];
  }
  if (o.recordStepLosses) history.stepLosses = [];
  const fixedAlphas = new Map<number, number>();
  for (const i of net.sigmoidLayers) {
    const l = net.layers[i]!;
    if (l.kind === 'sigmoid' && !l.learnAlpha) fixedAlphas.set(i, l.alpha);
  }
  checkRowCount('the training data', n);
  for (const [name, src] of [['x', data.x], ['y', data.y]] as const) {
    // Rows kept on the host go up a batch at a time: a batch must fit in one device tensor.
    if (src instanceof HostRows && bs > rowsPerTensor(e, src.cols)) {
      throw new LimitError(
        `batchSize ${bs} × ${src.cols} columns of ${name} needs ${bs * src.cols * 4} bytes per batch, over the ${maxTensorBytes(e)} bytes ` +
          `one device tensor may hold here (the data is too big for one and stays on the host); use batchSize ≤ ${rowsPerTensor(e, src.cols)}`,
      );
    }
  }
  restore(ctx);
  if (o.startEpoch > 0) kept(o.startEpoch);
  ctx.optimizer.ensureState(net.params);
  const rec = o.recovery === false ? null : new TrainingRecovery(e, net, ctx.optimizer, o.recovery, modelMetadata(net.layers, ctx.seed, ctx.loss));
  // Made after the first host copy, which may throw (the finally below frees it): null until then.
  let half: Tensor | null = null;

  /**
   * `work` until it finishes without a device loss (recovery.ts): after a loss in `epoch`,
   * the last host copy is restored on a new backend and `work` runs again; other errors,
   * and every error with recovery off, propagate.
   */
  const untilNoLoss = async <T>(epoch: number, work: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await work();
      } catch (err) {
        if (rec === null || !isDeviceLoss(e, err)) throw err;
        // half is remade only once it exists (not for a loss during the first host copy).
        const remake = half === null ? () => null : () => makeHalf(ctx, outputs);
        ({ data, half } = await recoverFit(rec, epoch, err, data, remake));
      }
    }
  };

  if (rec !== null) {
    history.events = rec.events;
    // A loss while the first copy is read: the model's previous copy (its state now) goes up on
    // the recovered backend and the copy is taken again; without one the loss is thrown.
    if (copy.previous !== null) rec.adopt(copy.previous);
    await untilNoLoss(o.startEpoch, () => rec.capture());
  }
  copy.leaving();
  half = makeHalf(ctx, outputs);
  // Steps taken since the host copy: a failure now must undo them (below).
  let partEpoch = false;
  // The steps submitted and not yet run (WebGPU); it measures the GPU's time per step, so one per fit.
  const fences = new StepBacklog(() => e.sync());
  // The CPU backend never leaves the microtask queue: without this a fit starves timers and
  // (in a page) input until it ends.
  const maybeYield = yielder();
  try {
    for (let epoch = o.startEpoch; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      const values = await untilNoLoss(epoch, async () => {
        const snapshotSlots = rec?.slots ?? 0;
        let perm: Tensor | null = null;
        let stats: Tensor | null = null;
        // After a recovery the old fences belong to the lost device; on the CPU, whose ops
        // finish as they are recorded, none are needed.
        fences.drop();
        const backlog = e.backend === 'webgpu' ? fences : null;
        try {
          const order = rowPermutation(n, mixSeed(o.seed, o.shuffleEpoch + epoch), o.shuffle);
          const pm = (perm = e.tensor(order, [n]));
          const st = (stats = e.zeros([statsLength + snapshotSlots]));
          for (let s = 0; s < steps; s++) {
            const start = s * bs;
            const rows = Math.min(bs, n - start);
            partEpoch = true;
            trainStep(ctx, data, pm, order, start, rows, st, sums, s, o.recordStepLosses ? stepSlot + s : null, half);
            e.flush();
            const behind = backlog?.add();
            if (behind !== undefined) await behind; // a fence's GPU error or loss: as the epoch's read would throw it
            if (o.onBatchEnd) await o.onBatchEnd({ epoch, step: s, rows });
            const pause = maybeYield();
            if (pause !== undefined) await pause;
          }
          learnedAlphas.forEach((p, i) => e.axpyInto(st, p.tensor, 1, alphaSlot + i));
          rec?.append(st, statsLength);
          const read = await st.read();
          await backlog?.settle(); // run by now; an error a fence took (and the read did not) is thrown here
          await rec?.take(read, statsLength, epoch);
          partEpoch = false;
          return read;
        } catch (err) {
          // A stop thrown from onBatchEnd, or a step or the read that threw: a fence still
          // pending may take a GPU error that no later read would report (engine.sync reports
          // one to one caller), so they are waited for (at most about two intervals of work,
          // which a read after the stop waits for anyway) and such an error rejects fit instead.
          const taken = await backlog?.settle().then(() => null, (fenceErr: unknown) => fenceErr);
          if (taken instanceof GPUOpError && taken.kind !== 'device-lost' && !(err instanceof GPUOpError)) throw taken;
          throw err;
        } finally {
          disposeAll([perm, stats]);
        }
      });
      kept(epoch + 1); // a failure from here on (validation, checkpoint, onEpochEnd) keeps this epoch
      const seconds = (performance.now() - t0) / 1000;

      const logs: EpochLogs = {
        epoch,
        loss: lossSums.sum(values) / n,
        gradNorms: gradSums.map((g) => Math.sqrt(g.sum(values) / steps)),
        alphas: net.sigmoidLayers.map((layer) => {
          const fixed = fixedAlphas.get(layer);
          if (fixed !== undefined) return fixed;
          const k = learnedAlphas.findIndex((p) => p.name === `layers.${layer}.alpha`);
          return values[alphaSlot + k]!;
        }),
        steps,
        seconds,
        samplesPerSecond: n / seconds,
      };
      if (ctx.accuracy !== null) logs.accuracy = correctSums.sum(values) / (n * accuracyPerRow(ctx, outputs));
      if (o.recordStepLosses) history.stepLosses!.push(...values.subarray(stepSlot, stepSlot + steps));
      if (data.validation !== null) {
        const r = await untilNoLoss(epoch, () => {
          const v = data.validation!; // re-uploaded after a loss
          return evaluateLoop(ctx, v.x, v.y, v.start, v.rows, o.batchSize);
        });
        logs.valLoss = r.loss;
        if (r.accuracy !== undefined) logs.valAccuracy = r.accuracy;
        history.valLoss!.push(r.loss);
        if (r.accuracy !== undefined) history.valAccuracy!.push(r.accuracy);
      }
      history.epochs.push(logs);
      history.loss.push(logs.loss);
      if (logs.accuracy !== undefined) history.accuracy!.push(logs.accuracy);
      const checkpoint = o.checkpoint;
      // The checkpoint reads the parameters back: a loss there is recovered like one in
      // validation (the host copy already holds this epoch's end).
      const save = (): Promise<void> => untilNoLoss(epoch, () => checkpoint!.save(ctx, epoch + 1));
      const due = checkpoint !== null && ((epoch + 1) % checkpoint.every === 0 || epoch === o.epochs - 1);
      const stop = o.onEpochEnd !== undefined && (await o.onEpochEnd(logs)) === false && epoch < o.epochs - 1;
      // After onEpochEnd: the checkpoint records the rate a schedule there set for the next epoch
      // (written before it as well, a crash or throw in between left one that resumed at the old
      // rate), and the epoch a stop ends the run at, so that it can be resumed.
      if (checkpoint !== null && (due || stop)) await save();
      if (stop) {
        history.stoppedEarly = true;
        break;
      }
    }
  } catch (err) {
    // An epoch cut short (a callback that throws, a recovery that failed): the model goes
    // back to the end of the last completed epoch, as its history and checkpoints say.
    // Not when the model itself was disposed meanwhile: restoring would re-create its tensors.
    if (partEpoch && rec !== null && !e.lost && !net.disposed) {
      try {
        rec.restore();
      } catch {
        // The upload failed (a destroyed engine, out of memory): restore() changed nothing,
        // and the original error says what went wrong.
      }
    }
    throw err;
  } finally {
    half?.dispose();
  }
  // The host copy now holds the end of the last epoch: the model's state (null: recovery off).
  return { history, hostCopy: rec };
}

/**
 * Forward, loss gradient, backward and optimizer update of one batch, recorded (not
 * submitted). `temps` receives everything the step allocates, the mean loss [1] first and
 * then, when `onForward` asks for them, the tensors it makes from the forward output
 * (before the backward pass releases the layer caches); the caller disposes them all.
 * Returns the loss and the squared weight-gradient norms (when `weightNorms`).
 */
function recordStep(
  ctx: TrainContext, xb: Tensor, yb: Tensor, weightNorms: boolean, temps: (Tensor | null)[],
  onForward?: (out: Tensor) => void,
): { loss: Tensor; weightSqNorms: readonly Tensor[] } {
  const net = ctx.net;
  try {
    const out = net.forward(xb, { train: true, logits: ctx.logits });
    const { loss, grad } = ctx.engine.lossGrad(ctx.loss, out, yb);
    temps.push(loss, grad);
    onForward?.(out);
    // The weight and bias updates go into the epilogues of the dW matmuls and the bias
    // column sums when the optimizer allows it and nothing needs dW itself (the gradient
    // norms fit() reports do): no dW or db buffers.
    const sgd = weightNorms ? null : ctx.optimizer.fusedUpdate;
    const g = net.backward(grad, { logits: ctx.logits, weightNorms, sgd });
    temps.push(...g.grads, ...g.weightSqNorms);
    ctx.optimizer.update(net.params, g.grads);
    return { loss, weightSqNorms: g.weightSqNorms };
  } finally {
    net.releaseCaches();
  }
}

/** Step `step` of the fit loop, recorded; every tensor it makes is freed before it returns. */
function trainStep(
  ctx: TrainContext, data: DeviceData, perm: Tensor, order: Float32Array, start: number, rows: number,
  stats: Tensor, sums: { correct: BatchSums; loss: BatchSums; grads: readonly BatchSums[] }, step: number, stepLossSlot: number | null, half: Tensor | null,
): void {
  const e = ctx.engine;
  const temps: (Tensor | null)[] = [];
  try {
    const xb = takeRows(e, data.x, perm, order, start, rows);
    temps.push(xb);
    const yb = takeRows(e, data.y, perm, order, start, rows);
    temps.push(yb);
    let correct: Tensor | null = null;
    const { loss, weightSqNorms } = recordStep(ctx, xb, yb, true, temps, (out) => {
      correct = countCorrect(ctx, out, yb, half);
      temps.push(correct);
    });
    sums.loss.add(e, stats, loss, rows, step);
    if (correct !== null) sums.correct.add(e, stats, correct, 1, step);
    weightSqNorms.forEach((sq, i) => sums.grads[i]!.add(e, stats, sq, 1, step));
    if (stepLossSlot !== null) e.axpyInto(stats, loss, 1, stepLossSlot);
  } finally {
    disposeAll(temps);
  }
}

/**
 * One training step on a whole batch already on the device (Sequential.trainStep): one
 * submission. Returns the mean loss [1] (the caller's); nothing is read back.
 */
export function batchStep(ctx: TrainContext, x: Tensor, y: Tensor): Tensor {
  ctx.optimizer.ensureState(ctx.net.params);
  const temps: (Tensor | null)[] = [];
  try {
    const { loss } = recordStep(ctx, x, y, false, temps);
    temps.splice(temps.indexOf(loss), 1); // the caller's
    ctx.engine.flush();
    return loss;
  } finally {
    disposeAll(temps);
  }
}

/**
 * The pauses between the batches of an inference loop (evaluate, predict), where the CPU
 * backend would otherwise never leave the microtask queue: now and then a yield to the event
 * loop (yielder), and right before the first one a snapshot of the parameters, which the
 * forward passes of the later batches take as `weights`. The batches recorded before it saw
 * the same values (no await came between), so a fit or trainStep that steps during the yields
 * cannot change the weights one call sees. No yield (a GPU loop records fast): no copy.
 */
class InferencePauses {
  /** The snapshot for forward's `weights`; null until the first yield. */
  weights: ParamTensors | null = null;
  readonly #maybeYield = yielder();

  constructor(readonly net: Network) {}

  /**
   * Call between batches: a promise to await when it yields, else undefined (nothing to
   * await: a microtask hop would let a fit's continuation step unseen). The promise rejects
   * with DisposedError when the model was disposed meanwhile.
   */
  next(): Promise<void> | undefined {
    const pause = this.#maybeYield();
    if (pause === undefined) return undefined;
    this.weights ??= this.net.snapshot();
    return pause.then(() => {
      if (this.net.disposed) throw new DisposedError('the model was disposed while it ran');
    });
  }

  /** Frees the snapshot. */
  done(): void {
    for (const t of this.weights?.values() ?? []) t.dispose();
    this.weights = null;
  }
}

/** One batch of an inference pass (inferenceBatches): rows s..s+count−1 of the pass, its b-th batch. */
export interface InferenceBatch {
  s: number;
  count: number;
  b: number;
  /** These rows of `src` (rows start.. of the pass) gathered onto the device. */
  take(src: RowSource): Tensor;
  /** A forward pass (no training) on the weights the pass sees: a snapshot after its first yield. */
  forward(xb: Tensor, logits: boolean): Tensor;
}

/**
 * Calls `each` on the batches of `bs` rows of rows start..start+rows−1, yielding between them
 * (InferencePauses; rejects with its DisposedError); the index tensor and any snapshot are
 * freed at the end. The inference loop of evaluate and predict.
 */
export async function inferenceBatches(
  net: Network, start: number, rows: number, bs: number, each: (batch: InferenceBatch) => void,
): Promise<void> {
  const e = net.engine;
  const order = new Float32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = start + i;
  const idx = e.tensor(order, [rows]);
  const pauses = new InferencePauses(net);
  try {
    for (let s = 0, b = 0; s < rows; s += bs, b++) {
      const pause = s > 0 ? pauses.next() : undefined;
      if (pause !== undefined) await pause;
      const count = Math.min(bs, rows - s);
      each({
        s, count, b,
        take: (src) => takeRows(e, src, idx, order, s, count),
        forward: (xb, logits) => net.forward(xb, { train: false, logits, weights: pauses.weights }),
      });
    }
  } finally {
    idx.dispose();
    pauses.done();
  }
}

/**
 * Mean loss (and accuracy) over rows start..start+rows−1 of x/y, batch by batch, yielding
 * between them (inferenceBatches); one readback at the end.
 */
export async function evaluateLoop(
  ctx: TrainContext, x: RowSource, y: RowSource, start: number, rows: number, batchSize: number,
): Promise<EvaluateResult> {
  const e = ctx.engine;
  const outputs = y.cols;
  checkRowCount('the data to evaluate', start + rows);
  // Rows kept on the host: each batch is one upload, so it must fit in a device tensor.
  const cap = x instanceof HostRows ? rowsPerTensor(e, x.cols) : rows;
  const bs = Math.min(batchSize, rows, cap);
  // [correct (BatchSums)..., loss·rows (BatchSums)...], as fit's stats.
  const correctSums = new BatchSums(0, Math.ceil(rows / bs));
  const lossSums = new BatchSums(correctSums.end, Math.ceil(rows / bs));
  const stats = e.zeros([lossSums.end]);
  const half = makeHalf(ctx, outputs);
  try {
    await inferenceBatches(ctx.net, start, rows, bs, ({ count, b, take, forward }) => {
      const temps: (Tensor | null)[] = [];
      try {
        const xb = take(x);
        temps.push(xb);
        const yb = take(y);
        temps.push(yb);
        const out = forward(xb, ctx.logits);
        temps.push(out);
        const { loss, grad } = e.lossGrad(ctx.loss, out, yb);
        temps.push(loss, grad);
        const correct = countCorrect(ctx, out, yb, half);
        temps.push(correct);
        lossSums.add(e, stats, loss, count, b);
        if (correct !== null) correctSums.add(e, stats, correct, 1, b);
      } finally {
        disposeAll(temps);
      }
      e.flush();
    });
    const v = await stats.read();
    const result: EvaluateResult = { loss: lossSums.sum(v) / rows, samples: rows };
    if (ctx.accuracy !== null) result.accuracy = correctSums.sum(v) / (rows * accuracyPerRow(ctx, outputs));
    return result;
  } finally {
    disposeAll([half, stats]);
  }
}

/** fit's `recovery` (false is handled by the caller): engine.recover()'s options plus maxRecoveries. */
function checkRecovery(r: Exclude<RecoveryOption, false> | undefined): Exclude<RecoveryOption, false> {
  const o = checkRecoverOptions(r, 'recovery', 'recovery.', '{ maxRecoveries: 3 } (or false)', RECOVERY_KEYS) as Exclude<RecoveryOption, false>;
  if (o.maxRecoveries !== undefined && (!Number.isSafeInteger(o.maxRecoveries) || o.maxRecoveries < 0)) {
    throw new ValueError(`recovery.maxRecoveries must be an integer ≥ 0, got ${describeValue(o.maxRecoveries)}`);
  }
  return o;
}

const RECOVERY_KEYS = optionKeys<Exclude<RecoveryOption, false>>()('fallbackToCpu', 'backend', 'maxRecoveries', 'device');
const FIT_KEYS = optionKeys<FitOptions>()(
  'epochs', 'batchSize', 'shuffle', 'seed', 'validationSplit', 'validationData', 'recordStepLosses', 'onBatchEnd', 'onEpochEnd',
  'checkpoint', 'resumeFrom', 'allowNonFinite', 'recovery',
);

/**
 * Checks and defaults FitOptions (before anything is uploaded or trained); `modelShuffle` is
 * where the model's shuffles go on when the options give no seed.
 */
export function resolveFitOptions(o: FitOptions, modelShuffle: ShuffleStream): ResolvedFitOptions {
  o = optionsObject('fit', o, FIT_KEYS);
  const epochs = o.epochs ?? 1;
  const batchSize = o.batchSize ?? 32;
  checkPositiveInt('epochs', epochs);
  checkPositiveInt('batchSize', batchSize);
  if (o.seed !== undefined) checkSeed(o.seed);
  // Without a seed, the model's own (checked when it was built), shuffled on.
  const { seed, shuffleEpoch } = o.seed === undefined ? modelShuffle : { seed: o.seed, shuffleEpoch: 0 };
  if (o.validationSplit !== undefined) {
    const v = o.validationSplit;
    if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new ValueError(`validationSplit must be in (0, 1), got ${describeValue(v)}`);
    if (o.validationData !== undefined) throw new ValueError('give validationSplit or validationData, not both');
  }
  if (o.validationData !== undefined && (!Array.isArray(o.validationData) || o.validationData.length !== 2)) {
    throw new ValueError('validationData must be a pair [x, y]');
  }
  checkOptionalFunction('onBatchEnd', o.onBatchEnd);
  checkOptionalFunction('onEpochEnd', o.onEpochEnd);
  return {
    epochs, batchSize, seed, shuffleEpoch,
    shuffle: optionalBoolean('shuffle', o.shuffle, true),
    recordStepLosses: optionalBoolean('recordStepLosses', o.recordStepLosses, false),
    onBatchEnd: o.onBatchEnd, onEpochEnd: o.onEpochEnd, startEpoch: 0, checkpoint: null,
    recovery: o.recovery === false ? false : { ...checkRecovery(o.recovery) },
  };
}
