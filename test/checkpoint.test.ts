// Checkpoints and resume (src/nn/checkpoint.ts, src/nn/checkpoint-store.ts): an
// uninterrupted 6-epoch run and a 3-epoch run + checkpoint + a NEW model resumed from it
// give the same epoch losses, step losses and final weights (1e-5 on the CPU, looser on
// WebGPU), for Adam and SGD with momentum; a run killed mid-epoch resumes from its last
// checkpoint; a write that fails midway leaves the previous checkpoint intact and loadable;
// truncated, foreign, header-edited and mismatched checkpoints throw ValueErrors and change
// nothing, as does a resume on other training data of the same size (its CRC-32 differs),
// and a checkpoint_version "1" file (before these checks) still resumes; the checkpoint of an
// unseeded fit that shuffled on from an earlier one resumes with its orders (fit.shuffleEpoch); the
// OPFS and IndexedDB stores are unit-tested against small in-memory fakes (no browser).
// The removal of temp files a killed writer left is tested in test/temp-files.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, type History, type OptimizerSpec, Sequential, ValueError } from '../src/index.js';
import { CHECKPOINT_TAG, type CheckpointStore, CheckpointStoreError, checkpointStore, encodeSafetensors, parseCheckpoint, parseSafetensors } from '../src/nn/index.js';
import { adam, dense, sequential, sgd, sigmoid, tanh } from '../src/nn/index.js';
import { IdbStore, OpfsStore, type OpfsDirectory } from '../src/nn/checkpoint-store.js';
import { openTemps } from '../src/io/write-target.js';
import { useEngines } from './helpers/engines.js';
import { expectClose } from './helpers/expectClose.js';
import { Scope } from './helpers/scope.js';
import { blobs } from './nn/data-helpers.js';

const engines = useEngines();
const dir = mkdtempSync(join(tmpdir(), 'sigmoid-core-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DATA = blobs(5, 120, 6, 3);
const NET = [dense(6, 12), sigmoid({ learnAlpha: true }), dense(12, 8, { init: 'he' }), tanh(), dense(8, 3)];
// 120 rows, 100 train (validationSplit) / batch 16 → 7 steps per epoch, the last one short.
const FIT = { batchSize: 16, seed: 9, recordStepLosses: true, validationSplit: 1 / 6 } as const;

function model(e: Engine, optimizer: OptimizerSpec, seed = 4): Sequential {
  const m = sequential(e, NET, { seed });
  m.compile({ loss: 'softmaxCrossEntropy', optimizer });
  return m;
}

async function weightsOf(m: Sequential): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of m.parameters()) out.set(p.name, await p.tensor.read());
  return out;
}

/** `s` as a literal inside a RegExp. */
function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A store in memory that counts writes. */
function memoryStore(): CheckpointStore & { bytes: Uint8Array | null; writes: number } {
  return {
    bytes: null,
    writes: 0,
    async write(b) {
      this.bytes = b.slice();
      this.writes++;
    },
    async read() {
      if (this.bytes === null) throw new Error('empty');
      return this.bytes;
    },
  };
}

async function uninterrupted(e: Engine, opt: OptimizerSpec): Promise<{ h: History; w: Map<string, Float32Array> }> {
  const m = model(e, opt);
  try {
    const h = await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 6 });
    return { h, w: await weightsOf(m) };
  } finally {
    m.dispose();
  }
}

async function resumed(e: Engine, opt: OptimizerSpec, path: string): Promise<{ first: History; h: History; w: Map<string, Float32Array> }> {
  const a = model(e, opt);
  let first: History;
  try {
    first = await a.fit(DATA.x, DATA.labels, { ...FIT, epochs: 3, checkpoint: { every: 1, to: path } });
  } finally {
    a.dispose();
  }
  // A new model with a different init seed: everything must come from the checkpoint.
  const b = model(e, opt, 77);
  try {
    const h = await b.fit(DATA.x, DATA.labels, { epochs: 6, recordStepLosses: true, validationSplit: 1 / 6, resumeFrom: path });
    return { first, h, w: await weightsOf(b) };
  } finally {
    b.dispose();
  }
}

const OPTIMIZERS: [string, OptimizerSpec][] = [
  ['adam', adam({ lr: 0.01, weightDecay: 1e-3 })],
  ['sgd with momentum', sgd({ lr: 0.05, momentum: 0.9 })],
];

