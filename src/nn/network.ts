// The layer stack as blocks that carry their own forward and backward (no autograd tape):
// - a dense layer fused with the activation after it: Y = act(X·W + b) in one engine.linear
//   (bias and activation in the matmul epilogue); backward dZ = act'(from Y)·dY,
//   dW = Xᵀ·dZ, db = colSums(dZ), dX = dZ·Wᵀ (skipped when nothing below needs it; when
//   the block below ends in an activation without learned α, its act' is applied in the
//   same matmul, engine.matmulActivationBackward, and that block skips activationBackward);
// - a dense layer followed by a sigmoid with learned α: Z = X·W + b, Y = σ(α·Z) (Z is kept
//   for dα), backward through engine.sigmoidBackward (dZ and dα);
// - an activation that does not follow a dense layer, on its own.
// In "logits" mode the final sigmoid is left out (binary cross-entropy is computed on its
// input, the stable form). Every tensor a pass makes is disposed by releaseCaches()/the
// caller: nothing survives a step but the parameters. A pass that does not train may run on
// a snapshot of the parameters (snapshot()) instead: predict and evaluate do once they yield.

import type { Activation } from '../activation.js';
import type { SgdUpdate } from '../backend.js';
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { TrainableParam } from './optimizers.js';
import type { LayerSpec } from './types.js';

/** A parameter slot: the tensor is replaced (not mutated) when weights are loaded. */
export interface Param extends TrainableParam {
  name: string;
  shape: readonly [number] | readonly [number, number];
}

interface DenseBlock {
  kind: 'dense';
  layer: number;
  w: Param;
  b: Param;
  /** The fused activation's layer spec (null: none follows). */
  act: LayerSpec | null;
  actLayer: number | null;
  /** Learned α of a following sigmoid (then the activation is not fused). */
  alpha: Param | null;
}

interface ActBlock {
  kind: 'act';
  layer: number;
  act: LayerSpec;
  alpha: Param | null;
}

type Block = DenseBlock | ActBlock;

interface Cache {
  x: Tensor;
  z: Tensor | null;
  y: Tensor;
}

/** Tensors a forward pass uses in place of the parameters' own (a snapshot: Network.snapshot). */
export type ParamTensors = ReadonlyMap<Param, Tensor>;

/** Gradients of one backward pass, in parameter order, plus ‖dW‖² of each dense layer. */
export interface Gradients {
  /** null for a weight matrix already updated in place (backward's `sgd` option). */
  grads: (Tensor | null)[];
  /** Σ dW² per dense layer, input to output ([1] tensors). */
  weightSqNorms: Tensor[];
}

export class Network {
  readonly params: Param[] = [];
  readonly blocks: Block[] = [];
  /** Indices of the dense layers, input to output. */
  readonly denseLayers: number[] = [];
  /** Indices of the sigmoid layers, input to output. */
  readonly sigmoidLayers: number[] = [];
  #caches: Cache[] = [];

  /** Its parameters were disposed (the model was). */
  get disposed(): boolean {
    return this.params.some((p) => p.tensor.disposed);
  }

