/**
 * The write side of LmdbHistoryStore. Every method here runs inside one LMDB write transaction
 * (the store wraps the calls), so reads see the transaction's own earlier writes.
 */
import { applyPatch } from '../../core/json-patch.ts';
import { planDelta } from '../../core/delta.ts';
import type { AppendResult, PruneRequest, SeenKind } from '../../core/ports.ts';
import { groupKind, mergeRecords, type ChangeRecord, type KubeObject } from '../../core/record.ts';
import { splitApiVersion } from '../../core/kinds.ts';
import type { LmdbDbs } from './lmdb-history-store.ts';
import {
  feedKey, idKey, prefixRange, revKey, revKeyAfter,
  type Key, type RevParts, type StoredLifetime, type StoredRevision,
} from './keys.ts';

const BASE_CACHE_LIMIT = 4096;

export class RevisionWriter {
  readonly #dbs: LmdbDbs;
  /** Decoded bases by `${cluster}\0${uid}\0${baseRv}`; insertion-ordered for cheap LRU eviction. */
  #bases = new Map<string, KubeObject>();
  #clusterSeen = new Map<string, { firstSeen: number; lastSeen: number }>();
  #kindSeen = new Set<string>();

  constructor(dbs: LmdbDbs) {
    this.#dbs = dbs;
  }

  /** Drops caches that might hold writes of a transaction that did not commit. */
  forgetCache(): void {
    this.#bases.clear();
    this.#clusterSeen.clear();
    this.#kindSeen.clear();
  }

  appendAll(records: readonly ChangeRecord[]): AppendResult {
    const result: AppendResult = { inserted: 0, merged: 0, duplicates: 0 };
    for (const r of records) {
      const id = idKey(r.cluster, r.uid, r.op, r.resourceVersion);
      const existingKey = this.#dbs.ids.get(id);
      if (existingKey) {
        const stored = this.#dbs.rev.get(existingKey);
        if (stored) {
          const existing = this.toRecord(existingKey, stored);
          const merged = mergeRecords(existing, r);
          if (merged === existing) {
            result.duplicates++;
            continue;
          }
          this.#remove(existingKey, stored);
          this.#insert(merged, id);
          result.merged++;
          continue;
        }
      }
      this.#insert(r, id);
      result.inserted++;
    }
    return result;
  }

  /** Rebuilds the full record of a stored revision. */
  toRecord(key: Key, v: StoredRevision): ChangeRecord {
    const [cluster, , namespace, name] = key as [string, string, string, string];
    let object: KubeObject | null = null;
    if (v.base !== null) {
      const base = this.#base(cluster, v.uid, v.base);
      object = base && v.patch?.length ? applyPatch(base, v.patch) : base;
    }
    return {
      cluster, apiVersion: v.apiVersion, group: v.group, kind: v.kind, resource: v.resource,
      namespace, name, uid: v.uid, resourceVersion: v.rv, op: v.op, ts: v.ts, observedAt: v.observedAt,
      source: v.source,
      ...(v.actor ? { actor: v.actor } : {}),
      ...(v.verb ? { verb: v.verb } : {}),
      ...(v.auditID ? { auditID: v.auditID } : {}),
      ...(v.gap ? { gap: true } : {}),
      object,
    };
  }

  #base(cluster: string, uid: string, baseRv: string): KubeObject | null {
    const k = `${cluster}\0${uid}\0${baseRv}`;
    const hit = this.#bases.get(k);
    if (hit) return hit;
    const base = this.#dbs.bases.get([cluster, uid, baseRv]) ?? null;
    if (base) {
      if (this.#bases.size >= BASE_CACHE_LIMIT) this.#bases.delete(this.#bases.keys().next().value!);
      this.#bases.set(k, base);
    }
    return base;
  }

