/**
 * Comparing recorded history with the simulator's ground truth, for the fault tests.
 *
 * "Every revision a watch could have seen": every committed revision is recorded, except inside
 * a gap window (rvs in (from, to]) where the ingester could not watch (410 Gone, a restart);
 * there only each object's state at the window's end is required. Deletions are never allowed
 * to go missing, no stored revision may be invented, and the final state of every object must
 * match.
 */
import type { FeedEntry, HistoryStore } from '../../core/ports.ts';
import { revisionId, type ChangeRecord } from '../../core/record.ts';

/** What the comparison needs of a simulator revision (simulator/ground-truth.ts TruthRevision). */
export interface TruthRev {
  uid: string;
  resourceVersion: string;
  op: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: string;
  namespace: string;
  name: string;
}

export interface GapWindow {
  /** Exclusive lower bound (the last revision the watch had delivered). */
  fromRv: number;
  /** Inclusive upper bound (the revision the ingester had listed at when it resumed). */
  toRv: number;
}

export interface Comparison {
  missing: string[];
  invented: string[];
  wrongFinal: string[];
  checked: number;
}

/** Every revision in the store's feed for a cluster. */
export async function storedFeed(store: Pick<HistoryStore, 'feed'>, cluster: string): Promise<FeedEntry[]> {
  const out: FeedEntry[] = [];
  for await (const e of store.feed({ cluster, from: 0, to: Number.MAX_SAFE_INTEGER, order: 'asc' })) out.push(e);
  return out;
}

const label = (t: TruthRev) => `${t.op} ${t.kind} ${t.namespace}/${t.name} uid=${t.uid} rv=${t.resourceVersion}`;

/** Compares the store's feed with the truth (see the module comment). */
export function compareWithTruth(truth: readonly TruthRev[], stored: readonly FeedEntry[], gaps: readonly GapWindow[] = []): Comparison {
  const revs = new Set<string>();
  const deleted = new Set<string>();
  const latest = new Map<string, number>();
  for (const e of stored) {
    if (e.op === 'DELETED') {
      deleted.add(e.uid);
      continue;
    }
    revs.add(`${e.uid}@${e.resourceVersion}`);
    latest.set(e.uid, Math.max(latest.get(e.uid) ?? 0, Number(e.resourceVersion)));
  }
  const gapOf = (rv: number) => gaps.find((g) => rv > g.fromRv && rv <= g.toRv);
  // Per gap window and uid: the last revision inside it (the state a relist at its end saw),
  // and whether the uid existed before the window (one born and gone inside it was invisible).
  const lastInGap = new Map<string, TruthRev>();
  const bornBefore = new Map<string, boolean>();
  const firstRv = new Map<string, number>();
  for (const t of truth) {
    const rv = Number(t.resourceVersion);
    if (!firstRv.has(t.uid)) firstRv.set(t.uid, rv);
    const g = gapOf(rv);
    if (g) {
      lastInGap.set(`${g.toRv}|${t.uid}`, t);
      bornBefore.set(`${g.toRv}|${t.uid}`, firstRv.get(t.uid)! <= g.fromRv);
    }
  }
  const res: Comparison = { missing: [], invented: [], wrongFinal: [], checked: 0 };
  const truthRevs = new Set<string>();
  const final = new Map<string, TruthRev>();
  for (const t of truth) {
    truthRevs.add(`${t.uid}@${t.resourceVersion}`);
    final.set(t.uid, t);
    const g = gapOf(Number(t.resourceVersion));
    if (g) {
      const key = `${g.toRv}|${t.uid}`;
      if (lastInGap.get(key) !== t) continue;
      if (t.op === 'DELETED' && !bornBefore.get(key)) continue;
    }
    res.checked++;
    const ok = t.op === 'DELETED' ? deleted.has(t.uid) : revs.has(`${t.uid}@${t.resourceVersion}`);
    if (!ok) res.missing.push(label(t));
  }
  for (const e of stored) {
    if (e.op !== 'DELETED' && !truthRevs.has(`${e.uid}@${e.resourceVersion}`)) res.invented.push(`${e.op} ${e.gk} ${e.namespace}/${e.name} rv=${e.resourceVersion}`);
  }
  for (const [uid, t] of final) {
    const g = gapOf(Number(t.resourceVersion));
    if (t.op === 'DELETED' && g && gapOf(firstRv.get(uid)!) === g) continue; // born and gone inside one gap: invisible
    const ok = t.op === 'DELETED' ? deleted.has(uid) : !deleted.has(uid) && latest.get(uid) === Number(t.resourceVersion);
    if (!ok) res.wrongFinal.push(`final ${label(t)}; stored ${deleted.has(uid) ? 'DELETED' : latest.get(uid) ?? 'nothing'}`);
  }
  return res;
}

/** Revision ids handed to a store more than once. */
export function duplicateWrites(appended: readonly Pick<ChangeRecord, 'cluster' | 'uid' | 'resourceVersion' | 'op'>[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const r of appended) {
    const id = revisionId(r);
    if (seen.has(id)) dups.push(`${r.op} ${r.uid}@${r.resourceVersion}`);
    seen.add(id);
  }
  return dups;
}
