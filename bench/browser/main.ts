// The browser benchmark page: runs bench/peer-run.ts (sigmoid-core WebGPU and CPU,
// TensorFlow.js webgpu/wasm/cpu, jax-js webgpu/wasm, each case on every backend, runs in turn, in one
// page) and renders its state as it goes: the results table, the ratio table, a bar chart,
// and the JSON to download. Query string: ?mode=quick|full|gpu &backends=id,id… &autorun=1
// (the runner and the e2e test use it); a value it cannot use is reported on the page and
// nothing runs (window.__bench is then a finished state whose error says why). Everything is
// published on window.__bench, and handed to window.__benchPublish when the runner set it.
import { type BackendId, BACKENDS, type BenchState, type Mode, MODES, notRun, OURS, parseBackends, runBench, type RunEnv } from '../peer-run.js';
import { describeError } from '../../tools/describe-error.js';
import { fileStamp, fmtNum, fmtRange, fmtMs, fmtRatio, runs } from '../table.js';

export type { BenchState } from '../peer-run.js';

declare global {
  interface Window {
    __bench?: BenchState;
    /** Set by the headless runner (bench/browser/run.ts): takes every state published. */
    __benchPublish?: (s: BenchState) => Promise<void>;
  }
}

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);
let state: BenchState | null = null;

function progress(line: string): void {
  $('progress').textContent = line;
  console.log(`[bench] ${line}`);
}

function update(s: BenchState): void {
  state = s;
  window.__bench = s;
  window.__benchPublish?.(s).catch(() => {}); // a runner that has gone: nothing to hand it
  // On every update: a run changes its state in place (the adapter once asked).
  $('env').textContent = `${s.userAgent} · ${s.hardwareConcurrency} threads · WebGPU adapter: ${typeof s.adapter === 'string' ? s.adapter : JSON.stringify(s.adapter)}`;
  render(s);
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
  if (!s.backends.some((b) => b.id === OURS && b.status === 'ok')) {
    rt.createCaption().textContent = `${OURS} is not in this run (not chosen, or unavailable), so there are no ratios`;
  }
  const head = rt.createTHead().insertRow();
  for (const h of ['workload', 'size', ...peers.map((p) => `÷ ${p}`)]) head.appendChild(Object.assign(document.createElement('th'), { textContent: h }));
  const body = rt.createTBody();
  for (const row of s.ratios) {
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
    cell(h, key, 'group');
    for (const r of rows) {
      const tr = chart.insertRow();
      cell(tr, r.backend, 'name');
      const td = tr.insertCell();
      const bar = document.createElement('span');
      bar.className = r.backend === OURS ? 'bar ours' : 'bar';
      bar.style.width = `${Math.max(1, (300 * r.throughput!) / best)}px`;
      td.append(bar, ` ${fmtNum(r.throughput!)} ${r.unit}`);
    }
  }
  ($('download') as HTMLButtonElement).disabled = false; // any run's state, one with no result yet (or none at all) too
}

function download(): void {
  if (!state) return;
  const blob = new Blob([`${JSON.stringify(state, null, 2)}\n`], { type: 'application/json' });
  const a = Object.assign(document.createElement('a'), {
    href: URL.createObjectURL(blob),
    download: `browser-${state.mode}-${fileStamp(state.date)}.json`, // named as the headless runner names its file
  });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---- controls ---------------------------------------------------------------------------------

function env(): RunEnv {
  return { tool: 'sigmoid-core bench/browser', userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency };
}

/** A query parameter that cannot be used: shown instead of running. */
let badQuery: string | null = null;
let chosen: readonly BackendId[] = [...BACKENDS];
const asked = params.get('backends');
if (asked !== null) {
  try {
    chosen = parseBackends(asked);
  } catch (err) {
    badQuery = `?backends=${asked}: ${(err as Error).message}`;
    chosen = [];
  }
}
const askedMode = params.get('mode');
if (askedMode !== null && !(MODES as readonly string[]).includes(askedMode)) badQuery = `?mode=${askedMode}: choose ${MODES.slice(0, -1).join(', ')} or ${MODES.at(-1)}`;
for (const id of BACKENDS) {
  const label = document.createElement('label');
  label.innerHTML = `<input type="checkbox" name="backend" value="${id}" ${chosen.includes(id) ? 'checked' : ''}/> ${id} `;
  $('backends').appendChild(label);
}
if (askedMode === 'full' || askedMode === 'gpu') (document.querySelector(`input[value=${askedMode}]`) as HTMLInputElement).checked = true;
if (badQuery !== null) {
  progress(`not run: ${badQuery}`);
  const mode = (MODES as readonly string[]).includes(askedMode ?? '') ? (askedMode as Mode) : 'quick';
  update(notRun(mode, badQuery, env()));
}
$('download').addEventListener('click', download);
$('controls').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void start();
});

async function start(): Promise<void> {
  const run = $('run') as HTMLButtonElement;
  // A run is in flight: the disabled button stops clicks, this any other submit (requestSubmit()).
  if (run.disabled) return;
  const form = $('controls') as HTMLFormElement;
  const mode = (new FormData(form).get('mode') as Mode | null) ?? 'quick';
  const ticked = BACKENDS.filter((id) => (form.querySelector(`input[value="${id}"]`) as HTMLInputElement).checked);
  // In the ?backends= order (the runner's --backends), then any other box ticked, in the page's order.
  const ids = [...chosen.filter((id) => ticked.includes(id)), ...ticked.filter((id) => !chosen.includes(id))];
  if (ids.length === 0) {
    progress('not run: choose at least one backend');
    return;
  }
  run.disabled = true;
  try {
    await runBench(mode, ids, { progress, update }, env());
  } catch (err) {
    const msg = describeError(err);
    progress(`the run failed: ${msg}`);
    // Published done, as a run that ends is: the headless runner waits for it.
    if (state) {
      state.error = msg;
      state.done = true;
      update(state);
    } else {
      update(notRun(mode, `the run failed: ${msg}`, env()));
    }
  } finally {
    run.disabled = false;
  }
}

if (params.get('autorun') === '1' && badQuery === null) void start();
