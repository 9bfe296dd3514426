// Helpers shared by the Nyström map and the kernel classifier: seeded landmark (component)
// sampling, and kernel features K(X, L) computed on the engine in row blocks so that the
// host matrix X can be far larger than one GPU buffer (memory linear in N, never N×N).

import type { Engine } from '../engine.js';
import { ShapeError, ValueError } from '../errors.js';
import { GRAM_KERNELS, kernelOverflow } from '../gram-options.js';
import { checkMatrix, type Matrix } from '../data/matrix.js';
import { seededRandom, shuffleInPlace } from '../data/random.js';
import { CPU_WORK_PER_YIELD, cpuGramEntryCost, yielder } from '../next-task.js';
import type { Tensor } from '../tensor.js';
import { describeValue } from '../validate.js';

/**
 * m distinct row indices of 0..n−1, drawn without replacement with a seeded shuffle (the
 * first m of a permutation, as scikit-learn's Nystroem does with `permutation(n)[:m]`).
 */
export function sampleRowIndices(n: number, m: number, seed: number, what = 'components'): number[] {
  if (!Number.isInteger(m) || m < 1) throw new ValueError(`${what} must be an integer ≥ 1, got ${describeValue(m)}`);
  if (m > n) throw new ValueError(`${what} (${m}) must be ≤ the number of rows (${n})`);
  return shuffleInPlace(Array.from({ length: n }, (_, i) => i), seededRandom(seed)).slice(0, m);
}

/** The rows `idx` of x as a new matrix (no per-index checks: callers pass valid indices). */
export function gatherRows(x: Matrix, idx: readonly number[]): Matrix {
  const data = new Float32Array(idx.length * x.cols);
  idx.forEach((r, i) => data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols));
  return { rows: idx.length, cols: x.cols, data };
}

/** Checks a host matrix argument and that its values are finite (naming the first bad one). */
export function checkInputMatrix(name: string, x: Matrix): void {
  checkMatrix(name, x);
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i]!)) {
      throw new ValueError(`${name} row ${Math.floor(i / x.cols)}, column ${i % x.cols} (0-based) is ${x.data[i]}, not a finite number`);
    }
  }
}

/**
 * Refuses kernel values or features computed from a finite X that are not finite: the
 * kernel overflowed float32 (a linear kernel on X ≈ 1e20 has K ≈ 1e40). `name` names the
 * matrix ('nystroem: K_mm'); the message gives its first bad entry [row, column] and the fix.
 */
export function checkKernelFinite(name: string, values: ArrayLike<number>, cols: number, kernel: string): void {
  for (let k = 0; k < values.length; k++) {
    if (Number.isFinite(values[k]!)) continue;
    throw new ValueError(`${name}[${Math.floor(k / cols)}, ${k % cols}] (0-based) is ${values[k]} although X is finite: ${kernelOverflow(kernel)}`);
  }
}

const SYMMETRIC_KERNELS: readonly string[] = GRAM_KERNELS.filter((k) => k !== 'projected-sigmoid');

/**
 * The kernel option of the Nyström map and the classifier, when given: one of the symmetric
 * kernels. 'projected-sigmoid' σ(αᵀx + βᵀy + γ) is not symmetric and, against fixed
 * landmarks, is a function of the single projection αᵀx; an unknown name is told the list
 * without it (the engine's own list offers it).
 */
export function checkSymmetricKernel(what: string, kernel: string | undefined): void {
  if (kernel === 'projected-sigmoid') {
    throw new ValueError(`${what} does not support the projected-sigmoid kernel (not symmetric; against fixed landmarks it depends on x only through αᵀx); use ${SYMMETRIC_KERNELS.join(', ')}`);
  }
  if (kernel !== undefined && !SYMMETRIC_KERNELS.includes(kernel)) {
    throw new ValueError(`${what}: unknown kernel ${describeValue(kernel)}; expected one of ${SYMMETRIC_KERNELS.join(', ')}`);
  }
}

export function checkWidth(name: string, x: Matrix, expected: number, fittedOn: string): void {
  if (x.cols !== expected) {
    throw new ShapeError(`${name} has ${x.cols} columns (features) but ${fittedOn} was fitted on ${expected}`);
  }
}

/**
 * Rows per block of a row-block transform of X [rows, inCols] into [rows, outCols] (kernel
 * features against outCols landmarks, then an outCols × outCols product): the widest
 * per-block tensor stays within 4 M float32 values and the engine's storage-binding limit;
 * on the CPU backend a block also costs at most about CPU_WORK_PER_YIELD (the yields come
 * between blocks).
 */
export function blockRows(engine: Engine, rows: number, inCols: number, outCols: number): number {
  const widest = Math.max(1, inCols, outCols);
  const limit = Math.floor(Math.min(engine.limits.maxStorageBufferBindingSize, engine.limits.maxBufferSize) / 4);
  let fit = Math.floor(Math.min(4 * 1024 * 1024, limit) / widest);
  if (engine.backend === 'cpu') {
    const rowCost = outCols * (cpuGramEntryCost(inCols) + outCols);
    fit = Math.min(fit, Math.floor(CPU_WORK_PER_YIELD / rowCost));
  }
  return Math.max(1, Math.min(rows, fit));
}

/**
 * Runs `step` on consecutive row blocks of x (each block uploaded as a tensor, which the
 * step must not keep), reading back each block's result tensor into one host matrix of
 * `outCols` columns. Two blocks are in flight at a time, so the upload/compute of block b+1
 * overlaps the read-back of block b.
 */
export async function mapRowBlocks(
  engine: Engine, x: Matrix, outCols: number, rowsPerBlock: number, step: (block: Tensor) => Tensor,
): Promise<Matrix> {
  const out = new Float32Array(x.rows * outCols);
  const pending: Promise<void>[] = [];
  // On the CPU backend a block's read completes in the microtask queue: yield now and then,
  // or a page freezes for the whole run.
  const maybeYield = yielder();
  for (let start = 0; start < x.rows; start += rowsPerBlock) {
    const count = Math.min(rowsPerBlock, x.rows - start);
    const xb = engine.tensor(x.data.subarray(start * x.cols, (start + count) * x.cols), [count, x.cols]);
    let yb: Tensor;
    try {
      yb = step(xb);
    } finally {
      xb.dispose();
    }
    const at = start * outCols;
    const read = yb.read().then(
      (v) => { out.set(v, at); yb.dispose(); },
      (err: unknown) => { yb.dispose(); throw err; },
    );
    // Awaited below; if an earlier block or the next upload throws first, this one's
    // rejection (the same lost device, say) must not surface as an unhandled rejection.
    read.catch(() => {});
    pending.push(read);
    engine.flush();
    if (pending.length >= 2) await pending.shift();
    const pause = maybeYield();
    if (pause !== undefined) await pause;
  }
  await Promise.all(pending);
  return { rows: x.rows, cols: outCols, data: out };
}
