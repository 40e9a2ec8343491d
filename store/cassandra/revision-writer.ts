/**
 * The append path of CassandraHistoryStore.
 *
 * An append runs in rounds: round k holds the k-th record of every uid, so a uid's records are
 * applied in order, one round after another (and concurrent appends never hold one uid at once:
 * a keyed mutex over the round's uids). The records of one round go phase by phase, together:
 *  1. every identity is looked up in `revision_ids`; an existing revision is read back and merged
 *     (core/record.ts mergeRecords) — an unchanged merge is a duplicate and writes nothing; merges
 *     go one record at a time (below);
 *  2. for the new ones, every data row — revision (+ its base, in its partition), both feeds, the
 *     bucket indexes, kind — in unlogged batches: per partition (one request for the feed rows of
 *     a whole round), and partitions on the same replicas together (client.ts writeAll);
 *  3. their uids' lifetimes (lifetimes.ts setAll: the same batching);
 *  4. every identity row, LAST (batched the same way). A failure anywhere before leaves no
 *     identity, so the caller's retry redoes every step, and every step is an upsert of the same
 *     keys: exactly once.
 * A merge rewrites an existing revision (in place, or at a new ts when the audit's time wins):
 * it first marks the identity `pending_ts` = the new ts, writes the new rows, deletes the old
 * ones, then points the identity at the new ts. An append that finds `pending_ts` set finishes
 * that rewrite from whichever revision row is complete (#recover) before doing anything else.
 * The cluster's first/last-seen times are written once per append, after its records.
 */
import type { Logger } from 'pino';
import type { AppendResult, Lifetime } from '../../core/ports.ts';
import { checkScopes, checkStorable } from '../../core/record-limits.ts';
import { groupKind, mergeRecords, objectKeyOf, type ChangeRecord, type KubeObject } from '../../core/record.ts';
import { splitApiVersion } from '../../core/kinds.ts';
import { num, type CassandraDb, type Row, type Statement, type Write } from './client.ts';
import { BaseCache } from './base-cache.ts';
import { LRUCache } from 'lru-cache';
import { encodeObject, type EncodedObject } from './codec.ts';
import { allSettledOrThrow, mapLimit } from '../../core/concurrency.ts';
import { KeyedMutex } from './concurrency.ts';
import { CQL, FIRST_SEEN_TIMESTAMP_BASE } from './cql.ts';
import type { Buckets } from './layout.ts';
import type { LifetimeChange, LifetimeIndex } from './lifetimes.ts';
import type { RevisionReader } from './revision-reader.ts';
import { feedBucketStatements, feedDeleteStatements, feedStatements, locOf, revisionStatement, revPartition, type RevLoc } from './rows.ts';

const MIN = Number.MIN_SAFE_INTEGER;

export interface RevisionWriterOptions {
  db: CassandraDb;
  buckets: Buckets;
  reader: RevisionReader;
  lifetimes: LifetimeIndex;
  /** Retention TTL of revision rows in seconds (0 = keep until pruned). */
  ttlSeconds: number;
  /** The cache of current bases (shared with the reader); default: a new one. */
  bases?: BaseCache;
  /** Records one phase of an append handles at once (identity reads, encodings, lifetimes; default 32). */
  uidConcurrency?: number;
  logger?: Logger;
}

type Outcome = 'inserted' | 'merged' | 'duplicates';

/** Records one step of an append handles together (bounds the statements it holds). */
const STEP_RECORDS = 1_000;

/** What #dataRows gives for one revision. */
interface DataRows {
  writes: Write[];
  once: { key: string; statement: Write }[];
  base?: { loc: RevLoc; bucket: number; entry: NonNullable<EncodedObject['newBase']> };
}

const uidKey = (r: ChangeRecord) => `${r.cluster}\u0000${r.uid}`;

