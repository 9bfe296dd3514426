// CPU reductions by pairwise (tree) summation: ranges are halved recursively down to
// blocks of at most BASE elements, which are summed serially; the partial sums are then
// added pairwise. Rounding error grows with log2(n) instead of n. Partial sums are
// float64; the result is rounded to float32 once, when stored.

/** Largest block summed by a serial loop. */
export const BASE = 64;

/** Σ x[start .. start+n) by recursive halving. */
export function pairwiseSum(x: ArrayLike<number>, start: number, n: number): number {
  if (n <= BASE) {
    let s = 0;
    for (let i = start; i < start + n; i++) s += x[i]!;
    return s;
  }
  const half = n >>> 1;
  return pairwiseSum(x, start, half) + pairwiseSum(x, start + half, n - half);
}

/** Σ x[i]² over x[start .. start+n) by recursive halving (squares taken in float64). */
export function pairwiseSumSquares(x: ArrayLike<number>, start: number, n: number): number {
  if (n <= BASE) {
    let s = 0;
    for (let i = start; i < start + n; i++) {
      const v = x[i]!;
      s += v * v;
    }
    return s;
  }
  const half = n >>> 1;
  return pairwiseSumSquares(x, start, half) + pairwiseSumSquares(x, start + half, n - half);
}

/**
 * out[c] = Σ_r x[r, c] over row-major x [rows, cols], pairwise over rows: blocks of at
 * most BASE rows are summed row by row into a float64 vector (streaming through memory),
 * and block results are added pairwise.
 */
export function colSums(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const s = colSumsRange(x, 0, rows, cols);
  for (let c = 0; c < cols; c++) out[c] = s[c]!;
}

function colSumsRange(x: Float32Array, r0: number, nRows: number, cols: number): Float64Array {
  if (nRows <= BASE) {
    const acc = new Float64Array(cols);
    for (let r = r0; r < r0 + nRows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) acc[c] = acc[c]! + x[base + c]!;
    }
    return acc;
  }
  const half = nRows >>> 1;
  const left = colSumsRange(x, r0, half, cols);
  const right = colSumsRange(x, r0 + half, nRows - half, cols);
  for (let c = 0; c < cols; c++) left[c] = left[c]! + right[c]!;
  return left;
}
