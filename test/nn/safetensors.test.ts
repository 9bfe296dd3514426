// safetensors: the byte layout checked by hand against the format (u64 LE header length,
// space-padded JSON header, F32 little-endian data at contiguous offsets, string-only
// __metadata__), a bit-exact round trip (save → load, and save → fromSafetensors on the
// other backend), and broken files (truncated, wrong dtype, wrong shape, wrong names, bad
// offsets) rejected with a ValueError that leaves the model unchanged.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useEngines } from '../helpers/engines.js';
import {
  type Engine, encodeSafetensors, loadSafetensors, parseSafetensors, Sequential, type Sequential as Model, ValueError,
} from '../../src/index.js';
import { adam, dense, sequential, sgd, sigmoid, tanh } from '../../src/nn/index.js';
import { expectClose, expectThrows } from '../helpers/expectClose.js';
import { refSoftmax } from '../helpers/reference.js';
import { blobs } from './data-helpers.js';

const engines = useEngines();

const LAYERS = [dense(4, 5), sigmoid({ alpha: 1.5, learnAlpha: true }), dense(5, 3, { init: 'he' }), tanh(), dense(3, 2)];

async function weights(m: Model): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const p of m.parameters()) out[p.name] = Array.from(await p.tensor.read());
  return out;
}

/** A trained model (so α and the weights are not their initial values). */
async function trained(e: Engine, seed = 1): Promise<Model> {
  const m = sequential(e, LAYERS, { seed });
  m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.05 }) });
  const d = blobs(3, 40, 4, 2);
  await m.fit(d.x, d.labels, { epochs: 3, batchSize: 8 });
  return m;
}

