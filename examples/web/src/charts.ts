// Live training charts (uPlot): loss and accuracy (train and validation), per-layer gradient
// norms (log scale, one series per dense layer), α of each hidden sigmoid layer, and
// samples/s. A log chart plots log10 of its values on a linear axis labelled in powers of ten:
// uPlot's own log axis (distr 3) froze the page for seconds and threw below about 1e-23,
// which a deep sigmoid network's gradient norms reach on the CPU. Each chart keeps one point per epoch, thinned out past series.ts's MAX_POINTS
// (a run of millions of epochs stays within bounded memory). Redraws are throttled (a redraw
// costs time in proportion to the points); the charts follow the width of their panel. snapshot() draws what is pending, then reads
// the data back from the uPlot instances themselves, so tests see what is plotted.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EpochLogs } from '../../../src/index.js';
import { EpochSeries } from './series.js';
import { decadeRange, decadeTick, DECADE_INCRS, EPOCH_INCRS } from './ticks.js';

export type ChartName = 'loss' | 'accuracy' | 'gradNorms' | 'alphas' | 'speed';

export interface ChartData {
  x: number[];
  /** As plotted: log10 of the values for the log chart (gradNorms). */
  series: Record<string, (number | null)[]>;
}

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];
const HEIGHT = 190;
/** A redraw waits at least this long after the last, and at least 4× as long as that one took. */
const MIN_REDRAW_MS = 100;

interface Chart {
  plot: uPlot;
  names: string[];
  /** Values of series i for one epoch. */
  pick: (logs: EpochLogs) => (number | null)[];
}

function finite(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}

export class Charts {
  readonly #charts = new Map<ChartName, Chart>();
  readonly #x: number[] = [];
  readonly #data = new Map<ChartName, (number | null)[][]>();
  readonly #host: HTMLElement;
  readonly #resize: ResizeObserver;
  #width: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastDraw = 0;
  #drawCost = 0;
  /** Every chart's columns, in chart order (the x axis is shared). */
  readonly #series: EpochSeries;

