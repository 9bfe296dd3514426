// The temp files of atomic writes (src/io/temp-files.ts): the checkpoint store and the CLI's
// outputs (src/io/files.ts) name them alike and remove only those a killed writer left.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFile, writeAtomic } from '../src/io/files.js';
import { tempPath } from '../src/io/temp-files.js';
import { checkpointStore } from '../src/nn/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sigmoid-core-temp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writers: [string, (path: string) => Promise<void>][] = [
  ['a checkpoint store', (path) => checkpointStore(path).write(new Uint8Array([1, 2]))],
  ["the CLI's writeAtomic", (path) => writeAtomic(path, ['1,2\n'])],
];

it('tempPath names a temp file .<base>.<pid>-<8 hex>.tmp beside its target; the CLI writes through one', async () => {
  expect(tempPath('out.csv')).toMatch(new RegExp(`^\\.out\\.csv\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  expect(tempPath('/a/b.c/run.safetensors')).toMatch(new RegExp(`^/a/b\\.c/\\.run\\.safetensors\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  const file = await AtomicFile.create(join(dir, 'out.csv'));
  expect(file.tmp).toMatch(new RegExp(`/\\.out\\.csv\\.${process.pid}-[0-9a-f]{8}\\.tmp$`));
  await file.abort();
});

describe.each(writers)('%s', (_, write) => {
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
});
