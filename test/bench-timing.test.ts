// The benchmark's timing rules (bench/timing.ts, bench/case-turns.ts), with fake backends and
// no GPU: a backend past its deadline in a case takes no more runs (checked between runs,
// since a CPU or wasm kernel holds the thread and no timer can fire during it), a run in
// flight at the deadline is waited for before anything else starts (so nothing runs beside
// it), and the result says that it overran and how long it took; a run that never ends is
// given up on after twice the deadline and marked stuck. A case whose check fails keeps no
// time. Several backends take their runs in turn, each with its own deadline.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaseSpec, SigmoidData } from '../bench/cases.js';
import { runCaseInTurns } from '../bench/case-turns.js';
import type { Peer, PeerCase, PeerInfo } from '../bench/peers/types.js';
import { type CaseTiming, measure } from '../bench/timing.js';

/** Holds the thread for `ms`, as a CPU or wasm kernel does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

const SPEC: CaseSpec<SigmoidData> = {
  name: 'sigmoid', size: 'fake', unit: 'GB/s', throughput: (s) => 1 / s,
  make: () => ({ data: { kind: 'sigmoid', n: 1, x: new Float32Array(1) }, check: () => ({ ok: true, detail: 'fake check' }) }),
};
const INFO: PeerInfo = { library: 'fake', device: 'fake device' };

/** A backend whose run() is `run`; it records how many runs are in flight at once, and when the last ended. */
function fakePeer(run: () => Promise<void>) {
  const seen = { runs: 0, inFlight: 0, maxInFlight: 0, lastEnd: 0 };
  const c: PeerCase = {
    async run() {
      seen.runs++;
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        await run();
      } finally {
        seen.inFlight--;
        seen.lastEnd = performance.now();
      }
      return null;
    },
    read: async () => new Float32Array(1),
    free: () => {},
    dispose: () => {},
  };
  const peer: Peer = { id: 'fake', init: async () => INFO, enter: async () => {}, prepare: async () => c, destroy: async () => {} };
  return { peer, seen };
}

/** The case on one backend alone. */
async function runCaseWithin(peer: Peer, info: PeerInfo, spec: CaseSpec, t: CaseTiming, progress: (line: string) => void) {
  const { results, stuck } = await runCaseInTurns([{ peer, info }], spec, t, progress);
  expect(results).toHaveLength(1);
  return { result: results[0]!, stuck: stuck !== null };
}

const timing = (caseDeadlineMs: number) => ({ repeats: 50, budgetMs: 60_000, caseDeadlineMs });

describe('measure() of a short case (minMs)', () => {
  // performance.now is stubbed: each run takes exactly `ms` of it, whatever the machine's load
  // (real 10 ms sleeps ending late on a busy machine added up to minMs in 3 runs).
  let now = 0;
  beforeEach(() => void vi.spyOn(performance, 'now').mockImplementation(() => now));
  afterEach(() => vi.restoreAllMocks());
  const run = (ms: number) => async () => void (now += ms);
  it('goes on past `repeats` until its timed runs add up to minMs, and no further', async () => {
    const t = await measure(run(10), () => {}, { repeats: 3, budgetMs: 60_000, minMs: 95, maxRepeats: 50 });
    expect(t.samples).toEqual(Array(10).fill(10)); // 90 ms after 9 runs, 100 after the 10th
  });
  it('stops at maxRepeats however short the runs', async () => {
    const t = await measure(run(1), () => {}, { repeats: 3, budgetMs: 60_000, minMs: 10_000, maxRepeats: 6 });
    expect(t.samples).toHaveLength(6);
  });
  it('takes `repeats` runs of a case that is long enough already, and fewer once past the budget', async () => {
    expect((await measure(run(40), () => {}, { repeats: 3, budgetMs: 60_000, minMs: 50, maxRepeats: 50 })).samples).toHaveLength(3);
    expect((await measure(run(40), () => {}, { repeats: 3, budgetMs: 30, minMs: 500, maxRepeats: 50 })).samples).toHaveLength(1);
  });
});

