/**
 * Retention for CassandraHistoryStore (PruneRequest in core/ports.ts): revisions older than
 * `before` go, except each uid's latest one before it while the uid was still alive at `before`.
 * Object names come from the lifetime epochs that began before the horizon; whole `revisions`
 * buckets that end up empty are dropped as partitions (with their bases and index row). A uid
 * whose DELETED revision was pruned loses its lifetime too.
 */
import { KubetimeError } from '../../core/errors.ts';
import type { Lifetime, PruneRequest } from '../../core/ports.ts';
import type { ObjectKey } from '../../core/record.ts';
import type { CassandraDb, Statement } from './client.ts';
import { mapLimit } from '../../core/concurrency.ts';
import { CQL } from './cql.ts';
import type { Buckets } from './layout.ts';
import type { LifetimeIndex } from './lifetimes.ts';
import type { RevisionReader } from './revision-reader.ts';
import { feedDeleteStatements, rvidOf, type RevisionRow } from './rows.ts';

const MIN = Number.MIN_SAFE_INTEGER;

export interface PruneContext {
  db: CassandraDb;
  buckets: Buckets;
  reader: RevisionReader;
  lifetimes: LifetimeIndex;
  kindsOf: (cluster: string) => Promise<string[]>;
}

export async function prune(ctx: PruneContext, req: PruneRequest): Promise<number> {
  if (!req.cluster) throw new KubetimeError('INVALID_ARGUMENT', 'prune: cluster is required', { param: 'cluster' });
  if (!Number.isSafeInteger(req.before)) throw new KubetimeError('INVALID_ARGUMENT', 'prune: before must be integer microseconds', { param: 'before' });
  const gks = req.gk !== undefined ? [req.gk] : await ctx.kindsOf(req.cluster);
  let removed = 0;
  for (const gk of gks) {
    const names = await ctx.lifetimes.namesBefore(req.cluster, gk, req.before, req.namespace);
    const counts = await mapLimit(names, 4, (n) => pruneName(ctx, { cluster: req.cluster, gk, ...n }, req.before));
    removed += counts.reduce((a, b) => a + b, 0);
  }
  return removed;
}

async function pruneName(ctx: PruneContext, key: ObjectKey, before: number): Promise<number> {
  const lives = new Map<string, Lifetime>();
  for await (const l of ctx.lifetimes.query({ cluster: key.cluster, gk: key.gk, namespace: key.namespace, name: key.name })) lives.set(l.uid, l);
  const byUid = new Map<string, RevisionRow[]>();
  const perBucket = new Map<number, number>();
  for await (const row of ctx.reader.rows(key, MIN, before - 1, 'asc')) {
    const list = byUid.get(row.record.uid) ?? [];
    list.push(row);
    byUid.set(row.record.uid, list);
    perBucket.set(row.bucket, (perBucket.get(row.bucket) ?? 0) + 1);
  }
  const doomed: RevisionRow[] = [];
  const goneUids: Lifetime[] = [];
  for (const [uid, list] of byUid) {
    const life = lives.get(uid);
    const gone = life !== undefined && life.to !== null && life.to < before;
    doomed.push(...(gone ? list : list.slice(0, -1)));
    if (gone && life && list.some((r) => r.record.op === 'DELETED')) goneUids.push(life);
  }
  const deletes: Statement[] = [];
  const doomedPerBucket = new Map<number, number>();
  for (const row of doomed) {
    const r = row.record;
    const loc = { ...key, ts: r.ts, uid: r.uid, rvid: rvidOf(r) };
    deletes.push(
      { cql: CQL.deleteRevision, params: [key.cluster, key.gk, key.namespace, key.name, row.bucket, r.ts, r.uid, loc.rvid] },
      ...feedDeleteStatements(loc, ctx.buckets),
      { cql: CQL.deleteId, params: [key.cluster, r.uid, loc.rvid] },
    );
    doomedPerBucket.set(row.bucket, (doomedPerBucket.get(row.bucket) ?? 0) + 1);
  }
  const bucketLen = ctx.buckets.revisionLength();
  for (const [bucket, n] of doomedPerBucket) {
    // Only a bucket wholly before the horizon was read completely.
    if (bucket + bucketLen <= before && n === perBucket.get(bucket)) {
      const pk = [key.cluster, key.gk, key.namespace, key.name, bucket];
      deletes.push({ cql: CQL.deleteRevisionPartition, params: pk }, { cql: CQL.deleteBasePartition, params: pk }, { cql: CQL.deleteRevisionBucket, params: pk });
    }
  }
  for (let i = 0; i < deletes.length; i += 256) await ctx.db.writeAll(deletes.slice(i, i + 256), 'prune');
  for (const life of goneUids) await ctx.lifetimes.remove(life);
  return doomed.length;
}
