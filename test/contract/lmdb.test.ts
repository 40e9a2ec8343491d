import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
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
