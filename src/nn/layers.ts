// Layer constructors: dense(), sigmoid(), relu(), leakyRelu(), tanh(), identity(), and
// mlpLayers() for a whole plain MLP. Each validates its arguments and returns plain
// LayerSpecs (JSON data); checkLayerSpec re-validates a spec that came from elsewhere (a
// safetensors header, user JSON).

import { ValueError } from '../errors.js';
import { checkFinite, checkPositiveInt, checkSeed, describeValue, optionKeys, optionsObject } from '../validate.js';
import type { DenseSpec, InitKind, LayerSpec, LeakyReluSpec, PlainActivationSpec, SigmoidSpec } from './types.js';

export const LAYER_KINDS: readonly LayerSpec['kind'][] = ['dense', 'sigmoid', 'relu', 'leakyRelu', 'tanh', 'identity'];
const INIT_KINDS: readonly InitKind[] = ['glorot', 'he'];

export interface DenseOptions {
  /** 'glorot' (default) or 'he'. */
  init?: InitKind;
  /** Seed of this layer's initial weights (default: derived from the model's seed and the layer's index). */
  seed?: number;
}
export interface SigmoidOptions {
  /** α of σ(α·x); default 1. */
  alpha?: number;
  /** Train α with the weights; default false. */
  learnAlpha?: boolean;
}
export interface MlpOptions extends SigmoidOptions {
  activation: HiddenActivation;
}
const DENSE_KEYS = optionKeys<DenseOptions>()('init', 'seed');
const SIGMOID_KEYS = optionKeys<SigmoidOptions>()('alpha', 'learnAlpha');
const MLP_KEYS = optionKeys<MlpOptions>()('activation', 'alpha', 'learnAlpha');

/** A fully connected layer X·W + b with W [inputs, units]. */
export function dense(inputs: number, units: number, options?: DenseOptions): DenseSpec {
  const opts = optionsObject('dense', options, DENSE_KEYS);
  const spec: DenseSpec = { kind: 'dense', inputs, units, init: opts.init ?? 'glorot' };
  if (opts.seed !== undefined) spec.seed = opts.seed;
  checkLayerSpec(spec);
  return spec;
}

/** The scaled sigmoid σ(α·x), α = 1 by default; learnAlpha makes α a trained parameter. */
export function sigmoid(options?: SigmoidOptions): SigmoidSpec {
  const opts = optionsObject('sigmoid', options, SIGMOID_KEYS);
  const spec: SigmoidSpec = { kind: 'sigmoid', alpha: opts.alpha ?? 1, learnAlpha: opts.learnAlpha ?? false };
  checkLayerSpec(spec);
  return spec;
}

/** max(x, 0). */
export function relu(): PlainActivationSpec {
  return { kind: 'relu' };
}

/** x for x > 0, slope·x otherwise (slope ≥ 0, default 0.01). */
export function leakyRelu(slope = 0.01): LeakyReluSpec {
  const spec: LeakyReluSpec = { kind: 'leakyRelu', slope };
  checkLayerSpec(spec);
  return spec;
}

/** tanh(x). */
export function tanh(): PlainActivationSpec {
  return { kind: 'tanh' };
}

/** x unchanged (a linear output). */
export function identity(): PlainActivationSpec {
  return { kind: 'identity' };
}

/** The hidden activations mlpLayers() builds. */
export const HIDDEN_ACTIVATIONS = ['sigmoid', 'relu', 'leakyRelu', 'tanh'] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

/**
 * A plain MLP: for each hidden width a dense layer (He initialisation before relu and
 * leakyRelu, Glorot otherwise) and the activation, then a dense output layer. `alpha` and
 * `learnAlpha` set the sigmoid σ(α·x); leakyRelu has its default slope.
 */
export function mlpLayers(
  inputs: number, hidden: readonly number[], outputs: number,
  options: MlpOptions,
): LayerSpec[] {
  const o = optionsObject('mlpLayers', options, MLP_KEYS);
  if (!HIDDEN_ACTIVATIONS.includes(o.activation)) {
    throw new ValueError(`mlpLayers: activation must be one of ${HIDDEN_ACTIVATIONS.join(', ')}, got ${describeValue(o.activation)}`);
  }
  if (o.activation !== 'sigmoid' && ((o.alpha !== undefined && o.alpha !== 1) || o.learnAlpha === true)) {
    throw new ValueError(`mlpLayers: alpha and learnAlpha set the sigmoid's α; they do not apply to activation '${o.activation}'`);
  }
  if (!Array.isArray(hidden)) throw new ValueError(`mlpLayers: hidden must be an array of layer widths, got ${describeValue(hidden)}`);
  const init: InitKind = o.activation === 'relu' || o.activation === 'leakyRelu' ? 'he' : 'glorot';
  const act = (): LayerSpec => {
    switch (o.activation) {
      case 'sigmoid': return sigmoid({ alpha: o.alpha, learnAlpha: o.learnAlpha });
      case 'relu': return relu();
      case 'leakyRelu': return leakyRelu();
      case 'tanh': return tanh();
    }
  };
  const layers: LayerSpec[] = [];
  let width = inputs;
  for (const units of hidden) {
    layers.push(dense(width, units, { init }), act());
    width = units;
  }
  layers.push(dense(width, outputs));
  return layers;
}

/** Throws a ValueError naming the layer unless `spec` is a well-formed LayerSpec. */
export function checkLayerSpec(spec: unknown, where = 'layer'): asserts spec is LayerSpec {
  if (typeof spec !== 'object' || spec === null) throw new ValueError(`${where} must be a layer spec object, got ${describeValue(spec)}`);
  const s = spec as Record<string, unknown>;
  const kind = s.kind as LayerSpec['kind'];
  if (!LAYER_KINDS.includes(kind)) {
    throw new ValueError(`${where}: unknown layer kind ${JSON.stringify(s.kind)}; expected one of ${LAYER_KINDS.join(', ')}`);
  }
  switch (kind) {
    case 'dense':
      checkPositiveInt(`${where} (dense) inputs`, s.inputs as number);
      checkPositiveInt(`${where} (dense) units`, s.units as number);
      if (!INIT_KINDS.includes(s.init as InitKind)) {
        throw new ValueError(`${where} (dense) init must be 'glorot' or 'he', got ${JSON.stringify(s.init)}`);
      }
      if (s.seed !== undefined) checkSeed(s.seed, `${where} (dense) seed`);
      break;
    case 'sigmoid':
      checkFinite(`${where} (sigmoid) alpha`, s.alpha as number);
      if (typeof s.learnAlpha !== 'boolean') throw new ValueError(`${where} (sigmoid) learnAlpha must be true or false, got ${describeValue(s.learnAlpha)}`);
      break;
    case 'leakyRelu':
      checkFinite(`${where} (leakyRelu) slope`, s.slope as number);
      if ((s.slope as number) < 0) {
        throw new ValueError(`${where} (leakyRelu) slope must be ≥ 0 (the backward reads the sign of the output), got ${describeValue(s.slope)}`);
      }
      break;
    default:
      break;
  }
}

/** One-line description of a layer, for summary() and error messages. */
export function describeLayer(spec: LayerSpec): string {
  switch (spec.kind) {
    case 'dense':
      return `dense(${spec.inputs} → ${spec.units}, ${spec.init})`;
    case 'sigmoid':
      return spec.learnAlpha ? `sigmoid(α learned, from ${spec.alpha})` : spec.alpha === 1 ? 'sigmoid' : `sigmoid(α = ${spec.alpha})`;
    case 'leakyRelu':
      return `leakyRelu(${spec.slope})`;
    default:
      return spec.kind;
  }
}
