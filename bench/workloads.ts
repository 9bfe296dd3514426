// The Node benchmark's workloads on one engine: the seeded inputs, float64 checks and
// throughput of bench/cases.ts (shared with the browser page), uploaded and run on an Engine.

import type { Engine, Tensor } from '../src/index.js';
import { type CaseSpec, type CheckResult, gramCase, matmulCase, sigmoidCase } from './cases.js';

export type { CheckResult } from './cases.js';

/** One case, set up on one engine: inputs uploaded, reference data kept on the host. */
export interface Prepared {
  /** Records the op; returns its output (not yet synchronised). */
  run(): Tensor;
  /** Checks every entry of the output against float64 references (bench/cases.ts). */
  check(out: Float32Array): CheckResult;
  dispose(): void;
}

export interface Workload {
  name: 'matmul' | 'sigmoid' | 'gram';
  /** Size as shown in the table, e.g. "1024", "2^22", "4096×4096, d=64". */
  size: string;
  /** Throughput for a run of `seconds`, and its unit. */
  throughput(seconds: number): number;
  unit: 'GFLOP/s' | 'GB/s' | 'M entries/s';
  prepare(engine: Engine): Prepared;
}

export function workloads(quick: boolean): Workload[] {
  const matmuls = quick ? [256, 512] : [256, 512, 1024, 2048];
  const sigmoidN = quick ? 2 ** 20 : 2 ** 22;
  const gram = quick ? { n: 1024, m: 1024, d: 64 } : { n: 4096, m: 4096, d: 64 };
  return [
    ...matmuls.map((n) => onEngine(matmulCase(n), (e, d) => {
      const a = e.tensor(d.a, [d.n, d.n]);
      const b = e.tensor(d.b, [d.n, d.n]);
      return { run: () => e.matmul(a, b), inputs: [a, b] };
    })),
    onEngine(sigmoidCase(sigmoidN), (e, d) => {
      const x = e.tensor(d.x, [d.n]);
      return { run: () => e.sigmoid(x), inputs: [x] };
    }),
    onEngine(gramCase(gram.n, gram.m, gram.d), (e, d) => {
      const x = e.tensor(d.x, [d.n, d.d]);
      const y = e.tensor(d.y, [d.m, d.d]);
      return { run: () => e.gram(x, y, { kernel: 'sigmoid', gamma: d.gamma, coef0: d.coef0 }), inputs: [x, y] };
    }),
  ];
}

type Data<S> = S extends CaseSpec<infer D> ? D : never;

function onEngine<S extends CaseSpec>(
  spec: S,
  upload: (engine: Engine, data: Data<S>) => { run: () => Tensor; inputs: Tensor[] },
): Workload {
  return {
    name: spec.name as Workload['name'],
    size: spec.size,
    unit: spec.unit as Workload['unit'],
    throughput: spec.throughput,
    prepare(engine) {
      const made = spec.make();
      const { run, inputs } = upload(engine, made.data as Data<S>);
      return {
        run,
        check: (out) => made.check(out, 0),
        dispose: () => {
          for (const t of inputs) t.dispose();
        },
      };
    },
  };
}
