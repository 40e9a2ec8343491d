/**
 * Reading one object name's revisions: the bucket index (`revision_buckets`) says which
 * `revisions` partitions exist within [from, to]; they are read in order, page by page, and
 * revisions with equal ts are put in compareRevisions order (the clustering order is ts, uid, rvid).
 */
import type { Revision, RevisionQuery } from '../../core/ports.ts';
import { compareRevisions, type ChangeRecord, type KubeObject, type ObjectKey } from '../../core/record.ts';
import { currentOf } from '../../core/scope.ts';
import type { Micros } from '../../core/time.ts';
import { num0, type CassandraDb } from './client.ts';
import type { BaseCache } from './base-cache.ts';
import { decodeObject, unpackJson } from './codec.ts';
import { CQL } from './cql.ts';
import type { Buckets } from './layout.ts';
import { revisionFromRow, type RevLoc, type RevisionRow } from './rows.ts';

const MIN = Number.MIN_SAFE_INTEGER;
const MAX = Number.MAX_SAFE_INTEGER;

export class RevisionReader {
  readonly #db: CassandraDb;
  readonly #buckets: Buckets;

  readonly #bases: BaseCache | undefined;

  /** `bases`: the writer's cache of current bases, consulted before reading one. */
  constructor(db: CassandraDb, buckets: Buckets, bases?: BaseCache) {
    this.#db = db;
    this.#buckets = buckets;
    this.#bases = bases;
  }

  /** Revisions with their objects, in compareRevisions order (reversed for desc). */
  async *revisions(q: RevisionQuery): AsyncGenerator<Revision> {
    if (q.limit !== undefined && q.limit <= 0) return;
    const bases = new Map<string, Promise<KubeObject | null>>();
    let n = 0;
    for await (const row of this.rows(q.key, q.from ?? MIN, q.to ?? MAX, q.order)) {
      yield await this.decode(row, q.key, bases);
      if (q.limit !== undefined && ++n >= q.limit) return;
    }
  }

  /**
   * Revision rows (objects not decoded) of one name within [from, to]. Newest first with a bounded
   * `to` (every "as of T" read), the partition of `to`'s bucket is read first, without asking the
   * bucket index: a reader that stops there (the revision in force is nearly always in it) saves
   * that round trip; older buckets come from the index after it.
   */
  async *rows(key: ObjectKey, from: Micros, to: Micros, order: 'asc' | 'desc'): AsyncGenerator<RevisionRow> {
    if (from > to) return;
    const lo = from === MIN ? MIN : this.#buckets.revision(from);
    let hi = to === MAX ? MAX : this.#buckets.revision(to);
    if (order === 'desc' && to !== MAX) {
      yield* this.#bucketRows(key, hi, from, to, order);
      hi -= 1;
      if (hi < lo) return;
    }
    const { cluster, gk, namespace, name } = key;
    const bucketCql = order === 'asc' ? CQL.selectRevisionBucketsAsc : CQL.selectRevisionBucketsDesc;
    for await (const b of this.#db.rows(bucketCql, [cluster, gk, namespace, name, lo, hi], 'read revision buckets', 100)) {
      yield* this.#bucketRows(key, num0(b.get('bucket')), from, to, order);
    }
  }

