// The browser op-check page: runs every case of test/cases/ops.ts (the same checks the
// Node tests run) against the BUILT library, on WebGPU (navigator.gpu) and on the CPU, and
// the tiling-dependent cases under each WebGPU tiling (opRuns); shows a table and
// publishes the results on `window` for browser.test.ts (puppeteer).
import * as lib from 'sigmoid-core';
import type { Engine } from '../../src/index.js';
import { type OpRun, opRuns } from '../cases/ops.js';
import { describeError } from '../../tools/describe-error.js';

export interface CaseResult {
  /** The OpRun's name ('webgpu tiling=register', 'webgpu tiling=workgroup' or 'cpu'). */
  run: string;
  name: string;
  ok: boolean;
  error: string | null;
  ms: number;
}

export interface PageResults {
  /** The WebGPU adapter the 'webgpu' engine ran on; null when there was none. */
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean } | null;
  /** Whether navigator.gpu exists at all (false outside a secure context or without WebGPU). */
  hasNavigatorGpu: boolean;
  userAgent: string;
  results: CaseResult[];
}

declare global {
  interface Window {
    __results?: PageResults;
    __done?: boolean;
    /** Set by the test runner (puppeteer's exposeFunction) to receive each result as it comes. */
    __onResult?: (r: CaseResult) => void;
  }
}

/** A case that neither resolves nor rejects (a lost GPU promise) must not stall the rest. */
const CASE_TIMEOUT_MS = 180_000;

const statusEl = document.getElementById('status')!;
const tbody = document.getElementById('results')!;
const page: PageResults = {
  adapter: null,
  hasNavigatorGpu: 'gpu' in navigator && navigator.gpu !== undefined,
  userAgent: navigator.userAgent,
  results: [],
};
window.__results = page;
const expected = opRuns.reduce((n, r) => n + r.cases.length, 0);
let running: string | null = null;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function record(r: CaseResult): void {
  page.results.push(r);
  void window.__onResult?.(r);
  const tr = document.createElement('tr');
  tr.className = r.ok ? 'ok' : 'fail';
  for (const [cls, text] of [
    ['', r.run], ['', r.name], ['result', r.ok ? 'ok' : 'FAIL'], ['ms', r.ms.toFixed(0)], ['error', r.error ?? ''],
  ] as const) {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    td.textContent = text;
    tr.append(td);
  }
  tbody.append(tr);
  if (!r.ok) console.info(`[ops] FAIL ${r.run} ${r.name}: ${r.error}`);
}

function showStatus(): void {
  const failed = page.results.filter((r) => !r.ok).length;
  const adapter = page.adapter
    ? `${page.adapter.vendor} ${page.adapter.architecture}${page.adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}`
    : page.hasNavigatorGpu ? 'none' : 'no navigator.gpu';
  statusEl.textContent =
    `WebGPU adapter: ${adapter}\n` +
    `${page.results.length} of ${expected} done, ${failed} failed` + (running ? ` — running ${running}` : '');
}

async function runCases(run: OpRun): Promise<void> {
  let engine: Engine;
  const opts = { backend: run.backend, tiling: run.tiling };
  try {
    engine = await lib.createEngine({ ...opts, log: null, poisonOutputs: true });
    if (run.tiling !== undefined && engine.tiling !== run.tiling) throw new Error(`the engine runs tiling ${engine.tiling}`);
  } catch (err) {
    const error = `createEngine(${JSON.stringify(opts)}) failed: ${describeError(err)}`;
    for (const c of run.cases) record({ run: run.name, name: c.name, ok: false, error, ms: 0 });
    return;
  }
  try {
    const info = engine.adapterInfo;
    if (run.backend === 'webgpu' && info) {
      // Copy the fields: a GPUAdapterInfo's getters would not survive page.evaluate().
      const { vendor, architecture, device, description, isFallbackAdapter } = info;
      page.adapter = { vendor, architecture, device, description, isFallbackAdapter };
    }
    for (const c of run.cases) {
      running = `${run.name}/${c.name}`;
      showStatus();
      const t0 = performance.now();
      const before = engine.memory();
      let error: string | null = null;
      try {
        // As in test/ops.test.ts: sync() surfaces GPU validation errors the case caused.
        await withTimeout(c.run(engine, lib).then(() => engine.sync()), CASE_TIMEOUT_MS, `case '${c.name}'`);
        const after = engine.memory();
        if (after.liveTensors !== before.liveTensors || after.liveBytes !== before.liveBytes) {
          error = `leak: ${after.liveTensors - before.liveTensors} tensors (${after.liveBytes - before.liveBytes} bytes) still alive after the case`;
        }
      } catch (err) {
        error = describeError(err);
      }
      record({ run: run.name, name: c.name, ok: error === null, error, ms: performance.now() - t0 });
    }
  } finally {
    engine.destroy();
  }
}

async function main(): Promise<void> {
  for (const run of opRuns) {
    const t0 = performance.now();
    await runCases(run);
    const mine = page.results.filter((r) => r.run === run.name);
    console.info(
      `[ops] ${run.name}: ${mine.filter((r) => r.ok).length} of ${mine.length} passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  running = null;
  showStatus();
}

main()
  .catch((err: unknown) => {
    // Should not happen (every case is caught); surfaces as a page error if it does.
    statusEl.textContent = `harness error: ${describeError(err)}`;
    throw err;
  })
  .finally(() => {
    window.__done = true;
  });
