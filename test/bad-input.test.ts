// Bad input at every public entry point: a table of (call, expected error class, message
// fragments). Each row runs on the CPU and the WebGPU engine; where a model is involved its
// weights (and the engine's live tensor count) are checked unchanged after the failure.
//
// Policy on non-finite values: engine.tensor accepts any float32 (NaN/±Inf are data to the
// ops); the model and kernel-method entry points (Sequential fit/evaluate/predict on host
// data, SVC, nystroem, KernelClassifier) refuse NaN/±Inf naming the row and column, and
// Sequential fit/evaluate/predict accept them with `allowNonFinite: true`.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childOptions, CLI, requireBuiltCli } from './helpers/cli.js';
import { useEngines } from './helpers/engines.js';
import { expectThrows } from './helpers/expectClose.js';
import {
  createEngine, DisposedError, type Engine, gramMatrix, gramTiles, KernelClassifier, LimitError, nystroem, planGramTiles,
  Sequential, sequential, ShapeError, SigmoidCoreError, SVC, ValueError, type Matrix, dense, sigmoid, leakyRelu, adam, sgd, mlpLayers,
  labelsFromColumn, randomSplit, stratifiedSplit, classIndices, oneHot, selectColumns, dropColumn, takeRows, takeValues, applyStandardizer,
  parseSafetensors, encodeSafetensors, EngineRowProvider,
} from '../src/index.js';
import { CsvError, readCsv } from '../src/io/csv.js';

const engines = useEngines();

type Cls = abstract new (...args: never[]) => Error;
interface Ctx {
  e: Engine;
  /** A compiled softmax model, 4 → 3 (weights checked after each row). */
  model: Sequential;
  X: number[][];
  labels: number[];
  M: Matrix;
}
type Row = [name: string, call: (c: Ctx) => unknown, cls: Cls, words: string[]];

const X = Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) - 1, i / 12]);
const labels = X.map((_, i) => i % 3);
const M: Matrix = { rows: 12, cols: 4, data: Float32Array.from(X.flat()) };
const withAt = (r: number, c: number, v: number): number[][] => X.map((row, i) => row.map((x, j) => (i === r && j === c ? v : x)));
const matAt = (r: number, c: number, v: number): Matrix => {
  const data = M.data.slice();
  data[r * M.cols + c] = v;
  return { rows: M.rows, cols: M.cols, data };
};

/** Runs `f` on a fresh CPU engine (for calls that would change the shared one if they did not throw). */
async function onFreshEngine(f: (e: Engine) => unknown): Promise<unknown> {
  const e = await createEngine({ backend: 'cpu', log: null });
  try {
    return await f(e);
  } finally {
    e.destroy();
  }
}

