// The sigmoid-kernel view: the Gram matrix K[i, j] = tanh(γ⟨xᵢ, xⱼ⟩ + c₀) of (a subsample of
// at most 400 points of) the dataset, sorted by class so that class blocks show, computed by
// engine.gram on the engine (the GPU on WebGPU) and drawn as a heat map in [−1, 1]
// (blue −1, white 0, red +1). γ and c₀ come from sliders; update() is debounced by the caller,
// and a call still waiting for the one running is dropped when a newer one comes.
import type { Engine } from '../../../src/index.js';
import type { Dataset } from './datasets.js';
import { drawScaled, setTint } from './colors.js';
import { LatestOnly } from './latest-only.js';

export const GRAM_MAX_POINTS = 400;

export interface GramState {
  version: number;
  /** The dataset's name. */
  dataset: string;
  gamma: number;
  coef0: number;
  /** Points in the matrix. */
  n: number;
  mean: number;
  min: number;
  max: number;
  /** K[0][1] (the first two sorted points), a value to read back. */
  k01: number;
  ms: number;
}

/** Up to GRAM_MAX_POINTS rows, an equal share per class, sorted by class. */
function sample(data: Dataset): { x: Float32Array; n: number } {
  const per = Math.max(1, Math.floor(GRAM_MAX_POINTS / data.classes));
  const rows: number[] = [];
  for (let k = 0; k < data.classes; k++) {
    let taken = 0;
    for (let i = 0; i < data.rows && taken < per; i++) {
      if (data.labels[i] === k) {
        rows.push(i);
        taken++;
      }
    }
  }
  const x = new Float32Array(rows.length * data.cols);
  rows.forEach((r, i) => x.set(data.x.subarray(r * data.cols, (r + 1) * data.cols), i * data.cols));
  return { x, n: rows.length };
}

export class GramView {
  readonly #canvas: HTMLCanvasElement;
  #version = 0;
  readonly #jobs = new LatestOnly<GramState>();
  state: GramState | null = null;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
  }

  /** Recomputes and redraws the Gram matrix once the computation running ends; null when a newer call came meanwhile. */
  update(engine: Engine, data: Dataset, gamma: number, coef0: number): Promise<GramState | null> {
    return this.#jobs.run(() => this.#compute(engine, data, gamma, coef0));
  }

  async #compute(engine: Engine, data: Dataset, gamma: number, coef0: number): Promise<GramState> {
    const t0 = performance.now();
    const { x, n } = sample(data);
    const X = engine.tensor(x, [n, data.cols]);
    let k: Float32Array;
    try {
      k = await engine.gram(X, null, { kernel: 'sigmoid', gamma, coef0 }).readAndDispose();
    } finally {
      X.dispose();
    }
    const ms = performance.now() - t0;
    const img = new ImageData(n, n);
    let sum = 0, min = Infinity, max = -Infinity;
    for (let i = 0; i < n * n; i++) {
      const v = k[i]!;
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
      const t = Math.max(-1, Math.min(1, v));
      // Diverging map: −1 blue (37, 99, 235), 0 white, +1 red (220, 38, 38).
      setTint(img, i, t >= 0 ? [220, 38, 38] : [37, 99, 235], Math.abs(t));
    }
    const ctx = this.#canvas.getContext('2d')!;
    ctx.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
    drawScaled(ctx, img, this.#canvas.width, this.#canvas.height, false);
    this.state = { version: ++this.#version, dataset: data.name, gamma, coef0, n, mean: sum / (n * n), min, max, k01: k[1] ?? k[0]!, ms };
    return this.state;
  }
}
