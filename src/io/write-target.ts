// Where an atomic write of a path goes, and whether it can go there, for the CLI's outputs
// (files.ts), the benchmarks' reports and checkpoint files (nn/checkpoint-store.ts). Node only
// at run time, with the file system passed in (as temp-files.ts, for browser bundles).
// - A symbolic link is followed to the file it names, which need not exist yet (a rename over
//   the link would replace the link with a plain file).
// - An existing target that is not a regular file (/dev/null, a FIFO, a terminal) is written
//   in place (openInPlace): a rename would replace it, and as root even /dev/null became a
//   plain file. A FIFO with no reader makes that write wait for one, as the shell's `>` does.
// - A file descriptor's link in /proc/<pid>/fd (where /dev/stdout and /dev/fd/N lead) names a
//   pipe by text that is no path ("pipe:[853092]"): the pipe is written in place, opened
//   through the link (`| cat`, `>(cmd)`). A socket's cannot be opened by name: refused.
// - In a sticky world-writable folder such as /tmp, another user's link is not followed and
//   another user's FIFO or device is not written, as Linux's fs.protected_symlinks and
//   protected_fifos refuse them: a planted link could point the write at any file (as root,
//   /etc/passwd), a planted FIFO would hand the output to its owner. The link is read here, not
//   by the kernel, so its rule is applied here; and openInPlace opens without following a link
//   or creating a file, so swapping the target for a link after the check writes nothing.

import { dirAndBase, removeStaleTemps, tempPath } from './temp-files.js';

/**
 * Temp files of the atomic writes in progress (files.ts's AtomicFile, the checkpoint store),
 * named before they exist: files.ts's removeOpenTemps deletes them for a signal handler about
 * to exit, which leaves every target as it was.
 */
export const openTemps = new Set<string>();

type FsPromises = typeof import('node:fs/promises');

/** The file-system calls writeTarget makes. */
export type TargetFs = Pick<FsPromises, 'lstat' | 'readlink' | 'stat'>;
/** The file-system calls openForWrite makes. */
export type OpenFs = TargetFs & Pick<FsPromises, 'open' | 'constants' | 'readdir' | 'unlink'>;
type FileHandle = Awaited<ReturnType<FsPromises['open']>>;
/** The file-system calls whyUnwritable makes. */
export type WriteCheckFs = TargetFs & Pick<FsPromises, 'open' | 'unlink' | 'access' | 'constants'>;

/** The text of a descriptor's link in /proc/<pid>/fd naming a pipe, a socket, or another object with no path. */
const PIPE_LINK = /^pipe:\[\d+\]$/;
const NO_PATH_LINK = /^(?:socket|anon_inode):/;

/** Links followed before a write gives up (Linux's own limit). */
const MAX_LINK_HOPS = 40;

const windows = (): boolean => globalThis.process.platform === 'win32';

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || (windows() && /^([A-Za-z]:)?[\\/]/.test(path));
}

/** whyUnwritable's reason for a path that namesFolder. */
export const NAMES_FOLDER = 'it names a folder (ends in a slash); give a file name';

/** The path ends in a folder separator ('\\' on Windows only, as dirAndBase). */
export function namesFolder(path: string): boolean {
  return path.endsWith('/') || (windows() && path.endsWith('\\'));
}

/**
 * Whether an entry owned by `uid` in `folder` is another user's in a sticky world-writable
 * folder: not ours (the effective user's) and not the folder owner's, the rule of Linux's
 * protected_symlinks and protected_fifos. Never on Windows (no such folders).
 */
function foreignIn(folder: { mode: number; uid: number }, uid: number): boolean {
  const me = globalThis.process.geteuid?.();
  return me !== undefined && (folder.mode & 0o1002) === 0o1002 && uid !== me && uid !== folder.uid;
}

/** foreignIn of `path`'s own folder. */
async function foreignInSharedFolder(fs: TargetFs, path: string, uid: number): Promise<boolean> {
  return globalThis.process.geteuid !== undefined && foreignIn(await fs.stat(dirAndBase(path)[0] || '.'), uid);
}

const SHARED = 'in a shared folder (sticky and world-writable)';

/** Where a write goes (writeTarget); `throughLink`: a pipe's descriptor link, opened through it. */
export interface WriteTarget {
  path: string;
  atomic: boolean;
  throughLink?: boolean;
}

/**
 * What a write to `path` goes to: the file at the end of its symbolic links (see the header),
 * and `atomic` false for an existing target written in place. A folder stays atomic: its
 * checks and rename fail naming it. Throws a plain Error, whose message names no path but a
 * link's other than `path`, on a loop or a refused link or target.
 */
