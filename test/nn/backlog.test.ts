// How far fit's recording may run ahead of the GPU (src/nn/backlog.ts). StepBacklog on its own,
// with fences settled by hand and a clock moved by hand; then fit on WebGPU with engine.sync
// stubbed by fences the test releases (a GPU as slow as the test says, whatever this machine's
// speed): fit records no further step while more than two fences are pending, a stop from
// onBatchEnd leaves at most two fences' work queued, and a fence's GPU error or device loss
// goes where the epoch's read would have sent it (fit's rejection, or its recovery).

import { describe, expect, it } from 'vitest';
import { createEngine, type Engine, GPUOpError, type Sequential } from '../../src/index.js';
import { INTERVAL_MS, MAX_PENDING_FENCES, StepBacklog } from '../../src/nn/backlog.js';
import { adam, dense, sequential, sigmoid } from '../../src/nn/index.js';
import { useEngines } from '../helpers/engines.js';
import { poolTestHooks } from '../../src/webgpu/buffers.js';
import { blobs } from './data-helpers.js';

/** Lets the pending microtasks run (ten turns of the microtask queue). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Whether `p` has settled after the pending microtasks ran. */
async function settledYet(p: Promise<unknown> | undefined): Promise<boolean> {
  if (p === undefined) return true;
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await flush();
  return done;
}

describe('StepBacklog', () => {
  /** A fence per call, settled by hand, and a clock moved by hand. */
  function rig(maxPending: number, intervalMs: number) {
    const fences: { resolve: () => void; reject: (err: Error) => void }[] = [];
    let now = 0;
    const q = new StepBacklog(() => new Promise<void>((resolve, reject) => fences.push({ resolve, reject })), maxPending, intervalMs, () => now);
    return { q, fences, tick: (ms: number) => (now += ms), time: () => now };
  }

  it('fences once an interval of recording has passed, and waits while more than maxPending fences are pending', async () => {
    expect([INTERVAL_MS, MAX_PENDING_FENCES]).toEqual([20, 2]);
    const { q, fences, tick } = rig(2, 20);
    for (let step = 0; step < 5; step++) {
      expect(await settledYet(q.add())).toBe(true);
      tick(5);
    }
    expect(fences).toHaveLength(2); // steps at 0, 5, 10, 15, 20 ms: fences at 0 and 20
    tick(20);
    const third = q.add();
    expect(fences).toHaveLength(3);
    expect(await settledYet(third)).toBe(false); // three pending: the step waits for the oldest
    tick(100); // the wait: not recording time
    fences[0]!.resolve();
    expect(await settledYet(third)).toBe(true);
    expect(q.pending).toBe(2);
    tick(5);
    expect(q.add()).toBeUndefined(); // 5 ms of recording since the third fence, not 105
    expect(fences).toHaveLength(3);
    const rest = q.settle();
    fences[1]!.resolve();
    expect(await settledYet(rest)).toBe(false);
    fences[2]!.resolve();
    await rest;
    expect(q.pending).toBe(0);
  });

  it("measures the GPU's time per step from fences waited for in a row, then fences every interval of GPU work", async () => {
    // A simulated GPU that runs a step in 10 ms; the recorder submits one every 1 ms: an
    // interval of 20 ms of recording is 200 ms of GPU work.
    const { q, fences, tick, time } = rig(2, 20);
    const finish: number[] = []; // when the GPU finishes each step
    const fenceSteps: number[] = []; // steps submitted when each fence was made
    let released = 0;
    const releaseUpTo = async (t: number): Promise<void> => {
      while (released < fenceSteps.length && finish[fenceSteps[released]! - 1]! <= t) {
        tick(Math.max(0, finish[fenceSteps[released]! - 1]! - time()));
        fences[released++]!.resolve();
        await flush(); // seen at the time it resolved
      }
    };
    for (let step = 1; fences.length < 12; step++) {
      tick(1);
      finish.push(Math.max(finish.at(-1) ?? 0, time()) + 10);
      await releaseUpTo(time());
      const made = fences.length;
      const p = q.add();
      if (fences.length > made) fenceSteps.push(step);
      if (p !== undefined) {
        let done = false;
        void p.then(() => (done = true));
        while (!done) {
          await releaseUpTo(finish[fenceSteps[released]! - 1]!); // the GPU runs on to the oldest fence
          await flush();
        }
      }
    }
    expect(q.stepMs).toBeCloseTo(10, 9);
    const gaps = fenceSteps.slice(1).map((s, i) => s - fenceSteps[i]!);
    // 20 steps (20 ms of recording) apart until two fences in a row were waited for, then 2
    // (20 ms of the GPU's time).
    expect(gaps.slice(0, 2)).toEqual([20, 20]);
    expect(gaps.slice(-4)).toEqual([2, 2, 2, 2]);
  });

  it('a failed fence fails the step that waits for it once (the others fence the same device), with no unhandled rejection', async () => {
    const { q, fences, tick } = rig(1, 0);
    expect(q.add()).toBeUndefined();
    tick(1);
    const second = q.add();
    fences[1]!.reject(new Error('lost')); // not awaited yet: must not be an unhandled rejection
    fences[0]!.reject(new Error('lost'));
    await expect(second).rejects.toThrow('lost');
    expect(q.pending).toBe(0); // the second fence was dropped with the first
    tick(1);
    expect(q.add()).toBeUndefined();
    fences[2]!.reject(new Error('validation'));
    await expect(q.settle()).rejects.toThrow('validation');
  });
});

