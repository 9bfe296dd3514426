// Scalar activations of the CPU backend, shared by the elementwise forward, the backward
// and the matmul epilogue. Every formula is finite for every finite input (|x| up to
// 3e38): exponentials only ever see arguments in [−120, 0], so huge inputs give exactly
// 0, 1 or ±1 once stored as float32, never NaN; a NaN input gives NaN (as on WebGPU).
// Arithmetic is float64 (JS numbers); the result is rounded to float32 once, when stored.

import type { ActivationSpec } from '../backend.js';
import type { ActivationKind } from '../types.js';

/** Largest argument magnitude handed to exp(): e^−120 ≈ 8e-53 is 0 in float32. */
export const EXP_CLAMP = 120;

/**
 * σ(z) = 1/(1+e^{−z}), evaluated with e = exp(−|z|) so it never overflows: 1/(1+e) for
 * z ≥ 0, e/(1+e) for z < 0, with one division shared by both (as common.wgsl).
 */
export function sigmoid(z: number): number {
  const e = Math.exp(-Math.min(Math.abs(z), EXP_CLAMP));
  const inv = 1 / (1 + e);
  return z >= 0 ? inv : e * inv;
}

/**
 * tanh(z) = sign(z)·(1−e)/(1+e), e = exp(−2|z|) (clamped). Written with expm1 so small
 * |z| keeps full relative precision: with t = e − 1, (1−e)/(1+e) = −t/(2+t).
 */
export function tanh(z: number): number {
  const t = Math.expm1(-Math.min(2 * Math.abs(z), EXP_CLAMP));
  const r = -t / (2 + t);
  return z < 0 ? -r : r;
}

/** Activation parameters with the scale resolved to one number. */
export interface ResolvedAct {
  kind: ActivationKind;
  /** Effective sigmoid scale α = spec.alpha × (alphaBuf ? alphaBuf[0] : 1). */
  alpha: number;
  slope: number;
}

/** Resolves an ActivationSpec, reading the [1] α buffer if there is one. */
export function resolveAct(spec: ActivationSpec, alphaValue: number | null): ResolvedAct {
  return { kind: spec.kind, alpha: Math.fround(spec.alpha * (alphaValue ?? 1)), slope: spec.slope };
}

/** dst[dOff + i] = act(src[sOff + i]) for i < n. src may be float64 (matmul accumulators). */
export function activateInto(
  src: ArrayLike<number>, sOff: number, dst: Float32Array, dOff: number, n: number, act: ResolvedAct,
): void {
  switch (act.kind) {
    case 'sigmoid': {
      const a = act.alpha;
      for (let i = 0; i < n; i++) dst[dOff + i] = sigmoid(a * src[sOff + i]!);
      return;
    }
    case 'tanh':
      for (let i = 0; i < n; i++) dst[dOff + i] = tanh(src[sOff + i]!);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) dst[dOff + i] = Math.max(src[sOff + i]!, 0); // NaN stays NaN
      return;
    case 'leakyRelu': {
      const s = act.slope;
      for (let i = 0; i < n; i++) {
        const v = src[sOff + i]!;
        dst[dOff + i] = v > 0 ? v : s * v;
      }
      return;
    }
    case 'identity':
      for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i]!;
      return;
  }
}

/**
 * dx[i] = dy[i] · act'(from the saved output y[i]): sigmoid α·y(1−y), relu [y > 0],
 * leakyRelu y > 0 ? 1 : slope, tanh (1 − y)(1 + y), identity 1.
 */
export function activationGradInto(
  dy: Float32Array, y: Float32Array, dx: Float32Array, n: number, act: ResolvedAct,
): void {
  switch (act.kind) {
    case 'sigmoid': {
      const a = act.alpha;
      for (let i = 0; i < n; i++) {
        const yi = y[i]!;
        dx[i] = dy[i]! * a * (yi * (1 - yi));
      }
      return;
    }
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const yi = y[i]!;
        dx[i] = dy[i]! * ((1 - yi) * (1 + yi));
      }
      return;
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * (y[i]! > 0 ? 1 : 0); // NaN in dy propagates
      return;
    case 'leakyRelu': {
      const s = act.slope;
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * (y[i]! > 0 ? 1 : s);
      return;
    }
    case 'identity':
      for (let i = 0; i < n; i++) dx[i] = dy[i]!;
      return;
  }
}
