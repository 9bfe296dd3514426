// test/browser/worker.html: starts worker.ts as a module Worker with the seed of the URL's
// ?seed= (default 1), collects what it posts and publishes it as window.__worker for
// worker.test.ts (puppeteer); the status line says how far it got.
import type { WorkerMessage, WorkerPageState } from './worker-data.js';

declare global {
  interface Window {
    __worker?: WorkerPageState;
  }
}

const statusEl = document.getElementById('status')!;
const state: WorkerPageState = { seed: Number(new URLSearchParams(location.search).get('seed') ?? 1), results: [], done: false, error: null };
window.__worker = state;

function show(): void {
  const lines = state.results.map((r) => (r.error === null ? `${r.backend}${r.adapter ? ` (${r.adapter})` : ''}: ran` : `${r.backend}: ${r.error}`));
  if (state.error !== null) lines.push(`worker error: ${state.error}`);
  statusEl.textContent = `${lines.join('\n')}${state.done ? '\ndone' : '\nrunning…'}`;
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
  const m = ev.data;
  if (m.kind === 'result') state.results.push(m.result);
  else if (m.kind === 'error') state.error = m.message;
  if (m.kind !== 'result') state.done = true;
  show();
};
// A worker that cannot load (a failed import, a syntax error) never posts: this says why.
worker.onerror = (ev) => {
  state.error = ev.message || 'the worker failed to load';
  state.done = true;
  show();
};
worker.postMessage({ seed: state.seed });
