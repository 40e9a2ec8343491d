import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { all, REORDER_WINDOW } from '../../core/scope.ts';
import { VIEW_TEXTS } from '../../core/present/view.ts';
import type { ChangeRecord, KubeObject, ObjectKey } from '../../core/record.ts';
import { prng } from '../../simulator/prng.ts';
import { LmdbHistoryStore } from './lmdb-history-store.ts';
import { TextCache } from './text-cache.ts';

// The text cache (text-cache.ts) never answers other than the store rebuilds: a store with it
// (the default) and one without (`textCacheBytes: 0`), fed the same records step by step, give
// the same bytes at every time around every revision after every step, and both equal
// JSON.stringify of the view of the object revisionAt rebuilds. Each step's reads fill the cache
// before the next step writes, so an entry the writer failed to drop would be served stale.

const T0 = Date.UTC(2026, 0, 10) * 1000;
const SEC = 1_000_000;
const KEY: ObjectKey = { cluster: 'c', gk: 'Pod', namespace: 'ns', name: 'p' };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A Pod; `via` marks which source's copy it is (an audit's responseObject and a watch's object of one revision may differ). */
function pod(name: string, uid: string, rv: string, n: number, via: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'ns', uid, resourceVersion: rv, labels: { app: 'a' }, annotations: { via, 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      ...(n % 3 ? { managedFields: [{ manager: 'kubelet', operation: 'Update' }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'img:1', env: [{ name: 'E', value: 'v'.repeat(100) }] }] },
    status: { phase: n % 2 ? 'Running' : 'Pending', restarts: n },
  };
}

interface R { uid?: string; rv: string; s: number; op?: ChangeRecord['op']; source?: string; object?: 'none'; name?: string; n?: number }
function rec(r: R): ChangeRecord {
  const uid = r.uid ?? 'A';
  const name = r.name ?? 'p';
  const ts = T0 + Math.round(r.s * SEC);
  const source = r.source ?? 'watch';
  return {
    cluster: 'c', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'ns', name, uid,
    resourceVersion: r.rv, op: r.op ?? 'MODIFIED', ts, observedAt: ts, source,
    object: r.object === 'none' ? null : pod(name, uid, r.rv || '0', r.n ?? Math.round(r.s), source),
  };
}

type Step = ChangeRecord[] | { prune: number };

function open(textCacheBytes?: number): LmdbHistoryStore {
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-text-'));
  dirs.push(dir);
  return LmdbHistoryStore.open({ path: dir, ...(textCacheBytes === undefined ? {} : { textCacheBytes }) });
}

const text = (t: string | null) => t;

/** Every time around every stored revision of `names`, both views, one name at a time and all at once. Returns how many texts were compared. */
async function expectSameTexts(cached: LmdbHistoryStore, plain: LmdbHistoryStore, names: string[]): Promise<number> {
  let compared = 0;
  const keys = names.map((name) => ({ ...KEY, name }));
  const times = new Set<number>([T0 + 10_000 * SEC]);
  for (const k of keys) for (const r of await all(plain.revisions({ key: k, order: 'asc', objects: false }))) [r.ts - 1, r.ts, r.ts + 1].forEach((t) => times.add(t));
  for (const t of [...times].sort((a, b) => a - b)) {
    for (const variant of [VIEW_TEXTS.raw, VIEW_TEXTS.full]) {
      const rebuilt = await Promise.all(keys.map(async (k) => {
        const r = await plain.revisionAt(k, t, REORDER_WINDOW);
        return r && r.op !== 'DELETED' && r.object ? JSON.stringify(variant.show(r.object)) : null;
      }));
      const when = `at T0 + ${(t - T0) / SEC} s, ${variant.name}`;
      expect((await plain.objectTextsAt(keys, t, REORDER_WINDOW, variant)).map(text), `without the cache ${when}`).toEqual(rebuilt);
      // Twice: the second reads what the first cached.
      for (let pass = 0; pass < 2; pass++) expect((await cached.objectTextsAt(keys, t, REORDER_WINDOW, variant)).map(text), `with the cache ${when}`).toEqual(rebuilt);
      compared += keys.length;
    }
  }
  return compared;
}