describe('a case past its deadline', () => {
  it('a run in flight at the deadline is waited for: the case has ended when the result comes, which says it overran and how long it took', async () => {
    const { peer, seen } = fakePeer(() => sleep(200));
    const lines: string[] = [];
    const t0 = performance.now();
    const { result, stuck } = await runCaseWithin(peer, INFO, SPEC, timing(300), (l) => lines.push(l));
    const returned = performance.now();
    expect(stuck).toBe(false);
    expect(seen.inFlight, 'no run of this case still going').toBe(0);
    expect(seen.lastEnd).toBeLessThanOrEqual(returned);
    // The warm-up, then one timed run in flight at 300 ms and none after it (on a busy machine
    // the warm-up alone may end past 300 ms).
    expect(seen.runs).toBeGreaterThanOrEqual(1);
    expect(seen.runs).toBeLessThanOrEqual(2);
    expect(result.check).toBe('ERROR');
    expect(result.overran).toBe(true);
    expect(result.timing).toBeNull();
    expect(result.throughput).toBeNull();
    expect(result.elapsedMs!).toBeGreaterThanOrEqual(300);
    expect(result.elapsedMs!).toBeLessThanOrEqual(returned - t0 + 1);
    expect(result.detail).toMatch(/^ran past its 0\.30 s deadline: took \d+\.\d+ s$/);
    expect(lines.join('\n')).toMatch(/\[fake\] sigmoid fake: still running at its 0\.30 s deadline \(an ERROR\): waiting for its run in flight to end before going on/);
  });

  it('a CPU-style run that holds the thread (no timer can fire) is caught between runs', async () => {
    const { peer, seen } = fakePeer(async () => busy(60));
    const { result, stuck } = await runCaseWithin(peer, INFO, SPEC, timing(200), () => {});
    expect(stuck).toBe(false);
    expect(seen.runs).toBeLessThanOrEqual(5);
    expect([result.check, result.overran, result.timing]).toEqual(['ERROR', true, null]);
    expect(result.elapsedMs!).toBeGreaterThan(200);
  });

  it('a case within its deadline is timed as usual, with its wall time', async () => {
    const { peer } = fakePeer(() => sleep(5));
    const { result, stuck } = await runCaseWithin(peer, INFO, SPEC, { repeats: 3, budgetMs: 60_000, caseDeadlineMs: 5_000 }, () => {});
    expect(stuck).toBe(false);
    expect([result.check, result.overran, result.timing!.samples.length]).toEqual(['ok', false, 3]);
    expect(result.elapsedMs!).toBeGreaterThan(15);
  });

  it('a run that never ends is given up on after twice the deadline, and the case is marked stuck', async () => {
    const { peer } = fakePeer(() => new Promise<void>(() => {}));
    const t0 = performance.now();
    const { result, stuck } = await runCaseWithin(peer, INFO, SPEC, timing(100), () => {});
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    expect(stuck).toBe(true);
    expect([result.check, result.overran, result.elapsedMs]).toEqual(['ERROR', true, null]);
    expect(result.detail).toMatch(/did not finish within 0\.10 s, nor in the 0\.10 s after/);
  });

  it('two cases in a row never overlap, whatever the first one does', async () => {
    let active = 0;
    let most = 0;
    const run = async () => {
      active++;
      most = Math.max(most, active);
      await sleep(1250);
      active--;
    };
    const a = fakePeer(run);
    const b = fakePeer(run);
    // Its warm-up alone (1.25 s) runs past the 1 s deadline, and ends well within the 1 s after
    // (a 250 ms warm-up against 200 + 200 ms was given up on, on a loaded machine).
    const first = await runCaseWithin(a.peer, INFO, SPEC, timing(1000), () => {});
    await runCaseWithin(b.peer, INFO, SPEC, timing(1000), () => {});
    expect([first.result.overran, first.stuck]).toEqual([true, false]);
    expect(most).toBe(1);
  });
});

