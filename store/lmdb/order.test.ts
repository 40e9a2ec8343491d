import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { all, REORDER_WINDOW, Scope } from '../../core/scope.ts';
import type { ChangeRecord, KubeObject, ObjectKey } from '../../core/record.ts';
import { prng } from '../../simulator/prng.ts';
import { LmdbHistoryStore } from './lmdb-history-store.ts';

// Order marks (order.ts): a store that finds the revision in force from the newest key alone where
// the name's mark allows (the default) answers exactly as one that always reads the window
// (`oneKeyInForce: false`, the read path before marks), fed the same records. Each scenario stores revisions in an order where,
// at some time, the newest revision stored is NOT the one in force: without its mark the one-key
// store would answer that newest revision. Each scenario reaches the disorder by one write path.

const T0 = Date.UTC(2026, 0, 10) * 1000;
const SEC = 1_000_000;
const KEY: ObjectKey = { cluster: 'c', gk: 'Pod', namespace: 'ns', name: 'p' };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function pod(name: string, uid: string, rv: string, n: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'ns', uid, resourceVersion: rv, labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', image: 'img:1', env: [{ name: 'E', value: 'v'.repeat(100) }] }] },
    status: { phase: n % 2 ? 'Running' : 'Pending', restarts: n },
  };
}

interface R { uid?: string; rv: string; s: number; op?: ChangeRecord['op']; source?: string; object?: 'none'; name?: string }
function rec(r: R): ChangeRecord {
  const uid = r.uid ?? 'A';
  const name = r.name ?? 'p';
  const op = r.op ?? 'MODIFIED';
  const ts = T0 + r.s * SEC;
  return {
    cluster: 'c', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'ns', name, uid,
    resourceVersion: r.rv, op, ts, observedAt: ts, source: r.source ?? 'watch',
    object: r.object === 'none' ? null : pod(name, uid, r.rv || '0', Math.round(r.s)),
  };
}

type Step = ChangeRecord[] | { prune: number };

/** The write path of the stores (each describe below sets it): `asyncPuts` (the store option) or one transaction per append. */
let writePath = { asyncPuts: false };

/** Runs `check` on two stores fed `steps`: one-key (the default) and window-only. */
async function withStores(steps: Step[], check: (fast: LmdbHistoryStore, window: LmdbHistoryStore) => Promise<void>): Promise<void> {
  const open = (oneKeyInForce: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-order-'));
    dirs.push(dir);
    return LmdbHistoryStore.open({ path: dir, oneKeyInForce, ...writePath });
  };
  const fast = open(true);
  const window = open(false);
  try {
    for (const s of steps) {
      for (const store of [fast, window]) {
        if (Array.isArray(s)) await store.append(s);
        else await store.prune({ cluster: 'c', before: T0 + s.prune * SEC });
      }
    }
    await check(fast, window);
  } finally {
    await fast.close();
    await window.close();
  }
}

const markOf = (store: LmdbHistoryStore, name = KEY.name) => store.dbs.ord!.get([KEY.cluster, KEY.gk, KEY.namespace, name]);
const marked = (store: LmdbHistoryStore, name = KEY.name) => markOf(store, name) !== undefined;
const id = (r: { resourceVersion: string; op: string; uid: string } | undefined) => (r ? `${r.uid}/${r.resourceVersion}/${r.op}` : 'none');

/**
 * At every time around every stored revision of `names`: revisionAt and summaryStatesAt of the
 * one-key store equal the window store's, and revisionAt equals the one composed from the
 * store's revisions (core/scope.ts); the same for `windows`. Returns how many times the newest revision stored by then
 * was not the one in force.
 */
