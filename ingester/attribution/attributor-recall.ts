/**
 * After a restart, reminds the Attributor of the revisions the previous process stored just
 * before it stopped. kube-apiserver sends an audit batch up to its max wait after the change (and
 * retries a sink that is down), so the audit event that names a revision the old process made
 * durable — a Binding, a Scale, a grace-0 delete, an Eviction, a Metadata-level change or
 * deletion — can reach the new process, whose Attributor would otherwise have no memory of that
 * revision and keep the change without actor.
 */
import type { FeedEntry, HistoryStore } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { all } from '../../core/scope.ts';
import type { AttributingWriter } from './attributing-writer.ts';
import { mayBeAttributed } from './attributor.ts';

/** How far back from the newest stored change revisions are recalled, µs. */
export const RECALL_WINDOW = 2 * 60e6;
/** Revisions recalled at most (the newest). */
export const RECALL_MAX = 5000;

/** Recalls a cluster's latest revisions into the writer's Attributor; returns how many (what they complete is written behind: `writer.settled()`). */
export async function recallRecentRevisions(
  writer: Pick<AttributingWriter, 'noteStored'>, store: HistoryStore, cluster: string,
  opts: { window?: number; max?: number } = {},
): Promise<number> {
  const span = (await store.clusters()).find((c) => c.name === cluster);
  if (!span) return 0;
  const max = opts.max ?? RECALL_MAX;
  const entries: FeedEntry[] = [];
  for await (const e of store.feed({ cluster, from: span.lastSeen - (opts.window ?? RECALL_WINDOW), to: span.lastSeen, order: 'desc' })) {
    if (!mayBeAttributed(e.gk)) continue;
    entries.push(e);
    if (entries.length >= max) break;
  }
  const records: ChangeRecord[] = [];
  for (const e of entries.reverse()) {
    const revs = await all(store.revisions({ key: { cluster, gk: e.gk, namespace: e.namespace, name: e.name }, from: e.ts, to: e.ts, order: 'asc' }));
    const r = revs.find((x) => x.uid === e.uid && x.resourceVersion === e.resourceVersion && x.op === e.op);
    if (r) records.push(r);
  }
  writer.noteStored(records);
  return records.length;
}
