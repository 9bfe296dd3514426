// The temp files of atomic writes (src/io/temp-files.ts): the checkpoint store and the CLI's
// outputs (src/io/files.ts) name them alike and remove only those a killed writer left; both
// write through symlinks (src/io/write-target.ts) and into a target that is not a regular file
// in place, and the checks made before long work (whyUnwritable) look where the write goes.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AtomicFile, writeAtomic } from '../src/io/files.js';
import { tempPath } from '../src/io/temp-files.js';
import { openInPlace, type TargetFs, whyUnwritable, type WriteCheckFs, writeTarget } from '../src/io/write-target.js';
import { checkpointStore } from '../src/nn/index.js';

const WINDOWS = process.platform === 'win32';
const dir = mkdtempSync(join(tmpdir(), 'sigmoid-core-temp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each writer and the bytes it writes. */
const writers: [string, (path: string) => Promise<void>, string][] = [
  ['a checkpoint store', (path) => checkpointStore(path).write(new TextEncoder().encode('\x01\x02')), '\x01\x02'],
  ["the CLI's writeAtomic", (path) => writeAtomic(path, ['1,2\n']), '1,2\n'],
];

it('tempPath names a temp file .<base>.<pid>-<8 hex>.tmp beside its target; the CLI writes through one', async () => {
  expect(tempPath('out.csv')).toMatch(new RegExp(`^\\.out\\.csv\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  expect(tempPath('/a/b.c/run.safetensors')).toMatch(new RegExp(`^/a/b\\.c/\\.run\\.safetensors\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  const file = await AtomicFile.create(join(dir, 'out.csv'));
  expect(file.tmp).toMatch(new RegExp(`/\\.out\\.csv\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  await file.abort();
});

describe.each(writers)('%s', (_, write, written) => {
  it('removes the temp files writers killed mid-write left for the same target (pid not alive, over an hour old), nothing else', async () => {
    const sub = mkdtempSync(join(dir, 'stale-'));
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // has exited
    const hourAgo = (Date.now() - 3_600_000) / 1000;
    const files: [string, number][] = [
      [`.run.safetensors.${dead}-0badc0de.tmp`, hourAgo - 60], // removed
      [`.run.safetensors.${dead}-00000001.tmp`, hourAgo + 60], // under an hour old: kept (a writer on another host?)
      [`.run.safetensors.${process.pid}-00000002.tmp`, hourAgo - 60], // its writer is alive
      [`.other.safetensors.${dead}-00000003.tmp`, hourAgo - 60], // another target's
      [`.run.safetensors.x.${dead}-00000004.tmp`, hourAgo - 60], // the target run.safetensors.x's
      [`.run.safetensors.${dead}-4.tmp`, hourAgo - 60], // not our pattern
      [`run.safetensors.${dead}-00000005.tmp`, hourAgo - 60], // not our pattern
    ];
    for (const [name, mtime] of files) {
      writeFileSync(join(sub, name), 'partial');
      utimesSync(join(sub, name), mtime, mtime);
    }
    await write(join(sub, 'run.safetensors'));
    expect(readdirSync(sub).sort()).toEqual([...files.slice(1).map(([n]) => n), 'run.safetensors'].sort());
  });

  it.skipIf(WINDOWS)('writes through a symlink to the file it names, and the link stays a link (a rename used to replace it)', async () => {
    const sub = mkdtempSync(join(dir, 'link-'));
    writeFileSync(join(sub, 'real.out'), 'old');
    symlinkSync(join(sub, 'real.out'), join(sub, 'link.out'));
    await write(join(sub, 'link.out'));
    expect(readlinkSync(join(sub, 'link.out'))).toBe(join(sub, 'real.out'));
    expect(readFileSync(join(sub, 'real.out'), 'latin1')).toBe(written);
    expect(readdirSync(sub).sort()).toEqual(['link.out', 'real.out']);
  });

  it.skipIf(WINDOWS)('follows a relative link, a chain of links and a dangling one (whose file it creates); a loop fails', async () => {
    const sub = mkdtempSync(join(dir, 'links-'));
    mkdirSync(join(sub, 'data'));
    writeFileSync(join(sub, 'data', 'real.out'), 'old');
    symlinkSync('data/real.out', join(sub, 'rel.out')); // relative to the link's folder
    symlinkSync('rel.out', join(sub, 'chain.out'));
    symlinkSync('data/new.out', join(sub, 'dangling.out'));
    symlinkSync('loop-b', join(sub, 'loop-a'));
    symlinkSync('loop-a', join(sub, 'loop-b'));
    await write(join(sub, 'chain.out'));
    expect(readFileSync(join(sub, 'data', 'real.out'), 'latin1')).toBe(written);
    await write(join(sub, 'dangling.out'));
    expect(readFileSync(join(sub, 'data', 'new.out'), 'latin1')).toBe(written);
    expect(lstatSync(join(sub, 'dangling.out')).isSymbolicLink()).toBe(true);
    await expect(write(join(sub, 'loop-a'))).rejects.toThrow(/too many levels of symbolic links/);
    expect(readdirSync(sub).sort()).toEqual(['chain.out', 'dangling.out', 'data', 'loop-a', 'loop-b', 'rel.out']);
    expect(readdirSync(join(sub, 'data')).sort()).toEqual(['new.out', 'real.out']);
  });

  // Needs root, to give the link another owner.
  it.skipIf(WINDOWS || process.getuid?.() !== 0)("refuses another user's link in a sticky world-writable folder (as root it would write any file the link names)", async () => {
    const sticky = mkdtempSync(join(dir, 'sticky-'));
    chmodSync(sticky, 0o1777);
    const victim = join(dir, `victim-${Math.random()}`);
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(sticky, 'planted.out'));
    lchownSync(join(sticky, 'planted.out'), 65534, 65534);
    await expect(write(join(sticky, 'planted.out'))).rejects.toThrow(/another user's symbolic link in a shared folder/);
    expect(readFileSync(victim, 'latin1')).toBe('keep');
    expect(await whyUnwritable(fsp, join(sticky, 'planted.out'))).toMatch(/another user's symbolic link/);
    lchownSync(join(sticky, 'planted.out'), 0, 0); // our own link there is followed
    await write(join(sticky, 'planted.out'));
    expect(readFileSync(victim, 'latin1')).toBe(written);
  });

  it.skipIf(WINDOWS)('writes into a FIFO in place, which stays a FIFO (a rename used to replace it, as root even /dev/null)', async () => {
    const sub = mkdtempSync(join(dir, 'fifo-'));
    const fifo = join(sub, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo]);
    const got: Buffer[] = [];
    reader.stdout.on('data', (b: Buffer) => got.push(b));
    const ended = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    // A writer that replaces the FIFO leaves the reader waiting for ever: it is stopped after 10 s.
    const stop = setTimeout(() => reader.kill(), 10_000);
    try {
      await write(fifo);
      await ended;
    } finally {
      clearTimeout(stop);
      reader.kill();
    }
    expect(Buffer.concat(got).toString('latin1')).toBe(written);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(sub)).toEqual(['pipe']);
  });
});

describe.skipIf(WINDOWS)('whyUnwritable: the checks before long work agree with where the write goes', () => {
  it('a FIFO is writable in place (checked without opening it: that would wait for a reader)', async () => {
    const fifo = join(mkdtempSync(join(dir, 'check-fifo-')), 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(await whyUnwritable(fsp, fifo)).toBeNull();
  });

  it("a link is checked where it points: into /proc (a folder that takes no new file, even for root), into a missing folder", async () => {
    const sub = mkdtempSync(join(dir, 'check-link-'));
    symlinkSync('/proc/x.json', join(sub, 'proc.json'));
    symlinkSync(join(sub, 'gone', 'x.json'), join(sub, 'gone.json'));
    if (process.platform === 'linux') expect(await whyUnwritable(fsp, join(sub, 'proc.json'))).toBe('its folder /proc/ takes no new file (ENOENT)');
    expect(await whyUnwritable(fsp, join(sub, 'gone.json'))).toBe(`its folder ${join(sub, 'gone')}/ does not exist`);
    expect(await whyUnwritable(fsp, join(sub, 'new.json'))).toBeNull();
    expect(readdirSync(sub).sort()).toEqual(['gone.json', 'proc.json']); // the probe's temp file is gone
  });

  it('a folder, a path ending in a slash, a file as a folder', async () => {
    const sub = mkdtempSync(join(dir, 'check-folder-'));
    writeFileSync(join(sub, 'f'), '');
    expect(await whyUnwritable(fsp, sub)).toBe('it is a folder; give a file name');
    expect(await whyUnwritable(fsp, `${sub}/x/`)).toBe('it names a folder (ends in a slash); give a file name');
    expect(await whyUnwritable(fsp, join(sub, 'f', 'x.json'))).toBe(`${join(sub, 'f')}/ is not a folder (or a part of it is a file)`);
  });
});

/**
 * A file system of `entries` (path → owner, and a link's target or a kind) in folders of
 * `folders` (path with its trailing '/' → mode and owner), for the sticky-folder rules
 * without root (which a real test needs to give a file another owner).
 */
function fakeFs(entries: Record<string, { uid: number; link?: string; kind?: 'file' | 'fifo' }>, folders: Record<string, { mode: number; uid: number }>): WriteCheckFs {
  const missing = (p: string) => Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  const stats = (uid: number, kind: 'file' | 'fifo' | 'link' | 'folder', mode = 0) => ({
    uid, mode, isSymbolicLink: () => kind === 'link', isFile: () => kind === 'file', isDirectory: () => kind === 'folder',
  });
  return {
    lstat: async (p: string) => {
      const e = entries[p];
      if (!e) throw missing(p);
      return stats(e.uid, e.link !== undefined ? 'link' : e.kind ?? 'file');
    },
    readlink: async (p: string) => entries[p]!.link!,
    stat: async (p: string) => {
      const f = folders[p];
      if (f) return stats(f.uid, 'folder', f.mode);
      const e = entries[p];
      if (!e || e.link !== undefined) throw missing(p);
      return stats(e.uid, e.kind ?? 'file');
    },
    open: async () => ({ close: async () => {} }),
    unlink: async () => {},
    access: async () => {},
    constants: fsp.constants,
  } as unknown as WriteCheckFs;
}

describe.skipIf(WINDOWS)("the sticky-folder rules (Linux's protected_symlinks and protected_fifos)", () => {
  const me = 1000;
  const owner = 2000; // the shared folder's
  const other = 3000;
  const STICKY = { mode: 0o41777, uid: owner };
  afterEach(() => vi.restoreAllMocks());

  it("follows our link and the folder owner's there, not another user's; elsewhere any link", async () => {
    vi.spyOn(process, 'geteuid').mockReturnValue(me);
    const target = (folder: { mode: number; uid: number }, uid: number) =>
      writeTarget(fakeFs({ '/s/l': { uid, link: '/d/f' }, '/d/f': { uid: other } }, { '/s/': folder, '/d/': { mode: 0o40755, uid: 0 } }) as TargetFs, '/s/l');
    await expect(target(STICKY, me)).resolves.toEqual({ path: '/d/f', atomic: true });
    await expect(target(STICKY, owner)).resolves.toEqual({ path: '/d/f', atomic: true });
    await expect(target(STICKY, other)).rejects.toThrow("another user's symbolic link in a shared folder (sticky and world-writable): not followed");
    await expect(target({ mode: 0o40777, uid: owner }, other)).resolves.toEqual({ path: '/d/f', atomic: true }); // not sticky
    await expect(target({ mode: 0o41755, uid: owner }, other)).resolves.toEqual({ path: '/d/f', atomic: true }); // not world-writable
  });

  it("names a refused link further down a chain; refuses another user's FIFO there, not ours", async () => {
    vi.spyOn(process, 'geteuid').mockReturnValue(me);
    const folders = { '/d/': { mode: 0o40755, uid: 0 }, '/s/': STICKY };
    await expect(writeTarget(fakeFs({ '/d/a': { uid: me, link: '/s/b' }, '/s/b': { uid: other, link: '/d/f' } }, folders) as TargetFs, '/d/a'))
      .rejects.toThrow("another user's symbolic link /s/b in a shared folder");
    await expect(writeTarget(fakeFs({ '/s/p': { uid: other, kind: 'fifo' } }, folders) as TargetFs, '/s/p'))
      .rejects.toThrow("another user's FIFO or device in a shared folder (sticky and world-writable): not written");
    await expect(writeTarget(fakeFs({ '/s/p': { uid: me, kind: 'fifo' } }, folders) as TargetFs, '/s/p')).resolves.toEqual({ path: '/s/p', atomic: false });
  });

  it("an existing file of another user there cannot be replaced but by root: refused before the work (the rename failed after it)", async () => {
    const fs = fakeFs({ '/s/out.json': { uid: other } }, { '/s/': STICKY });
    vi.spyOn(process, 'geteuid').mockReturnValue(me);
    expect(await whyUnwritable(fs, '/s/out.json')).toBe("it is another user's file in a shared folder (sticky and world-writable): it cannot be replaced");
    expect(await whyUnwritable(fakeFs({ '/s/out.json': { uid: me } }, { '/s/': STICKY }), '/s/out.json')).toBeNull();
    vi.spyOn(process, 'geteuid').mockReturnValue(0);
    expect(await whyUnwritable(fs, '/s/out.json')).toBeNull();
  });
});

describe.skipIf(WINDOWS)('openInPlace', () => {
  it('opens /dev/null; refuses a link (not followed) and a regular file (the target swapped after the check), truncating nothing', async () => {
    await (await openInPlace(fsp, '/dev/null')).close();
    const sub = mkdtempSync(join(dir, 'in-place-'));
    writeFileSync(join(sub, 'f'), 'keep');
    symlinkSync(join(sub, 'f'), join(sub, 'l'));
    await expect(openInPlace(fsp, join(sub, 'f'))).rejects.toThrow(/became a regular file after it was checked/);
    await expect(openInPlace(fsp, join(sub, 'l'))).rejects.toThrow(/ELOOP/);
    expect(readFileSync(join(sub, 'f'), 'latin1')).toBe('keep');
  });
});
