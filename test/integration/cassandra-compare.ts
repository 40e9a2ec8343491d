/**
 * Asserts that two HistoryStores answer a workload's queries identically: revisions (full, as of
 * T, windows), summary states as of T, lifetimes (by name, by kind, alive at T), and the change feed (filters, limits).
 */
import { expect } from 'vitest';
import type { HistoryStore, Lifetime } from '../../core/ports.ts';
import { groupKind, type ChangeRecord, type ObjectKey } from '../../core/record.ts';
import { prng, type Workload } from './cassandra-workload.ts';

const SEC = 1_000_000;

export async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const lifeKey = (l: Lifetime) => `${l.key.gk}|${l.key.namespace}|${l.key.name}|${l.from}|${l.uid}`;
export const sortLives = (ls: Lifetime[]) => [...ls].sort((a, b) => (lifeKey(a) < lifeKey(b) ? -1 : 1));

export function keysOf(records: readonly ChangeRecord[]): ObjectKey[] {
  const seen = new Map(records.map((r) => [`${r.cluster}|${groupKind(r.group, r.kind)}|${r.namespace}|${r.name}`, r]));
  return [...seen.values()].map((r) => ({ cluster: r.cluster, gk: groupKind(r.group, r.kind), namespace: r.namespace, name: r.name }));
}

export class StoreComparison {
  readonly #a: HistoryStore;
  readonly #b: HistoryStore;
  readonly #w: Workload;
  readonly #keys: ObjectKey[];

  /** `actual` is checked against `expected` (the reference store). */
  constructor(actual: HistoryStore, expected: HistoryStore, w: Workload) {
    this.#a = actual;
    this.#b = expected;
    this.#w = w;
    this.#keys = keysOf(w.deliveries);
  }

  async same<T>(q: (s: HistoryStore) => AsyncIterable<T>, norm: (x: T[]) => unknown = (x) => x): Promise<void> {
    expect(norm(await all(q(this.#a)))).toEqual(norm(await all(q(this.#b))));
  }

  async revisions(): Promise<void> {
    const rnd = prng(5);
    const w = this.#w;
    for (const key of this.#keys) {
      await this.same((s) => s.revisions({ key, order: 'asc' }));
      await this.same((s) => s.revisions({ key, order: 'desc' }));
      for (let i = 0; i < 4; i++) {
        const t = w.from + Math.floor(rnd() * (w.to - w.from));
        await this.same((s) => s.revisions({ key, order: 'desc', to: t, limit: 1 }));
        await this.same((s) => s.revisions({ key, order: 'asc', from: t, to: t + 1200 * SEC }));
      }
    }
  }

  /**
   * summaryStatesAt of every key at once, around every stored time and at random ones, for windows
   * of 1, 3 and 8 (both stores must offer it).
   */
  async summaries(): Promise<void> {
    const rnd = prng(17);
    const w = this.#w;
    const times = new Set<number>();
    for (const r of w.deliveries) [r.ts - 1, r.ts].forEach((t) => times.add(t));
    for (let i = 0; i < 25; i++) times.add(w.from + Math.floor(rnd() * (w.to - w.from)));
    for (const t of times) {
      for (const window of [1, 3, 8]) {
        expect(await this.#a.summaryStatesAt!(this.#keys, t, window), `at ${t}, window ${window}`).toEqual(await this.#b.summaryStatesAt!(this.#keys, t, window));
      }
    }
  }

  async lifetimes(): Promise<void> {
    const rnd = prng(11);
    const w = this.#w;
    await this.same((s) => s.lifetimes({ cluster: 'c1' }), sortLives);
    for (const key of this.#keys) await this.same((s) => s.lifetimes({ cluster: 'c1', gk: key.gk, namespace: key.namespace, name: key.name }), sortLives);
    for (let i = 0; i < 25; i++) {
      const at = w.from - 60 * SEC + Math.floor(rnd() * (w.to - w.from + 120 * SEC));
      await this.same((s) => s.lifetimes({ cluster: 'c1', aliveAt: at }), sortLives);
      await this.same((s) => s.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', aliveAt: at }), sortLives);
      await this.same((s) => s.lifetimes({ cluster: 'c1', gk: 'Event', aliveAt: at }), sortLives);
    }
  }

  async feed(): Promise<void> {
    const rnd = prng(13);
    const w = this.#w;
    await this.same((s) => s.feed({ cluster: 'c1', from: w.from, to: w.to, order: 'asc' }));
    await this.same((s) => s.feed({ cluster: 'c1', from: w.from, to: w.to, order: 'desc', namespace: 'shop' }));
    await this.same((s) => s.feed({ cluster: 'c1', from: w.from, to: w.to, order: 'desc', namespace: '' }));
    for (let i = 0; i < 10; i++) {
      const from = w.from + Math.floor(rnd() * (w.to - w.from));
      const to = from + Math.floor(rnd() * 1800 * SEC);
      await this.same((s) => s.feed({ cluster: 'c1', from, to, order: 'desc', limit: 7 }));
      await this.same((s) => s.feed({ cluster: 'c1', from, to, order: 'asc', gk: 'Pod' }));
      await this.same((s) => s.feed({ cluster: 'c1', from, to, order: 'asc', gk: 'Pod', namespace: 'web', name: 'pod-1' }));
    }
  }

  async everything(): Promise<void> {
    await this.revisions();
    await this.lifetimes();
    await this.feed();
    expect(await this.#a.clusters()).toEqual(await this.#b.clusters());
  }
}
