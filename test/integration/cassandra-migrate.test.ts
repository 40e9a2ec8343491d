/**
 * Schema migrations and start-up on a real Cassandra: concurrent `migrate` calls apply each
 * version once, a second run is a no-op, a store refuses an unmigrated keyspace or an unreachable
 * Cassandra with STORE_UNAVAILABLE, and the layout is fixed by the first start.
 */
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, expect, it } from 'vitest';
import { CassandraHistoryStore, migrate, SCHEMA_DIR } from '../../store/cassandra/index.ts';
import { describeCassandra, dropKeyspace, freshKeyspace } from './cassandra-helpers.ts';

describeCassandra('Cassandra schema migrations', (target) => {
  const keyspaces: string[] = [];
  const ks = () => {
    const k = freshKeyspace('kt_migrate');
    keyspaces.push(k);
    return k;
  };
  afterAll(async () => {
    for (const k of keyspaces) await dropKeyspace(target(), k);
  }, 120_000);

  it('applies each version once even when two processes migrate at the same time', async () => {
    const keyspace = ks();
    const [a, b] = await Promise.all([migrate({ ...target(), keyspace }), migrate({ ...target(), keyspace })]);
    expect([...a, ...b]).toEqual([1]);
    expect(await migrate({ ...target(), keyspace })).toEqual([]);
    const client = new cassandra.Client({ ...target(), keyspace });
    try {
      const rows = (await client.execute('SELECT version, name, checksum FROM schema_version')).rows;
      expect(rows.map((r) => [r.get('version'), r.get('name')])).toEqual([[1, 'history']]);
      const ksMeta = (await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])).rows[0]!;
      expect(ksMeta.get('replication')).toMatchObject({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' });
    } finally {
      await client.shutdown();
    }
  }, 180_000);

  it('applies a later migration on top and records it', async () => {
    const keyspace = ks();
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-schema-'));
    copyFileSync(join(SCHEMA_DIR, '001_history.cql'), join(dir, '001_history.cql'));
    expect(await migrate({ ...target(), keyspace, schemaDir: dir })).toEqual([1]);
    writeFileSync(join(dir, '002_notes.cql'), '-- a later change\nCREATE TABLE IF NOT EXISTS notes (k text PRIMARY KEY, v text);\nALTER TABLE notes ADD IF NOT EXISTS w text;\n');
    expect(await migrate({ ...target(), keyspace, schemaDir: dir })).toEqual([2]);
    expect(await migrate({ ...target(), keyspace, schemaDir: dir })).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('refuses to start on a keyspace that was never migrated', async () => {
    const err = await CassandraHistoryStore.connect({ ...target(), keyspace: ks() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('kubetime migrate') });
  });

  it('rejects with STORE_UNAVAILABLE (driver error as cause) when Cassandra is unreachable', async () => {
    const started = Date.now();
    const err = await CassandraHistoryStore.connect({ contactPoints: ['127.0.0.1:1'], localDataCenter: 'datacenter1', keyspace: 'nowhere' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((err as Error).cause).toBeInstanceOf(cassandra.errors.NoHostAvailableError);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('fixes the layout at the first start; later starts keep it', async () => {
    const keyspace = ks();
    const first = await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true, bucketSeconds: 3600, layout: { lifetimeShards: 4 } });
    await first.close();
    const second = await CassandraHistoryStore.connect({ ...target(), keyspace, bucketSeconds: 600, layout: { lifetimeShards: 32 } });
    expect(second.layout).toMatchObject({ revisionBucketSeconds: 3600, lifetimeShards: 4 });
    await second.close();
  }, 180_000);
});
