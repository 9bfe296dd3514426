// The control panel: reads the form into a Settings object and wires the buttons and inputs.
// Fields that change the data or the model ask for a rebuild (Reset); batch size, epochs per
// tick and the boundary interval apply in place from the next epoch on (main.ts: after a failed
// Reset an edit builds again, and during a running Reset it waits for that Reset to end).
import { MAX_SEED } from '../../../src/index.js';
import type { DatasetName } from './datasets.js';
import { type ActivationName, type LossChoice, type ModelConfig, parseHidden } from './model.js';

export interface Settings {
  dataset: DatasetName;
  /** Share of rows held out for validation, in [0, 0.5]. */
  validationSplit: number;
  model: ModelConfig;
  batchSize: number;
  epochsPerTick: number;
  boundaryEvery: number;
}

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** The field's number when `check` accepts it; else an Error "<what>: ..." saying what is `allowed`. */
function num(id: string, what: string, check: (v: number) => boolean, allowed: string): number {
  const input = el<HTMLInputElement>(id);
  // A number input reports '' for text it cannot read as a number (1e309, "1e"), so '' means
  // empty or unreadable, never 0.
  if (input.value.trim() === '') throw new Error(`${what}: ${input.validity?.badInput ? 'not a finite number' : 'empty'}`);
  const v = Number(input.value);
  if (!Number.isFinite(v) || !check(v)) throw new Error(`${what}: "${input.value}" is not allowed (${allowed})`);
  return v;
}

/** The fields that apply in place from the next epoch on (no Reset, unless the last one failed). */
export type TrainingFields = Pick<Settings, 'batchSize' | 'epochsPerTick' | 'boundaryEvery'>;

/** The current training fields (throws an Error naming a bad one). */
export function readTrainingFields(): TrainingFields {
  // Safe integers only: 1e300 passed as a batch size and was shown back as "1e+300".
  const count = (v: number): boolean => Number.isSafeInteger(v) && v >= 1;
  const counts = `a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`;
  return {
    batchSize: num('batch', 'batch size', count, counts),
    epochsPerTick: num('ticks', 'epochs per tick', count, counts),
    boundaryEvery: num('boundary-every', 'boundary interval', count, counts),
  };
}

const readDataset = (): DatasetName => el<HTMLSelectElement>('dataset').value as DatasetName;
// The library's limit: a larger seed passed here and was refused by sequential() in its own words.
const readSeed = (): number => num('seed', 'seed', (v) => Number.isInteger(v) && v >= 0 && v <= MAX_SEED, `a whole number from 0 to ${MAX_SEED}`);

/** The dataset and seed fields alone (seed null when invalid), for showing a dataset while another field is bad. */
export function readDataChoice(): { dataset: DatasetName; seed: number | null } {
  let seed: number | null = null;
  try {
    seed = readSeed();
  } catch {
    // the caller keeps the seed in use
  }
  return { dataset: readDataset(), seed };
}

const VALIDATION_SPLIT = 'validation split (%)';

/**
 * Training rows of a `rows`-row dataset with `split` held out (the rest); an Error in the
 * field's usual form when a split > 0 rounds to no validation row (0.1 % of 200 rows showed
 * no validation without a word).
 */
export function trainRowCount(rows: number, split: number): number {
  if (split === 0) return rows;
  const train = Math.round(rows * (1 - split));
  if (train >= rows) {
    throw new Error(`${VALIDATION_SPLIT}: "${+(split * 100).toPrecision(12)}" holds out no row of the ${rows} (0 turns validation off)`);
  }
  return train;
}

