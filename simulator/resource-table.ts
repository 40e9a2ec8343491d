/**
 * One resource's storage, shaped like etcd's: keys in sorted order, every key's versions
 * (newest last) kept back to the compaction revision, and the resource's event log for
 * watches that start from a resourceVersion.
 *
 * Key layout: `<namespace>/<name>` for namespaced objects, `<name>` for cluster-scoped ones,
 * so one namespace is one contiguous key range (as `/registry/pods/<ns>/<name>` is in etcd).
 *
 * Invariants:
 * - each version's `json` is the object serialized once, with its resourceVersion; list, get
 *   and watch all send that string, never re-serialize;
 * - a tombstone (`json: null`) marks a deletion;
 * - after compaction to C, each key keeps its newest version <= C and everything newer, so the
 *   state at any revision >= C can be answered exactly (continue tokens rely on this).
 */
import type { KubeObject } from '../k8s/object.ts';
import type { ResourceType } from './resources.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One stored version of one key. */
export interface Version {
  rv: number;
  /** Serialized object; null for a tombstone. */
  json: string | null;
  labels: Record<string, string> | undefined;
  /** The parsed object; kept on the newest version only. Treat as read-only. */
  obj?: KubeObject;
}

/** The newest version of an existing object: always has its JSON and parsed object. */
export type LiveVersion = Version & { json: string; obj: KubeObject };

/** One entry of the resource's event log. */
export interface LogEntry {
  rv: number;
  type: WatchEventType;
  key: string;
  namespace: string;
  /** The object as the event carries it (for DELETED: its last state, with the deletion rv). */
  json: string;
  labels: Record<string, string> | undefined;
  /** Labels before a MODIFIED (watchers with a label selector turn edges into ADDED/DELETED). */
  prevLabels: Record<string, string> | undefined;
}

/** A page request. `at` = 'latest' reads current state; a number reads the state at that revision. */
export interface PageRequest {
  at: number | 'latest';
  namespace?: string;
  /** Exclusive: start after this key (continue tokens carry it). */
  after?: string;
  limit?: number;
  /** Called with each candidate version; return false to skip it. */
  filter?: (v: Version) => boolean;
}

export interface Page {
  items: Version[];
  /** Last key returned when more matching items remain. */
  lastKey?: string;
}

export function objectKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function versionAt(versions: readonly Version[], at: number | 'latest'): Version | undefined {
  if (at === 'latest') return versions[versions.length - 1];
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.rv <= at) return versions[i];
  return undefined;
}

export class ResourceTable {
  readonly type: ResourceType;
  /** Sorted keys as of the last flush; may still hold keys removed since (see sortedKeys). */
  private keys: string[] = [];
  /** Keys created since the last flush (merged in lazily: bulk inserts stay O(n log n)). */
  private added: string[] = [];
  private removedSinceFlush = false;
  private readonly entries = new Map<string, Version[]>();
  private log: LogEntry[] = [];
  private logHead = 0;
  private live = 0;

  constructor(type: ResourceType) {
    this.type = type;
  }

  /** Number of objects that exist now. */
  get size(): number {
    return this.live;
  }

  /** The newest version of a key, when the object exists now. */
  current(key: string): LiveVersion | undefined {
    const versions = this.entries.get(key);
    const v = versions?.[versions.length - 1];
    return v && v.json !== null ? (v as LiveVersion) : undefined;
  }

  /** Stores a new version (create or update) and logs the event. */
  put(entry: Omit<LogEntry, 'type' | 'prevLabels'>, obj: KubeObject): LogEntry {
    let versions = this.entries.get(entry.key);
    if (!versions) {
      versions = [];
      this.entries.set(entry.key, versions);
      this.added.push(entry.key);
    }
    const prev = versions[versions.length - 1];
    const exists = prev !== undefined && prev.json !== null;
    if (prev) prev.obj = undefined;
    if (!exists) this.live++;
    versions.push({ rv: entry.rv, json: entry.json, labels: entry.labels, obj });
    return this.append({ ...entry, type: exists ? 'MODIFIED' : 'ADDED', prevLabels: exists ? prev.labels : undefined });
  }

