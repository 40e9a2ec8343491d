/**
 * Schema migrations and start-up on a real Cassandra: concurrent `migrate` calls apply each
 * version once, a second run is a no-op, version 1 keyspaces move to 2, a store refuses an unmigrated keyspace or an unreachable
 * Cassandra with STORE_UNAVAILABLE, and the layout is fixed by the first start.
 */
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, expect, it } from 'vitest';
import { CassandraHistoryStore, migrate, SCHEMA_DIR } from '../../store/cassandra/index.ts';
import { loadMigrations, openKeyspace } from '../../store/cassandra/migrate.ts';
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
    expect([...a, ...b].sort()).toEqual([1, 2]);
    expect(await migrate({ ...target(), keyspace })).toEqual([]);
    const client = new cassandra.Client({ ...target(), keyspace });
    try {
      const rows = (await client.execute('SELECT version, name, checksum FROM schema_version')).rows;
      expect(rows.map((r) => [r.get('version'), r.get('name')]).sort()).toEqual([[1, 'history'], [2, 'summary_slim']]);
      const ksMeta = (await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])).rows[0]!;
      expect(ksMeta.get('replication')).toMatchObject({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' });
    } finally {
      await client.shutdown();
    }
  }, 180_000);

  it('connects to a keyspace that another process creates a moment later, and only waits for that', async () => {
    // Two migrations at once: the one whose CREATE KEYSPACE IF NOT EXISTS found the other's may
    // connect before the keyspace can be used, and the driver answers "Keyspace … does not exist".
    const keyspace = ks();
    let waits = 0;
    // The keyspace appears while openKeyspace waits after its first attempt was refused.
    const sleep = async () => {
      if (waits++ > 0) return;
      const admin = new cassandra.Client({ ...target() });
      try {
        await admin.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      } finally {
        await admin.shutdown();
      }
    };
    const db = await openKeyspace({ ...target(), keyspace, sleep }, keyspace);
    try {
      expect((await db.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], 'read')).rows).toHaveLength(1);
    } finally {
      await db.shutdown();
    }
    expect(waits).toBe(1);
    // Any other failure is not waited for: nothing listening fails at once.
    let otherWaits = 0;
    const unreachable = openKeyspace({ ...target(), contactPoints: ['127.0.0.1:1'], keyspace, sleep: async () => void otherWaits++ }, keyspace);
    await expect(unreachable).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(otherWaits).toBe(0);
  }, 120_000);

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

  it('takes a keyspace of version 1 to 2 (revisions.slim), refused before, and its statements can run again', async () => {
    const keyspace = ks();
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-schema-'));
    copyFileSync(join(SCHEMA_DIR, '001_history.cql'), join(dir, '001_history.cql'));
    expect(await migrate({ ...target(), keyspace, schemaDir: dir })).toEqual([1]);
    rmSync(dir, { recursive: true, force: true });
    const refused = await CassandraHistoryStore.connect({ ...target(), keyspace }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('schema version 1') });
    expect(await migrate({ ...target(), keyspace })).toEqual([2]);
    const client = new cassandra.Client({ ...target(), keyspace });
    try {
      // A migration stopped half way is run again: 002's statements change nothing the second time.
      for (const cql of loadMigrations().find((m) => m.version === 2)!.statements) await client.execute(cql);
      const cols = (await client.execute('SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [keyspace, 'revisions'])).rows;
      expect(cols.filter((c) => c.get('column_name') === 'slim').map((c) => c.get('type'))).toEqual(['blob']);
    } finally {
      await client.shutdown();
    }
    const store = await CassandraHistoryStore.connect({ ...target(), keyspace });
    await store.close();
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