async function expectSameAnswers(fast: LmdbHistoryStore, window: LmdbHistoryStore, names = [KEY.name], windows = [0, 1, 3, REORDER_WINDOW, REORDER_WINDOW + 4]): Promise<number> {
  const scope = new Scope({ store: window });
  let notNewest = 0;
  for (const k of names.map((name) => ({ ...KEY, name }))) {
    const times = new Set<number>([T0 + 1000 * SEC]);
    for (const r of await all(window.revisions({ key: k, order: 'asc', objects: false }))) [r.ts - 1, r.ts, r.ts + 1].forEach((t) => times.add(t));
    for (const t of [...times].sort((a, b) => a - b)) {
      const when = `${k.name} at T0 + ${(t - T0) / SEC} s`;
      const want = await window.revisionAt(k, t, REORDER_WINDOW);
      expect(id(await fast.revisionAt(k, t, REORDER_WINDOW)), when).toBe(id(want));
      expect(await fast.revisionAt(k, t, REORDER_WINDOW)).toEqual(want);
      expect(id(await scope.composedRevisionAt(k, t))).toBe(id(want));
      const [newest] = await all(window.revisions({ key: k, to: t, order: 'desc', limit: 1, objects: false }));
      if (id(newest) !== id(want)) notNewest++;
      // Any window: the one-key path only where the writer's checks cover it (1 to ORDER_WINDOW).
      for (const w of windows) {
        expect(await fast.summaryStatesAt([k], t, w), `summary of ${when}, window ${w}`).toEqual(await window.summaryStatesAt([k], t, w));
        expect(id(await fast.revisionAt(k, t, w)), `${when}, window ${w}`).toBe(id(await window.revisionAt(k, t, w)));
      }
    }
  }
  return notNewest;
}

/** Deletions without a resourceVersion of seven other uids of the name (watch-timed), between A rv 100 and B rv 50. */
const farApart = (): ChangeRecord[] => [
  rec({ uid: 'A', rv: '100', s: 1, op: 'ADDED' }),
  ...[1, 2, 3, 4, 5, 6, 7].map((i) => rec({ uid: `c${i}`, rv: '', s: 1 + i, op: 'DELETED', object: 'none' })),
  rec({ uid: 'B', rv: '50', s: 9, op: 'ADDED' }),
];