  /**
   * Builds the five charts inside `host` for a model with these dense layers and these
   * sigmoid layers plotted (the first of EpochLogs.alphas, in order).
   */
  constructor(host: HTMLElement, denseLayers: readonly number[], alphaLayers: readonly number[]) {
    this.#host = host;
    host.replaceChildren();
    this.#width = this.#widthFor(host.clientWidth);
    const add = (name: ChartName, title: string, names: string[], pick: Chart['pick'], opts: { log?: boolean; range?: [number, number]; compact?: boolean } = {}) => {
      const box = document.createElement('div');
      box.className = 'chart';
      box.dataset.chart = name;
      host.append(box);
      const series: uPlot.Series[] = [{ label: 'epoch' }, ...names.map((n, i) => ({
        // Points show by themselves while there are few (uPlot's default), so epoch 1 is visible.
        label: n, stroke: PALETTE[i % PALETTE.length]!, width: 1.5, dash: n.startsWith('validation') ? [6, 3] : undefined,
      }))];
      const data: (number | null)[][] = names.map(() => []);
      this.#data.set(name, data);
      const scaleY: uPlot.Scale = opts.log
        ? { range: (_u, min, max) => decadeRange(min, max) }
        : opts.range ? { range: opts.range } : {};
      const values = opts.compact
        ? (_u: uPlot, ticks: number[]) => ticks.map((t) => COMPACT.format(t))
        : opts.log ? (_u: uPlot, ticks: number[]) => ticks.map(decadeTick) : undefined;
      const plot = new uPlot({
        title, width: this.#width, height: HEIGHT, series,
        scales: { x: { time: false }, y: scaleY },
        axes: [{ label: 'epoch', incrs: EPOCH_INCRS }, { size: 60, ...(values ? { values } : {}), ...(opts.log ? { incrs: DECADE_INCRS } : {}) }],
        legend: { live: false },
        cursor: { show: true, drag: { x: false, y: false } },
      }, [this.#x, ...data] as uPlot.AlignedData, box);
      if (names.length === 0) {
        const note = document.createElement('p');
        note.className = 'chart-note';
        note.textContent = name === 'alphas' ? 'no hidden sigmoid layers in this network' : 'nothing to show';
        box.append(note);
      }
      this.#charts.set(name, { plot, names, pick });
    };
    add('loss', 'Loss', ['train loss', 'validation loss'], (l) => [finite(l.loss), finite(l.valLoss)]);
    add('accuracy', 'Accuracy', ['train accuracy', 'validation accuracy'], (l) => [finite(l.accuracy), finite(l.valAccuracy)], { range: [0, 1] });
    add('gradNorms', 'Gradient norm ‖∂L/∂W‖ per dense layer (log)', denseLayers.map((i, k) => `dense ${k + 1} (layer ${i})`),
      (l) => l.gradNorms.map((g) => (g > 0 && Number.isFinite(g) ? Math.log10(g) : null)), { log: true });
    add('alphas', 'α of each hidden sigmoid layer', alphaLayers.map((layer, k) => `sigmoid ${k + 1} (layer ${layer})`),
      (l) => alphaLayers.map((_, k) => finite(l.alphas[k])));
    add('speed', 'Training samples / s', ['samples/s'], (l) => [finite(l.samplesPerSecond)], { compact: true });
    this.#series = new EpochSeries(this.#x, [...this.#data.values()].flat());
    this.#resize = new ResizeObserver(() => this.#fit());
    this.#resize.observe(host);
  }

  /** Appends one epoch (1-based number) to every chart (if it is on the stride); the redraw follows (throttled). */
  push(epoch: number, logs: EpochLogs): void {
    if (!this.#series.onStride(epoch)) return; // not kept: skip building its values
    const values = [...this.#charts.values()].flatMap((c) => {
      const v = c.pick(logs);
      return c.names.map((_, i) => v[i] ?? null);
    });
    if (!this.#series.push(epoch, values)) return;
    if (this.#timer !== null) return;
    const wait = this.#lastDraw + Math.max(MIN_REDRAW_MS, 4 * this.#drawCost) - performance.now();
    if (wait <= 0) this.draw();
    else this.#timer = setTimeout(() => this.draw(), wait);
  }

  /** Redraws every chart with all its points now. */
  draw(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const t0 = performance.now();
    for (const [name, c] of this.#charts) c.plot.setData([this.#x, ...this.#data.get(name)!] as uPlot.AlignedData);
    this.#lastDraw = performance.now();
    this.#drawCost = this.#lastDraw - t0;
  }

  /** What each chart plots (read from uPlot's own data, after drawing what is pending). */
  snapshot(): Record<ChartName, ChartData> {
    if (this.#timer !== null) this.draw();
    const out = {} as Record<ChartName, ChartData>;
    for (const [name, c] of this.#charts) {
      const [x, ...cols] = c.plot.data;
      out[name] = {
        x: Array.from(x ?? [], Number),
        series: Object.fromEntries(c.names.map((n, i) => [n, Array.from(cols[i] ?? [], (v) => (v === null || v === undefined ? null : Number(v)))])),
      };
    }
    return out;
  }

  destroy(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#resize.disconnect();
    for (const c of this.#charts.values()) c.plot.destroy();
    this.#charts.clear();
    // The chart boxes and notes too: a Reset that builds no model makes no new Charts to clear them.
    this.#host.replaceChildren();
  }

  /** Two charts side by side where the panel is wide enough, one per row below that. */
  #widthFor(panel: number): number {
    const inside = (panel || 900) - 32; // the panel's padding
    return inside >= 560 ? Math.min(560, Math.floor((inside - 16) / 2)) : Math.max(200, inside);
  }

  #fit(): void {
    const w = this.#widthFor(this.#host.clientWidth);
    if (w === this.#width) return;
    this.#width = w;
    for (const c of this.#charts.values()) c.plot.setSize({ width: w, height: HEIGHT });
  }
}