async function run(steps: Step[], names: string[]): Promise<LmdbHistoryStore> {
  const cached = open();
  const plain = open(0);
  for (const s of steps) {
    for (const store of [cached, plain]) {
      if (Array.isArray(s)) await store.append(s);
      else await store.prune({ cluster: 'c', before: T0 + s.prune * SEC });
    }
    await expectSameTexts(cached, plain, names);
  }
  expect(cached.textCache!.entries).toBeGreaterThan(0);
  expect(plain.textCache).toBeUndefined();
  return cached;
}

describe('LmdbHistoryStore text cache (objectTextsAt)', () => {
  it('serves a stored full copy\'s text as it is, and the same text JSON.stringify gives of the rebuilt object', async () => {
    const store = open(0);
    await store.append([rec({ rv: '1', s: 1, op: 'ADDED' }), rec({ rv: '2', s: 2 })]);
    for (const variant of [VIEW_TEXTS.raw, VIEW_TEXTS.full]) {
      for (const s of [1, 2]) {
        const [t] = await store.objectTextsAt([KEY], T0 + s * SEC, REORDER_WINDOW, variant);
        expect(text(t!)).toBe(JSON.stringify(variant.show((await store.revisionAt(KEY, T0 + s * SEC, REORDER_WINDOW))!.object!)));
      }
    }
  });

  /** Prune, and the records pruned come back from the other source (an audit's copy where the watch's was), with other content. */
  const storedAgain = (): Step[] => [
    [rec({ rv: '1', s: 1, op: 'ADDED', source: 'watch' }), rec({ rv: '2', s: 2, source: 'watch' }), rec({ rv: '3', s: 3, source: 'watch' })],
    { prune: 2.5 },
    [rec({ rv: '1', s: 1, op: 'ADDED', source: 'audit' }), rec({ rv: '2', s: 2, source: 'audit' })],
    // An update without its object shows its predecessor's state, which just changed.
    [rec({ rv: '4', s: 4, object: 'none' })],
  ];

  it('drops a revision pruned and stored again with other content (the audit\'s copy where the watch\'s was)', async () => {
    const cached = await run(storedAgain(), ['p']);
    expect(cached.textCache!.bytes).toBeGreaterThan(0);
  });

  it('answers as without it after merges that move and fill in revisions, late revisions and deletions', async () => {
    await run([
      [rec({ rv: '5', s: 5, op: 'ADDED', object: 'none' }), rec({ rv: '7', s: 7 })],
      [rec({ rv: '4', s: 4, op: 'ADDED' })], // late, before a revision without its object
      [rec({ rv: '5', s: 5, source: 'audit' })], // fills in the object
      [rec({ rv: '7', s: 3, source: 'audit' })], // the audit's time moves it earlier
      [rec({ rv: '9', s: 9, op: 'DELETED', object: 'none' }), rec({ uid: 'B', rv: '10', s: 10, op: 'ADDED' })],
      [rec({ rv: '7', s: 8, source: 'audit', n: 99 })], // a later audit copy: the earlier time stays
      { prune: 9.5 },
      [rec({ rv: '5', s: 5, source: 'watch', n: 42 }), rec({ rv: '7', s: 6, source: 'watch', n: 43 })],
    ], ['p']);
  });

  /** Random records of `names` (as order.test.ts's): late ones, copies from the other source with their own object and moved times, duplicates, deletions, prunes. */
  function randomSteps(seed: number, names: string[], late: number): Step[] {
    const rand = prng(seed);
    const made: R[] = [];
    const steps: Step[] = [];
    let batch: ChangeRecord[] = [];
    for (let n = 0; n < 160; n++) {
      const name = names[Math.floor(rand() * names.length)]!;
      const uid = `${name}-u${Math.floor(rand() * 2)}`;
      const p = rand();
      let r: R;
      if (p < 0.2 && made.length) {
        const old = made[Math.floor(rand() * made.length)]!;
        r = { ...old, s: old.s + (rand() < late ? (rand() - 0.3) * 20 : -rand() * 0.5), source: old.source === 'audit' ? 'watch' : 'audit', n: n + 500, ...(rand() < 0.3 ? { object: 'none' as const } : {}) };
      } else if (p < 0.25 && made.length) {
        r = made[Math.floor(rand() * made.length)]!; // a duplicate
      } else {
        const deleted = rand() < 0.08;
        r = {
          name, uid, rv: deleted && rand() < 0.5 ? '' : String(1000 + n), s: n + (rand() < late ? Math.round((rand() - 0.7) * 12) : 0),
          op: deleted ? 'DELETED' : 'MODIFIED', source: rand() < 0.5 ? 'audit' : 'watch', n,
          ...((deleted && rand() < 0.5) || rand() < 0.05 ? { object: 'none' as const } : {}),
        };
      }
      made.push(r);
      batch.push(rec(r));
      if (rand() < 0.2) {
        steps.push(batch);
        batch = [];
      }
      if (rand() < 0.04) steps.push({ prune: n - 30 });
    }
    steps.push(batch);
    return steps;
  }

  for (const [late, names, seed] of [[0.4, 3, 21], [0.05, 8, 22]] as const) {
    it(`answers as without it after random appends, merges, duplicates and prunes (160 records, ${names} names, ${late * 100}% late)`, async () => {
      await run(randomSteps(seed, Array.from({ length: names }, (_, i) => `n${i}`), late), Array.from({ length: names }, (_, i) => `n${i}`));
    });
  }

  it('answers as without it when reads run while writes are in flight', async () => {
    const cached = open();
    const plain = open(0);
    const names = ['p'];
    for (const s of [...storedAgain(), ...randomSteps(23, names, 0.3)]) {
      const writes = [cached, plain].map((store) => (Array.isArray(s) ? store.append(s) : store.prune({ cluster: 'c', before: T0 + s.prune * SEC })));
      let settled = false;
      const done = Promise.all(writes).finally(() => (settled = true));
      // Read every time of the name as of before and during the write, filling the cache from old snapshots.
      while (!settled) {
        await cached.objectTextsAt([KEY], T0 + 10_000 * SEC, REORDER_WINDOW, VIEW_TEXTS.raw);
        for (const r of await all(cached.revisions({ key: KEY, order: 'asc', objects: false }))) await cached.objectTextsAt([KEY], r.ts, REORDER_WINDOW, VIEW_TEXTS.raw);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await done;
      await expectSameTexts(cached, plain, names);
    }
  });

  it('empties itself on a write of more revisions than it drops one by one, and answers as without it', async () => {
    const cached = open();
    const plain = open(0);
    const steps: Step[] = [...storedAgain().slice(0, 1), Array.from({ length: 4200 }, (_, n) => rec({ name: `bulk-${n % 700}`, uid: `b${n % 700}`, rv: String(5000 + n), s: 10 + n / 100 }))];
    for (const s of steps) {
      await Promise.all([cached, plain].map((store) => store.append(s as ChangeRecord[])));
      if (s === steps[0]) {
        await expectSameTexts(cached, plain, ['p']);
        expect(cached.textCache!.entries).toBeGreaterThan(0);
      }
    }
    expect(cached.textCache!.entries).toBe(0);
    await expectSameTexts(cached, plain, ['p', 'bulk-1', 'bulk-699']);
  });

  it('keeps at most its bytes, least recently used out first, and drops a key in every view', () => {
    const cache = new TextCache(100);
    const key = (n: number) => ['c', 'Pod', 'ns', `p${n}`, n, 0, n, 'u'];
    for (let n = 0; n < 5; n++) cache.set('raw', TextCache.id('raw', key(n)), 'x'.repeat(30));
    expect(cache.bytes).toBe(90);
    expect(cache.get(TextCache.id('raw', key(0)))).toBeUndefined();
    expect(cache.get(TextCache.id('raw', key(2)))).toBeDefined(); // now the most recent
    cache.set('full', TextCache.id('full', key(2)), 'x'.repeat(10));
    cache.set('raw', TextCache.id('raw', key(9)), 'x'.repeat(30));
    expect(cache.get(TextCache.id('raw', key(3)))).toBeUndefined();
    expect(cache.get(TextCache.id('raw', key(2)))).toBeDefined();
    cache.drop(key(2));
    expect([cache.get(TextCache.id('raw', key(2))), cache.get(TextCache.id('full', key(2)))]).toEqual([undefined, undefined]);
    expect(cache.bytes).toBe(60);
    cache.set('raw', 'big', 'x'.repeat(101));
    expect(cache.get('big')).toBeUndefined();
  });
});
