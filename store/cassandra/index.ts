/** The Cassandra adapter of the HistoryStore port, and its schema migrations. */
export { CassandraHistoryStore, REQUIRED_SCHEMA_VERSION, type CassandraHistoryStoreOptions } from './cassandra-history-store.ts';
export { migrate, loadMigrations, parseReplication, SCHEMA_DIR, type MigrateOptions, type Replication } from './migrate.ts';
export type { CassandraConnectionOptions } from './client.ts';
export { DEFAULT_LAYOUT, type Layout } from './layout.ts';
