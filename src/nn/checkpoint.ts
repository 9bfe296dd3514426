// Training checkpoints: fit(..., { checkpoint: { every: N, to } }) writes the model's
// parameters AND the optimizer's state after every N-th epoch of the run (and after its
// last epoch, also when onEpochEnd stops it early); fit(..., { resumeFrom }) restores them and continues at the next epoch, so
// the resumed run's losses are those of an uninterrupted one.
//
// A checkpoint is one safetensors file (see safetensors.ts):
//   layers.{i}.weight / .bias / .alpha         the parameters, as model.save() writes them
//   optimizer.{parameter}.m / .v               Adam's moments (one pair per parameter)
//   optimizer.{parameter}.velocity             SGD's momentum buffer (momentum > 0 only)
// and in __metadata__ (all strings):
//   format "sigmoid-core", format_version "1", layers (JSON), seed (the model's), loss
//   checkpoint "sigmoid-core-checkpoint", checkpoint_version "3"
//   optimizer         JSON of the OptimizerSpec
//   optimizer_steps   updates done so far (Adam's bias-correction step)
//   epochs_completed  epochs of the run done (the next one to run is this index)
//   fit               JSON { seed, shuffleEpoch, shuffle, batchSize, trainRows, epochs }: the
//                     shuffle's "RNG state" — epoch e's row order is rowPermutation(trainRows,
//                     mixSeed(seed, shuffleEpoch + e), shuffle) (fit.ts's ShuffleStream), so
//                     they and the epoch index fix it exactly.
//   train_x_crc32     CRC-32 of the training rows fit trained on, as little-endian float32
//   train_y_crc32     (rows 0..trainRows−1 of x, and of y as the model takes it: class labels
//                     as one-hot rows), so a resume on other data with the same row count is
//                     refused. Taken from the host copy fit makes of its data anyway (a device
//                     tensor is read back once per fit to be validated): once per fit, only
//                     with checkpoint or resumeFrom, and no readback of its own.
//   data_crc32        CRC-32 of the data part, and
//   metadata_crc32    CRC-32 of every other __metadata__ entry (both: encodeSafetensors'
//                     checksum option; every reader checks them): a damaged data part, or a
//                     header value edited or damaged, is refused instead of resumed from.
// Version "2" added metadata_crc32 and train_*_crc32 and requires them (a file stripped of
// them is refused). Version "1" files (without them) are still read, their header and data
// unchecked; a version "1" reader refuses "2", which it would resume without those checks.
// Version "3" mixes the seed and the epoch (fit.shuffleEpoch, required) where the versions
// before took epoch e's order from seed + e + 1000003, which made seed s + 1 shuffle as seed s
// one epoch later: "1" and "2" files still resume (shuffleEpoch 0), with this version's orders
// for the epochs left, and a version "2" reader refuses "3", which it would shuffle the old way.
// The values are read back with ONE readback per checkpoint: every tensor is copied into
// slots of one device vector first (engine.axpyInto at an offset, exact: 0 + 1·x = x).

import { ValueError } from '../errors.js';
import { checkFiniteEntries, describeValue, MAX_SEED, optionKeys, optionsObject } from '../validate.js';
import type { Tensor } from '../tensor.js';
import type { LossKind } from '../types.js';
import { type CheckpointStore, CheckpointStoreError, type CheckpointTarget, checkpointStore, isStore } from './checkpoint-store.js';
import type { ResolvedFitOptions, ShuffleStream, TrainContext } from './fit.js';
import { canonicalOptimizer } from './optimizers.js';
import { checkFormatVersion, crc32Floats, encodeSafetensors, metadataSeed, modelMetadata, parseSafetensors, type SafetensorEntry } from './safetensors.js';
import { checkedWeights, checkSameArchitecture } from './sequential.js';
import type { FitOptions, LayerSpec, OptimizerSpec } from './types.js';

