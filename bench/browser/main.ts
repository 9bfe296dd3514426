// The browser benchmark page: the same seeded workloads (bench/cases.ts) on sigmoid-core
// (WebGPU and CPU), TensorFlow.js (webgpu, wasm, cpu) and jax-js (webgpu, wasm), one
// backend after another in one page. Each case: prepare (inputs uploaded, untimed), a
// warm-up run, timed runs (bench/timing.ts: median, min–max), every output read back
// untimed and checked against float64 before its time counts, then dispose. A backend that
// fails to start is recorded as "unavailable: reason"; a case that runs past its deadline
// is recorded as ERROR and the run goes on. Query string: ?mode=quick|full
// &backends=id,id… &autorun=1 (the runner and the e2e test use it). Everything is
// published on window.__bench.
import { type CaseSpec, gramCase, matmulCase, mlpCase, sigmoidCase } from '../cases.js';
import { type CaseResult, fmtMs, fmtNum, fmtRange, fmtRatio, formatRatios, formatTable, ratios, type RatioRow, runs } from '../table.js';
import { CaseSkipped, deadline, measure, type TimingOptions } from '../timing.js';
import { jaxPeer } from './peers/jax.js';
import { sigmoidCorePeer } from './peers/sigmoid-core.js';
import { tfjsPeer } from './peers/tfjs.js';
import { describeError, type Peer, type PeerInfo } from './peers/types.js';

export type Mode = 'quick' | 'full';
export const OURS = 'sigmoid-core-webgpu';
export const BACKENDS = ['sigmoid-core-webgpu', 'sigmoid-core-cpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu', 'jax-webgpu', 'jax-wasm'] as const;
export type BackendId = (typeof BACKENDS)[number];

export interface BackendStatus {
  id: string;
  status: 'ok' | 'unavailable';
  info: PeerInfo | null;
  reason: string | null;
}

export interface BenchResult extends CaseResult {
  /** What the backend ran on (adapter / wasm / cpu), repeated in every result. */
  device: string;
}

export interface BenchState {
  tool: 'sigmoid-core bench/browser';
  done: boolean;
  /** Set when the whole run failed (not a single case). */
  error: string | null;
  mode: Mode;
  date: string;
  userAgent: string;
  hardwareConcurrency: number;
  /** The page's WebGPU adapter (navigator.gpu.requestAdapter().info), or why there is none. */
  adapter: Record<string, unknown> | string;
  timing: TimingOptions & { caseDeadlineMs: number };
  backends: BackendStatus[];
  /** Rows of the results table, in run order. */
  results: BenchResult[];
  /** sigmoid-core-webgpu ÷ each peer, per workload (peer median ÷ ours). */
  ratios: RatioRow[];
  /** Markdown of both tables (as the runner prints them). */
  table: string;
  ratioTable: string;
  seconds: number;
}

declare global {
  interface Window {
    __bench?: BenchState;
  }
}

export function specs(mode: Mode): CaseSpec[] {
  const q = mode === 'quick';
  return [
    ...(q ? [256] : [256, 512, 1024, 2048]).map(matmulCase),
    sigmoidCase(q ? 2 ** 18 : 2 ** 22),
    q ? gramCase(512, 512, 64) : gramCase(4096, 4096, 64),
    mlpCase([784, 256, 256, 10], q ? 64 : 256, 0.1),
  ];
}

function makePeer(id: BackendId): Peer {
  switch (id) {
    case 'sigmoid-core-webgpu': return sigmoidCorePeer('webgpu');
    case 'sigmoid-core-cpu': return sigmoidCorePeer('cpu');
    case 'tfjs-webgpu': return tfjsPeer('webgpu');
    case 'tfjs-wasm': return tfjsPeer('wasm');
    case 'tfjs-cpu': return tfjsPeer('cpu');
    case 'jax-webgpu': return jaxPeer('webgpu');
    case 'jax-wasm': return jaxPeer('wasm');
  }
}

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);
let state: BenchState | null = null;

function progress(line: string): void {
  $('progress').textContent = line;
  console.log(`[bench] ${line}`);
}

async function adapterInfo(): Promise<Record<string, unknown> | string> {
  if (!('gpu' in navigator) || !navigator.gpu) return 'no navigator.gpu (not a secure context, or no WebGPU)';
  try {
    const a = await navigator.gpu.requestAdapter();
    if (!a) return 'requestAdapter() returned null';
    const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter ?? null };
  } catch (err) {
    return `requestAdapter() threw ${describeError(err)}`;
  }
}