describe('safetensors layout', () => {
  it('matches the format byte for byte', async () => {
    const m = await trained(engines.cpu);
    try {
      const bytes = await m.save();
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // 8-byte little-endian u64 header length.
      const n = view.getUint32(0, true);
      expect(view.getUint32(4, true)).toBe(0);
      expect(n % 8).toBe(0);
      const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(headerText[0]).toBe('{');
      expect(headerText.trimEnd().length).toBeGreaterThan(n - 8); // padded with at most 7 spaces
      expect(/^[^]*\} *$/.test(headerText)).toBe(true);
      const header = JSON.parse(headerText) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & {
        __metadata__: Record<string, string>;
      };
      const meta = header.__metadata__;
      for (const v of Object.values(meta)) expect(typeof v).toBe('string');
      expect(meta.format).toBe('sigmoid-core');
      expect(JSON.parse(meta.layers!)).toEqual(LAYERS);
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      expect(names).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.alpha', 'layers.2.weight', 'layers.2.bias', 'layers.4.weight', 'layers.4.bias']);
      const w = await weights(m);
      let offset = 0;
      const shapes: Record<string, number[]> = {
        'layers.0.weight': [4, 5], 'layers.0.bias': [5], 'layers.1.alpha': [1], 'layers.2.weight': [5, 3], 'layers.2.bias': [3],
        'layers.4.weight': [3, 2], 'layers.4.bias': [2],
      };
      for (const name of names) {
        const entry = header[name]!;
        expect(entry.dtype).toBe('F32');
        expect(entry.shape).toEqual(shapes[name]);
        expect(entry.data_offsets[0]).toBe(offset); // contiguous, in layer order
        const count = entry.shape.reduce((a, b) => a * b, 1);
        expect(entry.data_offsets[1] - entry.data_offsets[0]).toBe(4 * count);
        const values = Array.from({ length: count }, (_, i) => view.getFloat32(8 + n + entry.data_offsets[0] + 4 * i, true));
        expect(values, name).toEqual(w[name]);
        offset = entry.data_offsets[1];
      }
      expect(bytes.length).toBe(8 + n + offset);
    } finally {
      m.dispose();
    }
  });

  it('parses a file written by hand per the spec (unpadded header, metadata, unordered entries)', () => {
    const a = new Float32Array([1.5, -2, 3.25, 0]);
    const b = new Float32Array([7]);
    const header = JSON.stringify({ b: { dtype: 'F32', shape: [1], data_offsets: [16, 20] }, __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } });
    const h = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + h.length + 20);
    new DataView(bytes.buffer).setUint32(0, h.length, true);
    bytes.set(h, 8);
    bytes.set(new Uint8Array(a.buffer), 8 + h.length);
    bytes.set(new Uint8Array(b.buffer), 8 + h.length + 16);
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ k: 'v' });
    expect(f.tensors.map((t) => [t.name, t.shape, Array.from(t.data)])).toEqual([['b', [1], [7]], ['a', [2, 2], [1.5, -2, 3.25, 0]]]);
    // And encode → parse is the identity.
    const again = parseSafetensors(encodeSafetensors(f.tensors, f.metadata));
    expect(again).toEqual(f);
  });

  it("encodes entries made straight from tensors: a tensor's readonly shape is a SafetensorEntry shape (it was typed number[])", async () => {
    const m = sequential(engines.cpu, LAYERS, { seed: 2 });
    try {
      const entries = await Promise.all(m.parameters().map(async (p) => ({ name: p.name, shape: p.tensor.shape, data: await p.tensor.read() })));
      const f = parseSafetensors(encodeSafetensors(entries));
      expect(f.tensors.map((t) => [t.name, t.shape])).toEqual(entries.map((t) => [t.name, [...t.shape]]));
      expect(f.tensors.map((t) => Array.from(t.data))).toEqual(entries.map((t) => Array.from(t.data)));
    } finally {
      m.dispose();
    }
  });

  it("re-encoding a parsed checkpoint after an edit gives a readable file: encodeSafetensors drops the incoming data_crc32, and checksum writes a fresh one over the data part", () => {
    const backing = new Float32Array([9, 1, 2, 3, 4, 5]);
    const tensors = [
      { name: 'a', shape: [2], data: backing.subarray(1, 3) }, // a view with a byteOffset: only its own bytes count
      { name: 'empty', shape: [0], data: new Float32Array(0) },
      { name: 'b', shape: [3], data: backing.subarray(3) },
    ];
    const summed = encodeSafetensors(tensors, { note: 'x' }, { checksum: true });
    const f = parseSafetensors(summed);
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer);
    expect(f.metadata.data_crc32).toBe(crc32(data).toString(16).padStart(8, '0'));
    expect(summed.subarray(summed.length - data.length)).toEqual(data);
    f.tensors[0]!.data[0] = 7; // edited after parsing: the stale checksum must not go along
    const plain = encodeSafetensors(f.tensors, f.metadata);
    const reread = parseSafetensors(plain);
    expect(reread.metadata).toEqual({ note: 'x' });
    expect(Array.from(reread.tensors[0]!.data)).toEqual([7, 2]);
    const resummed = parseSafetensors(encodeSafetensors(f.tensors, f.metadata, { checksum: true }));
    expect(resummed.metadata.data_crc32).toMatch(/^[0-9a-f]{8}$/);
    expect(resummed.metadata.data_crc32).not.toBe(f.metadata.data_crc32);
    expect(Array.from(resummed.tensors[0]!.data)).toEqual([7, 2]);
  });

  it('checksum also writes metadata_crc32, the CRC-32 of the other __metadata__ entries (JSON of their [key, value] pairs sorted by key): an edited value is refused, a stale one dropped', async () => {
    const bytes = encodeSafetensors([{ name: 'a', shape: [1], data: new Float32Array([1]) }], { note: 'x', b: 'y' }, { checksum: true });
    const m = parseSafetensors(bytes).metadata;
    const pairs = [['b', 'y'], ['data_crc32', m.data_crc32], ['note', 'x']];
    expect(m.metadata_crc32).toBe(crc32(JSON.stringify(pairs)).toString(16).padStart(8, '0'));
    // A hand edit of a value in the header (same length: the file stays well-formed).
    const at = Buffer.from(bytes).indexOf('"note":"x"');
    expect(at).toBeGreaterThan(0);
    const edited = bytes.slice();
    edited.set(new TextEncoder().encode('"note":"z"'), at);
    await expectThrows(() => parseSafetensors(edited), ValueError, 'edited header', ['__metadata__ was edited or damaged', 'metadata_crc32']);
    // Re-encoding without checksum drops both checksums (they may no longer match).
    expect(parseSafetensors(encodeSafetensors([], { ...m, note: 'z' })).metadata).toEqual({ note: 'z', b: 'y' });
  });

  it('reads an empty tensor sharing its offset with the next one, in either header order (the reference reader sorts by begin, then end)', () => {
    const a = new Uint8Array(new Float32Array([1, 2]).buffer);
    for (const order of [['a', 'z'], ['z', 'a']]) {
      const entries: Record<string, object> = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, z: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } };
      const h = new TextEncoder().encode(JSON.stringify(Object.fromEntries(order.map((k) => [k, entries[k]]))));
      const bytes = new Uint8Array(8 + h.length + 8);
      new DataView(bytes.buffer).setUint32(0, h.length, true);
      bytes.set(h, 8);
      bytes.set(a, 8 + h.length);
      const f = parseSafetensors(bytes);
      expect(f.tensors.map((t) => [t.name, t.shape, Array.from(t.data)]), order.join()).toEqual(order.map((k) => (k === 'a' ? ['a', [2], [1, 2]] : ['z', [0], []])));
    }
  });
});

