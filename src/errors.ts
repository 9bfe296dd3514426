// Typed errors of sigmoid-core: every failure the API reports is one of these classes,
// and each message names what is wrong (shape, value, limit, op) and what to fix.

/** Base class of every error sigmoid-core throws on purpose. */
export class SigmoidCoreError extends Error {
  // Each class names itself in a string: a minifier renames classes, so new.target.name
  // would read 'l' or 'u' in a consumer's production bundle.
  override name = 'SigmoidCoreError';
}

/** Operand shapes do not fit together, or a shape is malformed. */
export class ShapeError extends SigmoidCoreError {
  override name = 'ShapeError';
}

/** An argument or option has an invalid value (NaN, negative size, unknown kernel, ...). */
export class ValueError extends SigmoidCoreError {
  override name = 'ValueError';
}

/** A request exceeds a device limit (buffer size, binding size, dispatch size). */
export class LimitError extends SigmoidCoreError {
  override name = 'LimitError';
}

/** A tensor or engine was used after dispose()/destroy(). */
export class DisposedError extends SigmoidCoreError {
  override name = 'DisposedError';
}

/** The requested backend cannot be created here (no WebGPU, no adapter, native module missing). */
export class BackendUnavailableError extends SigmoidCoreError {
  override name = 'BackendUnavailableError';
}

/** The GPU reported a validation, out-of-memory or internal error while running an op. */
export class GPUOpError extends SigmoidCoreError {
  override name = 'GPUOpError';
  constructor(
    readonly op: string,
    readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'device-lost',
    detail: string,
  ) {
    super(`GPU ${kind} error in op '${op}': ${detail}`);
  }
}
