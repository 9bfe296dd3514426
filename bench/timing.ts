// Timing of one benchmark case: run it once to warm up (compiles pipelines, fills pools),
// then repeat (`repeats` times, more for a short case: `minMs`), and summarise as median and
// min–max. Only `run` is timed; it must resolve when its work is complete (engine.sync()
// waits until the GPU is done). `after` sees each run's result untimed (to check and free
// it). A case stops repeating once its timed runs have taken more than `budgetMs` (at least
// one timed run always happens): wantsAnotherRun(), which the peer benchmark's rounds
// (bench/case-turns.ts) follow too. measureChecked() is measure() with each output checked,
// for the Node runners. settle() waits for work that has run past its deadline to end before
// the caller starts the next, so no two cases overlap.

import type { CheckResult } from './cases.js';

export interface TimingOptions {
  repeats: number;
  budgetMs: number;
  /**
   * Short cases go on past `repeats` until their timed runs add up to this many ms (at most
   * `maxRepeats` runs): a median of 5 runs of a 150 ms step, taken in under a second, is at the
   * mercy of a busy second on a shared host.
   */
  minMs?: number;
  maxRepeats?: number;
  /** When the warm-up run alone takes longer, measure() throws a CaseSkipped (no timed runs). */
  warmupCapMs?: number;
}

/** TimingOptions with the peer benchmark's deadline per backend and case (bench/case-turns.ts). */
export type CaseTiming = TimingOptions & { caseDeadlineMs: number };

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
  for (let i = 0; wantsAnotherRun(i, spent, opts); i++) {
    const t0 = performance.now();
    const result = await run();
    const ms = performance.now() - t0;
    samples.push(ms);
    spent += ms;
    await after(result, i);
  }
  return summarise(samples);
}

/**
 * Whether a case that has taken `runs` timed runs adding up to `spentMs` takes another:
 * `repeats` of them, more while a short case is under `minMs` (up to `maxRepeats`), and none
 * past `budgetMs` but the first.
 */
export function wantsAnotherRun(runs: number, spentMs: number, opts: TimingOptions): boolean {
  const wanted = runs < opts.repeats || (spentMs < (opts.minMs ?? 0) && runs < (opts.maxRepeats ?? opts.repeats));
  return wanted && (runs === 0 || spentMs <= opts.budgetMs);
}

/** A failed check as a result's detail names it: "warm-up: …", "run 3: …" (`i` −1 for the warm-up, then 0, 1, …). */
export function failedRun(i: number, detail: string): string {
  return `${i < 0 ? 'warm-up' : `run ${i + 1}`}: ${detail}`;
}

/** How measureChecked() ended: timed with every output right, or failed on the first wrong one (`runs`: timed runs taken). */
export type Checked = { check: 'ok'; timing: Timing; detail: string } | { check: 'FAILED'; detail: string; runs: number };

/**
 * measure() with every output (the warm-up's too) checked untimed by `check`. The first failed
 * check, labelled with its run, fails the case and drops its times: they are not those of a
 * right answer (a CaseSkipped after a failed warm-up check is that failure too). Otherwise the
 * timing and the last check's detail.
 */
export async function measureChecked<T>(
  run: () => Promise<T>,
  check: (result: T, i: number) => Promise<CheckResult>,
  opts: TimingOptions,
): Promise<Checked> {
  let failure: string | null = null;
  let detail = '';
  let timing: Timing;
  try {
    timing = await measure(run, async (result, i) => {
      const c = await check(result, i);
      detail = c.detail;
      if (!c.ok && failure === null) failure = failedRun(i, c.detail);
    }, opts);
  } catch (err) {
    if (err instanceof CaseSkipped && failure !== null) return { check: 'FAILED', detail: failure, runs: 0 };
    throw err;
  }
  if (failure !== null) return { check: 'FAILED', detail: failure, runs: timing.samples.length };
  return { check: 'ok', timing, detail };
}

export function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { samples, medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
}

/** How a piece of work given to settle() ended, and when (ms since it started). */
export type Settled<T> =
  | { kind: 'fulfilled'; value: T; elapsedMs: number }
  | { kind: 'rejected'; error: unknown; elapsedMs: number }
  /** Still running `giveUpMs` after it started: given up on (it may never settle). */
  | { kind: 'pending'; elapsedMs: null };

/**
 * Waits for `work`, started at `t0` (performance.now()), to settle, past its deadline too:
 * what it runs must not overlap whatever the caller starts next. `onLate` is called once if
 * it is still running `deadlineMs` after t0 (to say so and that the caller waits); only work
 * still running `giveUpMs` after t0 (by default the deadline twice over) is given up on
 * ({ kind: 'pending' }). Whether it overran is `elapsedMs > deadlineMs` (a thread held by a
 * CPU kernel fires no timer, so the answer comes from the clock, not from `onLate`).
 */
export async function settle<T>(
  work: Promise<T>, t0: number, deadlineMs: number, onLate: () => void, giveUpMs = 2 * deadlineMs,
): Promise<Settled<T>> {
  const timers: ReturnType<typeof setTimeout>[] = [];
  const outcome = work.then(
    (value): Settled<T> => ({ kind: 'fulfilled', value, elapsedMs: performance.now() - t0 }),
    (error: unknown): Settled<T> => ({ kind: 'rejected', error, elapsedMs: performance.now() - t0 }),
  );
  const given = new Promise<Settled<T>>((resolve) => {
    timers.push(setTimeout(() => onLate(), Math.max(0, t0 + deadlineMs - performance.now())));
    timers.push(setTimeout(() => resolve({ kind: 'pending', elapsedMs: null }), Math.max(0, t0 + giveUpMs - performance.now())));
  });
  try {
    return await Promise.race([outcome, given]);
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

/** A duration in seconds as the deadline messages give it: 300 s, 12.3 s, 0.45 s. */
export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(s < 1 ? 2 : 1)} s`;
}