describe('a case whose check fails', () => {
  it('is FAILED with no time in its result (timing and throughput null), whichever run was wrong', async () => {
    const wrongAt = 2;
    const spec: CaseSpec<SigmoidData> = {
      ...SPEC,
      make: () => ({ data: SPEC.make().data, check: (_out, step) => ({ ok: step !== wrongAt, detail: step === wrongAt ? 'rel. error 0.5 > 1e-5' : 'fine' }) }),
    };
    const { peer } = fakePeer(() => sleep(1));
    const { result } = await runCaseWithin(peer, INFO, spec, { repeats: 3, budgetMs: 60_000, caseDeadlineMs: 5_000 }, () => {});
    expect(result.check).toBe('FAILED');
    expect(result.detail).toBe('run 2: rel. error 0.5 > 1e-5');
    expect(result.timing).toBeNull();
    expect(result.throughput).toBeNull();
    expect(result.overran).toBe(false);
  });

  it('in the warm-up, is FAILED even when that warm-up was also over its cap (a slow right answer is SKIPPED)', async () => {
    const spec = (ok: boolean): CaseSpec<SigmoidData> => ({ ...SPEC, make: () => ({ data: SPEC.make().data, check: () => ({ ok, detail: ok ? 'fine' : 'wrong' }) }) });
    const over = { repeats: 3, budgetMs: 60_000, caseDeadlineMs: 5_000, warmupCapMs: 1 };
    const wrong = await runCaseWithin(fakePeer(() => sleep(20)).peer, INFO, spec(false), over, () => {});
    expect([wrong.result.check, wrong.result.detail, wrong.result.timing]).toEqual(['FAILED', 'warm-up: wrong', null]);
    const slow = await runCaseWithin(fakePeer(() => sleep(20)).peer, INFO, spec(true), over, () => {});
    expect([slow.result.check, slow.result.timing]).toEqual(['SKIPPED', null]);
    expect(slow.result.detail).toMatch(/^skipped: the warm-up took /);
  });

  it('ends that backend\'s runs at once', async () => {
    const spec: CaseSpec<SigmoidData> = { ...SPEC, make: () => ({ data: SPEC.make().data, check: (_out, step) => ({ ok: step !== 2, detail: 'x' }) }) };
    const { peer, seen } = fakePeer(() => sleep(1));
    const { result } = await runCaseWithin(peer, INFO, spec, { repeats: 5, budgetMs: 60_000, caseDeadlineMs: 5_000 }, () => {});
    expect([result.check, result.detail, seen.runs]).toEqual(['FAILED', 'run 2: x', 3]); // the warm-up, runs 1 and 2
  });

  it('in a run that also ends past the deadline, is an ERROR whose detail keeps the failed check', async () => {
    const spec: CaseSpec<SigmoidData> = { ...SPEC, make: () => ({ data: SPEC.make().data, check: (_out, step) => ({ ok: step !== 1, detail: step === 1 ? 'rel. error 0.5 > 1e-5' : 'fine' }) }) };
    // The warm-up (10 ms) well within the 250 ms deadline, run 1 (wrong, 400 ms) ending past it.
    let runs = 0;
    const { result } = await runCaseWithin(fakePeer(async () => busy(runs++ === 0 ? 10 : 400)).peer, INFO, spec, timing(250), () => {});
    expect([result.check, result.overran, result.timing]).toEqual(['ERROR', true, null]);
    expect(result.detail).toMatch(/^ran past its .* deadline: took .*; before that, a check failed: run 1: rel\. error 0\.5 > 1e-5$/);
  });
});

