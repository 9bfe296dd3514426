// Timing of one benchmark case: run it once to warm up (compiles pipelines, fills pools),
// then repeat, and summarise as median and min–max. Only `run` is timed; it must resolve
// when its work is complete (engine.sync() waits until the GPU is done). `after` sees each
// run's result untimed (to check and free it). A case stops repeating once its timed runs
// have taken more than `budgetMs` (at least one timed run always happens).

export interface TimingOptions {
  repeats: number;
  budgetMs: number;
}

export interface Timing {
  /** Milliseconds of each timed run, in order. */
  samples: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** `i` is -1 for the warm-up, then 0, 1, ... */
export async function measure<T>(
  run: () => Promise<T>,
  after: (result: T, i: number) => Promise<void> | void,
  opts: TimingOptions,
): Promise<Timing> {
  await after(await run(), -1);
  const samples: number[] = [];
  let spent = 0;
  for (let i = 0; i < opts.repeats && (i === 0 || spent <= opts.budgetMs); i++) {
    const t0 = performance.now();
    const result = await run();
    const ms = performance.now() - t0;
    samples.push(ms);
    spent += ms;
    await after(result, i);
  }
  return summarise(samples);
}

export function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { samples, medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
}
