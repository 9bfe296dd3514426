// The benchmark run against the peers, with no DOM and no Node API: the seeded workloads
// (bench/cases.ts) on sigmoid-core (WebGPU and CPU), TensorFlow.js (webgpu, wasm, cpu) and
// jax-js (webgpu, wasm). Every backend starts (init) first; then each case runs on all the
// backends, their runs taken in turn (bench/case-turns.ts: prepare, a warm-up, timed runs,
// every output read back untimed and checked against float64 before its time counts, then
// dispose), before the next case starts. A backend that fails to start is recorded as
// "unavailable: reason"; a backend past its deadline in a case is recorded as ERROR (it takes
// no more runs, and nothing starts before its run in flight has ended: nothing overlaps) and
// the run goes on. Used by the browser page (bench/browser/main.ts) and by the Node runner
// for WebGPU under Dawn (bench/peers-node.ts).
import { type BuildInfo, buildInfo } from './build.js';
import { type CaseSpec, gramCase, matmulCase, mlpCase, sigmoidCase } from './cases.js';
import { type BackendId, type Mode, OURS } from './ids.js';
import { describeError } from '../tools/describe-error.js';
import type { Peer, PeerInfo } from './peers/types.js';
import type { TilingChoice } from '../src/index.js';
import { type Entrant, runCaseInTurns } from './case-turns.js';
import { type CaseResult, fmtMs, fmtNum, formatRatios, formatTable, ratios, type RatioRow } from './table.js';
import { type CaseTiming, fmtSeconds, settle, type Settled } from './timing.js';

export { BACKENDS, type BackendId, type Mode, MODES, OURS, parseBackends } from './ids.js';

export interface BackendStatus {
  id: string;
  status: 'ok' | 'unavailable';
  info: PeerInfo | null;
  reason: string | null;
}

export interface BenchResult extends CaseResult {
  /** What the backend ran on (adapter / wasm / cpu), repeated in every result. */
  device: string;
  /**
   * This backend's wall time in the case (inputs made and uploaded, warm-up, timed runs,
   * checks; not the other backends' runs between its own), ms; null when a step was still
   * running at its deadline plus the same again and was given up on.
   */
  elapsedMs: number | null;
  /** The backend ran past its deadline in the case (`timing.caseDeadlineMs` of its own time): it is an ERROR, `elapsedMs` says how long it took. */
  overran: boolean;
}

/** What a run records of where it ran (the page's or Node's navigator). */
export type RunEnv = Pick<BenchState, 'tool' | 'userAgent' | 'hardwareConcurrency'>;

/** How long a backend's init() may take (then the same again before the run gives up on it). */
export const INIT_DEADLINE_MS = 60_000;

export interface BenchState {
  tool: string;
  done: boolean;
  /** Set when the whole run failed (not a single case). */
  error: string | null;
  mode: Mode;
  date: string;
  /** sigmoid-core's version and commit, and the peers' and Dawn's package versions (bench/build.ts). */
  build: BuildInfo | null;
  userAgent: string;
  hardwareConcurrency: number;
  /**
   * The WebGPU adapter navigator.gpu gives for { powerPreference: 'high-performance' }, what
   * sigmoid-core, TF.js and jax-js each ask for (its info), or why there is none.
   */
  adapter: Record<string, unknown> | string;
  timing: CaseTiming;
  backends: BackendStatus[];
  /** Rows of the results table, in run order. */
  results: BenchResult[];
  /** sigmoid-core-webgpu ÷ each peer, per workload (peer median ÷ ours); like the tables, of `results` whenever the state is published. */
  ratios: RatioRow[];
  /** Markdown of both tables (as the runners print them). */
  table: string;
  ratioTable: string;
  /** Since the run started (its whole length once `done`). */
  seconds: number;
}

/** What the run reports as it goes: a progress line, and the state after every change. */
export interface RunHooks {
  progress(line: string): void;
  update(state: BenchState): void;
}

export function specs(mode: Mode): CaseSpec[] {
  if (mode === 'quick') return [matmulCase(256), sigmoidCase(2 ** 18), gramCase(512, 512, 64), mlpCase([784, 256, 256, 10], 64, 0.1)];
  const big = mode === 'gpu';
  return [
    ...(big ? [256, 512, 1024, 2048, 4096, 8192] : [256, 512, 1024, 2048]).map(matmulCase),
    sigmoidCase(big ? 2 ** 24 : 2 ** 22),
    gramCase(4096, 4096, 64),
    ...(big ? [gramCase(8192, 8192, 64)] : []),
    mlpCase([784, 256, 256, 10], 256, 0.1),
  ];
}

