// sigmoid-core public API.

export { createEngine, describeAdapter, type EngineOptions } from './create-engine.js';
export { Engine, type TensorData } from './engine.js';
export { Tensor } from './tensor.js';
export { type Activation, ACTIVATION_KINDS } from './activation.js';
export { GRAM_KERNELS } from './gram-options.js';
export {
  SigmoidCoreError, ShapeError, ValueError, LimitError, DisposedError, BackendUnavailableError, GPUOpError,
} from './errors.js';
export type {
  ActivationKind, AdapterInfoSummary, BackendChoice, BackendKind, EngineLimits, GramKernel, GramOptions,
  MatmulOptions, MemoryStats, Shape,
} from './types.js';
