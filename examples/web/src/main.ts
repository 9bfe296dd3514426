// The playground page: starts the engine, builds the dataset and model from the controls,
// and trains one epoch per fit() call inside an async loop that yields to the browser every
// tick (requestAnimationFrame; the next task in a hidden tab), so the page stays responsive.
// After every epoch the charts grow by one point; every few epochs (and on Step, Pause and
// Reset) the decision boundary is recomputed on the engine. All actions run one after another
// through a queue; Pause and Reset cut the epoch in flight short (between two batches: fit
// puts the model back to where that epoch began), and both drop the Steps still queued. A
// diverged model (NaN loss) keeps its notice and takes no Train or Step until a Reset.
// State is published on window.__playground for tests.
import type { Engine, EpochLogs, History, MemoryStats } from '../../../src/index.js';
import { nextTask } from '../../../src/next-task.js';
import { type BackendInfo, startEngine } from './backend.js';
import { BoundaryView, type BoundaryState } from './boundary.js';
import { type ChartData, type ChartName, Charts } from './charts.js';
import {
  kernelSettings, readDataChoice, readSettings, readTrainingFields, setButtons, setGamma, type Settings, showMessage, type TrainingFields,
  trainRowCount, wireControls,
} from './controls.js';
import { type Dataset, loadDataset } from './datasets.js';
import { GramView, type GramState } from './gram-view.js';
import { type Built, buildModel, sizeNotice } from './model.js';
import { SpeedMeter } from './speed.js';

export interface PlaygroundState {
  state: 'starting' | 'idle' | 'training' | 'stepping' | 'error';
  error: string | null;
  backend: BackendInfo['backend'] | null;
  adapter: BackendInfo['adapter'];
  fallbackReason: string | null;
  backendText: string;
  settings: Settings | null;
  dataset: { name: string; rows: number; cols: number; classes: number; trainRows: number } | null;
  /** Epochs trained since the last Reset (the last log's epoch number). */
  readonly epochCount: number;
  /** Logs of the epochs since the last Reset, the last KEEP_LOGS to 2·KEEP_LOGS of them (epoch numbers 1-based). */
  epochs: EpochLogs[];
  /** What each chart plots, read from the charts. */
  readonly charts: Record<ChartName, ChartData> | null;
  boundaryVersion: number;
  boundary: BoundaryState | null;
  /** (version, epoch, hash) of the boundaries computed since the last Reset (the last KEEP_LOGS to 2·KEEP_LOGS). */
  boundaryHistory: { version: number; epoch: number; hash: string }[];
  gram: GramState | null;
  memory: MemoryStats | null;
  /** Completed Resets (the first build counts): wait for it to grow after changing a setting. */
  resets: number;
  /** Actions (Reset, Step, Train) queued or running; 0 when the page is settled. */
  pending: number;
}

declare global {
  interface Window {
    __playground?: PlaygroundState;
  }
}

const $ = (id: string): HTMLElement => document.getElementById(id)!;

/** How many epoch logs and boundary records the page keeps (a run of millions of epochs must not fill the memory). */
const KEEP_LOGS = 10_000;

/** Appends `item`, dropping the oldest once `list` holds 2·KEEP_LOGS (in one go, not one per push). */
function keepRecent<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length >= 2 * KEEP_LOGS) list.splice(0, list.length - KEEP_LOGS);
}

let engine: Engine;
let data: Dataset | null = null;
/** The seed `data` was made with. */
let dataSeed = 0;
/** The dataset the Gram view shows (null: none yet): a Reset recomputes the view when `data` is another. */
let gramData: Dataset | null = null;
let speed = new SpeedMeter();
let built: Built | null = null;
let charts: Charts | null = null;
let train: { x: { rows: number; cols: number; data: Float32Array }; y: number[] | number[][] } | null = null;
let valid: { x: { rows: number; cols: number; data: Float32Array }; y: number[] | number[][] } | null = null;
let trainRows = 0;
/**
 * Set by Pause and Reset, cleared by pressing Train (not when its loop starts): a Train still
 * queued behind a Reset, or a second Train pressed before the first loop began, does not run.
 */
let stopRequested = false;
/** Reset presses so far: a Step pressed before the latest one does not run (or stops, if running). */
let resetPresses = 0;
/** Pause presses so far: a Step pressed before the latest one does not run (or stops, if running), as for Reset. */
let pausePresses = 0;
/** Steps pressed and not yet done (queued or running): Pause is on meanwhile. */
let stepsPending = 0;
/** Train's buttons: a Train pressed (queued or running) and not yet ended. */
let trainingButtons = false;
/**
 * The divergence notice of the model shown ("training diverged at epoch …"), or null: it
 * stays until a Reset, through a training field's warning and its fixing (which cleared it).
 */