export class RevisionWriter {
  readonly #o: RevisionWriterOptions;
  readonly #uids = new KeyedMutex();
  readonly #bases: BaseCache;
  /** Index rows already written (revision/feed buckets, kinds): written once per process. */
  readonly #seen = new LRUCache<string, true>({ max: 65_536 });
  readonly #clusterSpan = new Map<string, { first: number; last: number }>();
  /** Lifetimes this process wrote last, by `${cluster}\0${uid}` (saves a read per revision). */
  readonly #lives = new LRUCache<string, Lifetime>({ max: 100_000 });
  /** Each kind's scope per cluster, from the kinds table (read once per cluster) and this process's writes. */
  readonly #scopes = new Map<string, Promise<Map<string, boolean>>>();
  /** Records handled at once by one phase of an append. */
  readonly #concurrency: number;

  constructor(opts: RevisionWriterOptions) {
    this.#o = opts;
    this.#concurrency = opts.uidConcurrency ?? 32;
    this.#bases = opts.bases ?? new BaseCache(opts.db);
  }

  /** Drops caches that may describe writes that did not complete. */
  forget(): void {
    this.#bases.clear();
    this.#seen.clear();
    this.#clusterSpan.clear();
    this.#lives.clear();
    this.#scopes.clear();
    this.#o.lifetimes.forget();
  }

  /** Refuses (INVALID_ARGUMENT) a record contradicting its kind's scope (core/record-limits.ts). */
  async #checkScopes(records: readonly ChangeRecord[]): Promise<void> {
    const known = new Map<string, Map<string, boolean>>();
    for (const cluster of new Set(records.map((r) => r.cluster))) known.set(cluster, await this.#scopesOf(cluster));
    const fresh = checkScopes(records, { namespaced: (cluster, gk) => known.get(cluster)?.get(gk) });
    for (const [k, namespaced] of fresh) {
      const [cluster, gk] = k.split('\u0000') as [string, string];
      known.get(cluster)?.set(gk, namespaced);
    }
  }

  #scopesOf(cluster: string): Promise<Map<string, boolean>> {
    let p = this.#scopes.get(cluster);
    if (!p) {
      p = this.#o.db.execute(CQL.selectKinds, [cluster], 'read kinds')
        .then((rs) => new Map(rs.rows.map((r) => [groupKind(r.get('grp'), r.get('kind')), r.get('namespaced') === true] as [string, boolean])));
      p.catch(() => this.#scopes.delete(cluster));
      this.#scopes.set(cluster, p);
    }
    return p;
  }

  async appendAll(records: readonly ChangeRecord[]): Promise<AppendResult> {
    checkStorable(records);
    await this.#checkScopes(records);
    // Round k holds the k-th record of every uid, in the order given: a uid's records are applied
    // one after another, the records of one round (distinct uids) together.
    const nth = new Map<string, number>();
    const rounds: ChangeRecord[][] = [];
    for (const r of records) {
      const k = uidKey(r);
      const i = nth.get(k) ?? 0;
      nth.set(k, i + 1);
      (rounds[i] ??= []).push(r);
    }
    const result: AppendResult = { inserted: 0, merged: 0, duplicates: 0 };
    const spans = new Map<string, { first: number; last: number }>();
    try {
      for (const round of rounds) {
        for (let i = 0; i < round.length; i += STEP_RECORDS) {
          const step = round.slice(i, i + STEP_RECORDS);
          // Concurrent appends share no uid while a step runs (keys taken in sorted order).
          const done = await this.#uids.runAll(step.map(uidKey), () => this.#appendStep(step));
          done.forEach(({ outcome, ts }, j) => {
            result[outcome]++;
            const cluster = step[j]!.cluster;
            const span = spans.get(cluster);
            spans.set(cluster, { first: Math.min(span?.first ?? ts, ts), last: Math.max(span?.last ?? ts, ts) });
          });
        }
      }
      // Once per append (not per record: one hot partition). Duplicates count too, so a retry
      // after a failure here still writes it.
      for (const [cluster, span] of spans) await this.#touchCluster(cluster, span);
    } catch (e) {
      this.forget();
      throw e;
    }
    return result;
  }

