// A tiny flag parser for the CLI: `--name value`, `--name=value` and boolean `--name`.
// Unknown flags, missing values, repeated flags and stray arguments are usage errors
// (exit code 2) whose message lists the flags the command accepts.

import { SigmoidCoreError, ValueError } from '../errors.js';
import { checkDegree } from '../gram-options.js';
import { checkWritable, sameFile } from '../io/files.js';
import { checkFinite, checkSeed } from '../validate.js';

/** The command line is wrong (unknown flag, missing or malformed value): exit code 2. */
export class UsageError extends SigmoidCoreError {
  override name = 'UsageError';
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. 'X.csv'. */
  value?: string;
  help: string;
  required?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type Flags<S extends FlagSpecs> = {
  [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : string | undefined;
};

/** Where a command writes: `out` is the result (stdout), `err` is notices and progress (stderr). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export interface Command<S extends FlagSpecs = FlagSpecs> {
  summary: string;
  /** Usage line after `sigmoid-core`, e.g. 'gram --x X.csv --out K.csv [options]'. */
  usage: string;
  flags: S;
  run(flags: Flags<S>, io: Io): Promise<void>;
}

export function parseFlags<S extends FlagSpecs>(command: string, argv: readonly string[], specs: S): Flags<S> {
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) values[name] = spec.type === 'boolean' ? false : undefined;
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(arg)}; options are written --name value (${validFlags(specs)})`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = Object.hasOwn(specs, name) ? specs[name]! : undefined;
    if (spec === undefined) throw new UsageError(`${command}: unknown option --${name}; valid options: ${validFlags(specs)}`);
    if (seen.has(name)) throw new UsageError(`${command}: --${name} is given twice`);
    seen.add(name);
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${command}: --${name} is a switch and takes no value`);
      values[name] = true;
    } else if (eq >= 0) {
      values[name] = arg.slice(eq + 1);
      if (values[name] === '') throw new UsageError(`${command}: --${name}= needs a value (--${name} ${spec.value ?? 'VALUE'})`);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next === '' || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`${command}: --${name} needs a value (--${name} ${spec.value ?? 'VALUE'})`);
      }
      values[name] = next;
      i++;
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && values[name] === undefined) {
      throw new UsageError(`${command}: --${name} ${spec.value ?? 'VALUE'} is required`);
    }
  }
  return values as Flags<S>;
}

function validFlags(specs: FlagSpecs): string {
  return [...Object.keys(specs).map((n) => `--${n}`), '--help'].join(', ');
}

/** The options block of a command's help text. */
export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => [`--${name}${s.type === 'string' ? ` ${s.value ?? 'VALUE'}` : ''}`, s.help]);
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left!.length));
  return rows.map(([left, help]) => `  ${left!.padEnd(width)}  ${help}`).join('\n');
}

// ---- value parsers: each names the flag and the bad value -----------------------------------

/** A decimal number (1, -0.5, 1e-3; 1/64 is allowed as a fraction too). */
export function numberFlag(name: string, text: string): number {
  const t = text.trim();
  const frac = /^([+-]?[\d.]+(?:e[+-]?\d+)?)\/([\d.]+(?:e[+-]?\d+)?)$/i.exec(t);
  const v = frac ? Number(frac[1]) / Number(frac[2]) : /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(v)) throw new UsageError(`--${name} must be a finite number, got ${JSON.stringify(text)}`);
  return v;
}

export function intFlag(name: string, text: string, min: number): number {
  const t = text.trim();
  const v = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return v;
}

/**
 * A number the library computes with in float32 (a learning rate, γ, c₀, α): numberFlag, then
 * validate.ts's checkFinite (within float32's range; 0 or at least its smallest normal).
 */
export function float32Flag(name: string, text: string, positive: boolean | 'nonzero' = false): number {
  return float32Value(name, numberFlag(name, text), positive);
}

/** validate.ts's checkFinite on a flag's parsed value (`positive`: 0 is refused too; 'nonzero': 0 only), as a usage error naming --name. */
export function float32Value(name: string, value: number, positive: boolean | 'nonzero' = false): number {
  usageCheck(() => checkFinite(`--${name}`, value, positive));
  return value;
}

/** --seed: an integer in 0..2^52, checked by validate.ts's checkSeed (with a minimum of 0), one message for any bad value. */
export function seedFlag(text: string): number {
  return libraryInt(text, (v) => checkSeed(v, '--seed', 0));
}

/** --degree (gram and svm): an integer that gram-options.ts's checkDegree takes (1..MAX_DEGREE). */
export function degreeFlag(text: string): number {
  return libraryInt(text, (v) => checkDegree(v, '--degree'));
}

/**
 * An integer flag whose range is the library's: `check` gets the number when `text` is an
 * integer literal, else `text` itself (which it refuses, quoting it), so the flag has one message.
 */
function libraryInt(text: string, check: (value: unknown) => void): number {
  const t = text.trim();
  const value: unknown = /^[+-]?\d+$/.test(t) ? Number(t) : text;
  usageCheck(() => check(value));
  return value as number;
}

/** Runs a library check on a flag's value (named --name in its message): its ValueError becomes a usage error. */
export function usageCheck(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw err instanceof ValueError ? new UsageError(err.message) : err;
  }
}

export function choiceFlag<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/** '-', the usual name for standard output, given to an output file flag: a usage error (outputs go to files only). */
export function refuseStdout(name: string, path: string): void {
  if (path === '-') {
    throw new UsageError(`--${name} - is not supported: outputs go to files (written whole or not at all), not to standard output; give a file name`);
  }
}

/**
 * An output file flag (e.g. --out), checked before any work: '-' (the usual name for standard
 * output) is a usage error, since outputs are written whole or not at all, so only to files;
 * then checkWritable (a missing folder, a folder, a folder that takes no new file, a refused link); and an output that is one of the
 * command's input files (`inputs`: flag name → path), which would be overwritten, is a usage error.
 */
export async function outputFlag(name: string, path: string, inputs: Record<string, string | undefined> = {}): Promise<string> {
  refuseStdout(name, path);
  await checkWritable(path);
  for (const [input, inputPath] of Object.entries(inputs)) {
    if (inputPath !== undefined && (await sameFile(path, inputPath))) {
      throw new UsageError(`--${name} ${path} is the --${input} file ${inputPath}: writing it would overwrite the input; give another file`);
    }
  }
  return path;
}

/**
 * --quiet's plumbing: `notice` for a command's notices (dropped when quiet) and `log` for
 * createEngine's backend notice (null when quiet).
 */
export function quietIo(quiet: boolean, io: Io): { notice: (line: string) => void; log: ((line: string) => void) | null } {
  return quiet ? { notice: () => {}, log: null } : { notice: (line) => io.err(line), log: io.err };
}
