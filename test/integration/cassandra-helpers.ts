/**
 * How Cassandra tests get a real Cassandra:
 * 1. the one test/infra/services.sh started (KUBETIME_CASSANDRA_CONTACT_POINTS from global setup);
 * 2. else, where Docker works, a throw-away container from @testcontainers/cassandra;
 * 3. else describeWithService's rule: fail under CI, skip loudly otherwise.
 * Each suite works in its own fresh keyspace, dropped afterwards.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, vi } from 'vitest';
import cassandra from 'cassandra-driver';
import { CassandraHistoryStore, type CassandraHistoryStoreOptions } from '../../store/cassandra/index.ts';
import type { Layout } from '../../store/cassandra/layout.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { describeWithService, serviceEnv } from '../infra/services.ts';

export interface CassandraTarget {
  contactPoints: string[];
  localDataCenter: string;
}

const CASSANDRA_IMAGE = 'cassandra:5.0';

function dockerWorks(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 }).status === 0;
}

/**
 * describe() with a Cassandra target: `target()` is valid inside hooks and tests. Uses the
 * services.sh Cassandra, else a Docker container, else skips (fails under CI).
 */
export function describeCassandra(title: string, body: (target: () => CassandraTarget) => void): void {
  const env = serviceEnv('cassandra');
  if (env) {
    const t: CassandraTarget = {
      contactPoints: env.KUBETIME_CASSANDRA_CONTACT_POINTS!.split(',').map((s) => s.trim()),
      localDataCenter: env.KUBETIME_CASSANDRA_LOCAL_DC ?? 'datacenter1',
    };
    describe(title, () => body(() => t));
    return;
  }
  if (dockerWorks()) {
    describe(`${title} (Cassandra in Docker)`, () => {
      let t: CassandraTarget | undefined;
      let stop: (() => Promise<unknown>) | undefined;
      beforeAll(async () => {
        const { CassandraContainer } = await import('@testcontainers/cassandra');
        const c = await new CassandraContainer(CASSANDRA_IMAGE).start();
        stop = () => c.stop();
        t = { contactPoints: [c.getContactPoint()], localDataCenter: c.getDatacenter() };
      }, 600_000);
      afterAll(async () => {
        await stop?.();
      });
      body(() => {
        if (!t) throw new Error('the Cassandra container did not start');
        return t;
      });
    });
    return;
  }
  describeWithService('cassandra', title, () => body(() => {
    throw new Error('no Cassandra');
  }));
}

/** A keyspace name no other run uses. */
export function freshKeyspace(prefix = 'kt_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Runs CQL statements outside the store (drop keyspace, truncate tables). */
export async function runCql(t: CassandraTarget, statements: string[], keyspace?: string): Promise<void> {
  const client = new cassandra.Client({ contactPoints: t.contactPoints, localDataCenter: t.localDataCenter, ...(keyspace ? { keyspace } : {}) });
  try {
    await client.connect();
    for (const s of statements) await client.execute(s);
  } finally {
    await client.shutdown();
  }
}

export async function dropKeyspace(t: CassandraTarget, keyspace: string): Promise<void> {
  await runCql(t, [`DROP KEYSPACE IF EXISTS ${keyspace}`]);
}

/** The data tables of schema/001_history.cql (not settings or schema_version). */
export const DATA_TABLES = [
  'revisions', 'revision_bases', 'revision_buckets', 'revision_ids', 'feed', 'feed_by_namespace', 'feed_buckets',
  'lifetimes_by_name', 'lifetime_epochs', 'lifetimes_by_epoch', 'kinds', 'clusters',
];

/**
 * Inside describeCassandra: a Cassandra store (one keyspace for the suite with `layout`, its
 * tables emptied after each test, driver mocks restored) and an empty embedded store, new for
 * each test. Call the result inside a test.
 */
export function storesPerTest(
  target: () => CassandraTarget, prefix: string, layout: Partial<Layout>, opts: Partial<CassandraHistoryStoreOptions> = {},
): () => { cass: CassandraHistoryStore; lmdb: LmdbHistoryStore; keyspace: string } {
  const keyspace = freshKeyspace(prefix);
  let dir: string;
  let cass: CassandraHistoryStore | undefined;
  let lmdb: LmdbHistoryStore | undefined;
  beforeAll(async () => {
    await (await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true, layout })).close();
  }, 120_000);
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), `kubetime-${prefix}-`));
    cass = await CassandraHistoryStore.connect({ ...target(), ...opts, keyspace });
    lmdb = LmdbHistoryStore.open({ path: dir });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await cass?.close();
    await lmdb?.close();
    rmSync(dir, { recursive: true, force: true });
    await runCql(target(), DATA_TABLES.map((t) => `TRUNCATE ${t}`), keyspace);
  }, 120_000);
  afterAll(async () => {
    await dropKeyspace(target(), keyspace);
  }, 120_000);
  return () => ({ cass: cass!, lmdb: lmdb!, keyspace });
}
