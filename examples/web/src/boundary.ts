// The decision boundary of a 2-D classifier: predictProba on a G×G grid over the data's range
// (one forward pass on the engine — the GPU on WebGPU), drawn as a heat map on a canvas
// (each cell tinted by its predicted class, stronger where the model is surer) with the
// training points (filled) and validation points (hollow) on top. G is 64, or less for a
// network whose grid would cost more than GRID_WORK multiply-adds (on the CPU predictProba
// yields between its batches, so the page keeps answering; the cap bounds the wait).
import type { LayerSpec, Sequential } from '../../../src/index.js';
import { classRgb, css, drawScaled, setTint } from './colors.js';
import type { Dataset } from './datasets.js';

/**
 * The multiply-adds one boundary may cost: a 64² grid of a 1024,1024 network (4·10⁹) froze
 * the page 3 s on the CPU at every Reset and every few epochs, and 20 layers of 1024 a minute.
 */
export const GRID_WORK = 1e9;
/** The coarsest grid drawn, however costly the network. */
export const MIN_GRID = 8;

/** The multiply-adds of one forward pass of one row through `layers`. */
export function workPerRow(layers: readonly LayerSpec[]): number {
  return layers.reduce((sum, l) => sum + (l.kind === 'dense' ? l.inputs * l.units : 0), 0);
}

/** The grid side for a network costing `perRow` multiply-adds a row: `max`, or less to stay within GRID_WORK (MIN_GRID at least). */
export function gridSize(perRow: number, max: number): number {
  return Math.min(max, Math.max(MIN_GRID, Math.floor(Math.sqrt(GRID_WORK / Math.max(1, perRow)))));
}

export interface BoundaryState {
  /** Increments with every recomputation. */
  version: number;
  /** Epoch the grid was computed at (0 = untrained). */
  epoch: number;
  size: number;
  /** Per grid cell (row-major, top row first): probability of class 1 (binary) or of the predicted class. */
  values: number[];
  /** Predicted class per cell. */
  classes: number[];
  /** A short hash of the rounded values, to tell two grids apart. */
  hash: string;
}

function fnv(values: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) {
    h ^= Math.round(values[i]! * 1e4);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export class BoundaryView {
  readonly #canvas: HTMLCanvasElement;
  readonly #size: number;
  #version = 0;
  state: BoundaryState | null = null;

  constructor(canvas: HTMLCanvasElement, size = 64) {
    this.#canvas = canvas;
    this.#size = size;
  }

  /** Computes the grid's probabilities with `model` and redraws; `validFrom` = first validation row. */
  async update(model: Sequential, data: Dataset, validFrom: number, epoch: number): Promise<BoundaryState> {
    const e = data.extent;
    if (!e || data.cols !== 2) throw new Error('the decision boundary needs a 2-D dataset');
    const perRow = workPerRow(model.layers);
    const g = gridSize(perRow, this.#size);
    const grid = new Float32Array(g * g * 2);
    for (let r = 0; r < g; r++) {
      for (let c = 0; c < g; c++) {
        const i = r * g + c;
        grid[2 * i] = e.x0 + ((c + 0.5) / g) * (e.x1 - e.x0);
        grid[2 * i + 1] = e.y1 - ((r + 0.5) / g) * (e.y1 - e.y0); // top row = largest y
      }
    }
    const p = await (await model.predictProba({ rows: g * g, cols: 2, data: grid })).readAndDispose();
    const k = model.outputs;
    const values: number[] = new Array(g * g);
    const classes: number[] = new Array(g * g);
    for (let i = 0; i < g * g; i++) {
      if (k === 1) {
        values[i] = p[i]!;
        classes[i] = p[i]! >= 0.5 ? 1 : 0;
      } else {
        let best = 0;
        for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
        values[i] = k === 2 ? p[i * k + 1]! : p[i * k + best]!;
        classes[i] = best;
      }
    }
    this.state = { version: ++this.#version, epoch, size: g, values, classes, hash: fnv(values) };
    this.draw(data, validFrom);
    return this.state;
  }

  /** Draws the heat map (if computed) and the points. */
  draw(data: Dataset, validFrom: number): void {
    const ctx = this.#canvas.getContext('2d')!;
    const W = this.#canvas.width, H = this.#canvas.height;
    ctx.fillStyle = '#f8fafc';
    ctx.fillRect(0, 0, W, H);
    const s = this.state;
    if (s) {
      const g = s.size;
      const img = new ImageData(g, g);
      for (let i = 0; i < g * g; i++) {
        const binary = data.classes === 2;
        // Confidence in [0, 1]: 0 on the boundary, 1 where the model is sure.
        const conf = binary ? Math.abs(2 * s.values[i]! - 1) : (s.values[i]! * data.classes - 1) / (data.classes - 1);
        setTint(img, i, classRgb(s.classes[i]!), 0.15 + 0.55 * Math.max(0, Math.min(1, conf)));
      }
      drawScaled(ctx, img, W, H, true);
    }
    const e = data.extent;
    if (!e) {
      ctx.fillStyle = '#94a3b8';
      ctx.font = '14px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText(`${data.cols}-D data: no 2-D boundary to draw`, W / 2, H / 2);
      return;
    }
    for (let i = 0; i < data.rows; i++) {
      const px = ((data.x[2 * i]! - e.x0) / (e.x1 - e.x0)) * W;
      const py = ((e.y1 - data.x[2 * i + 1]!) / (e.y1 - e.y0)) * H;
      const colour = css(classRgb(data.labels[i]!));
      ctx.beginPath();
      ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
      if (i < validFrom) {
        ctx.fillStyle = colour;
        ctx.fill();
        ctx.strokeStyle = '#fff';
      } else {
        ctx.strokeStyle = colour;
        ctx.lineWidth = 2;
      }
      ctx.stroke();
      ctx.lineWidth = 1;
    }
  }
}
