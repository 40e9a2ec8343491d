/**
 * Time bucketing and sharding of the Cassandra tables (schema/001_history.cql). The lengths are
 * keyspace-wide constants (`settings` table): once data is written with one bucket length, reads
 * must use the same, so the first start fixes them and later starts read them back.
 */
import { KubetimeError } from '../../core/errors.ts';
import type { Micros } from '../../core/time.ts';

const SEC = 1_000_000;

/** The layout constants; every length in seconds. */
export interface Layout {
  /** Length of a `revisions` partition (one object name). Default 6 hours. */
  revisionBucketSeconds: number;
  /** Length of a cluster-wide `feed` partition. Default 60 s. */
  feedBucketSeconds: number;
  /** Length of a `feed_by_namespace` partition. Default 300 s. */
  namespaceFeedBucketSeconds: number;
  /** Length of a lifetime epoch. Default 1 day. */
  lifetimeEpochSeconds: number;
  /** Length of a lifetime epoch for churny kinds (Events). Default 1 hour. */
  churnyEpochSeconds: number;
  /** Partitions per lifetime epoch of one kind. Default 16. */
  lifetimeShards: number;
}

export const DEFAULT_LAYOUT: Layout = Object.freeze({
  revisionBucketSeconds: 21_600,
  feedBucketSeconds: 60,
  namespaceFeedBucketSeconds: 300,
  lifetimeEpochSeconds: 86_400,
  churnyEpochSeconds: 3_600,
  lifetimeShards: 16,
});

/** Kinds whose objects are created and deleted in large numbers: shorter lifetime epochs. */
const CHURNY_KINDS = new Set(['Event', 'Event.events.k8s.io']);

const DAY: Micros = 86_400 * SEC;

export function checkLayout(l: Layout): Layout {
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isInteger(v) || v < 1) throw new KubetimeError('INVALID_ARGUMENT', `cassandra layout: ${k} must be a positive integer, got ${v}`, { param: k });
  }
  // Feed buckets must tile a UTC day, since feed_buckets indexes them per day.
  for (const k of ['feedBucketSeconds', 'namespaceFeedBucketSeconds'] as const) {
    if (86_400 % l[k] !== 0) throw new KubetimeError('INVALID_ARGUMENT', `cassandra layout: ${k} must divide 86400`, { param: k });
  }
  return l;
}

/** Start of the window of length `seconds` containing `ts` (floor, also for negative ts). */
export function windowStart(ts: Micros, seconds: number): Micros {
  const len = seconds * SEC;
  return Math.floor(ts / len) * len;
}

export class Buckets {
  readonly layout: Layout;

  constructor(layout: Layout) {
    this.layout = checkLayout(layout);
  }

  revision(ts: Micros): Micros {
    return windowStart(ts, this.layout.revisionBucketSeconds);
  }

  revisionLength(): Micros {
    return this.layout.revisionBucketSeconds * SEC;
  }

  feed(ts: Micros, namespaced: boolean): Micros {
    return windowStart(ts, namespaced ? this.layout.namespaceFeedBucketSeconds : this.layout.feedBucketSeconds);
  }

  feedLength(namespaced: boolean): Micros {
    return (namespaced ? this.layout.namespaceFeedBucketSeconds : this.layout.feedBucketSeconds) * SEC;
  }

  day(ts: Micros): Micros {
    return windowStart(ts, 86_400);
  }

  /** The UTC days overlapping [from, to], in the requested order. */
  days(from: Micros, to: Micros, order: 'asc' | 'desc'): Micros[] {
    const out: Micros[] = [];
    for (let d = this.day(from); d <= to; d += DAY) out.push(d);
    return order === 'asc' ? out : out.reverse();
  }

  epochLength(gk: string): Micros {
    return (CHURNY_KINDS.has(gk) ? this.layout.churnyEpochSeconds : this.layout.lifetimeEpochSeconds) * SEC;
  }

  epoch(gk: string, ts: Micros): Micros {
    const len = this.epochLength(gk);
    return Math.floor(ts / len) * len;
  }

  /** The lifetime shard of one object name: FNV-1a of namespace/name. */
  shard(namespace: string, name: string): number {
    let h = 0x811c9dc5;
    const s = `${namespace}/${name}`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return (h >>> 0) % this.layout.lifetimeShards;
  }
}

/**
 * Whether a lifetime [from, to) has a row in the epoch [start, start + len): the epoch it began
 * in, and every epoch it was alive in (so a zero-length lifetime still has its first epoch).
 */
export function placedIn(from: Micros, to: Micros | null, start: Micros, len: Micros): boolean {
  return from < start + len && (to === null || to > start || from >= start);
}
