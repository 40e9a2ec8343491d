/**
 * Reading the rev database: rebuilding an object from its chain (a full copy and the patches
 * after it), finding a revision's neighbours of the same uid, and turning stored values back
 * into change records. Used by both the read and the write side of LmdbHistoryStore.
 */
import { createHash } from 'node:crypto';
import type { Database, RootDatabase } from 'lmdb';
import { applyPatches } from '../../k8s/json-patch.ts';
import { unpackFull } from './full-copy.ts';
import type { SlimRow } from './slim-rows.ts';
import type { SeenKind } from '../../core/ports.ts';
import type { Actor, ChangeRecord, KubeObject } from '../../core/record.ts';
import { guessResource } from '../../core/kinds.ts';
import {
  KEY_MAX, rvOf, splitGk,
  type Key, type StoredFeedEntry, type StoredLifetime, type StoredRevision,
} from './keys.ts';

export interface LmdbDbs {
  root: RootDatabase;
  rev: Database<StoredRevision, Key>;
  ids: Database<[number, string], Key>;
  /** Slim objects by rev key (keys.ts); absent only from a store written before them and opened read-only. */
  sum?: Database<SlimRow, Key>;
  /** Order marks by object name (order.ts): a time, µs; format v6 only (absent: every read takes the window). */
  ord?: Database<number, Key>;
  life: Database<StoredLifetime, Key>;
  feed: Database<StoredFeedEntry, Key>;
  actors: Database<Actor, Key>;
  meta: Database<unknown, Key>;
}

export interface Entry {
  key: Key;
  value: StoredRevision;
}

const namePrefix = (k: Key): Key => [k[0]!, k[1]!, k[2]!, k[3]!];

export function actorId(actor: Actor): string {
  return createHash('sha1').update(JSON.stringify(actor)).digest('base64url').slice(0, 12);
}

export class ChainReader {
  readonly dbs: LmdbDbs;
  readonly #actors = new Map<string, Actor>();
  readonly #resources = new Map<string, string>();

  constructor(dbs: LmdbDbs) {
    this.dbs = dbs;
  }

  forget(): void {
    this.#actors.clear();
    this.#resources.clear();
  }

  /** The revision of the same uid just before `key` (exclusive). */
  prev(key: Key, uid: string): Entry | undefined {
    for (const e of this.dbs.rev.getRange({ start: key, end: namePrefix(key), reverse: true })) {
      if (e.key[7] === uid && !compareKeysEqual(e.key, key)) return e;
    }
    return undefined;
  }

  /**
   * The revision of the same uid just before `key` (exclusive) with its object, in one reverse
   * pass (the predecessor's chain lies further along the same range).
   */
  prevWithObject(key: Key, uid: string): { key: Key; value: StoredRevision; object: KubeObject | null } | undefined {
    const it = this.dbs.rev.getRange({ start: key, end: namePrefix(key), reverse: true })[Symbol.iterator]();
    try {
      for (let r = it.next(); !r.done; r = it.next()) {
        const e = r.value;
        if (e.key[7] !== uid || compareKeysEqual(e.key, key)) continue;
        const object = e.value.obj !== undefined ? unpackFull(e.value.obj) : this.#walk(e.key, e.value, { [Symbol.iterator]: () => it });
        return { key: e.key, value: e.value, object };
      }
      return undefined;
    } finally {
      it.return?.();
    }
  }

  /** The revision of the same uid just after `key` (exclusive). */
  next(key: Key, uid: string): Entry | undefined {
    for (const e of this.dbs.rev.getRange({ start: key, end: [...namePrefix(key), KEY_MAX] })) {
      if (e.key[7] === uid && !compareKeysEqual(e.key, key)) return e;
    }
    return undefined;
  }

  /** The object a stored revision stands for: its chain's full copy with the patches applied. */
  objectOf(key: Key, value: StoredRevision): KubeObject | null {
    if (value.obj !== undefined) return unpackFull(value.obj);
    return this.#walk(key, value, this.dbs.rev.getRange({ start: key, end: namePrefix(key), reverse: true }));
  }

  /**
   * The latest revision of one object name in a reverse range, with its object, reading the range
   * once (the revision and the rest of its chain are neighbours in it).
   */
  latest(range: { start: Key; end: Key }): { key: Key; value: StoredRevision; object: KubeObject | null } | undefined {
    const it = this.dbs.rev.getRange({ ...range, reverse: true })[Symbol.iterator]();
    try {
      const first = it.next();
      if (first.done) return undefined;
      const { key, value } = first.value;
      const object = value.obj !== undefined ? unpackFull(value.obj) : this.#walk(key, value, { [Symbol.iterator]: () => it });
      return { key, value, object };
    } finally {
      it.return?.(); // an unfinished range holds an LMDB read transaction (a reader slot) until closed
    }
  }

  /** Rebuilds a patch revision from the entries before it (newest first, the revision excluded or first). */
  #walk(key: Key, value: StoredRevision, before: Iterable<Entry>): KubeObject | null {
    const patches = [value.patch!];
    const uid = key[7];
    let base: KubeObject | null = null;
    for (const e of before) {
      if (e.key[7] !== uid || compareKeysEqual(e.key, key)) continue;
      if (e.value.obj !== undefined) {
        base = unpackFull(e.value.obj);
        break;
      }
      patches.push(e.value.patch!);
    }
    if (base === null) return null;
    return applyPatches(base, patches.reverse());
  }

  actor(cluster: string, id: string | undefined): Actor | undefined {
    if (!id) return undefined;
    const k = `${cluster}\0${id}`;
    let a = this.#actors.get(k);
    if (!a) {
      a = this.dbs.actors.get([cluster, id]);
      if (a) this.#actors.set(k, a);
    }
    return a;
  }

  resource(cluster: string, gk: string): string {
    const k = `${cluster}\0${gk}`;
    let r = this.#resources.get(k);
    if (!r) {
      r = (this.dbs.meta.get(['kind', cluster, gk]) as SeenKind | undefined)?.resource ?? guessResource(splitGk(gk).kind);
      this.#resources.set(k, r);
    }
    return r;
  }

  toRecord(key: Key, v: StoredRevision, object: KubeObject | null | undefined = this.objectOf(key, v)): ChangeRecord {
    const [cluster, gk, namespace, name, ts] = key as [string, string, string, string, number];
    const { kind, group } = splitGk(gk);
    const actor = this.actor(cluster, v.actor);
    return {
      cluster, apiVersion: v.apiVersion, group, kind, resource: this.resource(cluster, gk),
      namespace, name, uid: String(key[7]), resourceVersion: rvOf(key), op: v.op, ts, observedAt: v.observedAt,
      source: v.source,
      ...(actor ? { actor } : {}),
      ...(v.verb ? { verb: v.verb } : {}),
      ...(v.auditID ? { auditID: v.auditID } : {}),
      ...(v.gap ? { gap: true } : {}),
      object: object === undefined ? this.objectOf(key, v) : object,
    };
  }
}

function compareKeysEqual(a: Key, b: Key): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
