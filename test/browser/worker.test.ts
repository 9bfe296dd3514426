// The built library inside a module Worker in headless Chromium (test/browser/worker.html,
// served by test/browser/vite.config.ts, where `sigmoid-core` is dist/index.js): on WebGPU
// and on the CPU the worker computes a sigmoid-kernel Gram matrix, trains XOR and fits an
// rbf Nyström map at m = N, from inputs made from a fresh seed. Checked here: the Gram
// against float64, XOR to 4/4 with the loss down 100×, WebGPU's XOR outputs against the
// CPU's, Z·Zᵀ against the float64 kernel, nothing left alive, and no page or console errors.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Served, serve, type WatchedPage, watchedPage, within } from '../../tools/browser.js';
import { refGram, zztRelErr } from '../helpers/reference.js';
import { WORKER_GRAM, WORKER_NYSTROEM, WORKER_XOR, type WorkerBackendRun, type WorkerPageState, workerInputs } from './worker-data.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));
const seed = Date.now() % 2 ** 31;
const label = `seed ${seed}`;
// The worker's inputs and their float64 references, the same for both backends.
const input = workerInputs(seed);
const gramRef = refGram(input.gramX, input.gramY, WORKER_GRAM.n, WORKER_GRAM.m, WORKER_GRAM.d, {
  kernel: 'sigmoid', gamma: WORKER_GRAM.gamma, coef0: WORKER_GRAM.coef0, degree: 3,
});
const { n: nyN, d: nyD, gamma: nyGamma } = WORKER_NYSTROEM;
const nystroemKernel = refGram(input.nystroemX, input.nystroemX, nyN, nyN, nyD, { kernel: 'rbf', gamma: nyGamma, coef0: 0, degree: 3 });

let served: Served | undefined;
let browser: Browser | undefined;
let w: WatchedPage | undefined;
let state: WorkerPageState;

beforeAll(async () => {
  if (!existsSync(`${repo}dist/index.js`)) throw new Error('dist/index.js is missing: run `npm run build` first (`npm test` does)');
  served = await serve(`${here}vite.config.ts`);
  browser = await launchChromium({ webgpu: true });
  w = await watchedPage(browser);
  await w.page.goto(`${served.url}worker.html?seed=${seed}`, { waitUntil: 'load' });
  try {
    await w.page.waitForFunction(() => window.__worker?.done === true, { timeout: 60_000, polling: 100 });
  } catch (err) {
    throw new Error(`the worker page did not finish: ${(err as Error).message}\n${w.problems()}`);
  }
  state = await within(w.page.evaluate(() => JSON.parse(JSON.stringify(window.__worker)) as WorkerPageState), 10_000, 'the worker page');
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

function resultOf(backend: 'webgpu' | 'cpu'): WorkerBackendRun {
  const r = state.results.find((x) => x.backend === backend);
  if (r === undefined) throw new Error(`no ${backend} result from the worker (${state.error ?? 'none posted'}); ${w!.problems()}`);
  if (r.error !== null) throw new Error(`${backend} in the worker: ${r.error}`);
  return r;
}

describe('the library in a module Worker', () => {
  it('the worker ran to the end with no page or console errors', () => {
    expect(state.error, w!.problems()).toBeNull();
    expect(state.seed).toBe(seed);
    expect(w!.pageErrors).toEqual([]);
    expect(w!.consoleErrors).toEqual([]);
    // Chromium runs with WebGPU on (SwiftShader): no adapter in the worker is a failure.
    expect(resultOf('webgpu').adapter).toMatch(/\S/);
  });

  describe.each(['webgpu', 'cpu'] as const)('%s', (backend) => {
    it('the sigmoid-kernel Gram matches float64', () => {
      const got = resultOf(backend).gram;
      expect(got.length, label).toBe(WORKER_GRAM.n * WORKER_GRAM.m);
      let worst = 0;
      got.forEach((v, i) => {
        worst = Math.max(worst, Number.isFinite(v) ? Math.abs(v - gramRef[i]!) : Infinity);
      });
      expect(worst, `${label}: max |K − K64|`).toBeLessThanOrEqual(1e-5);
    });

    it('XOR trains to 4/4 with the loss down 100×', () => {
      const r = resultOf(backend);
      expect(r.xorOutputs.map((y) => (y > 0.5 ? 1 : 0)), `outputs ${r.xorOutputs.join(', ')}`).toEqual([...WORKER_XOR.targets]);
      expect(r.xorLoss[1], `loss ${r.xorLoss.join(' → ')}`).toBeLessThan(r.xorLoss[0] / 100);
    });

    it('the rbf Nyström map at m = N gives Z·Zᵀ = K (float32-exact)', () => {
      const r = resultOf(backend);
      expect([r.z.length, r.zCols], label).toEqual([nyN * nyN, nyN]);
      expect(zztRelErr(nystroemKernel, { rows: nyN, cols: r.zCols, data: r.z }), `${label}: ‖K − Z·Zᵀ‖/‖K‖`).toBeLessThanOrEqual(1e-4);
    });

    it('leaves no tensor alive', () => {
      expect(resultOf(backend).liveTensors).toBe(0);
    });
  });

  it('WebGPU trains XOR to the CPU backend\'s outputs', () => {
    const gpu = resultOf('webgpu').xorOutputs;
    const cpu = resultOf('cpu').xorOutputs;
    gpu.forEach((v, i) => expect(Math.abs(v - cpu[i]!), `output ${i}: ${v} vs ${cpu[i]}`).toBeLessThanOrEqual(1e-3));
  });
});
