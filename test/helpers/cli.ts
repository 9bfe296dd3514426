// Runs the built `sigmoid-core` binary (dist/cli.js, made by `npm test`'s build step) as a
// child process, and checks our one-line error format. Shared by the CLI test files.
import { execFile } from 'node:child_process';
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

export function cli(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath, [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', MESA_SHADER_CACHE_DISABLE: 'true' }, timeout: 120_000 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
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
