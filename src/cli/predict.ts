// `sigmoid-core predict`: runs a model saved by `sigmoid-core train --save` (a network) or
// `sigmoid-core svm --save` (a support-vector classifier) on a CSV file and writes one
// prediction per row: the class label (the original label value) for a classifier, the
// value for a regression; --proba adds a network's class probabilities. The model
// carries its preprocessing (label column, standardisation), so the data is given as it
// was for training; a label column of the same name is ignored. Written atomically.

import { createEngine } from '../create-engine.js';
import { LOSS_KINDS } from '../engine.js';
import { dropColumn, type Matrix, selectColumns } from '../data/matrix.js';
import { applyStandardizer } from '../data/standardize.js';
import { ShapeError, ValueError } from '../errors.js';
import { csvChunks, readCsv } from '../io/csv.js';
import { readBytes, readText, writeAtomic } from '../io/files.js';
import { decodeSVC, isSVCFile } from '../kernels/svc/svc-file.js';
import { SVC } from '../kernels/svc/svc.js';
import { CHECKPOINT_TAG } from '../nn/checkpoint.js';
import { parseSafetensors } from '../nn/safetensors.js';
import { sequentialFromFile } from '../nn/sequential.js';
import type { LossKind } from '../types.js';
import { type Command, outputFlag, quietIo, UsageError } from './args.js';
import { BACKEND_FLAG, backendFlag } from './info.js';
import { plural } from './progress.js';
import { backendName, type CliModelInfo, readCliInfo } from './train.js';

const flags = {
  model: { type: 'string', value: 'model.safetensors', required: true, help: 'a model written by sigmoid-core train --save or svm --save' },
  data: { type: 'string', value: 'x.csv', required: true, help: 'rows of the same feature columns (a label column of the same name is ignored)' },
  out: { type: 'string', value: 'preds.csv', required: true, help: 'where to write the predictions (one row per input row, with a header)' },
  proba: { type: 'boolean', help: 'network classifiers: also write the probability of each class' },
  backend: BACKEND_FLAG,
  quiet: { type: 'boolean', help: 'no notices on stderr' },
} as const;

