// Where an atomic write of a path goes, and whether it can go there, for the CLI's outputs
// (files.ts), the benchmarks' reports and checkpoint files (nn/checkpoint-store.ts). Node only
// at run time, with the file system passed in (as temp-files.ts, for browser bundles).
// - A symbolic link is followed to the file it names, which need not exist yet (a rename over
//   the link would replace the link with a plain file), except another user's link in a
//   sticky world-writable folder such as /tmp, as Linux's fs.protected_symlinks refuses it:
//   there it could point a write at any file (as root, /etc/passwd).
// - An existing target that is not a regular file (/dev/null, a FIFO, a terminal) is written
//   in place: a rename would replace it, and as root even /dev/null became a plain file. A FIFO
//   with no reader makes that write wait for one, as the shell's `>` does.

import { dirAndBase, tempPath } from './temp-files.js';

type FsPromises = typeof import('node:fs/promises');

/** The file-system calls writeTarget makes. */
export type TargetFs = Pick<FsPromises, 'lstat' | 'readlink' | 'stat'>;
/** The file-system calls whyUnwritable makes. */
export type WriteCheckFs = TargetFs & Pick<FsPromises, 'open' | 'unlink' | 'access' | 'constants'>;

/** Links followed before a write gives up (Linux's own limit). */
const MAX_LINK_HOPS = 40;

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || (globalThis.process.platform === 'win32' && /^([A-Za-z]:)?[\\/]/.test(path));
}

/** Refuses another user's link in a sticky world-writable folder (fs.protected_symlinks' rule). */
async function checkLinkOwner(fs: TargetFs, link: string, linkUid: number): Promise<void> {
  const uid = globalThis.process.geteuid?.();
  if (uid === undefined) return; // Windows: no such folders
  const folder = await fs.stat(dirAndBase(link)[0] || '.');
  if ((folder.mode & 0o1002) !== 0o1002 || linkUid === uid || linkUid === folder.uid) return;
  throw new Error(`${link} is another user's symbolic link in a shared folder (sticky and world-writable): not followed`);
}

/**
 * What a write to `path` goes to: the file at the end of its symbolic links (see the header),
 * and `atomic` false for an existing target written in place. A folder stays atomic: its
 * checks and rename fail naming it. Throws (a plain Error) on a loop or a refused link.
 */
export async function writeTarget(fs: TargetFs, path: string): Promise<{ path: string; atomic: boolean }> {
  let p = path;
  for (let hops = 0; ; hops++) {
    const st = await fs.lstat(p).catch(() => null);
    if (st === null) return { path: p, atomic: true }; // a new file, perhaps a dangling link's
    if (!st.isSymbolicLink()) return { path: p, atomic: st.isFile() || st.isDirectory() };
    if (hops === MAX_LINK_HOPS) throw new Error(`${path}: too many levels of symbolic links`);
    await checkLinkOwner(fs, p, st.uid);
    const to = await fs.readlink(p);
    p = isAbsolute(to) ? to : dirAndBase(p)[0] + to;
  }
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code ?? e?.message ?? String(err);
}

/**
 * Why a write to `path` would fail, found before any long work, or null: it names a folder;
 * its folder is missing or not a folder; the folder takes no new file (read-only, another
 * user's, /proc: the temp file the write makes there is created and removed now); a link
 * cannot be followed; a target written in place takes no writes.
 */
export async function whyUnwritable(fs: WriteCheckFs, path: string): Promise<string | null> {
  if (/[/\\]$/.test(path)) return 'it names a folder (ends in a slash); give a file name';
  let target: { path: string; atomic: boolean };
  try {
    target = await writeTarget(fs, path);
  } catch (err) {
    return (err as Error).message;
  }
  if (!target.atomic) return fs.access(target.path, fs.constants.W_OK).then(() => null, (err: unknown) => `${target.path} takes no writes (${reason(err)})`);
  if ((await fs.stat(target.path).catch(() => null))?.isDirectory()) return 'it is a folder; give a file name';
  const folder = dirAndBase(target.path)[0] || '.';
  const st = await fs.stat(folder).catch((err: unknown) => reason(err));
  if (typeof st === 'string') return st === 'ENOENT' ? `its folder ${folder} does not exist` : `its folder ${folder} cannot be read (${st})`;
  if (!st.isDirectory()) return `${folder} is not a folder`;
  const tmp = tempPath(target.path);
  try {
    await (await fs.open(tmp, 'wx')).close();
  } catch (err) {
    return `its folder ${folder} takes no new file (${reason(err)})`;
  }
  await fs.unlink(tmp).catch(() => {});
  return null;
}
