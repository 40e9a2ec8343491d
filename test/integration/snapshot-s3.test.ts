/**
 * Snapshots on a real S3-compatible server (MinIO from test/infra): multipart uploads of large
 * parts, restore from an s3:// URL, and the faults the issue names — the server stopped during an
 * upload, and killed in the middle of a multipart upload. In both cases no partial snapshot may
 * ever be visible, and the next run must succeed.
 *
 * The fault tests stop and kill the shared MinIO (`test/infra/minio.sh stop|kill|start`) and
 * always start it again afterwards.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SnapshotCatalog } from '../../compactor/catalog.ts';
import { Compactor } from '../../compactor/compactor.ts';
import { readSnapshot } from '../../compactor/read.ts';
import { restore } from '../../compactor/restore.ts';
import { takeSnapshot } from '../../compactor/snapshot.ts';
import { snapshotStoreFromUrl } from '../../cli/snapshot-store-url.ts';
import { sweepLeftovers } from '../../compactor/sweep.ts';
import { collect, directAnswer, filledStore, fingerprint, HOUR, ManualClock, silentLogger, T0 } from '../../compactor/testing/fixtures.ts';
import { verify } from '../../compactor/verify.ts';
import type { SnapshotStore } from '../../core/snapshot.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { S3SnapshotStore } from '../../store/s3/s3-snapshot-store.ts';
import { describeWithService } from '../infra/services.ts';

const MIB = 1024 * 1024;

function minio(action: 'stop' | 'kill' | 'start'): void {
  const r = spawnSync('bash', ['test/infra/minio.sh', action], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`minio.sh ${action} failed: ${r.stderr}`);
}

/** Wraps a store so that `action` runs once `afterBytes` of one put's body have been pulled. */
function tripwire(inner: SnapshotStore, afterBytes: number, action: () => void): SnapshotStore & { fired: boolean } {
  const wrapped = {
    fired: false,
    location: inner.location,
    put: (key: string, body: AsyncIterable<Uint8Array>) => inner.put(key, (async function* () {
      let pulled = 0;
      for await (const c of body) {
        pulled += c.length;
        if (!wrapped.fired && pulled >= afterBytes) {
          wrapped.fired = true;
          action();
        }
        yield c;
      }
    })()),
    get: (key: string) => inner.get(key),
    list: (prefix: string) => inner.list(prefix),
    delete: (keys: readonly string[]) => inner.delete(keys),
    removeIncomplete: (t: number) => inner.removeIncomplete(t),
    close: () => inner.close(),
  };
  return wrapped;
}