export const CHECKPOINT_TAG = 'sigmoid-core-checkpoint';
export const CHECKPOINT_VERSION = '3';
/** The checkpoint_versions this version reads (see the header). */
const READABLE_VERSIONS = ['1', '2', CHECKPOINT_VERSION];

/** The fit settings that fix the run's batches (stored so a resumed run repeats them). */
export interface CheckpointFitState extends ShuffleStream {
  shuffle: boolean;
  batchSize: number;
  trainRows: number;
  /** The epochs the run was asked for. */
  epochs: number;
}

/** CRC-32s (8 hex digits) of the training rows' float32 values, x and y (see the header). */
export interface TrainDataFingerprint {
  x: string;
  y: string;
}

/** The training rows fit trains on (host values, rows 0..rows−1 of x and y). */
export interface TrainRows {
  rows: number;
  x: Float32Array;
  y: Float32Array;
}

/** A parsed checkpoint. */
export interface Checkpoint {
  layers: LayerSpec[];
  modelSeed: number;
  loss: string;
  optimizer: OptimizerSpec;
  optimizerSteps: number;
  epochsCompleted: number;
  fit: CheckpointFitState;
  /** The training data's fingerprint; null in a checkpoint_version "1" file (none recorded). */
  trainData: TrainDataFingerprint | null;
  /** Every tensor of the file by name (parameters and optimizer.* state). */
  tensors: Map<string, SafetensorEntry>;
}

/** What the model knows about itself, for writing and checking checkpoints. */
export interface ModelInfo {
  layers: readonly LayerSpec[];
  seed: number;
  loss: LossKind;
  optimizer: OptimizerSpec;
}

/** The optimizer state's tensor name for a parameter and a slot ('m', 'v', 'velocity'). */
export function stateName(param: string, slot: string): string {
  return `optimizer.${param}.${slot}`;
}

// ---- writing ---------------------------------------------------------------------------

/** The checkpoint bytes of the model in `ctx` now (one readback). */
export async function checkpointBytes(
  ctx: TrainContext, model: ModelInfo, fit: CheckpointFitState, data: TrainDataFingerprint, epochsCompleted: number,
): Promise<Uint8Array> {
  const e = ctx.engine;
  const opt = ctx.optimizer;
  const slots = opt.stateSlots;
  const state = opt.stateTensors();
  const items: { name: string; shape: number[]; tensor: Tensor }[] = [];
  ctx.net.params.forEach((p) => items.push({ name: p.name, shape: [...p.shape], tensor: p.tensor }));
  if (slots.length > 0) {
    if (state === null) throw new ValueError('checkpoint: the optimizer has no state yet (no training step was run)');
    ctx.net.params.forEach((p, i) => slots.forEach((slot, k) => items.push({ name: stateName(p.name, slot), shape: [...p.shape], tensor: state[i]![k]! })));
  }
  const total = items.reduce((s, it) => s + it.tensor.size, 0);
  const all = e.zeros([total]);
  let values: Float32Array;
  try {
    let offset = 0;
    for (const it of items) {
      e.axpyInto(all, it.tensor, 1, offset);
      offset += it.tensor.size;
    }
    e.flush();
    values = await all.read();
  } finally {
    all.dispose();
  }
  let offset = 0;
  const entries: SafetensorEntry[] = items.map((it) => {
    const data = values.subarray(offset, offset + it.tensor.size);
    offset += it.tensor.size;
    return { name: it.name, shape: it.shape, data };
  });
  // A diverged run (NaN/±Inf weights or optimizer state) is not written: resumeFrom and
  // load refuse such a file, and writing it would replace the last good checkpoint.
  const where = `checkpoint at ${epochsCompleted} epochs completed`;
  const why = ': training diverged (lower the learning rate); the checkpoint was not written, the last one written is kept';
  for (const en of entries) checkFiniteEntries(where, en.name, en.data, why);
  const metadata: Record<string, string> = {
    ...modelMetadata(model.layers, model.seed, model.loss),
    checkpoint: CHECKPOINT_TAG,
    checkpoint_version: CHECKPOINT_VERSION,
    optimizer: JSON.stringify(model.optimizer),
    optimizer_steps: String(opt.steps),
    epochs_completed: String(epochsCompleted),
    fit: JSON.stringify(fit),
    train_x_crc32: data.x,
    train_y_crc32: data.y,
  };
  return encodeSafetensors(entries, metadata, { checksum: true });
}

