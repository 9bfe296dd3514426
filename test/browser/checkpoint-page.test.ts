// The browser checkpoint stores ('opfs:name', 'idb:name') in headless Chromium: Vite serves
// test/browser/checkpoint-page from source; the page trains a small model 4 epochs
// uninterrupted, then 2 epochs with a checkpoint after each, then resumes a model with
// another init seed from the store for epochs 2..3 — on the CPU engine and, when the
// browser has a WebGPU adapter (--enable-unsafe-webgpu: SwiftShader), on WebGPU. The resumed
// losses and weights must be the uninterrupted run's (CPU 1e-5 relative, WebGPU 1e-4). Also
// checked in the page: a second write replaces the first and is loadable, a missing entry is
// a CheckpointStoreError, a corrupted one a ValueError, OPFS keeps no temp files, and a CPU
// fit lets the page's timers run (a setTimeout stop flag is seen); opened at http://0.0.0.0
// (not a secure context), the library says that is why WebGPU and OPFS are missing. The
// page's state is written to test/.artifacts/checkpoint-page.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CkptState } from './checkpoint-page/main.js';
import { launchChromium, type Served, serve, type WatchedPage, watchedPage, within } from '../../tools/browser.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const artifacts = fileURLToPath(new URL('../.artifacts', import.meta.url));

let served: Served | undefined;
let browser: Browser | undefined;
let w: WatchedPage | undefined;
let state: CkptState;

beforeAll(async () => {
  served = await serve(`${here}checkpoint-page/vite.config.ts`);
  browser = await launchChromium({ webgpu: true });
  w = await watchedPage(browser);
  await w.page.goto(served.url, { waitUntil: 'load' });
  try {
    await w.page.waitForFunction(() => window.__ckpt?.done === true, { timeout: 45_000, polling: 100 });
  } catch (err) {
    throw new Error(`the checkpoint page did not finish: ${(err as Error).message}\n${w.problems()}`);
  }
  state = await within(w.page.evaluate(() => JSON.parse(JSON.stringify(window.__ckpt)) as CkptState), 10_000, 'the checkpoint page');
  // What the page measured, for a look after a failure.
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(`${artifacts}/checkpoint-page.json`, `${JSON.stringify(state, null, 2)}\n`);
}, 55_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

function expectRel(actual: number[], expected: number[], rtol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((a, i) => {
    const b = expected[i]!;
    expect(Math.abs(a - b) / Math.max(Math.abs(b), 1e-3), `${label}[${i}]: ${a} vs ${b}`).toBeLessThanOrEqual(rtol);
  });
}

describe('checkpoint stores in Chromium', () => {
  it('the page ran without errors', () => {
    expect(state.error, w!.problems()).toBeNull();
    expect(state.backends).toContain('cpu');
    expect(w!.pageErrors).toEqual([]);
    expect(w!.consoleErrors).toEqual([]);
    // Chromium is launched with WebGPU on (SwiftShader): a missing adapter is a failure, not a skip.
    expect(state.backends, `WebGPU did not run: ${state.skipped.webgpu}`).toContain('webgpu');
  });

  it('opfs: and idb: resume to the uninterrupted run (losses, step losses, weights)', () => {
    for (const backend of state.backends) {
      const rtol = backend === 'cpu' ? 1e-5 : 1e-4;
      for (const store of ['opfs:ck-test', 'idb:ck-test']) {
        const r = state.results.find((x) => x.backend === backend && x.store === store);
        const label = `${backend} ${store}`;
        expect(r, label).toBeDefined();
        expect(r!.error, label).toBeNull();
        expect(r!.resumedEpochs, label).toEqual([2, 3]);
        expectRel(r!.resumedLosses, r!.uninterruptedLosses.slice(2), rtol, `${label} epoch losses`);
        expectRel(r!.resumedStepLosses, r!.uninterruptedStepLosses.slice(8), rtol, `${label} step losses`);
        expect(r!.weightsMaxRelDiff, label).toBeLessThanOrEqual(rtol);
        expect(r!.weightsEqual && r!.ok, label).toBe(true);
        // The comparison is not vacuous: training moved the loss.
        expect(r!.uninterruptedLosses[3]!, label).toBeLessThan(r!.uninterruptedLosses[0]! * 0.9);
      }
    }
  });

  it('overwrite, missing and corrupted entries, no temp files', () => {
    const c = (name: string) => {
      const found = state.cases.find((x) => x.name === name);
      expect(found, name).toBeDefined();
      expect(found!.ok, `${name}: ${found!.detail}`).toBe(true);
      return found!.detail;
    };
    for (const kind of ['opfs', 'idb']) {
      expect(c(`${kind}: a second write replaces the first`)).toBe('read back [7,8]');
      c(`${kind}: a second checkpoint run wins and is loadable`);
      expect(c(`${kind}: resumeFrom a missing entry`)).toMatch(
        new RegExp(`^CheckpointStoreError: cannot read the checkpoint ${kind}:missing: .*\\[instanceof CheckpointStoreError\\]$`),
      );
      expect(c(`${kind}: resumeFrom a corrupted entry`)).toMatch(/^ValueError: .*not a readable checkpoint/);
    }
    expect(c('idb: resumeFrom a missing entry')).toMatch(/idb:missing: it does not exist/);
    expect(c('opfs: resumeFrom a missing entry')).toMatch(/opfs:missing: it does not exist/);
    c('opfs: no temp files are left');
  });

  it('a page that is not a secure context is told so: WebGPU and OPFS need one (it said "this browser has no WebGPU")', async () => {
    // http://0.0.0.0 reaches the same server, but is not a potentially trustworthy origin:
    // Chromium hides navigator.gpu and navigator.storage.getDirectory there.
    const page = await browser!.newPage();
    try {
      await page.goto(`${served!.url.replace('127.0.0.1', '0.0.0.0')}?probe`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.__ckpt?.done === true, { timeout: 20_000, polling: 100 });
      const p = await within(page.evaluate(() => window.__ckpt!.probe!), 10_000, 'the probe page');
      expect(p.secureContext, 'http://0.0.0.0 is not a secure context').toBe(false);
      expect(p.hasNavigatorGpu).toBe(false);
      expect(p.webgpu).toMatch(/^BackendUnavailableError: .*not a secure context.*https.*localhost/);
      expect(p.webgpu).not.toMatch(/this browser has no WebGPU/);
      expect(p.opfs).toMatch(/^ValueError: .*not a secure context/);
    } finally {
      await page.close();
    }
  });

  it('a CPU fit lets the page\'s timers run (a stop flag set by setTimeout is seen)', () => {
    const found = state.cases.find((x) => x.name === 'cpu: fit lets timers run (a stop flag set by setTimeout is seen)');
    expect(found, 'the case ran').toBeDefined();
    expect(found!.ok, found!.detail).toBe(true);
  });
});
