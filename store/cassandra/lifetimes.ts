/**
 * Lifetimes (uid spans) in Cassandra: `lifetimes_by_name` (every uid of one name) and the epoch
 * tables `lifetime_epochs` + `lifetimes_by_epoch` that answer "which objects of a kind were alive
 * at T" by reading ONE epoch, whatever T is.
 *
 * Invariant: a lifetime has a row in every existing epoch of its kind that it began in or was
 * alive in (layout.ts placedIn), and an epoch exists once a lifetime began in it. When an epoch is
 * created, every lifetime alive at its start is copied in from the previous existing epoch
 * ("carry forward"), then the epoch is marked carried. Span changes (a delete, a late earlier
 * revision) rewrite the rows in every existing epoch the old or new span touches.
 *
 * Per kind, span updates share a readers-writer lock and creating an epoch takes it alone, so a
 * carry never misses a concurrent update. The writer caches the kind's epoch list. Like the rest
 * of the write path this assumes one ingesting process per cluster (readers may be many).
 */
import type { Logger } from 'pino';
import type { Lifetime, LifetimeQuery } from '../../core/ports.ts';
import type { Micros } from '../../core/time.ts';
import { num0, type CassandraDb, type Row, type Statement, type Write } from './client.ts';
import { allSettledOrThrow, mapLimit } from '../../core/concurrency.ts';
import { RwLock } from './concurrency.ts';
import { CQL } from './cql.ts';
import { placedIn, type Buckets } from './layout.ts';
import { compareLifetimes, lifetimeFromRow } from './rows.ts';

const MIN = Number.MIN_SAFE_INTEGER;
const MAX = Number.MAX_SAFE_INTEGER;

export interface Span {
  from: Micros;
  to: Micros | null;
}

/** A lifetime's new span and the one stored now (null: none). */
export interface LifetimeChange {
  next: Lifetime;
  old: Span | null;
}

interface Epoch {
  start: Micros;
  len: Micros;
  carried: boolean;
}

export interface LifetimeIndexOptions {
  db: CassandraDb;
  buckets: Buckets;
  /** TTL in seconds for rows of ended lifetimes (0 = keep until pruned). */
  ttlSeconds: number;
  /** Group-kinds seen in a cluster (for queries over every kind). */
  kindsOf: (cluster: string) => Promise<string[]>;
  logger?: Logger;
}

export class LifetimeIndex {
  readonly #o: LifetimeIndexOptions;
  readonly #locks = new Map<string, RwLock>();
  /** Every epoch of a kind, newest first, as this (writing) process knows them; by `${cluster}\0${gk}`. */
  readonly #epochCache = new Map<string, Epoch[]>();

  constructor(opts: LifetimeIndexOptions) {
    this.#o = opts;
  }

  /** The lifetime of one uid, or null. */
  async get(l: Pick<Lifetime, 'key' | 'uid'>): Promise<Lifetime | null> {
    const { cluster, gk, namespace, name } = l.key;
    const rs = await this.#o.db.execute(CQL.selectLifetimeOfUid, [cluster, gk, namespace, name, l.uid], 'read lifetime');
    return rs.rows[0] ? lifetimeFromRow(cluster, gk, rs.rows[0], namespace, name) : null;
  }

