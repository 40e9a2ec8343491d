/**
 * The HistoryStore contract against CassandraHistoryStore on a real Cassandra, in a fresh
 * keyspace per run (migrated once; data tables truncated between tests).
 */
import { afterAll, beforeAll } from 'vitest';
import { CassandraHistoryStore } from '../../store/cassandra/index.ts';
import { DATA_TABLES, describeCassandra, dropKeyspace, freshKeyspace, runCql } from '../integration/cassandra-helpers.ts';
import { historyStoreContract } from './history-store.contract.ts';

describeCassandra('CassandraHistoryStore contract', (target) => {
  const keyspace = freshKeyspace('kt_contract');
  const open = () => CassandraHistoryStore.connect({ ...target(), keyspace });

  beforeAll(async () => {
    const s = await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true });
    await s.close();
  }, 120_000);
  afterAll(async () => {
    await dropKeyspace(target(), keyspace);
  }, 120_000);

  historyStoreContract('CassandraHistoryStore', async () => {
    let store = await open();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await open();
        return store;
      },
      cleanup: async () => {
        await store.close();
        await runCql(target(), DATA_TABLES.map((t) => `TRUNCATE ${t}`), keyspace);
      },
    };
  });
});
