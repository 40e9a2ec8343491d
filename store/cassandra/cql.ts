/**
 * Every CQL statement the store runs (tables: schema/001_history.cql, 002_summary_slim.cql). All
 * are prepared; each touches exactly one partition, restricted by its full partition key, except
 * the summary reads (SUMMARY_IN_STATEMENTS): those name up to SUMMARY_IN_MAX partitions of one
 * kind and namespace with `name IN ?`, the rest of the key fixed (summary-reader.ts).
 */

const REV_COLS =
  'cluster, gk, namespace, name, bucket, ts, uid, rvid, rv, op, grp, kind, api_version, resource, observed_at, source, verb, audit_id, actor, gap, base_hash, codec, body';
const REV_KEY = 'cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ?';

/** Written, never read with the rest: only the summary path reads `slim` (schema/002_summary_slim.cql). */
const REV_INSERT_COLS = `${REV_COLS}, slim`;
/** What a summary list reads of a revision: its place, its ref, its slim object; never `body`. */
const SUMMARY_COLS = 'name, ts, uid, rvid, rv, op, slim';

export const CQL = {
  // revisions ----------------------------------------------------------------------------------
  insertRevision: `INSERT INTO revisions (${REV_INSERT_COLS}) VALUES (${REV_INSERT_COLS.split(',').map(() => '?').join(', ')}) USING TTL ?`,
  deleteRevision: `DELETE FROM revisions WHERE ${REV_KEY} AND ts = ? AND uid = ? AND rvid = ?`,
  deleteRevisionPartition: `DELETE FROM revisions WHERE ${REV_KEY}`,
  selectRevision: `SELECT ${REV_COLS} FROM revisions WHERE ${REV_KEY} AND ts = ? AND uid = ? AND rvid = ?`,
  selectRevisionsAsc: `SELECT ${REV_COLS} FROM revisions WHERE ${REV_KEY} AND ts >= ? AND ts <= ? ORDER BY ts ASC`,
  selectRevisionsDesc: `SELECT ${REV_COLS} FROM revisions WHERE ${REV_KEY} AND ts >= ? AND ts <= ? ORDER BY ts DESC`,

  // Summary lists (summary-reader.ts): the newest revisions <= T of up to SUMMARY_IN_MAX names of
  // one kind and namespace in one bucket, at most PER PARTITION LIMIT each; the newest older
  // bucket of each name; one revision's slim object.
  selectSummaryRows: `SELECT ${SUMMARY_COLS} FROM revisions WHERE cluster = ? AND gk = ? AND namespace = ? AND name IN ? AND bucket = ? AND ts <= ? PER PARTITION LIMIT ?`,
  selectOlderBuckets: 'SELECT name, bucket FROM revision_buckets WHERE cluster = ? AND gk = ? AND namespace = ? AND name IN ? AND bucket < ? PER PARTITION LIMIT 1',
  selectRevisionSlim: `SELECT op, slim FROM revisions WHERE ${REV_KEY} AND ts = ? AND uid = ? AND rvid = ?`,

  // The newest revisions of a partition, to find the base a uid patches against (writer cache miss).
  selectRecentBaseHashes: `SELECT uid, base_hash FROM revisions WHERE ${REV_KEY} LIMIT 8`,
  insertBase: 'INSERT INTO revision_bases (cluster, gk, namespace, name, bucket, uid, base_hash, codec, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
  selectBase: `SELECT codec, body FROM revision_bases WHERE ${REV_KEY} AND uid = ? AND base_hash = ?`,
  deleteBasePartition: `DELETE FROM revision_bases WHERE ${REV_KEY}`,

  insertRevisionBucket: 'INSERT INTO revision_buckets (cluster, gk, namespace, name, bucket) VALUES (?, ?, ?, ?, ?) USING TTL ?',
  deleteRevisionBucket: 'DELETE FROM revision_buckets WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ?',
  selectRevisionBucketsAsc:
    'SELECT bucket FROM revision_buckets WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket ASC',
  selectRevisionBucketsDesc:
    'SELECT bucket FROM revision_buckets WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket DESC',

  // identity -----------------------------------------------------------------------------------
  selectId: 'SELECT gk, namespace, name, ts, pending_ts FROM revision_ids WHERE cluster = ? AND uid = ? AND rvid = ?',
  insertId: 'INSERT INTO revision_ids (cluster, uid, rvid, gk, namespace, name, ts, pending_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
  markPending: 'UPDATE revision_ids USING TTL ? SET pending_ts = ? WHERE cluster = ? AND uid = ? AND rvid = ?',
  clearPending: 'DELETE pending_ts FROM revision_ids WHERE cluster = ? AND uid = ? AND rvid = ?',
  deleteId: 'DELETE FROM revision_ids WHERE cluster = ? AND uid = ? AND rvid = ?',

  // feed ---------------------------------------------------------------------------------------
  insertFeed:
    'INSERT INTO feed (cluster, bucket, ts, gk, namespace, name, uid, rvid, rv, op, grp, kind, source, verb, actor, gap) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
  deleteFeed: 'DELETE FROM feed WHERE cluster = ? AND bucket = ? AND ts = ? AND gk = ? AND namespace = ? AND name = ? AND uid = ? AND rvid = ?',
  selectFeedAsc:
    'SELECT ts, gk, namespace, name, uid, rv, op, grp, kind, source, verb, actor, gap FROM feed WHERE cluster = ? AND bucket = ? AND ts >= ? AND ts <= ? ORDER BY ts ASC',
  selectFeedDesc:
    'SELECT ts, gk, namespace, name, uid, rv, op, grp, kind, source, verb, actor, gap FROM feed WHERE cluster = ? AND bucket = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC',

  insertNsFeed:
    'INSERT INTO feed_by_namespace (cluster, namespace, bucket, ts, gk, name, uid, rvid, rv, op, grp, kind, source, verb, actor, gap) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
  deleteNsFeed: 'DELETE FROM feed_by_namespace WHERE cluster = ? AND namespace = ? AND bucket = ? AND ts = ? AND gk = ? AND name = ? AND uid = ? AND rvid = ?',
  selectNsFeedAsc:
    'SELECT ts, gk, namespace, name, uid, rv, op, grp, kind, source, verb, actor, gap FROM feed_by_namespace WHERE cluster = ? AND namespace = ? AND bucket = ? AND ts >= ? AND ts <= ? ORDER BY ts ASC',
  selectNsFeedDesc:
    'SELECT ts, gk, namespace, name, uid, rv, op, grp, kind, source, verb, actor, gap FROM feed_by_namespace WHERE cluster = ? AND namespace = ? AND bucket = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC',

  insertFeedBucket: 'INSERT INTO feed_buckets (cluster, scope, day, bucket) VALUES (?, ?, ?, ?) USING TTL ?',
  selectFeedBucketsAsc: 'SELECT bucket FROM feed_buckets WHERE cluster = ? AND scope = ? AND day = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket ASC',
  selectFeedBucketsDesc: 'SELECT bucket FROM feed_buckets WHERE cluster = ? AND scope = ? AND day = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket DESC',

  // lifetimes ----------------------------------------------------------------------------------
  selectLifetimesOfName:
    'SELECT uid, from_ts, to_ts, grp, kind, api_version, resource FROM lifetimes_by_name WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ?',
  selectLifetimeOfUid:
    'SELECT uid, from_ts, to_ts, grp, kind, api_version, resource FROM lifetimes_by_name WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND uid = ?',
  insertLifetimeByName:
    'INSERT INTO lifetimes_by_name (cluster, gk, namespace, name, uid, from_ts, to_ts, grp, kind, api_version, resource) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
  deleteLifetimeByName: 'DELETE FROM lifetimes_by_name WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND uid = ?',

  selectEpochsInRange: 'SELECT epoch, epoch_len, carried FROM lifetime_epochs WHERE cluster = ? AND gk = ? AND epoch >= ? AND epoch <= ?',
  selectEpochAtOrBefore: 'SELECT epoch, epoch_len, carried FROM lifetime_epochs WHERE cluster = ? AND gk = ? AND epoch <= ?',
  insertEpoch: 'INSERT INTO lifetime_epochs (cluster, gk, epoch, epoch_len, carried) VALUES (?, ?, ?, ?, ?)',

  insertLifetimeInEpoch:
    'INSERT INTO lifetimes_by_epoch (cluster, gk, epoch, shard, namespace, name, uid, from_ts, to_ts, grp, kind, api_version, resource) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
  deleteLifetimeInEpoch: 'DELETE FROM lifetimes_by_epoch WHERE cluster = ? AND gk = ? AND epoch = ? AND shard = ? AND namespace = ? AND name = ? AND uid = ?',
  selectEpochShard:
    'SELECT namespace, name, uid, from_ts, to_ts, grp, kind, api_version, resource FROM lifetimes_by_epoch WHERE cluster = ? AND gk = ? AND epoch = ? AND shard = ?',
  selectEpochShardNs:
    'SELECT namespace, name, uid, from_ts, to_ts, grp, kind, api_version, resource FROM lifetimes_by_epoch WHERE cluster = ? AND gk = ? AND epoch = ? AND shard = ? AND namespace = ?',

  // kinds and clusters -------------------------------------------------------------------------
  insertKind: 'INSERT INTO kinds (cluster, grp, kind, version, resource, namespaced) VALUES (?, ?, ?, ?, ?, ?)',
  selectKinds: 'SELECT grp, kind, version, resource, namespaced FROM kinds WHERE cluster = ?',
  // USING TIMESTAMP makes the largest change time win for last_seen and the smallest for first_seen.
  touchClusterLast: "UPDATE clusters USING TIMESTAMP ? SET last_seen = ? WHERE scope = 'all' AND cluster = ?",
  touchClusterFirst: "UPDATE clusters USING TIMESTAMP ? SET first_seen = ? WHERE scope = 'all' AND cluster = ?",
  selectClusters: "SELECT cluster, first_seen, last_seen FROM clusters WHERE scope = 'all'",

  selectSchemaVersions: 'SELECT version FROM schema_version',
} as const;

/**
 * The statements that read several partitions (`name IN ?`), and the most names one binds: one
 * request per 100 Pods of a list (bench/results/issue-16.md §14: 32, 64, 100 and 256 measured; 100
 * used the least Cassandra CPU per list with the most overlap).
 */
export const SUMMARY_IN_STATEMENTS = ['selectSummaryRows', 'selectOlderBuckets'] as const;
export const SUMMARY_IN_MAX = 100;

/** USING TIMESTAMP for first_seen: decreasing in ts, so the earliest change time wins. */
export const FIRST_SEEN_TIMESTAMP_BASE = 2 ** 60;