  /**
   * Records that lifetimes' spans changed from `old` (null: new) to `next.from/to` (one change per
   * uid): per kind, the epoch rows of all of them in batches, then all their name rows.
   */
  async setAll(changes: readonly LifetimeChange[]): Promise<void> {
    const byKind = new Map<string, LifetimeChange[]>();
    for (const c of changes) {
      if (c.old && c.old.from === c.next.from && c.old.to === c.next.to) continue;
      const k = `${c.next.key.cluster}\u0000${c.next.key.gk}`;
      const list = byKind.get(k);
      if (list) list.push(c);
      else byKind.set(k, [c]);
    }
    await allSettledOrThrow([...byKind.values()].map((list) => this.#setKind(list)));
  }

  async #setKind(changes: readonly LifetimeChange[]): Promise<void> {
    const { cluster, gk } = changes[0]!.next.key;
    for (const start of new Set(changes.map((c) => this.#o.buckets.epoch(gk, c.next.from)))) await this.#ensureEpoch(cluster, gk, start);
    await this.#lock(cluster, gk).read(async () => {
      const epochs = await this.#knownEpochs(cluster, gk);
      const writes: Write[] = [];
      for (const { next, old } of changes) {
        const lo = this.#o.buckets.epoch(gk, Math.min(next.from, old?.from ?? MAX));
        for (const e of epochs) {
          if (e.start < lo) break;
          if (placedIn(next.from, next.to, e.start, e.len)) writes.push(this.#epochRow(next, e.start));
          else if (old && placedIn(old.from, old.to, e.start, e.len)) writes.push(this.#epochDelete(next, e.start));
        }
      }
      await this.#o.db.writeAll(writes, 'write lifetime');
      // The name row is the lifetime's record of truth for the next change: written only once
      // every epoch row agrees with it, so a retry after a partial failure redoes the epochs.
      await this.#o.db.writeAll(changes.map(({ next }) => this.#nameRow(next)), 'write lifetime');
    });
  }

  /** Removes a lifetime everywhere (prune). */
  async remove(l: Lifetime): Promise<void> {
    const { cluster, gk, namespace, name } = l.key;
    await this.#lock(cluster, gk).read(async () => {
      const epochs = await this.#epochs(cluster, gk, this.#o.buckets.epoch(gk, l.from), MAX);
      const deletes = epochs.filter((e) => placedIn(l.from, l.to, e.start, e.len)).map((e) => this.#epochDelete(l, e.start));
      deletes.push({ cql: CQL.deleteLifetimeByName, params: [cluster, gk, namespace, name, l.uid] });
      await this.#o.db.writeAll(deletes, 'remove lifetime');
    });
  }

  /** Lifetimes matching `q`, ordered by (gk, namespace, name, from). */
  async *query(q: LifetimeQuery): AsyncGenerator<Lifetime> {
    const gks = q.gk !== undefined ? [q.gk] : (await this.#o.kindsOf(q.cluster)).sort();
    for (const gk of gks) {
      const found = await this.#queryKind(q, gk);
      found.sort(compareLifetimes);
      yield* found;
    }
  }

  /** The (namespace, name) pairs with a lifetime that began before `before` (prune). */
  async namesBefore(cluster: string, gk: string, before: Micros, namespace?: string): Promise<{ namespace: string; name: string }[]> {
    const epochs = await this.#epochs(cluster, gk, MIN, before - 1);
    const rows = await this.#rowsOf(cluster, gk, epochs, namespace);
    const seen = new Map<string, { namespace: string; name: string }>();
    for (const l of rows) if (l.from < before) seen.set(`${l.key.namespace}\u0000${l.key.name}`, { namespace: l.key.namespace, name: l.key.name });
    return [...seen.values()];
  }

  async #queryKind(q: LifetimeQuery, gk: string): Promise<Lifetime[]> {
    const alive = (l: Lifetime) => q.aliveAt === undefined || (l.from <= q.aliveAt && (l.to === null || l.to > q.aliveAt));
    if (q.namespace !== undefined && q.name !== undefined) {
      const rs = this.#o.db.rows(CQL.selectLifetimesOfName, [q.cluster, gk, q.namespace, q.name], 'read lifetimes');
      const out: Lifetime[] = [];
      for await (const row of rs) {
        const l = lifetimeFromRow(q.cluster, gk, row, q.namespace, q.name);
        if (alive(l)) out.push(l);
      }
      return out;
    }
    const epochs = q.aliveAt === undefined
      ? await this.#epochs(q.cluster, gk, MIN, MAX)
      : await this.#chainAt(q.cluster, gk, this.#o.buckets.epoch(gk, q.aliveAt));
    const rows = await this.#rowsOf(q.cluster, gk, epochs, q.namespace);
    return rows.filter((l) => (q.name === undefined || l.key.name === q.name) && alive(l));
  }

  /** The latest existing epoch <= start, and the ones before it down to a carried one. */
  async #chainAt(cluster: string, gk: string, start: Micros): Promise<Epoch[]> {
    const chain: Epoch[] = [];
    for await (const row of this.#o.db.rows(CQL.selectEpochAtOrBefore, [cluster, gk, start], 'read lifetime epochs', 8)) {
      const e = epochOf(row);
      chain.push(e);
      if (e.carried) break;
    }
    return chain;
  }

  /** Every row of the given epochs (all shards), one per uid. */
  async #rowsOf(cluster: string, gk: string, epochs: Epoch[], namespace?: string): Promise<Lifetime[]> {
    const shards = Array.from({ length: this.#o.buckets.layout.lifetimeShards }, (_, i) => i);
    const parts = epochs.flatMap((e) => shards.map((s) => [e.start, s] as const));
    const byUid = new Map<string, Lifetime>();
    await mapLimit(parts, 8, async ([epoch, shard]) => {
      const cql = namespace === undefined ? CQL.selectEpochShard : CQL.selectEpochShardNs;
      const params = namespace === undefined ? [cluster, gk, epoch, shard] : [cluster, gk, epoch, shard, namespace];
      for await (const row of this.#o.db.rows(cql, params, 'read lifetimes', 1000)) {
        const l = lifetimeFromRow(cluster, gk, row);
        byUid.set(`${l.key.namespace}\u0000${l.key.name}\u0000${l.uid}`, l);
      }
    });
    return [...byUid.values()];
  }

  async #epochs(cluster: string, gk: string, lo: Micros, hi: Micros): Promise<Epoch[]> {
    const out: Epoch[] = [];
    for await (const row of this.#o.db.rows(CQL.selectEpochsInRange, [cluster, gk, lo, hi], 'read lifetime epochs')) out.push(epochOf(row));
    return out;
  }

  #lock(cluster: string, gk: string): RwLock {
    const k = `${cluster}\u0000${gk}`;
    let l = this.#locks.get(k);
    if (!l) this.#locks.set(k, (l = new RwLock()));
    return l;
  }

  /** The kind's epochs, newest first, loaded once per process. */
  async #knownEpochs(cluster: string, gk: string): Promise<Epoch[]> {
    const k = `${cluster}\u0000${gk}`;
    let list = this.#epochCache.get(k);
    if (!list) {
      list = (await this.#epochs(cluster, gk, MIN, MAX)).sort((a, b) => b.start - a.start);
      this.#epochCache.set(k, list);
    }
    return list;
  }

  /** Makes epoch `start` exist and hold every lifetime alive at its start. */
  async #ensureEpoch(cluster: string, gk: string, start: Micros): Promise<void> {
    if ((await this.#knownEpochs(cluster, gk)).some((e) => e.start === start && e.carried)) return;
    await this.#lock(cluster, gk).write(async () => {
      let list = await this.#knownEpochs(cluster, gk);
      if (list.some((e) => e.start === start && e.carried)) return;
      if (!list.some((e) => e.start === start)) {
        const len = this.#o.buckets.epochLength(gk);
        await this.#o.db.execute(CQL.insertEpoch, [cluster, gk, start, len, false], 'create lifetime epoch');
        list = [...list, { start, len, carried: false }];
      }
      // Carry every epoch not carried yet, oldest first, so each copies from a complete one
      // (an epoch left uncarried by a process that died is finished here too).
      const asc = [...list].sort((a, b) => a.start - b.start).map((e) => ({ ...e }));
      for (let i = 0; i < asc.length; i++) {
        const e = asc[i]!;
        if (e.carried) continue;
        if (i > 0) await this.#carry(cluster, gk, asc[i - 1]!, e);
        await this.#o.db.execute(CQL.insertEpoch, [cluster, gk, e.start, e.len, true], 'mark lifetime epoch carried');
        e.carried = true;
        this.#o.logger?.debug({ cluster, gk, epoch: e.start, from: asc[i - 1]?.start }, 'lifetime epoch carried');
      }
      this.#epochCache.set(`${cluster}\u0000${gk}`, asc.reverse());
    });
  }

  async #carry(cluster: string, gk: string, prev: Epoch, next: Epoch): Promise<void> {
    const rows = await this.#rowsOf(cluster, gk, [prev]);
    const writes = rows.filter((l) => l.from < next.start && placedIn(l.from, l.to, next.start, next.len)).map((l) => this.#epochRow(l, next.start));
    for (let i = 0; i < writes.length; i += 256) await this.#o.db.writeAll(writes.slice(i, i + 256), 'carry lifetimes forward');
  }

  #ttl(l: Lifetime): number {
    return l.to === null ? 0 : this.#o.ttlSeconds;
  }

