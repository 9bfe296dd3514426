// `sigmoid-core train`: a multilayer perceptron trained on a CSV file. The label column is
// found by header name (or 0-based index); integer labels make a classification task
// (binary cross-entropy with one output for 2 classes, softmax cross-entropy beyond),
// other labels a regression (mse). Held-out data comes from --test or from a seeded
// --test-split (stratified by class for a classification, random for a regression). Everything is read and checked before training starts; the
// model (with the preprocessing predict needs: label, classes, standardisation) is written
// last, atomically.

import { performance } from 'node:perf_hooks';
import { createEngine, describeAdapter } from '../create-engine.js';
import type { Matrix } from '../data/matrix.js';
import type { Task } from '../data/labels.js';
import type { Standardizer } from '../data/standardize.js';
import type { Engine } from '../engine.js';
import { ValueError } from '../errors.js';
import { MAX_FLOAT32 } from '../validate.js';
import { sameFile, writeAtomic } from '../io/files.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation, mlpLayers } from '../nn/layers.js';
import { adam, sgd } from '../nn/optimizers.js';
import { encodeSafetensors, parseSafetensors } from '../nn/safetensors.js';
import { sequential } from '../nn/sequential.js';
import type { EpochLogs, LayerSpec, OptimizerSpec, Targets } from '../nn/types.js';
import type { AdapterInfoSummary, BackendKind, LossKind } from '../types.js';
import { choiceFlag, type Command, type Flags, float32Flag, intFlag, numberFlag, outputFlag, quietIo, seedFlag, UsageError } from './args.js';
import { BACKEND_FLAG, backendFlag } from './info.js';
import { type Dataset, DATASET_FLAGS, fmtClasses, loadDataset } from './dataset.js';
import { fmtLoss, fmtRate, plural, Progress } from './progress.js';

const LOSSES = ['auto', 'mse', 'bce', 'softmax'] as const;
const LOSS_KIND: Record<Exclude<(typeof LOSSES)[number], 'auto'>, LossKind> = {
  mse: 'mse', bce: 'binaryCrossEntropy', softmax: 'softmaxCrossEntropy',
};
const OPTIMIZERS = ['adam', 'sgd'] as const;
const TASKS = ['auto', 'classification', 'regression'] as const;

const flags = {
  ...DATASET_FLAGS,
  test: { ...DATASET_FLAGS.test, help: 'held-out data with the same columns (evaluated after every epoch)' },
  standardize: { ...DATASET_FLAGS.standardize, help: 'scale features to mean 0, std 1 with the training statistics (saved with the model)' },
  hidden: { type: 'string', value: '64,32', help: 'hidden layer widths, comma-separated (default 64; "none": no hidden layer)' },
  activation: { type: 'string', value: 'A', help: `hidden activation: ${HIDDEN_ACTIVATIONS.join(', ')} (default sigmoid)` },
  alpha: { type: 'string', value: 'α', help: 'sigmoid scale: σ(α·x) (default 1)' },
  'learn-alpha': { type: 'boolean', help: 'train α of each sigmoid layer' },
  loss: { type: 'string', value: 'L', help: 'auto (default: bce for 2 classes, softmax for more, mse for regression), mse, bce, softmax' },
  optimizer: { type: 'string', value: 'adam|sgd', help: 'default adam' },
  lr: { type: 'string', value: 'LR', help: 'learning rate (default 0.001 for adam, 0.01 for sgd)' },
  momentum: { type: 'string', value: 'M', help: 'sgd momentum in [0, 1) (default 0)' },
  'weight-decay': { type: 'string', value: 'WD', help: 'L2 penalty on the weights (default 0)' },
  epochs: { type: 'string', value: 'N', help: 'passes over the training data (default 50)' },
  'batch-size': { type: 'string', value: 'B', help: 'rows per step (default 32)' },
  seed: { type: 'string', value: 'S', help: 'seed of the initial weights, the split and the shuffles, an integer in 0..2^52 (default 0)' },
  task: { type: 'string', value: 'T', help: 'auto (default: classification when every label is an integer, refused when 10+ classes mostly have a single row or a label is beyond 2^53 − 1), classification, regression' },
  backend: BACKEND_FLAG,
  save: { type: 'string', value: 'model.safetensors', help: 'write the trained model here (for sigmoid-core predict)' },
  checkpoint: { type: 'string', value: 'run.safetensors', help: 'write a checkpoint here (weights, optimizer state, position) every --checkpoint-every epochs, to go on after an interruption with --resume' },
  'checkpoint-every': { type: 'string', value: 'N', help: 'epochs between checkpoints (default 1; the last epoch is always written)' },
  resume: { type: 'string', value: 'run.safetensors', help: 'go on with the run that wrote this checkpoint: the same data and flags, --epochs counting the whole run (it may be the --checkpoint file)' },
  json: { type: 'boolean', help: 'print the final metrics as one JSON object on stdout' },
  quiet: { type: 'boolean', help: 'no progress and no notices on stderr (the final metrics still)' },
} as const;

