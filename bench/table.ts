// Results of benchmark cases and their Markdown tables: the per-case table (Node runner,
// browser page and its runner) and the ratio table of one backend against the others.
// No Node API here: the browser page imports it.

import type { BenchState } from './peer-run.js';
import type { Timing } from './timing.js';

export interface CaseResult<B extends string = string> {
  backend: B;
  workload: string;
  size: string;
  /** The timed runs; null unless `check` is 'ok' (a FAILED, ERROR or SKIPPED case has no time) — see `detail`. */
  timing: Timing | null;
  /** Throughput at the median time; null when the check failed or the case errored. */
  throughput: number | null;
  unit: string;
  check: 'ok' | 'FAILED' | 'ERROR' | 'SKIPPED';
  detail: string;
}

/** An ISO date as it goes into a results file name: 2026-11-22T10-35-36Z. */
export function fileStamp(isoDate: string): string {
  return isoDate.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
}

/** A Markdown table: backend, workload, size, median, min–max, throughput, check. */
export function formatTable(results: readonly CaseResult[]): string {
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
  return markdown(head, rows);
}

/** One row per (workload, size) with `ours` median time ÷ each peer's: >1 means ours is faster. */
export interface RatioRow {
  workload: string;
  size: string;
  /** Peer → peer median / our median; null when either side has no checked time. */
  ratios: Record<string, number | null>;
}

export function ratios(results: readonly CaseResult[], ours: string, peers: readonly string[]): RatioRow[] {
  const ok = (b: string, w: string, s: string) =>
    results.find((r) => r.backend === b && r.workload === w && r.size === s && r.check === 'ok' && r.timing !== null)?.timing?.medianMs ?? null;
  const keys: { workload: string; size: string }[] = [];
  for (const r of results) if (!keys.some((k) => k.workload === r.workload && k.size === r.size)) keys.push({ workload: r.workload, size: r.size });
  return keys.map(({ workload, size }) => {
    const mine = ok(ours, workload, size);
    const row: RatioRow = { workload, size, ratios: {} };
    for (const p of peers) {
      const theirs = ok(p, workload, size);
      row.ratios[p] = mine !== null && theirs !== null ? theirs / mine : null;
    }
    return row;
  });
}

/** The ratio table: workload, size, then `ours` ÷ each peer (×, >1 = ours faster; — = no checked time). */
export function formatRatios(rows: readonly RatioRow[], peers: readonly string[]): string {
  const head = ['workload', 'size', ...peers.map((p) => `÷ ${p}`)];
  return markdown(head, rows.map((r) => [r.workload, r.size, ...peers.map((p) => fmtRatio(r.ratios[p] ?? null))]));
}

// The formatters pick their number of digits from the value as rounded, not as given: 9.996
// is "10.0", not "10.00", and 999.96 ms is "1.00 s", not "1000.0 ms".

export function fmtRatio(v: number | null): string {
  if (v === null) return '—';
  const two = v.toFixed(2);
  return `${Number(two) < 10 ? two : v.toFixed(1)}×`;
}

/**
 * A Markdown table, columns padded to their widest cell. A `|` inside a cell (a check's
 * "max |err| = …") is escaped as `\|`, which would otherwise end the cell and shift the rest
 * of the row.
 */
export function markdown(head: string[], rows: string[][]): string {
  const esc = (cells: string[]) => cells.map((c) => c.replace(/\|/g, '\\|'));
  const [h, body] = [esc(head), rows.map(esc)];
  const widths = h.map((x, i) => Math.max(x.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(h), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function fmtMs(ms: number): string {
  if (Number(ms.toFixed(2)) < 10) return `${ms.toFixed(2)} ms`;
  if (Number(ms.toFixed(1)) < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function runs(n: number): string {
  return `${n} run${n === 1 ? '' : 's'}`;
}

export function fmtRange(lo: number, hi: number): string {
  const [a, b] = [fmtMs(lo), fmtMs(hi)];
  const unit = / \S+$/.exec(a)?.[0];
  return unit && b.endsWith(unit) ? `${a.slice(0, -unit.length)}–${b}` : `${a}–${b}`;
}

export function fmtNum(v: number): string {
  if (Number(v.toPrecision(2)) < 1) return v.toPrecision(2);
  if (Number(v.toFixed(2)) < 10) return v.toFixed(2);
  if (Number(v.toFixed(1)) < 100) return v.toFixed(1);
  return v.toFixed(0);
}

/**
 * A peer run (bench/peer-run.ts) as its runners print it: the user agent, the adapter, each
 * backend, the results table and `ours` ÷ each peer. Built from the results, not the run's
 * finished tables, so an unfinished run still prints what it has.
 */
export function formatState(s: BenchState, ours: string): string {
  const peers = s.backends.filter((b) => b.id !== ours).map((b) => b.id);
  const adapter = typeof s.adapter === 'string' ? s.adapter : Object.entries(s.adapter).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  return [
    `${s.userAgent}`,
    `WebGPU adapter: ${adapter}`,
    ...s.backends.map((b) => `- ${b.id}: ${b.status === 'ok' ? `${b.info!.library}, ${b.info!.device}` : `unavailable: ${b.reason}`}`),
    '',
    formatTable(s.results),
    '',
    `${ours} ÷ each peer (peer median ÷ ours; > 1 = ${ours} faster; — = no checked time):`,
    '',
    formatRatios(ratios(s.results, ours, peers), peers),
  ].join('\n');
}
