// The CSV data step shared by `sigmoid-core train` and `sigmoid-core svm`: read the training
// CSV, find the label column, turn it into classes (or regression targets), take held-out
// rows from --test (same columns, same order) or from a seeded --test-split (stratified for
// classification), and standardize with the training statistics. Everything is read and
// checked before any engine starts; notices go to `notice`.

import { dropColumn, type Matrix, resolveColumn, takeRows, takeValues } from '../data/matrix.js';
import { classIndices, type ClassificationLabels, type Labels, labelsFromColumn, type Task } from '../data/labels.js';
import { randomSplit, type Split, stratifiedSplit } from '../data/split.js';
import { applyStandardizer, fitStandardizer, type Standardizer } from '../data/standardize.js';
import { ShapeError, ValueError } from '../errors.js';
import { type CsvColumnPick, type CsvMatrix, readCsv } from '../io/csv.js';
import { readText } from '../io/files.js';
import { noun, plural } from './progress.js';

/** The flags of the data step, shared by train and svm (a command may reword a help text). */
export const DATASET_FLAGS = {
  train: { type: 'string', value: 'train.csv', required: true, help: 'training data: feature columns and a label column (a header row names them)' },
  test: { type: 'string', value: 'test.csv', help: 'held-out data with the same columns' },
  'test-split': { type: 'string', value: 'F', help: 'without --test: hold out this share of train.csv, in (0, 1), seeded; stratified by class (classification) or random (regression)' },
  label: { type: 'string', value: 'NAME', required: true, help: 'the label column: its header name, or a 0-based column index' },
  standardize: { type: 'boolean', help: 'scale features to mean 0, std 1 with the training statistics' },
} as const;

export interface DatasetRequest {
  /** --train path. */
  train: string;
  /** --test path, or undefined. */
  test: string | undefined;
  /** --label: header name or 0-based index. */
  label: string;
  /** --test-split fraction (already checked), or null. */
  testSplit: number | null;
  seed: number;
  standardize: boolean;
  task: Task | 'auto';
  /** The command: svm (always classification) refuses labels that look like regression targets, train does with task 'auto'. */
  command: 'train' | 'svm';
}

export interface Dataset {
  trainCsv: CsvMatrix;
  labels: Labels;
  labelIndex: number;
  labelName: string | null;
  xTrain: Matrix;
  xTest: Matrix | null;
  /** Class indices (classification) or null. */
  yTrainIdx: Int32Array | null;
  yTestIdx: Int32Array | null;
  /** Targets (regression) or null. */
  yTrainVal: Float32Array | null;
  yTestVal: Float32Array | null;
  /** The standardisation applied (null without --standardize). */
  stats: Standardizer | null;
}

