// The browser benchmark's headless runner (`npm run bench:browser`, bench/browser/run.ts),
// bundled the way the npm script does and run as a child process: flags it cannot use end
// at once with exit code 2 and a message naming them, before any server or browser starts
// (a bad --backends used to leave the runner waiting 15/90 min on a page that never ran; a bad
// --out failed only after the whole run). And, like bench:peers, a backend that cannot start
// fails the run (exit code 1, each named on stderr): with a Chromium started without WebGPU,
// sigmoid-core-webgpu did not start and the runner exited 0.
// Stopped mid-run, it leaves no Chromium behind (a SIGKILL left one running).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchState } from '../bench/peer-run.js';
import { childOptions, expectUsageLine, ROOT, type Run, runNode } from './helpers/cli.js';

const RUNNER = join(ROOT, 'bench/dist/browser/run.js');
/** The system Chromium (.puppeteerrc.cjs picks it): the runs that need a real browser are skipped without it. */
const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'bench-browser-'));

async function runner(args: string[], opts: Parameters<typeof runNode>[2] = {}): Promise<Run & { ms: number }> {
  const t0 = Date.now();
  const r = await runNode(RUNNER, args, { timeoutMs: 30_000, ...opts });
  return { ...r, ms: Date.now() - t0 };
}

beforeAll(() => {
  execFileSync('npx', ['vite', 'build', '-c', 'bench/browser/vite.runner.config.ts'], { cwd: ROOT, stdio: 'pipe' });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench:browser flags it cannot use', () => {
  it.each([
    [['--backends', 'foo'], /^bench:browser: --backends: unknown backend\(s\) \["foo"\]: choose from sigmoid-core-webgpu, /],
    [['--backends', 'sigmoid-core-cpu,torch'], /^bench:browser: --backends: unknown backend\(s\) \["torch"\]/],
    [['--backends', 'sigmoid-core-cpu,sigmoid-core-cpu'], /^bench:browser: --backends: backend\(s\) \["sigmoid-core-cpu"\] given twice/],
    [['--backends', ','], /^bench:browser: --backends: unknown backend\(s\) ","/],
    [['--backends='], /^bench:browser: --backends= needs a value/],
    [['--bogus'], /^bench:browser: unknown option --bogus; valid options: --quick/],
  ])('%j: exit code 2 and one line, before anything starts', async (args, message) => {
    const r = await runner(['--quick', ...(args as string[])]);
    expectUsageLine(r, message as RegExp); // one line: no "bench:browser quick: http://…" line, so no server, no page
    expect(r.ms).toBeLessThan(15_000);
  }, 40_000);

  it('an --out that cannot be written: exit code 2 before anything starts', async () => {
    writeFileSync(join(dir, 'file.json'), '{}');
    for (const [out, message] of [
      [dir, /^bench:browser: --out .*bench-browser-\w+: it is a folder; give a file name$/],
      [join(dir, 'file.json', 'x.json'), /^bench:browser: --out .*file\.json\/x\.json: cannot make its folder/],
      // It ran, and wrote a file named '-' where the run was started.
      ['-', /^bench:browser: --out - is not supported: outputs go to files .*give a file name$/],
    ] as const) {
      const r = await runner(['--quick', '--backends', 'sigmoid-core-cpu', '--out', out]);
      expectUsageLine(r, message);
    }
  }, 60_000);
});

describe('bench:browser when Chromium cannot be launched', () => {
  it('exit code 1 and one line naming it and how to point at one, before the server starts', async () => {
    const r = await runner(['--quick', '--backends', 'sigmoid-core-cpu', '--out', join(dir, 'no-chromium.json')], {
      env: { PUPPETEER_EXECUTABLE_PATH: join(dir, 'no-such-chromium') },
    });
    expect(r.code, r.stderr).toBe(1);
    // It was puppeteer's error with a stack trace, after the Vite server had started.
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(
      /^bench:browser: Chromium did not start: .*no-such-chromium.*; install Chromium or Chrome, or set PUPPETEER_EXECUTABLE_PATH to one$/,
    )]);
    expect(existsSync(join(dir, 'no-chromium.json'))).toBe(false);
  }, 40_000);
});

describe('bench:browser run from another folder', () => {
  it.runIf(existsSync(CHROMIUM))('finds the Chromium .puppeteerrc.cjs names, and writes a relative --out there', async () => {
    // puppeteer reads .puppeteerrc.cjs from the working directory only: from anywhere else it
    // looked for its own download ("Could not find Chrome (ver. …)") and the run failed.
    const r = await runner(['--quick', '--backends', 'sigmoid-core-cpu', '--out', 'elsewhere.json'], { cwd: dir, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(dir, 'elsewhere.json'), 'utf8')) as BenchState;
    expect(s.results.map((x) => [x.backend, x.check])).toEqual(['matmul', 'sigmoid', 'gram', 'mlp'].map(() => ['sigmoid-core-cpu', 'ok']));
  }, 150_000);
});

