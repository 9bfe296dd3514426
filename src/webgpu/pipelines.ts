// Shader modules and compute pipelines, each compiled once: modules by file, pipelines by
// (file, entry point, override constants). Layouts are 'auto'; the bind group layout is
// cached with the pipeline so each dispatch only builds its bind group.

import { SHADER_SOURCES, type ShaderName } from './shaders.js';

export interface Pipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** "file:entry{constants}", for error messages. */
  readonly key: string;
}

export type Constants = Readonly<Record<string, number | boolean>>;

export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #modules = new Map<ShaderName, GPUShaderModule>();
  readonly #pipelines = new Map<string, Pipeline>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  get(shader: ShaderName, entryPoint: string, constants: Constants = {}): Pipeline {
    const names = Object.keys(constants).sort();
    const key = `${shader}:${entryPoint}{${names.map((k) => `${k}=${Number(constants[k])}`).join(',')}}`;
    let p = this.#pipelines.get(key);
    if (p === undefined) {
      const values: Record<string, number> = {};
      for (const k of names) values[k] = Number(constants[k]);
      const pipeline = this.#device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.#module(shader), entryPoint, constants: values },
      });
      p = { pipeline, layout: pipeline.getBindGroupLayout(0), key };
      this.#pipelines.set(key, p);
    }
    return p;
  }

  get size(): number {
    return this.#pipelines.size;
  }

  #module(shader: ShaderName): GPUShaderModule {
    let m = this.#modules.get(shader);
    if (m === undefined) {
      m = this.#device.createShaderModule({ label: `${shader}.wgsl`, code: SHADER_SOURCES[shader] });
      this.#modules.set(shader, m);
    }
    return m;
  }
}
