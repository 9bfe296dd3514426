// Timing of one benchmark case: run it once to warm up (compiles pipelines, fills pools),
// then repeat, and summarise as median and min–max. Only `run` is timed; it must resolve
// when its work is complete (engine.sync() waits until the GPU is done). `after` sees each
// run's result untimed (to check and free it). A case stops repeating once its timed runs
// have taken more than `budgetMs` (at least one timed run always happens).

export interface TimingOptions {
  repeats: number;
  budgetMs: number;
  /** When the warm-up run alone takes longer, measure() throws a CaseSkipped (no timed runs). */
  warmupCapMs?: number;
}

/** Thrown by measure() when the warm-up exceeded `warmupCapMs`: the case would take too long. */
export class CaseSkipped extends Error {
  constructor(readonly warmupMs: number, readonly capMs: number) {
    super(`skipped: the warm-up took ${(warmupMs / 1000).toFixed(1)} s (cap ${(capMs / 1000).toFixed(0)} s)`);
    this.name = 'CaseSkipped';
  }
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
  const w0 = performance.now();
  const warm = await run();
  const warmupMs = performance.now() - w0;
  await after(warm, -1);
  if (opts.warmupCapMs !== undefined && warmupMs > opts.warmupCapMs) throw new CaseSkipped(warmupMs, opts.warmupCapMs);
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

/** p, or a rejection after ms (a case whose promise never settles must not stall the run). */
export function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${(ms / 1000).toFixed(0)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
