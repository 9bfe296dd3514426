// A bound on how far fit's recording may run ahead of the GPU. fit submits each training
// step and goes on without waiting, so on a slow GPU (SwiftShader: digits with batch 1 and
// two 1024-unit layers records an epoch in 8 s that the GPU then runs for 3 minutes) the page
// queued a whole epoch, and Pause, which acts between steps, waited for all of it. Called
// after each step (fit's onBatchEnd), add() fences the work submitted so far, at most once
// every `everyMs` (a fence per step slowed small steps down), and waits while more than `max`
// fences are pending: the GPU keeps work queued, and the backlog stays short.

export class QueuedSteps {
  readonly #fences: Promise<void>[] = [];
  #last = -Infinity;

  /** `fence` resolves once the work submitted so far has run (engine.sync). */
  constructor(
    readonly fence: () => Promise<void>,
    readonly max: number,
    readonly everyMs: number,
    readonly now: () => number = () => performance.now(),
  ) {}

  /** After a step: a fence when `everyMs` have passed since the last; resolves once no more than `max` are pending. */
  async add(): Promise<void> {
    if (this.now() - this.#last < this.everyMs) return;
    this.#last = this.now();
    const f = this.fence();
    // Awaited here or by settle(); meanwhile a rejection (a GPU error) must not be unhandled.
    f.catch(() => undefined);
    this.#fences.push(f);
    while (this.#fences.length > this.max) {
      try {
        await this.#fences.shift();
      } catch (err) {
        // The others fence the same failed (or lost) device: after fit recovers onto a new one
        // they would fail its steps again.
        this.#fences.length = 0;
        throw err;
      }
    }
  }

  /** Waits for every fence (rejects with the first that failed: engine.sync reports a GPU error once, to one caller). */
  async settle(): Promise<void> {
    await Promise.all(this.#fences.splice(0));
  }
}
