// Where checkpoints live. A CheckpointStore holds ONE checkpoint (the latest) and replaces
// it atomically: a write that fails or is interrupted part-way leaves the previous one
// readable. checkpointStore(target) makes one from
//   a path (Node)    a file, written to a temp file beside it (created exclusively),
//                    flushed to disk (fsync), then renamed over the target. A process killed
//                    mid-write leaves its temp file: a store's first write removes those of
//                    its target whose writer is gone (removeStaleTemps, src/io/temp-files.ts)
//   'opfs:name'      a file in the origin-private file system (browser): written to
//                    'name.tmp', then moved over 'name' when FileSystemHandle.move exists,
//                    else written straight to 'name' (createWritable writes a swap file
//                    that only replaces the file on close(), so it is atomic too)
//   'idb:name'       a key in IndexedDB (database 'sigmoid-core', store 'checkpoints'):
//                    one readwrite transaction, atomic by definition
// or passes a custom { write(bytes), read() } object through. Node's file system is loaded
// with a non-literal dynamic import, so importing the library in a browser never touches it.

import { SigmoidCoreError, ValueError } from '../errors.js';
import { openForWrite, openTemps, whyUnwritable } from '../io/write-target.js';
import { importNodeOnly, inNode } from '../node-only.js';
import { insecureContext } from '../secure-context.js';
import { describeValue } from '../validate.js';

/** Holds one checkpoint; write() replaces it atomically (all or nothing). */
export interface CheckpointStore {
  write(bytes: Uint8Array): Promise<void>;
  read(): Promise<Uint8Array>;
  /**
   * Optional: throws CheckpointStoreError when a write would certainly fail (a missing or
   * read-only folder), so that fit refuses before training rather than after `every` epochs.
   */
  checkWritable?(): Promise<void>;
  /** Shown in error messages. */
  readonly name?: string;
}

/** A checkpoint could not be written or read (file system, OPFS or IndexedDB failure). */
export class CheckpointStoreError extends SigmoidCoreError {
  override name = 'CheckpointStoreError';
}

/** Where fit(..., { checkpoint: { to } }) writes, or resumeFrom reads. */
export type CheckpointTarget = string | CheckpointStore;

/**
 * A store for `target`: a file path (Node), 'opfs:name', 'idb:name', or a store object
 * (returned as is).
 */
export function checkpointStore(target: CheckpointTarget): CheckpointStore {
  if (isStore(target)) {
    const check = (target as { checkWritable?: unknown }).checkWritable;
    if (check !== undefined && typeof check !== 'function') {
      throw new ValueError(`a checkpoint store's checkWritable must be a function (or left out), got ${describeValue(check)}`);
    }
    return target;
  }
  if (typeof target !== 'string' || target.length === 0) {
    throw new ValueError(
      `a checkpoint target must be a file path, 'opfs:name', 'idb:name' or an object with write(bytes) and read(), got ${describeValue(target)}`,
    );
  }
  if (target.startsWith('opfs:')) return new OpfsStore(keyOf(target, 'opfs:'));
  if (target.startsWith('idb:')) return new IdbStore(keyOf(target, 'idb:'));
  return new NodeFileStore(target.startsWith('file:') && !target.startsWith('file://') ? target.slice(5) : target);
}

export function isStore(x: unknown): x is CheckpointStore {
  return typeof x === 'object' && x !== null && typeof (x as CheckpointStore).write === 'function' && typeof (x as CheckpointStore).read === 'function';
}

function keyOf(target: string, prefix: string): string {
  const key = target.slice(prefix.length);
  if (key.length === 0 || key.includes('/') || key === '.' || key === '..') {
    throw new ValueError(`checkpoint target ${JSON.stringify(target)}: give a plain name after '${prefix}' (no '/')`);
  }
  return key;
}

/** Node's ENOENT and the browser's NotFoundError (OPFS) read the same. */
function why(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.code === 'ENOENT' || e?.name === 'NotFoundError') return 'it does not exist';
  return e instanceof Error ? e.message : String(err);
}

// ---- Node: a file ----------------------------------------------------------------------

type FsPromises = typeof import('node:fs/promises');

let fsPromise: Promise<FsPromises> | null = null;

