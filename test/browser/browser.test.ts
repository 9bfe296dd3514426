// The op checks of test/cases/ops.ts in headless Chromium, against the built library
// (dist/index.js, made by `npm run build`, which `npm test` runs first): Vite serves
// test/browser/index.html on 127.0.0.1 (a secure context, so navigator.gpu exists),
// puppeteer opens it, waits for the page to run every case on WebGPU and on the CPU (and
// the tiling-dependent ones under each WebGPU tiling: opRuns), and each (run, case)
// becomes one test here. The page is screenshotted to test/.artifacts/browser-ops.png.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Served, serve, type WatchedPage, watchedPage, within } from '../../tools/browser.js';
import { opRuns } from '../cases/ops.js';
import type { CaseResult, PageResults } from './main.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = `${repo}test/.artifacts`;

/** SwiftShader runs compute at ~0.1–0.2 GFLOP/s on 2 cores: give the page plenty of time. */
const PAGE_TIMEOUT_MS = 20 * 60_000;

let served: Served | undefined;
let browser: Browser | undefined;
let watched: WatchedPage | undefined;
let url = '';
/** Results as the page reports them, one by one (kept even if the page later hangs). */
const results: CaseResult[] = [];
/** The page's final state (adapter, navigator.gpu, user agent); null if it never answered. */
let pageState: PageResults | null = null;
/** Why the run is incomplete (page timed out, crashed, stopped answering), or null. */
let incomplete: string | null = null;
const expected = opRuns.flatMap((run) => run.cases.map((c) => `${run.name}/${c.name}`));

function pageProblems(): string {
  return watched?.problems() ?? 'the page was never opened';
}

beforeAll(async () => {
  if (!existsSync(`${repo}dist/index.js`)) {
    throw new Error('dist/index.js is missing: run `npm run build` first (`npm test` does)');
  }
  mkdirSync(artifacts, { recursive: true });

  served = await serve(`${here}vite.config.ts`);
  url = served.url;
  browser = await launchChromium({ webgpu: true });
  watched = await watchedPage(browser, (text) => {
    if (text.startsWith('[ops]')) console.log(`chromium ${text}`);
  });
  const page = watched.page;
  await page.exposeFunction('__onResult', (r: CaseResult) => {
    results.push(r);
  });

  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  try {
    await page.waitForFunction(() => window.__done === true, { timeout: PAGE_TIMEOUT_MS, polling: 500 });
  } catch (err) {
    const next = expected.find((k) => !results.some((r) => `${r.run}/${r.name}` === k));
    incomplete =
      `the page did not finish within ${PAGE_TIMEOUT_MS / 1000} s (${(err as Error).message})` +
      (next ? `; no result after ${next} started` : '');
  }
  pageState = await within(page.evaluate(() => window.__results ?? null), 15_000, 'the page').catch((err: Error) => {
    incomplete = `${incomplete ?? 'the page finished'}; then ${err.message}`;
    return null;
  });
  // Results normally all arrive through __onResult; the final snapshot covers any in flight.
  if (pageState && pageState.results.length > results.length) results.splice(0, results.length, ...pageState.results);
  console.log(
    `browser ops: ${results.length} of ${expected.length} results in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
      (incomplete ? ` — ${incomplete}` : ''),
  );
  await within(page.screenshot({ path: `${artifacts}/browser-ops.png`, fullPage: true }), 30_000, 'the screenshot').catch(
    (err: Error) => console.log(`browser ops: no screenshot: ${err.message}`),
  );
}, PAGE_TIMEOUT_MS + 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

function resultFor(run: string, name: string): CaseResult {
  const r = results.find((x) => x.run === run && x.name === name);
  if (r) return r;
  throw new Error(
    `no result for ${run}/${name} from ${url || 'the page'}: ` +
      `${incomplete ?? 'the page finished without it'} (got ${results.length} of ${expected.length} results)\n${pageProblems()}`,
  );
}

describe('op checks in headless Chromium', () => {
  for (const run of opRuns) {
    describe(run.name, () => {
      for (const c of run.cases) {
        it(c.name, () => {
          const r = resultFor(run.name, c.name);
          if (!r.ok) throw new Error(`${run.name}/${c.name} failed in Chromium: ${r.error}`);
        });
      }
    });
  }

  it('page loads with no console errors and no page errors', () => {
    expect(pageState, `the page published no results at ${url}: ${incomplete}`).not.toBeNull();
    expect(watched?.pageErrors, 'page errors').toEqual([]);
    expect(watched?.consoleErrors, `console errors (warnings: ${JSON.stringify(watched?.consoleWarnings)})`).toEqual([]);
  });

  it('webgpu runs on an adapter in Chromium', () => {
    expect(pageState, `the page published no results at ${url}: ${incomplete}`).not.toBeNull();
    const adapter = pageState!.adapter;
    if (!adapter) {
      const error = results.find((r) => r.run === 'webgpu')?.error ?? 'no webgpu result';
      throw new Error(
        `no WebGPU adapter in Chromium (navigator.gpu ${pageState!.hasNavigatorGpu ? 'exists' : 'is missing'}; ` +
          `${pageState!.userAgent}): ${error}`,
      );
    }
    console.log(`Chromium WebGPU adapter: ${JSON.stringify(adapter)}`);
    expect(`${adapter.vendor}${adapter.architecture}`, 'adapter vendor/architecture').not.toBe('');
  });
});