type TrainFlags = Flags<typeof flags>;

/** What train writes into the saved model's __metadata__ under CLI_METADATA_KEY (as JSON). */
export interface CliModelInfo {
  version: 1;
  task: Task;
  /** The label column's header name (null: the file had no header). */
  label: string | null;
  /** Its 0-based index in the training CSV. */
  labelIndex: number;
  /** Feature column names, in order (null: no header). */
  features: string[] | null;
  /** Original label values of classes 0..C−1 (classification), else null. */
  classes: number[] | null;
  standardize: Standardizer | null;
}

export const CLI_METADATA_KEY = 'sigmoid_core_cli';

export interface TrainReport {
  train: { loss: number; accuracy: number | null; rows: number };
  test: { loss: number; accuracy: number | null; rows: number } | null;
  epochs: number;
  seconds: number;
  samplesPerSecond: number;
  backend: BackendKind;
  adapter: AdapterInfoSummary | null;
  task: Task;
  classes: number[] | null;
  loss: LossKind;
  layers: string;
  parameters: number;
  model: string | null;
}

interface Options {
  hidden: number[];
  activation: HiddenActivation;
  alpha: number;
  learnAlpha: boolean;
  loss: (typeof LOSSES)[number];
  optimizer: OptimizerSpec;
  epochs: number;
  batchSize: number;
  seed: number;
  testSplit: number | null;
  task: Task | 'auto';
  /** fit's checkpoint option, or null (no --checkpoint). */
  checkpoint: { every: number; to: string } | null;
}

