import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsSnapshotStore } from '../../store/fs/fs-snapshot-store.ts';
import { snapshotStoreContract } from './snapshot-store.contract.ts';

snapshotStoreContract('FsSnapshotStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubetime-snap-'));
  return { store: await FsSnapshotStore.open({ root: join(dir, 'snapshots') }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('FsSnapshotStore specifics', () => {
  it('hides temp files of interrupted writes and removes them once old, and removes emptied folders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubetime-snap-'));
    try {
      const store = await FsSnapshotStore.open({ root: dir });
      await store.put('parts/c/id/part-00000.ndjson.gz', (async function* () { yield Buffer.from('x'); })());
      // What a killed process leaves: a temp file next to the target.
      const temp = join(dir, 'parts', 'c', 'id', 'part-00001.ndjson.gz~tmp~abc');
      await writeFile(temp, 'partial');
      const keys: string[] = [];
      for await (const b of store.list('')) keys.push(b.key);
      expect(keys).toEqual(['parts/c/id/part-00000.ndjson.gz']);
      expect(await store.removeIncomplete(Date.now() * 1000 - 3_600_000_000)).toBe(0); // too recent
      const old = new Date(Date.now() - 2 * 3_600_000);
      await utimes(temp, old, old);
      expect(await store.removeIncomplete(Date.now() * 1000 - 3_600_000_000)).toBe(1);
      await store.delete(['parts/c/id/part-00000.ndjson.gz']);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an unusable folder as STORE_UNAVAILABLE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubetime-snap-'));
    try {
      await writeFile(join(dir, 'file'), 'not a folder');
      await expect(FsSnapshotStore.open({ root: join(dir, 'file', 'sub') })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const store = await FsSnapshotStore.open({ root: dir });
      await expect(store.put('file/x.json', (async function* () { yield Buffer.from('x'); })())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
