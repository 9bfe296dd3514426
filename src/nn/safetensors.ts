// The safetensors format (https://github.com/huggingface/safetensors), F32 only:
//   bytes 0..7      N, the header length, little-endian unsigned 64-bit
//   bytes 8..8+N    a UTF-8 JSON object, padded with spaces to a multiple of 8 bytes:
//                   { "<name>": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] },
//                     ..., "__metadata__": { "<key>": "<string value>", ... } }
//   the rest        the tensors' raw little-endian float32 data; data_offsets are relative
//                   to the start of this part, contiguous, without gaps or overlaps.
//
// A sigmoid-core model writes its parameters in layer order, named
//   layers.{i}.weight  [inputs, units]   the weight matrix of dense layer i (row-major, y = x·W + b)
//   layers.{i}.bias    [units]           its bias
//   layers.{i}.alpha   [1]               the learned α of sigmoid layer i (learnAlpha only)
// (i = the layer's index in the model's layer list), and in __metadata__:
//   format: "sigmoid-core", format_version: "1", layers: JSON of the LayerSpec list,
//   plus, when compiled, loss: the loss name. Checkpoints also carry two CRC-32s (zlib's
//   polynomial, 8 hex digits), written on request (checksum):
//     data_crc32      of the data part: zeros left by a torn write, a flipped bit
//     metadata_crc32  of every other __metadata__ entry (data_crc32 included): the UTF-8 bytes
//                     of JSON.stringify of their [key, value] pairs sorted by key, so a header
//                     value edited by hand or damaged on disk is caught too
//   A reader refuses a file that no longer matches either; files without them are read (the
//   checkpoint reader requires them of the checkpoint versions that write them). A CRC catches
//   accidents, not forgery: whoever edits a file on purpose can recompute it. The writer drops
//   both when it is handed them and computes fresh ones on request.
//   model.load, Sequential.fromSafetensors and the checkpoint reader refuse a format_version
//   they do not know (checkFormatVersion: a newer layout must not be misread as this one).
// Every check of a file throws a ValueError that says what is wrong.

import { ValueError } from '../errors.js';
import { describeValue } from '../validate.js';
import type { LayerSpec } from './types.js';

