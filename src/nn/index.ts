// The model layer: Sequential networks of dense and activation layers trained on the
// engine, optimizers, and safetensors I/O.

export { dense, identity, leakyRelu, relu, sigmoid, tanh, checkLayerSpec, describeLayer, HIDDEN_ACTIVATIONS, LAYER_KINDS, mlpLayers } from './layers.js';
export type { HiddenActivation } from './layers.js';
export { adam, sgd } from './optimizers.js';
export { sequential, Sequential } from './sequential.js';
export { encodeSafetensors, parseSafetensors, type SafetensorEntry, type SafetensorFile } from './safetensors.js';
export { loadSafetensors } from './load.js';
export { RecoveryFailedError, type RecoveryOption, type TrainingEvent } from './recovery.js';
export { CHECKPOINT_TAG, type Checkpoint, type CheckpointOptions, parseCheckpoint } from './checkpoint.js';
export { type CheckpointStore, CheckpointStoreError, type CheckpointTarget, checkpointStore } from './checkpoint-store.js';
export type {
  AdamSpec, BatchInfo, CompileOptions, DenseSpec, EpochLogs, EvaluateOptions, EvaluateResult, FitOptions, History, HostMatrix,
  InitKind, Inputs, LayerSpec, LeakyReluSpec, MetricName, NamedParameter, OptimizerSpec, PlainActivationSpec, PredictOptions,
  SgdSpec, SigmoidSpec, Targets,
} from './types.js';
