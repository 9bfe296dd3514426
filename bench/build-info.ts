// Reads what bench/build.ts describes, for the Vite configs of the Node runners and of the
// page (bench/vite.config.ts, bench/browser/vite.config.ts; the headless runner takes the
// page's):
// package.json files and `git` of the checkout, nothing over the network.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildInfo } from './build.js';

/** The packages whose versions a results file records. */
const PACKAGES = [
  '@jax-js/jax', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu', 'webgpu',
];

function version(file: string): string | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function readBuildInfo(root: string): BuildInfo {
  const commit = git(root, ['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(root, ['status', '--porcelain', '--untracked-files=no']);
  return {
    sigmoidCore: version(join(root, 'package.json')) ?? 'unknown',
    commit,
    dirty: status === null ? null : status.length > 0,
    packages: Object.fromEntries(PACKAGES.map((p) => [p, version(join(root, 'node_modules', p, 'package.json'))])),
  };
}

/** The `define` entry that compiles the build's description in. */
export function defineBuildInfo(root: string): Record<string, string> {
  return { __BENCH_BUILD__: JSON.stringify(readBuildInfo(root)) };
}
