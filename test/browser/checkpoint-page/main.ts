// Checkpoint / resume through the browser stores ('opfs:name', 'idb:name'), in the page:
// for the CPU engine (and WebGPU when there is an adapter) a model trains 4 epochs
// uninterrupted; a second model trains 2 epochs writing a checkpoint after each; a third
// model (another init seed) resumes from the store for epochs 2..3. Its epoch losses, step
// losses and final weights must be the uninterrupted run's. Also: a second write to a
// store replaces the first and is loadable, and a missing or corrupted entry is reported.
// And one check of fit in a page: a CPU fit lets the page's timers run. With ?probe the page
// only records what the library says about WebGPU and OPFS on its origin (for one opened at
// http://0.0.0.0, which is not a secure context).
// Results go to window.__ckpt for test/browser/checkpoint-page.test.ts.
import {
  adam, type Checkpoint, CheckpointStoreError, checkpointStore, createEngine, dense, type Engine, parseCheckpoint, type Sequential, sequential, sigmoid,
} from '../../../src/index.js';
import { describeError } from '../../../tools/describe-error.js';

export interface CkptResult {
  store: string;
  backend: string;
  uninterruptedLosses: number[];
  resumedLosses: number[];
  uninterruptedStepLosses: number[];
  resumedStepLosses: number[];
  /** Largest relative difference of the final weights (|a−b| / max(|b|, 1e-3)). */
  weightsMaxRelDiff: number;
  weightsEqual: boolean;
  /** The epochs the resumed run reported (expected [2, 3]). */
  resumedEpochs: number[];
  ok: boolean;
  error: string | null;
}

export interface CkptCase {
  name: string;
  ok: boolean;
  detail: string;
}

/** ?probe: what the library says about WebGPU and OPFS on this origin (nothing else runs). */
export interface CkptProbe {
  secureContext: boolean;
  hasNavigatorGpu: boolean;
  /** createEngine({ backend: 'webgpu' })'s error, or 'ok'. */
  webgpu: string;
  /** checkpointStore('opfs:probe').read()'s error. */
  opfs: string;
}

export interface CkptState {
  probe?: CkptProbe;
  results: CkptResult[];
  cases: CkptCase[];
  /** Backends that ran; 'webgpu' is absent when no engine could be made (reason in skipped). */
  backends: string[];
  skipped: Record<string, string>;
  done: boolean;
  error: string | null;
  ms: number;
}

declare global {
  interface Window {
    __ckpt?: CkptState;
  }
}

const state: CkptState = { results: [], cases: [], backends: [], skipped: {}, done: false, error: null, ms: 0 };
window.__ckpt = state;
const statusEl = document.getElementById('status')!;
const outEl = document.getElementById('out')!;

const RTOL = { cpu: 1e-5, webgpu: 1e-4 } as const;

// 64 rows of 4 features in 3 classes (a small LCG, so every run sees the same data).
function makeData(): { x: number[][]; labels: Int32Array } {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const x: number[][] = [];
  const labels = new Int32Array(64);
  for (let i = 0; i < 64; i++) {
    const c = i % 3;
    labels[i] = c;
    x.push([0, 1, 2, 3].map((j) => (j === c ? 1.5 : 0) + (rnd() - 0.5) * 1.2));
  }
  return { x, labels };
}
const DATA = makeData();
const FIT = { batchSize: 16, seed: 5, recordStepLosses: true } as const;

function model(e: Engine, seed: number): Sequential {
  const m = sequential(e, [dense(4, 8), sigmoid(), dense(8, 3)], { seed });
  m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.05 }) });
  return m;
}

async function weightsOf(m: Sequential): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of m.parameters()) out.set(p.name, await p.tensor.read());
  return out;
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-3));
  return worst;
}

async function uninterrupted(e: Engine): Promise<{ losses: number[]; steps: number[]; w: Map<string, Float32Array> }> {
  const m = model(e, 1);
  try {
    const h = await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 4 });
    return { losses: h.loss, steps: h.stepLosses!, w: await weightsOf(m) };
  } finally {
    m.dispose();
  }
}

