// The browser benchmark page (bench/browser/) in quick mode, end to end: Vite serves it
// on 127.0.0.1, headless Chromium with WebGPU runs every backend, and the test checks that
// the run completes, the results table has a row per workload for every backend that
// started (a peer that cannot start is listed as unavailable with its reason, never
// thrown), every timed result passed its float64 check, and the page logged no errors.
// A screenshot of the finished page goes to test/.artifacts/bench-page-quick.png.
import type { Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, type Served, serve, type WatchedPage, watchedPage, within } from '../../tools/browser.js';
import type { BenchState } from '../../bench/peer-run.js';
import { fileStamp } from '../../bench/table.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = `${repo}test/.artifacts`;
/** Quick mode takes well under a minute on SwiftShader; allow for a loaded machine. */
const PAGE_TIMEOUT_MS = 5 * 60_000;
const WORKLOADS = ['matmul', 'sigmoid', 'gram', 'mlp'];

let served: Served | undefined;
let browser: Browser | undefined;
let watched: WatchedPage | undefined;
let state: BenchState | null = null;
let incomplete: string | null = null;
let rows: { backend: string; workload: string; check: string }[] = [];
/** The throughput chart as drawn: a heading row per workload, then a bar row per timed result. */
let chart: { group: string | null; name: string | null; width: number | null; label: string }[] = [];

