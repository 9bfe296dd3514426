// Targets from a label column. Classification when every value is an integer (the classes
// are the distinct values, sorted, mapped to 0..C−1, and the mapping is kept so predictions
// can be written back as the original values); regression otherwise. oneHot turns class
// indices into the [n, C] target matrix of a softmax model.

import { ValueError } from '../errors.js';
import { checkPositiveInt, describeValue, optionKeys, optionsObject } from '../validate.js';
import type { Matrix } from './matrix.js';

export type Task = 'classification' | 'regression';

export interface ClassificationLabels {
  task: 'classification';
  /** The original label values, ascending; class k is classes[k]. */
  classes: number[];
  /** Class index (0..C−1) of each row. */
  indices: Int32Array;
}

export interface RegressionLabels {
  task: 'regression';
  /** The target value of each row. */
  values: Float32Array;
}

export type Labels = ClassificationLabels | RegressionLabels;

export interface LabelOptions {
  /** 'auto' (default): classification if every value is an integer, else regression. */
  task?: Task | 'auto';
  /** Name of the column, for error messages. */
  name?: string;
  /** File line of the first value (a CSV column): errors then say "line N", not "row N". */
  firstLine?: number;
}

const LABEL_KEYS = optionKeys<LabelOptions>()('task', 'name', 'firstLine');

/** Where value i is, for error messages: "row i (0-based)" as the library counts rows, or the file line. */
function whereOf(firstLine: number | undefined): (i: number) => string {
  return (i) => (firstLine === undefined ? `row ${i} (0-based)` : `line ${firstLine + i}`);
}

/** Decides the task from the values (unless told) and maps class values to 0..C−1. */
export function labelsFromColumn(values: ArrayLike<number>, options?: LabelOptions): Labels {
  const o = optionsObject('labelsFromColumn', options, LABEL_KEYS);
  const task = o.task ?? 'auto';
  const name = o.name ?? 'the label column';
  const at = whereOf(o.firstLine);
  if (!['auto', 'classification', 'regression'].includes(task)) {
    throw new ValueError(`task must be 'auto', 'classification' or 'regression', got ${JSON.stringify(task)}`);
  }
  if (values.length === 0) throw new ValueError(`${name} is empty`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new ValueError(`${name}: ${at(i)} is ${describeValue(values[i])}, not a finite number`);
  }
  const allIntegers = Array.prototype.every.call(values, (v: number) => Number.isInteger(v));
  const chosen: Task = task === 'auto' ? (allIntegers ? 'classification' : 'regression') : task;
  if (chosen === 'regression') return { task: 'regression', values: Float32Array.from(values) };

  if (!allIntegers) {
    const i = Array.prototype.findIndex.call(values, (v: number) => !Number.isInteger(v));
    throw new ValueError(`${name}: classification needs integer class labels, but ${at(i)} is ${values[i]}`);
  }
  const classes = [...new Set(Array.from(values))].sort((a, b) => a - b);
  if (classes.length < 2) {
    throw new ValueError(`${name}: classification needs at least 2 classes, but every row is ${classes[0]}`);
  }
  return { task: 'classification', classes, indices: classIndices(values, classes, name, o.firstLine) };
}

/** Maps label values to indices of `classes` (a value not in `classes` is an error). */
export function classIndices(values: ArrayLike<number>, classes: readonly number[], name = 'the label column', firstLine?: number): Int32Array {
  const index = new Map(classes.map((c, k) => [c, k]));
  const at = whereOf(firstLine);
  return Int32Array.from(values, (v, i) => {
    const k = index.get(v);
    if (k === undefined) throw new ValueError(`${name}: ${at(i)} has label ${describeValue(v)}, which is not one of the classes ${classes.join(', ')}`);
    return k;
  });
}

/** [n, classes] matrix with a 1 in column labels[i] of row i. */
export function oneHot(labels: ArrayLike<number>, classes: number): Matrix {
  checkPositiveInt('oneHot: classes', classes);
  const n = labels.length;
  if (n === 0) throw new ValueError('oneHot: no labels');
  const data = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const k = labels[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= classes) throw new ValueError(`oneHot: label ${i} is ${describeValue(k)}, expected an integer in 0..${classes - 1}`);
    data[i * classes + k] = 1;
  }
  return { rows: n, cols: classes, data };
}
