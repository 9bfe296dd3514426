// The temp files of atomic writes (src/io/temp-files.ts): the checkpoint store and the CLI's
// outputs (src/io/files.ts) name them alike and remove only those a killed writer left; both
// write through a symlink and into a target that is not a regular file in place.
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFile, writeAtomic } from '../src/io/files.js';
import { tempPath } from '../src/io/temp-files.js';
import { checkpointStore } from '../src/nn/index.js';

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

  it('writes through a symlink to the file it names, and the link stays a link (a rename used to replace it)', async () => {
    const sub = mkdtempSync(join(dir, 'link-'));
    writeFileSync(join(sub, 'real.out'), 'old');
    symlinkSync(join(sub, 'real.out'), join(sub, 'link.out'));
    await write(join(sub, 'link.out'));
    expect(readlinkSync(join(sub, 'link.out'))).toBe(join(sub, 'real.out'));
    expect(readFileSync(join(sub, 'real.out'), 'latin1')).toBe(written);
    expect(readdirSync(sub).sort()).toEqual(['link.out', 'real.out']);
  });

  it('writes into a FIFO in place, which stays a FIFO (a rename used to replace it, as root even /dev/null)', async () => {
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