export interface SafetensorEntry {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export interface SafetensorFile {
  tensors: SafetensorEntry[];
  metadata: Record<string, string>;
}

/** The layout of a sigmoid-core model file (__metadata__.format_version) this version writes and reads. */
export const FORMAT_VERSION = '1';

/**
 * Throws unless a sigmoid-core file's format_version, when given, is the one this version reads
 * (model.load, Sequential.fromSafetensors and the checkpoint reader call it).
 */
export function checkFormatVersion(m: Record<string, string>): void {
  if (m.format === 'sigmoid-core' && m.format_version !== undefined && m.format_version !== FORMAT_VERSION) {
    throw new ValueError(
      `safetensors: __metadata__.format_version ${JSON.stringify(m.format_version)} is not supported (this version reads "${FORMAT_VERSION}"; a newer sigmoid-core's file?)`,
    );
  }
}

/**
 * The __metadata__ every sigmoid-core model file starts with (save, checkpoints, a failed
 * recovery's file); the seed and the loss (which predictProba applies) when given.
 */
export function modelMetadata(layers: readonly LayerSpec[], seed?: number, loss?: string | null): Record<string, string> {
  return {
    format: 'sigmoid-core',
    format_version: FORMAT_VERSION,
    layers: JSON.stringify(layers),
    ...(seed !== undefined ? { seed: String(seed) } : {}),
    ...(loss !== undefined && loss !== null ? { loss } : {}),
  };
}

/** The model seed a file's __metadata__ records (an integer string), else 0. */
export function metadataSeed(m: Record<string, string>): number {
  return m.seed !== undefined && /^-?\d+$/.test(m.seed) ? Number(m.seed) : 0;
}

/** Largest header we accept (the format's reference implementation uses 100 MB). */
const MAX_HEADER = 100_000_000;

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Encodes tensors (in the given order, contiguous) and string metadata as safetensors bytes.
 * An incoming data_crc32 or metadata_crc32 (say, from the metadata of a parsed checkpoint that
 * was then edited) is always dropped: it may no longer match. `checksum` writes fresh ones.
 */
export function encodeSafetensors(
  tensors: readonly SafetensorEntry[], metadata: Record<string, string> = {}, o: { checksum?: boolean } = {},
): Uint8Array {
  const { data_crc32: _stale, metadata_crc32: _staleToo, ...rest } = metadata;
  metadata = rest;
  if (o.checksum === true) {
    // The checksums go in the header, ahead of the data they cover: sum the tensors' bytes
    // first, in file order (without building the file twice).
    metadata = { ...metadata, data_crc32: crc32Floats(tensors.map((t) => t.data)) };
    metadata.metadata_crc32 = metadataCrc32(metadata);
  }
  // No prototype: tensors named "constructor" or "__proto__" are names like any other.
  const header = Object.create(null) as Record<string, unknown>;
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`safetensors metadata values must be strings; ${JSON.stringify(k)} is ${describeValue(v)}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new ValueError(`safetensors: duplicate or reserved tensor name ${JSON.stringify(t.name)}`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new ValueError(`safetensors: ${t.name} has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20); // spaces
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors) {
    out.set(leBytes(t.data), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Parses and checks safetensors bytes (F32 tensors only). */
export function parseSafetensors(bytes: Uint8Array): SafetensorFile {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`safetensors: expected a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length < 8) throw new ValueError(`safetensors: the file is truncated: ${bytes.length} bytes, less than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER) throw new ValueError(`safetensors: the header length ${n} is implausibly large (not a safetensors file?)`);
  if (8 + n > bytes.length) {
    throw new ValueError(`safetensors: the file is truncated: the header says ${n} header bytes but only ${bytes.length - 8} follow`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new ValueError(`safetensors: the header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ValueError('safetensors: the header must be a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new ValueError('safetensors: __metadata__ must be an object');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw new ValueError(`safetensors: __metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof info !== 'object' || info === null) throw new ValueError(`safetensors: entry ${name} must be an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (dtype !== 'F32') throw new ValueError(`safetensors: ${name} has dtype ${JSON.stringify(dtype)}; only F32 is supported`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ValueError(`safetensors: ${name} has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0) || offsets[1] < offsets[0]) {
      throw new ValueError(`safetensors: ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * count) {
      throw new ValueError(`safetensors: ${name} has shape [${shape.join(', ')}] (${4 * count} bytes) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
    }
    if (end > dataLength) {
      throw new ValueError(`safetensors: the file is truncated: ${name} ends at data byte ${end} but the data part has ${dataLength} bytes`);
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }
  // The data must be covered exactly once, without gaps. Sorted by (begin, end) as the
  // reference reader does: an empty tensor [k, k] listed after one starting at k is valid.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) throw new ValueError(`safetensors: ${e.name} starts at data byte ${e.begin}, expected ${pos} (gap or overlap)`);
    pos = e.end;
  }
  if (pos !== dataLength) throw new ValueError(`safetensors: ${dataLength - pos} bytes after the last tensor (the data part must be covered exactly)`);
  // The header first: a damaged one may hold a damaged data_crc32 too.
  if (metadata.metadata_crc32 !== undefined) {
    const crc = metadataCrc32(metadata);
    if (crc !== metadata.metadata_crc32) {
      throw new ValueError(
        `safetensors: __metadata__ was edited or damaged: the CRC-32 of its values is ${crc}, the file was written with metadata_crc32 ` +
          `${JSON.stringify(metadata.metadata_crc32)} (a hand edit or a bad disk: its values cannot be trusted)`,
      );
    }
  }
  if (metadata.data_crc32 !== undefined) {
    const crc = crc32(bytes.subarray(dataStart));
    if (crc !== metadata.data_crc32) {
      throw new ValueError(
        `safetensors: the tensor data is damaged: its CRC-32 is ${crc}, the file was written with ${JSON.stringify(metadata.data_crc32)} (a torn write or a bad disk?)`,
      );
    }
  }
  const tensors = entries.map((e) => {
    const count = (e.end - e.begin) / 4;
    const data = new Float32Array(count);
    if (littleEndianHost) new Uint8Array(data.buffer).set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    else for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + e.begin + 4 * i, true);
    return { name: e.name, shape: e.shape, data };
  });
  return { tensors, metadata };
}

let crcTable: Uint32Array | null = null;

/** Feeds `bytes` into a running CRC-32 (the zlib / PNG polynomial; start with 0xffffffff). */
function crc32Update(c: number, bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let k = n;
    for (let j = 0; j < 8; j++) k = k & 1 ? 0xedb88320 ^ (k >>> 1) : k >>> 1;
    return k;
  });
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

function crc32Hex(c: number): string {
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

/** CRC-32 of `bytes`, as 8 hex digits. */
function crc32(bytes: Uint8Array): string {
  return crc32Hex(crc32Update(0xffffffff, bytes));
}

/** CRC-32 of the float32 values of `parts` one after another, as little-endian bytes (8 hex digits). */
export function crc32Floats(parts: readonly Float32Array[]): string {
  let c = 0xffffffff;
  for (const p of parts) c = crc32Update(c, leBytes(p));
  return crc32Hex(c);
}

/** metadata_crc32 of `m`: CRC-32 of JSON.stringify of its other [key, value] pairs, sorted by key. */
function metadataCrc32(m: Record<string, string>): string {
  const pairs = Object.keys(m).filter((k) => k !== 'metadata_crc32').sort().map((k) => [k, m[k]]);
  return crc32(new TextEncoder().encode(JSON.stringify(pairs)));
}

/** The little-endian bytes of `data`, as written to the file (a view on a little-endian host). */
function leBytes(data: Float32Array): Uint8Array {
  if (littleEndianHost) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  return out;
}
