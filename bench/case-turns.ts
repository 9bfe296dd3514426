// One benchmark case on several backends, their runs taken in turn: each backend prepares the
// case (inputs made and uploaded, untimed) and takes its warm-up, one backend after another;
// then the timed runs go round the backends, one run each a round, until each has the runs
// bench/timing.ts's rule gives it (wantsAnotherRun: `repeats`, more for a short case, fewer
// past the budget). A backend's times and those of the peers it is divided by are so taken
// in the same seconds, run for run: on a shared host whose speed drifts, a slow spell slows
// them alike, where runs taken one backend after another met different spells.
// Every output is read back and checked against float64 (untimed) before its time counts; the
// first failed check drops that backend's times (FAILED) and takes it out of the rounds.
// Each backend has a deadline of its own (`caseDeadlineMs` of its own time in the case: its
// prepare, runs and checks, not the other backends'): once past it, it takes no more runs and
// is an ERROR. A step still running at its deadline is waited for, up to the same time again,
// before anything else starts (nothing ever runs beside it); one still running then is given
// up on, and the result says `stuck`: the caller must start nothing more.

import type { CaseSpec, Made } from './cases.js';
import type { BenchResult } from './peer-run.js';
import type { Peer, PeerCase, PeerInfo } from './peers/types.js';
import { describeError } from '../tools/describe-error.js';
import { nextTask } from '../src/next-task.js';
import { type CaseTiming, CaseSkipped, failedRun, fmtSeconds, settle, summarise, wantsAnotherRun } from './timing.js';

/** A progress line after a round of timed runs once this long has passed since the last. */
const ROUND_LINE_MS = 5_000;

export interface Entrant {
  peer: Peer;
  info: PeerInfo;
}

/** One backend's part of the case. */
interface Turn {
  peer: Peer;
  info: PeerInfo;
  made: Made | null;
  c: PeerCase | null;
  /** Its own wall time in the case so far (prepare, runs, checks), ms. */
  spentMs: number;
  samples: number[];
  detail: string;
  /** The first failed check, labelled with its run. */
  failure: string | null;
  /** Set once it is out of the rounds (failed, overran, threw, skipped); the rest get theirs at the end. */
  result: BenchResult | null;
}

function baseResult(peer: Peer, info: PeerInfo, spec: CaseSpec): BenchResult {
  return {
    backend: peer.id, device: info.device, workload: spec.name, size: spec.size, unit: spec.unit, timing: null, throughput: null,
    check: 'ERROR', detail: '', elapsedMs: null, overran: false,
  };
}

/**
 * Runs `spec` on every entrant (see the header), and returns their results in entrant order;
 * `stuck` is the backend whose step was given up on, if any (then the others' results are
 * those they had, and the caller must not start anything beside it).
 */
