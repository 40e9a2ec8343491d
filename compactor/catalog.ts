/**
 * SnapshotCatalog: the SnapshotIndex over a SnapshotStore. It lists manifests (only complete
 * snapshots have one), caches them for `refreshMicros`, and reads objects and retention state.
 */
import type { Logger } from 'pino';
import { KubetimeError } from '../core/errors.ts';
import type { Revision } from '../core/ports.ts';
import { parseSnapshotKey, retentionStateSchema, snapshotKeys } from '../core/snapshot.ts';
import type { RetentionState, SnapshotFilter, SnapshotIndex, SnapshotManifest, SnapshotStore } from '../core/snapshot.ts';
import type { Clock, Micros } from '../core/time.ts';
import { bytesOf, readText } from './format.ts';
import { readManifest, readSnapshot } from './read.ts';

export interface SnapshotCatalogOptions {
  snapshots: SnapshotStore;
  clock: Clock;
  /** How long a listing of manifests is reused (default 30 s). */
  refreshMicros?: Micros;
  logger?: Logger;
}

/** A manifest that could not be read, as found while listing. */
export interface BadManifest {
  key: string;
  problem: string;
}

export class SnapshotCatalog implements SnapshotIndex {
  readonly snapshots: SnapshotStore;
  private readonly clock: Clock;
  private readonly refreshMicros: Micros;
  private readonly logger: Logger | undefined;
  private cache = new Map<string, SnapshotManifest>();
  private bad: BadManifest[] = [];
  private listedAt: Micros | undefined;
  private readonly retentionCache = new Map<string, { state: RetentionState | undefined; readAt: Micros }>();

  constructor(o: SnapshotCatalogOptions) {
    this.snapshots = o.snapshots;
    this.clock = o.clock;
    this.refreshMicros = o.refreshMicros ?? 30_000_000;
    this.logger = o.logger;
  }

  /** Forgets the cached listing (call after writing or deleting snapshots). */
  invalidate(): void {
    this.listedAt = undefined;
    this.retentionCache.clear();
  }

  private async refresh(): Promise<void> {
    const now = this.clock.now();
    if (this.listedAt !== undefined && now - this.listedAt < this.refreshMicros) return;
    const next = new Map<string, SnapshotManifest>();
    const bad: BadManifest[] = [];
    for await (const blob of this.snapshots.list(snapshotKeys.manifestPrefix())) {
      if (!blob.key.endsWith('.json')) continue;
      const known = this.cache.get(blob.key);
      if (known) {
        next.set(blob.key, known);
        continue;
      }
      try {
        const m = await readManifest(this.snapshots, blob.key);
        const where = parseSnapshotKey(blob.key);
        if (!where || where.cluster !== m.cluster || where.id !== m.id) throw new KubetimeError('SNAPSHOT_INVALID', `manifest ${blob.key} names snapshot ${m.cluster}/${m.id}`);
        next.set(blob.key, m);
      } catch (e) {
        if (e instanceof KubetimeError && e.code === 'NOT_FOUND') continue; // deleted meanwhile
        if (!(e instanceof KubetimeError) || e.code !== 'SNAPSHOT_INVALID') throw e;
        bad.push({ key: blob.key, problem: e.message });
        this.logger?.warn({ key: blob.key, problem: e.message }, 'unreadable snapshot manifest ignored');
      }
    }
    this.cache = next;
    this.bad = bad;
    this.listedAt = now;
  }

  /** Complete snapshots, oldest first; of one cluster when given. */
  async manifests(cluster?: string): Promise<SnapshotManifest[]> {
    await this.refresh();
    return [...this.cache.values()]
      .filter((m) => cluster === undefined || m.cluster === cluster)
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  }

  /** Manifests that exist but cannot be used (reported by verify). */
  async badManifests(): Promise<BadManifest[]> {
    await this.refresh();
    return [...this.bad];
  }

  /** Clusters that have at least one complete snapshot. */
  async clusters(): Promise<string[]> {
    return [...new Set((await this.manifests()).map((m) => m.cluster))].sort();
  }

  async newestAtOrBefore(cluster: string, t: Micros): Promise<SnapshotManifest | undefined> {
    const list = await this.manifests(cluster);
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.at <= t) return list[i];
    return undefined;
  }

  /**
   * The snapshot's records matching `filter`. A part that has gone (the snapshot was thinned
   * after the listing was cached) rejects with SNAPSHOT_INVALID, never NOT_FOUND, so a query
   * is not answered with a 404 for an object that exists.
   */
  async *readObjects(manifest: SnapshotManifest, filter?: SnapshotFilter): AsyncIterable<Revision> {
    try {
      yield* readSnapshot(this.snapshots, manifest, filter);
    } catch (e) {
      if (!(e instanceof KubetimeError) || e.code !== 'NOT_FOUND') throw e;
      this.invalidate();
      throw new KubetimeError('SNAPSHOT_INVALID', `snapshot ${manifest.id} of ${manifest.cluster} was removed while being read`, { snapshot: manifest.id }, { cause: e });
    }
  }

  /** The retention record of `cluster` (cached like the listing: queries consult it often). */
  async retention(cluster: string): Promise<RetentionState | undefined> {
    const now = this.clock.now();
    const hit = this.retentionCache.get(cluster);
    if (hit && now - hit.readAt < this.refreshMicros) return hit.state;
    const key = snapshotKeys.retention(cluster);
    let state: RetentionState | undefined;
    try {
      const parsed = retentionStateSchema.safeParse(JSON.parse(await readText(this.snapshots.get(key))));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message);
      state = parsed.data;
    } catch (e) {
      if (e instanceof KubetimeError && e.code === 'NOT_FOUND') state = undefined;
      else if (e instanceof KubetimeError) throw e;
      else throw new KubetimeError('SNAPSHOT_INVALID', `${key} is not a retention record: ${(e as Error).message}`, { key }, { cause: e });
    }
    this.retentionCache.set(cluster, { state, readAt: now });
    return state;
  }

  async writeRetention(state: RetentionState): Promise<void> {
    await this.snapshots.put(snapshotKeys.retention(state.cluster), bytesOf(JSON.stringify(retentionStateSchema.parse(state), null, 1)));
    this.retentionCache.set(state.cluster, { state, readAt: this.clock.now() });
  }

  /**
   * Deletes a snapshot: the manifest first (so it stops being visible at once), then its parts.
   */
  async deleteSnapshot(manifest: SnapshotManifest): Promise<void> {
    await this.snapshots.delete([snapshotKeys.manifest(manifest.cluster, manifest.id)]);
    await this.snapshots.delete(manifest.parts.map((p) => p.key));
    this.cache.delete(snapshotKeys.manifest(manifest.cluster, manifest.id));
  }
}