// ---- reading ---------------------------------------------------------------------------

/** Parses checkpoint bytes; a truncated, foreign or malformed file throws a ValueError saying what is wrong. */
export function parseCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (err) {
    if (err instanceof ValueError) throw new ValueError(`${source}: not a readable checkpoint: ${err.message}`);
    throw err;
  }
  const m = file.metadata;
  if (m.checkpoint !== CHECKPOINT_TAG) {
    throw new ValueError(
      `${source}: not a sigmoid-core checkpoint (no checkpoint: "${CHECKPOINT_TAG}" in __metadata__)` +
        (m.format === 'sigmoid-core' ? '; it is a model saved by model.save() (weights only): load it with model.load(bytes)' : ''),
    );
  }
  if (!READABLE_VERSIONS.includes(m.checkpoint_version ?? '')) {
    throw new ValueError(
      `${source}: checkpoint_version ${JSON.stringify(m.checkpoint_version)} is not supported (this version reads ${READABLE_VERSIONS.map((v) => `"${v}"`).join(', ')})`,
    );
  }
  // parseSafetensors checked it when present; from version 2 on it must be, with the data's fingerprint.
  const v1 = m.checkpoint_version === '1';
  for (const key of v1 ? [] : ['metadata_crc32', 'train_x_crc32', 'train_y_crc32']) {
    if (m[key] === undefined) throw new ValueError(`${source}: __metadata__.${key} is missing (checkpoint_version ${m.checkpoint_version} always writes it: the header was edited)`);
    if (!/^[0-9a-f]{8}$/.test(m[key]!)) throw new ValueError(`${source}: __metadata__.${key} must be 8 hex digits, got ${JSON.stringify(m[key])}`);
  }
  checkFormatVersion(m); // the model layout inside it
  const json = (key: string): unknown => {
    if (m[key] === undefined) throw new ValueError(`${source}: __metadata__.${key} is missing`);
    try {
      return JSON.parse(m[key]!);
    } catch {
      throw new ValueError(`${source}: __metadata__.${key} is not valid JSON`);
    }
  };
  const int = (key: string): number => {
    const v = m[key];
    if (v === undefined || !/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw new ValueError(`${source}: __metadata__.${key} must be an integer, got ${JSON.stringify(v)}`);
    }
    return Number(v);
  };
  const layers = json('layers');
  if (!Array.isArray(layers)) throw new ValueError(`${source}: __metadata__.layers must be a JSON list of layer specs`);
  const optimizerJson = json('optimizer');
  let optimizer: OptimizerSpec;
  try {
    optimizer = canonicalOptimizer(optimizerJson);
  } catch (err) {
    throw new ValueError(`${source}: __metadata__.optimizer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fit = json('fit') as CheckpointFitState;
  // Versions before "3" had no shuffleEpoch: their seed alone stood for the stream (0 here).
  const before3 = m.checkpoint_version !== CHECKPOINT_VERSION;
  if (
    typeof fit !== 'object' || fit === null || !Number.isSafeInteger(fit.seed) || typeof fit.shuffle !== 'boolean' ||
    !(Number.isInteger(fit.batchSize) && fit.batchSize > 0) || !(Number.isInteger(fit.trainRows) && fit.trainRows > 0) ||
    !(Number.isInteger(fit.epochs) && fit.epochs > 0 && fit.epochs <= MAX_SEED) ||
    // At most MAX_SEED each, so shuffleEpoch + epoch (mixSeed's index) stays a safe integer.
    !(before3 || (Number.isInteger(fit.shuffleEpoch) && fit.shuffleEpoch >= 0 && fit.shuffleEpoch <= MAX_SEED))
  ) {
    const fields = before3 ? 'seed, shuffle' : 'seed, shuffleEpoch, shuffle';
    throw new ValueError(`${source}: __metadata__.fit must be { ${fields}, batchSize, trainRows, epochs }, got ${m.fit}`);
  }
  if (before3) fit.shuffleEpoch = 0;
  const optimizerSteps = int('optimizer_steps');
  const epochsCompleted = int('epochs_completed');
  if (optimizerSteps < 0 || epochsCompleted < 1) throw new ValueError(`${source}: optimizer_steps ${optimizerSteps} / epochs_completed ${epochsCompleted} out of range`);
  if (typeof m.loss !== 'string') throw new ValueError(`${source}: __metadata__.loss is missing`);
  return {
    layers: layers as LayerSpec[],
    modelSeed: metadataSeed(m),
    loss: m.loss,
    optimizer,
    optimizerSteps,
    epochsCompleted,
    fit,
    trainData: v1 ? null : { x: m.train_x_crc32!, y: m.train_y_crc32! },
    tensors: new Map(file.tensors.map((t) => [t.name, t])),
  };
}

/** Reads a checkpoint from bytes, a path (Node), 'opfs:name', 'idb:name' or a store. */
export async function readCheckpoint(from: Uint8Array | CheckpointTarget): Promise<Checkpoint> {
  if (from instanceof Uint8Array) return parseCheckpoint(from, 'resumeFrom');
  const store = checkpointStore(from);
  return parseCheckpoint(await store.read(), `resumeFrom ${store.name ?? '(store)'}`);
}

function describeOptimizer(o: OptimizerSpec): string {
  const { kind, ...rest } = o;
  return `${kind}(${Object.entries(rest).map(([k, v]) => `${k} ${v}`).join(', ')})`;
}

/** The fingerprint of a fit's training rows (one CRC pass over each). */
export function trainDataFingerprint(train: TrainRows): TrainDataFingerprint {
  return { x: crc32Floats([train.x]), y: crc32Floats([train.y]) };
}

/**
 * Checks a checkpoint against the model (architecture, loss, optimizer, tensors) and the
 * fit (data rows and values, batch size, seed, shuffle, epochs); returns the host values to restore.
 * Throws a ValueError naming the mismatch; nothing is changed.
 */
export function checkResume(
  ck: Checkpoint, model: ModelInfo, params: readonly { name: string; shape: readonly number[] }[], slots: readonly string[],
  fit: { given: FitOptions; epochs: number; trainRows: number; data: TrainDataFingerprint },
): { weights: Map<string, Float32Array>; state: Float32Array[][] } {
  const src = 'resumeFrom';
  try {
    checkSameArchitecture(model.layers, JSON.stringify(ck.layers));
  } catch (err) {
    throw new ValueError(`${src}: ${err instanceof Error ? err.message.replace(/^safetensors: /, '') : String(err)}`);
  }
  if (ck.loss !== model.loss) throw new ValueError(`${src}: the checkpoint was trained with loss ${ck.loss}, the model is compiled with ${model.loss}`);
  const a = describeOptimizer(ck.optimizer);
  const b = describeOptimizer(model.optimizer);
  if (a !== b) {
    const rateOnly = describeOptimizer({ ...ck.optimizer, lr: model.optimizer.lr }) === b;
    const hint = rateOnly ? ` (only the rate differs: call model.setLearningRate(${ck.optimizer.lr}) before resuming)` : '';
    throw new ValueError(`${src}: the checkpoint's optimizer is ${a} but the model is compiled with ${b}${hint}`);
  }
  const f = ck.fit;
  if (fit.trainRows !== f.trainRows) {
    throw new ValueError(`${src}: the checkpoint's run trained on ${f.trainRows} rows, this fit has ${fit.trainRows} (resume on the same data, with the validationSplit or validationData the run had)`);
  }
  const recorded = ck.trainData;
  const differ = recorded === null ? [] : (['x', 'y'] as const).filter((k) => fit.data[k] !== recorded[k]);
  if (differ.length > 0) {
    const what = differ.length === 2 ? 'inputs x and targets y' : differ[0] === 'x' ? 'inputs x' : 'targets y';
    const crcs = differ.map((k) => `${k} ${fit.data[k]}, the checkpoint's ${recorded![k]}`).join('; ');
    throw new ValueError(
      `${src}: the training ${what} are not those of the checkpoint's run (the same ${f.trainRows} rows, other values): ` +
        `CRC-32 of their float32 values ${crcs}. Resume on the data the run trained on; to start a fresh run on this data, ` +
        'leave out resumeFrom (calling model.load(checkpoint) first starts it from the weights, without the optimizer state and epoch count)',
    );
  }
  for (const key of ['seed', 'shuffle', 'batchSize'] as const) {
    const v = fit.given[key];
    if (v !== undefined && v !== f[key]) {
      throw new ValueError(`${src}: the checkpoint's run used ${key} ${describeValue(f[key])}, this fit asks for ${describeValue(v)} (leave ${key} out to continue the run)`);
    }
  }
  if (fit.epochs <= ck.epochsCompleted) {
    throw new ValueError(
      `${src}: the checkpoint has already completed ${ck.epochsCompleted} epochs; epochs counts the whole run, so ask for more than ${ck.epochsCompleted}`,
    );
  }
  const stateNames = new Set(params.flatMap((p) => slots.map((s) => stateName(p.name, s))));
  const paramEntries = [...ck.tensors.values()].filter((t) => !stateNames.has(t.name));
  const weights = checkedWeights(params as Parameters<typeof checkedWeights>[0], paramEntries);
  const state = params.map((p) =>
    slots.map((slot) => {
      const name = stateName(p.name, slot);
      const t = ck.tensors.get(name);
      if (t === undefined) throw new ValueError(`${src}: the checkpoint has no ${name} (the ${ck.optimizer.kind} state of ${p.name})`);
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
        throw new ValueError(`${src}: ${name} has shape [${t.shape.join(', ')}] but ${p.name} is [${p.shape.join(', ')}]`);
      }
      checkFiniteEntries(src, name, t.data);
      // Adam's second moment is a running mean of squares: a negative one gives NaN steps.
      const negative = slot === 'v' ? t.data.findIndex((v) => v < 0) : -1;
      if (negative >= 0) throw new ValueError(`${src}: ${name} element ${negative} is ${t.data[negative]} (Adam's v cannot be negative)`);
      return t.data;
    }),
  );
  return { weights, state };
}