describe('fit on WebGPU keeps a short backlog of submitted steps', () => {
  const engines = useEngines();
  const DATA = blobs(3, 200, 6, 3);
  const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
  /**
   * Until `cond` holds, or `ms` passed (then false). The bound is generous: a released fence
   * runs the real sync, which on a loaded 2-core machine took over 5 s once (CI, lavapipe).
   */
  async function until(cond: () => boolean, ms = 30_000): Promise<boolean> {
    const end = performance.now() + ms;
    while (!cond()) {
      if (performance.now() > end) return false;
      await sleep(1);
    }
    return true;
  }

  /**
   * engine.sync replaced by fences the test releases (a release runs the real sync, so a
   * GPU error or loss still comes through), or rejects with its own error.
   */
  function stubFences(e: Engine) {
    const real = e.sync.bind(e);
    const fences: { release: () => void; fail: (err: Error) => void; settled: boolean }[] = [];
    e.sync = () => new Promise<void>((resolve, reject) => {
      const f = {
        settled: false,
        release: () => {
          f.settled = true;
          real().then(resolve, reject);
        },
        fail: (err: Error) => {
          f.settled = true;
          reject(err);
        },
      };
      fences.push(f);
    });
    return { fences, pending: () => fences.filter((f) => !f.settled).length, restore: () => delete (e as { sync?: unknown }).sync };
  }

  function model(e: Engine): Sequential {
    const m = sequential(e, [dense(6, 16), sigmoid(), dense(16, 3)], { seed: 1 });
    m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }) });
    return m;
  }

  /** Runs `body` with a model on `e` and e.sync stubbed by fences; both undone after (pass or fail). */
  async function withFences(e: Engine, body: (m: Sequential, stub: ReturnType<typeof stubFences>) => Promise<void>): Promise<void> {
    const stub = stubFences(e);
    const m = model(e);
    try {
      await body(m, stub);
    } finally {
      m.dispose();
      stub.restore();
    }
  }

  it('records no further step while more than two fences are pending, and a stop from onBatchEnd leaves at most two queued', async () => {
    await withFences(engines.gpu, async (m, stub) => {
      const seen: { step: number; pending: number }[] = [];
      class Stop extends Error {}
      let ended = false;
      const fit = m.fit(DATA.x, DATA.labels, {
        epochs: 1, batchSize: 10, // 20 steps
        onBatchEnd: async ({ step }) => {
          seen.push({ step, pending: stub.pending() });
          if (step === 3) throw new Stop();
          await sleep(INTERVAL_MS + 5); // each step then fences the work submitted
        },
      }).finally(() => (ended = true));
      fit.catch(() => undefined);
      // The GPU runs nothing yet: steps 0 and 1 are fenced, step 2 is fenced and waits.
      expect(await until(() => stub.fences.length >= 3 || ended), 'fit made a third fence before it ended').toBe(true);
      await sleep(50);
      expect(seen.map((s) => s.step)).toEqual([0, 1]);
      expect(ended).toBe(false);
      stub.fences[0]!.release(); // the GPU ran step 0: step 2 goes on, step 3 waits for step 1
      expect(await until(() => stub.fences.length >= 4)).toBe(true);
      await sleep(50);
      expect(seen.map((s) => s.step)).toEqual([0, 1, 2]);
      stub.fences[1]!.release();
      expect(await until(() => seen.length === 4)).toBe(true);
      // Never more than two fences' work (here: steps) queued when onBatchEnd ran.
      for (const s of seen) expect(s.pending).toBeLessThanOrEqual(MAX_PENDING_FENCES);
      expect(seen.at(-1)).toEqual({ step: 3, pending: 2 });
      for (const f of stub.fences) if (!f.settled) f.release(); // fit waits for them: they may hold a GPU error
      await expect(fit).rejects.toBeInstanceOf(Stop);
    });
  });

  it("a GPU error a fence took rejects fit with it (the model back at the epoch's start), and no other fence's is unhandled", async () => {
    await withFences(engines.gpu, async (m, stub) => {
      const before = await Promise.all(m.parameters().map((p) => p.tensor.read()));
      const fit = m.fit(DATA.x, DATA.labels, {
        epochs: 1, batchSize: 10,
        onBatchEnd: async ({ step }) => {
          await sleep(INTERVAL_MS + 5);
          if (step === 1) {
            stub.fences[0]!.release();
            stub.fences[1]!.fail(new GPUOpError('matmul', 'validation', 'a test error')); // step 3 waits for it
          }
          if (step === 2) stub.fences[2]!.fail(new GPUOpError('matmul', 'validation', 'a later error'));
        },
      });
      await expect(fit).rejects.toThrow(/a test error/);
      expect(stub.fences).toHaveLength(4);
      stub.fences[3]!.release();
      const after = await Promise.all(m.parameters().map((p) => p.tensor.read()));
      expect(after).toEqual(before);
    });
  });

  it('an error taken by a fence the epoch never waited for is not lost: the epoch end waits for every fence', async () => {
    await withFences(engines.gpu, async (m, stub) => {
      const fit = m.fit(DATA.x, DATA.labels, {
        epochs: 1, batchSize: 100, // 2 steps: 2 fences, none waited for in the loop
        onBatchEnd: async ({ step }) => {
          await sleep(INTERVAL_MS + 5);
          if (step === 1) {
            stub.fences[0]!.release();
            stub.fences[1]!.fail(new GPUOpError('matmul', 'out-of-memory', 'taken by a fence'));
          }
        },
      });
      await expect(fit).rejects.toThrow(/taken by a fence/);
      expect(stub.fences).toHaveLength(2);
    });
  });

  it('a GPU error taken by a fence still pending when onBatchEnd throws rejects fit: no later read would report it', async () => {
    const e = engines.gpu;
    const m = model(e);
    class Stop extends Error {}
    try {
      poolTestHooks.failAllocations = 1; // the first buffer fit makes: an out-of-memory error the first fence takes
      const fit = m.fit(DATA.x, DATA.labels, {
        epochs: 1, batchSize: 10, recovery: false, // the steps taken stay: the error must be seen
        onBatchEnd: async ({ step }) => {
          await sleep(INTERVAL_MS + 5);
          if (step === 1) throw new Stop();
        },
      });
      await expect(fit).rejects.toThrow(/simulated out-of-memory/);
      await e.sync(); // reported once
    } finally {
      poolTestHooks.failAllocations = 0;
      m.dispose();
    }
  });

  it('a device lost while fit waits for a fence is recovered as before: the epoch re-run, the event recorded', async () => {
    const e = await createEngine({ backend: 'webgpu', log: null });
    const stub = stubFences(e);
    const m = model(e);
    let releaser: ReturnType<typeof setInterval> | undefined;
    try {
      const fit = m.fit(DATA.x, DATA.labels, { epochs: 2, batchSize: 20, onBatchEnd: () => sleep(INTERVAL_MS + 5) });
      // Step 2 waits for the first fence; the device goes, then that fence's sync runs (and fails).
      expect(await until(() => stub.fences.length >= 3)).toBe(true);
      const d = e.gpuDevice!;
      d.destroy();
      await d.lost;
      releaser = setInterval(() => {
        for (const f of stub.fences) if (!f.settled) f.release();
      }, 1);
      const h = await fit;
      expect(h.epochs).toHaveLength(2);
      expect(h.events).toEqual([expect.objectContaining({ epoch: 0, kind: 'device-lost', recoveredOn: 'webgpu' })]);
      expect(h.loss.every(Number.isFinite)).toBe(true);
    } finally {
      clearInterval(releaser);
      stub.restore();
      m.dispose();
      e.destroy();
    }
  });

  it('the CPU backend makes no fence', async () => {
    await withFences(engines.cpu, async (m, stub) => {
      await m.fit(DATA.x, DATA.labels, { epochs: 1, batchSize: 10, onBatchEnd: () => sleep(INTERVAL_MS + 5) });
      expect(stub.fences).toHaveLength(0);
    });
  });
});
