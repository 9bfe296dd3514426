// Activation descriptors: what users pass ('sigmoid', { kind: 'sigmoid', alpha: 2 }, ...)
// and their normalisation into the backend's ActivationSpec.

import type { ActivationSpec } from './backend.js';
import { ShapeError, ValueError } from './errors.js';
import { Tensor } from './tensor.js';
import type { ActivationKind } from './types.js';
import { checkFinite, describeValue, fmtShape } from './validate.js';

export type Activation =
  | ActivationKind
  | { kind: 'sigmoid'; /** Scale α of σ(α·x): a number, or a [1] tensor (trainable). */ alpha?: number | Tensor }
  | { kind: 'leakyRelu'; /** Negative-side slope, default 0.01. */ slope?: number }
  | { kind: 'relu' | 'tanh' | 'identity' };

export const ACTIVATION_KINDS: readonly ActivationKind[] = ['sigmoid', 'relu', 'leakyRelu', 'tanh', 'identity'];
export const DEFAULT_LEAKY_SLOPE = Math.fround(0.01);

export function resolveActivation(act: Activation | undefined): ActivationSpec {
  const a = act ?? 'identity';
  const kind = typeof a === 'string' ? a : a?.kind;
  if (!ACTIVATION_KINDS.includes(kind as ActivationKind)) {
    throw new ValueError(`unknown activation ${JSON.stringify(kind)}; expected one of ${ACTIVATION_KINDS.join(', ')}`);
  }
  const spec: ActivationSpec = { kind: kind as ActivationKind, alpha: 1, alphaBuf: null, slope: DEFAULT_LEAKY_SLOPE };
  if (typeof a === 'object' && a.kind === 'sigmoid' && a.alpha !== undefined) {
    if (typeof a.alpha === 'number') {
      checkFinite('sigmoid alpha', a.alpha);
      spec.alpha = Math.fround(a.alpha); // as the shaders get it: both backends scale by the same float32
    } else if (a.alpha instanceof Tensor) {
      if (a.alpha.size !== 1) throw new ShapeError(`sigmoid alpha tensor must hold one value, got shape ${fmtShape(a.alpha.shape)}`);
      spec.alphaBuf = a.alpha.buffer;
    } else {
      throw new ValueError(`sigmoid alpha must be a finite number or a [1] tensor, got ${describeValue(a.alpha)}`);
    }
  }
  if (typeof a === 'object' && a.kind === 'leakyRelu' && a.slope !== undefined) {
    checkFinite('leakyRelu slope', a.slope);
    if (a.slope < 0) throw new ValueError(`leakyRelu slope must be ≥ 0 (its backward reads the sign of the output), got ${a.slope}`);
    spec.slope = Math.fround(a.slope);
  }
  return spec;
}
