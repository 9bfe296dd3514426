// `sigmoid-core info`: which backend runs, on which adapter, under which limits.

import { BACKEND_CHOICES, createEngine } from '../create-engine.js';
import type { AdapterInfoSummary, BackendChoice, BackendKind, EngineLimits, Tiling } from '../types.js';
import { choiceFlag, type Command, quietIo } from './args.js';

/** The --backend flag every command that opens an engine takes, and its parser. */
export const BACKEND_FLAG = {
  type: 'string', value: 'auto|webgpu|cpu', help: 'default auto: WebGPU if an adapter exists, else the CPU',
} as const;

export function backendFlag(value: string | undefined): BackendChoice {
  return choiceFlag('backend', value ?? 'auto', BACKEND_CHOICES);
}

const flags = {
  backend: { ...BACKEND_FLAG, help: 'which backend to open (default auto: WebGPU if an adapter exists, else the CPU)' },
  json: { type: 'boolean', help: 'print one JSON object instead of a table' },
  quiet: { type: 'boolean', help: 'no backend notice on stderr' },
} as const;

export interface InfoReport {
  backend: BackendKind;
  adapter: AdapterInfoSummary | null;
  /** The WebGPU matmul/Gram kernel family; null on the CPU. */
  tiling: Tiling | null;
  limits: EngineLimits;
  node: string;
  platform: string;
}

export const infoCommand: Command<typeof flags> = {
  summary: 'show the backend, the GPU adapter and the engine limits',
  usage: 'info [--backend auto|webgpu|cpu] [--json] [--quiet]',
  flags,
  async run(f, io) {
    const backend = backendFlag(f.backend);
    const engine = await createEngine({ backend, log: quietIo(f.quiet, io).log });
    let report: InfoReport;
    try {
      report = {
        backend: engine.backend,
        adapter: engine.adapterInfo,
        tiling: engine.tiling,
        limits: engine.limits,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      };
    } finally {
      engine.destroy();
    }
    io.out(f.json ? JSON.stringify(report, null, 2) : formatInfo(report));
  },
};

function formatInfo(r: InfoReport): string {
  const a = r.adapter;
  const rows: [string, string][] = [['backend', r.backend]];
  if (a) {
    rows.push(
      ['vendor', a.vendor || '-'],
      ['architecture', a.architecture || '-'],
      ['device', a.device || '-'],
      ['description', a.description || '-'],
      ['fallback adapter', a.isFallbackAdapter ? 'yes (software)' : 'no (hardware)'],
      ['matmul/gram kernels', `${r.tiling ?? '-'}-tiled`],
    );
  } else {
    rows.push(['adapter', 'none (CPU backend)']);
  }
  for (const [name, v] of Object.entries(r.limits)) rows.push([name, formatLimit(name, v)]);
  rows.push(['node', `${r.node} (${r.platform})`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function formatLimit(name: string, v: number): string {
  if (!/Size$/.test(name) || v < 1024) return String(v);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${v} (${Number(x.toFixed(1))} ${units[u]})`;
}