const rows: Row[] = [
  // ---- createEngine and engine.recover ----
  ['createEngine options null', () => createEngine(null as never), ValueError, ['createEngine options must be an object', 'null']],
  ['createEngine given a backend name', () => createEngine('cpu' as never), ValueError, ["must be an object like { backend: 'cpu' }", '"cpu"']],
  ['createEngine log not a function', () => createEngine({ backend: 'auto', log: 5 as never }), ValueError, ['log must be a function or null', '5']],
  ['createEngine device not a GPUDevice', () => createEngine({ backend: 'webgpu', device: {} as never }), ValueError, ['device must be a GPUDevice']],
  ['createEngine poisonOutputs not a boolean', () => createEngine({ backend: 'cpu', poisonOutputs: 'yes' as never }), ValueError, ['poisonOutputs must be true or false']],
  ['recover options null', () => onFreshEngine((e) => e.recover(null as never)), ValueError, ['recover options must be an object']],
  ['recover fallbackToCpu not a boolean', () => onFreshEngine((e) => e.recover({ fallbackToCpu: 'no' as never })), ValueError, ['fallbackToCpu must be true or false']],
  ['recover unknown backend', () => onFreshEngine((e) => e.recover({ backend: 'gpu' as never })), ValueError, ["backend must be 'webgpu' or 'cpu'", '"gpu"']],
  ['recover device not a GPUDevice', () => onFreshEngine((e) => e.recover({ device: {} as never })), ValueError, ['device must be a GPUDevice']],
  // ---- tensor creation ----
  ['tensor of no values', ({ e }) => e.tensor([]), ShapeError, ['positive integers']],
  ['tensor of an empty row', ({ e }) => e.tensor([[]]), ShapeError, ['positive integers']],
  ['tensor data/shape size mismatch', ({ e }) => e.tensor([1, 2, 3], [2, 2]), ShapeError, ['3 values', 'needs 4']],
  ['tensor fractional dimension', ({ e }) => e.tensor([1, 2], [2.5]), ShapeError, ['positive integers']],
  ['tensor negative dimension', ({ e }) => e.tensor([1], [-1]), ShapeError, ['positive integers']],
  ['tensor NaN dimension', ({ e }) => e.tensor([1], [Number.NaN]), ShapeError, ['positive integers']],
  ['tensor 3-d shape', ({ e }) => e.tensor([1, 2, 3, 4], [1, 2, 2]), ShapeError, ['[n] or [rows, cols]']],
  ['tensor ragged rows', ({ e }) => e.tensor([[1, 2], [3]]), ShapeError, ['row 1', '1 values']],
  ['tensor non-numeric value', ({ e }) => e.tensor([1, 'a' as unknown as number]), ValueError, ['[1]', 'not a number']],
  ['tensor non-numeric cell', ({ e }) => e.tensor([[1], [null as unknown as number]]), ValueError, ['[1][0]']],
  ['tensor with a hole', ({ e }) => e.tensor([1, , 3] as never), ValueError, ['tensor data[1]', 'missing']],
  ['tensor row with a hole', ({ e }) => e.tensor([[1, 2, 3], [4, , 6]] as never), ValueError, ['tensor data[1][1]', 'missing']],
  ['tensor from a string', ({ e }) => e.tensor('abc' as never), ValueError, ['Float32Array or an array']],
  ['tensor from null', ({ e }) => e.tensor(null as never), ValueError, ['Float32Array or an array']],
  ['zeros over the buffer limit', ({ e }) => e.zeros([1e6, 1e6]), LimitError, ['maxBufferSize']],
  ['zeros with a 0 dimension', ({ e }) => e.zeros([0, 3]), ShapeError, ['positive integers']],
  ['zeros with a huge fractional dimension', ({ e }) => e.zeros([1e300 + 0.5]), LimitError, ['maxBufferSize']],
  // ---- ops ----
  ['matmul inner dimensions', ({ e }) => e.matmul(e.zeros([2, 3]), e.zeros([2, 3])), ShapeError, ['inner dimensions']],
  ['matmul of a vector', ({ e }) => e.matmul(e.zeros([3]), e.zeros([3, 1])), ShapeError, ['must be a matrix']],
  ['matmul of a non-tensor', ({ e }) => e.matmul(e.zeros([1, 1]), [[1]] as never), ValueError, ['must be a Tensor']],
  ['matmul output over the buffer limit', ({ e }) => e.matmul(e.zeros([65536, 1]), e.zeros([1, 65536])), LimitError, ['output tensor', 'maxBufferSize']],
  ['linear bias width', ({ e }) => e.linear(e.zeros([2, 3]), e.zeros([3, 4]), e.zeros([3])), ShapeError, ['bias', '[4]']],
  ['add shape mismatch', ({ e }) => e.add(e.zeros([2, 3]), e.zeros([3, 2])), ShapeError, ['[2, 3]', '[3, 2]']],
  ['unknown activation', ({ e }) => e.activation(e.zeros([2]), 'gelu' as never), ValueError, ['gelu']],
  ['sigmoid alpha NaN', ({ e }) => e.sigmoid(e.zeros([2]), { alpha: Number.NaN }), ValueError, ['alpha', 'NaN']],
  ['leakyRelu slope Infinity', ({ e }) => e.leakyRelu(e.zeros([2]), Infinity), ValueError, ['slope']],
  ['scale by NaN', ({ e }) => e.scale(e.zeros([2]), Number.NaN), ValueError, ['scale factor']],
  ['scale beyond float32', ({ e }) => e.scale(e.zeros([2]), 1e39), ValueError, ['float32 range']],
  ['biasAdd width', ({ e }) => e.biasAdd(e.zeros([2, 3]), e.zeros([2])), ShapeError, ['bias']],
  ['gatherRows outside the indices', ({ e }) => e.gatherRows(e.zeros([2, 2]), e.zeros([2]), 1, 5), ValueError, ['outside']],
  // A TypeError (reading 'size') before the indices were checked.
  ['gatherRows without indices', ({ e }) => e.gatherRows(e.zeros([2, 2]), undefined as never), ValueError, ['expected a Tensor, got undefined']],
  ['gatherRows indices null', ({ e }) => e.gatherRows(e.zeros([2, 2]), null as never), ValueError, ['expected a Tensor, got null']],
  // A missing y picked the forward epilogue: it returned act(A·B), with no error.
  ['matmulActivationBackward without y', ({ e }) => e.matmulActivationBackward(e.zeros([2, 2]), e.zeros([2, 2]), null as never, 'sigmoid'), ValueError,
    ['matmulActivationBackward: y (the saved activation output) must be a Tensor, got null']],
  ['lossGrad unknown loss', ({ e }) => e.lossGrad('hinge' as never, e.zeros([2, 2]), e.zeros([2, 2])), ValueError, ['hinge']],
  ['lossGrad shapes', ({ e }) => e.lossGrad('mse', e.zeros([2, 2]), e.zeros([2, 1])), ShapeError, ['must be equal']],
  ['countCorrect kind', ({ e }) => e.countCorrect('top5' as never, e.zeros([2, 2]), e.zeros([2, 2])), ValueError, ['top5']],
  ['sgdStep negative lr', ({ e }) => e.sgdStep(e.zeros([2]), e.zeros([2]), null, { lr: -1 }), ValueError, ['lr']],
  ['sgdStep momentum 1', ({ e }) => e.sgdStep(e.zeros([2]), e.zeros([2]), e.zeros([2]), { lr: 0.1, momentum: 1 }), ValueError, ['momentum']],
  ['sgdStep aliasing', ({ e }) => { const p = e.zeros([2]); return e.sgdStep(p, p, null, { lr: 0.1 }); }, ValueError, ['distinct']],
  ['adamStep step 0', ({ e }) => e.adamStep(e.zeros([2]), e.zeros([2]), e.zeros([2]), e.zeros([2]), { lr: 0.1, step: 0 }), ValueError, ['step']],
  ['axpyInto offset', ({ e }) => e.axpyInto(e.zeros([2]), e.zeros([2]), 1, 1), ValueError, ['offset 1']],
  // ---- op options that are not objects, or hold values of the wrong type ----
  ['matmul options null', ({ e }) => e.matmul(e.zeros([2, 2]), e.zeros([2, 2]), null as never), ValueError, ['matmul options must be an object', 'null']],
  ['matmul options a string', ({ e }) => e.matmul(e.zeros([2, 2]), e.zeros([2, 2]), 'transposeB' as never), ValueError, ['matmul options must be an object']],
  ['matmul transposeB not a boolean', ({ e }) => e.matmul(e.zeros([2, 3]), e.zeros([2, 3]), { transposeB: 'yes' as never }), ValueError, ['transposeB must be true or false']],
  ['linear options null', ({ e }) => e.linear(e.zeros([2, 2]), e.zeros([2, 2]), null, 'sigmoid', null as never), ValueError, ['linear options']],
  ['matmulActivationBackward options null', ({ e }) => e.matmulActivationBackward(e.zeros([2, 2]), e.zeros([2, 2]), e.zeros([2, 2]), 'sigmoid', null as never), ValueError, ['matmulActivationBackward options']],
  ['sgdMatmulStep options null', ({ e }) => e.sgdMatmulStep(e.zeros([2, 2]), e.zeros([2, 2]), e.zeros([2, 2]), null as never), ValueError, ['sgdMatmulStep options']],
  ['sgdColSumsStep options null', ({ e }) => e.sgdColSumsStep(e.zeros([2]), e.zeros([2, 2]), null as never), ValueError, ['sgdColSumsStep options']],
  ['sigmoid options null', ({ e }) => e.sigmoid(e.zeros([2]), null as never), ValueError, ['sigmoid options']],
  ['sigmoid alpha a string', ({ e }) => e.sigmoid(e.zeros([2]), { alpha: '2' as never }), ValueError, ['alpha must be a finite number or a [1] tensor', '"2"']],
  ['sigmoid alpha null', ({ e }) => e.sigmoid(e.zeros([2]), { alpha: null as never }), ValueError, ['sigmoid options: alpha is null', 'leave it out']],
  ['sigmoidBackward options null', ({ e }) => e.sigmoidBackward(e.zeros([2]), e.zeros([2]), e.zeros([2]), null as never), ValueError, ['sigmoidBackward options']],
  ['gram options null', ({ e }) => e.gram(e.zeros([2, 3]), null, null as never), ValueError, ['gram options']],
  ['sgdStep options null', ({ e }) => e.sgdStep(e.zeros([2]), e.zeros([2]), null, null as never), ValueError, ['sgdStep options']],
  ['adamStep options null', ({ e }) => e.adamStep(e.zeros([2]), e.zeros([2]), e.zeros([2]), e.zeros([2]), null as never), ValueError, ['adamStep options']],
  // ---- gram ----
  ['gram widths differ', ({ e }) => e.gram(e.zeros([2, 3]), e.zeros([2, 4])), ShapeError, ['same number of columns']],
  ['gram unknown kernel', ({ e }) => e.gram(e.zeros([2, 3]), null, { kernel: 'cosine' as never }), ValueError, ['cosine']],
  ['gram gamma NaN', ({ e }) => e.gram(e.zeros([2, 3]), null, { gamma: Number.NaN }), ValueError, ['gamma']],
  ['gram gamma beyond float32', ({ e }) => e.gram(e.zeros([2, 3]), null, { gamma: 1e300 }), ValueError, ['gamma', 'float32']],
  ['gram rbf gamma ≤ 0', ({ e }) => e.gram(e.zeros([2, 3]), null, { kernel: 'rbf', gamma: -1 }), ValueError, ['gamma', 'rbf']],
  ['gram coef0 Infinity', ({ e }) => e.gram(e.zeros([2, 3]), null, { coef0: Infinity }), ValueError, ['coef0']],
  ['gram degree 2.5', ({ e }) => e.gram(e.zeros([2, 3]), null, { kernel: 'polynomial', degree: 2.5 }), ValueError, ['degree']],
  ['gram degree past u32', ({ e }) => e.gram(e.zeros([2, 3]), null, { kernel: 'polynomial', degree: 2 ** 32 + 1 }), ValueError, ['degree', '4294967295']],
  ['gram projected without alpha', ({ e }) => e.gram(e.zeros([2, 3]), null, { kernel: 'projected-sigmoid' }), ValueError, ['alpha']],
  ['gram projected alpha length', ({ e }) => e.gram(e.zeros([2, 3]), null, { kernel: 'projected-sigmoid', alpha: [1], beta: [1, 2, 3] }), ShapeError, ['alpha has 1']],
  ['gram alpha on sigmoid', ({ e }) => e.gram(e.zeros([2, 3]), null, { alpha: [1, 2, 3] }), ValueError, ['only to the projected-sigmoid']],
  ['gramMatrix widths', ({ e, M }) => gramMatrix(e, M, { rows: 1, cols: 3, data: new Float32Array(3) }), ShapeError, ['same number of columns']],
  ['gramMatrix malformed X', ({ e }) => gramMatrix(e, { rows: 2, cols: 2, data: new Float32Array(3) }, null), ValueError, ['2×2', '3 values']],
  ['gramTiles tileRows 0', ({ e, M }) => gramTiles(e, M, null, { tileRows: 0 }, () => {}), ValueError, ['tileRows']],
  ['gramTiles onTile missing', ({ e, M }) => gramTiles(e, M, null, {}, null as never), ValueError, ['onTile']],
  ['gramMatrix options null', ({ e, M }) => gramMatrix(e, M, null, null as never), ValueError, ['gramMatrix options must be an object']],
  ['gramTiles options null', ({ e, M }) => gramTiles(e, M, null, null as never, () => {}), ValueError, ['gramTiles options must be an object']],
  ['gramMatrix X null', ({ e }) => gramMatrix(e, null as never, null), ValueError, ['gramMatrix: X must be a { rows, cols, data: Float32Array } matrix', 'null']],
  ['gramMatrix X data a number array', ({ e }) => gramMatrix(e, { rows: 2, cols: 2, data: [1, 2, 3, 4] as never }, null), ValueError, ['gramMatrix: X', 'its data is an array']],
  ['gramMatrix Y data a Float64Array', ({ e, M }) => gramMatrix(e, M, { rows: 1, cols: 4, data: new Float64Array(4) as never }), ValueError, ['gramMatrix: Y', 'a Float64Array']],
  // onTile throws if reached: onProgress must be refused before the first tile.
  ['gramTiles onProgress not a function', ({ e, M }) => gramTiles(e, M, null, { onProgress: 5 as never }, () => { throw new Error('a tile was computed'); }), ValueError, ['onProgress must be a function', '5']],
  ['gramTiles mirror not a boolean', ({ e, M }) => gramTiles(e, M, null, { mirror: 'no' as never }, () => {}), ValueError, ['mirror must be true or false']],
  ['planGramTiles one row over the limit', ({ e }) => planGramTiles(e.limits, 1, 1, 2 ** 30, true), LimitError, ['features']],
  // ---- Sequential (weights checked unchanged) ----
  ['sequential with no layers', ({ e }) => sequential(e, []), ValueError, ['non-empty']],
  ['dense with 0 units', () => dense(4, 0), ValueError, ['units']],
  ['dense layer over the buffer limit', ({ e }) => sequential(e, [dense(1e5, 1e5)]), LimitError, ['layers.0.weight', 'maxBufferSize']],
  ['layer widths disagree', ({ e }) => sequential(e, [dense(4, 5), dense(6, 1)]), ShapeError, ['takes 6 inputs', 'gives 5']],
  ['optimizer lr NaN', () => sgd({ lr: Number.NaN }), ValueError, ['lr']],
  ['adam beta2 > 1', () => adam({ beta2: 1.5 }), ValueError, ['beta2']],
  ['sequential options null', ({ e }) => sequential(e, [dense(2, 1)], null as never), ValueError, ['sequential options must be an object']],
  ['dense options null', () => dense(2, 1, null as never), ValueError, ['dense options must be an object']],
  ['sigmoid layer options null', () => sigmoid(null as never), ValueError, ['sigmoid options must be an object']],
  ['sgd options null', () => sgd(null as never), ValueError, ['sgd options must be an object']],
  ['adam options a number', () => adam(0.01 as never), ValueError, ['adam options must be an object', '0.01']],
  ['adam options null', () => adam(null as never), ValueError, ['adam options must be an object']],
  ['mlpLayers options null', () => mlpLayers(2, [3], 1, null as never), ValueError, ['mlpLayers options must be an object']],
  ['mlpLayers unknown activation', () => mlpLayers(2, [3], 1, { activation: 'gelu' as never }), ValueError, ['activation must be one of sigmoid, relu, leakyRelu, tanh', '"gelu"']],
  ['mlpLayers hidden not an array', () => mlpLayers(2, 3 as never, 1, { activation: 'relu' }), ValueError, ['hidden must be an array']],
  ['fit NaN in x (row, column)', ({ model, labels }) => model.fit(withAt(7, 2, Number.NaN), labels), ValueError, ['row 7', 'column 2', 'NaN']],
  ['fit Inf in x', ({ model, labels }) => model.fit(withAt(3, 1, -Infinity), labels), ValueError, ['row 3', 'column 1']],
  ['fit allowNonFinite not a boolean', ({ model, X, labels }) => model.fit(X, labels, { allowNonFinite: 'yes' as never }), ValueError, ['allowNonFinite']],
  ['fit label out of range', ({ model, X, labels }) => model.fit(X, labels.map((v, i) => (i === 4 ? 3 : v))), ValueError, ['row 4', '0..2']],
  ['fit label fractional', ({ model, X, labels }) => model.fit(X, labels.map((v, i) => (i === 5 ? 0.5 : v)), { allowNonFinite: true }), ValueError, ['row 5']],
  ['fit 0 rows', ({ model }) => model.fit([], []), ShapeError, ['no rows']],
  // A 0×4 host matrix was '0 rows × 4 columns does not match its 0 values' (it does); checkMatrix's wording now.
  ['fit 0-row host matrix', ({ model }) => model.fit({ rows: 0, cols: 4, data: new Float32Array(0) }, []), ShapeError, ['x is 0×4: it needs at least 1 row and 1 column']],
  ['evaluate 0-column host matrix', ({ model }) => model.evaluate({ rows: 2, cols: 0, data: new Float32Array(0) }, [0, 1]), ShapeError, ['x is 2×0: it needs at least 1 row and 1 column']],
  ['predict 0-row host matrix', ({ model }) => model.predict({ rows: 0, cols: 4, data: new Float32Array(0) }), ShapeError, ['x is 0×4: it needs at least 1 row and 1 column']],
  // Rows of no columns were 'x has 0 columns but the model takes 4 inputs'; the host matrix's wording now.
  ['fit rows of no columns', ({ model }) => model.fit([[]], [0]), ShapeError, ['x is 1×0: it needs at least 1 row and 1 column']],
  ['evaluate rows of no columns', ({ model }) => model.evaluate([[], []], [0, 1]), ShapeError, ['x is 2×0: it needs at least 1 row and 1 column']],
  ['predict rows of no columns', ({ model }) => model.predict([[]]), ShapeError, ['x is 1×0: it needs at least 1 row and 1 column']],
  // Ragged, not 2×0 (it said 'x is 2×0: it needs at least 1 row and 1 column', and row 1 has 4 values).
  ['predict rows, the first of no columns', ({ model }) => model.predict([[], [1, 2, 3, 4]]), ShapeError, ['x row 1 (0-based) has 4 values, row 0 has 0']],
  ['evaluate 0 rows', ({ model }) => model.evaluate([], []), ShapeError, ['x has no rows']],
  ['predict 0 rows', ({ model }) => model.predict([]), ShapeError, ['x has no rows']],
  ['fit host matrix data a Float64Array', ({ model, M, labels }) => model.fit({ ...M, data: Float64Array.from(M.data) as never }, labels), ValueError, ['x must be a { rows, cols, data: Float32Array } matrix; its data is a Float64Array']],
  ['fit x/y rows differ', ({ model, X, labels }) => model.fit(X, labels.slice(1)), ShapeError, ['11 values', '12 rows']],
  ['fit wrong width', ({ model, X, labels }) => model.fit(X.map((r) => r.slice(1)), labels), ShapeError, ['3 columns', '4 inputs']],
  ['fit class indices as a column for softmax', ({ model, X, labels }) => model.fit(X, labels.map((v) => [v])), ShapeError, ['1 columns', '3 outputs', 'pass one number per row']],
  ['fit x row that is not a row', ({ model, X, labels }) => model.fit(X.map((r, i) => (i === 3 ? 7 : r)) as never, labels), ShapeError, ['x row 3 (0-based) is 7', 'not a row of numbers']],
  ['fit flat x', ({ model, labels }) => model.fit([1, 2, 3] as never, labels), ShapeError, ['flat array']],
  ['fit x row with a hole', ({ model, X, labels }) => model.fit(X.map((r, i) => (i === 2 ? [r[0], , r[2], r[3]] : r)) as never, labels), ValueError, ['x[2][1]', 'missing']],
  ['fit x of the wrong type', ({ model, labels }) => model.fit('x' as never, labels), ValueError, ['must be a Tensor']],
  ['fit epochs 0', ({ model, X, labels }) => model.fit(X, labels, { epochs: 0 }), ValueError, ['epochs']],
  ['fit batchSize -1', ({ model, X, labels }) => model.fit(X, labels, { batchSize: -1 }), ValueError, ['batchSize']],
  ['fit options null', ({ model, X, labels }) => model.fit(X, labels, null as never), ValueError, ['options']],
  ['fit shuffle not a boolean', ({ model, X, labels }) => model.fit(X, labels, { shuffle: 'no' as never }), ValueError, ['shuffle must be true or false', '"no"']],
  ['fit recordStepLosses not a boolean', ({ model, X, labels }) => model.fit(X, labels, { recordStepLosses: 'yes' as never }), ValueError, ['recordStepLosses must be true or false']],
  ['fit recovery true', ({ model, X, labels }) => model.fit(X, labels, { recovery: true as never }), ValueError, ['recovery options must be an object', '(or false)']],
  ['fit recovery.fallbackToCpu not a boolean', ({ model, X, labels }) => model.fit(X, labels, { recovery: { fallbackToCpu: 'no' as never } }), ValueError, ['recovery.fallbackToCpu must be true or false']],
  ['fit recovery.backend unknown', ({ model, X, labels }) => model.fit(X, labels, { recovery: { backend: 'gpu' as never } }), ValueError, ['recovery.backend must be']],
  ['fit recovery.maxRecoveries -1', ({ model, X, labels }) => model.fit(X, labels, { recovery: { maxRecoveries: -1 } }), ValueError, ['recovery.maxRecoveries']],
  ['fit y a tensor of another engine', ({ model, X, labels }) => onFreshEngine((f) => model.fit(X, f.tensor(labels))), ValueError, ['y belongs to another engine']],
  ['fit validationData y a tensor of another engine', ({ model, X, labels }) => onFreshEngine((f) => model.fit(X, labels, { validationData: [X, f.tensor(labels)] })), ValueError, ['validationData y belongs to another engine']],
  ['evaluate y a tensor of another engine', ({ model, X, labels }) => onFreshEngine((f) => model.evaluate(X, f.tensor(labels))), ValueError, ['y belongs to another engine']],
  ['fit validation width mismatch', ({ model, X, labels }) => model.fit(X, labels, { validationData: [X.map((r) => [...r, 0]), labels] }), ShapeError, ['validationData x', '5 columns']],
  ['evaluate NaN in x', ({ model, labels }) => model.evaluate(withAt(2, 0, Number.NaN), labels), ValueError, ['row 2', 'column 0']],
  ['evaluate options null', ({ model, X, labels }) => model.evaluate(X, labels, null as never), ValueError, ['options']],
  ['predict NaN in host x', ({ model }) => model.predict(withAt(1, 3, Number.NaN)), ValueError, ['row 1', 'column 3']],
  ['predict NaN in a host matrix', ({ model, M }) => model.predict(matAt(11, 0, Infinity)), ValueError, ['row 11', 'column 0']],
  ['predict wrong width', ({ model }) => model.predict([[1, 2, 3]]), ShapeError, ['3 columns', '4 inputs']],
  ['predict batchSize 0', ({ model, X }) => model.predict(X, { batchSize: 0 }), ValueError, ['batchSize']],
  ['predict options null', ({ model, X }) => model.predict(X, null as never), ValueError, ['options']],
  ['load of garbage bytes', ({ model }) => model.load(new Uint8Array([1, 2, 3])), ValueError, ['safetensors']],
  // ---- SVC ----
  ['SVC C 0', () => new SVC({ C: 0 }), ValueError, ['C must be']],
  ['SVC unknown kernel', () => new SVC({ kernel: 'cosine' as never }), ValueError, ['cosine']],
  ['SVC gamma -1', () => new SVC({ gamma: -1 }), ValueError, ['gamma']],
  ['SVC degree 0', () => new SVC({ degree: 0 }), ValueError, ['degree']],
  ['SVC tol NaN', () => new SVC({ tol: Number.NaN }), ValueError, ['tol']],
  ['SVC log not a function', () => new SVC({ log: 5 as never }), ValueError, ['log must be a function or null']],
  ['SVC.fit NaN in X', ({ e, labels }) => new SVC().fit(e, matAt(3, 1, Number.NaN), labels), ValueError, ['row 3', 'column 1']],
  ['SVC.fit X data a Float64Array', ({ e, M, labels }) => new SVC().fit(e, { rows: M.rows, cols: M.cols, data: Float64Array.from(M.data) as never }, labels), ValueError, ['SVC.fit: X must be a { rows, cols, data: Float32Array } matrix', 'a Float64Array']],
  ['SVC.fit label count', ({ e, M, labels }) => new SVC().fit(e, M, labels.slice(2)), ShapeError, ['12 rows', '10 labels']],
  ['SVC.fit one class', ({ e, M }) => new SVC().fit(e, M, M.data.subarray(0, 12).map(() => 1)), ValueError, ['one class']],
  ['SVC.fit NaN label', ({ e, M, labels }) => new SVC().fit(e, M, labels.map((v, i) => (i === 6 ? Number.NaN : v))), ValueError, ['label 6']],
  ['SVC.fit 0 rows', ({ e }) => new SVC().fit(e, { rows: 0, cols: 4, data: new Float32Array(0) }, []), ShapeError, ['0×4']],
  ['SVC.fit no engine', ({ M, labels }) => new SVC().fit(null, M, labels), ValueError, ['needs an engine']],
  ['SVC.predict before fit', ({ M }) => new SVC().predict(M), ValueError, ['not fitted']],
  ['SVC.predict width', async ({ e, M, labels }) => (await new SVC().fit(e, M, labels)).predict({ rows: 1, cols: 3, data: new Float32Array(3) }), ShapeError, ['3 features', 'trained on 4']],
  // ---- Nyström ----
  ['nystroem NaN in X', ({ e }) => nystroem(e, matAt(5, 2, Number.NaN), { components: 4 }), ValueError, ['row 5', 'column 2']],
  ['nystroem components > rows', ({ e, M }) => nystroem(e, M, { components: 13 }), ValueError, ['components (13)', '12']],
  ['nystroem components 0', ({ e, M }) => nystroem(e, M, { components: 0 }), ValueError, ['components']],
  // @ts-expect-error the type refuses projected-sigmoid too (SymmetricGramKernel)
  ['nystroem projected kernel', ({ e, M }) => nystroem(e, M, { kernel: 'projected-sigmoid' }), ValueError, ['projected-sigmoid']],
  ['nystroem options null', ({ e, M }) => nystroem(e, M, null as never), ValueError, ['options']],
  ['Nystroem.transform width', async ({ e, M }) => (await nystroem(e, M, { components: 4 })).transform(e, { rows: 1, cols: 2, data: new Float32Array(2) }), ShapeError, ['2 columns', 'fitted on 4']],
  ['Nystroem.transform options null', async ({ e, M }) => (await nystroem(e, M, { components: 4 })).transform(e, M, null as never), ValueError, ['Nystroem.transform options must be an object']],
  ['Nystroem.transform Inf', async ({ e, M }) => (await nystroem(e, M, { components: 4 })).transform(e, matAt(0, 0, Infinity)), ValueError, ['row 0', 'column 0']],
  // ---- KernelClassifier ----
  ['KernelClassifier landmarks 0', () => new KernelClassifier({ landmarks: 0 }), ValueError, ['landmarks']],
  ['KernelClassifier lr -1', () => new KernelClassifier({ lr: -1 }), ValueError, ['lr']],
  ['KernelClassifier gamma NaN', () => new KernelClassifier({ gamma: Number.NaN }), ValueError, ['gamma']],
  ['KernelClassifier.fit NaN', ({ e, labels }) => new KernelClassifier({ landmarks: 4, epochs: 1 }).fit(e, matAt(9, 3, Number.NaN), labels), ValueError, ['row 9', 'column 3']],
  ['KernelClassifier.fit labels count', ({ e, M, labels }) => new KernelClassifier({ landmarks: 4 }).fit(e, M, labels.slice(1)), ValueError, ['11 labels', '12 rows']],
  ['KernelClassifier.fit options null', ({ e, M, labels }) => new KernelClassifier({ landmarks: 4, epochs: 1 }).fit(e, M, labels, null as never), ValueError, ['KernelClassifier.fit options must be an object']],
  ['KernelClassifier.fit validationData not a pair', ({ e, M, labels }) => new KernelClassifier({ landmarks: 4, epochs: 1 }).fit(e, M, labels, { validationData: M as never }), ValueError, ['validationData must be a pair']],
  ['KernelClassifier.fit landmarks > rows', ({ e, M, labels }) => new KernelClassifier({ landmarks: 50 }).fit(e, M, labels), ValueError, ['landmarks (50)']],
  ['KernelClassifier.predict before fit', ({ M }) => new KernelClassifier().predict(M), ValueError, ['fit(engine, X, y) first']],
  ['KernelClassifier.predict width', async ({ e, M, labels }) => {
    const k = new KernelClassifier({ landmarks: 4, epochs: 1 });
    await k.fit(e, M, labels);
    try {
      return await k.predict({ rows: 1, cols: 5, data: new Float32Array(5) });
    } finally {
      k.dispose();
    }
  }, ShapeError, ['5 columns', 'fitted on 4']],
  ['KernelClassifier.evaluate unknown class', async ({ e, M, labels }) => {
    const k = new KernelClassifier({ landmarks: 4, epochs: 1 });
    await k.fit(e, M, labels);
    try {
      return await k.evaluate(M, labels.map((v) => v + 5));
    } finally {
      k.dispose();
    }
  }, ValueError, ['evaluate: y']],
  ['KernelClassifier after dispose', ({ M }) => { const k = new KernelClassifier(); k.dispose(); return k.predict(M); }, DisposedError, ['after dispose']],
  // ---- the engine argument: left out (Keras/scikit-learn style) or a createEngine() not awaited ----
  ['sequential without an engine', () => sequential([dense(2, 1)] as never, undefined as never), ValueError, ['sequential: the engine must be an Engine', 'await createEngine()', 'got an array']],
  ['sequential on an engine not awaited', () => sequential(Promise.resolve() as never, [dense(2, 1)]), ValueError, ['sequential: the engine must be an Engine', 'got a Promise']],
  ['fromSafetensors without an engine', () => Sequential.fromSafetensors(new Uint8Array(8) as never, undefined as never), ValueError, ['fromSafetensors: the engine must be an Engine', 'a Uint8Array']],
  ['SVC.fit on an engine not awaited', ({ M, labels }) => new SVC().fit(Promise.resolve() as never, M, labels), ValueError, ['SVC.fit: the engine must be an Engine', 'a Promise']],
  ['SVC.fit float64 on something not an engine', ({ M, labels }) => new SVC({ provider: 'float64' }).fit(M as never, M, labels), ValueError, ['SVC.fit: the engine must be an Engine', 'an object']],
  ['KernelClassifier.fit without an engine', ({ M, labels }) => new KernelClassifier({ landmarks: 4 }).fit(M as never, labels as never, undefined as never), ValueError, ['KernelClassifier.fit: the engine must be an Engine']],
  ['nystroem without an engine', ({ M }) => nystroem(M as never, { components: 4 } as never, undefined), ValueError, ['nystroem: the engine must be an Engine']],
  ['Nystroem.transform without an engine', async ({ e, M }) => (await nystroem(e, M, { components: 4 })).transform(M as never, undefined as never), ValueError, ['Nystroem.transform: the engine must be an Engine']],
  ['gramMatrix without an engine', ({ M }) => gramMatrix(M as never, null as never, null), ValueError, ['gramMatrix: the engine must be an Engine']],
  ['gramTiles on an engine not awaited', ({ M }) => gramTiles(Promise.resolve() as never, M, null, {}, () => {}), ValueError, ['gramTiles: the engine must be an Engine', 'a Promise']],
  ['EngineRowProvider on an engine not awaited', ({ M }) => new EngineRowProvider(Promise.resolve() as never, M, { kernel: 'rbf', gamma: 0.25, coef0: 0, degree: 3 }, { cacheBytes: 1 << 20, batchRows: 8 }), ValueError, ['EngineRowProvider: the engine must be an Engine', 'a Promise']],
  // ---- values of the wrong type are shown as what they are (a string quoted: "0.01", not 0.01) ----
  ['adam lr negative', () => adam({ lr: -1 }), ValueError, ['adam lr must be > 0, got -1']],
  ['sgd lr a string', () => sgd({ lr: '0.01' as never }), ValueError, ['sgd lr must be a finite number, got "0.01"']],
  ['leakyRelu layer given an options object', () => leakyRelu({ slope: 0.2 } as never), ValueError, ['slope must be a finite number, got an object']],
  ['SVC C a string', () => new SVC({ C: '10' as never }), ValueError, ['C must be a finite number > 0, got "10"']],
  ['KernelClassifier lr a string', () => new KernelClassifier({ lr: '0.01' as never }), ValueError, ['lr must be a finite number, got "0.01"']],
  ['fit epochs a string', ({ model, X, labels }) => model.fit(X, labels, { epochs: '5' as never }), ValueError, ['epochs must be a positive integer, got "5"']],
  ['fit a class label a string', ({ model, X, labels }) => model.fit(X, labels.map(String) as never), ValueError, ['y row 0 (0-based) is "0": class labels must be integers']],
  ['fit host matrix rows a string', ({ model, M, labels }) => model.fit({ ...M, rows: '12' as never }, labels), ShapeError, ['x: "12"×4 does not match 48 values']],
  ['fit checkpoint.every a string', ({ model, X, labels }) => model.fit(X, labels, { checkpoint: { every: '2' as never, to: 'x.ckpt' } }), ValueError, ['checkpoint.every must be a positive integer (epochs), got "2"']],
  ['fit checkpoint.to a number', ({ model, X, labels }) => model.fit(X, labels, { checkpoint: { to: 5 as never } }), ValueError, ['a checkpoint target must be', 'got 5']],
  ['fit resumeFrom null', ({ model, X, labels }) => model.fit(X, labels, { resumeFrom: null as never }), ValueError, ['fit options: resumeFrom is null', 'leave it out']],
  // ---- an option set to null is refused, as every option is (some silently took their default) ----
  ['fit epochs null', ({ model, X, labels }) => model.fit(X, labels, { epochs: null as never }), ValueError, ['fit options: epochs is null']],
  ['fit batchSize null', ({ model, X, labels }) => model.fit(X, labels, { batchSize: null as never }), ValueError, ['fit options: batchSize is null']],
  ['evaluate batchSize null', ({ model, X, labels }) => model.evaluate(X, labels, { batchSize: null as never }), ValueError, ['evaluate options: batchSize is null']],
  ['sequential seed null', ({ e }) => sequential(e, [dense(2, 1)], { seed: null as never }), ValueError, ['sequential options: seed is null']],
  ['adam lr null', () => adam({ lr: null as never }), ValueError, ['adam options: lr is null']],
  ['sgd momentum null', () => sgd({ momentum: null as never }), ValueError, ['sgd options: momentum is null']],
  ['dense init null', () => dense(2, 1, { init: null as never }), ValueError, ['dense options: init is null']],
  ['sigmoid layer alpha null', () => sigmoid({ alpha: null as never }), ValueError, ['sigmoid options: alpha is null']],
  ['gram gamma null', ({ e }) => e.gram(e.zeros([2, 3]), null, { gamma: null as never }), ValueError, ['gram options: gamma is null']],
  ['parseSafetensors of null', () => parseSafetensors(null as never), ValueError, ['expected a Uint8Array, got null']],
  ['encodeSafetensors metadata a number', () => encodeSafetensors([], { seed: 5 as never }), ValueError, ['metadata values must be strings; "seed" is 5']],
  ['adamStep step a string', ({ e }) => e.adamStep(e.zeros([2]), e.zeros([2]), e.zeros([2]), e.zeros([2]), { lr: 0.1, step: '2' as never }), ValueError, ['adam step must be an integer ≥ 1, got "2"']],
  ['axpyInto offset a string', ({ e }) => e.axpyInto(e.zeros([2]), e.zeros([1]), 1, '1' as never), ValueError, ['at offset "1"']],
  ['gramMatrix X rows a string', ({ e, M }) => gramMatrix(e, { ...M, rows: '12' as never }, null), ValueError, ['gramMatrix: X: "12"×4 does not match 48 values']],
  ['SVC gamma an array', () => new SVC({ gamma: [0.5] as never }), ValueError, ["gamma must be 'scale', 'auto' or a finite number > 0, got an array"]],
  ['SVC.fit a label a bigint', ({ e, M, labels }) => new SVC().fit(e, M, labels.map(BigInt) as never), ValueError, ['SVC.fit: label 0 is 0n, not a finite number']],
  ['SVC.fit a label a string', ({ e, M, labels }) => new SVC().fit(e, M, labels.map(String) as never), ValueError, ['SVC.fit: label 0 is "0", not a finite number']],
  ['stratifiedSplit a label a string', () => stratifiedSplit(['1', 0, 1, 0] as never, { testFraction: 0.5 }), ValueError, ['stratifiedSplit: label 0 is "1"']],
  ['labelsFromColumn a label a string', () => labelsFromColumn(['1', 0] as never), ValueError, ['row 0 (0-based) is "1", not a finite number']],
  ['classIndices a label a string', () => classIndices(['1'] as never, [0, 1]), ValueError, ['row 0 (0-based) has label "1", which is not one of the classes 0, 1']],
  ['oneHot a label a string', () => oneHot(['1'] as never, 2), ValueError, ['oneHot: label 0 is "1"']],
  ['selectColumns a column a string', ({ M }) => selectColumns(M, ['1'] as never), ValueError, ['selectColumns: column "1" is outside']],
  ['dropColumn a column a string', ({ M }) => dropColumn(M, '1' as never), ValueError, ['dropColumn: column "1" is outside']],
  ['takeRows a row a string', ({ M }) => takeRows(M, ['1'] as never), ValueError, ['takeRows: row "1" is outside']],
  ['takeValues an index a string', () => takeValues([1, 2], ['1'] as never), ValueError, ['takeValues: index "1" is outside']],
  ['applyStandardizer a mean a string', ({ M }) => applyStandardizer(M, { mean: ['0', 0, 0, 0] as never, std: [1, 1, 1, 1] }), ValueError, ['column 0 has mean "0" and std 1']],
  // ---- data utilities ----
  ['labelsFromColumn options null', () => labelsFromColumn([0, 1], null as never), ValueError, ['labelsFromColumn options must be an object']],
  ['randomSplit options null', () => randomSplit(10, null as never), ValueError, ['randomSplit options must be an object']],
  ['stratifiedSplit options a number', () => stratifiedSplit([0, 1, 0, 1], 0.5 as never), ValueError, ['stratifiedSplit options must be an object', '0.5']],
  // ---- CSV ----
  ['readCsv empty', () => readCsv(''), CsvError, ['is empty']],
  ['readCsv non-numeric cell', () => readCsv('a,b\n1,2\n3,x\n'), CsvError, ['line 3, column 2', '"x" is not a number']],
  // ---- unknown option names (a misspelt option would otherwise be ignored) ----
  ['createEngine unknown option', () => createEngine({ backed: 'cpu' } as never), ValueError, ['createEngine options', 'unknown option "backed"', 'did you mean "backend"?']],
  ['matmul unknown option', ({ e }) => e.matmul(e.zeros([2, 2]), e.zeros([2, 2]), { transpose_b: true } as never), ValueError, ['unknown option "transpose_b"', '"transposeB"']],
  ['gram unknown option', ({ e }) => e.gram(e.zeros([2, 2]), null, { kernal: 'rbf' } as never), ValueError, ['gram options', '"kernal"', '"kernel"']],
  ['adamStep unknown option', ({ e }) => e.adamStep(e.zeros([2]), e.zeros([2]), e.zeros([2]), e.zeros([2]), { lr: 0.1, step: 1, beta: 0.9 } as never), ValueError, ['"beta"', 'beta1']],
  ['fit unknown option (snake_case)', ({ model, X, labels }) => model.fit(X, labels, { epochs: 2, batch_size: 4 } as never), ValueError, ['fit options', '"batch_size"', 'did you mean "batchSize"?']],
  ['fit unknown option (Keras name)', ({ model, X, labels }) => model.fit(X, labels, { callbacks: [] } as never), ValueError, ['"callbacks"', 'the options are epochs, batchSize']],
  ['fit checkpoint unknown option', ({ model, X, labels }) => model.fit(X, labels, { checkpoint: { to: 'x.ckpt', each: 2 } as never }), ValueError, ['checkpoint options', '"each"']],
  ['fit recovery unknown option', ({ model, X, labels }) => model.fit(X, labels, { recovery: { retries: 2 } as never }), ValueError, ['recovery options', '"retries"']],
  ['evaluate unknown option', ({ model, X, labels }) => model.evaluate(X, labels, { batch: 4 } as never), ValueError, ['evaluate options', '"batch"', '"batchSize"']],
  ['predict unknown option', ({ model, X }) => model.predict(X, { allowNaN: true } as never), ValueError, ['predict options', '"allowNaN"']],
  ['compile unknown option', ({ model }) => model.compile({ loss: 'mse', lossWeights: [1] } as never), ValueError, ['compile options', '"lossWeights"']],
  // α and β belong to projected-sigmoid, which the landmark methods refuse (KernelClassifier silently dropped them).
  // @ts-expect-error not an option of KernelClassifier
  ['KernelClassifier alpha', () => new KernelClassifier({ alpha: [1, 2, 3, 4] }), ValueError, ['KernelClassifier options', 'unknown option "alpha"']],
  // @ts-expect-error not an option of KernelClassifier
  ['KernelClassifier beta', () => new KernelClassifier({ kernel: 'rbf', beta: [1, 2, 3, 4] }), ValueError, ['unknown option "beta"']],
  // @ts-expect-error not an option of nystroem
  ['nystroem alpha', ({ e, M }) => nystroem(e, M, { alpha: [1, 2, 3, 4] }), ValueError, ['nystroem options', 'unknown option "alpha"']],
  ['adam eps below float32 normals', () => adam({ eps: 1e-46 }), ValueError, ['adam eps', '1.2e-38', '1e-46']],
  ['adamStep eps below float32 normals', ({ e }) => e.adamStep(e.zeros([2]), e.zeros([2]), e.zeros([2]), e.zeros([2]), { lr: 0.1, step: 1, eps: 1e-46 }), ValueError, ['eps', '1.2e-38']],
  ['scale factor below float32 normals', ({ e }) => e.scale(e.zeros([2]), 1e-50), ValueError, ['scale factor', '1e-50']],
  ['gram gamma below float32 normals', ({ e }) => e.gram(e.zeros([2, 2]), null, { gamma: -1e-39 }), ValueError, ['gamma', '-1e-39']],
  // Where 0 is refused too, the message does not offer it ("0 or at least 1.2e-38").
  ['gram rbf gamma below float32 normals', ({ e }) => e.gram(e.zeros([2, 2]), null, { kernel: 'rbf', gamma: 1e-39 }), ValueError, ['gamma must be at least 1.2e-38 (float32', '1e-39']],
  ['gram projected-sigmoid alpha below float32 normals', ({ e }) => e.gram(e.zeros([2, 2]), null, { kernel: 'projected-sigmoid', alpha: [1, 1e-39], beta: [1, 1] }), ValueError, ['alpha[1] must be 0 or at least 1.2e-38', '1e-39']],
  ['gram projected-sigmoid beta past float32', ({ e }) => e.gram(e.zeros([2, 2]), null, { kernel: 'projected-sigmoid', alpha: [1, 1], beta: [1e39, 1] }), ValueError, ['beta[0] must be within the float32 range', '1e+39']],
  ['SVC gamma below float32 normals', () => new SVC({ gamma: 1e-39 }), ValueError, ['gamma must be at least 1.2e-38 (float32', '1e-39']],
  ['adam lr below float32 normals', () => adam({ lr: 1e-40 }), ValueError, ['adam lr must be at least 1.2e-38 (float32', '1e-40']],
  ['sequential seed too large', ({ e }) => sequential(e, [dense(2, 1)], { seed: 2 ** 53 - 2 }), ValueError, ['seed must be an integer in −2^52..2^52', '9007199254740990']],
  ['fit seed too large', ({ model, X, labels }) => model.fit(X, labels, { seed: -(2 ** 53) + 2 }), ValueError, ['seed must be an integer in −2^52..2^52']],
  ['dense seed too large', ({ e }) => sequential(e, [dense(2, 1, { seed: 2 ** 52 + 1 })]), ValueError, ['(dense) seed must be an integer in −2^52..2^52', '4503599627370497']],
  ['sequential unknown option', ({ e }) => sequential(e, [dense(2, 1)], { seeed: 3 } as never), ValueError, ['"seeed"', 'did you mean "seed"?']],
  ['adam unknown option (Keras name)', () => adam({ learningRate: 0.5 } as never), ValueError, ['adam options', '"learningRate"', 'did you mean "lr"?']],
  ['sgd unknown option', () => sgd({ nesterov: true } as never), ValueError, ['sgd options', '"nesterov"', 'lr, momentum, weightDecay']],
  // A plain spec's misspelt field was kept, unused, and written into checkpoints.
  ['compile a plain optimizer spec with an unknown field', ({ model }) => model.compile({ loss: 'mse', optimizer: { ...adam({ lr: 0.01 }), weight_decay: 0.1 } as never }), ValueError,
    ['adam options', 'unknown option "weight_decay"', 'did you mean "weightDecay"?']],
  ['dense unknown option', () => dense(2, 3, { activation: 'relu' } as never), ValueError, ['dense options', '"activation"', 'init, seed']],
  ['mlpLayers alpha with relu', () => mlpLayers(2, [3], 1, { activation: 'relu', alpha: 2 }), ValueError, ["do not apply to activation 'relu'"]],
  ['SVC unknown option', () => new SVC({ Kernel: 'linear' } as never), ValueError, ['SVC options', '"Kernel"', 'did you mean "kernel"?']],
  ['KernelClassifier unknown option', () => new KernelClassifier({ landmark: 10 } as never), ValueError, ['"landmark"', '"landmarks"']],
  ['nystroem unknown option', ({ e, M }) => nystroem(e, M, { n_components: 3 } as never), ValueError, ['nystroem options', '"n_components"']],
  ['gramMatrix unknown option', ({ e, M }) => gramMatrix(e, M, null, { tileSize: 4 } as never), ValueError, ['gramMatrix options', '"tileSize"']],
  ['randomSplit unknown option', () => randomSplit(10, { testFraction: 0.2, test_size: 0.2 } as never), ValueError, ['randomSplit options', '"test_size"']],
  ['labelsFromColumn unknown option', () => labelsFromColumn([0, 1], { type: 'classification' } as never), ValueError, ['labelsFromColumn options', '"type"']],

  ['readCsv NaN cell', () => readCsv('1,2\n3,NaN\n'), CsvError, ['line 2, column 2', 'not a finite number']],
  ['readCsv float32 overflow', () => readCsv('1,2\n1e39,0\n'), CsvError, ['line 2, column 1', 'float32']],
  ['readCsv ragged row', () => readCsv('1,2,3\n4,5\n'), CsvError, ['line 2', '2 columns', 'expected 3']],
  ['readCsv header only', () => readCsv('a,b\n'), CsvError, ['no data rows']],
  ['readCsv unclosed quote', () => readCsv('"a,b\n1,2\n'), CsvError, ['line 1, column 1', 'not closed']],
  ['readCsv empty cell', () => readCsv('1,2,3\n4,,6\n'), CsvError, ['line 2, column 2', 'empty cell']],
];

