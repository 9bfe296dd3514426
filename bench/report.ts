// Benchmark output: the table printed to stdout and the JSON file written to bench/results/.

import { cpus, arch, platform, release, totalmem, type as osType } from 'node:os';
import type { AdapterInfoSummary, BackendKind, EngineLimits } from '../src/index.js';
import type { Timing } from './timing.js';

export interface CaseResult {
  backend: BackendKind;
  workload: string;
  size: string;
  /** null when the case did not run to the end (error) — see `error`. */
  timing: Timing | null;
  /** Throughput at the median time; null when the check failed or the case errored. */
  throughput: number | null;
  unit: string;
  /** SKIPPED: not run (e.g. over the time cap); `detail` says why. */
  check: 'ok' | 'FAILED' | 'ERROR' | 'SKIPPED';
  detail: string;
}

export interface BackendInfo {
  backend: BackendKind;
  adapter: AdapterInfoSummary | null;
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

/** A Markdown table: backend, workload, size, median, min–max, throughput, check. */
export function formatTable(results: CaseResult[]): string {
  const head = ['backend', 'workload', 'size', 'median', 'min–max', 'throughput', 'check'];
  const rows = results.map((r) => [
    r.backend,
    r.workload,
    r.size,
    r.timing && r.check === 'ok' ? fmtMs(r.timing.medianMs) : '—',
    r.timing && r.check === 'ok' ? fmtRange(r.timing.minMs, r.timing.maxMs) : '—',
    r.throughput === null ? '—' : `${fmtNum(r.throughput)} ${r.unit}`,
    r.check === 'ok' ? `ok (${runs(r.timing?.samples.length ?? 0)})` : `${r.check}: ${r.detail}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function runs(n: number): string {
  return `${n} run${n === 1 ? '' : 's'}`;
}

function fmtRange(lo: number, hi: number): string {
  const [a, b] = [fmtMs(lo), fmtMs(hi)];
  const unit = / \S+$/.exec(a)?.[0];
  return unit && b.endsWith(unit) ? `${a.slice(0, -unit.length)}–${b}` : `${a}–${b}`;
}

function fmtNum(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
