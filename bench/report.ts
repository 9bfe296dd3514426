// The Node benchmark's JSON report (machine, backends, results) written to bench/results/,
// and what every Node runner shares: where a results file goes, writing it, and the
// process exit. The printed table comes from ./table.js (shared with the browser page).

import * as fsPromises from 'node:fs/promises';
import { cpus, arch, platform, release, totalmem, type as osType } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { refuseStdout, UsageError } from '../src/cli/args.js';
import { writeAtomic } from '../src/io/files.js';
import { NAMES_FOLDER, namesFolder, whyUnwritable } from '../src/io/write-target.js';
import type { AdapterInfoSummary, BackendKind, EngineLimits, Tiling } from '../src/index.js';
import type { BuildInfo } from './build.js';
import { type BackendId, parseBackends } from './ids.js';
import type { BenchState } from './peer-run.js';
import { type CaseResult as AnyCaseResult, fileStamp } from './table.js';

export { formatTable, runs } from './table.js';
export type CaseResult = AnyCaseResult<BackendKind>;

export interface BackendInfo {
  backend: BackendKind;
  adapter: AdapterInfoSummary | null;
  /** The WebGPU matmul/Gram kernel family; null on the CPU. */
  tiling: Tiling | null;
  limits: EngineLimits;
}

export interface Report {
  tool: 'sigmoid-core bench/node';
  date: string;
  build: BuildInfo | null;
  args: string[];
  quick: boolean;
  node: string;
  os: string;
  cpu: { model: string; cores: number };
  memoryGiB: number;
  backends: BackendInfo[];
  skipped: { backend: BackendKind; reason: string }[];
  results: CaseResult[];
}

export function machine(): Pick<Report, 'node' | 'os' | 'cpu' | 'memoryGiB'> {
  const c = cpus();
  return {
    node: process.version,
    os: `${osType()} ${release()} (${platform()}-${arch()})`,
    cpu: { model: c[0]?.model.trim() ?? 'unknown', cores: c.length },
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** A progress or notice line on stderr (stdout carries the tables). */
export const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** bench/results/<name>-<date>.json under `root` (default: the working directory). */
export function resultsFile(name: string, isoDate: string, root = ''): string {
  return join(root, 'bench', 'results', `${name}-${fileStamp(isoDate)}.json`);
}

/** --backends of the peer runners (bench:peers, bench:browser): the page's ids, checked by the one parser. */
export function backendsFlag(text: string): BackendId[] {
  try {
    return parseBackends(text);
  } catch (err) {
    throw new UsageError(`--backends: ${(err as Error).message}`);
  }
}

/**
 * Checks, before any timing, that the report can be written to `path` (its folder made now
 * if needed; '-' refused, as by every command's --out): a run must not end in a failed write.
 * Throws a UsageError naming --out.
 */
export async function prepareReportPath(path: string): Promise<string> {
  refuseStdout('out', path);
  const refuse = (why: string): never => {
    throw new UsageError(`--out ${path}: ${why}`);
  };
  if (namesFolder(path)) refuse(NAMES_FOLDER); // before mkdir makes it
  await fsPromises.mkdir(dirname(path), { recursive: true }).catch((err: Error) => refuse(`cannot make its folder (${err.message})`));
  // The checks of the write itself: a folder that exists may still take no new file
  // (read-only, another user's, /proc), which mkdir does not tell.
  const why = await whyUnwritable(fsPromises, path);
  if (why !== null) refuse(why);
  return path;
}

/**
 * Writes `report` as indented JSON to `path` (folders made as needed) and says where: through
 * a temp file renamed over it, so a run killed mid-write leaves the old file or the new one,
 * never half of one.
 */
export async function writeReport(path: string, report: unknown, log: (line: string) => void): Promise<void> {
  await fsPromises.mkdir(dirname(path), { recursive: true });
  await writeAtomic(path, [`${JSON.stringify(report, null, 2)}\n`]);
  log(`results written to ${relative(process.cwd(), path) || path}`);
}

/**
 * What went wrong in a peer run (bench:peers, bench:browser), as the lines its runner prints on
 * stderr: the cases that FAILED or errored, each backend asked for that did not start, and
 * the run's own error. Any of them fails the run (exit code 1): every backend asked for is
 * expected to run (on a GPU host, one that cannot start means the driver is not set up).
 */
export function peerRunProblems(s: BenchState): string[] {
  const lines: string[] = [];
  const bad = s.results.filter((r) => r.check === 'FAILED' || r.check === 'ERROR').length;
  if (bad > 0) lines.push(`${bad} case(s) FAILED or errored: their times are excluded`);
  for (const b of s.backends.filter((x) => x.status === 'unavailable')) lines.push(`${b.id} did not start: ${b.reason}`);
  if (s.error) lines.push(`the run failed: ${s.error}`);
  return lines;
}

/**
 * Runs a runner's main(argv) and exits with its code once stdout and stderr are flushed;
 * a UsageError is one line and exit code 2, anything else its stack and exit code 1.
 */
export async function runMain(tool: string, main: (argv: string[]) => Promise<number>): Promise<never> {
  try {
    const code = await main(process.argv.slice(2));
    await Promise.all([process.stdout, process.stderr].map((st) => new Promise((done) => st.write('', done))));
    process.exit(code);
  } catch (err) {
    if (err instanceof UsageError) {
      // parseFlags' messages already start with the tool's name.
      log(err.message.startsWith(`${tool}: `) ? err.message : `${tool}: ${err.message}`);
      process.exit(2);
    }
    log(`${tool}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  }
}