describe('resume gives the uninterrupted run', () => {
  for (const [backend, rtol, atol] of [['cpu', 1e-5, 1e-6], ['webgpu', 1e-4, 1e-5]] as const) {
    for (const [name, opt] of OPTIMIZERS) {
      it(`${backend}, ${name}: epochs 4–6 (losses, step losses, validation, weights) match`, async () => {
        const e = backend === 'cpu' ? engines.cpu : engines.gpu;
        const full = await uninterrupted(e, opt);
        const path = join(dir, `${backend}-${name.replace(/ /g, '-')}.safetensors`);
        const r = await resumed(e, opt, path);
        expect(r.h.epochs.map((l) => l.epoch)).toEqual([3, 4, 5]);
        expectClose(r.first.loss, full.h.loss.slice(0, 3), { rtol, atol, label: 'epochs 1–3' });
        expectClose(r.h.loss, full.h.loss.slice(3), { rtol, atol, label: 'epoch losses 4–6' });
        expectClose(r.h.valLoss!, full.h.valLoss!.slice(3), { rtol, atol, label: 'validation losses 4–6' });
        expect(r.h.stepLosses).toHaveLength(21);
        expectClose(r.h.stepLosses!, full.h.stepLosses!.slice(21), { rtol, atol, label: 'step losses 4–6' });
        expectClose(r.h.epochs.map((l) => l.alphas[0]!), full.h.epochs.slice(3).map((l) => l.alphas[0]!), { rtol, atol, label: 'α' });
        for (const [p, w] of full.w) expectClose(r.w.get(p)!, w, { rtol, atol, label: `final ${p}` });
        // The losses moved: the comparison is not vacuous.
        expect(full.h.loss[5]!).toBeLessThan(full.h.loss[0]! * 0.8);
      });
    }
  }

  it('the checkpoint holds the parameters, the optimizer state and the run position', async () => {
    const path = join(dir, 'contents.safetensors');
    const m = model(engines.cpu, adam({ lr: 0.01 }));
    try {
      await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 2, checkpoint: { to: path } });
      const ck = parseCheckpoint(new Uint8Array(readFileSync(path)));
      expect(ck.epochsCompleted).toBe(2);
      expect(ck.optimizerSteps).toBe(14);
      expect(ck.fit).toEqual({ seed: 9, shuffleEpoch: 0, shuffle: true, batchSize: 16, trainRows: 100, epochs: 2 });
      expect(ck.optimizer).toEqual(adam({ lr: 0.01 }));
      const names = [...ck.tensors.keys()];
      expect(names).toContain('layers.0.weight');
      expect(names).toContain('layers.1.alpha');
      expect(names).toContain('optimizer.layers.0.weight.m');
      expect(names).toContain('optimizer.layers.4.bias.v');
      const w = await weightsOf(m);
      for (const [p, v] of w) expect(Array.from(ck.tensors.get(p)!.data)).toEqual(Array.from(v));
      // A checkpoint is also a saved model: fromSafetensors and load() take its parameters.
      const bytes = new Uint8Array(readFileSync(path));
      const copy = Sequential.fromSafetensors(engines.cpu, bytes);
      try {
        for (const [p, v] of await weightsOf(copy)) expect(Array.from(v)).toEqual(Array.from(w.get(p)!));
      } finally {
        copy.dispose();
      }
      m.load(bytes);
      // No temp files left beside it.
      expect(readdirSync(dir).filter((f) => f.startsWith('.contents'))).toEqual([]);
    } finally {
      m.dispose();
    }
  });

  it('a plain optimizer spec resumes whatever the order of its fields (a JSON config\'s); a field left out takes its default', async () => {
    const store = memoryStore();
    const models = [
      model(engines.cpu, { kind: 'sgd', lr: 0.05, weightDecay: 0, momentum: 0.9 } as OptimizerSpec),
      model(engines.cpu, sgd({ lr: 0.05, momentum: 0.9 })),
      model(engines.cpu, { kind: 'sgd', lr: 0.05, momentum: 0.9 } as OptimizerSpec),
    ];
    try {
      await models[0]!.fit(DATA.x, DATA.labels, { ...FIT, epochs: 2, checkpoint: { to: store } });
      // It was refused: "sgd(lr 0.05, weightDecay 0, momentum 0.9) but … sgd(lr 0.05, momentum 0.9, weightDecay 0)".
      for (const m of models.slice(1)) expect((await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 3, resumeFrom: store })).epochs.map((l) => l.epoch)).toEqual([2]);
    } finally {
      for (const m of models) m.dispose();
    }
  });

  it('every: N writes after epochs N, 2N, … and after the last', async () => {
    const store = memoryStore();
    const seen: number[] = [];
    const m = model(engines.cpu, sgd({ lr: 0.05 }));
    try {
      await m.fit(DATA.x, DATA.labels, {
        ...FIT, epochs: 5, checkpoint: { every: 2, to: store },
        onEpochEnd: () => {
          seen.push(store.bytes === null ? 0 : parseCheckpoint(store.bytes).epochsCompleted);
        },
      });
      expect(store.writes).toBe(3);
      // Written after each due epoch's onEpochEnd: a callback sees the one before.
      expect(seen).toEqual([0, 0, 2, 2, 4]);
      expect(parseCheckpoint(store.bytes!).epochsCompleted).toBe(5);
      // Plain SGD has no optimizer state tensors.
      expect([...parseCheckpoint(store.bytes!).tensors.keys()].some((n) => n.startsWith('optimizer.'))).toBe(false);
    } finally {
      m.dispose();
    }
  });

  it('a run killed mid-epoch resumes from its last checkpoint to the uninterrupted result', async () => {
    const opt = adam({ lr: 0.01 });
    const full = await uninterrupted(engines.cpu, opt);
    const store = memoryStore();
    const a = model(engines.cpu, opt);
    try {
      await expect(
        a.fit(DATA.x, DATA.labels, {
          ...FIT, epochs: 6, checkpoint: { every: 2, to: store },
          onBatchEnd: ({ epoch, step }) => {
            if (epoch === 4 && step === 3) throw new Error('power cut');
          },
        }),
      ).rejects.toThrow('power cut');
    } finally {
      a.dispose();
    }
    expect(parseCheckpoint(store.bytes!).epochsCompleted).toBe(4);
    const b = model(engines.cpu, opt);
    try {
      const h = await b.fit(DATA.x, DATA.labels, { ...FIT, epochs: 6, resumeFrom: store });
      expectClose(h.loss, full.h.loss.slice(4), { rtol: 1e-5, atol: 1e-6, label: 'epochs 5–6' });
      const w = await weightsOf(b);
      for (const [p, v] of full.w) expectClose(w.get(p)!, v, { rtol: 1e-5, atol: 1e-6, label: p });
    } finally {
      b.dispose();
    }
  });
});

