/**
 * Sweeping the leftovers of interrupted snapshot runs: parts without a manifest (a run that
 * failed or was killed after some parts went up) and the store's own incomplete writes (temp
 * files, abandoned multipart uploads). Only leftovers older than `grace` go, so a run that is
 * still writing in another process is left alone.
 */
import { parseSnapshotKey, snapshotKeys } from '../core/snapshot.ts';
import type { SnapshotStore } from '../core/snapshot.ts';
import type { Micros } from '../core/time.ts';

export interface Leftover {
  cluster: string;
  id: string;
  keys: string[];
  bytes: number;
  /** Newest modification among its blobs. */
  modified: Micros;
}

/** Parts whose snapshot has no manifest, grouped by snapshot. */
export async function findLeftovers(snapshots: SnapshotStore): Promise<Leftover[]> {
  const manifests = new Set<string>();
  for await (const b of snapshots.list(snapshotKeys.manifestPrefix())) manifests.add(b.key);
  const byId = new Map<string, Leftover>();
  for await (const b of snapshots.list(snapshotKeys.partsPrefix())) {
    const where = parseSnapshotKey(b.key);
    if (!where || manifests.has(snapshotKeys.manifest(where.cluster, where.id))) continue;
    const id = `${where.cluster}\u0000${where.id}`;
    const l = byId.get(id) ?? { ...where, keys: [], bytes: 0, modified: 0 };
    l.keys.push(b.key);
    l.bytes += b.bytes;
    l.modified = Math.max(l.modified, b.modified);
    byId.set(id, l);
  }
  return [...byId.values()];
}

export interface SweepResult {
  /** Snapshots whose orphaned parts were deleted. */
  leftovers: number;
  /** Incomplete writes the store discarded (temp files, multipart uploads). */
  incomplete: number;
}

export async function sweepLeftovers(o: { snapshots: SnapshotStore; now: Micros; grace?: Micros }): Promise<SweepResult> {
  const cutoff = o.now - (o.grace ?? 3_600_000_000);
  let leftovers = 0;
  for (const l of await findLeftovers(o.snapshots)) {
    if (l.modified >= cutoff) continue;
    await o.snapshots.delete(l.keys);
    leftovers++;
  }
  const incomplete = await o.snapshots.removeIncomplete(cutoff);
  return { leftovers, incomplete };
}
