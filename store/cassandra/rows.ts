/**
 * Mapping between domain values (ChangeRecord, FeedEntry, Lifetime) and rows of the Cassandra
 * tables (schema/001_history.cql). Absent optional values bind as `undefined` ("unset": no
 * tombstone) when a row is new, and as `null` when a row is rewritten and a cell must be cleared.
 */
import { KubetimeError } from '../../core/errors.ts';
import type { FeedEntry, Lifetime } from '../../core/ports.ts';
import { slimForSummary } from '../../core/present/slim.ts';
import { compareRevisions, groupKind, type Actor, type ChangeRecord, type KubeObject, type Op } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { num, num0, type Row, type Statement } from './client.ts';
import type { EncodedObject } from './codec.ts';
import { CQL } from './cql.ts';
import type { Buckets } from './layout.ts';

/** The identity suffix of a revision (core/record.ts revisionId): its resourceVersion, or DELETED. */
export function rvidOf(r: Pick<ChangeRecord, 'op' | 'resourceVersion'>): string {
  return r.op === 'DELETED' ? 'DELETED' : r.resourceVersion;
}

/** Where one revision row lives. */
export interface RevLoc {
  cluster: string;
  gk: string;
  namespace: string;
  name: string;
  ts: Micros;
  uid: string;
  rvid: string;
}

export function locOf(r: ChangeRecord): RevLoc {
  return { cluster: r.cluster, gk: groupKind(r.group, r.kind), namespace: r.namespace, name: r.name, ts: r.ts, uid: r.uid, rvid: rvidOf(r) };
}

/** Partition identity strings, so statements of one partition can share an unlogged batch. */
export function revPartition(l: Pick<RevLoc, 'cluster' | 'gk' | 'namespace' | 'name'>, bucket: Micros): string {
  return `rev\u0000${l.cluster}\u0000${l.gk}\u0000${l.namespace}\u0000${l.name}\u0000${bucket}`;
}

function opt<T>(v: T | undefined, clear: boolean): T | null | undefined {
  return v === undefined ? (clear ? null : undefined) : v;
}

export function revisionStatement(r: ChangeRecord, enc: EncodedObject, bucket: Micros, ttl: number, clear: boolean): Statement & { partition: string } {
  const l = locOf(r);
  return {
    partition: revPartition(l, bucket),
    cql: CQL.insertRevision,
    params: [
      l.cluster, l.gk, l.namespace, l.name, bucket, r.ts, r.uid, l.rvid, r.resourceVersion, r.op, r.group, r.kind, r.apiVersion,
      r.resource, r.observedAt, r.source, opt(r.verb, clear), opt(r.auditID, clear),
      r.actor ? JSON.stringify(r.actor) : clear ? null : undefined, r.gap ? true : clear ? null : undefined,
      opt(enc.baseHash ?? undefined, clear), enc.codec, enc.body ?? (clear ? null : undefined), slimCell(r, clear), ttl,
    ],
  };
}

/**
 * `revisions.slim` (schema/002_summary_slim.cql): the slim object of a revision as JSON, `null`
 * for an unknown object; none for a deletion (a summary never shows one).
 */
export function slimCell(r: ChangeRecord, clear: boolean): Buffer | null | undefined {
  if (r.op === 'DELETED') return clear ? null : undefined;
  return Buffer.from(JSON.stringify(r.object === null ? null : slimForSummary(r.object)), 'utf8');
}

/** The slim object a `revisions.slim` cell holds (null: the object was unknown). */
export function slimOfCell(cell: Buffer): KubeObject | null {
  try {
    return JSON.parse(cell.toString('utf8')) as KubeObject | null;
  } catch (e) {
    throw new KubetimeError('INTERNAL', 'cassandra: a stored slim object cannot be decoded', {}, { cause: e });
  }
}

/** A revision row: the record without its object, and the stored object fields. */
export interface RevisionRow {
  record: Omit<ChangeRecord, 'object'>;
  bucket: Micros;
  codec: number;
  body: Buffer | null;
  baseHash: string | null;
}

export function revisionFromRow(row: Row): RevisionRow {
  const actor = row.get('actor') as string | null;
  const record: Omit<ChangeRecord, 'object'> = {
    cluster: row.get('cluster'), apiVersion: row.get('api_version'), group: row.get('grp'), kind: row.get('kind'),
    resource: row.get('resource'), namespace: row.get('namespace'), name: row.get('name'), uid: row.get('uid'),
    resourceVersion: row.get('rv'), op: row.get('op') as Op, ts: num0(row.get('ts')), observedAt: num0(row.get('observed_at')),
    source: row.get('source'),
    ...(actor ? { actor: JSON.parse(actor) as Actor } : {}),
    ...(row.get('verb') ? { verb: row.get('verb') as string } : {}),
    ...(row.get('audit_id') ? { auditID: row.get('audit_id') as string } : {}),
    ...(row.get('gap') ? { gap: true } : {}),
  };
  return { record, bucket: num0(row.get('bucket')), codec: (row.get('codec') as number | null) ?? 0, body: row.get('body') ?? null, baseHash: row.get('base_hash') ?? null };
}