describe('round trip', () => {
  it('tensors named like Object.prototype\'s members ("constructor", "__proto__") are written and read back (they were refused as duplicates, or lost)', () => {
    const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'w'];
    const tensors = names.map((name, i) => ({ name, shape: [2], data: Float32Array.from([i, -i - 0.5]) }));
    const back = parseSafetensors(encodeSafetensors(tensors));
    expect(back.tensors.map((t) => [t.name, Array.from(t.data)])).toEqual(tensors.map((t) => [t.name, Array.from(t.data)]));
    // A real duplicate is still refused.
    expect(() => encodeSafetensors([tensors[4]!, tensors[4]!])).toThrow(/duplicate or reserved tensor name "w"/);
  });

  it('save → load into another model is bit-exact (weights and predictions)', async () => {
    const m = await trained(engines.cpu, 1);
    const other = sequential(engines.cpu, LAYERS, { seed: 99 });
    try {
      const bytes = await m.save();
      other.load(bytes);
      expect(await weights(other)).toEqual(await weights(m));
      const x = blobs(4, 10, 4, 2).x;
      const [p1, p2] = [await m.predict(x), await other.predict(x)];
      expect(Array.from(await p2.read())).toEqual(Array.from(await p1.read()));
      p1.dispose();
      p2.dispose();
      // Saving the loaded model gives the same tensors (the metadata differs: seed, loss).
      expect(parseSafetensors(await other.save()).tensors).toEqual(parseSafetensors(bytes).tensors);
    } finally {
      m.dispose();
      other.dispose();
    }
  });

  it('load() into an uncompiled model: predictProba applies the loss the file was saved with, as fromSafetensors does', async () => {
    const m = await trained(engines.cpu, 4);
    const other = sequential(engines.cpu, LAYERS, { seed: 99 });
    try {
      other.load(await m.save());
      const x = blobs(4, 10, 4, 2).x;
      const logits = await (await other.predict(x)).readAndDispose();
      const probs = await (await other.predictProba(x)).readAndDispose();
      expectClose(probs, refSoftmax(logits, x.length, 2), { atol: 1e-6, label: 'softmax of the loaded model\'s logits' });
      // A later compile still decides (here: mse, whose predictProba is predict's output).
      other.compile({ loss: 'mse' });
      expect(Array.from(await (await other.predictProba(x)).readAndDispose())).toEqual(Array.from(logits));
    } finally {
      m.dispose();
      other.dispose();
    }
  });

  it('fromSafetensors / loadSafetensors rebuild the architecture, on the other backend too', async () => {
    const m = await trained(engines.cpu, 2);
    try {
      const bytes = await m.save();
      for (const e of [engines.cpu, engines.gpu]) {
        const r = e === engines.cpu ? Sequential.fromSafetensors(e, bytes) : loadSafetensors(e, bytes);
        try {
          expect(r.layers).toEqual(m.layers);
          expect(r.seed).toBe(2);
          expect(await weights(r)).toEqual(await weights(m));
          // Not compiled, yet predictProba squashes with the saved loss (softmax rows), and a
          // save of the loaded model keeps that loss.
          const x = blobs(4, 10, 4, 2).x;
          const [want, got] = [await (await m.predictProba(x)).readAndDispose(), await (await r.predictProba(x)).readAndDispose()];
          for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
          expect(parseSafetensors(await r.save()).metadata.loss).toBe('softmaxCrossEntropy');
        } finally {
          r.dispose();
        }
      }
    } finally {
      m.dispose();
    }
  });
});