export const predictCommand: Command<typeof flags> = {
  summary: 'predict with a model saved by train or svm: class labels (or values) for each row of a CSV file',
  usage: 'predict --model model.safetensors --data x.csv --out preds.csv [--proba] [--backend B] [--quiet]',
  flags,
  async run(f, io) {
    const backend = backendFlag(f.backend);
    const { notice, log } = quietIo(f.quiet, io);
    const outPath = await outputFlag('out', f.out!, { model: f.model, data: f.data });

    // ---- the model's description (architecture checked when it is built) ----
    const bytes = await readBytes(f.model!);
    const file = modelFile(f.model!, () => parseSafetensors(bytes));
    const meta = file.metadata;
    const info = readCliInfo(meta, f.model!);
    if (meta.checkpoint === CHECKPOINT_TAG && info === null) {
      // Its weights alone would be used without train's preprocessing: no standardisation, class indices for labels.
      throw new ValueError(
        `${f.model} is a training checkpoint (train --checkpoint), which holds no standardisation, class values or feature names: ` +
          'predict with the model train --save wrote, or finish the run with train --resume and --save',
      );
    }
    // A support-vector classifier (svm --save) is checked whole here; a network when it is built.
    const svc = isSVCFile(meta) ? modelFile(f.model!, () => decodeSVC(file)) : null;
    const loss = LOSS_KINDS.includes(meta.loss as LossKind) ? (meta.loss as LossKind) : null;
    const layers = svc ? { inputs: svc.supportVectors.cols, outputs: svc.classes.length } : parseLayers(meta.layers, f.model!);
    const inputs = layers.inputs;
    const outputs = layers.outputs;
    const task = svc ? 'classification' : info?.task ?? (loss === 'mse' || loss === null ? 'regression' : 'classification');
    const classes = svc?.classes ?? info?.classes ?? (task === 'classification' ? Array.from({ length: Math.max(outputs, 2) }, (_, k) => k) : null);
    if (svc && info?.classes && (info.classes.length !== svc.classes.length || info.classes.some((c, k) => c !== svc.classes[k]))) {
      throw new ValueError(`${f.model} lists classes ${info.classes.join(', ')} for a model with classes ${svc.classes.join(', ')}; the file is inconsistent`);
    }
    if (!svc && classes !== null && task === 'classification' && classes.length !== Math.max(outputs, 2)) {
      throw new ValueError(`${f.model} lists ${plural(classes.length, 'class', 'classes')} for a model with ${plural(outputs, 'output')}; the file is inconsistent`);
    }
    if (f.proba && svc) throw new UsageError(`--proba: ${f.model} is a support-vector classifier, which gives class labels but no probabilities`);
    // A network's outputs to label rows by: a cross-entropy classifier's probabilities (predictProba
    // knows whether the model ends with a sigmoid, so predict() gives probabilities, or logits), else predict()'s.
    const probabilities = task === 'classification' && (loss === 'binaryCrossEntropy' || loss === 'softmaxCrossEntropy');
    if (f.proba && !probabilities) {
      throw new UsageError(`--proba needs a classifier trained with a cross-entropy loss (bce or softmax); ${f.model} is a ${task} model with loss ${loss ?? 'unknown'}`);
    }

    // ---- the data ----
    // The label column's cells are not read: new data may have it empty.
    const csv = readCsv(await readText(f.data!), {
      source: f.data!,
      column: (header, cols) => {
        const index = labelToDrop(info, header, cols, inputs, f.data!);
        // The label's own name there makes line 1 a header ("0,1,…,63,label", pandas' numbered columns beside a label).
        return index === null ? null : { index, mode: 'ignored', ...(info?.label ? { name: info.label } : {}) };
      },
    });
    let x: Matrix = csv;
    const dropped = csv.column?.index ?? null;
    if (dropped !== null) {
      x = dropColumn(csv, dropped);
      notice(`${f.data}: ignoring column ${dropped} (0-based): ${info?.label ? `"${info.label}", the label` : 'the label column at training'}`);
    }
    if (x.cols !== inputs) {
      throw new ShapeError(
        `${f.data} has ${plural(x.cols, 'feature column')} but the model ${f.model} takes ${inputs}` +
          (info?.label && dropped === null ? ` (a label column named "${info.label}" would be ignored)` : ''),
      );
    }
    if (info?.features && csv.header) x = matchFeatures(x, csv.header.filter((_, i) => i !== dropped), info.features, f.data!, notice);
    if (info?.standardize) x = applyStandardizer(x, info.standardize);

    // ---- predict ----
    // An SVC fitted with --provider float64 predicts in float64 on the host, without an engine.
    const hostOnly = svc !== null && svc.options.provider === 'float64';
    if (hostOnly && f.backend !== undefined) notice(`${f.model} computes its kernel in float64 on the host (svm --provider float64): --backend is not used`);
    const engine = hostOnly ? null : await createEngine({ backend, log });
    let out: Float32Array | null = null;
    let svcLabels: number[] | null = null;
    try {
      if (svc) svcLabels = await SVC.fromSaved(svc, engine).predict(x);
      else {
        const model = modelFile(f.model!, () => sequentialFromFile(engine!, file));
        try {
          out = await (await (probabilities ? model.predictProba(x) : model.predict(x))).readAndDispose();
        } finally {
          model.dispose();
        }
      }
      notice(`predicted ${plural(x.rows, 'row')} ${engine ? `on ${backendName(engine)}` : 'in float64 on the host'}`);
    } finally {
      engine?.destroy();
    }

    const bad = out?.findIndex((v) => !Number.isFinite(v)) ?? -1;
    if (bad >= 0) throw new ValueError(`the prediction for row ${Math.floor(bad / outputs)} (0-based) is ${out![bad]}; nothing was written`);

    // ---- write ----
    const name = info?.label ?? 'prediction';
    const rows = x.rows;
    let cols = 1;
    const header = [name];
    let values: Float32Array | Float64Array;
    if (task === 'regression') {
      values = out!;
      if (outputs !== 1) {
        cols = outputs;
        header.splice(0, 1, ...Array.from({ length: outputs }, (_, k) => `${name}_${k}`));
      }
    } else if (svcLabels) {
      values = Float64Array.from(svcLabels);
    } else {
      const C = classes!.length;
      const proba = f.proba ? out! : null; // --proba is refused for a model without probabilities
      cols = 1 + (proba ? C : 0);
      if (proba) header.push(...classes!.map((c) => `p_${c}`));
      values = new Float64Array(rows * cols); // the labels as they were (float32 cannot hold 123456789)
      for (let r = 0; r < rows; r++) {
        // One output: a probability, or an mse classifier's value, either way class 1 above ½.
        const k = outputs === 1 ? (out![r]! > 0.5 ? 1 : 0) : argmax(out!, r * outputs, outputs);
        values[r * cols] = classes![k] ?? k;
        if (proba) {
          if (outputs === 1) {
            values[r * cols + 1] = 1 - proba[r]!;
            values[r * cols + 2] = proba[r]!;
          } else {
            for (let c = 0; c < C; c++) values[r * cols + 1 + c] = proba[r * outputs + c]!;
          }
        }
      }
    }
    await writeAtomic(outPath, csvChunks(values, rows, cols, header, { exactCols: task === 'classification' ? 1 : 0 }));
    notice(`${plural(rows, task === 'classification' ? 'class label' : 'value')}${f.proba ? ' and probabilities' : ''} → ${outPath}`);
  },
};