export async function runCaseInTurns(
  entrants: readonly Entrant[], spec: CaseSpec, timing: CaseTiming, progress: (line: string) => void,
): Promise<{ results: BenchResult[]; stuck: Peer | null }> {
  const turns: Turn[] = entrants.map(({ peer, info }) => ({
    peer, info, made: null, c: null, spentMs: 0, samples: [], detail: '', failure: null, result: null,
  }));
  const limit = timing.caseDeadlineMs;
  const what = (t: Turn) => `[${t.peer.id}] ${spec.name} ${spec.size}`;

  /** Ends `t`'s part with `result` and frees its inputs. */
  const finish = (t: Turn, result: BenchResult) => {
    t.result = result;
    const c = t.c;
    t.c = null;
    c?.dispose();
  };

  /**
   * One step of `t` (its prepare, or a run and its check) within its deadline. Returns the
   * step's value, or null when `t` is out: its result set (the step threw or ran past the
   * deadline), or given up on (`stuck`: its result set, its inputs kept, since the step may
   * still hold them).
   */
  const step = async <T>(t: Turn, work: () => Promise<T>): Promise<{ value: T } | null | 'stuck'> => {
    const left = limit - t.spentMs;
    const t0 = performance.now();
    const o = await settle((async () => {
      await t.peer.enter();
      return work();
    })(), t0, left, () => progress(`${what(t)}: still running at its ${fmtSeconds(limit)} deadline (an ERROR): waiting for its run in flight to end before going on`), left + limit);
    if (o.kind === 'pending') {
      t.result = { ...baseResult(t.peer, t.info, spec), overran: true, detail: `did not finish within ${fmtSeconds(limit)}, nor in the ${fmtSeconds(limit)} after: given up on` };
      return 'stuck';
    }
    t.spentMs += o.elapsedMs;
    const base = { ...baseResult(t.peer, t.info, spec), elapsedMs: t.spentMs };
    if (t.spentMs > limit) {
      const then = o.kind === 'rejected' ? `; it ended with ${describeError(o.error)}`
        : t.failure === null ? '' : `; before that, a check failed: ${t.failure}`;
      finish(t, { ...base, overran: true, detail: `ran past its ${fmtSeconds(limit)} deadline: took ${fmtSeconds(t.spentMs)}${then}` });
      return null;
    }
    if (o.kind === 'rejected') {
      finish(t, { ...base, detail: describeError(o.error) });
      return null;
    }
    return { value: o.value };
  };

  /** A run of `t` (timed) and its check (untimed); `i` is −1 for the warm-up. Returns its ms, or null/'stuck' as step(). */
  const runOnce = async (t: Turn, i: number): Promise<{ value: number } | null | 'stuck'> => {
    const r = await step(t, async () => {
      const c = t.c!;
      const t0 = performance.now();
      const out = await c.run();
      const ms = performance.now() - t0;
      let values: Float32Array;
      try {
        values = await c.read(out);
      } finally {
        c.free(out);
      }
      const checked = t.made!.check(values, i + 1);
      t.detail = checked.detail;
      if (!checked.ok && t.failure === null) t.failure = failedRun(i, checked.detail);
      // A CPU or wasm backend's runs and reads resolve as microtasks: without a task of its
      // own between them the page neither repaints nor answers its runner (untimed).
      await nextTask();
      return ms;
    });
    if (r !== null && r !== 'stuck' && t.failure !== null) {
      finish(t, { ...baseResult(t.peer, t.info, spec), elapsedMs: t.spentMs, check: 'FAILED', detail: t.failure });
      return null;
    }
    return r;
  };

  /** The run stops at `t`, given up on: the others end as they are (an ERROR if they had not finished). */
  const stuckWith = (t: Turn) => {
    for (const o of turns) {
      if (o !== t) finish(o, o.result ?? { ...baseResult(o.peer, o.info, spec), elapsedMs: o.spentMs, detail: `not finished: ${t.peer.id} was given up on` });
    }
    return { results: turns.map((x) => x.result!), stuck: t.peer };
  };

  // Prepare and warm up, one backend after another.
  for (const t of turns) {
    progress(`${what(t)}…`);
    await nextTask();
    const prepared = await step(t, async () => {
      t.made = spec.make();
      t.c = await t.peer.prepare(t.made.data);
    });
    if (prepared === 'stuck') return stuckWith(t);
    if (prepared === null) continue;
    const warm = await runOnce(t, -1);
    if (warm === 'stuck') return stuckWith(t);
    if (warm === null) continue;
    if (timing.warmupCapMs !== undefined && warm.value > timing.warmupCapMs) {
      finish(t, { ...baseResult(t.peer, t.info, spec), elapsedMs: t.spentMs, check: 'SKIPPED', detail: new CaseSkipped(warm.value, timing.warmupCapMs).message });
    }
  }

  // The timed runs, one per backend a round; a line every few seconds on long work.
  const timedMs = (t: Turn) => t.samples.reduce((a, b) => a + b, 0);
  const wants = (t: Turn) => t.result === null && wantsAnotherRun(t.samples.length, timedMs(t), timing);
  let said = performance.now();
  for (let round = 1; turns.some(wants); round++) {
    for (const t of turns) {
      if (!wants(t)) continue;
      const r = await runOnce(t, t.samples.length);
      if (r === 'stuck') return stuckWith(t);
      if (r !== null) t.samples.push(r.value);
    }
    if (performance.now() - said > ROUND_LINE_MS) {
      said = performance.now();
      progress(`${spec.name} ${spec.size}: ${round} round${round === 1 ? '' : 's'} of timed runs done…`);
    }
  }

  for (const t of turns) {
    if (t.result !== null) continue;
    const timing = summarise(t.samples);
    finish(t, {
      ...baseResult(t.peer, t.info, spec), elapsedMs: t.spentMs, check: 'ok', timing,
      throughput: spec.throughput(timing.medianMs / 1000), detail: t.detail,
    });
  }
  return { results: turns.map((t) => t.result!), stuck: null };
}