async function weights(m: Sequential): Promise<number[][]> {
  return Promise.all(m.parameters().map(async (p) => Array.from(await p.tensor.read())));
}

for (const kind of ['cpu', 'gpu'] as const) {
  describe(`bad input is refused with a typed error (${kind})`, () => {
    for (const [name, call, cls, words] of rows) {
      it(name, async () => {
        const e = engines[kind];
        const model = sequential(e, [dense(4, 5), sigmoid(), dense(5, 3)], { seed: 3 });
        model.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.1 }) });
        try {
          const before = await weights(model);
          const live = e.memory().liveTensors;
          let err: unknown;
          try {
            await call({ e, model, X, labels, M });
          } catch (caught) {
            err = caught;
          }
          // The class check first (a clearer failure than a missing word).
          expect(err, `${name}: nothing thrown`).toBeInstanceOf(SigmoidCoreError);
          await expectThrows(() => { throw err; }, cls, name, words);
          expect(await weights(model)).toEqual(before);
          // Rows that build throwaway operands (e.zeros) leak them by design; the others must not.
          if (!/\be\.zeros\b/.test(call.toString()) && !name.startsWith('sgdStep aliasing')) {
            expect(e.memory().liveTensors, `${name}: live tensors`).toBe(live);
          }
        } finally {
          model.dispose();
        }
      });
    }
  });
}

