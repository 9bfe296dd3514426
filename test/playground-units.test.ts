// The playground's pure helpers (examples/web/src), in Node: the training-speed window, the
// chart axis labels, the model builder, the decision boundary's grid size and the newest-only
// job queue of the Gram view. The page itself is driven in test/browser/playground.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { createEngine, mlpLayers } from '../src/index.js';
import { GRID_WORK, gridSize, MIN_GRID, workPerRow } from '../examples/web/src/boundary.js';
import { trainRowCount } from '../examples/web/src/controls.js';
import { loadDataset } from '../examples/web/src/datasets.js';
import { LatestOnly } from '../examples/web/src/latest-only.js';
import { buildModel, type ModelConfig, parseHidden } from '../examples/web/src/model.js';
import { EpochSeries } from '../examples/web/src/series.js';
import { SpeedMeter } from '../examples/web/src/speed.js';
import { decadeRange, decadeTick, DECADE_INCRS, EPOCH_INCRS, logTick } from '../examples/web/src/ticks.js';

describe('SpeedMeter', () => {
  it('is null until time is measured, then samples/s over the last half second, never Infinity', () => {
    const s = new SpeedMeter();
    expect(s.rate).toBeNull();
    expect(s.add(160, 0)).toBeNull(); // a first epoch shorter than the clock's resolution
    expect(s.add(160, 0)).toBeNull(); // so is the window's first
    expect(s.add(160, 0.0001)).toBeCloseTo(320 / 0.0001, 6);
    expect(s.add(160, 0)).toBeCloseTo(480 / 0.0001, 6);
    expect(s.rate).toBeCloseTo(480 / 0.0001, 6);
  });

  it('charts the first epoch alone and leaves it out of the window', () => {
    const s = new SpeedMeter();
    expect(s.add(160, 0.5)).toBeCloseTo(320, 9); // shaders compiled in this one
    expect(s.rate).toBeCloseTo(320, 9);
    expect(s.add(160, 0.05)).toBeCloseTo(3200, 9); // not 320 / 0.55 s
    expect(s.add(160, 0.05)).toBeCloseTo(3200, 9);
  });

  it('forgets epochs older than the window', () => {
    const s = new SpeedMeter();
    s.add(1, 1); // the first epoch: never in the window
    expect(s.add(1000, 1)).toBeCloseTo(1000, 9); // alone in its window
    expect(s.add(100, 0.3)).toBeCloseTo(1100 / 1.3, 9); // the old epoch still counts: 0.3 s is not a window yet
    expect(s.add(100, 0.3)).toBeCloseTo(200 / 0.6, 9); // 0.6 s without it: dropped
    for (let i = 0; i < 100; i++) s.add(50, 0.01);
    expect(s.add(50, 0.01)).toBeCloseTo(5000, 6); // steady 50 per 10 ms
  });
});

describe('EpochSeries (chart points of a long run)', () => {
  const f = (epoch: number): [number, number | null] => [epoch * 0.5, epoch % 3 === 0 ? null : -epoch];

  it('keeps every epoch up to maxPoints', () => {
    const s = new EpochSeries([], [[], []], 8);
    for (let e = 1; e <= 8; e++) expect(s.push(e, f(e))).toBe(true);
    expect(s.x).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.columns[0]).toEqual(s.x.map((e) => f(e)[0]));
    expect(s.columns[1]).toEqual(s.x.map((e) => f(e)[1]));
  });

  it('past maxPoints: never more than maxPoints, evenly spaced from epoch 1, columns aligned with x', () => {
    const x: number[] = [];
    const cols: (number | null)[][] = [[], []];
    const s = new EpochSeries(x, cols, 8);
    for (let e = 1; e <= 1000; e++) {
      s.push(e, f(e));
      expect(x.length).toBeLessThanOrEqual(8);
    }
    expect(s.stride).toBe(128); // 1000 epochs in ≤ 8 points
    expect(x).toEqual(Array.from({ length: x.length }, (_, i) => 1 + i * s.stride));
    expect(x.at(-1)! + s.stride).toBeGreaterThan(1000); // the newest kept epoch is within one stride of the end
    expect(cols[0]).toEqual(x.map((e) => f(e)[0]));
    expect(cols[1]).toEqual(x.map((e) => f(e)[1]));
  });
});

describe('chart axes', () => {
  it('log-axis labels keep small gradient norms readable (uPlot rounded 1e-4 … 1e-7 to "0")', () => {
    expect([1, 0.1, 0.01, 0.001].map(logTick)).toEqual(['1', '0.1', '0.01', '0.001']);
    expect([1e-4, 1e-7, 3e-9].map(logTick)).toEqual(['1e-4', '1e-7', '3e-9']);
    expect([20, 5e4, 1e5, 2e6].map(logTick)).toEqual(['20', '50000', '1e5', '2e6']);
    expect(logTick(0)).toBe('0');
    expect(logTick(null)).toBe(''); // a tick uPlot leaves unlabelled
  });

  it('the log chart (log10 values on a linear axis) spans whole decades and labels them as powers of ten, down to 1e-300', () => {
    expect(decadeRange(-23.4, -0.2)).toEqual([-24, 0]);
    expect(decadeRange(-300, -299.5)).toEqual([-300, -299]);
    expect(decadeRange(2, 2)).toEqual([2, 3]); // one value: one decade
    expect(decadeRange(null, null)).toEqual([-1, 0]); // nothing plotted yet
    expect(decadeRange(Number.NaN, 1)).toEqual([-1, 0]);
    expect([-24, -7, -3, -1, 0, 2, 5].map(decadeTick)).toEqual(['1e-24', '1e-7', '0.001', '0.1', '1', '100', '1e5']);
    expect(decadeTick(-300)).toBe('1e-300');
    expect(decadeTick(null)).toBe('');
    expect(DECADE_INCRS.every((v) => Number.isInteger(v) && v >= 1)).toBe(true);
  });

  it('epoch ticks are whole numbers', () => {
    expect(EPOCH_INCRS.every((v) => Number.isInteger(v) && v >= 1)).toBe(true);
    expect(EPOCH_INCRS[0]).toBe(1);
  });
});