describe('a fit that fails or stops part-way', () => {
  for (const backend of ['cpu', 'gpu'] as const) {
    it(`${backend}: a callback that throws mid-epoch leaves weights and Adam state at the end of the last completed epoch`, async () => {
      const e = engines[backend];
      const opt = adam({ lr: 0.05 });
      const a = model(e, opt);
      const b = model(e, opt);
      try {
        await a.fit(DATA.x, DATA.labels, { ...FIT, epochs: 1 });
        const afterEpoch0 = await weightsOf(a);
        await expect(
          b.fit(DATA.x, DATA.labels, {
            ...FIT, epochs: 3,
            onBatchEnd: ({ epoch, step }) => {
              if (epoch === 1 && step === 2) throw new Error('callback failed');
            },
          }),
        ).rejects.toThrow('callback failed');
        const w = await weightsOf(b);
        for (const [p, v] of afterEpoch0) expect(Array.from(w.get(p)!), p).toEqual(Array.from(v));
        // The optimizer too (moments and step count): one more epoch gives the same weights.
        await a.fit(DATA.x, DATA.labels, { ...FIT, epochs: 1 });
        await b.fit(DATA.x, DATA.labels, { ...FIT, epochs: 1 });
        const [wa, wb] = [await weightsOf(a), await weightsOf(b)];
        for (const [p, v] of wa) expect(Array.from(wb.get(p)!), `${p} one epoch later`).toEqual(Array.from(v));
        expect(e.memory().liveTensors).toBe(2 * 3 * a.parameters().length); // each model's parameters and their Adam m and v
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  }

  it('an unseeded fit after one that failed shuffles on from the epochs the failed one kept (it repeated epoch 0\'s order)', async () => {
    const FIT_S = { batchSize: 16, recordStepLosses: true } as const; // no seed: the model's own, shuffled on
    const opt = adam({ lr: 0.01 });
    const full = model(engines.cpu, opt);
    const models: Sequential[] = [full];
    try {
      const hf = await full.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 3 });
      const epoch2 = hf.stepLosses!.slice((2 * hf.stepLosses!.length) / 3);
      const fail = new Error('callback failed');
      const store = memoryStore();
      const failures: ((m: Sequential) => Promise<History>)[] = [
        // onEpochEnd of epoch 1 throws: epochs 0 and 1 kept.
        (m) => m.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 3, onEpochEnd: ({ epoch }) => { if (epoch === 1) throw fail; } }),
        // onBatchEnd in epoch 2 throws: epoch 2 undone, epochs 0 and 1 kept.
        (m) => m.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 3, onBatchEnd: ({ epoch, step }) => { if (epoch === 2 && step === 2) throw fail; } }),
        // A run resumed from its epoch-2 checkpoint fails in its first epoch: the checkpoint's 2 epochs kept.
        async (m) => {
          const w = model(engines.cpu, opt);
          models.push(w);
          await w.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 2, checkpoint: { to: store } });
          return m.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 3, resumeFrom: store, onBatchEnd: ({ step }) => { if (step === 1) throw fail; } });
        },
      ];
      for (const [i, failing] of failures.entries()) {
        const m = model(engines.cpu, opt);
        models.push(m);
        await expect(failing(m)).rejects.toThrow(fail);
        const h = await m.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 1 });
        expect(h.stepLosses, `case ${i}`).toEqual(epoch2); // bit for bit on the CPU
      }
    } finally {
      for (const m of models) m.dispose();
    }
  });

  it('dispose() from a callback stops fit with an error that says so, and frees everything', async () => {
    for (const e of [engines.cpu, engines.gpu]) {
      const live = e.memory().liveTensors;
      const m = model(e, adam({ lr: 0.01 }));
      await expect(m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 3, onBatchEnd: ({ epoch, step }) => void (epoch === 1 && step === 2 && m.dispose()) }))
        .rejects.toThrow(/fit: the model was disposed while it was training/);
      expect(e.memory().liveTensors, e.backend).toBe(live);
    }
  });

  it('a learning-rate schedule in onEpochEnd resumes exactly (the checkpoint records the next epoch\'s rate), and an unseeded fit after a resume shuffles on as after the uninterrupted run', async () => {
    const lr0 = 0.02;
    const schedule = (m: Sequential) => ({ epoch }: { epoch: number }) => m.setLearningRate(lr0 / 2 ** (epoch + 1));
    const FIT_S = { batchSize: 16, recordStepLosses: true } as const; // no seed: the model's own, shuffled on
    const full = model(engines.cpu, adam({ lr: lr0 }));
    const first = model(engines.cpu, adam({ lr: lr0 }));
    const second = model(engines.cpu, adam({ lr: lr0 }));
    const store = memoryStore();
    try {
      const hf = await full.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 4, onEpochEnd: schedule(full) });
      const after = await full.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 1 });
      await first.fit(DATA.x, DATA.labels, {
        ...FIT_S, epochs: 4, checkpoint: { to: store }, onEpochEnd: (l) => (schedule(first)(l), l.epoch !== 1),
      });
      expect(parseCheckpoint(store.bytes!).optimizer.lr).toBe(lr0 / 4); // epoch 2's rate
      await expect(second.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 4, resumeFrom: store })).rejects.toThrow(/setLearningRate\(0\.005\)/);
      second.setLearningRate(lr0 / 4);
      const hr = await second.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 4, resumeFrom: store, onEpochEnd: schedule(second) });
      expect(hr.stepLosses).toEqual(hf.stepLosses!.slice(2 * 8)); // epochs 2 and 3 (8 steps each), bit for bit on the CPU
      const afterResume = await second.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 1 });
      expect(afterResume.stepLosses).toEqual(after.stepLosses);
    } finally {
      full.dispose();
      first.dispose();
      second.dispose();
    }
  });

  it('an onEpochEnd that changes the rate and then throws leaves the checkpoint before that epoch, which resumes as the uninterrupted run (it left one at the old rate)', async () => {
    const lr0 = 0.05;
    const halve = (m: Sequential) => ({ epoch }: { epoch: number }) => void (epoch % 2 === 1 && m.setLearningRate(m.learningRate / 2));
    const FIT_S = { batchSize: 16, seed: 3, recordStepLosses: true } as const;
    const full = model(engines.cpu, adam({ lr: lr0 }));
    const first = model(engines.cpu, adam({ lr: lr0 }));
    const second = model(engines.cpu, adam({ lr: lr0 }));
    const store = memoryStore();
    try {
      const hf = await full.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 6, onEpochEnd: halve(full) });
      await expect(first.fit(DATA.x, DATA.labels, {
        ...FIT_S, epochs: 6, checkpoint: { every: 2, to: store }, onEpochEnd: (l) => {
          halve(first)(l);
          if (l.epoch === 3) throw new Error('the schedule\'s logger failed');
        },
      })).rejects.toThrow(/logger failed/);
      const ck = parseCheckpoint(store.bytes!);
      expect(ck.epochsCompleted).toBe(2);
      expect(ck.optimizer.lr).toBe(lr0 / 2); // the rate epoch 2 ran at
      second.setLearningRate(ck.optimizer.lr);
      const hr = await second.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 6, resumeFrom: store, onEpochEnd: halve(second) });
      expect(hr.stepLosses).toEqual(hf.stepLosses!.slice(2 * 8)); // epochs 2–5, bit for bit on the CPU
      expect(second.learningRate).toBe(full.learningRate);
    } finally {
      full.dispose();
      first.dispose();
      second.dispose();
    }
  });

  it('the checkpoint of an unseeded fit that shuffled on from an earlier one records where (fit.shuffleEpoch) and resumes with its orders', async () => {
    const FIT_S = { batchSize: 16, recordStepLosses: true } as const; // no seed: the model's own, shuffled on
    const opt = adam({ lr: 0.01 });
    const [full, first, second] = [model(engines.cpu, opt), model(engines.cpu, opt), model(engines.cpu, opt, 77)];
    const store = memoryStore();
    try {
      await full.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 1 });
      const hf = await full.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 3 }); // the model's epochs 1–3
      await first.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 1 });
      await first.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 3, checkpoint: { to: store }, onEpochEnd: ({ epoch }) => epoch !== 0 });
      expect(parseCheckpoint(store.bytes!).fit).toMatchObject({ seed: 4, shuffleEpoch: 1 });
      // second (init seed 77, no fit yet) would shuffle from its own seed: the checkpoint's stream wins.
      const hr = await second.fit(DATA.x, DATA.labels, { ...FIT_S, epochs: 3, resumeFrom: store });
      expect(hr.stepLosses).toEqual(hf.stepLosses!.slice(8)); // epochs 1 and 2 of the run (8 steps each), bit for bit on the CPU
    } finally {
      full.dispose();
      first.dispose();
      second.dispose();
    }
  });

  it('onEpochEnd stopping the run between checkpoints writes one for the epoch it stopped at (resumable)', async () => {
    const store = memoryStore();
    const m = model(engines.cpu, adam({ lr: 0.01 }));
    try {
      const h = await m.fit(DATA.x, DATA.labels, {
        ...FIT, epochs: 10, checkpoint: { every: 5, to: store }, onEpochEnd: ({ epoch }) => epoch !== 2,
      });
      expect(h.stoppedEarly).toBe(true);
      expect(store.writes).toBe(1);
      expect(parseCheckpoint(store.bytes!).epochsCompleted).toBe(3);
    } finally {
      m.dispose();
    }
  });
});