export async function loadDataset(r: DatasetRequest, notice: (line: string) => void): Promise<Dataset> {
  const trainCsv = await loadCsv(r.train, notice, (header, cols) => {
    if (cols < 2) throw new ShapeError(`${r.train} has ${cols} column; it needs feature columns and a label column`);
    try {
      return { index: resolveColumn(header, cols, r.label, 'label column'), mode: 'exact' };
    } catch (err) {
      throw err instanceof ValueError ? new ValueError(`${r.train}: ${err.message}`) : err; // which file's columns
    }
  });
  const labelIndex = trainCsv.column!.index;
  const labelName = trainCsv.header?.[labelIndex] ?? null;
  const labelWhat = labelName !== null ? `label column "${labelName}"` : `label column ${labelIndex}`;
  const labels = labelsFromColumn(trainCsv.column!.values!, { task: r.task, name: `${r.train} ${labelWhat}`, firstLine: trainCsv.firstLine });
  if (labels.task === 'classification' && (r.task === 'auto' || r.command === 'svm')) {
    const why = implausibleClasses(labels, trainCsv.firstLine);
    if (why !== null) {
      const C = labels.classes.length;
      throw new ValueError(
        `${r.train} ${labelWhat}: ${why}: these labels look like regression targets, not classes; ` +
          (r.command === 'svm'
            ? `svm is a classifier only (it would train ${plural(C * (C - 1) / 2, 'one-vs-one problem')}): fit such targets with train --task regression`
            : 'pass --task regression (or --task classification to insist on classes)'),
      );
    }
  }
  let xTrain = dropColumn(trainCsv, labelIndex);
  let yTrainIdx: Int32Array | null = labels.task === 'classification' ? labels.indices : null;
  let yTrainVal: Float32Array | null = labels.task === 'regression' ? labels.values : null;
  let xTest: Matrix | null = null;
  let yTestIdx: Int32Array | null = null;
  let yTestVal: Float32Array | null = null;

  if (r.test !== undefined) {
    const testCsv = await loadCsv(r.test, notice, (header, cols) => {
      if (cols !== trainCsv.cols) {
        throw new ShapeError(
          `${r.test} has ${plural(cols, 'column')} but ${r.train} has ${trainCsv.cols}: the test data needs the same columns (features and label)`,
        );
      }
      return { index: labelIndex, mode: 'exact' }; // same columns in the same order (the headers are compared below)
    });
    if (trainCsv.header && testCsv.header) {
      const c = trainCsv.header.findIndex((h, i) => h !== testCsv.header![i]);
      if (c >= 0) {
        throw new ValueError(
          `${r.test} column ${c} (0-based) is named "${testCsv.header[c]}" but ${r.train} column ${c} is "${trainCsv.header[c]}": ` +
            'the test data needs the same columns in the same order',
        );
      }
    }
    xTest = dropColumn(testCsv, labelIndex);
    const values = testCsv.column!.values!;
    if (labels.task === 'classification') yTestIdx = classIndices(values, labels.classes, `${r.test} ${labelWhat}`, testCsv.firstLine);
    else yTestVal = Float32Array.from(values);
  } else if (r.testSplit !== null) {
    let split: Split;
    if (labels.task === 'classification') {
      split = stratifiedSplit(labels.indices, { testFraction: r.testSplit, seed: r.seed });
      const trained = new Set(split.train.map((i) => labels.indices[i]!));
      const unseen = labels.classes.filter((_, k) => !trained.has(k));
      if (unseen.length > 0) {
        throw new ValueError(
          `--test-split ${r.testSplit} leaves ${plural(split.train.length, 'training row')} of ${r.train} ` +
            `for ${plural(labels.classes.length, 'class', 'classes')}: ${noun(unseen.length, 'class', 'classes')} ${fmtClasses(unseen)} would not be trained on; ` +
            'use a smaller --test-split, or a --test file',
        );
      }
    } else split = randomSplit(trainCsv.rows, { testFraction: r.testSplit, seed: r.seed });
    const all = xTrain;
    xTrain = takeRows(all, split.train);
    xTest = takeRows(all, split.test);
    if (yTrainIdx !== null) {
      const idx = yTrainIdx;
      yTestIdx = Int32Array.from(split.test, (i) => idx[i]!);
      yTrainIdx = Int32Array.from(split.train, (i) => idx[i]!);
    } else {
      const val = yTrainVal!;
      yTestVal = takeValues(val, split.test);
      yTrainVal = takeValues(val, split.train);
    }
    notice(
      `split ${r.train}: ${plural(split.train.length, 'row')} to train, ${split.test.length} to test ` +
        `(${labels.task === 'classification' ? 'stratified' : 'random'}, seed ${r.seed})`,
    );
  }

  const stats = r.standardize ? fitStandardizer(xTrain) : null;
  if (stats) {
    xTrain = applyStandardizer(xTrain, stats);
    if (xTest) xTest = applyStandardizer(xTest, stats);
  }
  return { trainCsv, labels, labelIndex, labelName, xTrain, xTest, yTrainIdx, yTestIdx, yTrainVal, yTestVal, stats };
}

/**
 * Why whole-number labels look like regression targets rather than classes, or null. A class
 * seen once cannot be learnt from (nor both trained and tested on), so when more than half of
 * MANY_CLASSES or more classes have a single row the labels are likelier measurements or ids
 * than categories (a few classes of a row each is a toy file, not a sign). Past 2⁵³ − 1 whole
 * numbers are no longer exact (1e20 and 1e20 + 1 read as the same), so such labels are no
 * classes either.
 */
function implausibleClasses({ classes, indices }: ClassificationLabels, firstLine: number): string | null {
  const big = indices.findIndex((k) => !Number.isSafeInteger(classes[k]!));
  if (big >= 0) return `line ${firstLine + big} is ${classes[indices[big]!]}, beyond 2^53 − 1 (where whole numbers stop being exact)`;
  const counts = new Uint32Array(classes.length);
  for (const k of indices) counts[k]!++;
  const single = counts.filter((n) => n === 1).length;
  if (classes.length < MANY_CLASSES || single * 2 <= classes.length) return null;
  return `${plural(classes.length, 'class', 'classes')} for ${plural(indices.length, 'row')}, ${single} of them with a single row`;
}

/** Classes from which on most of them having a single row says the labels are no classes (implausibleClasses). */
const MANY_CLASSES = 10;

export async function loadCsv(path: string, notice: (line: string) => void, column?: CsvColumnPick): Promise<CsvMatrix> {
  const csv = readCsv(await readText(path), { source: path, ...(column ? { column } : {}) });
  notice(`read ${path}: ${plural(csv.rows, 'row')} × ${plural(csv.cols, 'column')}${csv.header ? ' (with a header row)' : ''}`);
  return csv;
}

export function fmtClasses(classes: readonly number[]): string {
  return classes.length <= 12 ? classes.join(', ') : `${classes.slice(0, 5).join(', ')}, ..., ${classes.slice(-3).join(', ')}`;
}