  /**
   * Applies records of distinct uids: every identity read at once, then the records already
   * stored one by one (#appendExisting: dedupe, merge, recovery) beside the new ones together
   * (#insertAll). Settles everything it started before it rejects, so a retry never races it.
   */
  async #appendStep(step: readonly ChangeRecord[]): Promise<{ outcome: Outcome; ts: number }[]> {
    const o = this.#o;
    const ids = await mapLimit(step, this.#concurrency, async (r) => {
      const l = locOf(r);
      return (await o.db.execute(CQL.selectId, [l.cluster, l.uid, l.rvid], 'read revision identity')).rows[0];
    });
    const out: { outcome: Outcome; ts: number }[] = new Array(step.length);
    const fresh: number[] = [];
    const stored: number[] = [];
    ids.forEach((id, i) => (id ? stored : fresh).push(i));
    const insert = async (at: number[]) => {
      const ts = await this.#insertAll(at.map((i) => step[i]!));
      at.forEach((i, j) => (out[i] = { outcome: 'inserted', ts: ts[j]! }));
    };
    const again: number[] = [];
    await allSettledOrThrow([
      mapLimit(stored, this.#concurrency, async (i) => {
        const done = await this.#appendExisting(step[i]!, ids[i]!);
        if (done) out[i] = done;
        else again.push(i);
      }),
      insert(fresh),
    ]);
    if (again.length) await insert(again);
    return out;
  }

  /** A record whose identity is stored: a duplicate, a merge, or (no row: null) to store again. */
  async #appendExisting(r: ChangeRecord, id: Row): Promise<{ outcome: Outcome; ts: number } | null> {
    const loc = locOf(r);
    let at: RevLoc = { ...loc, gk: id.get('gk'), namespace: id.get('namespace'), name: id.get('name'), ts: num(id.get('ts'))! };
    const pending = num(id.get('pending_ts'));
    if (pending !== null) at = await this.#recover(at, pending);
    const row = await this.#o.reader.readRow(at);
    if (!row) {
      this.#o.logger?.warn({ cluster: loc.cluster, uid: loc.uid, rvid: loc.rvid }, 'revision identity without its row; storing the record again');
      return null;
    }
    const existing = await this.#o.reader.decode(row, at);
    const merged = mergeRecords(existing, r);
    if (merged === existing) return { outcome: 'duplicates', ts: existing.ts };
    await this.#rewrite(merged, existing);
    return { outcome: 'merged', ts: merged.ts };
  }

  /**
   * Stores records (distinct uids) whose identity is not stored, phase by phase over all of them:
   * what each stores (the previous state of a DELETED without object; the object encoded against
   * its uid's current base); every data row — revisions with their new bases, both feeds, index
   * rows — in unlogged batches per partition; the lifetimes; and only then every identity row.
   * A failure before the last phase leaves no identity: the retry redoes the same upserts.
   * @returns where each record's revision is stored (its ts).
   */
  async #insertAll(recs: readonly ChangeRecord[]): Promise<number[]> {
    if (!recs.length) return [];
    const o = this.#o;
    const items = await mapLimit(recs, this.#concurrency, async (r) => {
      const life = await this.#storedLifetime(r);
      const rec = r.op === 'DELETED' && r.object === null ? { ...r, object: await this.#previousState(r) } : r;
      // A uid without a lifetime has no complete revision, so no base to patch against.
      return { rec, life, rows: await this.#dataRows(rec, null, life === null) };
    });
    const once = new Map<string, Write>();
    for (const { rows } of items) for (const s of rows.once) once.set(s.key, s.statement);
    await o.db.writeAll([...items.flatMap(({ rows }) => rows.writes), ...once.values()], 'write revision');
    for (const { rows } of items) this.#wrote({ ...rows, once: [] });
    for (const key of once.keys()) this.#seen.set(key, true);
    await this.#setLifetimes(await mapLimit(items, this.#concurrency, ({ rec, life }) => this.#nextLifetime(rec, null, false, life)));
    await o.db.writeAll(items.map(({ rec }) => {
      const l = locOf(rec);
      return { cql: CQL.insertId, params: [l.cluster, l.uid, l.rvid, l.gk, l.namespace, l.name, rec.ts, undefined, o.ttlSeconds], routing: [l.cluster, l.uid, l.rvid] };
    }), 'write revision identity');
    return items.map(({ rec }) => rec.ts);
  }

  /**
   * Finishes a rewrite that failed half way (identity at `at`, pending at ts `pending`). A
   * revision row at `pending` is complete (one row is written atomically): the rewrite reached
   * it, so its feed, index and lifetime rows are redone from it and the old rows removed. Else
   * the old row is the truth and whatever was written at `pending` is removed.
   * @returns where the revision now is.
   */
  async #recover(at: RevLoc, pending: number): Promise<RevLoc> {
    const o = this.#o;
    const target: RevLoc = { ...at, ts: pending };
    const row = await o.reader.readRow(target);
    if (!row) {
      if (pending !== at.ts) await o.db.writeAll(feedDeleteStatements(target, o.buckets), 'roll back revision rewrite');
      await o.db.execute(CQL.clearPending, [at.cluster, at.uid, at.rvid], 'write revision identity');
      return at;
    }
    const rec: ChangeRecord = { ...row.record, object: null };
    const moved = pending !== at.ts;
    await o.db.writeAll([
      ...feedStatements(rec, o.buckets, o.ttlSeconds, true),
      ...this.#indexRows(rec, target, row.bucket, true).map((x) => x.statement),
    ], 'finish revision rewrite');
    await this.#updateLifetime(rec, moved ? { ...rec, ts: at.ts } : null, moved);
    await this.#commitIdentity(target, at.ts);
    return target;
  }
  /** The uid's last known object before a DELETED record that carries none. */
  async #previousState(r: ChangeRecord): Promise<KubeObject | null> {
    const key = objectKeyOf(r);
    for await (const row of this.#o.reader.rows(key, MIN, r.ts, 'desc')) {
      if (row.record.uid === r.uid && row.record.op !== 'DELETED') return (await this.#o.reader.decode(row, key)).object;
    }
    return null;
  }

  /**
   * The data rows of `rec` (replacing `prev`, or new): its revision (+ a new base, in the
   * revision's partition), both feeds, and the index rows this process has not written yet.
   */
  async #dataRows(rec: ChangeRecord, prev: ChangeRecord | null, newUid = false): Promise<DataRows> {
    const o = this.#o;
    const loc = locOf(rec);
    const bucket = o.buckets.revision(rec.ts);
    const clear = prev !== null && prev.ts === rec.ts;
    const enc = encodeObject(rec.object, rec.object && !newUid ? await this.#bases.current(loc, bucket) : undefined);
    const routing = [loc.cluster, loc.gk, loc.namespace, loc.name, bucket];
    const writes: Write[] = [];
    if (enc.newBase) {
      // In the revision's batch: the two tables share its partition key, so the batch is one
      // mutation, applied together, and a stored revision never lacks its base. A base outlives
      // its revisions: they may be written up to one bucket later.
      const ttl = o.ttlSeconds ? o.ttlSeconds + o.buckets.layout.revisionBucketSeconds : 0;
      const b = enc.newBase;
      writes.push({ partition: revPartition(loc, bucket), routing, cql: CQL.insertBase, params: [loc.cluster, loc.gk, loc.namespace, loc.name, bucket, rec.uid, b.hash, b.codec, b.body, ttl] });
    }
    // With its base, if any, whatever the batch's size (client.ts Write.withPrevious).
    writes.push({ ...revisionStatement(rec, enc, bucket, o.ttlSeconds, clear), routing, ...(enc.newBase ? { withPrevious: true } : {}) });
    writes.push(...feedStatements(rec, o.buckets, o.ttlSeconds, clear));
    return { writes, once: this.#indexRows(rec, loc, bucket), ...(enc.newBase ? { base: { loc, bucket, entry: enc.newBase } } : {}) };
  }

  /** Remembers what stored data rows wrote (index rows, the new base). */
  #wrote(rows: DataRows): void {
    for (const s of rows.once) this.#seen.set(s.key, true);
    if (rows.base) this.#bases.remember(rows.base.loc, rows.base.bucket, rows.base.entry);
  }

  /**
   * Rewrites a stored revision `prev` as `rec` (a merge): marks the identity pending, writes the
   * new rows, then removes the old ones and points the identity at them (#commitIdentity).
   */
  async #rewrite(rec: ChangeRecord, prev: ChangeRecord): Promise<void> {
    const o = this.#o;
    const loc = locOf(rec);
    const rows = await this.#dataRows(rec, prev);
    await o.db.execute(CQL.markPending, [o.ttlSeconds, rec.ts, loc.cluster, loc.uid, loc.rvid], 'write revision identity');
    // Feed rows of concurrent records share batches per feed partition (upserts only here).
    await o.db.writeCoalesced([...rows.writes, ...rows.once.map((s) => s.statement)], 'write revision');
    this.#wrote(rows);
    await this.#updateLifetime(rec, prev, prev.ts !== rec.ts);
    await this.#commitIdentity(loc, prev.ts);
  }

  /** Ends a rewrite: deletes the rows left at `oldTs` (when it moved) and points the identity at `loc.ts`. */
  async #commitIdentity(loc: RevLoc, oldTs: number): Promise<void> {
    const o = this.#o;
    if (oldTs !== loc.ts) {
      const old = { ...loc, ts: oldTs };
      await o.db.writeAll([
        { cql: CQL.deleteRevision, params: [old.cluster, old.gk, old.namespace, old.name, o.buckets.revision(old.ts), old.ts, old.uid, old.rvid] },
        ...feedDeleteStatements(old, o.buckets),
      ], 'remove moved revision');
    }
    await o.db.execute(CQL.insertId, [loc.cluster, loc.uid, loc.rvid, loc.gk, loc.namespace, loc.name, loc.ts, null, o.ttlSeconds], 'write revision identity');
  }

  /** Index rows this process has not written yet: revision bucket, feed buckets, kind. */
  #indexRows(rec: ChangeRecord, loc: RevLoc, bucket: number, all = false): { key: string; statement: Write }[] {
    const o = this.#o;
    const out: { key: string; statement: Write }[] = [];
    const add = (key: string, statement: Write) => {
      if (all || !this.#seen.get(key)) out.push({ key, statement });
    };
    const bucketTtl = o.ttlSeconds ? o.ttlSeconds + o.buckets.layout.revisionBucketSeconds : 0;
    add(`rb\u0000${loc.cluster}\u0000${loc.gk}\u0000${loc.namespace}\u0000${loc.name}\u0000${bucket}`,
      { cql: CQL.insertRevisionBucket, params: [loc.cluster, loc.gk, loc.namespace, loc.name, bucket, bucketTtl], routing: [loc.cluster, loc.gk, loc.namespace, loc.name] });
    const feedTtl = o.ttlSeconds ? o.ttlSeconds + 86_400 : 0;
    for (const s of feedBucketStatements(loc.cluster, loc.namespace, rec.ts, o.buckets, feedTtl)) {
      // Its partition key (cluster, scope, day) leads its values.
      add(`fb\u0000${s.key}`, { cql: s.cql, params: s.params, routing: s.params.slice(0, 3) as (string | number)[] });
    }
    const { version } = splitApiVersion(rec.apiVersion);
    add(`k\u0000${loc.cluster}\u0000${loc.gk}\u0000${version}\u0000${rec.resource}`,
      { cql: CQL.insertKind, params: [loc.cluster, rec.group, rec.kind, version, rec.resource, rec.namespace !== ''], routing: [loc.cluster] });
    return out;
  }

  /** Extends the cluster's first/last seen to `span` (USING TIMESTAMP: min/max win without a read). */
  async #touchCluster(cluster: string, span: { first: number; last: number }): Promise<void> {
    const known = this.#clusterSpan.get(cluster);
    const writes: Statement[] = [];
    if (!known || span.last > known.last) writes.push({ cql: CQL.touchClusterLast, params: [span.last, span.last, cluster] });
    if (!known || span.first < known.first) writes.push({ cql: CQL.touchClusterFirst, params: [FIRST_SEEN_TIMESTAMP_BASE - span.first, span.first, cluster] });
    if (!writes.length) return;
    await this.#o.db.writeAll(writes, 'write cluster span');
    this.#clusterSpan.set(cluster, { first: Math.min(known?.first ?? span.first, span.first), last: Math.max(known?.last ?? span.last, span.last) });
  }

  async #updateLifetime(rec: ChangeRecord, prev: ChangeRecord | null, moved: boolean): Promise<void> {
    await this.#setLifetimes([await this.#nextLifetime(rec, prev, moved)]);
  }

  /** Writes lifetime changes (one per uid), then remembers them. */
  async #setLifetimes(changes: readonly LifetimeChange[]): Promise<void> {
    await this.#o.lifetimes.setAll(changes);
    for (const { next } of changes) this.#lives.set(`${next.key.cluster}\u0000${next.uid}`, next);
  }

  /** The uid's lifetime as stored (this process's last write, else a read), or null. */
  async #storedLifetime(rec: ChangeRecord): Promise<Lifetime | null> {
    return this.#lives.get(`${rec.cluster}\u0000${rec.uid}`) ?? await this.#o.lifetimes.get({ key: objectKeyOf(rec), uid: rec.uid });
  }

  /** The uid's lifetime once `rec` (replacing `prev`) is stored, and the one stored now (`stored`, if read already). */
  async #nextLifetime(rec: ChangeRecord, prev: ChangeRecord | null, moved: boolean, stored?: Lifetime | null): Promise<LifetimeChange> {
    const key = objectKeyOf(rec);
    const old = stored !== undefined ? stored : await this.#storedLifetime(rec);
    const deleted = rec.op === 'DELETED';
    let to = old?.to ?? null;
    if (deleted) to = moved && prev?.op === 'DELETED' ? rec.ts : Math.min(to ?? rec.ts, rec.ts);
    let from = Math.min(old?.from ?? rec.ts, rec.ts);
    // The uid's first revision moved later (the watch saw it before the request's response
    // completed): the lifetime starts at the earlier of its new time and the next revision's.
    if (moved && prev && old && rec.ts > prev.ts && old.from === prev.ts) from = await this.#firstOtherThan(rec, prev.ts);
    const next: Lifetime = {
      key, uid: rec.uid, group: rec.group, kind: rec.kind, apiVersion: old?.apiVersion ?? rec.apiVersion, resource: rec.resource, from, to,
    };
    return { next, old };
  }

  /** The time of the uid's first revision other than `rec` in [from, rec.ts], else rec.ts. */
  async #firstOtherThan(rec: ChangeRecord, from: number): Promise<number> {
    for await (const row of this.#o.reader.rows(objectKeyOf(rec), from, rec.ts, 'asc')) {
      const r = row.record;
      if (r.uid === rec.uid && !(r.op === rec.op && r.resourceVersion === rec.resourceVersion)) return Math.min(r.ts, rec.ts);
    }
    return rec.ts;
  }
}