/**
 * The feature columns in the model's order: as they are when the header names them in that
 * order, reordered when it names the same features in another order; other names are an
 * error (using them by position would give wrong predictions without a word).
 */
function matchFeatures(x: Matrix, names: readonly string[], features: readonly string[], source: string, notice: (line: string) => void): Matrix {
  if (names.every((h, i) => h === features[i])) return x;
  const twice = features.find((h, k) => features.indexOf(h) !== k);
  if (twice !== undefined) {
    throw new ValueError(
      `${source}'s columns are not in the model's order, and the model has two features named "${twice}", so names cannot place them: ` +
        'give the columns in the order the model was trained with (or a file without a header row)',
    );
  }
  const order = features.map((h) => names.indexOf(h));
  const missing = features.filter((_, k) => order[k]! < 0);
  if (missing.length > 0 || new Set(names).size !== names.length) {
    throw new ValueError(
      `${source}'s columns are not the model's features: ${missing.length > 0 ? `no column named ${missing.slice(0, 3).map((h) => `"${h}"`).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}` : 'a column name appears twice'}` +
        ' (give the features by name, in any order, or a file without a header row to use them by position)',
    );
  }
  notice(`${source}: columns matched to the model's features by name (their order differs)`);
  return selectColumns(x, order);
}

/** `read()`, with a malformed-file error (a ValueError or ShapeError, about "safetensors") naming the model's file. */
function modelFile<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ValueError || err instanceof ShapeError) throw new ValueError(`${source} is not a model sigmoid-core can read: ${err.message}`);
    throw err;
  }
}

/** Index of the column to drop as the label, or null. */
function labelToDrop(info: CliModelInfo | null, header: readonly string[] | null, cols: number, inputs: number, source: string): number | null {
  if (info === null) return null;
  if (header !== null && info.label !== null) {
    const found = header.flatMap((h, i) => (h === info.label ? [i] : []));
    if (found.length <= 1) return found[0] ?? null;
    // Several columns share the label's name (as they may have at training): the one where it was.
    if (found.includes(info.labelIndex)) return info.labelIndex;
    throw new ValueError(`${source} columns ${found.join(', ')} (0-based) are all named "${info.label}", the label; the model cannot tell which to ignore`);
  }
  // No names to go by: a file one column wider than the model, with the label where it was.
  if (cols === inputs + 1 && info.labelIndex < cols) return info.labelIndex;
  return null;
}

function parseLayers(json: string | undefined, source: string): { inputs: number; outputs: number } {
  let layers: unknown;
  try {
    layers = json === undefined ? undefined : JSON.parse(json);
  } catch {
    layers = undefined;
  }
  const dense = Array.isArray(layers) ? layers.filter((l) => l && typeof l === 'object' && l.kind === 'dense') : [];
  const first = dense[0] as { inputs?: unknown } | undefined;
  const last = dense[dense.length - 1] as { units?: unknown } | undefined;
  if (!first || !last || !Number.isInteger(first.inputs) || !Number.isInteger(last.units)) {
    throw new ValueError(`${source} is not a sigmoid-core model (no layer list in its safetensors __metadata__)`);
  }
  return { inputs: first.inputs as number, outputs: last.units as number };
}

function argmax(v: Float32Array, start: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (v[start + i]! > v[start + best]!) best = i;
  return best;
}
