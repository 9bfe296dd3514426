// A sum over the batches of a pass (fit's epoch, evaluate) kept on the device until the
// pass's one read: batch b's term goes to slot b mod count of the pass's stats vector, and
// the slots are added in float64 after the read. fit keeps its loss·rows and each dense
// layer's ‖∂L/∂W‖² this way, evaluate its loss·rows. One float32 sum that every batch added to
// drifted by about 1e-6 relative over 1000 batches (30,000 rows through 784-256-256-10 in
// evaluate's 29-row batches: 8e-7, in 8-row ones 1.6e-6; a fit epoch of 5003 one-row steps
// through 5-7-3, 1.0e-6); with a slot per batch, 3e-9, 2e-10 and 1e-9 (test/nn/training.test.ts).

import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';

/** The most slots one sum takes (16 KiB of float32): later batches share them, in turn. */
export const BATCH_SLOTS = 4096;

/** Where a pass of `batches` batches keeps one sum: slots offset..end−1 of its stats vector. */
export class BatchSums {
  readonly count: number;

  constructor(readonly offset: number, batches: number) {
    this.count = Math.min(batches, BATCH_SLOTS);
  }

  /** One past its last slot: where the next sum of the stats vector may start. */
  get end(): number {
    return this.offset + this.count;
  }

  /** Records stats[slot of batch `b`] += scale · term (a [1] tensor). */
  add(e: Engine, stats: Tensor, term: Tensor, scale: number, b: number): void {
    e.axpyInto(stats, term, scale, this.offset + (b % this.count));
  }

  /** The sum from the read stats vector, added in float64. */
  sum(values: Float32Array): number {
    let total = 0;
    for (let i = this.offset; i < this.end; i++) total += values[i]!;
    return total;
  }
}
