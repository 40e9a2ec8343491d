/**
 * How Cassandra tests get a real Cassandra:
 * 1. the one test/infra/services.sh started (KUBETIME_CASSANDRA_CONTACT_POINTS from global setup);
 * 2. else, where Docker works, a throw-away container from @testcontainers/cassandra;
 * 3. else describeWithService's rule: fail under CI, skip loudly otherwise.
 * Each suite works in its own fresh keyspace, dropped afterwards.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import cassandra from 'cassandra-driver';
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
