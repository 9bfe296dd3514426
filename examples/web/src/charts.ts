// Live training charts (uPlot): loss and accuracy (train and validation), per-layer gradient
// norms (log scale, one series per dense layer), α of each sigmoid layer, and samples/s.
// Each chart keeps one point per epoch; snapshot() reads the data back from the uPlot
// instances themselves, so tests see what is plotted.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EpochLogs } from '../../../src/index.js';

export type ChartName = 'loss' | 'accuracy' | 'gradNorms' | 'alphas' | 'speed';

export interface ChartData {
  x: number[];
  series: Record<string, (number | null)[]>;
}

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];

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

  /** Builds the five charts inside `host` for a model with these dense and sigmoid layers. */
  constructor(host: HTMLElement, denseLayers: readonly number[], sigmoidLayers: readonly number[]) {
    host.replaceChildren();
    const width = Math.max(260, Math.min(560, Math.floor((host.clientWidth || 900) / 2) - 24));
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
      const scaleY: uPlot.Scale = opts.log ? { distr: 3 } : opts.range ? { range: opts.range } : {};
      const plot = new uPlot({
        title, width, height: 190, series,
        scales: { x: { time: false }, y: scaleY },
        axes: [{ label: 'epoch' }, { size: 60, ...(opts.compact ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => COMPACT.format(t)) } : {}) }],
        legend: { live: false },
        cursor: { show: true, drag: { x: false, y: false } },
      }, [this.#x, ...data] as uPlot.AlignedData, box);
      if (names.length === 0) {
        const note = document.createElement('p');
        note.className = 'chart-note';
        note.textContent = name === 'alphas' ? 'no sigmoid layers in this network' : 'nothing to show';
        box.append(note);
      }
      this.#charts.set(name, { plot, names, pick });
    };
    add('loss', 'Loss', ['train loss', 'validation loss'], (l) => [finite(l.loss), finite(l.valLoss)]);
    add('accuracy', 'Accuracy', ['train accuracy', 'validation accuracy'], (l) => [finite(l.accuracy), finite(l.valAccuracy)], { range: [0, 1] });
    add('gradNorms', 'Gradient norm ‖∂L/∂W‖ per dense layer (log)', denseLayers.map((i, k) => `dense ${k + 1} (layer ${i})`),
      (l) => l.gradNorms.map((g) => (g > 0 && Number.isFinite(g) ? g : null)), { log: true });
    add('alphas', 'α of each sigmoid layer', sigmoidLayers.map((i, k) => `sigmoid ${k + 1} (layer ${i})`), (l) => l.alphas.map((a) => finite(a)));
    add('speed', 'Training samples / s', ['samples/s'], (l) => [finite(l.samplesPerSecond)], { compact: true });
  }

  /** Appends one epoch (1-based number) to every chart and redraws. */
  push(epoch: number, logs: EpochLogs): void {
    this.#x.push(epoch);
    for (const [name, c] of this.#charts) {
      const data = this.#data.get(name)!;
      const v = c.pick(logs);
      data.forEach((col, i) => col.push(v[i] ?? null));
      c.plot.setData([this.#x, ...data] as uPlot.AlignedData);
    }
  }

  /** What each chart currently plots (read from uPlot's own data). */
  snapshot(): Record<ChartName, ChartData> {
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
    for (const c of this.#charts.values()) c.plot.destroy();
    this.#charts.clear();
  }
}
