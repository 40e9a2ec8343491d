/**
 * Store consistency for `verify`: the store's state at a snapshot's time S must equal the
 * snapshot, except for changes with ts <= S that reached the store after the snapshot was taken
 * (late audit batches, relists) — those are counted as "late", not as faults.
 */
import type { HistoryStore, Revision } from '../core/ports.ts';
import { compareKeys, liveRevisionsAt } from '../core/snapshot.ts';
import type { SnapshotManifest, SnapshotStore } from '../core/snapshot.ts';
import { recordKey } from './format.ts';
import { readSnapshot } from './read.ts';

export interface StoreComparison {
  /** Objects identical in the store and the snapshot. */
  matched: number;
  /** Differences explained by changes that arrived after the snapshot was taken. */
  late: number;
  /** Differences nothing explains, with up to 5 examples in plain words. */
  mismatched: number;
  examples: string[];
}

const describe = (r: Revision): string => `${r.kind}${r.group ? '.' + r.group : ''} ${r.namespace ? r.namespace + '/' : ''}${r.name}`;

/** Compares the store's state at `manifest.at` with the snapshot, object by object. */
export async function compareWithStore(o: { store: HistoryStore; snapshots: SnapshotStore; manifest: SnapshotManifest }): Promise<StoreComparison> {
  const m = o.manifest;
  const result: StoreComparison = { matched: 0, late: 0, mismatched: 0, examples: [] };
  const isLate = (r: Revision | undefined): boolean => !!r && r.observedAt > m.covers.receivedBy;
  const fault = (text: string): void => {
    result.mismatched++;
    if (result.examples.length < 5) result.examples.push(text);
  };
  const snap = readSnapshot(o.snapshots, m)[Symbol.asyncIterator]();
  const live = liveRevisionsAt(o.store, { cluster: m.cluster, at: m.at })[Symbol.asyncIterator]();
  let a = await snap.next();
  let b = await live.next();
  while (!a.done || !b.done) {
    const cmp = a.done ? 1 : b.done ? -1 : compareKeys(recordKey(a.value), recordKey(b.value));
    if (cmp < 0) {
      // In the snapshot, not alive in the store at S: fine only if a late DELETED explains it.
      const latest = await latestAt(o.store, a.value, m.at);
      if (isLate(latest)) result.late++;
      else fault(`${describe(a.value)} is in the snapshot but the store has no live object at that time`);
      a = await snap.next();
    } else if (cmp > 0) {
      if (isLate(b.value)) result.late++;
      else fault(`${describe(b.value)} was alive in the store at that time but is missing from the snapshot`);
      b = await live.next();
    } else {
      // uid + resourceVersion identify a revision; its ts may move when a late audit record merges in.
      const same = a.value.uid === b.value.uid && a.value.resourceVersion === b.value.resourceVersion;
      if (same) result.matched++;
      else if (isLate(b.value)) result.late++;
      else fault(`${describe(a.value)} differs: the snapshot has resourceVersion ${a.value.resourceVersion}, the store ${b.value.resourceVersion}`);
      a = await snap.next();
      b = await live.next();
    }
  }
  return result;
}

async function latestAt(store: HistoryStore, r: Revision, at: number): Promise<Revision | undefined> {
  const key = { cluster: r.cluster, gk: recordKey(r)[0], namespace: r.namespace, name: r.name };
  for await (const x of store.revisions({ key, to: at, order: 'desc', limit: 1 })) return x;
  return undefined;
}