describeWithService('minio', 'snapshots on MinIO', (env) => {
  const prefix = `it-${randomBytes(4).toString('hex')}`;
  const clock = new ManualClock(T0 + 2 * HOUR);
  const s3opts = {
    endpoint: env.KUBETIME_S3_ENDPOINT,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  };
  let dir: string;
  let store: LmdbHistoryStore;
  let s3: S3SnapshotStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubetime-s3-'));
    store = LmdbHistoryStore.open({ path: join(dir, 'store') });
    // ~4,000 objects of ~4.5 KB that compress like real ones: one part of ~9 MB gzip, > 1 multipart part.
    await filledStore({ store, objects: 4000, changes: 400, span: HOUR, randomPadding: 4000 });
    s3 = new S3SnapshotStore({ ...s3opts, bucket: env.KUBETIME_S3_BUCKET!, prefix, partSize: 5 * MIB, queueSize: 1 });
  }, 120_000);

  afterAll(async () => {
    minio('start');
    const keys: string[] = [];
    for await (const b of s3.list('')) keys.push(b.key);
    await s3.delete(keys);
    await s3.removeIncomplete(Date.now() * 1000 + 60_000_000);
    await s3.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  }, 240_000);

  it('writes a large snapshot as a multipart upload, reads it back and restores from an s3:// URL', async () => {
    const m = await takeSnapshot({ store, snapshots: s3, cluster: 'test', at: T0 + HOUR, clock, logger: silentLogger });
    expect(m.parts).toHaveLength(1);
    expect(m.parts[0]!.bytes).toBeGreaterThan(5 * MIB);
    const client = new S3Client({ ...s3opts, forcePathStyle: true });
    const head = await client.send(new HeadObjectCommand({ Bucket: env.KUBETIME_S3_BUCKET!, Key: `${prefix}/${m.parts[0]!.key}` }));
    client.destroy();
    expect(head.ETag).toMatch(/-\d+"?$/); // S3 marks multipart objects with "-<parts>"
    expect(fingerprint(await collect(readSnapshot(s3, m)))).toEqual(await directAnswer(store, { cluster: 'test', at: T0 + HOUR }));

    const from = await snapshotStoreFromUrl(`s3://${env.KUBETIME_S3_BUCKET}/${prefix}`, s3opts);
    const fresh = LmdbHistoryStore.open({ path: join(dir, 'restored') });
    try {
      const [report] = await restore({ from, into: fresh, clock });
      expect(report!.used.map((u) => u.id)).toEqual([m.id]);
      expect(await directAnswer(fresh, { cluster: 'test', at: T0 + HOUR })).toEqual(await directAnswer(store, { cluster: 'test', at: T0 + HOUR }));
    } finally {
      await fresh.close();
      await from.close();
    }
  }, 180_000);

  it('server stopped during an upload: no partial snapshot is visible, the next run succeeds', async () => {
    const catalog = new SnapshotCatalog({ snapshots: s3, clock, refreshMicros: 0 });
    const before = (await catalog.manifests('test')).map((m) => m.id);
    const faulty = tripwire(s3, 1 * MIB, () => minio('stop'));
    try {
      const err = await takeSnapshot({ store, snapshots: faulty, cluster: 'test', at: T0 + HOUR + 1, clock, logger: silentLogger }).catch((e) => e);
      expect(faulty.fired).toBe(true);
      expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      minio('start');
    }
    expect((await catalog.manifests('test')).map((m) => m.id)).toEqual(before);
    const compactor = new Compactor({ store, snapshots: s3, clock, logger: silentLogger, retention: false });
    const run = await compactor.runOnce({ at: T0 + HOUR + 1 });
    expect(run.failed).toEqual([]);
    expect((await catalog.manifests('test')).length).toBe(before.length + 1);
  }, 300_000);

  it('server killed in the middle of a multipart upload: nothing partial is visible, leftovers are swept, the next run succeeds', async () => {
    const catalog = new SnapshotCatalog({ snapshots: s3, clock, refreshMicros: 0 });
    const before = (await catalog.manifests('test')).map((m) => m.id);
    // queueSize 1: once 7 MiB are pulled, part 1 (5 MiB) has been uploaded and part 2 is being read.
    const faulty = tripwire(s3, 7 * MIB, () => minio('kill'));
    try {
      const err = await takeSnapshot({ store, snapshots: faulty, cluster: 'test', at: T0 + HOUR + 2, clock, logger: silentLogger }).catch((e) => e);
      expect(faulty.fired).toBe(true);
      expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      minio('start');
    }
    expect((await catalog.manifests('test')).map((m) => m.id)).toEqual(before);
    // The abort could not reach the dead server: the upload is still open server-side, invisible as an object.
    const open = await s3.openUploads();
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(open.every((u) => u.key.startsWith('parts/test/'))).toBe(true);

    const swept = await sweepLeftovers({ snapshots: s3, now: Date.now() * 1000, grace: 0 });
    expect(swept.incomplete).toBeGreaterThanOrEqual(1);
    expect(await s3.openUploads()).toEqual([]);

    const run = await new Compactor({ store, snapshots: s3, clock, logger: silentLogger, retention: false }).runOnce({ at: T0 + HOUR + 2 });
    expect(run.failed).toEqual([]);
    const after = await catalog.manifests('test');
    expect(after.length).toBe(before.length + 1);
    const report = await verify({ store, snapshots: s3, clock, interval: HOUR });
    expect(report.findings.filter((f) => f.severity === 'problem')).toEqual([]);
  }, 300_000);
});
