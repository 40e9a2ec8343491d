/**
 * Snapshot thinning: every snapshot is kept for `keepAllFor`; older ones are thinned to the first
 * of each UTC day; snapshots older than the longest retention are dropped except the newest of
 * them (the one the oldest retention horizon sits on). Snapshots named by a retention horizon and
 * the newest snapshot are never deleted.
 */
import type { Logger } from 'pino';
import type { SnapshotManifest } from '../core/snapshot.ts';
import type { Micros } from '../core/time.ts';
import type { SnapshotCatalog } from './catalog.ts';
import type { RetentionRule } from './retention.ts';
import { DEFAULT_RETENTION } from './retention.ts';

const HOUR: Micros = 3_600_000_000;
const DAY: Micros = 24 * HOUR;

export interface ThinningPlan {
  manifests: readonly SnapshotManifest[];
  now: Micros;
  /** Keep every snapshot this recent. */
  keepAllFor: Micros;
  /** Nothing older than the newest snapshot at or before this is needed; undefined = keep forever. */
  keepSince?: Micros;
  /** Ids that must stay (retention horizons). */
  protect: ReadonlySet<string>;
}

/** Which snapshots of one cluster to delete (pure). */
export function planThinning(p: ThinningPlan): SnapshotManifest[] {
  const list = [...p.manifests].sort((a, b) => a.at - b.at);
  const newest = list.at(-1);
  let anchor: SnapshotManifest | undefined;
  if (p.keepSince !== undefined) for (const m of list) if (m.at <= p.keepSince) anchor = m;
  const seenDays = new Set<number>();
  const doomed: SnapshotManifest[] = [];
  for (const m of list) {
    const keep =
      m === newest || m === anchor || p.protect.has(m.id) || m.at >= p.now - p.keepAllFor ||
      ((!anchor || m.at > anchor.at) && !seenDays.has(Math.floor(m.at / DAY)));
    seenDays.add(Math.floor(m.at / DAY));
    if (!keep) doomed.push(m);
  }
  return doomed;
}

/** The default `keepAllFor`: the shortest retention (at most 7 days) plus 2 hours. */
export function defaultKeepAllFor(rules: readonly RetentionRule[]): Micros {
  const ages = rules.map((r) => r.maxAge).filter((a): a is Micros => a !== undefined);
  return Math.min(7 * DAY, ...(ages.length ? ages : [DAY])) + 2 * HOUR;
}

/** The oldest time any rule still needs: now − the longest maxAge (undefined if a scope keeps forever). */
export function keepSinceFor(rules: readonly RetentionRule[], now: Micros): Micros | undefined {
  const catchAll = rules.some((r) => r.gk === undefined && r.namespace === undefined);
  if (!catchAll || rules.some((r) => r.maxAge === undefined)) return undefined;
  return now - Math.max(...rules.map((r) => r.maxAge!));
}

export interface ThinSnapshotsOptions {
  catalog: SnapshotCatalog;
  rules?: readonly RetentionRule[];
  now: Micros;
  keepAllFor?: Micros;
  logger?: Logger;
}

/** Deletes the snapshots planThinning picks, for every cluster; returns how many. */
export async function thinSnapshots(o: ThinSnapshotsOptions): Promise<number> {
  const rules = o.rules ?? DEFAULT_RETENTION;
  let deleted = 0;
  for (const cluster of await o.catalog.clusters()) {
    const protect = new Set((await o.catalog.retention(cluster))?.horizons.map((h) => h.snapshotId) ?? []);
    const doomed = planThinning({
      manifests: await o.catalog.manifests(cluster), now: o.now, protect,
      keepAllFor: o.keepAllFor ?? defaultKeepAllFor(rules), keepSince: keepSinceFor(rules, o.now),
    });
    for (const m of doomed) {
      await o.catalog.deleteSnapshot(m);
      deleted++;
    }
    if (doomed.length) o.logger?.info({ cluster, deleted: doomed.length }, 'old snapshots thinned');
  }
  return deleted;
}
