// The temp files of atomic writes (written beside the target, then renamed over it), for
// the CLI's outputs (files.ts) and checkpoint files (nn/checkpoint-store.ts): their name,
// `.<base>.<pid>-<8 hex>.tmp`, and the removal of those a writer killed mid-write left.
// Node only at run time, but with no static node: import: checkpoint-store.ts, which browser
// bundles reach, passes in the file system it loaded; and Node's process is read as
// globalThis.process (a bare `process` makes Parcel bundle a polyfill: src/node-only.ts).

type FsPromises = typeof import('node:fs/promises');

/** The file-system calls removeStaleTemps makes. */
export type TempFs = Pick<FsPromises, 'readdir' | 'lstat' | 'unlink'>;

/** The folder part (with its separator) and the file name; '\\' separates on Windows only (elsewhere a file name may hold it). */
export function dirAndBase(path: string): [string, string] {
  const cut = Math.max(path.lastIndexOf('/'), globalThis.process.platform === 'win32' ? path.lastIndexOf('\\') : -1);
  return cut < 0 ? ['', path] : [path.slice(0, cut + 1), path.slice(cut + 1)];
}

/** A fresh temp file name beside `path`, for one write to it (open it with 'wx'). */
export function tempPath(path: string): string {
  const [dir, base] = dirAndBase(path);
  const rand = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  return `${dir}.${base}.${globalThis.process.pid}-${rand}.tmp`;
}

/** A temp file untouched this long, whose writer's pid is not alive here, was left by a killed process. */
const STALE_TEMP_MS = 3_600_000;

/** Whether a process with this pid exists on this host (EPERM: it does, another user's). */
function isAlive(pid: number): boolean {
  try {
    globalThis.process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'ESRCH';
  }
}

/**
 * Removes the temp files that writers killed mid-write left for `path`: only names of
 * exactly tempPath's pattern for this target, only plain files, only when no process with
 * that pid is alive on this host AND the file is over an hour old (the folder may be shared
 * with another host, where the pid means nothing).
 */
export async function removeStaleTemps(fs: TempFs, path: string): Promise<void> {
  const [dir, base] = dirAndBase(path);
  const prefix = `.${base}.`;
  for (const name of await fs.readdir(dir || '.')) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length, -'.tmp'.length));
    if (m === null || isAlive(Number(m[1]))) continue;
    const st = await fs.lstat(dir + name).catch(() => null);
    if (st?.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_MS) await fs.unlink(dir + name).catch(() => {});
  }
}