  /** The rows of one revision partition within [from, to], ties in compareRevisions order. */
  async *#bucketRows(key: ObjectKey, bucket: Micros, from: Micros, to: Micros, order: 'asc' | 'desc'): AsyncGenerator<RevisionRow> {
    const { cluster, gk, namespace, name } = key;
    const rowCql = order === 'asc' ? CQL.selectRevisionsAsc : CQL.selectRevisionsDesc;
    const sign = order === 'asc' ? 1 : -1;
    let tie: RevisionRow[] = [];
    for await (const row of this.#db.rows(rowCql, [cluster, gk, namespace, name, bucket, from, to], 'read revisions', 200)) {
      const r = revisionFromRow(row);
      if (tie.length && tie[0]!.record.ts !== r.record.ts) {
        yield* sortTie(tie, sign);
        tie = [];
      }
      tie.push(r);
    }
    yield* sortTie(tie, sign);
  }

  /**
   * The revision in force at `at` (core/ports.ts HistoryStore.revisionAt): the rows of the last
   * `window` revisions stored by then are read once, without their objects, and only the chosen
   * one is decoded (where the composed form reads the newest revision a second time).
   */
  async revisionAt(key: ObjectKey, at: Micros, window: number): Promise<Revision | undefined> {
    const row = await this.inForceRow(key, at, window);
    return row && this.decode(row, key);
  }

  /** The row of the revision in force at `at` (revisionAt), its object not decoded. */
  async inForceRow(key: ObjectKey, at: Micros, window: number): Promise<RevisionRow | undefined> {
    const rows: RevisionRow[] = [];
    if (window > 0) {
      for await (const row of this.rows(key, MIN, at, 'desc')) {
        if (rows.push(row) >= window) break;
      }
    }
    return inForce(rows);
  }

  /** One revision row by its location, or null. */
  async readRow(l: RevLoc): Promise<RevisionRow | null> {
    const bucket = this.#buckets.revision(l.ts);
    const rs = await this.#db.execute(CQL.selectRevision, [l.cluster, l.gk, l.namespace, l.name, bucket, l.ts, l.uid, l.rvid], 'read revision');
    return rs.rows[0] ? revisionFromRow(rs.rows[0]) : null;
  }

  /** Rebuilds a row's full record; `bases` caches base objects for the duration of one read. */
  async decode(row: RevisionRow, key: ObjectKey, bases = new Map<string, Promise<KubeObject | null>>()): Promise<ChangeRecord> {
    const fetchBase = (hash: string): Promise<KubeObject | null> => {
      const k = `${row.bucket}\u0000${row.record.uid}\u0000${hash}`;
      let p = bases.get(k);
      if (!p) {
        p = this.#base(key, row.bucket, row.record.uid, hash);
        bases.set(k, p);
      }
      return p;
    };
    const object = await decodeObject(row.codec, row.body, row.baseHash, fetchBase);
    return { ...row.record, object };
  }

  async #base(key: ObjectKey, bucket: Micros, uid: string, hash: string): Promise<KubeObject | null> {
    const held = this.#bases?.peek({ ...key, uid }, bucket, hash);
    if (held) return unpackJson(held.codec, held.body) as KubeObject;
    const rs = await this.#db.execute(CQL.selectBase, [key.cluster, key.gk, key.namespace, key.name, bucket, uid, hash], 'read revision base');
    const row = rs.rows[0];
    if (!row) return null;
    return unpackJson((row.get('codec') as number | null) ?? 0, row.get('body') as Buffer) as KubeObject;
  }
}

/** What currentOf needs of a row, and what orders ties. */
type Ranked = { record: Pick<ChangeRecord, 'ts' | 'uid' | 'resourceVersion' | 'op'> };

/** Of the last `window` rows stored by T (newest first, ties sorted), the one currentOf picks. */
export function inForce<R extends Ranked>(rows: readonly R[]): R | undefined {
  const refs = rows.map(({ record: r }) => ({ ts: r.ts, uid: r.uid, resourceVersion: r.resourceVersion, deleted: r.op === 'DELETED' }));
  const best = currentOf(refs);
  return best && rows[refs.indexOf(best)];
}

/** Rows of equal ts (read in clustering order) in compareRevisions order; `sign` -1 = newest first. */
export function sortTie<R extends Ranked>(tie: R[], sign: number): R[] {
  if (tie.length > 1) {
    tie.sort((a, b) => sign * (compareRevisions(a.record, b.record) || (a.record.uid < b.record.uid ? -1 : a.record.uid > b.record.uid ? 1 : 0)));
  }
  return tie;
}