let diverged: string | null = null;
/** The notice of a network large for the backend (sizeNotice) shown since the last Reset, or null. */
let largeNetworkNotice: string | null = null;
/**
 * Batch size, epochs per tick and boundary interval in use: the last valid values of their
 * fields, so a field being edited (or left invalid) during training never stops it.
 */
let fields: TrainingFields = { batchSize: 16, epochsPerTick: 1, boundaryEvery: 5 };
/** The message shown is applyTrainingFields' warning (cleared once the fields are valid, back to any divergence notice). */
let fieldsWarning = false;
/**
 * Where Reset stands, for a training field edited meanwhile (see the trainingFields handler):
 * 'ok': the last Reset built a model (or none has run yet), so an edit applies in place;
 * 'failed': it left no model (a bad setting, or it threw), so an edit builds again (it may fix
 * the field it named); 'running': a Reset is running (say, awaiting the digits), so it has no
 * model yet but must not be queued again; 'running-edited': running, and a field was edited
 * meanwhile, which that Reset takes before it ends.
 */
let resetState: 'ok' | 'failed' | 'running' | 'running-edited' = 'ok';
/**
 * A training field was edited during the running Reset (a call: inline, TypeScript keeps
 * reset()'s own narrowing to 'running' across its await).
 */
const editedMeanwhile = (): boolean => resetState === 'running-edited';
const boundary = new BoundaryView($('boundary') as HTMLCanvasElement, 64);
const gram = new GramView($('gram') as HTMLCanvasElement);

const pg: PlaygroundState = {
  state: 'starting', error: null, backend: null, adapter: null, fallbackReason: null, backendText: '',
  settings: null, dataset: null, epochs: [],
  get epochCount() {
    return this.epochs.at(-1)?.epoch ?? 0;
  },
  get charts() {
    return charts?.snapshot() ?? null;
  },
  boundaryVersion: 0, boundary: null, boundaryHistory: [], gram: null, memory: null, resets: 0, pending: 0,
};
window.__playground = pg;

// ---- one action at a time --------------------------------------------------------------

let queue: Promise<void> = Promise.resolve();

function fail(err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
  pg.state = 'error';
  pg.error = text;
  showMessage(text, 'error');
  // The status line said 'idle' (or 'training') beside the error; no engine: start() failed.
  if (engine !== undefined) showStatus();
  console.error(err);
}

function serial(action: () => Promise<void>): Promise<void> {
  pg.pending++;
  const run = async (): Promise<void> => {
    if (pg.state === 'error') {
      // A new action starts from a clean slate; if it fails too, fail() says so again.
      pg.state = 'idle';
      pg.error = null;
      showMessage(null);
    }
    await action();
  };
  queue = queue.then(run).catch(fail).finally(() => {
    pg.pending--;
  });
  return queue;
}

/**
 * The longest a tick trains before the page yields, whatever "epochs per tick" says: fit on
 * the CPU backend never leaves the microtask queue, so 100,000 epochs per tick froze the page
 * (Pause could not be pressed).
 */
const TICK_MS = 100;

/**
 * The next frame; in a hidden tab the next task: rAF does not fire there, and the 100 ms timer
 * that stood in for it let training run 10 ticks a second at most (and Chrome throttles a
 * hidden tab's timers to one a second, one a minute after five minutes).
 */
const nextFrame = (): Promise<void> =>
  document.hidden
    ? nextTask()
    : new Promise((done) => {
      // The tab may be hidden before the frame comes.
      const t = setTimeout(done, 100);
      requestAnimationFrame(() => {
        clearTimeout(t);
        done();
      });
    });

// ---- status ------------------------------------------------------------------------------

const fmt = (v: number | undefined, digits = 4): string => (v === undefined || !Number.isFinite(v) ? '–' : fixed(v, digits));

