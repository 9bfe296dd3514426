// A float64 host re-implementation of a Sequential model's forward pass and losses,
// written from the definitions (not from src/nn): dense z = x·W + b, the activations of
// test/helpers/reference.ts, and the three losses as the engine defines them (mse and
// binary cross-entropy averaged over all elements, softmax cross-entropy over rows; both
// cross-entropies on logits). Used for finite-difference gradient checks.

import type { LayerSpec, LossKind } from '../../src/index.js';
import { refActivationScalar, refSigmoidScalar } from '../helpers/reference.js';

/** Parameter values by safetensors name (float64 copies). */
export type RefParams = Map<string, Float64Array>;

/**
 * Output [rows, outputs] of the layers on x [rows, d]; `dropFinalSigmoid` leaves out a final
 * sigmoid (the fused sigmoid + binary cross-entropy form).
 */
export function refForward(
  layers: readonly LayerSpec[], params: RefParams, x: ArrayLike<number>, rows: number, dropFinalSigmoid = false,
): { out: Float64Array; cols: number } {
  let h = Float64Array.from(x);
  let cols = x.length / rows;
  layers.forEach((l, i) => {
    if (l.kind === 'dense') {
      const w = params.get(`layers.${i}.weight`)!;
      const b = params.get(`layers.${i}.bias`)!;
      const out = new Float64Array(rows * l.units);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < l.units; j++) {
          let s = b[j]!;
          for (let k = 0; k < l.inputs; k++) s += h[r * l.inputs + k]! * w[k * l.units + j]!;
          out[r * l.units + j] = s;
        }
      }
      h = out;
      cols = l.units;
      return;
    }
    if (dropFinalSigmoid && i === layers.length - 1 && l.kind === 'sigmoid') return;
    const alpha = l.kind === 'sigmoid' ? (l.learnAlpha ? params.get(`layers.${i}.alpha`)![0]! : l.alpha) : 1;
    const slope = l.kind === 'leakyRelu' ? l.slope : undefined;
    h = h.map((v) => refActivationScalar(l.kind as Exclude<LayerSpec['kind'], 'dense'>, v, { alpha, slope }));
  });
  return { out: h, cols };
}

/** The engine's mean loss of pred (logits for the cross-entropies) against target, in float64. */
export function refLoss(kind: LossKind, pred: ArrayLike<number>, target: ArrayLike<number>, rows: number, cols: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    if (kind === 'softmaxCrossEntropy') {
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, pred[r * cols + c]!);
      let z = 0;
      for (let c = 0; c < cols; c++) z += Math.exp(pred[r * cols + c]! - max);
      const logZ = max + Math.log(z);
      for (let c = 0; c < cols; c++) total -= target[r * cols + c]! * (pred[r * cols + c]! - logZ);
      continue;
    }
    for (let c = 0; c < cols; c++) {
      const p = pred[r * cols + c]!;
      const t = target[r * cols + c]!;
      total += kind === 'mse' ? (p - t) ** 2 : Math.max(p, 0) - p * t + Math.log1p(Math.exp(-Math.abs(p)));
    }
  }
  return kind === 'softmaxCrossEntropy' ? total / rows : total / (rows * cols);
}

/** σ in float64 (re-exported for tests that build probabilities). */
export const refSigmoid = refSigmoidScalar;
