/**
 * Order marks (keys.ts `ord`, format v6): up to which time an object name may hold a revision that
 * is not in force when it is the newest stored. "As of T" is core/scope.ts `currentOf` over the
 * last REORDER_WINDOW rev keys stored at or before T, because a revision can be stored with an
 * earlier time than one that beats it (audit times step back, a merge moves a revision's time or
 * fills in its resourceVersion, a deletion without a resourceVersion, a revision after its uid's
 * deletion).
 *
 * The invariant: a rev key that is not the one `currentOf` picks among itself and the
 * ORDER_WINDOW - 1 keys before it has a time no later than its name's mark (no mark: there is no
 * such key). So when the newest key stored by T is later than the mark, it is the revision in force
 * at T (one key read), for any window up to ORDER_WINDOW: `currentOf` keeps its first candidate
 * unless a later one beats it, and none can.
 *
 * The writer keeps the invariant by checking every key whose window changes: a key put (it and the
 * keys after it, whose windows it enters) and a key removed (the keys after it, whose windows reach
 * one further back); a key that fails raises the mark to its time. A mark only ever rises; it is
 * written before (queued writes) or in the same transaction as the keys that need it, and readers
 * read it after the key, so a reader never sees a key without the mark it needs.
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
  readonly #ord: Database<number, Key>;
  readonly #rev: Database<StoredRevision, Key>;

  constructor(ord: Database<number, Key>, rev: Database<StoredRevision, Key>) {
    this.#ord = ord;
    this.#rev = rev;
  }

  /** The name's mark: no key later than it is out of order (undefined: none is). */
  markOf(name: Key): number | undefined {
    return this.#ord.get(name);
  }

  /** Whether `newest`, the newest rev key stored by some time, is the revision in force then by the mark alone. */
  inForceAlone(newest: Key): boolean {
    const mark = this.markOf(nameOf(newest));
    return mark === undefined || (newest[4] as number) > mark;
  }

  /** Raises the name's mark to `ts` (`known`: a mark already written but maybe not readable yet); returns the mark. */
  #raise(name: Key, ts: number, known = this.markOf(name)): number {
    if (known !== undefined && known >= ts) return known;
    this.#ord.put(name, ts);
    return ts;
  }

  /**
   * Before a queued put of `key`: `queued` holds the keys of the same name this call has queued
   * already and the mark it has written (which a read outside the transaction does not see, and one
   * inside does: a key read and queued counts once). A key that comes after
   * every key of the name and is in force among the ORDER_WINDOW - 1 before it needs no mark; one
   * that is not in force raises the mark to its time; one put before another key raises it to the
   * name's newest time (the keys after it are not read here).
   */
  beforeQueuedPut(key: Key, queued: { keys: Key[]; mark?: number }): void {
    const name = nameOf(key);
    const tail = [...this.#rev.getKeys({ start: [...name, TS_MAX], end: name, reverse: true, limit: ORDER_WINDOW })];
    const unread = queued.keys.filter((q) => !tail.some((k) => compareRevKeys(k, q) === 0));
    const before = [...tail, ...unread].sort((a, b) => compareRevKeys(b, a));
    queued.keys.push(key);
    const ts = before.length && compareRevKeys(before[0]!, key) >= 0 ? (before[0]![4] as number) : !firstInForce([key, ...before.slice(0, ORDER_WINDOW - 1)]) ? (key[4] as number) : undefined;
    if (ts === undefined) return;
    const known = Math.max(this.markOf(name) ?? -Infinity, queued.mark ?? -Infinity);
    queued.mark = this.#raise(name, ts, known === -Infinity ? undefined : known);
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
   * keys before it, until `stop(key, index)`; raises the mark to the latest that fails.
   */
  check(name: Key, from: Key, stop: (key: Key, index: number) => boolean): void {
    const window = [...this.#rev.getKeys({ start: from, end: name, reverse: true, limit: ORDER_WINDOW })].filter((k) => compareRevKeys(k, from) < 0);
    let failed: number | undefined;
    let i = 0;
    for (const k of this.#rev.getKeys({ start: from, end: [...name, TS_MAX] })) {
      if (stop(k, i++)) break;
      if (!firstInForce([k, ...window.slice(0, ORDER_WINDOW - 1)])) failed = k[4] as number;
      window.unshift(k);
      if (window.length > ORDER_WINDOW) window.pop();
    }
    if (failed !== undefined) this.#raise(name, failed);
  }

  /** Inside a write transaction, after prune removed keys of `name` before `before`: checks the keys left there and ORDER_WINDOW after. */
  afterPrune(name: Key, before: number): void {
    let after = 0;
    this.check(name, [...name, TS_MIN], (k) => (k[4] as number) >= before && ++after > ORDER_WINDOW);
  }
}