/** Uploads checked values and swaps them into the model and its optimizer (all or nothing). */
export function restoreCheckpoint(ctx: TrainContext, values: { weights: Map<string, Float32Array>; state: Float32Array[][] }, steps: number): void {
  const e = ctx.engine;
  const params = ctx.net.params;
  const made: Tensor[] = [];
  let fresh: Tensor[];
  let state: Tensor[][];
  try {
    fresh = params.map((p) => {
      const t = e.tensor(values.weights.get(p.name)!, p.shape);
      made.push(t);
      return t;
    });
    state = params.map((p, i) =>
      values.state[i]!.map((data) => {
        const t = e.tensor(data, p.shape);
        made.push(t);
        return t;
      }),
    );
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  ctx.optimizer.importState(state, steps);
  params.forEach((p, i) => {
    p.tensor.dispose();
    p.tensor = fresh[i]!;
  });
}

// ---- fit's hook ------------------------------------------------------------------------

/** fit's `checkpoint` option. */
export interface CheckpointOptions {
  /** Write after every `every`-th epoch of the run (epochs every, 2·every, …) and after the last (also one where onEpochEnd stops it); default 1. */
  every?: number;
  /** A file path (Node), 'opfs:name', 'idb:name' (browser) or a { write(bytes), read() } store. */
  to: CheckpointTarget;
}

const CHECKPOINT_KEYS = optionKeys<CheckpointOptions>()('every', 'to');

/** Checks fit's checkpoint / resumeFrom options (before anything else happens). */
export function checkCheckpointOptions(o: FitOptions): { every: number; store: CheckpointStore } | null {
  const r = o.resumeFrom;
  if (r !== undefined && !(r instanceof Uint8Array) && typeof r !== 'string' && !isStore(r)) {
    throw new ValueError(`resumeFrom must be checkpoint bytes, a path, 'opfs:name', 'idb:name' or a store with read(), got ${describeValue(r)}`);
  }
  const c = o.checkpoint;
  if (c === undefined) return null;
  if (typeof c !== 'object' || c === null) throw new ValueError('checkpoint must be { every?, to }');
  optionsObject('checkpoint', c, CHECKPOINT_KEYS, '{ every?, to }');
  const every = c.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new ValueError(`checkpoint.every must be a positive integer (epochs), got ${describeValue(every)}`);
  if (c.to === undefined) throw new ValueError("checkpoint.to is missing: give a file path, 'opfs:name', 'idb:name' or a store");
  return { every, store: checkpointStore(c.to) };
}

/**
 * Sets up a fit's checkpoints (after the data is validated): reads and checks resumeFrom
 * (continuing its epochs, seed, shuffle and batch size in `o`) and hooks `writer` (what
 * checkCheckpointOptions returned for `given`) into `o.checkpoint`; `train` is fingerprinted
 * once, only when either is given. Returns what to call on the train context right before the loop.
 */
export async function setUpCheckpoints(
  given: FitOptions, writer: ReturnType<typeof checkCheckpointOptions>, o: ResolvedFitOptions, model: ModelInfo, train: TrainRows,
  params: readonly { name: string; shape: readonly number[] }[], slots: readonly string[],
): Promise<(ctx: TrainContext) => void> {
  let restore = (_ctx: TrainContext): void => {};
  if (given.resumeFrom === undefined && writer === null) return restore;
  const trainRows = train.rows;
  const data = trainDataFingerprint(train);
  if (given.resumeFrom !== undefined) {
    const ck = await readCheckpoint(given.resumeFrom);
    const values = checkResume(ck, model, params, slots, { given, epochs: o.epochs, trainRows, data });
    o.seed = ck.fit.seed;
    o.shuffleEpoch = ck.fit.shuffleEpoch;
    o.shuffle = ck.fit.shuffle;
    o.batchSize = ck.fit.batchSize;
    o.startEpoch = ck.epochsCompleted;
    restore = (ctx) => restoreCheckpoint(ctx, values, ck.optimizerSteps);
  }
  if (writer !== null) {
    const store = writer.store;
    await storeCall(store, 'before the first epoch', () => store.checkWritable?.());
    const fit: CheckpointFitState = {
      seed: o.seed, shuffleEpoch: o.shuffleEpoch, shuffle: o.shuffle, batchSize: o.batchSize, trainRows, epochs: o.epochs,
    };
    o.checkpoint = {
      every: writer.every,
      save: async (ctx, epochsCompleted) => {
        const bytes = await checkpointBytes(ctx, model, fit, data, epochsCompleted);
        await storeCall(store, `after ${epochsCompleted} epochs`, () => store.write(bytes));
      },
    };
  }
  return restore;
}

/**
 * A store's write (or checkWritable), its failure a CheckpointStoreError naming the checkpoint
 * and when (a store of your own threw "disk full" bare); the library's own stores already say so.
 */
async function storeCall(store: CheckpointStore, when: string, call: () => Promise<void> | void): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (err instanceof CheckpointStoreError) throw err;
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new CheckpointStoreError(`cannot write the checkpoint ${store.name ?? '(your store)'} ${when}: ${why}`, { cause: err });
  }
}
