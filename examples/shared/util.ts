// Shared helpers of the examples: the --backend flag, opening an engine and saying which
// backend runs, loading data/digits.csv, and printing aligned tables.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createEngine, describeAdapter, type Engine } from '../../src/index.js';
import { readCsv } from '../../src/io/csv.js';
import type { BackendChoice } from '../../src/types.js';

export interface ExampleArgs {
  backend: BackendChoice;
  /** Other `--name value` options, by name. */
  options: Map<string, string>;
}

/**
 * Parses `--backend auto|webgpu|cpu` (and `--name value` options listed in `known`); prints
 * the usage and exits on --help or a bad option.
 */
export function exampleArgs(name: string, about: string, known: Record<string, string> = {}): ExampleArgs {
  const argv = process.argv.slice(2);
  const usage = [
    `usage: npm run example:${name} -- [--backend auto|webgpu|cpu]${Object.keys(known).map((k) => ` [--${k} ${known[k]}]`).join('')}`,
    '',
    about,
  ].join('\n');
  const options = new Map<string, string>();
  let backend: BackendChoice = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    const key = m?.[1];
    const value = m?.[2] ?? argv[++i];
    if (!m || value === undefined || (key !== 'backend' && !Object.hasOwn(known, key!))) {
      console.error(`${name}: bad argument ${JSON.stringify(arg)}\n${usage}`);
      process.exit(2);
    }
    if (key === 'backend') {
      if (value !== 'auto' && value !== 'webgpu' && value !== 'cpu') {
        console.error(`${name}: --backend must be auto, webgpu or cpu, got ${JSON.stringify(value)}`);
        process.exit(2);
      }
      backend = value;
    } else {
      options.set(key!, value);
    }
  }
  return { backend, options };
}

/** An integer option ≥ min (or its default). */
export function intOption(args: ExampleArgs, name: string, dflt: number, min = 1): number {
  const text = args.options.get(name);
  if (text === undefined) return dflt;
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return v;
}

/** Opens the engine and prints which backend (and adapter) runs the example. */
export async function openEngine(backend: BackendChoice): Promise<Engine> {
  const engine = await createEngine({ backend, log: null });
  const a = engine.adapterInfo;
  console.log(`backend: ${engine.backend}${a ? ` on ${describeAdapter(a)}` : ''}`);
  return engine;
}

/** data/digits.csv (1,797 rows): 64 pixel features (0–16) and the label 0–9. */
export function loadDigits(): { x: Float32Array; labels: Int32Array; rows: number; cols: number } {
  const path = findUp('data/digits.csv');
  const csv = readCsv(readFileSync(path, 'utf8'), { source: path });
  const cols = csv.cols - 1;
  const x = new Float32Array(csv.rows * cols);
  const labels = new Int32Array(csv.rows);
  for (let r = 0; r < csv.rows; r++) {
    x.set(csv.data.subarray(r * csv.cols, r * csv.cols + cols), r * cols);
    labels[r] = csv.data[r * csv.cols + cols]!;
  }
  return { x, labels, rows: csv.rows, cols };
}

/** `rel` in the first of: this file's folder and its parents (source or bundle), then the working directory. */
function findUp(rel: string): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, rel))) return resolve(dir, rel);
    if (dirname(dir) === dir) return resolve(process.cwd(), rel);
  }
}

/** An aligned text table; numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers.map(String), ...rows.map((r) => r.map(String))];
  const width = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = headers.map((_, c) => rows.every((r) => typeof r[c] === 'number' || /^(?:[-+]?[\d.,]+(e[-+]?\d+)?%?|-)$/i.test(String(r[c]))));
  const line = (r: readonly string[]) =>
    r.map((v, c) => (numeric[c] ? v.padStart(width[c]!) : v.padEnd(width[c]!))).join('  ').trimEnd();
  return [line(cells[0]!), width.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fixed(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

export function sci(v: number): string {
  return Number.isFinite(v) ? v.toExponential(2) : String(v);
}