export const trainCommand: Command<typeof flags> = {
  summary: 'train a sigmoid (or ReLU, tanh) network on a CSV file; report accuracy; save the model',
  usage:
    'train --train train.csv [--test test.csv | --test-split F] --label NAME [--hidden 64,32] [--activation A] ' +
    '[--loss L] [--optimizer adam|sgd] [--lr LR] [--epochs N] [--batch-size B] [--seed S] [--standardize] ' +
    '[--backend B] [--save model.safetensors] [--checkpoint run.safetensors [--checkpoint-every N]] [--resume run.safetensors] [--json] [options]',
  flags,
  async run(f, io) {
    const o = options(f);
    const { notice, log } = quietIo(f.quiet, io);
    const backend = backendFlag(f.backend); // before any data is read
    if (f.save !== undefined) await outputFlag('save', f.save, { train: f.train, test: f.test, resume: f.resume });
    if (f.checkpoint !== undefined) await outputFlag('checkpoint', f.checkpoint, { train: f.train, test: f.test });
    // The final model (no optimizer state) written over the checkpoint would leave nothing to resume.
    if (f.save !== undefined && f.checkpoint !== undefined && (f.save === f.checkpoint || (await sameFile(f.save, f.checkpoint)))) {
      throw new UsageError(`--save and --checkpoint name the same file (${f.save}); give the model and the checkpoint files of their own`);
    }

    // ---- data: read and check everything before the engine starts ----
    const { trainCsv, labels, labelIndex, labelName, xTrain, xTest, yTrainIdx, yTestIdx, yTrainVal, yTestVal, stats } = await loadDataset(
      { train: f.train!, test: f.test, label: f.label!, testSplit: o.testSplit, seed: o.seed, standardize: f.standardize, task: o.task, command: 'train' },
      notice,
    );

    // ---- model ----
    const classes = labels.task === 'classification' ? labels.classes : null;
    const { loss, outputs } = resolveLoss(o.loss, labels.task, classes?.length ?? 0);
    const targets = (idx: Int32Array | null, val: Float32Array | null): Targets => {
      if (val !== null) return val;
      if (loss === 'softmaxCrossEntropy') return idx!;
      if (outputs === 1) return Float32Array.from(idx!); // 0/1 for bce or mse
      return oneHotRows(idx!, outputs); // mse on C > 2 classes
    };
    const yTrain = targets(yTrainIdx, yTrainVal);
    const yTest = xTest ? targets(yTestIdx, yTestVal) : null;
    for (const y of [yTrainVal, yTestVal]) if (y !== null) checkTargetScale(y, f.label!);
    const layers = mlpLayers(xTrain.cols, o.hidden, outputs, { activation: o.activation, alpha: o.alpha, learnAlpha: o.learnAlpha });
    const task = labels.task;
    notice(
      `${task}: ${plural(xTrain.rows, 'row')} × ${plural(xTrain.cols, 'feature')}` +
        (classes ? `, ${plural(classes.length, 'class', 'classes')} (${fmtClasses(classes)})` : '') +
        `; loss ${loss}${f.standardize ? '; standardized' : ''}`,
    );

    const engine = await createEngine({ backend, log });
    let report: TrainReport;
    let bytes: Uint8Array | null = null;
    try {
      const model = sequential(engine, layers, { seed: o.seed });
      try {
        model.compile({ loss, optimizer: o.optimizer, metrics: task === 'classification' ? ['accuracy'] : [] });
        notice(`model: ${describeModel(layers)} (${model.parameterCount.toLocaleString('en-US')} parameters) on ${backendName(engine)}`);
        const progress = new Progress(f.quiet ? null : process.stderr.isTTY ? process.stderr : { write: (t: string) => io.err(t.replace(/\n$/, '')) });
        if (f.resume !== undefined) notice(`resuming the run checkpointed in ${f.resume} (its epochs so far count toward --epochs ${o.epochs})`);
        const t0 = performance.now();
        let trainSeconds = 0;
        let samples = 0;
        try {
          await model.fit(xTrain, yTrain, {
            epochs: o.epochs,
            batchSize: o.batchSize,
            seed: o.seed,
            validationData: xTest && yTest ? [xTest, yTest] : undefined,
            ...(o.checkpoint === null ? {} : { checkpoint: o.checkpoint }),
            ...(f.resume === undefined ? {} : { resumeFrom: f.resume }),
            onEpochEnd: (logs: EpochLogs) => {
              trainSeconds += logs.seconds;
              samples += xTrain.rows;
              progress.update({
                epoch: logs.epoch + 1, epochs: o.epochs, loss: logs.loss, accuracy: logs.accuracy,
                valLoss: logs.valLoss, valAccuracy: logs.valAccuracy, valName: 'test',
                samplesPerSecond: logs.samplesPerSecond, elapsed: (performance.now() - t0) / 1000,
              });
              if (!Number.isFinite(logs.loss)) {
                progress.done();
                throw new ValueError(
                  `the training loss became ${logs.loss} in epoch ${logs.epoch + 1}: lower --lr (now ${o.optimizer.lr})` +
                    (f.standardize ? '' : ' or add --standardize'),
                );
              }
            },
          });
        } catch (err) {
          throw f.resume === undefined ? err : resumeInFlags(err, f.resume);
        } finally {
          progress.done();
        }
        const seconds = (performance.now() - t0) / 1000;
        const tr = await model.evaluate(xTrain, yTrain);
        const te = xTest && yTest ? await model.evaluate(xTest, yTest) : null;
        report = {
          train: { loss: tr.loss, accuracy: tr.accuracy ?? null, rows: xTrain.rows },
          test: te ? { loss: te.loss, accuracy: te.accuracy ?? null, rows: xTest!.rows } : null,
          epochs: o.epochs,
          seconds,
          samplesPerSecond: trainSeconds > 0 ? samples / trainSeconds : 0,
          backend: engine.backend,
          adapter: engine.adapterInfo,
          task,
          classes,
          loss,
          layers: describeModel(layers),
          parameters: model.parameterCount,
          model: f.save ?? null,
        };
        if (f.save !== undefined) {
          bytes = withCliInfo(await model.save(), cliModelInfo({ trainCsv, labelIndex, labelName, stats }, task, classes));
        }
      } finally {
        model.dispose();
      }
    } finally {
      engine.destroy();
    }
    if (f.save !== undefined && bytes !== null) await writeAtomic(f.save, [bytes]);
    io.err(formatReport(report, f.train!, f.test ?? null));
    if (f.json) io.out(JSON.stringify(report, null, 2));
  },
};