/** The rows of one revision in both feeds, plus the feed bucket index rows. */
export function feedStatements(r: ChangeRecord, buckets: Buckets, ttl: number, clear: boolean): (Statement & { partition?: string })[] {
  const l = locOf(r);
  const tail = [
    r.resourceVersion, r.op, r.group, r.kind, r.source, opt(r.verb, clear),
    r.actor ? JSON.stringify(r.actor) : clear ? null : undefined, r.gap ? true : clear ? null : undefined, ttl,
  ];
  const fb = buckets.feed(r.ts, false);
  const nb = buckets.feed(r.ts, true);
  return [
    { partition: `feed\u0000${l.cluster}\u0000${fb}`, cql: CQL.insertFeed, params: [l.cluster, fb, r.ts, l.gk, l.namespace, l.name, l.uid, l.rvid, ...tail] },
    { partition: `nsfeed\u0000${l.cluster}\u0000${l.namespace}\u0000${nb}`, cql: CQL.insertNsFeed, params: [l.cluster, l.namespace, nb, r.ts, l.gk, l.name, l.uid, l.rvid, ...tail] },
  ];
}

/** The feed bucket index rows for a revision at `ts` (written once per bucket; the caller caches). */
export function feedBucketStatements(cluster: string, namespace: string, ts: Micros, buckets: Buckets, ttl: number): (Statement & { key: string })[] {
  const day = buckets.day(ts);
  const fb = buckets.feed(ts, false);
  const nb = buckets.feed(ts, true);
  const ns = `ns:${namespace}`;
  return [
    { key: `${cluster}\u0000*\u0000${fb}`, cql: CQL.insertFeedBucket, params: [cluster, '*', day, fb, ttl] },
    { key: `${cluster}\u0000${ns}\u0000${nb}`, cql: CQL.insertFeedBucket, params: [cluster, ns, day, nb, ttl] },
  ];
}

export function feedDeleteStatements(l: RevLoc, buckets: Buckets): Statement[] {
  return [
    { cql: CQL.deleteFeed, params: [l.cluster, buckets.feed(l.ts, false), l.ts, l.gk, l.namespace, l.name, l.uid, l.rvid] },
    { cql: CQL.deleteNsFeed, params: [l.cluster, l.namespace, buckets.feed(l.ts, true), l.ts, l.gk, l.name, l.uid, l.rvid] },
  ];
}

export function feedEntryFromRow(cluster: string, row: Row): FeedEntry {
  const actor = row.get('actor') as string | null;
  return {
    cluster, ts: num0(row.get('ts')), op: row.get('op') as Op, group: row.get('grp'), kind: row.get('kind'), gk: row.get('gk'),
    namespace: row.get('namespace'), name: row.get('name'), uid: row.get('uid'), resourceVersion: row.get('rv'),
    source: row.get('source'),
    ...(row.get('verb') ? { verb: row.get('verb') as string } : {}),
    ...(actor ? { actor: JSON.parse(actor) as Actor } : {}),
    ...(row.get('gap') ? { gap: true } : {}),
  };
}

export function feedEntryOf(r: Omit<ChangeRecord, 'object'>): FeedEntry {
  return {
    cluster: r.cluster, ts: r.ts, op: r.op, group: r.group, kind: r.kind, gk: groupKind(r.group, r.kind),
    namespace: r.namespace, name: r.name, uid: r.uid, resourceVersion: r.resourceVersion, source: r.source,
    ...(r.verb ? { verb: r.verb } : {}),
    ...(r.actor ? { actor: r.actor } : {}),
    ...(r.gap ? { gap: true } : {}),
  };
}

/** Feed order for entries with the same ts: gk, namespace, name, uid, then revision order. */
export function compareFeedTies(a: FeedEntry, b: FeedEntry): number {
  for (const k of ['gk', 'namespace', 'name', 'uid'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return compareRevisions(a, b);
}

export function lifetimeFromRow(cluster: string, gk: string, row: Row, namespace?: string, name?: string): Lifetime {
  return {
    key: { cluster, gk, namespace: namespace ?? row.get('namespace'), name: name ?? row.get('name') },
    uid: row.get('uid'), group: row.get('grp'), kind: row.get('kind'), apiVersion: row.get('api_version'),
    resource: row.get('resource'), from: num0(row.get('from_ts')), to: num(row.get('to_ts')),
  };
}

/** Lifetimes order: (gk, namespace, name, from), then uid. */
export function compareLifetimes(a: Lifetime, b: Lifetime): number {
  for (const k of ['gk', 'namespace', 'name'] as const) {
    if (a.key[k] !== b.key[k]) return a.key[k] < b.key[k] ? -1 : 1;
  }
  if (a.from !== b.from) return a.from - b.from;
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}