export async function runBench(mode: Mode, ids: readonly BackendId[]): Promise<BenchState> {
  const t0 = performance.now();
  const quick = mode === 'quick';
  const timing = {
    repeats: quick ? 2 : 5,
    budgetMs: quick ? 5_000 : 20_000,
    warmupCapMs: quick ? 15_000 : 60_000,
    caseDeadlineMs: quick ? 90_000 : 300_000,
  };
  const s: BenchState = (state = {
    tool: 'sigmoid-core bench/browser', done: false, error: null, mode, date: new Date().toISOString(),
    userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, adapter: await adapterInfo(),
    timing, backends: [], results: [], ratios: [], table: '', ratioTable: '', seconds: 0,
  });
  window.__bench = s;
  $('env').textContent = `${s.userAgent} · ${s.hardwareConcurrency} threads · WebGPU adapter: ${typeof s.adapter === 'string' ? s.adapter : JSON.stringify(s.adapter)}`;
  const cases = specs(mode);
  for (const id of ids) {
    const peer = makePeer(id);
    progress(`[${id}] starting…`);
    let info: PeerInfo;
    try {
      info = await deadline(peer.init(), 60_000, `${id} init`);
    } catch (err) {
      const reason = describeError(err);
      s.backends.push({ id, status: 'unavailable', info: null, reason });
      progress(`[${id}] unavailable: ${reason}`);
      render(s);
      continue;
    }
    s.backends.push({ id, status: 'ok', info, reason: null });
    for (const spec of cases) {
      progress(`[${id}] ${spec.name} ${spec.size}…`);
      const r = await deadline(runCase(peer, info, spec, timing), timing.caseDeadlineMs, `${id} ${spec.name} ${spec.size}`).catch(
        (err): BenchResult => ({ ...base(peer, info, spec), check: 'ERROR', detail: describeError(err) }),
      );
      s.results.push(r);
      progress(`[${id}] ${spec.name} ${spec.size}: ${r.check === 'ok' ? `median ${fmtMs(r.timing!.medianMs)}, ${fmtNum(r.throughput!)} ${r.unit}` : `${r.check}: ${r.detail}`}`);
      render(s);
    }
    await peer.destroy().catch(() => {});
  }
  const peers = s.backends.filter((b) => b.id !== OURS).map((b) => b.id);
  s.ratios = ratios(s.results, OURS, peers);
  s.table = formatTable(s.results);
  s.ratioTable = formatRatios(s.ratios, peers);
  s.seconds = (performance.now() - t0) / 1000;
  render(s);
  progress(`done in ${s.seconds.toFixed(1)} s: ${s.results.filter((r) => r.check === 'ok').length} of ${s.results.length} cases ok`);
  s.done = true;
  return s;
}

function base(peer: Peer, info: PeerInfo, spec: CaseSpec): BenchResult {
  return { backend: peer.id, device: info.device, workload: spec.name, size: spec.size, unit: spec.unit, timing: null, throughput: null, check: 'ERROR', detail: '' };
}

async function runCase(peer: Peer, info: PeerInfo, spec: CaseSpec, timing: TimingOptions): Promise<BenchResult> {
  const made = spec.make();
  const c = await peer.prepare(made.data);
  let failure: string | null = null;
  let checked = '';
  try {
    const t = await measure(
      () => c.run(),
      async (out, i) => {
        let values: Float32Array;
        try {
          values = await c.read(out);
        } finally {
          c.free(out);
        }
        const r = made.check(values, i + 1);
        checked = r.detail;
        if (!r.ok && failure === null) failure = `${i < 0 ? 'warm-up' : `run ${i + 1}`}: ${r.detail}`;
      },
      timing,
    );
    const ok = failure === null;
    return {
      ...base(peer, info, spec), timing: t, throughput: ok ? spec.throughput(t.medianMs / 1000) : null,
      check: ok ? 'ok' : 'FAILED', detail: failure ?? checked,
    };
  } catch (err) {
    if (err instanceof CaseSkipped) return { ...base(peer, info, spec), check: failure === null ? 'SKIPPED' : 'FAILED', detail: failure ?? err.message };
    throw err;
  } finally {
    c.dispose();
  }
}

// ---- rendering --------------------------------------------------------------------------------