/**
 * How each mode times a case. Quick mode's warm-up cap is 30 s: jax-js's MLP step compiles its
 * shaders in its warm-up, 14.9–15.2 s on lavapipe with no shader cache (CI's), and a 15 s cap
 * skipped it now and then.
 */
export function timingFor(mode: Mode): CaseTiming {
  return mode === 'quick'
    ? { repeats: 2, budgetMs: 5_000, warmupCapMs: 30_000, caseDeadlineMs: 90_000 }
    : { repeats: mode === 'gpu' ? 10 : 5, minMs: 2_000, maxRepeats: 25, budgetMs: 20_000, warmupCapMs: 60_000, caseDeadlineMs: 300_000 };
}

/** Options of the run: `tiling` forces sigmoid-core's WebGPU kernel family. */
export interface RunOptions {
  tiling?: TilingChoice;
  /** The deadline of the adapter query and of each backend's init() (default INIT_DEADLINE_MS; tests shorten it). */
  initDeadlineMs?: number;
}

// Each library is imported when its backend starts, not with this module: one that does not
// load (a failed request, a module that throws) makes only its backends unavailable, instead
// of leaving the page without a run at all.
function makePeer(id: BackendId, opts: RunOptions): Peer {
  return lazyPeer(id, async () => {
    switch (id) {
      case 'sigmoid-core-webgpu': return (await import('./peers/sigmoid-core.js')).sigmoidCorePeer('webgpu', opts.tiling);
      case 'sigmoid-core-cpu': return (await import('./peers/sigmoid-core.js')).sigmoidCorePeer('cpu');
      case 'tfjs-webgpu': return (await import('./peers/tfjs.js')).tfjsPeer('webgpu');
      case 'tfjs-wasm': return (await import('./peers/tfjs.js')).tfjsPeer('wasm');
      case 'tfjs-cpu': return (await import('./peers/tfjs.js')).tfjsPeer('cpu');
      case 'jax-webgpu': return (await import('./peers/jax.js')).jaxPeer('webgpu');
      case 'jax-wasm': return (await import('./peers/jax.js')).jaxPeer('wasm');
    }
  });
}

/** A peer whose module is loaded by init() (within its deadline); a load that fails is init()'s error. */
function lazyPeer(id: BackendId, load: () => Promise<Peer>): Peer {
  let peer: Peer | null = null;
  return {
    id,
    async init() {
      try {
        peer = await load();
      } catch (err) {
        throw new Error(`its library did not load: ${describeError(err)}`);
      }
      return peer.init();
    },
    enter: () => peer!.enter(),
    prepare: (data) => peer!.prepare(data),
    destroy: async () => peer?.destroy(),
  };
}

const POWER_PREFERENCE: GPUPowerPreference = 'high-performance';

async function adapterInfo(): Promise<Record<string, unknown> | string> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return 'no navigator.gpu (not a secure context, or no WebGPU)';
  try {
    // The libraries' own request (src/webgpu/device.ts, jax-js, TF.js by default), so this is their adapter.
    const a = await gpu.requestAdapter({ powerPreference: POWER_PREFERENCE });
    if (!a) return `requestAdapter({ powerPreference: '${POWER_PREFERENCE}' }) returned null`;
    const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return {
      vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
      isFallbackAdapter: i.isFallbackAdapter ?? null, powerPreference: POWER_PREFERENCE,
    };
  } catch (err) {
    return `requestAdapter() threw ${describeError(err)}`;
  }
}

/**
 * The state of a run that never started (the page was given a query it cannot use): done,
 * with the reason as its error and no results, so whoever waits on window.__bench stops.
 */
export function notRun(mode: Mode, reason: string, env: RunEnv): BenchState {
  return { ...initialState(mode, env), done: true, error: `not run: ${reason}` };
}

/** A run's state before anything ran: not done, no error, no results, the adapter not asked yet. */
function initialState(mode: Mode, env: RunEnv): BenchState {
  return {
    ...env, done: false, error: null, mode, date: new Date().toISOString(), build: buildInfo(), adapter: 'not asked (the run did not start)',
    timing: timingFor(mode), backends: [], results: [], ratios: [], table: '', ratioTable: '', seconds: 0,
  };
}

