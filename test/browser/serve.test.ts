// tools/browser.ts's serve(), which every browser test and the benchmark runner use: a file
// saved while a page is open does not reload the page (with Vite's watcher and hot reload on,
// it did, and an autorun page such as the benchmark's started its 11-minute run over).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Served, serve, watchedPage } from '../../tools/browser.js';

const dir = mkdtempSync(join(tmpdir(), 'serve-'));
/** The page's script: counts its loads in sessionStorage, which a reload keeps. */
const MAIN_JS = 'window.loads = (Number(sessionStorage.getItem("loads")) || 0) + 1;\nsessionStorage.setItem("loads", String(window.loads));\n';
let served: Served | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  writeFileSync(join(dir, 'vite.config.mjs'), `export default { root: ${JSON.stringify(dir)}, cacheDir: ${JSON.stringify(join(dir, '.vite'))} };\n`);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>serve</title><script type="module" src="/main.js"></script>\n');
  writeFileSync(join(dir, 'main.js'), MAIN_JS);
  served = await serve(join(dir, 'vite.config.mjs'));
  browser = await launchChromium({ webgpu: false });
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve() (tools/browser.ts)', () => {
  it('a page stays as it is when a file it loaded is saved (no watcher, no hot reload)', async () => {
    const w = await watchedPage(browser!);
    try {
      await w.page.goto(served!.url, { waitUntil: 'load' });
      await w.page.waitForFunction(() => (window as unknown as { loads?: number }).loads === 1, { timeout: 15_000 });
      writeFileSync(join(dir, 'main.js'), `${MAIN_JS}// saved again\n`);
      await new Promise((done) => setTimeout(done, 3000));
      expect(await w.page.evaluate(() => Number(sessionStorage.getItem('loads')))).toBe(1);
      expect(w.pageErrors).toEqual([]);
    } finally {
      await w.page.close();
    }
  }, 60_000);
});
