// CPU matmul: out[m, n] = act(op(A)·op(B) + bias), all four transpose combinations.
// Loop order i-k-j: for each output row, scale the contiguous rows of op(B) by A's entries
// and accumulate them into a float64 row, so the inner loop streams through memory.
// When B is stored transposed ([n, k]) a row-major copy of Bᵀ is made first; op(A)'s
// entries are read one scalar at a time, so A needs no copy. The bias add and the
// activation are applied to the float64 accumulator row before it is stored (the fused
// epilogue), so the only float32 rounding is the final store.

import type { MatmulParams } from '../backend.js';
import { activateInto, type ResolvedAct } from './activations.js';

export interface MatmulArrays {
  a: Float32Array;
  b: Float32Array;
  out: Float32Array;
  bias: Float32Array | null;
}

/** [k, n] row-major copy of B stored as [n, k]. */
export function transposeCopy(src: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = src[base + c]!;
  }
  return t;
}

export function matmul(
  arr: MatmulArrays, p: Pick<MatmulParams, 'm' | 'n' | 'k' | 'transposeA' | 'transposeB'>, act: ResolvedAct,
): void {
  const { m, n, k, transposeA } = p;
  const a = arr.a;
  const b = p.transposeB ? transposeCopy(arr.b, n, k) : arr.b; // now [k, n]
  const out = arr.out;
  const bias = arr.bias;
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p2 = 0; p2 < k; p2++) {
      const aip = transposeA ? a[p2 * m + i]! : a[i * k + p2]!;
      const row = p2 * n;
      for (let j = 0; j < n; j++) acc[j] = acc[j]! + aip * b[row + j]!;
    }
    if (bias !== null) for (let j = 0; j < n; j++) acc[j] = acc[j]! + bias[j]!;
    activateInto(acc, 0, out, i * n, n, act);
  }
}