describe('a diverged model', () => {
  for (const backend of ['cpu', 'gpu'] as const) {
    it(`${backend}: save() refuses non-finite weights (load and fromSafetensors refuse such a file) instead of writing one`, async () => {
      const e = engines[backend];
      const m = sequential(e, [dense(4, 5), sigmoid(), dense(5, 2)], { seed: 3 });
      try {
        m.compile({ loss: 'mse', optimizer: sgd({ lr: 1e30 }) });
        const d = blobs(2, 20, 4, 5);
        await m.fit(d.x, d.x.map((r) => [r[0]! * 100, r[1]! * 100]), { epochs: 3, batchSize: 8 });
        const ws = await weights(m);
        expect(Object.values(ws).some((w) => w.some((v) => !Number.isFinite(v)))).toBe(true); // the premise: it diverged
        await expect(m.save()).rejects.toThrow(ValueError);
        await expect(m.save()).rejects.toThrow(/^save: layers\.\d+\.(weight|bias) element \d+ is (NaN|-?Infinity) \(not finite\): the model diverged/);
      } finally {
        m.dispose();
      }
    });
  }
});

describe('broken files: ValueError, model unchanged', () => {
  async function expectRejected(m: Model, bytes: Uint8Array, label: string, mustInclude: string[]): Promise<void> {
    const before = await weights(m);
    const live = engines.cpu.memory().liveTensors;
    await expectThrows(() => m.load(bytes), ValueError, label, mustInclude);
    expect(await weights(m), label).toEqual(before);
    expect(engines.cpu.memory().liveTensors, label).toBe(live);
  }

  it('truncated, wrong dtype, wrong shape, missing/extra tensors, bad offsets, not a file', async () => {
    const m = await trained(engines.cpu, 3);
    try {
      const good = await m.save();
      const n = new DataView(good.buffer).getUint32(0, true);
      const headerText = new TextDecoder().decode(good.subarray(8, 8 + n));
      const withHeader = (text: string): Uint8Array => {
        const h = new TextEncoder().encode(text.padEnd(Math.ceil(text.length / 8) * 8, ' '));
        const out = new Uint8Array(8 + h.length + good.length - 8 - n);
        new DataView(out.buffer).setUint32(0, h.length, true);
        out.set(h, 8);
        out.set(good.subarray(8 + n), 8 + h.length);
        return out;
      };

      await expectRejected(m, good.subarray(0, good.length - 1), 'truncated data', ['truncated']);
      await expectRejected(m, good.subarray(0, 20), 'truncated header', ['truncated']);
      await expectRejected(m, good.subarray(0, 5), 'shorter than 8 bytes', ['truncated']);
      await expectRejected(m, withHeader(headerText.replace('"F32"', '"F16"')), 'wrong dtype', ['dtype', 'F16']);
      await expectRejected(m, withHeader(headerText.replace('"shape":[4,5]', '"shape":[5,4]')), 'wrong shape', ['layers.0.weight', '[5, 4]']);
      await expectRejected(m, withHeader(headerText.replace('layers.0.bias', 'layers.0.biass')), 'wrong name', ['missing layers.0.bias', 'unexpected layers.0.biass']);
      await expectRejected(m, withHeader(headerText.replace('"data_offsets":[0,80]', '"data_offsets":[4,84]')), 'overlapping offsets', ['layers.0.weight']);
      await expectRejected(m, withHeader('{"__metadata__":{"x":1}}'), 'non-string metadata', ['must be a string']);
      await expectRejected(m, new TextEncoder().encode('not a safetensors file at all'), 'garbage', []);

      // A model of another architecture: shape/architecture mismatch.
      const wide = sequential(engines.cpu, [dense(4, 6), sigmoid({ learnAlpha: true }), dense(6, 3), tanh(), dense(3, 2)]);
      try {
        await expectRejected(m, await wide.save(), 'other architecture', ['architecture']);
      } finally {
        wide.dispose();
      }
      // The same file without metadata: the shape check alone catches it.
      const w6 = sequential(engines.cpu, [dense(4, 6), sigmoid({ learnAlpha: true }), dense(6, 3), tanh(), dense(3, 2)]);
      try {
        const f = parseSafetensors(await w6.save());
        await expectRejected(m, encodeSafetensors(f.tensors), 'other shapes, no metadata', ['shape']);
      } finally {
        w6.dispose();
      }
      // NaN weights.
      const f = parseSafetensors(good);
      f.tensors[0]!.data[3] = Number.NaN;
      await expectRejected(m, encodeSafetensors(f.tensors, f.metadata), 'NaN weight', ['layers.0.weight', 'NaN']);

      // A layout this version does not know (format_version) is refused, not misread.
      const newer = parseSafetensors(good);
      const v2 = encodeSafetensors(newer.tensors, { ...newer.metadata, format_version: '2' });
      await expectRejected(m, v2, 'newer format_version', ['format_version "2" is not supported', 'reads "1"']);
      await expectThrows(() => Sequential.fromSafetensors(engines.cpu, v2), ValueError, 'newer format_version', ['format_version "2"']);

      // fromSafetensors of metadata that is no valid model (tensors matching it): a ValueError naming the file.
      const unchained = encodeSafetensors(
        [{ name: 'layers.0.weight', shape: [4, 5], data: new Float32Array(20) }, { name: 'layers.0.bias', shape: [5], data: new Float32Array(5) },
          { name: 'layers.1.weight', shape: [6, 2], data: new Float32Array(12) }, { name: 'layers.1.bias', shape: [2], data: new Float32Array(2) }],
        { format: 'sigmoid-core', format_version: '1', layers: JSON.stringify([dense(4, 5), dense(6, 2)]) },
      );
      await expectThrows(() => Sequential.fromSafetensors(engines.cpu, unchained), ValueError, 'layers that do not chain', [
        'safetensors: __metadata__ describes no valid model', 'takes 6 inputs',
      ]);
      await expectThrows(
        () => Sequential.fromSafetensors(engines.cpu, encodeSafetensors([], { format: 'sigmoid-core', format_version: '1', layers: '[]' })), ValueError,
        'no layers', ['safetensors: __metadata__ describes no valid model', 'non-empty'],
      );

      // fromSafetensors with a loss it does not know.
      const odd = parseSafetensors(good);
      await expectThrows(
        () => Sequential.fromSafetensors(engines.cpu, encodeSafetensors(odd.tensors, { ...odd.metadata, loss: 'hinge' })), ValueError, 'unknown loss',
        ['__metadata__.loss', 'hinge'],
      );

      // fromSafetensors without architecture metadata.
      await expectThrows(() => Sequential.fromSafetensors(engines.cpu, encodeSafetensors(parseSafetensors(good).tensors)), ValueError, 'no metadata', [
        'architecture',
      ]);
    } finally {
      m.dispose();
    }
  });
});