// ---- flags ----------------------------------------------------------------------------------

function options(f: TrainFlags): Options {
  const activation = choiceFlag('activation', f.activation ?? 'sigmoid', HIDDEN_ACTIVATIONS);
  if (f.alpha !== undefined && activation !== 'sigmoid') throw new UsageError(`--alpha applies to --activation sigmoid only (got --activation ${activation})`);
  if (f['learn-alpha'] && activation !== 'sigmoid') throw new UsageError(`--learn-alpha applies to --activation sigmoid only (got --activation ${activation})`);
  const alpha = f.alpha === undefined ? 1 : float32Flag('alpha', f.alpha, 'nonzero'); // 0 is refused next
  if (alpha === 0) throw new UsageError('--alpha must not be 0 (σ(0·x) is constant)');
  const optimizer = choiceFlag('optimizer', f.optimizer ?? 'adam', OPTIMIZERS);
  const lr = f.lr === undefined ? (optimizer === 'adam' ? 0.001 : 0.01) : float32Flag('lr', f.lr, true);
  if (!(lr > 0)) throw new UsageError(`--lr must be > 0, got ${f.lr}`);
  if (f.momentum !== undefined && optimizer !== 'sgd') throw new UsageError('--momentum applies to --optimizer sgd only');
  const momentum = f.momentum === undefined ? 0 : float32Flag('momentum', f.momentum);
  if (momentum < 0 || momentum >= 1) throw new UsageError(`--momentum must be in [0, 1), got ${f.momentum}`);
  const weightDecay = f['weight-decay'] === undefined ? 0 : float32Flag('weight-decay', f['weight-decay']);
  if (weightDecay < 0) throw new UsageError(`--weight-decay must be ≥ 0, got ${f['weight-decay']}`);
  if (f['checkpoint-every'] !== undefined && f.checkpoint === undefined) throw new UsageError('--checkpoint-every applies with --checkpoint only');
  const checkpoint = f.checkpoint === undefined ? null : { every: intFlag('checkpoint-every', f['checkpoint-every'] ?? '1', 1), to: f.checkpoint };
  let testSplit: number | null = null;
  if (f['test-split'] !== undefined) {
    if (f.test !== undefined) throw new UsageError('give --test or --test-split, not both');
    testSplit = numberFlag('test-split', f['test-split']);
    if (!(testSplit > 0 && testSplit < 1)) throw new UsageError(`--test-split must be in (0, 1), got ${f['test-split']}`);
  }
  return {
    hidden: hiddenFlag(f.hidden ?? '64'),
    activation,
    alpha,
    learnAlpha: f['learn-alpha'],
    loss: choiceFlag('loss', f.loss ?? 'auto', LOSSES),
    optimizer: optimizer === 'adam' ? adam({ lr, weightDecay }) : sgd({ lr, momentum, weightDecay }),
    epochs: intFlag('epochs', f.epochs ?? '50', 1),
    batchSize: intFlag('batch-size', f['batch-size'] ?? '32', 1),
    seed: seedFlag(f.seed ?? '0'),
    testSplit,
    task: choiceFlag('task', f.task ?? 'auto', TASKS),
    checkpoint,
  };
}

