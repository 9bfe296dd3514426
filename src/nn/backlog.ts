// How far fit's recording may run ahead of the GPU. fit submits each training step and goes
// on without waiting (no readback inside an epoch), so on a slow GPU the recording ran far
// ahead of it: on SwiftShader (digits, batch 1, two 1024-unit layers) an epoch was recorded in
// 8 s that the GPU then ran for 3 minutes, and a stop from onBatchEnd, or a read issued
// meanwhile (predict, save, a playground's Pause), waited behind all of it.
//
// After each submitted step, StepBacklog.add() may fence the work submitted so far
// (engine.sync: a wait for the queue, no readback), and waits while more than
// MAX_PENDING_FENCES (2) fences are pending, i.e. for the fence made two intervals ago: the
// work of the two newest intervals stays queued, so the GPU has at least an interval of work
// in hand while the recorder records the next, and never idles waiting for it.
//
// An interval should hold about INTERVAL_MS of GPU work. Recording time does not say how much
// that is (lavapipe, digits through two 512-unit layers in batches of 8: a step is recorded in
// 2 ms and runs for 10), so the GPU's time per step is measured: when the recorder waits for
// two fences in a row, the GPU ran the second one's steps between the two resolutions (they
// were queued before the first resolved). A fence comes after INTERVAL_MS of that estimated GPU
// work, or after INTERVAL_MS of recording (waits not counted), whichever is first. A GPU that
// keeps up has finished the oldest fence's work when the third is made, so the wait costs it
// nothing, and its samples come out at about the recording time per step: fences stay at most
// 50 a second. A stop (or a read) then waits for about two intervals of queued work.
//
// A fence is a queue wait (onSubmittedWorkDone) and the error-scope checks of the ops before
// it: no submission and no readback. A GPU error it takes is reported by no later read, so
// every fence is awaited, by add() or by settle() at the epoch's end.

/** The work an interval should hold, in milliseconds (of recording, or of the GPU's estimated time). */
export const INTERVAL_MS = 20;

/** Fences that may be pending before add() waits for the oldest. */
export const MAX_PENDING_FENCES = 2;

interface Fence {
  done: Promise<void>;
  /** The steps submitted when it was made. */
  steps: number;
  /** When it was seen to resolve. */
  at?: number;
}

export class StepBacklog {
  readonly #fences: Fence[] = [];
  #steps = 0;
  /** When the newest fence was made (moved on by the time waits took) and the steps then. */
  #lastAt = -Infinity;
  #lastSteps = 0;
  /** The fence add() last waited for, while the next pending one is the one after it (settle() and drop() clear it). */
  #waited: Fence | null = null;
  /** Estimated GPU milliseconds per step (0: not measured yet). */
  #stepMs = 0;

  /** `fence` resolves once the work submitted so far has run (engine.sync), or rejects with its GPU error or the loss. */
  constructor(
    readonly fence: () => Promise<void>,
    readonly maxPending = MAX_PENDING_FENCES,
    readonly intervalMs = INTERVAL_MS,
    readonly now: () => number = () => performance.now(),
  ) {}

  /** Fences made and not yet waited for (some may have resolved meanwhile). */
  get pending(): number {
    return this.#fences.length;
  }

  /** The estimated GPU time of a step in milliseconds (0 until two fences in a row were waited for). */
  get stepMs(): number {
    return this.#stepMs;
  }

  /**
   * After each submitted step: a fence when an interval's work was submitted since the last; a
   * promise to await while more than `maxPending` are pending (it rejects with a fence's
   * error), else undefined (nothing to wait for: no microtask hop per step).
   */
  add(): Promise<void> | undefined {
    this.#steps++;
    const t = this.now();
    const gpuMs = (this.#steps - this.#lastSteps) * this.#stepMs;
    if (t - this.#lastAt < this.intervalMs && gpuMs < this.intervalMs) return undefined;
    this.#lastAt = t;
    this.#lastSteps = this.#steps;
    const f: Fence = { done: this.fence(), steps: this.#steps };
    // Awaited by #next; until then a rejection (a GPU error, the loss) must not be unhandled.
    f.done.then(() => (f.at = this.now()), () => undefined);
    this.#fences.push(f);
    return this.#fences.length > this.maxPending ? this.#wait() : undefined;
  }

  /**
   * Waits for every pending fence; rejects with the first that failed (engine.sync reports a
   * GPU error once, to one caller: the error a fence took is reported nowhere else).
   */
  async settle(): Promise<void> {
    while (this.#fences.length > 0) await this.#next();
    this.#waited = null;
  }

  /** Forgets the pending fences (their rejections are handled): after a failed step, before a retry. */
  drop(): void {
    this.#fences.length = 0;
    this.#waited = null;
  }

  async #wait(): Promise<void> {
    const start = this.now();
    while (this.#fences.length > this.maxPending) {
      const f = await this.#next();
      // Waited for right after the previous fence: its steps were queued when that one resolved
      // (it was pending then), so the GPU ran them between the two resolutions.
      const prev = this.#waited;
      if (prev !== null && f.at !== undefined && prev.at !== undefined && f.at > prev.at) {
        const sample = (f.at - prev.at) / (f.steps - prev.steps);
        this.#stepMs = this.#stepMs === 0 ? sample : (this.#stepMs + sample) / 2;
      }
      this.#waited = f;
    }
    this.#lastAt += this.now() - start; // recording time: the wait does not count
  }

  async #next(): Promise<Fence> {
    const f = this.#fences.shift()!;
    try {
      await f.done;
    } catch (err) {
      // The others fence the same failed (or lost) device: fit fails, or recovers onto a new one.
      this.drop();
      throw err;
    }
    return f;
  }
}