  #epochRow(l: Lifetime, epoch: Micros): Statement & { partition: string } {
    const { cluster, gk, namespace, name } = l.key;
    const shard = this.#o.buckets.shard(namespace, name);
    return {
      partition: `life\u0000${cluster}\u0000${gk}\u0000${epoch}\u0000${shard}`,
      cql: CQL.insertLifetimeInEpoch,
      params: [cluster, gk, epoch, shard, namespace, name, l.uid, l.from, l.to ?? undefined, l.group, l.kind, l.apiVersion, l.resource, this.#ttl(l)],
    };
  }

  #epochDelete(l: Lifetime, epoch: Micros): Statement {
    const { cluster, gk, namespace, name } = l.key;
    return { cql: CQL.deleteLifetimeInEpoch, params: [cluster, gk, epoch, this.#o.buckets.shard(namespace, name), namespace, name, l.uid] };
  }

  #nameRow(l: Lifetime): Write {
    const { cluster, gk, namespace, name } = l.key;
    return {
      routing: [cluster, gk, namespace, name],
      cql: CQL.insertLifetimeByName,
      params: [cluster, gk, namespace, name, l.uid, l.from, l.to ?? undefined, l.group, l.kind, l.apiVersion, l.resource, this.#ttl(l)],
    };
  }

  /** Forgets cached epoch state (after a failed write, or in tests). */
  forget(): void {
    this.#epochCache.clear();
  }
}

function epochOf(row: Row): Epoch {
  return { start: num0(row.get('epoch')), len: num0(row.get('epoch_len')), carried: row.get('carried') === true };
}