  #insert(r: ChangeRecord, id: Key): void {
    const gk = groupKind(r.group, r.kind);
    const parts: RevParts = { cluster: r.cluster, gk, namespace: r.namespace, name: r.name, ts: r.ts, op: r.op, rv: r.resourceVersion, uid: r.uid };
    const lk: Key = [r.cluster, gk, r.namespace, r.name, r.uid];
    const life: StoredLifetime = this.#dbs.life.get(lk) ?? {
      group: r.group, kind: r.kind, apiVersion: r.apiVersion, resource: r.resource,
      from: r.ts, to: null, base: null, baseSize: 0, lastKey: null,
    };
    const key = revKey(parts);
    const stored: StoredRevision = {
      uid: r.uid, rv: r.resourceVersion, op: r.op, ts: r.ts, observedAt: r.observedAt, source: r.source,
      apiVersion: r.apiVersion, group: r.group, kind: r.kind, resource: r.resource, base: null,
      ...(r.actor ? { actor: r.actor } : {}),
      ...(r.verb ? { verb: r.verb } : {}),
      ...(r.auditID ? { auditID: r.auditID } : {}),
      ...(r.gap ? { gap: true } : {}),
    };
    this.#encodeObject(r, life, stored);
    life.from = Math.min(life.from, r.ts);
    if (r.op === 'DELETED') life.to = life.to === null ? r.ts : Math.min(life.to, r.ts);
    if (!life.lastKey || revKeyAfter(key, life.lastKey)) life.lastKey = key;
    this.#dbs.rev.put(key, stored);
    this.#dbs.ids.put(id, key);
    this.#dbs.life.put(lk, life);
    const { base: _b, patch: _p, observedAt: _o, auditID: _a, apiVersion: _v, resource: _r, ...feed } = stored;
    this.#dbs.feed.put(feedKey(parts), feed);
    this.#noteSeen(r, gk);
  }

  /** Fills stored.base/patch: a patch against the uid's base, a new base, or the previous state. */
  #encodeObject(r: ChangeRecord, life: StoredLifetime, stored: StoredRevision): void {
    if (r.object === null) {
      // A delete answered with a Status: keep the uid's last known state.
      const prev = life.lastKey ? this.#dbs.rev.get(life.lastKey) : undefined;
      if (prev) {
        stored.base = prev.base;
        if (prev.patch) stored.patch = prev.patch;
      }
      return;
    }
    const base = life.base !== null ? this.#base(r.cluster, r.uid, life.base) : null;
    const plan = planDelta(base, life.baseSize, r.object);
    if (plan.kind === 'patch' && life.base !== null) {
      stored.base = life.base;
      if (plan.patch.length) stored.patch = plan.patch;
      return;
    }
    const baseRv = `${r.resourceVersion}@${r.ts}`;
    this.#dbs.bases.put([r.cluster, r.uid, baseRv], r.object);
    life.base = baseRv;
    life.baseSize = plan.kind === 'base' ? plan.size : JSON.stringify(r.object).length;
    stored.base = baseRv;
  }

  #remove(key: Key, v: StoredRevision): void {
    const [cluster, gk, namespace, name] = key as [string, string, string, string];
    this.#dbs.rev.remove(key);
    this.#dbs.feed.remove(feedKey({ cluster, gk, namespace, name, ts: v.ts, op: v.op, rv: v.rv, uid: v.uid }));
    const lk: Key = [cluster, gk, namespace, name, v.uid];
    const life = this.#dbs.life.get(lk);
    if (life && life.lastKey && revKey({ cluster, gk, namespace, name, ts: v.ts, op: v.op, rv: v.rv, uid: v.uid }).join('\0') === life.lastKey.join('\0')) {
      // The re-inserted (merged) revision becomes the latest again or a later one stays latest.
      life.lastKey = this.#latestKeyOf(cluster, gk, namespace, name, v.uid, key);
      this.#dbs.life.put(lk, life);
    }
  }

  #latestKeyOf(cluster: string, gk: string, namespace: string, name: string, uid: string, except: Key): Key | null {
    for (const { key, value } of this.#dbs.rev.getRange({ ...reverse(prefixRange([cluster, gk, namespace, name])) })) {
      if (value.uid === uid && key.join('\0') !== except.join('\0')) return key;
    }
    return null;
  }

  #noteSeen(r: ChangeRecord, gk: string): void {
    const c = this.#clusterSeen.get(r.cluster) ?? (this.#dbs.meta.get(['cluster', r.cluster]) as { firstSeen: number; lastSeen: number } | undefined);
    const next = { firstSeen: Math.min(c?.firstSeen ?? r.ts, r.ts), lastSeen: Math.max(c?.lastSeen ?? r.ts, r.ts) };
    if (!c || next.firstSeen !== c.firstSeen || next.lastSeen !== c.lastSeen) {
      this.#dbs.meta.put(['cluster', r.cluster], next);
    }
    this.#clusterSeen.set(r.cluster, next);
    const kk = `${r.cluster}\0${gk}`;
    if (!this.#kindSeen.has(kk)) {
      this.#kindSeen.add(kk);
      const seen: SeenKind = {
        group: r.group, version: splitApiVersion(r.apiVersion).version, kind: r.kind, resource: r.resource,
        namespaced: r.namespace !== '',
      };
      this.#dbs.meta.put(['kind', r.cluster, gk], seen);
    }
  }

  /** Retention (PruneRequest): returns how many revisions were removed. */
  prune(req: PruneRequest): number {
    const prefix: Key = req.gk !== undefined ? [req.cluster, req.gk] : [req.cluster];
    let removed = 0;
    for (const { key, value: life } of this.#dbs.life.getRange(prefixRange(prefix))) {
      const [cluster, gk, namespace, name, uid] = key as [string, string, string, string, string];
      if (req.namespace !== undefined && namespace !== req.namespace) continue;
      const gone = life.to !== null && life.to < req.before;
      const old = [...this.#dbs.rev.getRange({ start: [cluster, gk, namespace, name], end: [cluster, gk, namespace, name, req.before] })]
        .filter((e) => e.value.uid === uid);
      // Keep the latest revision before the horizon of a uid still alive there: it is the state at `before`.
      const doomed = gone ? old : old.slice(0, -1);
      for (const { key: rk, value } of doomed) {
        this.#dbs.rev.remove(rk);
        this.#dbs.feed.remove(feedKey({ cluster, gk, namespace, name, ts: value.ts, op: value.op, rv: value.rv, uid }));
        this.#dbs.ids.remove(idKey(cluster, uid, value.op, value.rv));
        removed++;
      }
      if (gone) {
        const remaining = [...this.#dbs.rev.getRange(prefixRange([cluster, gk, namespace, name]))].some((e) => e.value.uid === uid);
        if (!remaining) {
          this.#dbs.life.remove(key);
          for (const b of this.#dbs.bases.getKeys(prefixRange([cluster, uid]))) this.#dbs.bases.remove(b);
        }
      }
    }
    this.#bases.clear();
    return removed;
  }
}

function reverse(r: { start: Key; end: Key }): { start: Key; end: Key; reverse: true } {
  return { start: r.end, end: r.start, reverse: true };
}