  constructor(
    readonly engine: Engine,
    readonly layers: readonly LayerSpec[],
  ) {
    const slot = (name: string, shape: Param['shape'], decay: boolean): Param => {
      const p = { name, shape, decay, tensor: null as unknown as Tensor };
      this.params.push(p);
      return p;
    };
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      if (l.kind === 'sigmoid') this.sigmoidLayers.push(i);
      if (l.kind === 'dense') {
        this.denseLayers.push(i);
        const w = slot(`layers.${i}.weight`, [l.inputs, l.units], true);
        const b = slot(`layers.${i}.bias`, [l.units], false);
        const next = layers[i + 1];
        if (next !== undefined && next.kind !== 'dense') {
          const alpha = next.kind === 'sigmoid' && next.learnAlpha ? slot(`layers.${i + 1}.alpha`, [1], false) : null;
          if (next.kind === 'sigmoid') this.sigmoidLayers.push(i + 1);
          this.blocks.push({ kind: 'dense', layer: i, w, b, act: next, actLayer: i + 1, alpha });
          i++;
        } else {
          this.blocks.push({ kind: 'dense', layer: i, w, b, act: null, actLayer: null, alpha: null });
        }
      } else {
        const alpha = l.kind === 'sigmoid' && l.learnAlpha ? slot(`layers.${i}.alpha`, [1], false) : null;
        this.blocks.push({ kind: 'act', layer: i, act: l, alpha });
      }
    }
  }

  /**
   * Forward pass. train: keep what backward needs (until releaseCaches()); otherwise free
   * intermediates as it goes. logits: leave out the final sigmoid. weights (not with train,
   * whose backward reads the parameters): a snapshot to run on instead of the parameters. The
   * result belongs to the caller when !train, and to the caches when train.
   */
  forward(x: Tensor, o: { train: true; logits: boolean } | { train: false; logits: boolean; weights?: ParamTensors | null }): Tensor {
    const weights = o.train ? null : (o.weights ?? null);
    if (o.train) this.releaseCaches();
    let h = x;
    const last = this.blocks.length - 1;
    for (let k = 0; k <= last; k++) {
      const block = this.blocks[k]!;
      const dropAct = o.logits && k === last;
      let out: Cache;
      try {
        out = this.#forwardBlock(block, h, dropAct, weights);
      } catch (err) {
        if (!o.train && h !== x) h.dispose();
        throw err;
      }
      if (o.train) this.#caches.push(out);
      else {
        out.z?.dispose();
        if (h !== x) h.dispose();
      }
      h = out.y;
    }
    return h;
  }

  #forwardBlock(block: Block, x: Tensor, dropAct: boolean, weights: ParamTensors | null): Cache {
    const e = this.engine;
    const t = (p: Param): Tensor => weights?.get(p) ?? p.tensor;
    if (block.kind === 'dense') {
      const act = dropAct || block.act === null ? null : block.act;
      if (act !== null && block.alpha !== null) {
        const z = e.linear(x, t(block.w), t(block.b), 'identity');
        try {
          return { x, z, y: e.sigmoid(z, { alpha: t(block.alpha) }) };
        } catch (err) {
          z.dispose();
          throw err;
        }
      }
      return { x, z: null, y: e.linear(x, t(block.w), t(block.b), act === null ? 'identity' : activationOf(act, null)) };
    }
    if (dropAct) return { x, z: null, y: e.identity(x) };
    return { x, z: null, y: e.activation(x, activationOf(block.act, block.alpha === null ? null : t(block.alpha))) };
  }

  /**
   * Device copies of the parameters as they are now, for forward's `weights`: recorded
   * before any later training step, so they keep these values. The caller disposes them.
   */
  snapshot(): Map<Param, Tensor> {
    const copies = new Map<Param, Tensor>();
    try {
      for (const p of this.params) copies.set(p, this.engine.identity(p.tensor));
    } catch (err) {
      for (const c of copies.values()) c.dispose();
      throw err;
    }
    return copies;
  }

  /**
   * Backward from dL/d(output) of the last training forward; `dOut` stays the caller's.
   * Returns one gradient per parameter (parameter order) and ‖dW‖² per dense layer.
   * `sgd`: plain SGD (no momentum) is applied here to every dense layer's weights, in the
   * dW matmul's epilogue (engine.sgdMatmulStep, after the dX that reads the old W), and
   * bias, in the final pass of its column sums (engine.sgdColSumsStep), so neither
   * gradient is stored and their entries are null; not with `weightNorms`, which needs dW.
   */
  backward(dOut: Tensor, o: { logits: boolean; weightNorms: boolean; sgd?: SgdUpdate | null }): Gradients {
    const e = this.engine;
    const sgd = o.sgd ?? null;
    if (sgd !== null && o.weightNorms) throw new Error('Network.backward: weightNorms needs dW, which the sgd option does not store');
    const grads = new Map<Param, Tensor | null>();
    const weightSqNorms: Tensor[] = [];
    const made: Tensor[] = []; // intermediates to free
    const firstParam = this.blocks.findIndex((b) => b.kind === 'dense' || b.alpha !== null);
    const last = this.blocks.length - 1;
    let dy = dOut;
    // dy already holds the gradient through block k's activation (fused into the dX matmul
    // of the block above: matmulActivationBackward), so block k skips activationBackward.
    let pastActivation = false;
    try {
      for (let k = last; k >= 0 && k >= firstParam; k--) {
        const block = this.blocks[k]!;
        const c = this.#caches[k]!;
        const needDx = k > firstParam;
        const dropAct = o.logits && k === last;
        let dx: Tensor | null = null;
        let dxPastActivation = false;
        if (block.kind === 'dense') {
          let dz = dy;
          if (!dropAct && block.act !== null && !pastActivation) {
            if (block.alpha !== null) {
              const r = e.sigmoidBackward(dy, c.z!, c.y, { alpha: block.alpha.tensor });
              made.push(r.dx, r.dAlpha);
              grads.set(block.alpha, r.dAlpha);
              dz = r.dx;
            } else if (block.act.kind !== 'identity') {
              dz = e.activationBackward(dy, c.y, activationOf(block.act, null));
              made.push(dz);
            }
          }
          if (sgd !== null) {
            e.sgdColSumsStep(block.b.tensor, dz, { lr: sgd.lr, weightDecay: block.b.decay ? sgd.weightDecay : 0 });
            grads.set(block.b, null);
          } else {
            const db = e.colSums(dz);
            made.push(db);
            grads.set(block.b, db);
          }
          if (needDx) {
            const below = this.#fusableActivation(k - 1);
            dx = below === null
              ? e.matmul(dz, block.w.tensor, { transposeB: true })
              : e.matmulActivationBackward(dz, block.w.tensor, below.y, below.act, { transposeB: true });
            dxPastActivation = below !== null;
          }
          if (sgd !== null) {
            // Recorded after dX, which reads the old W.
            e.sgdMatmulStep(block.w.tensor, c.x, dz, { transposeA: true, lr: sgd.lr, weightDecay: block.w.decay ? sgd.weightDecay : 0 });
            grads.set(block.w, null);
          } else {
            const dW = e.matmul(c.x, dz, { transposeA: true });
            made.push(dW);
            grads.set(block.w, dW);
            if (o.weightNorms) {
              const n = e.sumSquares(dW);
              made.push(n);
              weightSqNorms.unshift(n);
            }
          }
        } else if (!dropAct && !pastActivation) {
          if (block.alpha !== null) {
            const r = e.sigmoidBackward(dy, c.x, c.y, { alpha: block.alpha.tensor });
            made.push(r.dAlpha);
            grads.set(block.alpha, r.dAlpha);
            if (needDx) dx = r.dx;
            else r.dx.dispose();
          } else if (needDx) {
            dx = e.activationBackward(dy, c.y, activationOf(block.act, null));
          }
        } else if (needDx && !pastActivation) {
          dx = e.identity(dy);
        }
        if (dx !== null) made.push(dx);
        if (dx !== null) dy = dx;
        pastActivation = dxPastActivation;
      }
    } catch (err) {
      for (const t of made) t.dispose();
      throw err;
    }
    const kept = new Set<Tensor | null>([...grads.values(), ...weightSqNorms]);
    for (const t of made) if (!kept.has(t)) t.dispose();
    return { grads: this.params.map((p) => grads.get(p)!), weightSqNorms };
  }

  /**
   * The activation of block k whose backward can be fused into the dX matmul of the block
   * above (its saved output y and the Activation), or null: a dense block's fused
   * activation or an activation block, not identity and without a learned α (whose dα
   * needs sigmoidBackward).
   */
  #fusableActivation(k: number): { y: Tensor; act: Activation } | null {
    const block = this.blocks[k];
    if (block === undefined || block.alpha !== null) return null;
    const spec = block.act;
    if (spec === null || spec.kind === 'identity') return null;
    return { y: this.#caches[k]!.y, act: activationOf(spec, null) };
  }

  /** Frees what the last training forward kept (the input batch is the caller's). */
  releaseCaches(): void {
    for (const c of this.#caches) {
      c.z?.dispose();
      c.y.dispose();
    }
    this.#caches = [];
  }
}

/** The engine Activation of an activation layer (α tensor for a learned sigmoid). */
export function activationOf(spec: LayerSpec, alpha: Tensor | null): Activation {
  switch (spec.kind) {
    case 'sigmoid':
      return { kind: 'sigmoid', alpha: alpha ?? spec.alpha };
    case 'leakyRelu':
      return { kind: 'leakyRelu', slope: spec.slope };
    case 'relu':
    case 'tanh':
    case 'identity':
      return spec.kind;
    case 'dense':
      throw new Error('activationOf: a dense layer is not an activation');
  }
}