function hiddenFlag(text: string): number[] {
  const t = text.trim();
  if (t === 'none' || t === '0') return [];
  const parts = t.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 1 << 20)) {
    throw new UsageError(`--hidden must be layer widths in 1..${1 << 20} separated by commas (e.g. 64 or 64,32) or "none", got ${JSON.stringify(text)}`);
  }
  return parts.map(Number);
}

// ---- model ----------------------------------------------------------------------------------

/**
 * Refuses regression targets whose squared errors could overflow float32 in a batch's mse (the
 * predictions start near 0, so an error is about its target): the loss would be Infinity from
 * the first step, where the divergence advice (a lower --lr, --standardize) cannot help. All
 * the rows count, as evaluate's batch may hold them all (a small model on the CPU backend).
 */
function checkTargetScale(y: Float32Array, label: string): void {
  let sum = 0;
  let max = 0;
  for (const v of y) {
    sum += v * v;
    max = Math.max(max, Math.abs(v));
  }
  if (sum <= MAX_FLOAT32) return;
  throw new ValueError(
    `the targets of --label ${label} reach ${max.toPrecision(3)}: their squared errors add up past float32's 3.4e38 ` +
      'from the first step; divide the column by a power of ten before training',
  );
}

function resolveLoss(choice: (typeof LOSSES)[number], task: Task, classes: number): { loss: LossKind; outputs: number } {
  if (task === 'regression') {
    if (choice !== 'auto' && choice !== 'mse') {
      throw new UsageError(`--loss ${choice} is for classification, but this is a regression (non-integer labels, or --task regression); use --loss mse`);
    }
    return { loss: 'mse', outputs: 1 };
  }
  const loss = choice === 'auto' ? (classes === 2 ? 'bce' : 'softmax') : choice;
  if (loss === 'bce' && classes !== 2) {
    throw new UsageError(`--loss bce needs exactly 2 classes, but the label column has ${classes}; use --loss softmax`);
  }
  const outputs = loss === 'softmax' ? classes : classes === 2 ? 1 : classes;
  return { loss: LOSS_KIND[loss], outputs };
}

/** `64 → 64 sigmoid → 10`. */
function describeModel(layers: readonly LayerSpec[]): string {
  const parts: string[] = [];
  for (const l of layers) {
    if (l.kind === 'dense') {
      if (parts.length === 0) parts.push(String(l.inputs));
      parts.push(String(l.units));
    } else if (l.kind !== 'identity') {
      const name = l.kind === 'sigmoid' ? (l.learnAlpha ? 'sigmoid(α learned)' : l.alpha === 1 ? 'sigmoid' : `sigmoid(α=${l.alpha})`) : l.kind;
      parts[parts.length - 1] += ` ${name}`;
    }
  }
  return parts.join(' → ');
}

function oneHotRows(idx: Int32Array, classes: number): Matrix {
  const data = new Float32Array(idx.length * classes);
  idx.forEach((k, r) => (data[r * classes + k] = 1));
  return { rows: idx.length, cols: classes, data };
}

// ---- files ----------------------------------------------------------------------------------

/** The preprocessing a model trained on dataset `d` needs at prediction (train and svm --save). */
export function cliModelInfo(
  d: Pick<Dataset, 'trainCsv' | 'labelIndex' | 'labelName' | 'stats'>, task: Task, classes: number[] | null,
): CliModelInfo {
  return {
    version: 1, task, label: d.labelName, labelIndex: d.labelIndex,
    features: d.trainCsv.header ? d.trainCsv.header.filter((_, i) => i !== d.labelIndex) : null, classes, standardize: d.stats,
  };
}

