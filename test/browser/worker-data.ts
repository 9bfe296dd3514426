// What test/browser/worker.ts computes in its module Worker and what it posts back, shared
// with worker.test.ts, which rebuilds the same inputs from the seed for its float64 references.
import { Rng } from '../helpers/rng.js';

/** Sigmoid-kernel Gram K = tanh(γ·X·Yᵀ + c₀), X [n, d], Y [m, d] (awkward sizes). */
export const WORKER_GRAM = { n: 37, m: 29, d: 5, gamma: 0.3, coef0: 0.5 } as const;
/** rbf Nyström map at m = N (float32-exact: Z·Zᵀ = K). */
export const WORKER_NYSTROEM = { n: 40, d: 5, gamma: 0.5 } as const;
/** XOR, 2 → 4 sigmoid → 1 sigmoid, MSE, Adam, full batch. */
export const WORKER_XOR = {
  inputs: [[0, 0], [0, 1], [1, 0], [1, 1]],
  targets: [0, 1, 1, 0],
  hidden: 4,
  lr: 0.1,
  epochs: 200,
} as const;

export function workerInputs(seed: number): { gramX: Float32Array; gramY: Float32Array; nystroemX: Float32Array } {
  const r = new Rng(seed);
  const g = WORKER_GRAM;
  const n = WORKER_NYSTROEM;
  return { gramX: r.uniform(g.n * g.d), gramY: r.uniform(g.m * g.d), nystroemX: r.uniform(n.n * n.d, -1, 1) };
}

/** One backend's results as the worker posts them, or why it could not run. */
export type WorkerBackendResult = WorkerBackendRun | { backend: 'webgpu' | 'cpu'; error: string };

export interface WorkerBackendRun {
  backend: 'webgpu' | 'cpu';
  error: null;
  /** describeAdapter() of the WebGPU adapter; null on the CPU. */
  adapter: string | null;
  gram: number[];
  xorOutputs: number[];
  /** The first and the last epoch's loss. */
  xorLoss: [number, number];
  /** Z = the Nyström map of X, [n, zCols] row-major. */
  z: number[];
  zCols: number;
  /** Live tensors once everything was disposed (0 expected). */
  liveTensors: number;
}

/** The page's state (window.__worker) for worker.test.ts. */
export interface WorkerPageState {
  seed: number;
  results: WorkerBackendResult[];
  done: boolean;
  /** A worker that failed to load or threw outside a backend's run. */
  error: string | null;
}

export type WorkerMessage = { kind: 'result'; result: WorkerBackendResult } | { kind: 'done' } | { kind: 'error'; message: string };
