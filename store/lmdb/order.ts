/**
 * Order marks (keys.ts `ord`, format v6): which object names may hold a revision that is not in
 * force when it is the newest stored. "As of T" is core/scope.ts `currentOf` over the last
 * REORDER_WINDOW rev keys stored at or before T, because a revision can be stored with an earlier
 * time than one that beats it (audit times step back, a merge moves a revision's time or fills in
 * its resourceVersion, a deletion without a resourceVersion, a revision after its uid's deletion).
 *
 * The invariant of a name without a mark: every one of its rev keys is the one `currentOf` picks
 * among itself and the ORDER_WINDOW - 1 keys before it. Then the revision in force at T is the
 * newest key stored at or before T (one key read), for any window up to ORDER_WINDOW: `currentOf`
 * keeps its first candidate unless a later one beats it, and none can.
 *
 * The writer keeps the invariant by checking every place where keys change: a key put (it and the
 * keys after it, whose windows it enters) and a key removed (the keys after it, whose windows reach
 * one further back). A name that fails any check is marked, for good; its reads take the window.
 * A mark is written before (queued writes) or in the same transaction as the key that needs it.
 */
import type { Database } from 'lmdb';
import { currentOf } from '../../core/scope.ts';
import { compareRevKeys, refOfKey, TS_MAX, TS_MIN, type Key, type StoredRevision } from './keys.ts';

/** How many keys (the key and those before it) the writer checks; the stored invariant's window. */
export const ORDER_WINDOW = 8;

/** The name part of a rev key: [cluster, gk, namespace, name]. */
export function nameOf(revKey: Key): Key {
  return revKey.slice(0, 4);
}

/** Whether `currentOf` picks the first of `newestFirst` (a key and the keys before it, newest first). */
export function firstInForce(newestFirst: readonly Key[]): boolean {
  const refs = newestFirst.map(refOfKey);
  return refs.length === 0 || currentOf(refs) === refs[0];
}

export class OrderMarks {
  readonly #ord: Database<1, Key>;
  readonly #rev: Database<StoredRevision, Key>;

  constructor(ord: Database<1, Key>, rev: Database<StoredRevision, Key>) {
    this.#ord = ord;
    this.#rev = rev;
  }

  /** Whether a name may hold a revision out of order (its reads then take the window). */
  marked(name: Key): boolean {
    return this.#ord.get(name) !== undefined;
  }

  mark(name: Key): void {
    this.#ord.put(name, 1);
  }

  /**
   * Before a queued put of `key` (no reads of this call's own writes): `queued` are the keys of
   * the same name this call has queued already. Marks the name unless `key` comes after every key
   * of the name and is in force among the ORDER_WINDOW - 1 before it.
   */
  beforeQueuedPut(key: Key, queued: readonly Key[]): void {
    const name = nameOf(key);
    if (this.marked(name)) return;
    const tail = [...this.#rev.getKeys({ start: [...name, TS_MAX], end: name, reverse: true, limit: ORDER_WINDOW })];
    const before = [...tail, ...queued].sort((a, b) => compareRevKeys(b, a));
    if ((before.length && compareRevKeys(before[0]!, key) >= 0) || !firstInForce([key, ...before.slice(0, ORDER_WINDOW - 1)])) this.mark(name);
  }

  /**
   * Inside a write transaction, after a key of `name` was put or removed at `at`: checks the keys
   * from `at` on whose windows changed (ORDER_WINDOW of them) and marks the name if one fails.
   */
  changedAt(at: Key): void {
    this.check(nameOf(at), at, (_k, i) => i >= ORDER_WINDOW);
  }

  /**
   * Inside a write transaction: checks each key of `name` from `from` on (inclusive) against the
   * keys before it, until `stop(key, index)`; marks the name if one fails.
   */
  check(name: Key, from: Key, stop: (key: Key, index: number) => boolean): void {
    if (this.marked(name)) return;
    const window = [...this.#rev.getKeys({ start: from, end: name, reverse: true, limit: ORDER_WINDOW })].filter((k) => compareRevKeys(k, from) < 0);
    let i = 0;
    for (const k of this.#rev.getKeys({ start: from, end: [...name, TS_MAX] })) {
      if (stop(k, i++)) return;
      if (!firstInForce([k, ...window.slice(0, ORDER_WINDOW - 1)])) {
        this.mark(name);
        return;
      }
      window.unshift(k);
      if (window.length > ORDER_WINDOW) window.pop();
    }
  }

  /** Inside a write transaction, after prune removed keys of `name` before `before`: checks the keys left there and ORDER_WINDOW after. */
  afterPrune(name: Key, before: number): void {
    let after = 0;
    this.check(name, [...name, TS_MIN], (k) => (k[4] as number) >= before && ++after > ORDER_WINDOW);
  }
}
