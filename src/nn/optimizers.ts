// Optimizers: sgd() and adam() make validated OptimizerSpecs (plain data); Optimizer holds
// their state ON THE ENGINE (velocity, or Adam's m and v, one tensor per parameter, made
// on first use) plus a host-side step count, and updates parameters in place through
// engine.sgdStep / engine.adamStep — no readback.

import type { SgdUpdate } from '../backend.js';
import type { Engine } from '../engine.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInRange, checkPositive, describeValue, optionKeys, optionsObject } from '../validate.js';
import type { AdamSpec, OptimizerSpec, SgdSpec } from './types.js';

export type SgdOptions = Partial<Omit<SgdSpec, 'kind'>>;
export type AdamOptions = Partial<Omit<AdamSpec, 'kind'>>;
const SGD_KEYS = optionKeys<SgdOptions>()('lr', 'momentum', 'weightDecay');
const ADAM_KEYS = optionKeys<AdamOptions>()('lr', 'beta1', 'beta2', 'eps', 'weightDecay');

/** Stochastic gradient descent, optionally with momentum (v = μv + g; p −= lr·v). */
export function sgd(options?: SgdOptions): SgdSpec {
  const opts = optionsObject('sgd', options, SGD_KEYS);
  const spec: SgdSpec = { kind: 'sgd', lr: opts.lr ?? 0.01, momentum: opts.momentum ?? 0, weightDecay: opts.weightDecay ?? 0 };
  checkFields(spec);
  return spec;
}

/** Adam with bias correction (PyTorch's defaults). */
export function adam(options?: AdamOptions): AdamSpec {
  const opts = optionsObject('adam', options, ADAM_KEYS);
  const spec: AdamSpec = {
    kind: 'adam', lr: opts.lr ?? 0.001, beta1: opts.beta1 ?? 0.9, beta2: opts.beta2 ?? 0.999,
    eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? 0,
  };
  checkFields(spec);
  return spec;
}

/**
 * `spec` as sgd(...) or adam(...) makes it: its fields in their fixed order, a missing one at
 * its default, an unknown one (a misspelt weight_decay) refused, a bad value a ValueError
 * naming the field. compile() and checkpoints keep this form, so two specs compare equal
 * whatever order a plain object (a JSON config) gave their fields in.
 */
export function canonicalOptimizer(spec: unknown): OptimizerSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new ValueError(`optimizer must be sgd(...) or adam(...), got ${describeValue(spec)}`);
  const { kind, ...fields } = spec as Record<string, unknown>;
  if (kind === 'sgd') return sgd(fields);
  if (kind === 'adam') return adam(fields);
  throw new ValueError(`unknown optimizer ${JSON.stringify(kind)}; expected 'sgd' or 'adam' (use sgd() or adam())`);
}

/** Throws a ValueError naming the first field of `spec` out of its range. */
function checkFields(spec: OptimizerSpec): void {
  const s = spec as unknown as Record<string, number> & { kind: string };
  const inRange = (name: string, lo: number, hi: number): void => checkInRange(`${s.kind} ${name}`, s[name]!, lo, hi);
  const positive = (name: string): void => checkPositive(`${s.kind} ${name}`, s[name]!);
  if (s.kind === 'sgd') {
    positive('lr');
    inRange('momentum', 0, 1);
    inRange('weightDecay', 0, Infinity);
  } else if (s.kind === 'adam') {
    positive('lr');
    inRange('beta1', 0, 1);
    inRange('beta2', 0, 1);
    positive('eps');
    inRange('weightDecay', 0, Infinity);
  }
}

/** A parameter as the optimizer sees it. */
export interface TrainableParam {
  tensor: Tensor;
  /** Whether weightDecay applies (weight matrices only). */
  decay: boolean;
}

/** Optimizer state for one model's parameters (in a fixed order). */
export class Optimizer {
  /** Updates done so far (Adam's bias-correction t is steps + 1 for the next one). */
  steps = 0;
  #state: Tensor[][] | null = null;

  constructor(
    readonly engine: Engine,
    readonly spec: OptimizerSpec,
  ) {}

  /** Creates the state tensors (zeros) if needed; call before the first update. */
  ensureState(params: readonly TrainableParam[]): void {
    if (this.#state !== null) return;
    const perParam = this.stateSlots.length;
    const state: Tensor[][] = [];
    try {
      for (const p of params) {
        const s: Tensor[] = [];
        state.push(s);
        for (let k = 0; k < perParam; k++) s.push(this.engine.zeros(p.tensor.shape));
      }
    } catch (err) {
      for (const s of state) for (const t of s) t.dispose();
      throw err;
    }
    this.#state = state;
  }

  /**
   * One update of every parameter from its gradient (same order as ensureState's); a null
   * gradient marks a parameter the step already updated in place (plain SGD fused where
   * its gradient is made, Network.backward's `sgd` option). The step count goes up once either way.
   */
  update(params: readonly TrainableParam[], grads: readonly (Tensor | null)[]): void {
    this.ensureState(params);
    const state = this.#state!;
    const t = ++this.steps;
    const o = this.spec;
    params.forEach((p, i) => {
      const g = grads[i] ?? null;
      if (g === null) return;
      const weightDecay = p.decay ? o.weightDecay : 0;
      if (o.kind === 'adam') {
        const [m, v] = state[i]!;
        this.engine.adamStep(p.tensor, g, m!, v!, { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay, step: t });
      } else {
        this.engine.sgdStep(p.tensor, g, state[i]![0] ?? null, { lr: o.lr, momentum: o.momentum, weightDecay });
      }
    });
  }

  /**
   * The update as the epilogue of the op that makes the gradient (engine.sgdMatmulStep,
   * engine.sgdColSumsStep), or null. Only plain SGD (no momentum, so no state) qualifies:
   * p −= lr·(g + wd·p) needs nothing but g where it is made.
   */
  get fusedUpdate(): SgdUpdate | null {
    const o = this.spec;
    return o.kind === 'sgd' && o.momentum === 0 ? { lr: o.lr, weightDecay: o.weightDecay } : null;
  }

  /** Names of the state tensors kept per parameter: ['m', 'v'] (adam), ['velocity'] (sgd with momentum), [] (plain sgd). */
  get stateSlots(): readonly string[] {
    return this.spec.kind === 'adam' ? ['m', 'v'] : this.spec.momentum > 0 ? ['velocity'] : [];
  }

  /**
   * The state tensors (owned by the optimizer: don't dispose them), per parameter in
   * ensureState's order, each in stateSlots order; null before the first ensureState().
   */
  stateTensors(): readonly (readonly Tensor[])[] | null {
    return this.#state;
  }

  /**
   * Replaces the state with `state` (tensors of this engine, per parameter in stateSlots
   * order; the optimizer takes ownership) and the step count. The caller checks shapes.
   */
  importState(state: Tensor[][], steps: number): void {
    if (!Number.isSafeInteger(steps) || steps < 0) throw new ValueError(`optimizer step count must be a non-negative integer, got ${steps}`);
    const slots = this.stateSlots.length;
    const bad = state.findIndex((s) => s.length !== slots);
    if (bad >= 0) throw new ValueError(`optimizer state of parameter ${bad} has ${state[bad]!.length} tensors, ${this.spec.kind} needs ${slots}`);
    for (const s of this.#state ?? []) for (const t of s) t.dispose();
    this.#state = state;
    this.steps = steps;
  }

  /** Frees the state; the next update starts from zeros and step 1. */
  reset(): void {
    for (const s of this.#state ?? []) for (const t of s) t.dispose();
    this.#state = null;
    this.steps = 0;
  }
}