async function resumeCase(e: Engine, backend: 'cpu' | 'webgpu', store: string, full: Awaited<ReturnType<typeof uninterrupted>>): Promise<CkptResult> {
  const r: CkptResult = {
    store, backend, uninterruptedLosses: full.losses, resumedLosses: [], uninterruptedStepLosses: full.steps, resumedStepLosses: [],
    weightsMaxRelDiff: Infinity, weightsEqual: false, resumedEpochs: [], ok: false, error: null,
  };
  try {
    const a = model(e, 1);
    try {
      await a.fit(DATA.x, DATA.labels, { ...FIT, epochs: 2, checkpoint: { every: 1, to: store } });
    } finally {
      a.dispose();
    }
    // Another init seed: everything must come from the checkpoint.
    const b = model(e, 99);
    try {
      const h = await b.fit(DATA.x, DATA.labels, { epochs: 4, recordStepLosses: true, resumeFrom: store });
      r.resumedLosses = h.loss;
      r.resumedStepLosses = h.stepLosses ?? [];
      r.resumedEpochs = h.epochs.map((l) => l.epoch);
      const w = await weightsOf(b);
      r.weightsMaxRelDiff = Math.max(...[...full.w].map(([name, v]) => (w.has(name) ? maxRel(w.get(name)!, v) : Infinity)));
    } finally {
      b.dispose();
    }
    const tol = RTOL[backend];
    r.weightsEqual = r.weightsMaxRelDiff <= tol;
    r.ok = r.weightsEqual && maxRel(r.resumedLosses, full.losses.slice(2)) <= tol && maxRel(r.resumedStepLosses, full.steps.slice(8)) <= tol &&
      r.resumedEpochs.join() === '2,3';
  } catch (err) {
    r.error = describeError(err);
  }
  return r;
}

async function check(name: string, fn: () => Promise<string>): Promise<void> {
  try {
    state.cases.push({ name, ok: true, detail: await fn() });
  } catch (err) {
    state.cases.push({ name, ok: false, detail: describeError(err) });
  }
}

