// Device-loss recovery for fit. The GPU device can be lost at any time (a driver reset, a
// watchdog, another app, device.destroy()). fit keeps a HOST COPY of the training state —
// every parameter and the optimizer's state (Adam's m and v, SGD's velocity, the step
// count) — taken at the end of every epoch, and on a loss it
//   1. calls engine.recover() (a new WebGPU device, or the CPU when none comes back or
//      when asked), which makes every old tensor dead;
//   2. re-uploads the parameters and the optimizer state from the host copy (the end of the
//      last completed epoch, or the start of fit) and the training data (from its host copy);
//   3. re-runs the interrupted epoch from its start, with the same shuffle,
// and records { epoch, kind: 'device-lost', message, recoveredOn } in history.events.
// Weights are never re-initialised and never NaN: they are exactly those at the end of the
// last completed epoch, so the re-run epoch gives the same losses an undisturbed run gives.
//
// Cost: no extra readback per epoch. The parameters and optimizer state are copied
// (axpyInto with a = 1 into zeroed slots, which is exact) into the epoch's stats vector,
// which fit reads once per epoch anyway; the read grows by (1 + state slots) × the
// parameter count floats (Adam: 3 × parameters; 4 bytes each), and so does the zeroed
// stats upload. One extra read at the start of fit takes the initial copy. A model whose
// copy would take over a quarter of the largest buffer is instead read tensor by tensor
// at the end of each epoch (one extra read per parameter and state tensor). The CPU
// backend cannot be lost, but keeps the same copy: it also undoes the steps of an epoch
// that fails part-way for another reason (an onBatchEnd that throws), so that a failed fit
// leaves the model at the end of its last completed epoch (restore()).