async function nodeFs(path: string): Promise<FsPromises> {
  if (!inNode()) {
    throw new ValueError(`checkpoint target ${JSON.stringify(path)}: file paths work in Node only; in a browser use 'opfs:name' or 'idb:name'`);
  }
  fsPromise ??= importNodeOnly<FsPromises>('node:fs/promises');
  return fsPromise;
}

/**
 * A checkpoint file in Node, replaced by temp file + fsync + rename (as src/io/files.ts writeAtomic, plus fsync);
 * through a symlink to its file, and in place when the target is not a regular file (writeTarget).
 */
export class NodeFileStore implements CheckpointStore {
  #swept = false;

  constructor(readonly path: string) {}

  get name(): string {
    return this.path;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const fs = await nodeFs(this.path);
    let tmp = null as string | null; // set as soon as it is named, for the cleanup
    let fh: Awaited<ReturnType<FsPromises['open']>> | null = null;
    try {
      // Registered before it exists: the CLI's signal handler removes it (removeOpenTemps).
      const w = await openForWrite(fs, this.path, { sweep: !this.#swept, onTemp: (name) => void openTemps.add((tmp = name)) });
      if (w.tmp !== null) this.#swept = true;
      fh = w.fh;
      await fh.writeFile(bytes);
      if (w.tmp !== null) await fh.sync();
      await fh.close();
      fh = null;
      if (w.tmp !== null) await fs.rename(w.tmp, w.target);
    } catch (err) {
      await fh?.close().catch(() => {});
      if (tmp !== null) await fs.unlink(tmp).catch(() => {});
      throw new CheckpointStoreError(`cannot write the checkpoint ${this.path}: ${why(err)} (any previous checkpoint there is unchanged)`);
    } finally {
      if (tmp !== null) openTemps.delete(tmp);
    }
  }

  async checkWritable(): Promise<void> {
    const why = await whyUnwritable(await nodeFs(this.path), this.path);
    if (why !== null) throw new CheckpointStoreError(`cannot write the checkpoint ${this.path}: ${why}`);
  }

  async read(): Promise<Uint8Array> {
    const fs = await nodeFs(this.path);
    try {
      return new Uint8Array(await fs.readFile(this.path));
    } catch (err) {
      throw new CheckpointStoreError(`cannot read the checkpoint ${this.path}: ${why(err)}`);
    }
  }
}

// ---- browser: OPFS ---------------------------------------------------------------------

/** The parts of the File System Access API used here (move() is not in every browser). */
interface OpfsFileHandle {
  getFile(): Promise<{ arrayBuffer(): Promise<ArrayBuffer> }>;
  createWritable?: () => Promise<{ write(data: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  move?: (...args: unknown[]) => Promise<void>;
}
export interface OpfsDirectory {
  getFileHandle(name: string, o?: { create?: boolean }): Promise<OpfsFileHandle>;
  removeEntry(name: string): Promise<void>;
}

/** A checkpoint in the origin-private file system. `root` is for tests (default navigator.storage.getDirectory()). */
export class OpfsStore implements CheckpointStore {
  constructor(
    readonly key: string,
    readonly root?: () => Promise<OpfsDirectory>,
  ) {}

  get name(): string {
    return `opfs:${this.key}`;
  }

  async #dir(): Promise<OpfsDirectory> {
    if (this.root) return this.root();
    const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<OpfsDirectory> } } }).navigator?.storage;
    if (typeof storage?.getDirectory !== 'function') {
      const insecure = insecureContext();
      throw new ValueError(
        `checkpoint target ${this.name}: the origin-private file system (navigator.storage.getDirectory) is not available here${insecure ? `: ${insecure}` : ''}`,
      );
    }
    return storage.getDirectory();
  }

  /** The temp file beside the checkpoint, created; its browser must be able to write it. */
  async #temp(dir: OpfsDirectory): Promise<OpfsFileHandle> {
    const probe = await dir.getFileHandle(`${this.key}.tmp`, { create: true });
    if (typeof probe.createWritable !== 'function') {
      throw new ValueError('FileSystemFileHandle.createWritable is not supported in this browser (use idb:name)');
    }
    return probe;
  }

  /** Before fit trains: OPFS is there and takes the temp file (which is removed again). */
  async checkWritable(): Promise<void> {
    const dir = await this.#dir();
    try {
      await this.#temp(dir);
    } catch (err) {
      throw new CheckpointStoreError(`cannot write the checkpoint ${this.name}: ${why(err)}`);
    } finally {
      await dir.removeEntry(`${this.key}.tmp`).catch(() => {});
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    const dir = await this.#dir();
    const tmpName = `${this.key}.tmp`;
    try {
      const probe = await this.#temp(dir);
      if (typeof probe.move === 'function') {
        await writeWhole(probe, bytes);
        await probe.move(this.key); // replaces the old file in one step
      } else {
        await dir.removeEntry(tmpName).catch(() => {});
        await writeWhole(await dir.getFileHandle(this.key, { create: true }), bytes);
      }
    } catch (err) {
      await dir.removeEntry(tmpName).catch(() => {});
      throw new CheckpointStoreError(`cannot write the checkpoint ${this.name}: ${why(err)} (any previous checkpoint there is unchanged)`);
    }
  }

  async read(): Promise<Uint8Array> {
    const dir = await this.#dir();
    try {
      const file = await (await dir.getFileHandle(this.key)).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch (err) {
      throw new CheckpointStoreError(`cannot read the checkpoint ${this.name}: ${why(err)}`);
    }
  }
}

/** createWritable → write → close; abort() on failure, which keeps the file as it was. */
async function writeWhole(handle: OpfsFileHandle, bytes: Uint8Array): Promise<void> {
  const w = await handle.createWritable!();
  try {
    await w.write(bytes);
  } catch (err) {
    await w.abort().catch(() => {});
    throw err;
  }
  await w.close();
}

// ---- browser: IndexedDB ----------------------------------------------------------------

const IDB_NAME = 'sigmoid-core';
const IDB_STORE = 'checkpoints';

/** IndexedDB's IDBFactory, typed by the one method used so the declarations need no DOM lib. */
export interface IndexedDbFactory {
  open(name: string, version?: number): unknown;
}

/** A checkpoint under a key of IndexedDB. `factory` is for tests (default globalThis.indexedDB). */
export class IdbStore implements CheckpointStore {
  constructor(
    readonly key: string,
    readonly factory?: IndexedDbFactory,
  ) {}

  get name(): string {
    return `idb:${this.key}`;
  }

  #open(): Promise<IDBDatabase> {
    const f = (this.factory ?? (globalThis as { indexedDB?: IndexedDbFactory }).indexedDB) as IDBFactory | undefined;
    if (f === undefined) return Promise.reject(new ValueError(`checkpoint target ${this.name}: IndexedDB is not available here`));
    return new Promise((resolve, reject) => {
      const req = f.open(IDB_NAME, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(IDB_STORE)) req.result.createObjectStore(IDB_STORE);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('the database is blocked by another connection'));
    });
  }

  /** Before fit trains: IndexedDB is there and its database opens. */
  async checkWritable(): Promise<void> {
    try {
      (await this.#open()).close();
    } catch (err) {
      if (err instanceof ValueError) throw err;
      throw new CheckpointStoreError(`cannot write the checkpoint ${this.name}: ${why(err)}`);
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    let db: IDBDatabase | null = null;
    try {
      db = await this.#open();
      const tx = db.transaction(IDB_STORE, 'readwrite');
      // A copy of exactly these bytes (the view may be part of a larger buffer).
      tx.objectStore(IDB_STORE).put(bytes.slice().buffer, this.key);
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
      });
    } catch (err) {
      if (err instanceof ValueError) throw err;
      throw new CheckpointStoreError(`cannot write the checkpoint ${this.name}: ${why(err)} (any previous checkpoint there is unchanged)`);
    } finally {
      db?.close();
    }
  }

  async read(): Promise<Uint8Array> {
    let db: IDBDatabase | null = null;
    let value: unknown;
    try {
      db = await this.#open();
      const req = db.transaction(IDB_STORE, 'readonly').objectStore(IDB_STORE).get(this.key);
      value = await new Promise((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    } catch (err) {
      if (err instanceof ValueError) throw err;
      throw new CheckpointStoreError(`cannot read the checkpoint ${this.name}: ${why(err)}`);
    } finally {
      db?.close();
    }
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    throw new CheckpointStoreError(`cannot read the checkpoint ${this.name}: ${value === undefined ? 'it does not exist' : 'the stored value is not bytes'}`);
  }
}
