import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { LMDB_FORMAT, LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { historyStoreContract } from './history-store.contract.ts';

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