export async function runBench(
  mode: Mode, ids: readonly BackendId[], hooks: RunHooks, env: RunEnv,
  opts: RunOptions = {},
): Promise<BenchState> {
  const t0 = performance.now();
  const s: BenchState = { ...initialState(mode, env), adapter: 'being asked' };
  /** Hands the state on with the tables of the results so far: whoever saves it mid-run gets tables that agree with them. */
  const publish = () => {
    const peers = s.backends.filter((b) => b.id !== OURS).map((b) => b.id);
    s.ratios = ratios(s.results, OURS, peers);
    s.table = formatTable(s.results);
    s.ratioTable = formatRatios(s.ratios, peers);
    s.seconds = (performance.now() - t0) / 1000;
    hooks.update(s);
  };
  // Before the first await: a page's second run replaces the first run's finished state at once.
  publish();
  // A driver whose requestAdapter() never answers held the whole run here, before any backend started.
  const deadline = opts.initDeadlineMs ?? INIT_DEADLINE_MS;
  const adapter = await settle(adapterInfo(), performance.now(), deadline, () =>
    hooks.progress(`requestAdapter() has not answered after ${fmtSeconds(deadline)}: waiting before going on`));
  s.adapter = adapter.kind === 'fulfilled' ? adapter.value : `requestAdapter() did not answer within ${fmtSeconds(2 * deadline)}`;
  const timing = s.timing;
  publish();
  // Every backend starts first; then each case runs on all of them, their runs in turn
  // (bench/case-turns.ts), before the next case: a backend's times and the peers' it is divided
  // by are taken run for run in the same seconds, so a host whose speed drifts (a shared VM's:
  // the same run's MLP ratio was 0.96× and 2.06× ten minutes apart when the backends ran one
  // after another) moves ours and the peer's times together.
  const started: Entrant[] = [];
  for (const id of ids) {
    const peer = makePeer(id, opts);
    hooks.progress(`[${id}] starting…`);
    const init = await settle(peer.init(), performance.now(), deadline, () =>
      hooks.progress(`[${id}] not started after ${fmtSeconds(deadline)}: waiting for init() to end before going on`));
    const reason = initFailure(init, deadline);
    if (reason !== null || init.kind !== 'fulfilled') {
      s.backends.push({ id, status: 'unavailable', info: null, reason });
      hooks.progress(`[${id}] unavailable: ${reason}`);
      publish();
      if (init.kind === 'pending') {
        s.error = `${id}: ${reason}; the run stopped there, so that nothing runs beside it`;
        break;
      }
      if (init.kind === 'fulfilled') await peer.destroy().catch(() => {});
      continue;
    }
    s.backends.push({ id, status: 'ok', info: init.value, reason: null });
    started.push({ peer, info: init.value });
    publish();
  }
  let stuckPeer: Peer | null = null;
  for (const spec of s.error === null ? specs(mode) : []) {
    const { results, stuck } = await runCaseInTurns(started, spec, timing, hooks.progress);
    s.results.push(...results);
    // Published before the lines that say so: a runner stopped on seeing one (Ctrl-C) saves what it was last handed.
    publish();
    for (const r of results) hooks.progress(`[${r.backend}] ${spec.name} ${spec.size}: ${r.check === 'ok' ? `median ${fmtMs(r.timing!.medianMs)}, ${fmtNum(r.throughput!)} ${r.unit}` : `${r.check}: ${r.detail}`}`);
    if (stuck !== null) {
      const r = results[started.findIndex((e) => e.peer === stuck)]!;
      s.error = `${stuck.id} ${spec.name} ${spec.size}: ${r.detail}; the run stopped there, so that no case runs beside it`;
      stuckPeer = stuck;
      break;
    }
  }
  // Not the stuck one: its run may still hold its device.
  for (const { peer } of started) if (peer !== stuckPeer) await peer.destroy().catch(() => {});
  s.done = true;
  publish();
  hooks.progress(s.results.length === 0
    ? `done in ${s.seconds.toFixed(1)} s: no case ran (no backend started; the table says why)`
    : `done in ${s.seconds.toFixed(1)} s: ${s.results.filter((r) => r.check === 'ok').length} of ${s.results.length} cases ok`);
  return s;
}

/** Why a backend counts as not started (init() threw, or ended past its deadline, or never), or null. */
function initFailure(r: Settled<PeerInfo>, deadline: number): string | null {
  if (r.kind === 'pending') return `init() did not end within ${fmtSeconds(2 * deadline)}`;
  const late = r.elapsedMs > deadline ? `init() took ${fmtSeconds(r.elapsedMs)}, past its ${fmtSeconds(deadline)} deadline` : null;
  if (r.kind === 'rejected') return late === null ? describeError(r.error) : `${late} (it threw ${describeError(r.error)})`;
  return late;
}