describe('a diverged run', () => {
  for (const backend of ['cpu', 'gpu'] as const) {
    it(`${backend}: fit refuses to write a non-finite checkpoint (resume and load refuse one) and keeps the last good one`, async () => {
      const e = engines[backend];
      const store = memoryStore();
      const m = model(e, sgd({ lr: 0.1 }));
      try {
        // Epoch 0 trains sanely; onEpochEnd then raises the rate so that epoch 1 overflows the weights.
        const run = m.fit(DATA.x, DATA.labels, {
          ...FIT, epochs: 3, checkpoint: { to: store },
          onEpochEnd: ({ epoch }) => {
            if (epoch === 0) m.setLearningRate(1e38);
          },
        });
        await expect(run).rejects.toThrow(ValueError);
        await expect(run).rejects.toThrow(/at 2 epochs completed: layers\.0\.weight element \d+ is (NaN|-?Infinity) \(not finite\): training diverged/);
        // One write: epoch 0's, after its onEpochEnd (with the rate it set); nothing after.
        expect(store.writes).toBe(1);
        const ck = parseCheckpoint(store.bytes!);
        expect(ck.epochsCompleted).toBe(1);
        for (const t of ck.tensors.values()) expect(t.data.every(Number.isFinite), `${t.name} of the kept checkpoint`).toBe(true);
        // resumeFrom accepts it (at the rate it recorded, 1e38: epoch 1 diverges again, as loudly).
        const b = model(e, sgd({ lr: 0.1 }));
        try {
          b.setLearningRate(1e38);
          await expect(b.fit(DATA.x, DATA.labels, { ...FIT, epochs: 3, resumeFrom: store.bytes!, checkpoint: { to: memoryStore() } })).rejects.toThrow(/at 2 epochs completed: .*training diverged/);
        } finally {
          b.dispose();
        }
      } finally {
        m.dispose();
      }
    });
  }
});