for (const asyncPuts of [false, true]) describe(`LmdbHistoryStore order marks${asyncPuts ? ', plain appends as asynchronous puts (asyncPuts)' : ''}`, () => {
  beforeAll(() => {
    writePath = { asyncPuts };
  });
  const cases: [string, Step[]][] = [
    ['a queued append whose audit time is later than a higher resourceVersion', [[rec({ rv: '3', s: 30, op: 'ADDED' })], [rec({ rv: '2', s: 40 })]]],
    ['two queued appends out of order in one batch (the first not yet readable)', [[rec({ rv: '3', s: 30, op: 'ADDED' }), rec({ rv: '2', s: 40 })]]],
    ['a queued first revision of a uid, stored before another uid\'s revision it beats', [[rec({ uid: 'B', rv: '3', s: 40, op: 'ADDED' })], [rec({ uid: 'A', rv: '5', s: 30, op: 'ADDED' })]]],
    ['the same in one batch', [[rec({ uid: 'B', rv: '3', s: 40, op: 'ADDED' }), rec({ uid: 'A', rv: '5', s: 30, op: 'ADDED' })]]],
    // In the append's transaction the keys read include this batch's own: each must count once, or the window shrinks past rv 100.
    ['queued appends in one batch whose revision in force lies six keys back', [[rec({ rv: '100', s: 1, op: 'ADDED' }), ...[40, 41, 42, 43, 44, 45].map((rv, i) => rec({ rv: String(rv), s: 2 + i }))]]],
    ['an insert in a transaction before a revision it beats', [[rec({ rv: '2', s: 10, op: 'ADDED' }), rec({ rv: '3', s: 30 })], [rec({ rv: '5', s: 20 })]]],
    ['an insert in a transaction before several revisions it beats (the mark reaches the last)', [[rec({ rv: '2', s: 10, op: 'ADDED' }), rec({ rv: '3', s: 20 }), rec({ rv: '4', s: 30 })], [rec({ rv: '9', s: 5 })]]],
    ['a revision of a uid stored after its deletion without a resourceVersion', [[rec({ rv: '2', s: 10, op: 'ADDED' }), rec({ rv: '', s: 20, op: 'DELETED', object: 'none', source: 'audit' })], [rec({ rv: '3', s: 30 })]]],
    ['a merge that moves a revision later, in place, past another uid', [
      [rec({ uid: 'A', rv: '3', s: 30, op: 'ADDED' }), rec({ uid: 'B', rv: '5', s: 40, op: 'ADDED' })],
      [rec({ uid: 'A', rv: '3', s: 50, op: 'ADDED', source: 'audit' })],
    ]],
    ['a merge that moves a revision earlier, in place, before another uid\'s revision it beats', [
      [rec({ uid: 'B', rv: '3', s: 40, op: 'ADDED' }), rec({ uid: 'A', rv: '5', s: 50, op: 'ADDED' })],
      [rec({ uid: 'A', rv: '5', s: 30, op: 'ADDED', source: 'audit' })],
    ]],
    ['a merge that moves a revision later past its successor (removed and inserted again)', [
      [rec({ rv: '3', s: 30, op: 'ADDED' }), rec({ rv: '4', s: 40 })],
      [rec({ rv: '3', s: 50, op: 'ADDED', source: 'audit' })],
    ]],
    ['a merge that fills in a deletion\'s resourceVersion, in place', [
      [rec({ uid: 'A', rv: '5', s: 10, op: 'ADDED' }), rec({ uid: 'A', rv: '', s: 20, op: 'DELETED', object: 'none', source: 'audit' }), rec({ uid: 'B', rv: '7', s: 25, op: 'ADDED' })],
      [rec({ uid: 'A', rv: '9', s: 30, op: 'DELETED', object: 'none' })],
    ]],
    ['a merge that moves a revision away in place: the keys after it reach an older revision that beats them', [
      farApart(),
      [rec({ uid: 'c1', rv: '', s: 20, op: 'DELETED', object: 'none', source: 'audit' })],
    ]],
    ['a merge that removes a revision to insert it with its object: the keys after it reach an older one', [
      farApart(),
      [rec({ uid: 'c1', rv: '', s: 20, op: 'DELETED', source: 'audit' })],
    ]],
    ['prune: the revisions left after the horizon reach one before it that beats them', [farApart(), { prune: 8.5 }]],
  ];

  for (const [what, steps] of cases) {
    it(`marks the name and answers as the window does: ${what}`, async () => {
      await withStores(steps, async (fast, window) => {
        expect(marked(window)).toBe(true); // the writer keeps marks whatever the reads do
        expect(marked(fast)).toBe(true);
        expect(await expectSameAnswers(fast, window)).toBeGreaterThan(0);
      });
    });
  }

  it('checks the window of REORDER_WINDOW keys only: a revision further back that would win is no disorder, and a wider window reads the keys', async () => {
    await withStores([farApart()], async (fast, window) => {
      expect(marked(fast)).toBe(false);
      expect((await fast.revisionAt(KEY, T0 + 10 * SEC, REORDER_WINDOW))?.resourceVersion).toBe('50');
      expect((await fast.revisionAt(KEY, T0 + 10 * SEC, REORDER_WINDOW + 1))?.resourceVersion).toBe('100');
      expect(await expectSameAnswers(fast, window)).toBe(0);
    });
  });

  it('marks only up to the time of the disorder: revisions stored after it read one key', async () => {
    await withStores([
      [rec({ rv: '3', s: 30, op: 'ADDED' })], [rec({ rv: '2', s: 40 })], // rv 2 at 40 s is not in force (rv 3 is)
      [rec({ rv: '4', s: 50 }), rec({ rv: '5', s: 60 })],
    ], async (fast, window) => {
      expect(markOf(fast)).toBe(T0 + 40 * SEC);
      expect(await expectSameAnswers(fast, window)).toBeGreaterThan(0);
    });
  });

  it('never lowers a mark: a later check that fails only at earlier times keeps it', async () => {
    await withStores([
      Array.from({ length: 12 }, (_, i) => rec({ rv: String(i + 1), s: 10 * (i + 1), op: i ? 'MODIFIED' : 'ADDED' })),
      [rec({ uid: 'B', rv: '6', s: 130, op: 'ADDED' })], // beaten by rv 12: marked at 130 s
      [rec({ rv: '100', s: 15 })], // inserted in a transaction: the keys after it up to 80 s fail
    ], async (fast, window) => {
      expect(markOf(fast)).toBe(T0 + 130 * SEC);
      expect(await expectSameAnswers(fast, window)).toBeGreaterThan(0);
    });
  });

  it('leaves names whose revisions arrive in order unmarked: audit times that move a revision earlier, delete and recreate, deletions without a resourceVersion, prune', async () => {
    const steps: Step[] = [
      [rec({ rv: '1', s: 1, op: 'ADDED' }), ...Array.from({ length: 20 }, (_, i) => rec({ rv: String(2 + i), s: 2 + i }))],
      [rec({ rv: '5', s: 4.5, source: 'audit' }), rec({ rv: '21', s: 20.5, source: 'audit' })],
      [rec({ rv: '', s: 30, op: 'DELETED', object: 'none', source: 'audit' }), rec({ uid: 'B', rv: '40', s: 31, op: 'ADDED' }), rec({ uid: 'B', rv: '41', s: 32 })],
      [rec({ uid: 'B', rv: '42', s: 33, op: 'DELETED' }), rec({ uid: 'C', rv: '50', s: 34, op: 'ADDED' })],
      { prune: 25 },
    ];
    await withStores(steps, async (fast, window) => {
      expect(marked(fast)).toBe(false);
      expect(await expectSameAnswers(fast, window)).toBe(0);
    });
  });

  /**
   * Random records of `names` (3 uids each): appends mostly in order, `late` of them stored late,
   * copies from the other source with their time moved (earlier mostly, as audit times are; later
   * with `late`), duplicates, deletions with and without a resourceVersion or object, batches, prunes.
   */
  function randomSteps(seed: number, names: string[], late: number): Step[] {
    const rand = prng(seed);
    const made: ChangeRecord[] = [];
    const steps: Step[] = [];
    let batch: ChangeRecord[] = [];
    for (let n = 0; n < 300; n++) {
      const name = names[Math.floor(rand() * names.length)]!;
      const uid = `${name}-u${Math.floor(rand() * 3)}`;
      const p = rand();
      let r: ChangeRecord;
      if (p < 0.15 && made.length) {
        const old = made[Math.floor(rand() * made.length)]!;
        const shift = rand() < late ? (rand() - 0.3) * 20 : -rand() * 0.5;
        r = { ...old, ts: old.ts + Math.round(shift * SEC), source: rand() < 0.7 ? 'audit' : 'watch', ...(rand() < 0.3 ? { object: null } : {}) };
        if (old.op === 'DELETED' && !old.resourceVersion && rand() < 0.5) r.resourceVersion = String(1000 + n);
      } else if (p < 0.2 && made.length) {
        r = made[Math.floor(rand() * made.length)]!; // a duplicate
      } else {
        const deleted = rand() < 0.08;
        const s = n + (rand() < late ? Math.round((rand() - 0.7) * 12) : 0);
        r = rec({ name, uid, rv: deleted && rand() < 0.5 ? '' : String(1000 + n), s, op: deleted ? 'DELETED' : 'MODIFIED', ...(deleted && rand() < 0.5 ? { object: 'none' as const } : {}), source: rand() < 0.5 ? 'audit' : 'watch' });
      }
      made.push(r);
      batch.push(r);
      if (rand() < 0.15) {
        steps.push(batch);
        batch = [];
      }
      if (rand() < 0.01) steps.push({ prune: n - 40 });
    }
    steps.push(batch);
    return steps;
  }

  for (const [late, names, seed] of [[0.5, 6, 16], [0.03, 30, 17]] as const) {
    it(`answers as the window does after random appends, merges, duplicates and prunes (300 records, ${names} names, ${late * 100}% late)`, async () => {
      const all = Array.from({ length: names }, (_, i) => `n${i}`);
      await withStores(randomSteps(seed, all, late), async (fast, window) => {
        expect(await expectSameAnswers(fast, window, all)).toBeGreaterThan(0);
        const marks = all.filter((n) => marked(fast, n)).length;
        expect(marks).toBeGreaterThan(0);
        // Mostly in order: most names read one key.
        if (late < 0.1) expect(marks).toBeLessThan(names / 2);
      });
    });
  }
});
