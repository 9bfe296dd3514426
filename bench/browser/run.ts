// `npm run bench:browser`: serves the benchmark page (bench/browser/) with Vite on
// 127.0.0.1, opens it in headless Chromium with WebGPU (tools/browser.ts), runs every backend
// in one page, prints the results table and the ratio table to stdout and writes the JSON to
// bench/results/browser-<quick|full>-<date>.json (the page's state plus this machine). Ctrl-C
// (SIGINT) or SIGTERM mid-run ends the wait: the tables and the JSON of what had finished,
// exit code 128 + the signal's number; a second one ends the process at once.
//
//   npm run bench:browser [-- --quick] [-- --backends id,id…] [-- --out FILE.json]
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags, formatFlags } from '../../src/cli/args.js';
import { launchChromium, serve, watchedPage } from '../../tools/browser.js';
import { OURS } from '../ids.js';
import type { BenchState } from '../peer-run.js';
import { backendsFlag, log, machine, peerRunProblems, prepareReportPath, resultsFile, runMain, writeReport } from '../report.js';
import { formatState } from '../table.js';

const FLAGS = {
  quick: { type: 'boolean', help: 'small sizes and 2 repeats (well under a minute on SwiftShader, all seven backends)' },
  backends: { type: 'string', value: 'id,id…', help: 'which backends (default all: sigmoid-core-webgpu, sigmoid-core-cpu, tfjs-webgpu, tfjs-wasm, tfjs-cpu, jax-webgpu, jax-wasm)' },
  out: { type: 'string', value: 'FILE.json', help: 'where to write the JSON (default bench/results/browser-<mode>-<date>.json)' },
} as const;

const repo = resolve(import.meta.dirname, '../../..');

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** How long after loading the page has to publish its first state. */
const START_MS = 30_000;

/** The first of STOP_SIGNALS the process gets; its handlers are then removed, so a second one ends the process as usual. */
function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      for (const s of STOP_SIGNALS) process.off(s, on);
      resolve(signal);
    };
    for (const s of STOP_SIGNALS) process.on(s, on);
  });
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: npm run bench:browser -- [options]\n\noptions:\n${formatFlags(FLAGS)}\n`);
    return 0;
  }
  const flags = parseFlags('bench:browser', argv, FLAGS);
  const mode = flags.quick ? 'quick' : 'full';
  // Checked here, before anything starts: the page would only say "not run".
  const ids = flags.backends === undefined ? null : backendsFlag(flags.backends);
  const out = await prepareReportPath(flags.out ?? resultsFile(`browser-${mode}`, new Date().toISOString(), repo));
  const limitMs = (mode === 'quick' ? 15 : 90) * 60_000;
  /** The exit code once a signal stopped the run: 128 + its number. */
  const stop: { code?: number } = {};
  const stopped = firstSignal().then((signal) => {
    stop.code = 128 + constants.signals[signal];
    return `interrupted by ${signal}`;
  });
  // Chromium first: one that cannot start is a line of its own, with no server to stop.
  const browser = await launchChromium({ webgpu: true }).catch((err: Error) => err);
  if (browser instanceof Error) {
    log(`bench:browser: ${browser.message}`);
    return 1;
  }
  // Asked now: a Chromium that dies mid-run answers nothing, and asking it at the end threw before the JSON was written.
  const chromium = await browser.version();
  const served = await serve(join(repo, 'bench/browser/vite.config.ts')).catch(async (err: unknown) => {
    await browser.close();
    throw err;
  });
  const timers: ReturnType<typeof setTimeout>[] = [];
  const after = (ms: number): Promise<void> => new Promise((done) => timers.push(setTimeout(done, ms)));
  try {
    const w = await watchedPage(browser, (text) => {
      if (text.startsWith('[bench]')) log(text);
    });
    // The page hands over every state it publishes (bench/browser/main.ts, update()), so the
    // last one is here whatever happens next: a renderer that crashes or a Chromium that dies
    // can be asked nothing (polling lost what finished since the last poll), and a page busy
    // in a long synchronous kernel would not answer a poll for minutes.
    const pushed: { state: BenchState | null } = { state: null };
    let finished = (): void => {};
    const done = new Promise<null>((resolve) => (finished = () => resolve(null)));
    await w.page.exposeFunction('__benchPublish', (s: BenchState) => {
      pushed.state = s;
      if (s.done) finished();
    });
    const query = new URLSearchParams({ mode, autorun: '1', ...(ids ? { backends: ids.join(',') } : {}) });
    const url = `${served.url}?${query}`;
    log(`bench:browser ${mode}: ${url}`);
    await w.page.goto(url, { waitUntil: 'load' });
    const crashed = new Promise<string>((resolve) => w.page.once('error', (err) => resolve(`the page crashed (${err.message})`)));
    const died = new Promise<string>((resolve) => browser.once('disconnected', () => resolve('Chromium exited mid-run')));
    // A page that publishes nothing (a module that failed to load) would otherwise be waited on to the limit.
    const never = new Promise<string>(() => {});
    const silent = after(START_MS).then(() => (pushed.state === null ? `the page published no state within ${START_MS / 1000} s of loading` : never));
    const late = after(limitMs).then(() => `the page did not finish within ${limitMs / 60_000} min`);
    const incomplete = await Promise.race([done, crashed, died, silent, late, stopped]);
    const last = pushed.state;
    if (last === null) {
      log(`bench:browser: ${incomplete ?? 'the page finished'}: no results, so no JSON is written`);
      if (w.problems()) log(w.problems());
      return stop.code ?? 1;
    }
    process.stdout.write(`${formatState(last, OURS)}\n`);

    const report = {
      ...last, args: argv, incomplete, host: { ...machine(), chromium },
      pageErrors: w.pageErrors, consoleErrors: w.consoleErrors, consoleWarnings: w.consoleWarnings,
    };
    await writeReport(out, report, log);
    log(w.problems());
    if (incomplete) log(incomplete);
    // As bench:peers: a failed case, a backend that did not start (sigmoid-core-webgpu with no
    // adapter included) or a failed run is exit code 1, each named on stderr.
    const problems = peerRunProblems(last);
    for (const line of problems) log(line);
    if (stop.code !== undefined) return stop.code;
    return incomplete || problems.length > 0 ? 1 : 0;
  } finally {
    for (const t of timers) clearTimeout(t);
    await browser.close().catch(() => {}); // one that died is closed already
    await served.close();
  }
}

await runMain('bench:browser', main);