/** The saved model's bytes with the CLI's preprocessing added to __metadata__. */
export function withCliInfo(bytes: Uint8Array, info: CliModelInfo): Uint8Array {
  const file = parseSafetensors(bytes);
  return encodeSafetensors(file.tensors, { ...file.metadata, [CLI_METADATA_KEY]: JSON.stringify(info) });
}

/** The CLI's preprocessing from a model's __metadata__, or null for a model saved by the library. */
export function readCliInfo(metadata: Record<string, string>, source: string): CliModelInfo | null {
  const text = metadata[CLI_METADATA_KEY];
  if (text === undefined) return null;
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    throw new ValueError(`${source}: __metadata__.${CLI_METADATA_KEY} is not valid JSON`);
  }
  const i = info as Partial<CliModelInfo> | null;
  const ok = i !== null && typeof i === 'object' && i.version === 1 && (i.task === 'classification' || i.task === 'regression') &&
    Number.isInteger(i.labelIndex) && (i.classes === null || (Array.isArray(i.classes) && i.classes.every(Number.isFinite))) &&
    (i.features === null || Array.isArray(i.features)) &&
    (i.standardize === null || (typeof i.standardize === 'object' && Array.isArray(i.standardize?.mean) && Array.isArray(i.standardize?.std)));
  if (!ok) throw new ValueError(`${source}: __metadata__.${CLI_METADATA_KEY} is not a model description written by sigmoid-core train or svm`);
  return i as CliModelInfo;
}


// ---- output ---------------------------------------------------------------------------------

export function backendName(engine: Engine): string {
  const a = engine.adapterInfo;
  return a ? `webgpu (${describeAdapter(a)})` : engine.backend;
}

function formatReport(r: TrainReport, trainPath: string, testPath: string | null): string {
  const part = (name: string, m: { loss: number; accuracy: number | null; rows: number }) =>
    `${name}: loss ${fmtLoss(m.loss)}${m.accuracy === null ? '' : `, accuracy ${m.accuracy.toFixed(4)}`} (${plural(m.rows, 'row')})`;
  const lines = [part(`train (${trainPath})`, r.train)];
  if (r.test) lines.push(part(testPath ? `test (${testPath})` : 'test (held out)', r.test));
  lines.push(
    `${plural(r.epochs, 'epoch')} in ${r.seconds.toFixed(2)} s, ${fmtRate(r.samplesPerSecond)} samples/s, backend ${r.backend}` +
      (r.adapter ? ` (${describeAdapter(r.adapter)})` : '') +
      (r.model ? `; model saved to ${r.model}` : ''),
  );
  return lines.join('\n');
}

/**
 * A refused --resume with the library's advice (fit's resumeFrom option, model.load,
 * setLearningRate) in this command's flags, naming the file.
 */
function resumeInFlags(err: unknown, file: string): unknown {
  if (!(err instanceof ValueError) || !err.message.startsWith('resumeFrom')) return err;
  const flagOf: Record<string, string> = { seed: '--seed', batchSize: '--batch-size' };
  const message = err.message
    .replace(/^resumeFrom(?: [^:]*)?: /, `--resume ${file}: `)
    .replace(
      /the checkpoint's run used (seed|batchSize) (\S+), this fit asks for (\S+) \(leave \w+ out to continue the run\)/,
      (_, key: string, theirs: string, ours: string) => `the checkpoint's run used ${flagOf[key]} ${theirs}, this run asks for ${ours} (pass ${flagOf[key]} ${theirs} to continue the run)`,
    )
    .replace(/call model\.setLearningRate\((\S+)\) before resuming/, 'pass --lr $1')
    .replace(/leave out resumeFrom \(calling model\.load\(checkpoint\) first starts it from the weights, without the optimizer state and epoch count\)/, 'leave out --resume')
    .replace(/; it is a model saved by model\.save\(\) \(weights only\): load it with model\.load\(bytes\)/, '; it is a model (train --save), not a checkpoint (train --checkpoint)');
  return message === err.message ? err : new ValueError(message);
}