describe('allowNonFinite and use after dispose/destroy', () => {
  it('fit/evaluate/predict accept NaN with allowNonFinite: true (weights become NaN, no throw)', async () => {
    const e = engines.cpu;
    const m = sequential(e, [dense(4, 3)], { seed: 1 });
    m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.1 }) });
    try {
      const y = X.map(() => [0, 0, 0]);
      const bad = withAt(0, 0, Number.NaN);
      const p = await m.predict(bad, { allowNonFinite: true });
      expect(Number.isNaN((await p.read())[0])).toBe(true);
      p.dispose();
      const r = await m.evaluate(bad, y, { allowNonFinite: true });
      expect(Number.isNaN(r.loss)).toBe(true);
      await m.fit(X, y, { epochs: 1 }); // finite data still trains
      await m.fit(bad, y, { epochs: 1, batchSize: 12, allowNonFinite: true });
      expect((await weights(m)).flat().some(Number.isNaN)).toBe(true);
      // Tensor inputs are device data: predict uses them as they are.
      const t = e.tensor(bad);
      (await m.predict(t)).dispose();
      t.dispose();
    } finally {
      m.dispose();
    }
  });

  it('tensors, models, engines used after dispose/destroy throw DisposedError', async () => {
    for (const backend of ['cpu', 'webgpu'] as const) {
      const e = await createEngine({ backend, log: null });
      const t = e.tensor([[1, 2], [3, 4]]);
      const u = e.tensor([[1, 2], [3, 4]]);
      u.dispose();
      u.dispose(); // idempotent
      await expectThrows(() => e.add(t, u), DisposedError, 'op on a disposed tensor', ['after dispose']);
      await expectThrows(() => u.read(), DisposedError, 'read of a disposed tensor');
      const m = sequential(e, [dense(2, 1)]);
      m.compile({ loss: 'mse' });
      const svc = await new SVC({ kernel: 'linear' }).fit(e, { rows: 4, cols: 2, data: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]) }, [0, 0, 1, 1]);
      m.dispose();
      await expectThrows(() => m.fit([[1, 2]], [1]), DisposedError, 'fit after model dispose');
      await expectThrows(() => m.predict([[1, 2]]), DisposedError, 'predict after model dispose');
      await expectThrows(() => m.save(), DisposedError, 'save after model dispose');
      e.destroy();
      e.destroy(); // idempotent
      await expectThrows(() => e.tensor([1]), DisposedError, 'tensor after destroy', ['destroy()']);
      await expectThrows(() => e.memory(), DisposedError, 'memory after destroy');
      await expectThrows(() => e.matmul(t, t), DisposedError, 'op after destroy');
      await expectThrows(() => t.read(), DisposedError, 'read after destroy');
      await expectThrows(() => svc.predict({ rows: 1, cols: 2, data: new Float32Array(2) }), DisposedError, 'SVC.predict after engine destroy');
      await expectThrows(() => sequential(e, [dense(2, 1)]), DisposedError, 'model on a destroyed engine');
      t.dispose(); // no throw after destroy
    }
  });
});