function cell(tr: HTMLTableRowElement, text: string, cls = ''): void {
  const td = tr.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function render(s: BenchState): void {
  const tbody = $('results') as HTMLTableSectionElement;
  tbody.replaceChildren();
  for (const b of s.backends.filter((x) => x.status === 'unavailable')) {
    const tr = tbody.insertRow();
    tr.dataset.backend = b.id;
    cell(tr, b.id);
    cell(tr, '—');
    cell(tr, '—');
    for (let i = 0; i < 3; i++) cell(tr, '');
    cell(tr, 'unavailable', 'skip');
    cell(tr, b.reason ?? '', 'detail');
  }
  for (const r of s.results) {
    const tr = tbody.insertRow();
    tr.dataset.backend = r.backend;
    tr.dataset.workload = r.workload;
    tr.dataset.check = r.check;
    const ok = r.check === 'ok' && r.timing;
    cell(tr, r.backend);
    cell(tr, r.workload);
    cell(tr, r.size);
    cell(tr, ok ? fmtMs(r.timing!.medianMs) : '—', 'num');
    cell(tr, ok ? fmtRange(r.timing!.minMs, r.timing!.maxMs) : '—', 'num');
    cell(tr, r.throughput === null ? '—' : `${fmtNum(r.throughput)} ${r.unit}`, 'num');
    cell(tr, r.check === 'ok' ? `ok (${runs(r.timing?.samples.length ?? 0)})` : r.check, r.check === 'ok' ? 'ok' : r.check === 'SKIPPED' ? 'skip' : 'bad');
    cell(tr, r.detail, 'detail');
  }
  // Ratio table
  const peers = s.backends.filter((b) => b.id !== OURS).map((b) => b.id);
  const rt = $('ratios') as HTMLTableElement;
  rt.replaceChildren();
  const head = rt.createTHead().insertRow();
  for (const h of ['workload', 'size', ...peers.map((p) => `÷ ${p}`)]) head.appendChild(Object.assign(document.createElement('th'), { textContent: h }));
  const body = rt.createTBody();
  for (const row of ratios(s.results, OURS, peers)) {
    const tr = body.insertRow();
    cell(tr, row.workload);
    cell(tr, row.size);
    for (const p of peers) {
      const v = row.ratios[p] ?? null;
      cell(tr, fmtRatio(v), v === null ? 'num' : v >= 1 ? 'num ok' : 'num bad');
    }
  }
  // Bar chart: throughput per workload, scaled to the best backend of that workload.
  const chart = $('chart') as HTMLTableElement;
  chart.replaceChildren();
  const keys = [...new Set(s.results.map((r) => `${r.workload} ${r.size}`))];
  for (const key of keys) {
    const rows = s.results.filter((r) => `${r.workload} ${r.size}` === key && r.throughput !== null);
    const best = Math.max(...rows.map((r) => r.throughput!), 0);
    const h = chart.insertRow();
    cell(h, key);
    for (const r of rows) {
      const tr = chart.insertRow();
      cell(tr, `  ${r.backend}`);
      const td = tr.insertCell();
      const bar = document.createElement('span');
      bar.className = r.backend === OURS ? 'bar ours' : 'bar';
      bar.style.width = `${Math.max(1, (300 * r.throughput!) / best)}px`;
      td.append(bar, ` ${fmtNum(r.throughput!)} ${r.unit}`);
    }
  }
  ($('download') as HTMLButtonElement).disabled = s.results.length === 0;
}

function download(): void {
  if (!state) return;
  const blob = new Blob([`${JSON.stringify(state, null, 2)}\n`], { type: 'application/json' });
  const a = Object.assign(document.createElement('a'), {
    href: URL.createObjectURL(blob),
    download: `browser-${state.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`,
  });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---- controls ---------------------------------------------------------------------------------

const chosen = params.get('backends')?.split(',').filter(Boolean) ?? [...BACKENDS];
for (const id of BACKENDS) {
  const label = document.createElement('label');
  label.innerHTML = `<input type="checkbox" name="backend" value="${id}" ${chosen.includes(id) ? 'checked' : ''}/> ${id} `;
  $('backends').appendChild(label);
}
if (params.get('mode') === 'full') (document.querySelector('input[value=full]') as HTMLInputElement).checked = true;
$('download').addEventListener('click', download);
$('controls').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void start();
});

async function start(): Promise<void> {
  const form = $('controls') as HTMLFormElement;
  const mode = (new FormData(form).get('mode') as Mode | null) ?? 'quick';
  const ids = BACKENDS.filter((id) => (form.querySelector(`input[value="${id}"]`) as HTMLInputElement).checked);
  ($('run') as HTMLButtonElement).disabled = true;
  try {
    await runBench(mode, ids);
  } catch (err) {
    const msg = describeError(err);
    progress(`the run failed: ${msg}`);
    if (state) {
      state.error = msg;
      state.done = true;
    }
  } finally {
    ($('run') as HTMLButtonElement).disabled = false;
  }
}

if (params.get('autorun') === '1') void start();
