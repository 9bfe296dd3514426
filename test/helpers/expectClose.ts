// The one comparison helper of the test suite (Node and browser): no vitest import, it
// throws a plain Error whose message names the label, the worst element and how many
// elements failed.
//
// Elementwise mode (default): |actual − expected| ≤ atol + rtol·|expected| for every i
// (numpy.allclose). Defaults when neither is given: rtol 1e-6, atol 0.
// relNorm mode: ‖actual − expected‖₂ / ‖expected‖₂ ≤ relNorm (the matmul tolerance; plain
// ‖actual − expected‖₂ when expected is all zeros); if atol or rtol is also given, the
// elementwise test must hold as well.
// In both modes: NaN or ±Inf in `actual` where `expected` is finite never passes; an
// expected NaN needs an actual NaN; an expected ±Inf needs the same infinity.

import { describeError } from '../../tools/describe-error.js';

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  relNorm?: number;
  label?: string;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: CloseOptions = {}): void {
  const label = opts.label ?? 'values';
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length mismatch: actual has ${actual.length} elements, expected ${expected.length}`);
  }
  const useNorm = opts.relNorm !== undefined;
  const elementwise = !useNorm || opts.atol !== undefined || opts.rtol !== undefined;
  const rtol = opts.rtol ?? (opts.atol === undefined ? 1e-6 : 0);
  const atol = opts.atol ?? 0;

  let failures = 0;
  let worst = -1;
  let worstScore = -1; // error / allowed; Infinity for a non-finite mismatch
  let diff2 = 0;
  let ref2 = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    let score: number;
    if (Number.isNaN(e)) {
      score = Number.isNaN(a) ? 0 : Infinity;
    } else if (!Number.isFinite(e)) {
      score = a === e ? 0 : Infinity;
    } else if (!Number.isFinite(a)) {
      score = Infinity; // NaN/Inf where a finite value was expected
    } else {
      const err = Math.abs(a - e);
      diff2 += err * err;
      ref2 += e * e;
      if (!elementwise) score = 0;
      else {
        const allowed = atol + rtol * Math.abs(e);
        score = err === 0 ? 0 : allowed === 0 ? Infinity : err / allowed;
      }
    }
    if (score > 1) failures++;
    if (score > worstScore) {
      worstScore = score;
      worst = i;
    }
  }
  const problems: string[] = [];
  if (failures > 0) {
    const i = worst;
    const a = actual[i]!;
    const e = expected[i]!;
    problems.push(
      `${failures} of ${expected.length} elements out of tolerance (rtol ${rtol}, atol ${atol}); ` +
        `worst at [${i}]: actual ${a}, expected ${e}, error ${Math.abs(a - e)}`,
    );
  }
  if (useNorm) {
    const norm = Math.sqrt(diff2) / (ref2 > 0 ? Math.sqrt(ref2) : 1);
    if (!(norm <= opts.relNorm!)) {
      const w = worstAbs(actual, expected);
      problems.push(
        `relative error norm ‖a−e‖/‖e‖ = ${norm.toExponential(3)} > ${opts.relNorm}; largest difference at [${w}]: ` +
          `actual ${actual[w]}, expected ${expected[w]}, error ${Math.abs(actual[w]! - expected[w]!)}`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`${label}: ${problems.join('; ')}`);
}

function worstAbs(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let w = 0;
  let best = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    const score = Number.isNaN(d) ? Infinity : d;
    if (score > best) {
      best = score;
      w = i;
    }
  }
  return w;
}

/** Throws unless every value is finite (no NaN, no ±Inf). */
export function expectFinite(actual: ArrayLike<number>, label = 'values'): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i]!)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) throw new Error(`${label}: ${bad} of ${actual.length} values are not finite; first at [${first}]: ${actual[first]}`);
}

/** Throws unless actual[i] === expected[i] for each listed index (exact float equality). */
export function expectExactAt(actual: ArrayLike<number>, expected: ArrayLike<number>, indices: readonly number[], label = 'values'): void {
  for (const i of indices) {
    if (!Object.is(actual[i]! + 0, expected[i]! + 0)) {
      throw new Error(`${label}: [${i}] must be exactly ${expected[i]}, got ${actual[i]}`);
    }
  }
}

/**
 * Runs fn (sync or async) and throws unless it throws an instance of `cls` whose message
 * contains every string in `mustInclude`.
 */
export async function expectThrows(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  label: string,
  mustInclude: readonly string[] = [],
): Promise<void> {
  let caught: unknown = undefined;
  let threw = false;
  try {
    await fn();
  } catch (err) {
    threw = true;
    caught = err;
  }
  if (!threw) throw new Error(`${label}: expected a ${cls.name} but nothing was thrown`);
  if (!(caught instanceof cls)) {
    const got = describeError(caught);
    throw new Error(`${label}: expected a ${cls.name}, got ${got}`);
  }
  for (const s of mustInclude) {
    if (!caught.message.includes(s)) {
      throw new Error(`${label}: the ${cls.name} message should mention ${JSON.stringify(s)}: ${JSON.stringify(caught.message)}`);
    }
  }
}
