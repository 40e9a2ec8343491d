/**
 * Cassandra stopped for 30 s in the middle of ingestion, then started again
 * (test/infra/cassandra.sh stop / start). The same store instance must reject writes during the
 * outage with STORE_UNAVAILABLE (driver error as `cause`), accept them again once Cassandra is
 * back (no restart, no reconnect by the caller), and the history must end up equal to the input
 * exactly once: compared with the embedded store fed the same batches.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubetimeError } from '../../core/errors.ts';
import { CassandraHistoryStore } from '../../store/cassandra/index.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { describeWithService, serviceEnv } from '../infra/services.ts';
import { describeCassandra, dropKeyspace, freshKeyspace, type CassandraTarget } from './cassandra-helpers.ts';
import { StoreComparison } from './cassandra-compare.ts';
import { batches, generateWorkload, prng } from './cassandra-workload.ts';

const run = promisify(execFile);
const OUTAGE_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function cassandraSh(action: 'stop' | 'start'): Promise<void> {
  await run('bash', ['test/infra/cassandra.sh', action], { timeout: 300_000 });
}

const TITLE = 'CassandraHistoryStore through a 30 s Cassandra outage';

function suite(target: () => CassandraTarget): void {
  const keyspace = freshKeyspace('kt_outage');
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-outage-'));
  let cass: CassandraHistoryStore;
  let lmdb: LmdbHistoryStore;

  beforeAll(async () => {
    cass = await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true, requestTimeoutMs: 5_000 });
    lmdb = LmdbHistoryStore.open({ path: dir });
  }, 120_000);

  afterAll(async () => {
    await cassandraSh('start'); // whatever happened, leave Cassandra running
    await cass?.close();
    await lmdb?.close();
    rmSync(dir, { recursive: true, force: true });
    await dropKeyspace(target(), keyspace);
  }, 600_000);

  it('rejects during the outage, recovers by itself, and loses or duplicates nothing', async () => {
    const w = generateWorkload(31, { names: 4 });
    const all = batches(w.deliveries, 6, prng(8));
    const third = Math.floor(all.length / 3);
    const rejections: KubetimeError[] = [];
    let down: { from: number; to: number } | undefined;
    const acceptedWhileDown: number[] = [];
    let stopped: Promise<void> | undefined;
    let outage: Promise<void> | undefined;

    const appendWithRetry = async (b: ChangeRecord[]) => {
      await lmdb.append(b);
      for (;;) {
        try {
          await cass.append(b);
          const t = Date.now();
          if (down && t > down.from && (down.to === 0 || t < down.to)) acceptedWhileDown.push(t);
          return;
        } catch (e) {
          expect(e).toBeInstanceOf(KubetimeError);
          expect((e as KubetimeError).code).toBe('STORE_UNAVAILABLE');
          expect((e as KubetimeError).cause).toBeInstanceOf(Error);
          rejections.push(e as KubetimeError);
          await sleep(500); // the caller's retry, as the ingester's spool drains
        }
      }
    };

    for (const b of all.slice(0, third)) await appendWithRetry(b);
    // Phase 2: Cassandra shuts down while batches keep coming.
    stopped = cassandraSh('stop').then(() => {
      down = { from: Date.now(), to: 0 };
    });
    outage = stopped.then(async () => {
      await sleep(OUTAGE_MS);
      down!.to = Date.now();
      await cassandraSh('start');
    });
    for (const b of all.slice(third, 2 * third)) {
      await appendWithRetry(b);
      await sleep(300);
    }
    // Phase 3: from a fully stopped node until well after it is back.
    await stopped;
    for (const b of all.slice(2 * third)) await appendWithRetry(b);
    await outage;

    expect(rejections.length).toBeGreaterThan(10);
    expect(acceptedWhileDown).toEqual([]);
    await new StoreComparison(cass, lmdb, w).everything();
  }, 900_000);
}

// Stopping and starting the node needs the Cassandra of test/infra/services.sh.
if (serviceEnv('cassandra')) describeCassandra(TITLE, suite);
else describeWithService('cassandra', TITLE, () => undefined);