beforeAll(async () => {
  served = await serve(`${repo}bench/browser/vite.config.ts`);
  browser = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

/** Runs `body` on a new watched page of the shared browser (its console lines to `onLog`), and closes the page after. */
async function withPage(body: (w: WatchedPage) => Promise<void>, onLog?: (text: string) => void): Promise<void> {
  const w = await watchedPage(browser!, onLog);
  try {
    await body(w);
  } finally {
    await w.page.close();
  }
}

describe('benchmark page, quick mode, headless Chromium', () => {
  beforeAll(async () => {
    watched = await watchedPage(browser!, (text) => {
      if (text.startsWith('[bench]')) console.log(`chromium ${text}`);
    });
    const page = watched.page;
    await page.setViewport({ width: 1400, height: 1000 }); // a desktop window, for the screenshot
    await page.goto(`${served!.url}?mode=quick&autorun=1`, { waitUntil: 'load' });
    await page
      .waitForFunction(() => window.__bench?.done === true, { timeout: PAGE_TIMEOUT_MS, polling: 500 })
      .catch((err: Error) => (incomplete = `the page did not finish within ${PAGE_TIMEOUT_MS / 1000} s (${err.message})`));
    mkdirSync(artifacts, { recursive: true });
    // A page that crashed cannot be photographed: say so, and let the tests below say why it failed.
    await page.screenshot({ path: `${artifacts}/bench-page-quick.png`, fullPage: true })
      .catch((err: Error) => console.warn(`bench page: no screenshot: ${err.message}`));
    state = await within(page.evaluate(() => (window.__bench ?? null) as BenchState | null), 15_000, 'the page').catch((err: Error) => {
      incomplete = `${incomplete ?? 'the page finished'}; then ${err.message}`;
      return null;
    });
    rows = await within(
      page.$$eval('#results tr', (trs) =>
        trs.map((tr) => ({ backend: tr.dataset.backend ?? '', workload: tr.dataset.workload ?? '', check: tr.dataset.check ?? '' })),
      ),
      15_000,
      'the results table',
    ).catch(() => []);
    chart = await within(
      page.$$eval('#chart tr', (trs) =>
        trs.map((tr) => {
          const bar = tr.querySelector<HTMLElement>('.bar');
          return {
            group: tr.querySelector('td.group')?.textContent ?? null,
            name: tr.querySelector('td.name')?.textContent ?? null,
            width: bar ? bar.getBoundingClientRect().width : null,
            label: tr.textContent ?? '',
          };
        }),
      ),
      15_000,
      'the chart',
    ).catch(() => []);
  }, PAGE_TIMEOUT_MS + 60_000);

  it('completes', () => {
    expect(state, `no window.__bench: ${incomplete}\n${watched?.problems()}`).not.toBeNull();
    expect(incomplete, watched?.problems()).toBeNull();
    expect(state!.done).toBe(true);
    expect(state!.error).toBeNull();
    expect(state!.mode).toBe('quick');
  });

  it('has a table row per workload for every backend that started, sigmoid-core WebGPU included', () => {
    const started = state!.backends.filter((b) => b.status === 'ok').map((b) => b.id);
    for (const b of state!.backends.filter((x) => x.status === 'unavailable')) console.log(`bench page: ${b.id} unavailable: ${b.reason}`);
    expect(started).toContain('sigmoid-core-webgpu');
    expect(started).toContain('sigmoid-core-cpu');
    for (const backend of started) {
      const workloads = rows.filter((r) => r.backend === backend).map((r) => r.workload);
      expect(workloads, `table rows of ${backend}`).toEqual(WORKLOADS);
    }
    expect(state!.results).toHaveLength(started.length * WORKLOADS.length);
    expect(state!.ratios.map((r) => r.workload)).toEqual(WORKLOADS);
  });

  it('charts a bar per timed result under its workload, the fastest of each workload full width', () => {
    const timed = state!.results.filter((r) => r.throughput !== null);
    const drawn: { workload: string; backend: string; width: number; label: string }[] = [];
    let group = '';
    for (const row of chart) {
      if (row.group !== null) group = row.group;
      else drawn.push({ workload: group, backend: row.name ?? '', width: row.width ?? Number.NaN, label: row.label });
    }
    expect(chart.filter((r) => r.group !== null).map((r) => r.group)).toEqual(state!.ratios.map((r) => `${r.workload} ${r.size}`));
    expect(drawn.map((d) => `${d.workload}: ${d.backend}`)).toEqual(timed.map((r) => `${r.workload} ${r.size}: ${r.backend}`));
    for (const workload of new Set(timed.map((r) => r.workload))) {
      const mine = timed.filter((r) => r.workload === workload);
      const best = Math.max(...mine.map((r) => r.throughput!));
      const bars = drawn.filter((x) => x.workload.startsWith(`${workload} `));
      const full = Math.max(...bars.map((x) => x.width));
      expect(full, `${workload}: the widest bar`).toBeGreaterThan(100);
      for (const r of mine) {
        const d = bars.find((x) => x.backend === r.backend)!;
        expect(d.width, `${workload} ${r.backend}: bar width`).toBeCloseTo(Math.max(1, (full * r.throughput!) / best), 0);
        expect(d.label, `${workload} ${r.backend}`).toContain(r.unit);
      }
    }
  });

  it('every timed result passed its float64 check (a case skipped for time is allowed, not a failure)', () => {
    const bad = state!.results.filter((r) => r.check === 'FAILED' || r.check === 'ERROR');
    expect(bad.map((r) => `${r.backend} ${r.workload}: ${r.check} ${r.detail}`)).toEqual([]);
    for (const r of state!.results.filter((x) => x.timing !== null)) {
      expect(r.check, `${r.backend} ${r.workload}`).toBe('ok');
      expect(r.throughput, `${r.backend} ${r.workload}`).toBeGreaterThan(0);
    }
    const ours = state!.results.filter((r) => r.backend.startsWith('sigmoid-core'));
    expect(ours.every((r) => r.check === 'ok'), JSON.stringify(ours.map((r) => [r.backend, r.workload, r.check, r.detail]))).toBe(true);
  });

  it('records the adapter and user agent', () => {
    expect(typeof state!.adapter === 'object', `adapter: ${JSON.stringify(state!.adapter)}`).toBe(true);
    expect(state!.userAgent).toContain('Chrome');
    expect(state!.results.every((r) => r.device.length > 0)).toBe(true);
  });

  it('logs no page or console errors', () => {
    expect(watched?.pageErrors, 'page errors').toEqual([]);
    expect(watched?.consoleErrors, `console errors (warnings: ${JSON.stringify(watched?.consoleWarnings)})`).toEqual([]);
  });
});

describe('benchmark page, query parameters it cannot use', () => {
  it.each([
    ['backends=nonexistent', /not run: \?backends=nonexistent: unknown backend\(s\) \["nonexistent"\]: choose from sigmoid-core-webgpu, /],
    ['backends=', /not run: \?backends=: unknown backend/],
    ['mode=bogus', /not run: \?mode=bogus: choose quick, full or gpu/],
  ])('?%s is reported on the page and nothing runs; window.__bench says so (done, with the error)', async (query, message) => {
    await withPage(async (w) => {
      await w.page.goto(`${served!.url}?autorun=1&${query}`, { waitUntil: 'load' });
      await w.page.waitForFunction(() => document.getElementById('progress')?.textContent?.startsWith('not run'), { timeout: 30_000, polling: 100 });
      expect(await w.page.$eval('#progress', (e) => e.textContent)).toMatch(message);
      await new Promise((done) => setTimeout(done, 500));
      // A runner polling window.__bench.done stops at once (it waited 15/90 min for a run that never started).
      const s = await w.page.evaluate(() => window.__bench ?? null);
      expect(s, 'a finished state is published').not.toBeNull();
      expect(s!.done).toBe(true);
      expect(s!.error).toMatch(message);
      expect([s!.backends, s!.results]).toEqual([[], []]);
      expect(w.pageErrors, 'page errors').toEqual([]);
    });
  }, 60_000);
});

describe('benchmark page opened by hand (no autorun): Run, Download JSON, a second Run', () => {
  it('runs what is ticked, downloads the state it shows, and a second run replaces the first at once', async () => {
    const downloads = mkdtempSync(join(tmpdir(), 'bench-page-download-'));
    try {
      await withPage(async (w) => {
        const cdp = await w.page.createCDPSession();
        await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
        await w.page.goto(`${served!.url}?backends=sigmoid-core-cpu`, { waitUntil: 'load' });
        await w.page.waitForFunction(() => document.querySelectorAll('input[name=backend]').length > 0, { timeout: 30_000 });
        const controls = () => w.page.evaluate(() => ({
          run: (document.getElementById('run') as HTMLButtonElement).disabled,
          download: (document.getElementById('download') as HTMLButtonElement).disabled,
          progress: document.getElementById('progress')!.textContent,
          bench: window.__bench ?? null,
        }));
        expect(await controls()).toEqual({ run: false, download: true, progress: 'idle', bench: null });

        await w.page.click('#run');
        await w.page.waitForFunction(() => window.__bench?.done === true, { timeout: 120_000, polling: 200 });
        const first = (await controls()).bench!;
        expect(first.results.map((r) => [r.backend, r.check])).toEqual(WORKLOADS.map(() => ['sigmoid-core-cpu', 'ok']));
        expect(await controls()).toMatchObject({ run: false, download: false, progress: expect.stringMatching(/^done in /) });
        // The adapter the run found (the line said 'being asked' for good: the run updates its state in place).
        expect(typeof first.adapter).toBe('object');
        const env = await w.page.$eval('#env', (e) => e.textContent ?? '');
        expect(env.endsWith(` · WebGPU adapter: ${JSON.stringify(first.adapter)}`), env).toBe(true);

        await w.page.click('#download');
        const name = `browser-quick-${fileStamp(first.date)}.json`;
        for (let i = 0; i < 100 && !existsSync(join(downloads, name)); i++) await new Promise((done) => setTimeout(done, 100));
        expect(readdirSync(downloads), 'the downloaded file, named as the runner names its JSON').toEqual([name]);
        expect(JSON.parse(readFileSync(join(downloads, name), 'utf8'))).toEqual(first);

        // The second run, clicked in the page: from the click on, window.__bench is the new run's
        // (it kept the first run's finished state, done with its results, while the adapter was asked).
        const atClick = await w.page.evaluate(() => {
          (document.getElementById('run') as HTMLButtonElement).click();
          const s = window.__bench!;
          return { done: s.done, results: s.results.length, date: s.date, run: (document.getElementById('run') as HTMLButtonElement).disabled };
        });
        expect(atClick).toMatchObject({ done: false, results: 0, run: true });
        expect(atClick.date).not.toBe(first.date);
        await w.page.waitForFunction(() => window.__bench?.done === true, { timeout: 120_000, polling: 200 });
        const second = (await controls()).bench!;
        expect(second.date).toBe(atClick.date);
        expect(second.results.map((r) => [r.backend, r.check])).toEqual(WORKLOADS.map(() => ['sigmoid-core-cpu', 'ok']));
        expect(w.pageErrors, 'page errors').toEqual([]);
      });
    } finally {
      rmSync(downloads, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('benchmark page, Run while a run is in flight', () => {
  it('a second submit starts nothing (two runs went on side by side, timing each other)', async () => {
    const starts: string[] = [];
    const onLog = (text: string): void => {
      if (text.endsWith('starting…')) starts.push(text);
    };
    await withPage(async (w) => {
      await w.page.goto(`${served!.url}?backends=sigmoid-core-cpu`, { waitUntil: 'load' });
      await w.page.waitForFunction(() => document.querySelectorAll('input[name=backend]').length > 0, { timeout: 30_000 });
      // The disabled Run button stops a click; a submit from script, or a second one before the first is handled, is not stopped by it.
      const date = await w.page.evaluate(() => {
        const form = document.getElementById('controls') as HTMLFormElement;
        form.requestSubmit();
        const first = window.__bench!.date;
        form.requestSubmit();
        return first;
      });
      await w.page.waitForFunction(() => window.__bench?.done === true, { timeout: 120_000, polling: 200 });
      await new Promise((done) => setTimeout(done, 2000)); // a second run, had it started, would have published by now
      const s = (await w.page.evaluate(() => window.__bench!))!;
      expect(starts).toEqual(['[bench] [sigmoid-core-cpu] starting…']);
      expect([s.date, s.results.length]).toEqual([date, WORKLOADS.length]);
    }, onLog);
  }, 180_000);
});

describe('benchmark page while a CPU backend runs', () => {
  it('answers and shows its progress between runs (it gave the event loop back only at the end of the backend)', async () => {
    await withPage(async (w) => {
      // Full sizes on sigmoid-core's CPU backend: about a minute of cases whose runs and reads
      // all resolve as microtasks. The page used to answer its first evaluate (and repaint)
      // only when the whole backend was done.
      await w.page.goto(`${served!.url}?mode=full&autorun=1&backends=sigmoid-core-cpu`, { waitUntil: 'load' });
      const seen: { done: boolean; results: number; shown: number }[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < 12_000) {
        seen.push(await w.page.evaluate(() => ({
          done: window.__bench?.done ?? false,
          results: window.__bench?.results.length ?? 0,
          shown: document.querySelectorAll('#results tr').length,
        })));
        await new Promise((done) => setTimeout(done, 200));
      }
      // A matmul 2048 run holds the thread some seconds: polls are answered between runs.
      expect(seen.length, JSON.stringify(seen)).toBeGreaterThan(3);
      expect(seen.some((s) => !s.done && s.results > 0 && s.shown === s.results), JSON.stringify(seen)).toBe(true);
    });
  }, 120_000);
});

describe('benchmark page when a backend\'s library does not load', () => {
  it('that backend is listed unavailable with the reason and the others run (the whole page used to stay dead at "idle")', async () => {
    await withPage(async (w) => {
      // TF.js's webgpu backend, which tfjs.ts imports, never arrives (a network error, a blocked CDN).
      await w.page.setRequestInterception(true);
      w.page.on('request', (req) => void (req.url().includes('tfjs-backend-webgpu') ? req.abort() : req.continue()));
      await w.page.goto(`${served!.url}?mode=quick&autorun=1&backends=sigmoid-core-cpu,tfjs-cpu`, { waitUntil: 'load' });
      await w.page.waitForFunction(() => window.__bench?.done === true, { timeout: 60_000, polling: 200 });
      const s = (await w.page.evaluate(() => window.__bench!))!;
      expect(s.error).toBeNull();
      expect(s.backends.map((b) => [b.id, b.status])).toEqual([['sigmoid-core-cpu', 'ok'], ['tfjs-cpu', 'unavailable']]);
      expect(s.backends[1]!.reason).toMatch(/^Error: its library did not load: TypeError: .*bench\/peers\/tfjs\.ts$/);
      expect(s.results.map((r) => [r.backend, r.check])).toEqual(WORKLOADS.map(() => ['sigmoid-core-cpu', 'ok']));
      const shown = await w.page.$$eval('#results tr', (trs) => trs.map((tr) => [tr.dataset.backend, tr.cells[6]?.textContent]));
      expect(shown).toContainEqual(['tfjs-cpu', 'unavailable']);
    });
  }, 120_000);
});

describe('benchmark page in a browser without WebGPU', () => {
  it('lists the peers\' WebGPU backends unavailable and says why: no adapter (TF.js used to say only "see the console")', async () => {
    const plain = await launchChromium({ webgpu: false });
    try {
      const w = await watchedPage(plain);
      await w.page.goto(`${served!.url}?mode=quick&autorun=1&backends=tfjs-webgpu,jax-webgpu`, { waitUntil: 'load' });
      await w.page.waitForFunction(() => window.__bench?.done === true, { timeout: 60_000, polling: 200 });
      const s = (await w.page.evaluate(() => window.__bench!))!;
      expect(s.backends.map((b) => [b.id, b.status])).toEqual([['tfjs-webgpu', 'unavailable'], ['jax-webgpu', 'unavailable']]);
      for (const b of s.backends) {
        expect(b.reason, b.id).toMatch(/no WebGPU adapter \(navigator\.gpu\.requestAdapter\(\) returned null: this browser has WebGPU turned off/);
        expect(b.reason, b.id).not.toContain('see the console');
      }
      expect(s.results).toEqual([]);
      // It says nothing ran (it read "0 of 0 cases ok"), and the state can be downloaded all the same.
      expect(await w.page.$eval('#progress', (e) => e.textContent)).toMatch(/^done in .* s: no case ran \(no backend started; the table says why\)$/);
      expect(await w.page.$eval('#download', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    } finally {
      await plain.close();
    }
  }, 120_000);
});
