// File access for the CLI (Node only): reading a text file and writing one atomically (a temp
// file in the same directory, then a rename), so a failed run never leaves a partial output.
// File-system failures become a FileError whose message names the file and the cause.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SigmoidCoreError } from '../errors.js';

/** A file could not be read or written. */
export class FileError extends SigmoidCoreError {}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw fileError('cannot read', path, err);
  }
}

/** Fails early (before long work) when `path` could not be created: its directory is missing. */
export async function checkWritable(path: string): Promise<void> {
  const dir = dirname(path);
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    throw fileError('cannot write', path, err, `directory ${dir}`);
  }
  if (!isDir) throw new FileError(`cannot write ${path}: ${dir} is not a directory`);
}

/** Writes the chunks to a temp file beside `path`, then renames it over `path`. */
export async function writeTextAtomic(path: string, chunks: Iterable<string>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx');
  } catch (err) {
    throw fileError('cannot write', path, err);
  }
  try {
    for (const chunk of chunks) await fh.write(chunk);
    await fh.close();
    fh = null;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err instanceof SigmoidCoreError ? err : fileError('cannot write', path, err);
  }
}

function fileError(what: string, path: string, err: unknown, subject = path): FileError {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: `${subject} does not exist`,
    EACCES: 'permission denied',
    EISDIR: `${path} is a directory`,
    ENOTDIR: `a part of the path ${path} is not a directory`,
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
  };
  const reason = (e?.code && reasons[e.code]) || (e instanceof Error ? e.message : String(err));
  return new FileError(`${what} ${path}: ${reason}`);
}
