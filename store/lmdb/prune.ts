/**
 * Retention for the embedded store (PruneRequest), run inside the store's write transaction by
 * RevisionWriter.prune: every revision before the horizon goes, except the latest one of each uid
 * still alive there (the state at the horizon), which becomes the full copy that starts its
 * chain. A uid deleted before the horizon loses its lifetime too once no revision is left.
 */
import type { PruneRequest } from '../../core/ports.ts';
import type { KubeObject } from '../../core/record.ts';
import type { ChainReader, Entry, LmdbDbs } from './chain.ts';
import { feedKeyOfRev, idKey, KEY_MAX, prefixRange, rvOf } from './keys.ts';
import { packSlim, SAME, slimKey } from './slim-rows.ts';
import type { OrderMarks } from './order.ts';

/**
 * Returns how many revisions were removed; `restart` stores a revision as a full copy, `removing`
 * hears of each rev key before it is removed. The keys left after a removal reach further back:
 * `order` (format v6) checks them (order.ts).
 */
export function pruneRevisions(
  dbs: LmdbDbs, chain: ChainReader,
  { restart, removing }: { restart: (e: Entry, obj: KubeObject | null) => void; removing: (key: Entry['key']) => void },
  req: PruneRequest, order?: OrderMarks,
): number {
  let removed = 0;
  for (const { key: lk, value: life } of dbs.life.getRange(prefixRange(req.gk !== undefined ? [req.cluster, req.gk] : [req.cluster]))) {
    if (req.namespace !== undefined && lk[2] !== req.namespace) continue;
    const uid = String(lk[4]);
    const gone = life.to !== null && life.to < req.before;
    const old = [...dbs.rev.getRange({ start: lk.slice(0, 4), end: [...lk.slice(0, 4), req.before] })].filter((e) => e.key[7] === uid);
    // Keep the latest revision before the horizon of a uid still alive there: it is the state at `before`.
    const doomed = gone ? old : old.slice(0, -1);
    if (!doomed.length) continue;
    // The revision that starts what is left of the uid: the survivor, or for a uid deleted before
    // the horizon, its first revision after it (one stored after its deletion), if any.
    const survivor = gone ? firstOfUid(dbs.rev.getRange({ start: [...lk.slice(0, 4), req.before], end: [...lk.slice(0, 4), KEY_MAX] }), uid) : old.at(-1)!;
    // Its chain must not lean on what goes: it keeps its content as a full copy.
    if (survivor && survivor.value.obj === undefined) restart(survivor, chain.objectOf(survivor.key, survivor.value));
    // Its predecessors go: a slim row that was SAME as theirs is written in full (slim-rows.ts).
    if (survivor && survivor.value.op !== 'DELETED' && dbs.sum?.get(slimKey(survivor.key)) === SAME) {
      dbs.sum.put(slimKey(survivor.key), packSlim(chain.objectOf(survivor.key, survivor.value), survivor.key));
    }
    for (const e of doomed) {
      removing(e.key);
      dbs.rev.remove(e.key);
      if (e.value.op !== 'DELETED') dbs.sum?.remove(slimKey(e.key));
      dbs.feed.remove(feedKeyOfRev(e.key));
      dbs.ids.remove(idKey(String(lk[0]), uid, e.value.op, rvOf(e.key)));
      removed++;
    }
    order?.afterPrune(lk.slice(0, 4), req.before);
    if (gone && ![...dbs.rev.getRange(prefixRange(lk.slice(0, 4)))].some((e) => e.key[7] === uid)) dbs.life.remove(lk);
  }
  return removed;
}

/** The first entry of `uid` in a range of one name's rev keys, read no further than it. */
function firstOfUid(range: Iterable<Entry>, uid: string): Entry | undefined {
  for (const e of range) if (e.key[7] === uid) return e;
  return undefined;
}
