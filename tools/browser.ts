// Headless-Chromium harness shared by the browser tests and the browser benchmark runner:
// start a Vite server on 127.0.0.1 (a secure context, so navigator.gpu exists), launch
// Chromium through puppeteer (with or without WebGPU), and open a page that records every
// console error and page error.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';
import { describeError } from './describe-error.js';

// --enable-unsafe-webgpu is the one flag WebGPU needs in headless Chromium on Linux (it
// then runs on SwiftShader); --no-sandbox because CI runs as root; the rest keep a
// browser on a closed network from retrying downloads and updates.
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Served {
  server: ViteDevServer;
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the Vite dev server of `configFile` on 127.0.0.1 at a free port. Vite's SIGTERM
 * listener, which closes the server and exits the process at once, is removed: what SIGTERM
 * does is the caller's to decide (bench:browser writes what finished first). No file watching
 * and no hot reload: a file saved during an 11-minute benchmark or a test would reload the
 * page, and an autorun page would start its run over.
 */
export async function serve(configFile: string): Promise<Served> {
  const before = process.listeners('SIGTERM');
  const server = await createServer({ configFile, server: { host: '127.0.0.1', port: 0, hmr: false, watch: null }, logLevel: 'warn' });
  for (const l of process.listeners('SIGTERM')) if (!before.includes(l)) process.off('SIGTERM', l);
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo | null;
  if (!address) {
    await server.close();
    throw new Error(`the Vite server of ${configFile} did not start listening`);
  }
  return { server, url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

/**
 * The Chromium this checkout's .puppeteerrc.cjs names (a system Chromium when there is one),
 * found from this file's folder upward (tools/, or bench/dist/browser/ in the bundled runner):
 * puppeteer reads that file from the working directory only, and elsewhere looked for its own
 * download. undefined when PUPPETEER_EXECUTABLE_PATH is set (puppeteer takes it first) or no
 * file names one.
 */
function configuredChromium(): string | undefined {
  if (process.env.PUPPETEER_EXECUTABLE_PATH) return undefined;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const rc = join(dir, '.puppeteerrc.cjs');
    if (existsSync(rc)) return (createRequire(import.meta.url)(rc) as { executablePath?: string }).executablePath;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Headless Chromium (configuredChromium's, else puppeteer's own). One that cannot be launched
 * is an Error on one line saying so and how to point at one.
 *
 * It is driven through a pipe, not a WebSocket: Chromium quits when the pipe closes, so it ends
 * with this process however that ends (a SIGKILL, a crash). So puppeteer's signal handlers,
 * which closed Chromium and exited at once, are left out: a runner may handle SIGINT itself.
 */
export async function launchChromium(opts: { webgpu: boolean }): Promise<Browser> {
  try {
    return await puppeteer.launch({
      headless: true, pipe: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, executablePath: configuredChromium(),
      args: opts.webgpu ? ['--enable-unsafe-webgpu', ...BASE_ARGS] : BASE_ARGS,
    });
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).trim().replace(/\s*\n\s*/g, ' ');
    throw new Error(`Chromium did not start: ${why}; install Chromium or Chrome, or set PUPPETEER_EXECUTABLE_PATH to one`);
  }
}

export interface WatchedPage {
  page: Page;
  consoleErrors: string[];
  consoleWarnings: string[];
  pageErrors: string[];
  /** Page and console errors as text, or 'no page or console errors'. */
  problems(): string;
}

/** A new page whose console errors, page errors, crashes and failed requests are recorded. */
export async function watchedPage(browser: Browser, onLog?: (text: string) => void): Promise<WatchedPage> {
  const page = await browser.newPage();
  const w: WatchedPage = {
    page,
    consoleErrors: [],
    consoleWarnings: [],
    pageErrors: [],
    problems() {
      const lines = [...w.pageErrors.map((e) => `page error: ${e}`), ...w.consoleErrors.map((e) => `console error: ${e}`)];
      return lines.length > 0 ? lines.join('\n') : 'no page or console errors';
    },
  };
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error') w.consoleErrors.push(text);
    else if (msg.type() === 'warn') w.consoleWarnings.push(text);
    else onLog?.(text);
  });
  page.on('pageerror', (err) => w.pageErrors.push(describeError(err)));
  page.on('error', (err) => w.pageErrors.push(`page crashed: ${err.message}`));
  page.on('requestfailed', (req) => w.pageErrors.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? 'unknown'})`));
  return w;
}

/** p, or a rejection after ms (for calls into a page that may no longer answer). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
