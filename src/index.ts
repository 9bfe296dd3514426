// sigmoid-core public API.

export { createEngine, describeAdapter, type EngineOptions } from './create-engine.js';
export { Engine, type RecoverOptions, type TensorData } from './engine.js';
export { RecoveryFailedError, type RecoveryOption, type TrainingEvent } from './nn/index.js';
export { Tensor } from './tensor.js';
export { type Activation, ACTIVATION_KINDS } from './activation.js';
export { GRAM_KERNELS, type ResolvedGramOptions } from './gram-options.js';
export {
  SigmoidCoreError, ShapeError, ValueError, LimitError, DisposedError, BackendUnavailableError, GPUOpError,
} from './errors.js';
export type {
  ActivationKind, AdapterInfoSummary, BackendChoice, BackendKind, EngineLimits, GramKernel, GramOptions,
  MatmulOptions, MemoryStats, Shape, SymmetricGramKernel, SymmetricGramOptions, Tiling, TilingChoice, WebGPUDevice,
} from './types.js';
export { TILING_CHOICES } from './webgpu/tiling.js';

// Data utilities (src/data): splits, standardisation, labels, column selection.
export {
  applyStandardizer, classIndices, dropColumn, fitStandardizer, labelsFromColumn, oneHot, randomSplit, resolveColumn,
  seededRandom, selectColumns, shuffleInPlace, standardize, stratifiedSplit, takeRows, takeValues,
} from './data/index.js';
export type {
  ClassificationLabels, LabelOptions, Labels, Matrix, Random, RegressionLabels, Split, SplitOptions, Standardizer, Task,
} from './data/index.js';

// Model layer (src/nn): Sequential networks, layers, optimizers, training, safetensors.
export {
  adam, checkLayerSpec, dense, describeLayer, encodeSafetensors, HIDDEN_ACTIVATIONS, identity, leakyRelu, loadSafetensors, mlpLayers, parseSafetensors, relu,
  sequential, Sequential, sgd, sigmoid, tanh,
} from './nn/index.js';
export type { HiddenActivation } from './nn/index.js';
export { CHECKPOINT_TAG, CheckpointStoreError, checkpointStore, parseCheckpoint } from './nn/index.js';
export type { Checkpoint, CheckpointOptions, CheckpointStore, CheckpointTarget } from './nn/index.js';
export type {
  AdamSpec, BatchInfo, CompileOptions, DenseSpec, EpochLogs, EvaluateOptions, EvaluateResult, FitOptions, History, HostMatrix,
  InitKind, Inputs, LayerSpec, LeakyReluSpec, MetricName, NamedParameter, OptimizerSpec, PlainActivationSpec, PredictOptions,
  SafetensorEntry, SafetensorFile, SgdSpec, SigmoidSpec, Targets,
} from './nn/index.js';
export type { LossKind } from './types.js';
/** The largest |seed| the library takes (2^52: seeds are offset by epoch and layer numbers). */
export { MAX_SEED } from './validate.js';

// Kernel methods (src/kernels): the Nyström feature map and the landmark kernel classifier.
export { nystroem, Nystroem, NYSTROEM_EPS, nystroemFloor, type NystroemOptions, type TransformOptions } from './kernels/nystroem.js';
export { KernelClassifier, type KernelClassifierOptions, type KernelFitOptions } from './kernels/kernel-classifier.js';

// Tiled Gram matrices (src/kernels/gram-tiled.ts): K = k(X, Y) of any N×M, streamed in tiles.
export { DEFAULT_GRAM_TILE, gramMatrix, gramTiles, MAX_HOST_FLOAT32, planGramTiles } from './kernels/gram-tiled.js';
export type { GramTile, GramTileOptions, GramTileProgress, GramTiling } from './kernels/gram-tiled.js';

// Support-vector classification (src/kernels/svc): SVC (libsvm's SMO, one-vs-one), its solver and kernel row providers.
export { ConvergenceError, EngineRowProvider, Float64RowProvider, RowCache, SVC, SVC_KERNELS, solveBinary } from './kernels/svc/index.js';
export type {
  BinaryProblem, BinarySolution, DecisionValues, KernelName, KernelParams, KernelRow, KernelRowProvider, ProviderStats, SolveOptions,
  SVCFitInfo, SVCKernel, SVCOptions, SVCProgress, SVCProviderKind,
} from './kernels/svc/index.js';
