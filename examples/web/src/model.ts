// Turns the playground's settings into a compiled Sequential model and the matching
// training targets: hidden widths and activation, the output layer and loss ('auto' picks
// binary cross-entropy for 2 classes and softmax cross-entropy for more), the optimizer.
import {
  adam, type Engine, type HiddenActivation, type LossKind, mlpLayers, sequential, type Sequential, sgd, sigmoid,
} from '../../../src/index.js';
import type { Dataset } from './datasets.js';

export type ActivationName = HiddenActivation;
export type LossChoice = 'auto' | 'mse' | 'bce' | 'softmax';

export interface ModelConfig {
  hidden: number[];
  activation: ActivationName;
  /** Initial α of the scaled sigmoid σ(α·x), and whether it is trained. */
  alpha: number;
  learnAlpha: boolean;
  loss: LossChoice;
  optimizer: 'sgd' | 'adam';
  lr: number;
  seed: number;
}

export interface Built {
  model: Sequential;
  loss: LossKind;
  /**
   * The hidden sigmoid layers (not the fixed output sigmoid MSE adds, which comes last): their
   * indices, in order, so the k-th is EpochLogs.alphas[k].
   */
  alphaLayers: number[];
  /** Targets for fit(): class indices (softmax), 0/1 (one output) or one-hot rows (mse, > 2 classes). */
  targets(labels: Int32Array): number[] | number[][];
}

function resolveLoss(choice: LossChoice, classes: number): LossKind {
  if (choice === 'auto') return classes === 2 ? 'binaryCrossEntropy' : 'softmaxCrossEntropy';
  if (choice === 'mse') return 'mse';
  if (choice === 'softmax') return 'softmaxCrossEntropy';
  if (classes !== 2) throw new Error(`binary cross-entropy needs 2 classes; this dataset has ${classes} (choose softmax or auto)`);
  return 'binaryCrossEntropy';
}

/** Builds and compiles the model for `data` (throws a readable Error on a bad setting). */
export function buildModel(engine: Engine, data: Dataset, c: ModelConfig): Built {
  const loss = resolveLoss(c.loss, data.classes);
  const outputs = loss === 'softmaxCrossEntropy' || data.classes > 2 ? data.classes : 1;
  // α belongs to the sigmoid; a value left in the α field does not apply to other activations.
  const sigmoidAlpha = c.activation === 'sigmoid' ? { alpha: c.alpha, learnAlpha: c.learnAlpha } : {};
  const layers = mlpLayers(data.cols, c.hidden, outputs, { activation: c.activation, ...sigmoidAlpha });
  // MSE trains probabilities directly: end with a plain sigmoid so outputs lie in [0, 1].
  if (loss === 'mse') layers.push(sigmoid());
  const optimizer = c.optimizer === 'adam' ? adam({ lr: c.lr }) : sgd({ lr: c.lr, momentum: 0.9 });
  const model = sequential(engine, layers, { seed: c.seed });
  try {
    model.compile({ loss, optimizer, metrics: ['accuracy'] });
  } catch (err) {
    model.dispose(); // a refused setting (e.g. lr beyond float32) must not leave the parameters alive
    throw err;
  }
  const output = loss === 'mse' ? layers.length - 1 : -1;
  return {
    model,
    loss,
    alphaLayers: model.sigmoidLayers.filter((layer) => layer !== output),
    targets(labels) {
      if (loss === 'softmaxCrossEntropy') return Array.from(labels);
      if (outputs === 1) return Array.from(labels);
      return Array.from(labels, (l) => Array.from({ length: outputs }, (_, k) => (k === l ? 1 : 0)));
    },
  };
}

/** Work per epoch (forward and backward: about 6 operations a parameter a row) past which the CPU takes many seconds. */
const CPU_HEAVY_OPS = 1e11;

/**
 * A notice for a network whose epoch takes the CPU backend many seconds (100 layers of 1024
 * on the digits: 79 s a Step, with no word before it), or null.
 */
export function sizeNotice(model: Sequential, backend: 'webgpu' | 'cpu', trainRows: number): string | null {
  if (backend !== 'cpu') return null;
  const params = model.parameterCount;
  const ops = 6 * params * trainRows;
  if (ops < CPU_HEAVY_OPS) return null;
  return `a large network for the CPU: ${params.toLocaleString('en')} parameters, about ${(ops / 1e9).toFixed(0)} GFLOP an epoch ` +
    `of ${trainRows.toLocaleString('en')} rows (seconds to minutes each); Pause stops it between batches`;
}

/** Parses "8,8" (or "" / "none" for no hidden layer) into layer widths. */
export function parseHidden(text: string): number[] {
  const t = text.trim();
  if (t === '' || t === 'none') return [];
  const parts = t.split(',').map((s) => s.trim());
  const widths = parts.map(Number);
  // Plain digits only: Number() also reads "0x10" as 16 and "1e1" as 10.
  if (parts.some((s) => !/^\d+$/.test(s)) || widths.some((w) => w < 1 || w > 1024)) {
    throw new Error(`hidden layers must be widths 1–1024 separated by commas (e.g. 8,8), got "${text}"`);
  }
  return widths;
}
