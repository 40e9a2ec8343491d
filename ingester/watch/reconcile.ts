/**
 * Reconciliation after a gap in the watch (a start without a usable checkpoint, 410 Gone, a
 * failed write): compares what kubetime last recorded for a resource with a fresh list and yields
 * the records that bring history up to date. Pure: no I/O, no clock (the caller passes `now`).
 *
 * - uid not known → ADDED (source relist, gap: the object appeared while unwatched, or this is
 *   the first sight of it; either way its exact time is unknown).
 * - uid known, newer resourceVersion → MODIFIED (relist, gap).
 * - uid known, same (or older: a stale read) resourceVersion → nothing; the revision is recorded.
 * - uid known but absent from the complete list → DELETED (relist, gap, object null: the store
 *   keeps the last known state), with the list's resourceVersion, after which it was gone.
 *
 * The list is fed page by page, so a 50,000-object list never sits in memory at once. `known` is
 * updated as records are produced; the caller must write every record it is handed, or drop
 * `known` and rebuild it from the store.
 */
import type { ChangeRecord } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { buildRecord, identityOf, isNewerRv, type RecordContext, type TrackedMap } from '../records.ts';

export interface ReconcileStats {
  added: number;
  modified: number;
  deleted: number;
  unchanged: number;
  /** List items without uid/name/resourceVersion. */
  invalid: number;
}

export class Reconciler {
  readonly #known: TrackedMap;
  readonly #ctx: RecordContext;
  readonly #inScope: (namespace: string) => boolean;
  readonly #intern: (s: string) => string;
  readonly #seen = new Set<string>();
  readonly stats: ReconcileStats = { added: 0, modified: 0, deleted: 0, unchanged: 0, invalid: 0 };

  constructor(opts: {
    known: TrackedMap;
    ctx: RecordContext;
    /** Objects outside the configured scope are ignored (neither recorded nor deleted). */
    inScope?: (namespace: string) => boolean;
    /** Shares equal namespace strings between tracked entries. */
    intern?: (s: string) => string;
  }) {
    this.#known = opts.known;
    this.#ctx = opts.ctx;
    this.#inScope = opts.inScope ?? (() => true);
    this.#intern = opts.intern ?? ((s) => s);
  }

  /** Records for one page of list items. */
  page(items: readonly unknown[], now: Micros): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    for (const item of items) {
      const id = identityOf(item);
      if (!id) {
        this.stats.invalid++;
        continue;
      }
      if (!this.#inScope(id.namespace)) continue;
      this.#seen.add(id.uid);
      const prev = this.#known.get(id.uid);
      if (prev && !isNewerRv(id.rv, prev.rv)) {
        this.stats.unchanged++;
        continue;
      }
      const op = prev ? 'MODIFIED' : 'ADDED';
      this.stats[prev ? 'modified' : 'added']++;
      out.push(buildRecord(this.#ctx, { op, source: 'relist', id, object: item, now, gap: true }));
      this.#known.set(id.uid, { rv: id.rv, namespace: this.#intern(id.namespace), name: id.name });
    }
    return out;
  }

  /** DELETED records for every known uid the complete list did not contain. */
  finish(listResourceVersion: string, now: Micros): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    for (const [uid, t] of this.#known) {
      if (this.#seen.has(uid) || !this.#inScope(t.namespace)) continue;
      out.push(buildRecord(this.#ctx, {
        op: 'DELETED',
        source: 'relist',
        id: { uid, name: t.name, namespace: t.namespace, rv: t.rv },
        object: null,
        now,
        gap: true,
        resourceVersion: listResourceVersion || t.rv,
      }));
      this.#known.delete(uid);
      this.stats.deleted++;
    }
    return out;
  }
}
