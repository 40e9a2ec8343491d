/**
 * A bounded cache of materialized revisions' JSON text (LmdbHistoryStore.objectTextsAt): a list
 * as of T asked again serves each object's text without rebuilding, parsing or stringifying it.
 *
 * Keyed by the revision's rev key (keys.ts) and the view it was rendered in (core/ports.ts
 * TextVariant). A rev key's content never changes while the key stays stored: the writer keeps
 * every other revision's content when it inserts, removes or re-encodes one (revision-writer.ts),
 * and a merge keeps a revision's object unless it was unknown (core/record.ts mergeRecords; an
 * unknown object is never cached). What can change a key's content is its removal and a later
 * put of the same key (a merge that moves or fills in a revision, prune and then the same record
 * again); the store drops a key from here on every put or removal of it, once when it is written
 * and again once the write is committed (a read between the two sees the old snapshot and may
 * cache it). Within one write a key that stays stored never changes from one known object to
 * another (a remove and insert of the same key happens only to fill in an unknown object), so the
 * second drop guards the cache against a writer that would, not against one that does today.
 * A write of more than a few thousand revisions (a prune, a backfill) empties the cache instead.
 *
 * Least recently used entries go first once the texts exceed `maxBytes`, counted as their length
 * (V8 keeps a JSON text of ASCII one byte a character, the usual case; a text with other
 * characters takes two bytes each, up to twice the cap; the keys add ~150 bytes an entry). Texts
 * are kept as strings, as JSON.stringify and a full copy's inflated text give them: a list joins
 * them into its answer, which fastify encodes once (held as Buffers, every text was encoded, copied
 * and joined again: bench/results/issue-16.md §18).
 */
import { LRUCache } from 'lru-cache';
import type { Key } from './keys.ts';

export class TextCache {
  readonly maxBytes: number;
  readonly #entries: LRUCache<string, string>;
  /** The view names cached so far: a key is dropped in each. */
  readonly #views = new Set<string>();
  /** Lookups answered and not, since the cache was made (metrics: kubetime_text_cache_*). */
  hits = 0;
  misses = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
    this.#entries = new LRUCache<string, string>({ maxSize: maxBytes, sizeCalculation: (t) => Math.max(1, t.length) });
  }

  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  get size(): number {
    return this.#entries.size;
  }

  static id(view: string, key: Key): string {
    return `${view}\0${JSON.stringify(key)}`;
  }

  get(id: string): string | undefined {
    const text = this.#entries.get(id);
    if (text === undefined) this.misses++;
    else this.hits++;
    return text;
  }

  set(view: string, id: string, text: string): void {
    if (text.length > this.maxBytes) return;
    this.#views.add(view);
    this.#entries.set(id, text);
  }

  /** Drops every view of the revision at `key`. */
  drop(key: Key): void {
    if (this.#entries.size === 0) return;
    const k = JSON.stringify(key);
    for (const view of this.#views) this.#entries.delete(`${view}\0${k}`);
  }

  clear(): void {
    this.#entries.clear();
  }
}
