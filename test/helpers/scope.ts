// Tensors made by one test, disposed together when it ends (pass or fail). No vitest
// import: used by the op cases that also run in a browser page.

import type { Engine, Tensor } from '../../src/index.js';

export class Scope {
  readonly #tensors: Tensor[] = [];
  constructor(readonly engine: Engine) {}

  /** A tensor from data (kept for disposal). */
  t(data: Float32Array | readonly number[] | readonly (readonly number[])[], shape?: readonly number[]): Tensor {
    return this.keep(this.engine.tensor(data, shape));
  }

  /** Keeps an op's output for disposal and returns it. */
  keep<T extends Tensor>(t: T): T {
    this.#tensors.push(t);
    return t;
  }

  dispose(): void {
    for (const t of this.#tensors) t.dispose();
    this.#tensors.length = 0;
  }
}

/** Runs fn with a fresh scope and disposes everything it kept, whatever happens. */
export async function scoped<T>(engine: Engine, fn: (s: Scope) => Promise<T>): Promise<T> {
  const s = new Scope(engine);
  try {
    return await fn(s);
  } finally {
    s.dispose();
  }
}