/** The current settings (throws an Error naming a bad field). */
export function readSettings(): Settings {
  const activation = el<HTMLSelectElement>('activation').value as ActivationName;
  return {
    dataset: readDataset(),
    validationSplit: num('val-split', VALIDATION_SPLIT, (v) => v >= 0 && v <= 50, 'from 0 to 50') / 100,
    model: {
      hidden: parseHidden(el<HTMLInputElement>('hidden').value),
      activation,
      // α only exists for the sigmoid (its field is disabled otherwise).
      alpha: activation === 'sigmoid' ? num('alpha', 'α', (v) => v !== 0, 'any number but 0') : 1,
      learnAlpha: el<HTMLInputElement>('learn-alpha').checked,
      loss: el<HTMLSelectElement>('loss').value as LossChoice,
      optimizer: el<HTMLSelectElement>('optimizer').value === 'sgd' ? 'sgd' : 'adam',
      lr: num('lr', 'learning rate', (v) => v > 0, 'a number above 0'),
      seed: readSeed(),
    },
    ...readTrainingFields(),
  };
}

export interface Handlers {
  train(): void;
  pause(): void;
  step(): void;
  reset(): void;
  /** Batch size, epochs per tick or the boundary interval changed (applied in place; see the file comment). */
  trainingFields(): void;
  kernel(gamma: number, coef0: number): void;
}

/** γ exactly as set by setGamma (the slider rounds it) until the slider is moved. */
let exactGamma: number | null = null;

/** The γ and c₀ slider values (γ's slider is log10 γ). */
export function kernelSettings(): { gamma: number; coef0: number } {
  const gamma = exactGamma ?? 10 ** Number(el<HTMLInputElement>('gamma').value);
  return { gamma, coef0: Number(el<HTMLInputElement>('coef0').value) };
}

/** Sets the γ slider to `gamma` (e.g. 1/d for a new dataset). */
export function setGamma(gamma: number): void {
  el<HTMLInputElement>('gamma').value = String(Math.log10(gamma));
  exactGamma = gamma;
  showKernel();
}

function showKernel(): void {
  const { gamma, coef0 } = kernelSettings();
  el<HTMLOutputElement>('gamma-value').textContent = gamma.toPrecision(3);
  el<HTMLOutputElement>('coef0-value').textContent = coef0.toFixed(2);
}

export function wireControls(h: Handlers): void {
  el('train').addEventListener('click', () => h.train());
  el('pause').addEventListener('click', () => h.pause());
  el('step').addEventListener('click', () => h.step());
  el('reset').addEventListener('click', () => h.reset());
  for (const id of ['dataset', 'val-split', 'hidden', 'activation', 'alpha', 'learn-alpha', 'loss', 'optimizer', 'lr', 'seed']) {
    el(id).addEventListener('change', () => h.reset());
  }
  for (const id of ['batch', 'ticks', 'boundary-every']) el(id).addEventListener('change', () => h.trainingFields());
  // α only means something for the sigmoid.
  const activation = el<HTMLSelectElement>('activation');
  const sync = () => {
    const on = activation.value === 'sigmoid';
    el<HTMLInputElement>('alpha').disabled = !on;
    el<HTMLInputElement>('learn-alpha').disabled = !on;
  };
  activation.addEventListener('change', sync);
  sync();
  for (const id of ['gamma', 'coef0']) {
    el(id).addEventListener('input', () => {
      if (id === 'gamma') exactGamma = null;
      showKernel();
      const { gamma, coef0 } = kernelSettings();
      h.kernel(gamma, coef0);
    });
  }
  showKernel();
}

/**
 * Train and Step are off while training, once the model diverged (nothing but a Reset helps
 * it) and while there is no model (a Reset refused a setting: fixing it builds one); Pause
 * is on while training and while Steps run or wait.
 */
export function setButtons(b: { training: boolean; stepping: boolean; diverged: boolean; noModel: boolean }): void {
  el<HTMLButtonElement>('reset').disabled = false; // off in the page's HTML until the buttons are wired
  el<HTMLButtonElement>('train').disabled = b.training || b.diverged || b.noModel;
  el<HTMLButtonElement>('step').disabled = b.training || b.diverged || b.noModel;
  el<HTMLButtonElement>('pause').disabled = !b.training && !b.stepping;
}

/** A message under the buttons; null hides it. */
export function showMessage(text: string | null, kind: 'warning' | 'error' = 'warning'): void {
  const m = el<HTMLParagraphElement>('message');
  m.hidden = text === null;
  m.textContent = text ?? '';
  m.className = `message${kind === 'error' ? ' error' : ''}`;
}
