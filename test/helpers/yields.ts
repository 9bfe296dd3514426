// Whether long work yields to the event loop (src/next-task.ts), independent of this
// machine's speed: performance.now is stubbed to advance 60 ms a call, past the yielder's
// 50 ms, so every yield point yields.

import { expect, vi } from 'vitest';

/** Runs `run` with performance.now advancing 60 ms a call: each yield point of the run yields. */
export async function withYieldingClock<T>(run: () => Promise<T>): Promise<T> {
  let now = performance.now();
  const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 60));
  try {
    return await run();
  } finally {
    clock.mockRestore();
  }
}

/**
 * Runs `run` under withYieldingClock and expects at least `turns` event-loop turns during it,
 * counted by a self-rearming setImmediate: none when the run never leaves the microtask queue
 * (the CPU backend's ops and reads never do), one per yield otherwise.
 */
export async function expectYields(run: () => Promise<unknown>, turns = 1): Promise<void> {
  let seen = 0;
  let running = true;
  const turn = (): void => {
    if (!running) return;
    seen++;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    await withYieldingClock(run);
  } finally {
    running = false;
  }
  expect(seen, `event-loop turns during the run (at least ${turns} expected)`).toBeGreaterThanOrEqual(turns);
}