/** v.toFixed(digits), but "0.00" where that would read "-0.00" (a tiny negative value). */
function fixed(v: number, digits: number): string {
  const text = v.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

function showStatus(): void {
  pg.memory = engine.memory();
  const m = pg.memory;
  const last = pg.epochs[pg.epochs.length - 1];
  $('epoch').textContent = String(pg.epochCount);
  $('m-loss').textContent = last ? `${fmt(last.loss)}${last.valLoss !== undefined ? ` / val ${fmt(last.valLoss)}` : ''}` : '–';
  $('m-acc').textContent = last?.accuracy !== undefined ? `${(100 * last.accuracy).toFixed(1)} %` : '–';
  $('m-val').textContent = last?.valAccuracy !== undefined ? `${(100 * last.valAccuracy).toFixed(1)} %` : '–';
  const rate = speed.rate !== null ? ` · ${Math.round(speed.rate).toLocaleString('en')} samples/s` : '';
  $('status').textContent =
    `${pg.state} · ${engine.backend} · memory: ${m.liveTensors} live tensors, ${(m.liveBytes / 1024).toFixed(1)} KiB live, ` +
    `${(m.pooledBytes / 1024).toFixed(1)} KiB pooled${rate}`;
}

/** The buttons as training, Steps and divergence leave them (setButtons). */
function showButtons(): void {
  setButtons({ training: trainingButtons, stepping: stepsPending > 0, diverged: diverged !== null, noModel: resetState === 'failed' });
}

function setTraining(on: boolean): void {
  trainingButtons = on;
  showButtons();
}

// ---- actions -----------------------------------------------------------------------------

/** A reset that cannot build (bad settings, model error): show why and stay idle. */
function resetFailed(err: unknown): void {
  pg.state = 'idle';
  pg.resets++;
  showMessage((err as Error).message);
  if (data) boundary.draw(data, trainRows); // the points only: the old model's boundary is gone
  $('boundary-info').textContent = 'no model: fix the setting named above';
  showStatus();
}

/** Takes the training fields when they are valid; else keeps the values in use and says so. */
function applyTrainingFields(): void {
  try {
    fields = readTrainingFields();
    if (fieldsWarning) showMessage(diverged ?? largeNetworkNotice); // the notice the warning stood in for
    fieldsWarning = false;
  } catch (err) {
    showMessage(`${(err as Error).message}; until it is fixed, training uses batch size ${fields.batchSize}, ` +
      `${fields.epochsPerTick} epoch(s) per tick and a boundary every ${fields.boundaryEvery} epochs`);
    fieldsWarning = true;
  }
}

/**
 * The dataset `name` with `seed` (loaded when it is not the one shown); γ goes back to 1/d
 * when the dataset itself changed (not for a new seed of the same one). Returns whether it
 * was loaded.
 */
async function showDataset(name: Settings['dataset'], seed: number): Promise<boolean> {
  if (data?.name === name && dataSeed === seed) return false;
  const renamed = data?.name !== name; // also the first load
  data = await loadDataset(name, seed);
  dataSeed = seed;
  if (renamed) setGamma(1 / data.cols);
  return true;
}

/** What pg.dataset says of `d` with `train` training rows. */
function datasetInfo(d: Dataset, train: number): PlaygroundState['dataset'] {
  return { name: d.name, rows: d.rows, cols: d.cols, classes: d.classes, trainRows: train };
}

/**
 * Rebuilds data (when the dataset changed), model, charts and views from the controls. A
 * training field edited while it ran is applied when it built a model; when it did not, it
 * builds again in the same queue slot (the edit may fix the very field it failed on), so a
 * Train pressed meanwhile still runs after it, on the model it built. Never queues itself.
 */
async function reset(): Promise<void> {
  let ok = false;
  try {
    do {
      resetState = 'running';
      ok = await rebuild();
    } while (!ok && editedMeanwhile());
  } finally {
    // A throw leaves 'failed' (an edit then builds again), never 'running'.
    const edited = editedMeanwhile();
    resetState = ok ? 'ok' : 'failed';
    showButtons(); // no model after a failed Reset: Train and Step have nothing to run
    if (ok && edited) applyTrainingFields(); // the fields as edited after rebuild read them
  }
}

/** reset()'s work: true when it built a model, false when a setting was refused. */
async function rebuild(): Promise<boolean> {
  showMessage(null);
  diverged = null;
  largeNetworkNotice = null;
  showButtons();
  built?.model.dispose();
  built = null;
  charts?.destroy();
  charts = null;
  speed = new SpeedMeter();
  pg.epochs = [];
  pg.boundary = null;
  pg.boundaryHistory = [];
  boundary.state = null;
  let s: Settings;
  try {
    s = readSettings();
  } catch (err) {
    // Another field is bad: still show the dataset picked (its points and Gram matrix).
    const choice = readDataChoice();
    try {
      if (await showDataset(choice.dataset, choice.seed ?? pg.settings?.model.seed ?? 0)) {
        trainRows = data!.rows;
        pg.dataset = datasetInfo(data!, trainRows);
      }
      await showGram();
    } catch (loadErr) {
      console.warn('the dataset could not be shown:', loadErr); // the bad field's message matters more
    }
    resetFailed(err);
    return false;
  }
  pg.settings = s;
  fields = s; // its training fields
  fieldsWarning = false; // valid, and the message cleared above
  await showDataset(s.dataset, s.model.seed);
  const d = data!;
  trainRows = d.rows; // all shown as training points should the split be refused
  try {
    trainRows = trainRowCount(d.rows, s.validationSplit);
    built = buildModel(engine, d, s.model);
  } catch (err) {
    // The dataset is loaded all the same: it is the one shown (points, Gram matrix, pg.dataset).
    pg.dataset = datasetInfo(d, trainRows);
    await showGram();
    resetFailed(err);
    return false;
  }
  const y = built.targets(d.labels);
  const rowsOf = (from: number, to: number) => ({ rows: to - from, cols: d.cols, data: d.x.slice(from * d.cols, to * d.cols) });
  train = { x: rowsOf(0, trainRows), y: y.slice(0, trainRows) as number[] | number[][] };
  valid = trainRows < d.rows ? { x: rowsOf(trainRows, d.rows), y: y.slice(trainRows) as number[] | number[][] } : null;
  pg.dataset = datasetInfo(d, trainRows);
  charts = new Charts($('charts'), built.model.denseLayers, built.alphaLayers);
  largeNetworkNotice = sizeNotice(built.model, engine.backend, trainRows);
  if (largeNetworkNotice !== null) showMessage(largeNetworkNotice);
  if (d.extent) await updateBoundary();
  else {
    boundary.draw(d, trainRows);
    $('boundary-info').textContent = `no decision boundary for ${d.cols}-dimensional data (2-D datasets only)`;
  }
  await showGram();
  pg.state = 'idle';
  pg.error = null;
  pg.resets++;
  showStatus();
  return true;
}

/** The boundary of the last epoch, unless it is already shown. */
async function refreshBoundary(): Promise<void> {
  if (data?.extent && pg.boundary?.epoch !== pg.epochCount) await updateBoundary();
}

async function updateBoundary(): Promise<void> {
  if (!built || !data?.extent) return;
  if (diverged !== null) return; // a diverged model's grid means nothing (NaN, or saturated): keep the last one
  const t0 = performance.now();
  const st = await boundary.update(built.model, data, trainRows, pg.epochCount);
  pg.boundary = st;
  pg.boundaryVersion = st.version;
  keepRecent(pg.boundaryHistory, { version: st.version, epoch: st.epoch, hash: st.hash });
  $('boundary-info').textContent =
    `predictProba on a ${st.size}×${st.size} grid at epoch ${st.epoch} (${(performance.now() - t0).toFixed(0)} ms on ${engine.backend}); ` +
    'filled points train, hollow points validation';
}

/** The Gram matrix of `data`, unless the view already shows it (γ and c₀ changes: updateGram). */
async function showGram(): Promise<void> {
  if (gramData !== data) await updateGram();
}

async function updateGram(): Promise<void> {
  if (!data) return;
  const d = data;
  const { gamma, coef0 } = kernelSettings();
  const st = await gram.update(engine, d, gamma, coef0);
  if (st === null) return; // a newer call shows its own
  gramData = d;
  pg.gram = st;
  $('gram-info').textContent =
    `K = tanh(γ⟨x, y⟩ + c₀) of ${st.n} points sorted by class; range [${fixed(st.min, 2)}, ${fixed(st.max, 2)}], ` +
    `mean ${fixed(st.mean, 3)} (${st.ms.toFixed(0)} ms on ${engine.backend})`;
}

/** Thrown from fit's onBatchEnd to cut an epoch short. */
class Interrupted extends Error {}

/**
 * What says the model diverged ('the loss is NaN'), or null. The validation loss too: it is
 * measured after the epoch's last update, which can be the one that blew up (one batch an
 * epoch: the validation loss was NaN beside a finite loss, with no word until the next epoch).
 */
function divergence(logs: EpochLogs): string | null {
  if (!Number.isFinite(logs.loss)) return `the loss is ${logs.loss}`;
  if (logs.valLoss !== undefined && !Number.isFinite(logs.valLoss)) return `the validation loss is ${logs.valLoss}`;
  return null;
}

/**
 * One epoch through fit(); returns its logs, or null when `cancelled` turned true between two
 * of its batches (the epoch is dropped: fit restores the model to where it began). An epoch
 * of many batches takes seconds (digits, batch 1, wide layers: 24 s on the CPU), and Pause or
 * Reset waiting for it looked like a click that did nothing. On WebGPU fit itself keeps its
 * submitted steps a few tens of milliseconds ahead of the GPU, so the Pause does not wait
 * behind a queued epoch either.
 */
async function epoch(cancelled: () => boolean): Promise<EpochLogs | null> {
  if (!built || !train || !charts || !pg.settings) throw new Error('no model: fix the settings and press Reset');
  const n = pg.epochCount;
  const afterStep = (): void => {
    if (cancelled()) throw new Interrupted();
  };
  let history: History;
  try {
    history = await built.model.fit(train.x, train.y, {
      epochs: 1,
      batchSize: fields.batchSize,
      // No seed: the model shuffles on from its own (past the epochs trained), a different shuffle
      // each epoch and the same on a rerun, as one long fit. A seed made here (seed · 100003 + n)
      // left fit's range (±2^52) for seeds the seed field accepts.
      shuffle: true,
      onBatchEnd: afterStep,
      ...(valid ? { validationData: [valid.x, valid.y] as [typeof valid.x, typeof valid.y] } : {}),
    });
  } catch (err) {
    if (err instanceof Interrupted) return null;
    throw err;
  }
  const logs = { ...history.epochs[0]!, epoch: n + 1 };
  keepRecent(pg.epochs, logs);
  charts.push(n + 1, { ...logs, samplesPerSecond: speed.add(trainRows, logs.seconds) ?? Number.NaN });
  const bad = divergence(logs);
  if (bad !== null) {
    stopRequested = true;
    diverged = `training diverged at epoch ${n + 1}: ${bad}; lower the learning rate and press Reset`;
    showMessage(diverged);
    fieldsWarning = false; // the notice replaced it
    showButtons();
  }
  if (data?.extent && (n + 1) % fields.boundaryEvery === 0) await updateBoundary();
  showStatus();
  return logs;
}

async function trainLoop(): Promise<void> {
  if (!built || stopRequested) {
    setTraining(false); // Pause pressed (or a failed Reset) while this Train waited its turn
    return;
  }
  pg.state = 'training';
  setTraining(true);
  showStatus();
  const presses = resetPresses;
  try {
    while (!stopRequested) {
      const tick = performance.now();
      for (let i = 0; i < fields.epochsPerTick && !stopRequested && performance.now() - tick < TICK_MS; i++) {
        if ((await epoch(() => stopRequested)) === null) break;
      }
      await nextFrame();
    }
    // Where training stopped; not when a Reset stopped it: that grid (up to GRID_WORK, ~1 s on
    // the CPU) was of the model the Reset is about to dispose, and the Reset waited for it.
    if (resetPresses === presses) await refreshBoundary();
  } finally {
    pg.state = 'idle';
    setTraining(false);
    showStatus();
  }
}

let gramTimer: ReturnType<typeof setTimeout> | undefined;

async function start(): Promise<void> {
  const { engine: e, info } = await startEngine($('backend'));
  engine = e;
  Object.assign(pg, { backend: info.backend, adapter: info.adapter, fallbackReason: info.fallbackReason, backendText: info.text });
  wireControls({
    train: () => {
      stopRequested = false;
      setTraining(true); // Pause works at once, even while the Train waits behind a Step or Reset
      void serial(trainLoop);
    },
    pause: () => {
      stopRequested = true;
      pausePresses++;
    },
    step: () => {
      const resets = resetPresses;
      const pauses = pausePresses;
      const superseded = (): boolean => resetPresses !== resets || pausePresses !== pauses;
      stepsPending++;
      showButtons();
      void serial(async () => {
        if (!built || superseded() || diverged !== null) return; // a Step queued behind the one that diverged
        pg.state = 'stepping';
        showStatus();
        try {
          if ((await epoch(superseded)) !== null) await refreshBoundary();
        } finally {
          if (pg.state === 'stepping') pg.state = 'idle';
          showStatus();
        }
      }).finally(() => {
        stepsPending--;
        showButtons();
      });
    },
    reset: () => {
      stopRequested = true;
      resetPresses++;
      void serial(reset);
    },
    trainingFields: () => {
      // A Reset still running takes the edit when it ends (it builds again if it failed): no
      // second Reset is queued, which behind a Train pressed meanwhile would leave that Train
      // no model, or wipe the model it trains. A failed last Reset (perhaps on this very
      // field): build again (a Reset names the field still bad), or the fix would leave Train
      // and Step doing nothing.
      if (resetState === 'running' || resetState === 'running-edited') resetState = 'running-edited';
      else if (resetState === 'failed') void serial(reset);
      else applyTrainingFields();
    },
    kernel: () => {
      clearTimeout(gramTimer);
      gramTimer = setTimeout(() => void updateGram().catch(fail), 120);
    },
  });
  showButtons();
  await serial(reset);
}

void start().catch(fail);