function assert(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

/** Store semantics on the CPU engine: overwrite, missing and corrupted entries, no temp files left. */
async function storeCases(e: Engine): Promise<void> {
  for (const kind of ['opfs', 'idb'] as const) {
    await check(`${kind}: a second write replaces the first`, async () => {
      const s = checkpointStore(`${kind}:raw`);
      await s.write(new Uint8Array([1, 2, 3, 4, 5]));
      // A view into a larger buffer: only these bytes may be stored.
      const big = new Uint8Array([9, 9, 7, 8, 9, 9]);
      await s.write(big.subarray(2, 4));
      const back = Array.from(await s.read());
      assert(back.join() === '7,8', `read back [${back.join()}], expected [7,8]`);
      return `read back [${back.join()}]`;
    });
    await check(`${kind}: a second checkpoint run wins and is loadable`, async () => {
      const to = `${kind}:ck-over`;
      for (const epochs of [1, 3]) {
        const m = model(e, 1);
        try {
          await m.fit(DATA.x, DATA.labels, { ...FIT, epochs, checkpoint: { to } });
        } finally {
          m.dispose();
        }
      }
      const ck: Checkpoint = parseCheckpoint(await checkpointStore(to).read());
      assert(ck.epochsCompleted === 3, `epochs_completed ${ck.epochsCompleted}, expected 3`);
      const m = model(e, 7);
      try {
        const h = await m.fit(DATA.x, DATA.labels, { epochs: 4, resumeFrom: to });
        assert(h.epochs.map((l) => l.epoch).join() === '3', `resumed epochs [${h.epochs.map((l) => l.epoch).join()}], expected [3]`);
      } finally {
        m.dispose();
      }
      return 'epochs_completed 3; resumed epoch 3';
    });
    await check(`${kind}: resumeFrom a missing entry`, async () => {
      const m = model(e, 1);
      try {
        await m.fit(DATA.x, DATA.labels, { epochs: 2, resumeFrom: `${kind}:missing` });
      } catch (err) {
        return describeError(err) + (err instanceof CheckpointStoreError ? ' [instanceof CheckpointStoreError]' : '');
      } finally {
        m.dispose();
      }
      throw new Error('no error');
    });
    await check(`${kind}: resumeFrom a corrupted entry`, async () => {
      await checkpointStore(`${kind}:corrupt`).write(new Uint8Array([200, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      const m = model(e, 1);
      try {
        await m.fit(DATA.x, DATA.labels, { epochs: 2, resumeFrom: `${kind}:corrupt` });
      } catch (err) {
        return describeError(err);
      } finally {
        m.dispose();
      }
      throw new Error('no error');
    });
  }
  await check('opfs: no temp files are left', async () => {
    const names: string[] = [];
    const dir = (await navigator.storage.getDirectory()) as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };
    for await (const n of dir.keys()) names.push(n);
    names.sort();
    assert(!names.some((n) => n.endsWith('.tmp')), `entries: ${names.join(', ')}`);
    // Which OPFS write path ran: temp file + move() where move exists, else createWritable.
    const move = typeof (globalThis as { FileSystemFileHandle?: { prototype: { move?: unknown } } }).FileSystemFileHandle?.prototype.move === 'function';
    return `${names.join(', ')} (FileSystemFileHandle.move ${move ? 'exists' : 'is missing'})`;
  });
}

/**
 * fit and the page's event loop (CPU engine, whose ops never wait): a stop flag set by a
 * setTimeout must be seen within a few epochs, and an interval must tick, as in Node
 * (test/nn/training.test.ts). The fit also stops itself after 2 s, so a fit that starves
 * the timers fails here instead of running on.
 */
async function eventLoopCase(e: Engine): Promise<void> {
  await check('cpu: fit lets timers run (a stop flag set by setTimeout is seen)', async () => {
    const m = model(e, 1);
    let stop = false;
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    setTimeout(() => (stop = true), 50);
    const t0 = performance.now();
    let gaveUp = false;
    try {
      const h = await m.fit(DATA.x, DATA.labels, {
        epochs: 1_000_000, batchSize: 4,
        onEpochEnd: () => {
          if (stop) return false;
          gaveUp = performance.now() - t0 > 2000;
          return !gaveUp;
        },
      });
      const detail = `${h.epochs.length} epochs in ${Math.round(performance.now() - t0)} ms, ${ticks} interval ticks`;
      assert(!gaveUp && ticks > 0, `the timers never ran during fit: ${detail}`);
      return detail;
    } finally {
      clearInterval(interval);
      m.dispose();
    }
  });
}

/** Starts from an empty OPFS and no 'sigmoid-core' database (for reruns in a normal browser). */
async function clearStores(): Promise<void> {
  const dir = (await navigator.storage.getDirectory()) as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };
  const names: string[] = [];
  for await (const n of dir.keys()) names.push(n);
  for (const n of names) await dir.removeEntry(n);
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase('sigmoid-core');
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
  });
}

async function probe(): Promise<CkptProbe> {
  const p: CkptProbe = { secureContext: isSecureContext, hasNavigatorGpu: 'gpu' in navigator, webgpu: 'ok', opfs: 'no error' };
  try {
    (await createEngine({ backend: 'webgpu', log: null })).destroy();
  } catch (err) {
    p.webgpu = describeError(err);
  }
  try {
    await checkpointStore('opfs:probe').read();
  } catch (err) {
    p.opfs = describeError(err);
  }
  return p;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  if (new URLSearchParams(location.search).has('probe')) {
    state.probe = await probe();
    return;
  }
  await clearStores();
  for (const backend of ['cpu', 'webgpu'] as const) {
    let e: Engine;
    try {
      e = await createEngine({ backend, log: null });
    } catch (err) {
      state.skipped[backend] = describeError(err);
      continue;
    }
    state.backends.push(backend);
    try {
      statusEl.textContent = `${backend}: training…`;
      const full = await uninterrupted(e);
      for (const kind of ['opfs', 'idb']) state.results.push(await resumeCase(e, backend, `${kind}:ck-test`, full));
      if (backend === 'cpu') {
        await storeCases(e);
        await eventLoopCase(e);
      }
    } finally {
      e.destroy();
    }
  }
  state.ms = performance.now() - t0;
}

main()
  .catch((err) => {
    state.error = describeError(err);
  })
  .finally(() => {
    state.done = true;
    const bad = state.results.filter((r) => !r.ok).length + state.cases.filter((c) => !c.ok).length;
    statusEl.textContent = state.error ?? `done in ${Math.round(state.ms)} ms: ${bad} failed`;
    outEl.textContent = JSON.stringify(state, null, 2);
  });