  /** Records a deletion: a tombstone version and a DELETED event carrying the last state. */
  remove(entry: Omit<LogEntry, 'type' | 'prevLabels'>): LogEntry {
    const versions = this.entries.get(entry.key);
    const prev = versions?.[versions.length - 1];
    if (!versions || !prev || prev.json === null) throw new Error(`simulator: remove of absent key ${entry.key}`);
    prev.obj = undefined;
    versions.push({ rv: entry.rv, json: null, labels: prev.labels });
    this.live--;
    return this.append({ ...entry, type: 'DELETED', prevLabels: undefined });
  }

  private append(e: LogEntry): LogEntry {
    this.log.push(e);
    return e;
  }

  /** The sorted key index, with pending inserts merged and removed keys dropped. */
  private sortedKeys(): string[] {
    if (this.added.length === 0 && !this.removedSinceFlush) return this.keys;
    const add = this.added.sort();
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < this.keys.length || j < add.length) {
      const k = j >= add.length || (i < this.keys.length && this.keys[i]! <= add[j]!) ? this.keys[i++]! : add[j++]!;
      if (this.entries.has(k) && out[out.length - 1] !== k) out.push(k);
    }
    this.keys = out;
    this.added = [];
    this.removedSinceFlush = false;
    return out;
  }

  /** Keys of the namespace range (or all keys), as [start, end) indexes. */
  private range(keys: readonly string[], namespace: string | undefined): [number, number] {
    if (!namespace || !this.type.namespaced) return [0, keys.length];
    return [lowerBound(keys, `${namespace}/`), lowerBound(keys, `${namespace}0`)]; // '0' follows '/'
  }

  /** One page of objects in key order, at the latest or at a past revision. */
  page(req: PageRequest): Page {
    const keys = this.sortedKeys();
    const [start, end] = this.range(keys, req.namespace);
    let i = req.after !== undefined ? Math.max(start, lowerBound(keys, req.after + '\u0000')) : start;
    const items: Version[] = [];
    const limit = req.limit && req.limit > 0 ? req.limit : Infinity;
    let lastIdx = -1;
    for (; i < end; i++) {
      const v = versionAt(this.entries.get(keys[i]!)!, req.at);
      if (!v || v.json === null || (req.filter && !req.filter(v))) continue;
      if (items.length === limit) return { items, lastKey: keys[lastIdx] };
      items.push(v);
      lastIdx = i;
    }
    return { items };
  }

  /** Log entries with rv > after, oldest first. */
  *eventsAfter(after: number): Generator<LogEntry> {
    let lo = this.logHead;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid]!.rv <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length; i++) yield this.log[i]!;
  }

  /** Drops history at or before revision `c` (see the module invariants). */
  compact(c: number): void {
    while (this.logHead < this.log.length && this.log[this.logHead]!.rv <= c) {
      this.trimKey(this.log[this.logHead]!.key, c);
      this.logHead++;
    }
    if (this.logHead > 1024 && this.logHead * 2 > this.log.length) {
      this.log = this.log.slice(this.logHead);
      this.logHead = 0;
    }
  }

  private trimKey(key: string, c: number): void {
    const versions = this.entries.get(key);
    if (!versions) return;
    let keep = -1;
    for (let i = versions.length - 1; i >= 0; i--) {
      if (versions[i]!.rv <= c) {
        keep = i;
        break;
      }
    }
    if (keep > 0) versions.splice(0, keep);
    if (versions[0] && versions[0].json === null && versions[0].rv <= c) versions.shift();
    if (versions.length === 0) {
      this.entries.delete(key);
      this.removedSinceFlush = true;
    }
  }
}