describe('atomic writes', () => {
  it("a checkpoint file's temp is registered while it is written, for the CLI's signal handler to remove (Ctrl-C left a partial one), and no longer once it is renamed", async () => {
    const sub = mkdtempSync(join(dir, 'signal-'));
    const path = join(sub, 'run.safetensors');
    const writing = checkpointStore(path).write(new Uint8Array(2 ** 20));
    const until = Date.now() + 5_000;
    while (openTemps.size === 0 && Date.now() < until) await new Promise((done) => setImmediate(done));
    const [tmp] = [...openTemps];
    expect(tmp, 'the write registered its temp file (removeOpenTemps deletes those on SIGINT/SIGTERM)').toMatch(/\.tmp$/);
    expect(tmp!.startsWith(sub)).toBe(true);
    await writing;
    expect(openTemps.has(tmp!)).toBe(false);
    expect(readdirSync(sub)).toEqual(['run.safetensors']);
  });

  it('a write that fails midway leaves the previous checkpoint file intact and loadable', async () => {
    const path = join(dir, 'atomic.safetensors');
    const m = model(engines.cpu, adam({ lr: 0.01 }));
    try {
      await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 2, checkpoint: { to: path } });
      const before = readFileSync(path);
      // A crash while writing: the file store's write fails after part of the data (a
      // byte source that throws while it is being copied).
      const store = checkpointStore(path);
      const failing = new Proxy(new Uint8Array(before.length), {}) as Uint8Array; // fails when copied
      await expect(store.write(failing)).rejects.toThrow(/cannot write the checkpoint .*previous checkpoint there is unchanged/);
      // A crash during fit's own checkpoint write: same.
      await expect(
        m.fit(DATA.x, DATA.labels, {
          ...FIT, epochs: 3, checkpoint: { to: { name: 'x', read: store.read.bind(store), write: async () => { throw new Error('crash while writing'); } } },
        }),
      ).rejects.toThrow('crash while writing');
      expect(Buffer.compare(readFileSync(path), before)).toBe(0);
      expect(parseCheckpoint(new Uint8Array(readFileSync(path))).epochsCompleted).toBe(2);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // And a resume from it still works.
      const b = model(engines.cpu, adam({ lr: 0.01 }));
      try {
        const h = await b.fit(DATA.x, DATA.labels, { ...FIT, epochs: 3, resumeFrom: path });
        expect(h.epochs).toHaveLength(1);
      } finally {
        b.dispose();
      }
    } finally {
      m.dispose();
    }
  });

  it('the temp file is written beside the target and renamed over it (the old file is never opened for writing)', async () => {
    const path = join(dir, 'rename.safetensors');
    writeFileSync(path, 'old');
    const store = checkpointStore(path);
    await store.write(new Uint8Array([1, 2, 3]));
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
    await expect(checkpointStore(join(dir, 'missing-dir', 'x.safetensors')).write(new Uint8Array(1))).rejects.toThrow(/cannot write the checkpoint/);
  });

  it.skipIf(process.platform === 'win32')("a '\\' in a file name is no folder separator off Windows: the target is accepted, written and read", async () => {
    const path = join(dir, 'run\\1.safetensors');
    const m = model(engines.cpu, adam({ lr: 0.01 }));
    try {
      await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 1, checkpoint: { to: path } });
      expect(readdirSync(dir)).toContain('run\\1.safetensors');
      expect(parseCheckpoint(await checkpointStore(path).read()).epochsCompleted).toBe(1);
    } finally {
      m.dispose();
    }
  });
});

