// File access for the CLI (Node only): reading text or bytes, and writing atomically (a temp
// file in the same directory, then a rename), so a failed run never leaves a partial output.
// File-system failures become a FileError whose message names the file and the cause.

import { constants as bufferConstants } from 'node:buffer';
import { unlinkSync } from 'node:fs';
import { access, constants, type FileHandle, lstat, open, readdir, readFile, readlink, rename, stat, unlink } from 'node:fs/promises';
import { SigmoidCoreError } from '../errors.js';
import { openForWrite, openTemps, whyUnwritable } from './write-target.js';

/** A file could not be read or written. */
export class FileError extends SigmoidCoreError {
  override name = 'FileError';
}

const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    // Node reads a text file into one string, and a string holds at most MAX_STRING_LENGTH
    // characters (2^29 − 24 in Node 20: about 512 MiB of CSV); past it "Invalid string length".
    if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') {
      throw new FileError(`cannot read ${path}: it holds more than ${MAX_STRING_LENGTH.toLocaleString('en')} characters, the most one string can (about ${Math.floor(MAX_STRING_LENGTH / 2 ** 20)} MiB); split it into smaller files`);
    }
    throw fileError('cannot read', path, err);
  }
}

/** Fails early (before long work) when a write to `path` would fail, saying why (write-target.ts whyUnwritable). */
export async function checkWritable(path: string): Promise<void> {
  const why = await whyUnwritable({ lstat, readlink, stat, open, unlink, access, constants }, path);
  if (why !== null) throw new FileError(`cannot write ${path}: ${why}`);
}

/** Whether two paths name the same existing file (through symbolic or hard links too); false when either does not exist. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Removes, synchronously, the temp files of the writes still in progress: for a signal
 * handler about to exit (src/cli/main.ts), which leaves every target as it was. A killed
 * writer's temp file otherwise stays for an hour (removeStaleTemps cannot tell its pid from
 * another host's). Returns how many it removed (one already renamed over its target is gone).
 */
export function removeOpenTemps(): number {
  let removed = 0;
  for (const tmp of openTemps) {
    try {
      unlinkSync(tmp);
      removed++;
    } catch {
      // renamed over its target already, or never created
    }
  }
  openTemps.clear();
  return removed;
}

/**
 * A file written through a temp file beside it (created exclusively), renamed over the
 * target by commit(); abort() deletes it, so a failed run never leaves a partial output.
 * create() first removes the temp files a killed run left for the same target, as the
 * checkpoint store does (removeStaleTemps). A symlink is written through, and a target that
 * is not a regular file (/dev/null) is written in place, with no temp file (writeTarget).
 * Errors become FileErrors naming the path given.
 */
export class AtomicFile {
  #fh: FileHandle | null;
  /** Written in place to a pipe whose reader has closed it: the rest of the output is dropped. */
  #readerGone = false;
  /** `tmp`: the temp file, renamed over `target` by commit(); null when writing `target` in place. */
  private constructor(readonly path: string, readonly target: string, readonly tmp: string | null, fh: FileHandle) {
    this.#fh = fh;
  }

  static async create(path: string): Promise<AtomicFile> {
    let tmp = null as string | null; // set as soon as it is named, for the cleanup
    try {
      const w = await openForWrite({ lstat, readlink, stat, open, constants, readdir, unlink }, path, {
        sweep: true,
        onTemp: (name) => void openTemps.add((tmp = name)), // before it exists: a signal during the open removes it too
      });
      return new AtomicFile(path, w.target, w.tmp, w.fh);
    } catch (err) {
      if (tmp !== null) openTemps.delete(tmp);
      throw fileError('cannot write', path, err);
    }
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.#fh === null) throw new FileError(`cannot write ${this.path}: already closed`);
    if (this.#readerGone) return;
    try {
      if (typeof chunk === 'string') await this.#fh.write(chunk);
      else await this.#fh.write(chunk);
    } catch (err) {
      // `--out /dev/stdout | head`: the output ends there, as printed output does (cli/main.ts).
      if (this.tmp === null && (err as NodeJS.ErrnoException).code === 'EPIPE') {
        this.#readerGone = true;
        return;
      }
      throw fileError('cannot write', this.path, err);
    }
  }

  async commit(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    const tmp = this.tmp;
    try {
      await fh?.close();
      if (tmp !== null) await rename(tmp, this.target);
    } catch (err) {
      if (tmp !== null) await unlink(tmp).catch(() => {});
      throw err instanceof SigmoidCoreError ? err : fileError('cannot write', this.path, err);
    } finally {
      if (tmp !== null) openTemps.delete(tmp);
    }
  }

  async abort(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => {});
    if (this.tmp !== null) {
      await unlink(this.tmp).catch(() => {});
      openTemps.delete(this.tmp);
    }
  }
}

/** Writes the chunks (text or bytes) through an AtomicFile: all of them, or nothing (but in place, as they come, to /dev/null or a FIFO). */
export async function writeAtomic(path: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  const file = await AtomicFile.create(path);
  try {
    for (const chunk of chunks) await file.write(chunk);
  } catch (err) {
    await file.abort();
    throw err;
  }
  await file.commit();
}

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw fileError('cannot read', path, err);
  }
}

function fileError(what: string, path: string, err: unknown, subject = path): FileError {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: `${subject} does not exist`,
    EACCES: 'permission denied',
    EISDIR: `${path} is a folder`,
    ENOTDIR: `a part of the path ${path} is not a folder`,
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
  };
  const reason = (e?.code && reasons[e.code]) || (e instanceof Error ? e.message : String(err));
  return new FileError(`${what} ${path}: ${reason}`);
}