export async function writeTarget(fs: TargetFs, path: string): Promise<WriteTarget> {
  let p = path;
  const named = (what: string): string => (p === path ? what : `${what} ${p}`);
  for (let hops = 0; ; hops++) {
    const st = await fs.lstat(p).catch(() => null);
    if (st === null) return { path: p, atomic: true }; // a new file, perhaps a dangling link's
    if (!st.isSymbolicLink()) {
      const atomic = st.isFile() || st.isDirectory();
      if (!atomic && (await foreignInSharedFolder(fs, p, st.uid))) {
        throw new Error(`${named("another user's FIFO or device")} ${SHARED}: not written`);
      }
      return { path: p, atomic };
    }
    if (hops === MAX_LINK_HOPS) throw new Error('too many levels of symbolic links');
    if (await foreignInSharedFolder(fs, p, st.uid)) throw new Error(`${named("another user's symbolic link")} ${SHARED}: not followed`);
    const to = await fs.readlink(p);
    if (PIPE_LINK.test(to)) return { path: p, atomic: false, throughLink: true };
    if (NO_PATH_LINK.test(to)) throw new Error(`${p === path ? 'it' : p} is a descriptor of ${to}, which cannot be opened by name: not written; give a file`);
    p = isAbsolute(to) ? to : dirAndBase(p)[0] + to;
  }
}

/**
 * Opens writeTarget's in-place target for writing: not following a link (but a pipe's
 * descriptor link, `throughLink`), not creating or truncating a file, and refusing a regular
 * file (the target was swapped after the check).
 */
export async function openInPlace(
  fs: Pick<FsPromises, 'open' | 'constants'>, path: string, throughLink = false,
): Promise<Awaited<ReturnType<FsPromises['open']>>> {
  const fh = await fs.open(path, fs.constants.O_WRONLY | (throughLink ? 0 : (fs.constants.O_NOFOLLOW ?? 0)));
  try {
    if ((await fh.stat()).isFile()) throw new Error(`${path} became a regular file after it was checked: not written`);
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
  return fh;
}

/**
 * Opens a write to `path` (writeTarget): its target itself in place (openInPlace), or a fresh
 * temp file beside it, created exclusively, after removing the temps killed writers left when
 * `sweep` (removeStaleTemps, best effort); `onTemp` is told the temp's name before it exists.
 * The caller renames `tmp` over `target` when done, or unlinks it on failure.
 */
export async function openForWrite(
  fs: OpenFs, path: string, o: { sweep: boolean; onTemp?: (tmp: string) => void },
): Promise<{ fh: FileHandle; target: string; tmp: string | null }> {
  const target = await writeTarget(fs, path);
  if (!target.atomic) return { fh: await openInPlace(fs, target.path, target.throughLink), target: target.path, tmp: null };
  if (o.sweep) await removeStaleTemps(fs, target.path).catch(() => {}); // never fails a write
  const tmp = tempPath(target.path);
  o.onTemp?.(tmp);
  return { fh: await fs.open(tmp, 'wx'), target: target.path, tmp };
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code ?? e?.message ?? String(err);
}

/**
 * Why a write to `path` would fail, found before any long work, or null: it names a folder;
 * its folder is missing or not a folder; the folder takes no new file (read-only, another
 * user's, /proc: the temp file the write makes there is created and removed now); the file is
 * another user's in a sticky folder (the rename would fail); a link or an in-place target is
 * refused (writeTarget), or the in-place target takes no writes.
 */
export async function whyUnwritable(fs: WriteCheckFs, path: string): Promise<string | null> {
  if (namesFolder(path)) return NAMES_FOLDER;
  let target: WriteTarget;
  try {
    target = await writeTarget(fs, path);
  } catch (err) {
    return (err as Error).message;
  }
  if (!target.atomic) return fs.access(target.path, fs.constants.W_OK).then(() => null, (err: unknown) => `${target.path} takes no writes (${reason(err)})`);
  const existing = await fs.stat(target.path).catch(() => null);
  if (existing?.isDirectory()) return 'it is a folder; give a file name';
  const folder = dirAndBase(target.path)[0] || '.';
  const st = await fs.stat(folder).catch((err: unknown) => reason(err));
  if (st === 'ENOENT') return `its folder ${folder} does not exist`;
  if (st === 'ENOTDIR') return `${folder} is not a folder (or a part of it is a file)`;
  if (typeof st === 'string') return `its folder ${folder} cannot be read (${st})`;
  // Only root or the owner of a file (or of the folder) may rename over it in a sticky folder.
  if (existing !== null && globalThis.process.geteuid?.() !== 0 && foreignIn(st, existing.uid)) {
    return `it is another user's file ${SHARED}: it cannot be replaced`;
  }
  const tmp = tempPath(target.path);
  try {
    await (await fs.open(tmp, 'wx')).close();
  } catch (err) {
    return `its folder ${folder} takes no new file (${reason(err)})`;
  }
  await fs.unlink(tmp).catch(() => {});
  return null;
}
