// The interface every backend of the browser benchmark implements (one file per library:
// sigmoid-core.ts, tfjs.ts, jax.ts). The run calls init() once per backend (a throw means
// "unavailable: reason"), all before the first case; then per workload prepare(data) on each
// backend, and their runs in turn, one per backend a round ([run() → read(out) → free(out)]…,
// bench/case-turns.ts) → dispose(); and destroy() at the end. Several backends of one library
// are started at once, so the run calls enter() before each prepare and each run: it makes
// the backend its library's current one (TF.js's setBackend, jax-js's defaultDevice).
import type { CaseData } from '../cases.js';

export interface PeerInfo {
  /** Library and version, e.g. "@tensorflow/tfjs-core 4.22.0". */
  library: string;
  /** What the backend runs on, e.g. the WebGPU adapter, "WebAssembly (SIMD, 1 thread)". */
  device: string;
  /** Anything else worth recording (adapter info, flags). */
  details?: Record<string, unknown>;
}

export interface PeerCase {
  /**
   * Records the workload and waits until it has really finished (not only been queued):
   * each adapter documents how it synchronises. Timed. Returns the output handle.
   */
  run(): Promise<unknown>;
  /** The output of a run as float32 on the host (untimed; for the float64 check). */
  read(out: unknown): Promise<Float32Array>;
  /** Frees the output of a run. */
  free(out: unknown): void;
  /** Frees the inputs (and, for the MLP, the model). */
  dispose(): void;
}

export interface Peer {
  /** Column/row name, e.g. "sigmoid-core-webgpu", "tfjs-wasm", "jax-webgpu". */
  id: string;
  init(): Promise<PeerInfo>;
  /** Makes this backend its library's current one (untimed; a no-op when it already is). */
  enter(): Promise<void>;
  prepare(data: CaseData): Promise<PeerCase>;
  destroy(): Promise<void>;
}