describe('bad checkpoints', () => {
  const opt = adam({ lr: 0.01 });
  // The model the tests resume from and its checkpoint after 2 epochs of FIT: only read (copies are edited).
  let a: Sequential;
  let good: Uint8Array;
  beforeAll(async () => {
    const store = memoryStore();
    a = model(engines.cpu, opt);
    await a.fit(DATA.x, DATA.labels, { ...FIT, epochs: 2, checkpoint: { to: store } });
    good = store.bytes!;
  });
  afterAll(() => a?.dispose());

  async function expectRejected(
    m: Sequential, from: Uint8Array | string, message: RegExp, opts = {}, y: number[] | number[][] = DATA.labels, x: number[][] = DATA.x,
  ): Promise<void> {
    const w = await weightsOf(m);
    const err = await m.fit(x, y, { ...FIT, epochs: 4, ...opts, resumeFrom: from }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ValueError);
    expect((err as Error).message).toMatch(message);
    const after = await weightsOf(m);
    for (const [p, v] of w) expect(Array.from(after.get(p)!), `${p} unchanged`).toEqual(Array.from(v));
  }

  it('a checkpoint_version "2" file (no fit.shuffleEpoch) still resumes, its epochs left shuffled as this version shuffles', async () => {
    const parsed = parseSafetensors(good);
    const { shuffleEpoch, ...fitWithout } = JSON.parse(parsed.metadata.fit!) as Record<string, unknown>;
    expect(shuffleEpoch).toBe(0);
    const v2 = encodeSafetensors(parsed.tensors, { ...parsed.metadata, checkpoint_version: '2', fit: JSON.stringify(fitWithout) }, { checksum: true });
    const [full, resumed] = [model(engines.cpu, opt), model(engines.cpu, opt, 1)];
    try {
      const hf = await full.fit(DATA.x, DATA.labels, { ...FIT, epochs: 4 });
      const hr = await resumed.fit(DATA.x, DATA.labels, { ...FIT, epochs: 4, resumeFrom: v2 });
      expect(hr.epochs.map((l) => l.epoch)).toEqual([2, 3]);
      expect(hr.stepLosses).toEqual(hf.stepLosses!.slice(hf.stepLosses!.length / 2)); // bit for bit on the CPU
    } finally {
      full.dispose();
      resumed.dispose();
    }
  });

  it('truncated, foreign, weights-only and mismatched files throw ValueErrors naming the problem; the model is unchanged', async () => {
    const m = model(engines.cpu, opt, 1);
    try {
      await expectRejected(m, good.subarray(0, good.length - 10), /truncated/);
      await expectRejected(m, good.subarray(0, 5), /truncated/);
      // Full length but damaged data (a torn write leaves zeros; a bad disk flips a bit):
      // the data's CRC-32 in the header refuses it instead of resuming from garbage.
      const zeroTail = good.slice();
      zeroTail.fill(0, good.length - 100);
      await expectRejected(m, zeroTail, /resumeFrom: not a readable checkpoint: safetensors: the tensor data is damaged: its CRC-32 is [0-9a-f]{8}, the file was written with "[0-9a-f]{8}"/);
      const flipped = good.slice();
      flipped[good.length - 200]! ^= 0x01;
      await expectRejected(m, flipped, /tensor data is damaged/);
      // Loaded as a plain model, too.
      expect(() => Sequential.fromSafetensors(engines.cpu, flipped)).toThrow(/safetensors: the tensor data is damaged/);
      expect(() => m.load(zeroTail)).toThrow(/safetensors: the tensor data is damaged/);
      await expectRejected(m, new TextEncoder().encode('not a checkpoint at all, just text'), /not a readable checkpoint/);
      await expectRejected(m, encodeSafetensors([{ name: 'w', shape: [1], data: new Float32Array(1) }], { format: 'pt' }), /not a sigmoid-core checkpoint/);
      // A model layout this version does not know, inside an otherwise good checkpoint.
      const parsed = parseSafetensors(good);
      await expectRejected(m, encodeSafetensors(parsed.tensors, { ...parsed.metadata, format_version: '2' }, { checksum: true }), /format_version "2" is not supported/);
      const edited = (changes: Record<string, string>) => encodeSafetensors(parsed.tensors, { ...parsed.metadata, ...changes }, { checksum: true });
      await expectRejected(m, edited({ checkpoint_version: '4' }), /checkpoint_version "4" is not supported \(this version reads "1", "2", "3"\)/);
      // Version "3" records where in its seed's shuffle stream the run started; without it, no resume.
      const { shuffleEpoch, ...fitWithout } = JSON.parse(parsed.metadata.fit!) as Record<string, unknown>;
      expect(shuffleEpoch).toBe(0);
      await expectRejected(m, edited({ fit: JSON.stringify(fitWithout) }), /__metadata__\.fit must be \{ seed, shuffleEpoch, shuffle, batchSize, trainRows, epochs \}/);
      await expectRejected(m, edited({ fit: JSON.stringify({ ...fitWithout, shuffleEpoch: -1 }) }), /__metadata__\.fit must be/);
      // Past MAX_SEED, shuffleEpoch + epoch would leave the safe integers: refused when read, not mid-fit.
      await expectRejected(m, edited({ fit: JSON.stringify({ ...fitWithout, shuffleEpoch: Number.MAX_SAFE_INTEGER - 1 }) }), /__metadata__\.fit must be/);
      await expectRejected(m, await a.save(), /model saved by model\.save\(\).*model\.load/);
      await expectRejected(m, good, /already completed 2 epochs/, { epochs: 2 });
      await expectRejected(m, good, /batchSize 16, this fit asks for 8/, { batchSize: 8 });
      await expectRejected(m, good, /seed 9, this fit asks for 1/, { seed: 1 });
      await expectRejected(m, good, /trained on 100 rows, this fit has 120 \(resume on the same data, with the validationSplit or validationData the run had\)/, { validationSplit: undefined });
      // Adam's v is a mean of squares: a (finite) negative one would give NaN weights.
      const file = parseSafetensors(good);
      expect(file.tensors.some((t) => t.name.endsWith('.v')), 'an Adam checkpoint').toBe(true);
      // (encodeSafetensors drops the parsed file's now stale data_crc32, and writes a fresh one.)
      expect(file.metadata.data_crc32).toMatch(/^[0-9a-f]{8}$/);
      const negative = encodeSafetensors(
        file.tensors.map((t) => ({ ...t, data: t.name.endsWith('.v') ? new Float32Array(t.data.length).fill(-1) : t.data })),
        file.metadata,
        { checksum: true },
      );
      await expectRejected(m, negative, /\.v element 0 is -1 \(Adam's v cannot be negative\)/);
    } finally {
      m.dispose();
    }
    const other = sequential(engines.cpu, [dense(6, 10), sigmoid(), dense(10, 3)]);
    other.compile({ loss: 'softmaxCrossEntropy', optimizer: opt });
    try {
      await expectRejected(other, good, /architecture .* differs/);
    } finally {
      other.dispose();
    }
    const sgdModel = model(engines.cpu, sgd({ lr: 0.01, momentum: 0.9 }));
    try {
      await expectRejected(sgdModel, good, /optimizer is adam\(lr 0\.01.*compiled with sgd\(lr 0\.01, momentum 0\.9/);
    } finally {
      sgdModel.dispose();
    }
    // Only the rate differs (a schedule changed it): the message says how to resume.
    const slower = model(engines.cpu, opt);
    try {
      slower.setLearningRate(opt.lr / 2);
      await expectRejected(slower, good, /only the rate differs: call model\.setLearningRate\(0\.01\) before resuming/);
      slower.setLearningRate(opt.lr);
      await slower.fit(DATA.x, DATA.labels, { ...FIT, epochs: 3, resumeFrom: good });
    } finally {
      slower.dispose();
    }
    const mse = sequential(engines.cpu, NET, { seed: 4 });
    mse.compile({ loss: 'mse', optimizer: opt });
    try {
      await expectRejected(mse, good, /loss softmaxCrossEntropy, the model is compiled with mse/, {}, DATA.onehot);
    } finally {
      mse.dispose();
    }
  });

  it('a hand-edited or damaged header value (epochs done, optimizer steps, the batch size) is refused, naming the file; so is a checkpoint stripped of its checksums', async () => {
    const path = join(dir, 'header.safetensors');
    const m = model(engines.cpu, opt, 1);
    try {
      const edits = [
        ['"epochs_completed":"2"', '"epochs_completed":"1"'],
        ['"optimizer_steps":"14"', '"optimizer_steps":"41"'],
        ['\\"batchSize\\":16', '\\"batchSize\\":36'], // '1' → '3' is one flipped bit
      ];
      for (const [from, to] of edits) {
        const at = Buffer.from(good).indexOf(from!);
        expect(at, from).toBeGreaterThan(8);
        const edited = good.slice();
        edited.set(new TextEncoder().encode(to), at); // same length: still well-formed safetensors
        writeFileSync(path, edited);
        // batchSize left out: the run's own is taken from the checkpoint (it would be 36).
        await expectRejected(m, path, new RegExp(`^resumeFrom ${escape(path)}: not a readable checkpoint: safetensors: __metadata__ was edited or damaged`), { batchSize: undefined });
      }
      const file = parseSafetensors(good);
      await expectRejected(m, encodeSafetensors(file.tensors, file.metadata), /resumeFrom: __metadata__\.metadata_crc32 is missing/);
    } finally {
      m.dispose();
    }
  });

  it('resuming on other training data with the same row count is refused, saying which of x and y differs; the same values in another form, or other validation rows, resume', async () => {
    const m = model(engines.cpu, opt, 1);
    const scope = new Scope(engines.cpu);
    try {
      // The fingerprint: CRC-32 of the 100 training rows as float32 bytes (y as the one-hot rows trained on).
      const hex = (rows: number[][]): string => crc32(new Uint8Array(new Float32Array(rows.slice(0, 100).flat()).buffer)).toString(16).padStart(8, '0');
      expect(parseCheckpoint(good).trainData).toEqual({ x: hex(DATA.x), y: hex(DATA.onehot) });
      const fresh = /leave out resumeFrom/;
      const otherX = DATA.x.map((r, i) => (i === 50 ? r.map((v, j) => (j === 2 ? v + 0.5 : v)) : r));
      await expectRejected(m, good, /resumeFrom: the training inputs x are not those of the checkpoint's run \(the same 100 rows, other values\)/, {}, DATA.labels, otherX);
      await expectRejected(m, good, fresh, {}, DATA.labels, otherX);
      const otherY = DATA.labels.map((c, i) => (i === 0 ? 1 : i === 1 ? 0 : c)); // rows 0 and 1 (classes 0 and 1) swapped
      await expectRejected(m, good, /resumeFrom: the training targets y are not those/, {}, otherY);
      await expectRejected(m, good, /resumeFrom: the training inputs x and targets y are not those/, {}, otherY, otherX);
      // Rows 100–119 are the validation split: not trained on, not in the fingerprint.
      const otherValidation = DATA.x.map((r, i) => (i >= 100 ? r.map((v) => -v) : r));
      expect((await m.fit(otherValidation, DATA.labels, { ...FIT, epochs: 3, resumeFrom: good })).epochs).toHaveLength(1);
      // The same values as a device tensor and one-hot rows.
      const xt = scope.t(new Float32Array(DATA.x.flat()), [120, 6]);
      expect((await m.fit(xt, DATA.onehot, { ...FIT, epochs: 3, resumeFrom: good })).epochs).toHaveLength(1);
    } finally {
      scope.dispose();
      m.dispose();
    }
  });

  it('a checkpoint written before metadata_crc32 (checkpoint_version "1") still resumes', async () => {
    // Written by sigmoid-core before this check existed: model(cpu, adam 0.01, seed 4), 2 epochs of FIT on DATA.
    const path = fileURLToPath(new URL('./fixtures/checkpoint-v1.safetensors', import.meta.url));
    const ck = parseCheckpoint(new Uint8Array(readFileSync(path)));
    expect([ck.epochsCompleted, ck.optimizerSteps]).toEqual([2, 14]);
    const m = model(engines.cpu, opt, 1);
    try {
      const h = await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 4, resumeFrom: path });
      expect(h.epochs.map((l) => l.epoch)).toEqual([2, 3]);
      expect(h.loss.every(Number.isFinite)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  it('a missing checkpoint file and bad options are reported', async () => {
    const m = model(engines.cpu, opt);
    try {
      await expect(m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 2, resumeFrom: join(dir, 'nope.safetensors') })).rejects.toThrow(
        /cannot read the checkpoint .*nope\.safetensors: it does not exist/,
      );
      await expect(m.fit(DATA.x, DATA.labels, { epochs: 2, checkpoint: { every: 0, to: 'x' } })).rejects.toThrow(ValueError);
      await expect(m.fit(DATA.x, DATA.labels, { epochs: 2, checkpoint: {} as never })).rejects.toThrow(/checkpoint\.to is missing/);
      await expect(m.fit(DATA.x, DATA.labels, { epochs: 2, resumeFrom: 42 as never })).rejects.toThrow(/resumeFrom must be/);
      // An unwritable target is refused before the first epoch: no epoch ran, weights unchanged.
      const before = await m.save();
      let epochs = 0;
      const onEpochEnd = () => void epochs++;
      for (const [to, why] of [
        [join(dir, 'missing-folder', 'run.safetensors'), /missing-folder\/? does not exist/],
        [dir, /it is a folder/],
      ] as const) {
        await expect(m.fit(DATA.x, DATA.labels, { epochs: 2, onEpochEnd, checkpoint: { every: 1, to } })).rejects.toThrow(why);
      }
      expect(epochs).toBe(0);
      expect(await m.save()).toEqual(before);
      // A store of your own that fails: the error names the checkpoint and the epoch (it was its bare "disk full").
      let writes = 0;
      const full = { write: async () => void (writes++ === 0 || (() => { throw new Error('disk full'); })()), read: async () => new Uint8Array(0) };
      const atFull = await m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 3, checkpoint: { to: full } }).then(() => null, (err: unknown) => err);
      expect(atFull).toBeInstanceOf(CheckpointStoreError);
      expect((atFull as Error).message).toBe('cannot write the checkpoint (your store) after 2 epochs: Error: disk full');
      const named = { ...full, name: 'my-bucket', checkWritable: async () => { throw new TypeError('no credentials'); } };
      await expect(m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 1, checkpoint: { to: named } }))
        .rejects.toThrow(/^cannot write the checkpoint my-bucket before the first epoch: TypeError: no credentials$/);
      expect(() => checkpointStore({ ...full, checkWritable: 1 } as never)).toThrow(/checkWritable must be a function \(or left out\), got 1/);
      expect(() => checkpointStore('opfs:')).toThrow(ValueError);
      expect(() => checkpointStore('idb:a/b')).toThrow(ValueError);
    } finally {
      m.dispose();
    }
  });

  it('the tag is in the metadata', () => {
    expect(CHECKPOINT_TAG).toBe('sigmoid-core-checkpoint');
  });
});

// ---- browser stores against in-memory fakes (no browser here) ---------------------------

/** An OPFS directory in memory: writables write to a swap copy that replaces the file on close(). */
function fakeOpfs(opts: { move: boolean; failWriteOf?: string }): { dir: OpfsDirectory; files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const handle = (name: string) => ({
    async getFile() {
      const f = files.get(name);
      if (f === undefined) throw Object.assign(new Error(`${name} not found`), { name: 'NotFoundError' });
      return new Blob([new Uint8Array(f)]);
    },
    async createWritable() {
      let swap = new Uint8Array(0);
      return {
        async write(data: Uint8Array) {
          if (opts.failWriteOf === name) throw new Error('QuotaExceededError');
          swap = data.slice();
        },
        async close() {
          files.set(name, swap);
        },
        async abort() {},
      };
    },
    ...(opts.move
      ? {
        async move(newName: unknown) {
          files.set(newName as string, files.get(name)!);
          files.delete(name);
        },
      }
      : {}),
  });
  const dir: OpfsDirectory = {
    async getFileHandle(name, o) {
      if (!files.has(name)) {
        if (!o?.create) throw new Error(`${name} not found`);
        files.set(name, new Uint8Array(0));
      }
      return handle(name);
    },
    async removeEntry(name) {
      files.delete(name);
    },
  };
  return { dir, files };
}

describe('browser stores (fakes)', () => {
  for (const move of [true, false]) {
    it(`OPFS (${move ? 'temp file + move()' : 'no move(): swap-file write'}): write/read round trip; a failed write keeps the old one`, async () => {
      const { dir, files } = fakeOpfs({ move });
      const store = new OpfsStore('run1', async () => dir);
      expect(store.name).toBe('opfs:run1');
      await store.checkWritable(); // creates the temp file and removes it again
      expect([...files.keys()]).toEqual([]);
      await store.write(new Uint8Array([1, 2, 3]));
      expect(Array.from(await store.read())).toEqual([1, 2, 3]);
      await store.write(new Uint8Array([4, 5]));
      expect(Array.from(await store.read())).toEqual([4, 5]);
      expect([...files.keys()]).toEqual(['run1']);
      const failing = fakeOpfs({ move, failWriteOf: move ? 'run1.tmp' : 'run1' });
      failing.files.set('run1', new Uint8Array([9]));
      const s2 = new OpfsStore('run1', async () => failing.dir);
      await expect(s2.write(new Uint8Array([7, 7]))).rejects.toThrow(/cannot write the checkpoint opfs:run1.*unchanged/);
      expect(Array.from(await s2.read())).toEqual([9]);
      expect([...failing.files.keys()]).toEqual(['run1']);
      await expect(new OpfsStore('nothing', async () => dir).read()).rejects.toThrow(/cannot read the checkpoint opfs:nothing/);
    });
  }

  it('OPFS and IndexedDB say so when the platform lacks them (Node)', async () => {
    await expect(checkpointStore('opfs:x').read()).rejects.toThrow(/origin-private file system/);
    await expect(checkpointStore('idb:x').write(new Uint8Array(1))).rejects.toThrow(/IndexedDB is not available/);
    // fit says so before it trains (it trained `every` epochs, then failed at the first write).
    for (const [to, message] of [['opfs:run', /origin-private file system/], ['idb:run', /IndexedDB is not available/]] as const) {
      const m = model(engines.cpu, adam({ lr: 0.01 }));
      let epochs = 0;
      try {
        await expect(m.fit(DATA.x, DATA.labels, { ...FIT, epochs: 4, checkpoint: { every: 2, to }, onEpochEnd: () => void epochs++ }), to).rejects.toThrow(message);
        expect(epochs, `${to}: epochs trained before the refusal`).toBe(0);
      } finally {
        m.dispose();
      }
    }
  });

  it('IndexedDB: put in one transaction, read back, missing key reported', async () => {
    // A minimal IDBFactory: open → upgrade → success; transactions complete asynchronously.
    const data = new Map<string, unknown>();
    let failNextPut = false;
    const later = (f: () => void) => setTimeout(f, 0);
    const db = {
      objectStoreNames: { contains: () => true },
      close() {},
      transaction(_store: string, _mode: string) {
        const tx: Record<string, unknown> = { error: null };
        tx.objectStore = () => ({
          put(value: unknown, key: string) {
            later(() => {
              if (failNextPut) {
                failNextPut = false;
                tx.error = new Error('QuotaExceededError');
                (tx.onabort as () => void)();
              } else {
                data.set(key, value);
                (tx.oncomplete as () => void)();
              }
            });
          },
          get(key: string) {
            const req: Record<string, unknown> = {};
            later(() => {
              req.result = data.get(key);
              (req.onsuccess as () => void)();
            });
            return req;
          },
        });
        return tx;
      },
    };
    const factory = {
      open() {
        const req: Record<string, unknown> = { result: db };
        later(() => (req.onsuccess as () => void)());
        return req;
      },
    } as unknown as IDBFactory;
    const store = new IdbStore('run', factory);
    await expect(store.read()).rejects.toThrow(/idb:run: it does not exist/);
    const bytes = new Uint8Array([0, 1, 2, 3, 4, 5]).subarray(2); // a view into a bigger buffer
    await store.write(bytes);
    expect(Array.from(await store.read())).toEqual([2, 3, 4, 5]);
    failNextPut = true;
    await expect(store.write(new Uint8Array([8]))).rejects.toThrow(/cannot write the checkpoint idb:run: QuotaExceededError/);
    expect(Array.from(await store.read())).toEqual([2, 3, 4, 5]);
  });
});
