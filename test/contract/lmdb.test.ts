import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { LMDB_FORMAT, LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { historyStoreContract, pod, rec } from './history-store.contract.ts';

historyStoreContract('LmdbHistoryStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-'));
  let store = LmdbHistoryStore.open({ path: dir });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = LmdbHistoryStore.open({ path: dir });
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('LmdbHistoryStore format', () => {
  it('stamps a new store and refuses one of another format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-format-'));
    try {
      const store = LmdbHistoryStore.open({ path: dir });
      await store.close();
      const raw = open({ path: dir, maxDbs: 16 });
      await raw.openDB({ name: 'meta' }).put(['format'], 'kubetime.lmdb/v0');
      await raw.close();
      expect(() => LmdbHistoryStore.open({ path: dir })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ param: 'data-dir', expected: LMDB_FORMAT }) }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LmdbHistoryStore format v3 (values that describe their own records)', () => {
  it('still reads and writes a v3 store as v3, and a new store shares its record structures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-v3-'));
    const fresh = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-v4-'));
    try {
      const raw = open({ path: dir, maxDbs: 16 });
      raw.openDB({ name: 'meta' }).putSync(['format'], 'kubetime.lmdb/v3');
      await raw.close();
      const records = [rec({ name: 'a', uid: 'u1', rv: '1', ts: 10, op: 'ADDED' }), rec({ name: 'a', uid: 'u1', rv: '2', ts: 20, op: 'MODIFIED', object: pod('a', 'u1', '2', { status: { phase: 'Running' } }) })];
      for (const path of [dir, fresh]) {
        const store = LmdbHistoryStore.open({ path });
        await store.append(records);
        await store.close();
        const again = LmdbHistoryStore.open({ path });
        const got = [];
        for await (const r of again.revisions({ key: { cluster: records[0]!.cluster, gk: 'Pod', namespace: records[0]!.namespace, name: 'a' }, order: 'asc' })) got.push(r);
        await again.close();
        expect(got.map((r) => r.object)).toEqual(records.map((r) => r.object));
      }
      // Opened without any shared structures (as v3 code does), the v3 store's values decode in
      // full; the new store's values need the structures stored beside them.
      const readRaw = async (path: string) => {
        const env = open({ path, maxDbs: 16 });
        try {
          return [...env.openDB<Record<string, unknown>>({ name: 'rev' }).getRange({})].map((e) => e.value);
        } finally {
          await env.close();
        }
      };
      expect((await readRaw(dir)).map((v) => v.op)).toEqual(['ADDED', 'MODIFIED']);
      await expect(readRaw(fresh)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
