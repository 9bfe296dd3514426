// The Node benchmark's JSON report (machine, backends, results) written to bench/results/;
// the printed table comes from ./table.js (shared with the browser page).

import { cpus, arch, platform, release, totalmem, type as osType } from 'node:os';
import type { AdapterInfoSummary, BackendKind, EngineLimits, Tiling } from '../src/index.js';
import type { CaseResult as AnyCaseResult } from './table.js';

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
