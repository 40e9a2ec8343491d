/**
 * The change feed: a name-filtered query reads that object's `revisions`; a namespace query reads
 * `feed_by_namespace`; anything else the cluster-wide `feed`. Feed partitions are found through
 * `feed_buckets` (per day), so empty minutes of a window cost nothing. Entries come by ts in the
 * requested order, equal ts ordered by (gk, namespace, name, uid, revision order).
 */
import type { FeedEntry, FeedQuery } from '../../core/ports.ts';
import { KubetimeError } from '../../core/errors.ts';
import { num0, type CassandraDb } from './client.ts';
import { CQL } from './cql.ts';
import type { Buckets } from './layout.ts';
import type { RevisionReader } from './revision-reader.ts';
import { compareFeedTies, feedEntryFromRow, feedEntryOf } from './rows.ts';

const DAY = 86_400_000_000;

export async function* readFeed(db: CassandraDb, buckets: Buckets, reader: RevisionReader, q: FeedQuery): AsyncGenerator<FeedEntry> {
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) {
    throw new KubetimeError('INVALID_ARGUMENT', 'feed: from and to must be integer microseconds', { param: 'from' });
  }
  if ((q.limit !== undefined && q.limit <= 0) || q.from > q.to) return;
  let n = 0;
  const full = () => q.limit !== undefined && ++n >= q.limit;
  if (q.gk !== undefined && q.namespace !== undefined && q.name !== undefined) {
    const key = { cluster: q.cluster, gk: q.gk, namespace: q.namespace, name: q.name };
    for await (const row of reader.rows(key, q.from, q.to, q.order)) {
      yield feedEntryOf(row.record);
      if (full()) return;
    }
    return;
  }
  const keep = (e: FeedEntry) => (q.gk === undefined || e.gk === q.gk) && (q.name === undefined || e.name === q.name);
  for await (const e of scan(db, buckets, q)) {
    if (!keep(e)) continue;
    yield e;
    if (full()) return;
  }
}

async function* scan(db: CassandraDb, buckets: Buckets, q: FeedQuery): AsyncGenerator<FeedEntry> {
  const namespaced = q.namespace !== undefined;
  const scope = namespaced ? `ns:${q.namespace}` : '*';
  const sign = q.order === 'asc' ? 1 : -1;
  for (const day of buckets.days(q.from, q.to, q.order)) {
    const lo = Math.max(buckets.feed(q.from, namespaced), day);
    const hi = Math.min(buckets.feed(q.to, namespaced), day + DAY - 1);
    const bucketCql = q.order === 'asc' ? CQL.selectFeedBucketsAsc : CQL.selectFeedBucketsDesc;
    for await (const b of db.rows(bucketCql, [q.cluster, scope, day, lo, hi], 'read feed buckets', 1440)) {
      const bucket = num0(b.get('bucket'));
      const cql = namespaced
        ? (q.order === 'asc' ? CQL.selectNsFeedAsc : CQL.selectNsFeedDesc)
        : (q.order === 'asc' ? CQL.selectFeedAsc : CQL.selectFeedDesc);
      const params = namespaced ? [q.cluster, q.namespace, bucket, q.from, q.to] : [q.cluster, bucket, q.from, q.to];
      let tie: FeedEntry[] = [];
      for await (const row of db.rows(cql, params, 'read feed', 500)) {
        const e = feedEntryFromRow(q.cluster, row);
        if (tie.length && tie[0]!.ts !== e.ts) {
          yield* tie.sort((a, b) => sign * compareFeedTies(a, b));
          tie = [];
        }
        tie.push(e);
      }
      yield* tie.sort((a, b) => sign * compareFeedTies(a, b));
    }
  }
}