describe('bench:browser when a backend cannot start', () => {
  it.runIf(existsSync(CHROMIUM))('exit code 1, naming it on stderr (here: Chromium without WebGPU, so no adapter)', async () => {
    // The Chromium the runner launches, less the one flag that gives headless Chromium WebGPU.
    const wrapper = join(dir, 'chromium-no-webgpu');
    writeFileSync(wrapper, `#!/bin/sh\nfor a; do shift; [ "$a" = --enable-unsafe-webgpu ] || set -- "$@" "$a"; done\nexec ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const out = join(dir, 'no-webgpu.json');
    // Listed CPU first: the run keeps the --backends order (the page used its own).
    const r = await runner(['--quick', '--backends', 'sigmoid-core-cpu,sigmoid-core-webgpu', '--out', out], {
      env: { PUPPETEER_EXECUTABLE_PATH: wrapper }, timeoutMs: 240_000,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^sigmoid-core-webgpu did not start: BackendUnavailableError: /m);
    expect(r.stderr).not.toMatch(/^sigmoid-core-cpu did not start/m);
    const s = JSON.parse(readFileSync(out, 'utf8')) as BenchState;
    expect(s.backends.map((b) => [b.id, b.status])).toEqual([['sigmoid-core-cpu', 'ok'], ['sigmoid-core-webgpu', 'unavailable']]);
    expect(s.results.map((r) => [r.backend, r.check])).toEqual(['matmul', 'sigmoid', 'gram', 'mlp'].map(() => ['sigmoid-core-cpu', 'ok']));
    // The page's build: sigmoid-core's version and commit.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect([s.build?.sigmoidCore, s.build?.commit]).toEqual([pkg.version, expect.stringMatching(/^[0-9a-f]{40}$/)]);
  }, 300_000);
});

describe('bench:browser when the page crashes mid-run', () => {
  it.runIf(existsSync(CHROMIUM))('exit code 1 at once, naming the crash, and the JSON has what finished before it', async () => {
    // Chromium runs each renderer through this prefix, which kills it 8 s after it starts: the
    // page dies a few seconds into a full run (minutes of CPU matmuls). The runner used to
    // wait out its 90 min limit on a page that would never answer, and then write no JSON.
    const killer = join(dir, 'kill-renderer');
    writeFileSync(killer, '#!/bin/sh\n"$@" &\npid=$!\n(sleep 8; kill -9 $pid) &\nwait $pid\n');
    const wrapper = join(dir, 'chromium-renderer-dies');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${CHROMIUM} --renderer-cmd-prefix=${killer} "$@"\n`);
    for (const f of [killer, wrapper]) chmodSync(f, 0o755);
    const out = join(dir, 'crashed.json');
    const r = await runner(['--backends', 'sigmoid-core-cpu', '--out', out], { env: { PUPPETEER_EXECUTABLE_PATH: wrapper }, timeoutMs: 150_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^the page crashed \(/m);
    const s = JSON.parse(readFileSync(out, 'utf8')) as BenchState & { incomplete: string | null; pageErrors: string[] };
    expect(s.incomplete).toMatch(/^the page crashed \(/);
    expect(s.done).toBe(false);
    expect(s.backends.map((b) => [b.id, b.status])).toEqual([['sigmoid-core-cpu', 'ok']]);
    expect(s.results.length, 'no case finished before the crash').toBeGreaterThan(0);
    expect(s.results.every((x) => x.check === 'ok'), JSON.stringify(s.results)).toBe(true);
    expect(r.stdout).toContain(s.table); // the printed table is the JSON's
  }, 180_000);
});

describe('bench:browser when Chromium dies mid-run, or the page never starts', () => {
  it.runIf(existsSync(CHROMIUM))('Chromium killed: exit code 1 at once, naming it, and the JSON has what finished (it polled a dead browser, then threw with no JSON)', async () => {
    const out = join(dir, 'chromium-died.json');
    const r = await midRun(['--backends', 'sigmoid-core-cpu', '--out', out], (_, chromium) => process.kill(chromium, 'SIGKILL'));
    expect(r.chromium, r.stderr).toBeGreaterThan(0);
    expect(r.code, r.stderr).toBe(1);
    expect(r.endMs, 'ended within 20 s of the kill').toBeLessThan(20_000);
    expect(r.stderr).toMatch(/^Chromium exited mid-run$/m);
    expect(r.stderr).not.toMatch(/ConnectionClosedError|    at /);
    const s = JSON.parse(readFileSync(out, 'utf8')) as BenchState & { incomplete: string | null; host: { chromium: string } };
    expect([s.done, s.incomplete]).toEqual([false, 'Chromium exited mid-run']);
    expect(s.results.length, 'a case had finished').toBeGreaterThan(0);
    expect(s.results.every((x) => x.check === 'ok'), JSON.stringify(s.results)).toBe(true);
    expect(s.host.chromium).toMatch(/Chrom/);
  }, 180_000);

  it.runIf(existsSync(CHROMIUM))('a page that publishes nothing (its scripts off): exit code 1 within 30 s of loading, saying so, no JSON (it waited 15 min)', async () => {
    const wrapper = join(dir, 'chromium-no-scripts');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${CHROMIUM} --blink-settings=scriptEnabled=false "$@"\n`);
    chmodSync(wrapper, 0o755);
    const out = join(dir, 'silent.json');
    const r = await runner(['--quick', '--backends', 'sigmoid-core-cpu', '--out', out], { env: { PUPPETEER_EXECUTABLE_PATH: wrapper }, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^bench:browser: the page published no state within 30 s of loading: no results, so no JSON is written$/m);
    expect(r.ms).toBeLessThan(90_000);
    expect(existsSync(out)).toBe(false);
  }, 150_000);
});

/** Whether process `pid` still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the runner, calls `act` with it and the pid of the Chromium it launched once a result
 * line (`[bench] [id] workload size: median …`) is on its stderr (stoppedMidRun: a signal to the
 * runner), and returns how it ended, with that pid and how long it took from `act` to its end.
 */
async function midRun(args: string[], act: (runner: ReturnType<typeof spawn>, chromium: number) => void): Promise<Run & { chromium: number; endMs: number }> {
  const child = spawn(process.execPath, [RUNNER, ...args], childOptions());
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const ended = new Promise<number>((done) => child.on('exit', (code, sig) => done(code ?? (sig ? -1 : 0))));
  const kill = setTimeout(() => child.kill('SIGKILL'), 150_000);
  // The first case's time, or the runner's end (a failure to start): then its stderr says why.
  const started = await Promise.race([
    new Promise<true>((done) => child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (/: median /.test(stderr)) done(true);
    })),
    ended.then(() => false as const),
  ]);
  if (!started) {
    clearTimeout(kill);
    throw new Error(`the runner ended before its first case finished:\n${stderr}`);
  }
  const ps = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(child.pid)], { encoding: 'utf8' });
  const chromium = Number(/^\s*(\d+)\s+chrom/m.exec(ps)?.[1]);
  const t0 = Date.now();
  act(child, chromium);
  const code = await ended;
  clearTimeout(kill);
  return { code, stdout, stderr, chromium, endMs: Date.now() - t0 };
}

/** midRun, sending the runner `signal`. */
const stoppedMidRun = (args: string[], signal: NodeJS.Signals) => midRun(args, (runner) => runner.kill(signal));

describe('bench:browser stopped mid-run', () => {
  const stopped: number[] = [];
  afterAll(() => {
    for (const pid of stopped.filter(alive)) process.kill(pid, 'SIGKILL');
  });

  /** Waits up to 10 s for `pid` to end; whether it did. */
  async function ends(pid: number): Promise<boolean> {
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((done) => setTimeout(done, 100));
    return !alive(pid);
  }

  it('SIGKILL: its Chromium ends with it (it went on running, a renderer busy with the page, until killed by hand)', async () => {
    const r = await stoppedMidRun(['--quick', '--backends', 'sigmoid-core-cpu,tfjs-webgpu', '--out', join(dir, 'killed.json')], 'SIGKILL');
    stopped.push(r.chromium);
    expect(r.chromium, r.stderr).toBeGreaterThan(0);
    expect(await ends(r.chromium), `Chromium ${r.chromium} still runs`).toBe(true);
  }, 180_000);

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s: the tables and the JSON of what finished, "interrupted by …", exit code %i, no Chromium left', async (signal, code) => {
    const out = join(dir, `${signal}.json`);
    const r = await stoppedMidRun(['--quick', '--backends', 'sigmoid-core-cpu,tfjs-webgpu', '--out', out], signal);
    stopped.push(r.chromium);
    expect(r.chromium, r.stderr).toBeGreaterThan(0);
    // It ended at once (puppeteer's SIGINT handler, Vite's SIGTERM one), saying nothing and writing no JSON: the results were lost.
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(new RegExp(`^interrupted by ${signal}$`, 'm'));
    const s = JSON.parse(readFileSync(out, 'utf8')) as BenchState & { incomplete: string | null };
    expect([s.done, s.incomplete]).toEqual([false, `interrupted by ${signal}`]);
    expect(s.results.length, 'a case had finished').toBeGreaterThan(0);
    expect(s.results.length, 'the run was stopped before its end').toBeLessThan(8);
    expect(s.results.every((x) => x.check === 'ok'), JSON.stringify(s.results)).toBe(true);
    expect(r.stdout).toContain(s.table);
    expect(await ends(r.chromium), `Chromium ${r.chromium} still runs`).toBe(true);
  }, 180_000);
});

