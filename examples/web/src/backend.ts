// Creates the page's engine ('auto': WebGPU when navigator.gpu gives an adapter, else the
// CPU; `?backend=cpu` forces the CPU) and says in the header which backend runs: the adapter's
// vendor, architecture and description and whether it is a software (fallback) or hardware
// adapter — or, without WebGPU, "WebGPU unavailable: running on the CPU" and why ("Running on
// the CPU" when ?backend=cpu chose it: WebGPU was not even tried).
import { type AdapterInfoSummary, createEngine, type Engine } from '../../../src/index.js';

export interface BackendInfo {
  backend: 'webgpu' | 'cpu';
  adapter: AdapterInfoSummary | null;
  /** Why the CPU runs (null on WebGPU). */
  fallbackReason: string | null;
  /** The text shown in the header. */
  text: string;
}

export async function startEngine(banner: HTMLElement): Promise<{ engine: Engine; info: BackendInfo }> {
  const asked = new URLSearchParams(location.search).get('backend');
  const forced = asked === 'cpu';
  // Anything but cpu or webgpu is a typo: say it was ignored rather than run silently.
  const ignored = asked !== null && asked !== 'cpu' && asked !== 'webgpu' ? ` · ?backend=${asked} ignored (cpu or webgpu)` : '';
  const notices: string[] = [];
  const engine = await createEngine({ backend: forced ? 'cpu' : 'auto', log: (line) => notices.push(line) });
  let info: BackendInfo;
  if (engine.backend === 'webgpu') {
    const a = engine.adapterInfo;
    const name = a ? [a.vendor, a.architecture].filter((s) => s).join(' / ') || 'unknown adapter' : 'a given device';
    const kind = a?.isFallbackAdapter ? 'software (fallback) adapter' : 'hardware adapter';
    const desc = a?.description ? ` — ${a.description}` : '';
    info = { backend: 'webgpu', adapter: a, fallbackReason: null, text: `WebGPU on ${name}${desc} (${kind})` };
  } else {
    let reason: string;
    if (forced) reason = 'the CPU was chosen with ?backend=cpu';
    else reason = notices.map((l) => l.replace(/^sigmoid-core: no WebGPU, running on the CPU: /, '')).join('; ') || 'no WebGPU adapter';
    const text = forced ? `Running on the CPU (${reason})` : `WebGPU unavailable: running on the CPU (${reason})`;
    info = { backend: 'cpu', adapter: null, fallbackReason: reason, text };
  }
  info.text += ignored;
  banner.textContent = info.text;
  banner.className = `backend ${info.backend}`;
  return { engine, info };
}