describe('several backends in one case', () => {
  /** A backend that logs what the run asks of it into `log`; `run(i)` is its i-th run (0 = warm-up). */
  function loggedPeer(id: string, log: string[], run: (i: number) => Promise<void> = () => sleep(2)) {
    let runs = 0;
    let disposed = false;
    const c: PeerCase = {
      async run() {
        log.push(`${id} run ${runs}`);
        await run(runs++);
        return null;
      },
      read: async () => new Float32Array(1),
      free: () => {},
      dispose: () => {
        disposed = true;
      },
    };
    const peer: Peer = {
      id, init: async () => INFO, enter: async () => void log.push(`${id} enter`),
      prepare: async () => (log.push(`${id} prepare`), c), destroy: async () => {},
    };
    return { peer, disposed: () => disposed };
  }

  it('take their runs in turn, one each a round, each entered before its prepare and every run', async () => {
    const log: string[] = [];
    const a = loggedPeer('a', log);
    const b = loggedPeer('b', log);
    const { results, stuck } = await runCaseInTurns([{ peer: a.peer, info: INFO }, { peer: b.peer, info: INFO }], SPEC, { repeats: 3, budgetMs: 60_000, caseDeadlineMs: 5_000 }, () => {});
    expect(stuck).toBeNull();
    expect(log).toEqual([
      'a enter', 'a prepare', 'a enter', 'a run 0', 'b enter', 'b prepare', 'b enter', 'b run 0',
      ...[1, 2, 3].flatMap((i) => ['a enter', `a run ${i}`, 'b enter', `b run ${i}`]),
    ]);
    expect(results.map((r) => [r.backend, r.check, r.timing!.samples.length])).toEqual([['a', 'ok', 3], ['b', 'ok', 3]]);
    expect([a.disposed(), b.disposed()]).toEqual([true, true]);
  });

  it('each has its own deadline: a slow one past it drops out, and the others keep their runs and times', async () => {
    const log: string[] = [];
    const slow = loggedPeer('slow', log, async () => busy(150));
    const fast = loggedPeer('fast', log, () => sleep(10));
    const t0 = performance.now();
    const { results } = await runCaseInTurns([{ peer: slow.peer, info: INFO }, { peer: fast.peer, info: INFO }], SPEC, { repeats: 8, budgetMs: 60_000, caseDeadlineMs: 500 }, () => {});
    const wall = performance.now() - t0;
    const [s, f] = results;
    expect([s!.check, s!.overran, s!.timing]).toEqual(['ERROR', true, null]);
    // The slow one is out after about 600 ms (4 runs); the fast one's 9 runs (about 100 ms of
    // its own) end past 600 ms of wall time, and count only their own time.
    expect([f!.check, f!.overran, f!.timing!.samples.length]).toEqual(['ok', false, 8]);
    expect(wall).toBeGreaterThan(600);
    expect(f!.elapsedMs!).toBeLessThan(400);
    expect(s!.elapsedMs! + f!.elapsedMs!).toBeLessThanOrEqual(wall + 1);
    expect(slow.disposed()).toBe(true);
  });

  it('one whose check fails leaves the rounds, FAILED, and the others go on', async () => {
    const log: string[] = [];
    const wrong = loggedPeer('wrong', log);
    const right = loggedPeer('right', log);
    const spec = (bad: boolean): CaseSpec<SigmoidData> => ({ ...SPEC, make: () => ({ data: SPEC.make().data, check: (_o, step) => ({ ok: !bad || step !== 1, detail: 'd' }) }) });
    const entrants = [{ peer: wrong.peer, info: INFO }, { peer: right.peer, info: INFO }];
    // One spec for both, told apart by which backend made it: the first make() is the wrong one's.
    let made = 0;
    const both: CaseSpec<SigmoidData> = { ...SPEC, make: () => spec(made++ === 0).make() };
    const { results } = await runCaseInTurns(entrants, both, { repeats: 4, budgetMs: 60_000, caseDeadlineMs: 5_000 }, () => {});
    expect(results.map((r) => [r.check, r.detail])).toEqual([['FAILED', 'run 1: d'], ['ok', 'd']]);
    expect(results[1]!.timing!.samples).toHaveLength(4);
    expect(log.filter((l) => l.startsWith('wrong run'))).toEqual(['wrong run 0', 'wrong run 1']);
    expect(wrong.disposed()).toBe(true);
  });

  it('one whose run never ends stops the case: it is stuck and keeps its inputs, the others end as an ERROR', async () => {
    const log: string[] = [];
    const hang = loggedPeer('hang', log, (i) => (i === 1 ? new Promise<void>(() => {}) : sleep(2)));
    const other = loggedPeer('other', log);
    const { results, stuck } = await runCaseInTurns([{ peer: hang.peer, info: INFO }, { peer: other.peer, info: INFO }], SPEC, timing(100), () => {});
    expect(stuck).toBe(hang.peer);
    expect(results.map((r) => [r.check, r.overran, r.elapsedMs])).toEqual([['ERROR', true, null], ['ERROR', false, expect.any(Number)]]);
    expect(results[1]!.detail).toBe('not finished: hang was given up on');
    expect([hang.disposed(), other.disposed()]).toEqual([false, true]);
    expect(log.at(-1)).toBe('hang run 1'); // nothing ran after it
  });
});