// ---- the CLI (the built dist/cli.js, as test/cli.test.ts: `npm test` builds it first) ----
describe('CLI: bad input is one line on stderr, exit 1 (data) or 2 (usage), no stack trace', () => {
  let dir: string;
  beforeAll(async () => {
    requireBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-bad-'));
    const files: Record<string, string> = {
      'bad.csv': 'a,b,label\n1,2,0\n3,x,1\n',
      'ok.csv': 'a,b,label\n1,2,0\n3,4,1\n5,6,1\n0,1,0\n',
      'three.csv': 'a,label\n1,0\n2,1\n3,2\n4,0\n',
      'unseen.csv': 'a,b,label\n1,2,5\n',
      'frac.csv': 'a,b,label\n1,2,0\n3,4,1\n5,6,0.1\n',
      'X2.csv': 'a,b\n1,2\n',
      'X3.csv': 'a,b,c\n1,2,3\n',
      'nan.csv': 'a,b\n1,NaN\n',
      'empty.csv': '',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const cases: [string, (d: string) => string[], number, RegExp][] = [
    ['non-numeric cell', (d) => ['gram', '--x', `${d}/bad.csv`, '--out', `${d}/K.csv`], 1, /bad\.csv line 3, column 2: "x" is not a number/],
    ['NaN cell', (d) => ['gram', '--x', `${d}/nan.csv`, '--out', `${d}/K.csv`], 1, /line 2, column 2: "NaN" is not a finite number/],
    ['empty file', (d) => ['gram', '--x', `${d}/empty.csv`, '--out', `${d}/K.csv`], 1, /empty\.csv is empty/],
    ['train/test widths', (d) => ['gram', '--x', `${d}/X2.csv`, '--y', `${d}/X3.csv`, '--out', `${d}/K.csv`], 1, /3 columns but .* has 2/],
    ['unknown kernel', (d) => ['gram', '--x', `${d}/X2.csv`, '--kernel', 'cosine', '--out', `${d}/K.csv`], 2, /--kernel must be one of/],
    ['gamma nan', (d) => ['gram', '--x', `${d}/X2.csv`, '--gamma', 'nan', '--out', `${d}/K.csv`], 2, /--gamma must be a finite number/],
    ['label unseen in the test set', (d) => ['train', '--train', `${d}/ok.csv`, '--test', `${d}/unseen.csv`, '--label', 'label', '--epochs', '1'], 1, /unseen\.csv label column "label": line 2 has label 5, which is not one of the classes 0, 1/],
    ['svm non-integer label names its file line', (d) => ['svm', '--train', `${d}/frac.csv`, '--label', 'label'], 1, /frac\.csv label column "label": classification needs integer class labels, but line 4 is 0\.1$/],
    ['--test-split leaving a class untrained', (d) => ['train', '--train', `${d}/ok.csv`, '--label', 'label', '--test-split', '0.75', '--backend', 'cpu'], 1, /--test-split 0\.75 leaves 1 training row of .*ok\.csv for 2 classes: class [01] would not be trained on/],
    // Most of its classes have a single row, which --task auto refuses as regression-like: insist.
    ['--test-split leaving two classes untrained', (d) => ['train', '--train', `${d}/three.csv`, '--label', 'label', '--task', 'classification', '--test-split', '0.75', '--backend', 'cpu'], 1, /--test-split 0\.75 leaves 1 training row of .*three\.csv for 3 classes: classes \d, \d would not be trained on/],
    ['unknown label column', (d) => ['train', '--train', `${d}/ok.csv`, '--label', 'nosuch'], 1, /no label column named "nosuch"/],
    ['epochs 0', (d) => ['train', '--train', `${d}/ok.csv`, '--label', 'label', '--epochs', '0'], 2, /--epochs must be an integer ≥ 1/],
    ['svm C 0', (d) => ['svm', '--train', `${d}/ok.csv`, '--label', 'label', '--C', '0'], 2, /--C must be > 0/],
    ['missing file', (d) => ['train', '--train', `${d}/missing.csv`, '--label', 'label'], 1, /does not exist/],
    ['predict with a non-model file', (d) => ['predict', '--model', `${d}/bad.csv`, '--data', `${d}/X2.csv`, '--out', `${d}/p.csv`], 1, /bad\.csv is not a model sigmoid-core can read: safetensors: /],
  ];
  for (const [name, args, code, pattern] of cases) {
    it(name, () => {
      const r = spawnSync(process.execPath, [CLI, ...args(dir)], {
        ...childOptions(), encoding: 'utf8', timeout: 60_000,
      });
      const last = r.stderr.trim().split('\n').pop() ?? '';
      expect(r.status, r.stderr).toBe(code);
      expect(last).toMatch(/^sigmoid-core: /);
      expect(last).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at |unexpected error/);
    });
  }
});
