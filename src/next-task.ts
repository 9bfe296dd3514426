// Yielding to the event loop from long synchronous work (fit, Sequential.evaluate and
// predict, SVC.fit, gramTiles and the row-block transforms on the CPU backend, whose ops and
// reads complete without ever leaving the microtask queue): timers, I/O and, in a page, input
// and rendering get to run, so a Stop button or a time budget can act.

/**
 * Resolves on a later task: setImmediate (Node), else a MessageChannel message (browsers) —
 * not setTimeout, which a background tab throttles to once a second or slower, and not
 * scheduler.yield(), whose continuation runs ahead of every task already queued: Chromium
 * then ran no timer, message or fetch callback until the fit ended (a stop flag set by a
 * setTimeout was never seen).
 */
export function nextTask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((done) => setImmediate(done));
  if (typeof MessageChannel === 'function') {
    return new Promise((done) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        done();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((done) => setTimeout(done, 0));
}

/** How long work may run between two yields: the "long task" bound of browsers. */
const YIELD_EVERY_MS = 50;

/** A yielder for one loop: `await maybeYield()` yields once YIELD_EVERY_MS have passed since the last yield. */
export function yielder(): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < YIELD_EVERY_MS) return undefined;
    return nextTask().then(() => {
      last = performance.now();
    });
  };
}

/**
 * On the CPU backend, where a gram tile, a row block or a batch of predict() or evaluate() runs
 * without leaving the microtask queue and yields can only come between them: the
 * multiply-adds one of them may cost, about 10–20 ms (the GPU-sized defaults ran for seconds
 * with no yield). See cpuGramEntryCost.
 */
export const CPU_WORK_PER_YIELD = 8e6;

/** The CPU cost of one kernel entry over d features, in multiply-adds: the kernel function and copying it cost about 16 more. */
export function cpuGramEntryCost(d: number): number {
  return d + 16;
}
