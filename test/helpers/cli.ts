// Runs the built `sigmoid-core` binary (dist/cli.js, made by `npm test`'s build step) as a
// child process, and checks our one-line error format. Shared by the CLI test files, and
// (runNode, buildBench, expectUsageLine) by the bench script tests.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli.js');
export const DIGITS = join(ROOT, 'data/digits.csv');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and with what environment the scripts run: the repository root (or `cwd`), XDG_RUNTIME_DIR=/tmp (plus `env`). */
export function childOptions(opts: { env?: Record<string, string>; cwd?: string } = {}): { cwd: string; env: NodeJS.ProcessEnv } {
  return { cwd: opts.cwd ?? ROOT, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...opts.env } };
}

/**
 * Runs `node script ...args` with childOptions (the repository root or `cwd`, XDG_RUNTIME_DIR=/tmp
 * plus `env`), killed after `timeoutMs` (default 120 s); a run killed or ended by a signal has code -1.
 */
export function runNode(script: string, args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath, [script, ...args],
      { ...childOptions(opts), timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

export function cli(...args: string[]): Promise<Run> {
  return runNode(CLI, args);
}

/** Bundles one bench script (bench/<entry>.ts → bench/dist/<entry>.js) the way its npm script does. */
export function buildBench(entry: string): void {
  execFileSync('npx', ['vite', 'build', '-c', 'bench/vite.config.ts'], { cwd: ROOT, env: { ...process.env, BENCH_ENTRY: entry }, stdio: 'pipe' });
}

/** Fails clearly when the binary has not been built (vitest run directly, without `npm test`). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
}

/** Our one-line error format: `sigmoid-core: <message>` and no stack trace. */
export function expectOneLineError(r: Run, pattern: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  const last = lines[lines.length - 1]!;
  expect(last).toMatch(/^sigmoid-core: /);
  expect(last).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A bench script's usage error: exit code 2, one line on stderr matching `pattern`, nothing on stdout. */
export function expectUsageLine(r: Run, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trim()).toMatch(pattern);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stdout).toBe('');
}

/** A CSV file's text as rows of cells (the CLI's output files: no quoting). */
export function rowsOf(text: string): string[][] {
  return text.trim().split('\n').map((l) => l.split(','));
}