import type { Engine } from '../engine.js';
import { GPUOpError, SigmoidCoreError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { BackendKind, WebGPUDevice } from '../types.js';
import type { DeviceData } from './fit.js';
import type { Network } from './network.js';
import type { Optimizer } from './optimizers.js';
import { encodeSafetensors } from './safetensors.js';

/** What fit records in history.events when it recovered from a device loss. */
export interface TrainingEvent {
  /** The epoch (0-based) that was interrupted and re-run. */
  epoch: number;
  kind: 'device-lost';
  /** The device-loss error's message. */
  message: string;
  /** Where training went on. */
  recoveredOn: BackendKind;
}

/** fit's `recovery` option: false turns recovery off (a device loss then rejects fit). */
export type RecoveryOption = false | {
  /** When no new GPU device comes back, go on on the CPU (default true). */
  fallbackToCpu?: boolean;
  /** Force where training goes on after a loss ('cpu': straight to the CPU). */
  backend?: 'webgpu' | 'cpu';
  /** How many losses one fit survives (default 3). */
  maxRecoveries?: number;
  /** A GPUDevice to go on with (as engine.recover's `device`; needed when the engine was made on a given device). */
  device?: WebGPUDevice;
};

/** A GPUOpError from a failed recovery, carrying the last host copy of the parameters. */
export class RecoveryFailedError extends GPUOpError {
  override name = 'RecoveryFailedError';
  constructor(
    detail: string,
    /** The parameters by name at the end of the last completed epoch. */
    readonly hostParameters: ReadonlyMap<string, Float32Array>,
    /** The last completed epoch of that copy (−1: the start of fit). */
    readonly epoch: number,
    /** The same as a model file: `Sequential.fromSafetensors(otherEngine, err.safetensors)` moves the model on. */
    readonly safetensors: Uint8Array,
  ) {
    super('fit', 'device-lost', detail);
  }
}

/**
 * The error comes from a lost device: a 'device-lost' GPUOpError, or any library error once
 * the engine is lost. Not an error of the caller's own (an onBatchEnd that throws): that
 * must reach the caller even when the device happens to be lost.
 */
export function isDeviceLoss(engine: Engine, err: unknown): boolean {
  return (err instanceof GPUOpError && err.kind === 'device-lost') || (engine.lost && err instanceof SigmoidCoreError);
}

export class TrainingRecovery {
  readonly events: TrainingEvent[] = [];
  #params: Float32Array[] = [];
  #state: Float32Array[][] = [];
  #steps = 0;
  /** The epoch the host copy ends (−1: start of fit). */
  #epoch = -1;
  #recoveries = 0;

  constructor(
    readonly engine: Engine,
    readonly net: Network,
    readonly optimizer: Optimizer,
    readonly option: Exclude<RecoveryOption, false>,
    /** The __metadata__ of the model file a failed recovery hands over (as model.save() writes it). */
    readonly fileMetadata: Record<string, string>,
  ) {}

  /** Floats of the whole copy (parameters and optimizer state). */
  get #floats(): number {
    const perParam = 1 + this.optimizer.stateSlots.length;
    return this.net.params.reduce((s, p) => s + p.tensor.size * perParam, 0);
  }

  /**
   * Whether the copy rides in the epoch's stats vector: not when it would take more than
   * a quarter of the largest buffer (huge models), where take() reads each tensor instead.
   */
  get #folded(): boolean {
    const l = this.engine.limits;
    return this.#floats * 4 <= Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize) / 4;
  }

  /** Floats the copy takes in the stats vector (0 when it is too big to fold in). */
  get slots(): number {
    return this.#folded ? this.#floats : 0;
  }

  /** The initial copy (start of fit): one readback. */
  async capture(): Promise<void> {
    const n = this.slots;
    if (n === 0) {
      await this.take(new Float32Array(0), 0, -1);
      return;
    }
    const buf = this.engine.zeros([n]);
    try {
      this.append(buf, 0);
      await this.take(await buf.read(), 0, -1);
    } finally {
      buf.dispose();
    }
  }

  /**
   * Takes `other`'s host copy (a copy of the same model and optimizer, still the state now) as
   * this one's copy of the start of fit, so a loss before capture() has read its own can be recovered.
   */
  adopt(other: TrainingRecovery): void {
    this.#params = other.#params;
    this.#state = other.#state;
    this.#steps = other.#steps;
    this.#epoch = -1;
  }

  /** Records copies of the parameters and the optimizer state into acc[offset...] (device side). */
  append(acc: Tensor, offset: number): void {
    if (this.slots === 0) return;
    let o = offset;
    const state = this.optimizer.stateTensors();
    this.net.params.forEach((p, i) => {
      for (const t of [p.tensor, ...(state?.[i] ?? [])]) {
        this.engine.axpyInto(acc, t, 1, o);
        o += t.size;
      }
    });
  }

  /**
   * Takes the host copy from the read-back stats `values` (the end of `epoch`), or, when
   * the copy is too big to ride along (slots 0), by reading each tensor.
   */
  async take(values: Float32Array, offset: number, epoch: number): Promise<void> {
    const folded = this.slots > 0;
    let o = offset;
    const state = this.optimizer.stateTensors();
    const slots = this.optimizer.stateSlots.length;
    const params: Float32Array[] = [];
    const states: Float32Array[][] = [];
    for (const [i, p] of this.net.params.entries()) {
      const size = p.tensor.size;
      const next = async (t: Tensor | undefined): Promise<Float32Array> => {
        if (!folded) return t === undefined ? new Float32Array(size) : t.read();
        o += size;
        return values.slice(o - size, o);
      };
      params.push(await next(p.tensor));
      const s: Float32Array[] = [];
      for (let k = 0; k < slots; k++) s.push(await next(state?.[i]?.[k]));
      states.push(s);
    }
    this.#params = params;
    this.#state = states;
    this.#steps = this.optimizer.steps;
    this.#epoch = epoch;
  }

  /**
   * After a device loss in `epoch`: a new backend, the parameters and optimizer state of
   * the host copy re-uploaded, and the event recorded. Throws RecoveryFailedError when
   * no backend can be had or recovery was tried too often.
   */
  async recover(epoch: number, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const max = this.option.maxRecoveries ?? 3;
    if (this.#params.length === 0) throw err; // no host copy (e.g. lost before the first one)
    const failed = (why: string): RecoveryFailedError =>
      new RecoveryFailedError(
        `the GPU device was lost during epoch ${epoch} (${message}) and ${why}; ` +
          `the parameters at the end of epoch ${this.#epoch} are in error.hostParameters (and error.safetensors)`,
        new Map(this.net.params.map((p, i) => [p.name, this.#params[i]!])),
        this.#epoch,
        encodeSafetensors(
          this.net.params.map((p, i) => ({ name: p.name, shape: [...p.shape], data: this.#params[i]! })),
          this.fileMetadata,
        ),
      );
    if (this.#recoveries >= max) throw failed(`fit already recovered ${max} times (recovery.maxRecoveries)`);
    this.#recoveries++;
    let recoveredOn = this.engine.backend;
    // Not lost any more: another fit on this engine (or an onLost handler) has recovered it
    // already, and recovering again would kill the tensors that one has just re-uploaded.
    if (this.engine.lost) {
      try {
        recoveredOn = await this.engine.recover({
          fallbackToCpu: this.option.fallbackToCpu !== false, backend: this.option.backend,
          ...(this.option.device !== undefined ? { device: this.option.device } : {}),
        });
      } catch (e) {
        throw failed(`recovery failed (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    this.restore();
    this.events.push({ epoch, kind: 'device-lost', message, recoveredOn });
  }

  /**
   * The parameters and optimizer state of the host copy uploaded in place of the current
   * ones (after a recovery, or to undo the steps of an epoch that failed part-way).
   */
  restore(): void {
    const e = this.engine;
    // Everything is uploaded before anything is swapped: a failed upload leaves the model as it was.
    const made: Tensor[] = [];
    let params: Tensor[];
    let state: Tensor[][];
    try {
      const up = (host: Float32Array, shape: readonly number[]): Tensor => {
        const t = e.tensor(host, shape as [number] | [number, number]);
        made.push(t);
        return t;
      };
      params = this.net.params.map((p, i) => up(this.#params[i]!, p.shape));
      state = this.net.params.map((p, i) => this.#state[i]!.map((host) => up(host, p.shape)));
    } catch (err) {
      for (const t of made) t.dispose();
      throw err;
    }
    this.net.releaseCaches();
    this.net.params.forEach((p, i) => {
      p.tensor.dispose(); // after a device loss it is dead: this only forgets it
      p.tensor = params[i]!;
    });
    this.optimizer.importState(state, this.#steps);
  }
}

/**
 * fit's side of a recovery: the model state back from the host copy (rec.recover), then
 * the data uploaded again and the epoch's helper tensor remade. Rethrows `err` when the
 * data has no host copy to upload from.
 */
export async function recoverFit(
  rec: TrainingRecovery, epoch: number, err: unknown, data: DeviceData, remake: () => Tensor | null,
): Promise<{ data: DeviceData; half: Tensor | null }> {
  if (data.reupload === undefined) throw err;
  await rec.recover(epoch, err);
  return { data: data.reupload(), half: remake() };
}