describe('buildModel', () => {
  it('a setting compile() refuses leaves no tensor alive (an lr beyond float32 leaked the parameters on every Reset)', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    const data = await loadDataset('xor', 0);
    const config: ModelConfig = {
      hidden: [8], activation: 'sigmoid', alpha: 1, learnAlpha: false, loss: 'auto', optimizer: 'adam', lr: 1e39, seed: 0,
    };
    for (const optimizer of ['adam', 'sgd'] as const) {
      expect(() => buildModel(engine, data, { ...config, optimizer })).toThrow(/lr must be/);
      expect(engine.memory().liveTensors).toBe(0);
    }
    const built = buildModel(engine, data, { ...config, lr: 0.1 });
    expect(engine.memory().liveTensors).toBeGreaterThan(0);
    built.model.dispose();
    expect(engine.memory().liveTensors).toBe(0);
  });
});

describe('decision boundary grid', () => {
  it('64² for small networks; fewer cells for costly ones, within GRID_WORK multiply-adds (a 1024,1024 network froze the CPU page 3 s per boundary)', () => {
    const perRow = (hidden: number[]) => workPerRow(mlpLayers(2, hidden, 1, { activation: 'sigmoid' }));
    expect(perRow([8])).toBe(2 * 8 + 8 * 1);
    expect(gridSize(perRow([8]), 64)).toBe(64);
    expect(gridSize(perRow([1024]), 64)).toBe(64);
    expect(gridSize(perRow([128, 128]), 64)).toBe(64);
    for (const hidden of [[1024, 1024], [1024, 1024, 1024], [512, 512, 512]]) {
      const g = gridSize(perRow(hidden), 64);
      expect(g, `${hidden}`).toBeLessThan(64);
      expect(g * g * perRow(hidden), `${hidden}`).toBeLessThanOrEqual(GRID_WORK);
      expect((g + 1) * (g + 1) * perRow(hidden), `${hidden}: the largest grid within the budget`).toBeGreaterThan(GRID_WORK);
    }
    expect(gridSize(perRow(Array(20).fill(1024)), 64)).toBe(MIN_GRID);
  });
});

describe('parseHidden', () => {
  it('reads comma-separated widths of plain digits, none for "" or "none"', () => {
    expect(parseHidden(' 8, 16 ,1024')).toEqual([8, 16, 1024]);
    expect(parseHidden('')).toEqual([]);
    expect(parseHidden('none')).toEqual([]);
  });

  it('refuses what Number() would read as another width ("0x10" was a 16-unit layer, "1e1" 10 units)', () => {
    for (const text of ['0x10', '1e1', '8.', '8.0', '+8', '0', '1025', '8,,8', '8,x', '0b11']) {
      expect(() => parseHidden(text), text).toThrow(/hidden layers must be widths 1–1024/);
    }
  });
});

describe('trainRowCount', () => {
  it('holds out the rounded share; a share that rounds to no row is refused in the field\'s words', () => {
    expect(trainRowCount(200, 0.2)).toBe(160);
    expect(trainRowCount(200, 0)).toBe(200);
    expect(trainRowCount(200, 0.005)).toBe(199);
    expect(trainRowCount(1797, 0.001)).toBe(1795);
    expect(() => trainRowCount(200, 0.001)).toThrow('validation split (%): "0.1" holds out no row of the 200 (0 turns validation off)');
  });
});

describe('LatestOnly (the Gram view\'s recomputations)', () => {
  it('runs one job at a time and, of those waiting, only the newest (every slider position was computed in turn)', async () => {
    const q = new LatestOnly<number>();
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const job = (n: number) => () => {
      started.push(n);
      return new Promise<number>((done) => finish.push(() => done(n)));
    };
    const first = q.run(job(1));
    const waiting = [2, 3, 4].map((n) => q.run(job(n)));
    expect(started).toEqual([1]);
    finish[0]!();
    expect(await first).toBe(1);
    expect(await waiting[0]).toBeNull();
    expect(await waiting[1]).toBeNull();
    expect(started).toEqual([1, 4]);
    finish[1]!();
    expect(await waiting[2]).toBe(4);
    // A failed job lets the next one run.
    const failing = q.run(() => Promise.reject(new Error('lost')));
    const next = q.run(job(5));
    await expect(failing).rejects.toThrow('lost');
    await vi.waitFor(() => expect(started).toEqual([1, 4, 5]));
    finish[2]!();
    expect(await next).toBe(5);
  });
});
