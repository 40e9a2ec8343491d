import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeRecord, KubeObject } from '../../core/record.ts';
import { prng } from '../../simulator/prng.ts';
import { all } from '../../core/scope.ts';
import { LmdbHistoryStore, type LmdbHistoryStoreOptions } from './lmdb-history-store.ts';

// The contract suite (test/contract) covers the behaviour; these cover the writer's two modes
// meeting in one batch, and its cache being too small or empty (after a reopen).

const T0 = Date.UTC(2026, 0, 10) * 1000;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function open(opts: Partial<LmdbHistoryStoreOptions> = {}, dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-writer-'))): LmdbHistoryStore {
  dirs.push(dir);
  return LmdbHistoryStore.open({ path: dir, ...opts });
}

function pod(i: number, rv: number, rand: () => number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'ns', uid: `u${i}`, resourceVersion: String(rv), labels: rand() < 0.5 ? { app: 'a' } : { app: 'a', tier: 'b' } },
    spec: { containers: [{ name: 'c', image: `img:${Math.floor(rand() * 3)}`, env: [{ name: 'E', value: 'v'.repeat(300) }] }] },
    status: rand() < 0.3 ? { phase: 'Pending' } : { phase: 'Running', restarts: Math.floor(rand() * 5), conditions: [{ type: 'Ready', status: rand() < 0.5 ? 'True' : 'False' }] },
  };
}

/** Random revisions of a few Pods, each uid's at increasing times and versions. */
function history(seed: number, pods: number, revisions: number): ChangeRecord[] {
  const rand = prng(seed);
  const out: ChangeRecord[] = [];
  for (let n = 0; n < revisions; n++) {
    const i = Math.floor(rand() * pods);
    const rv = 1000 + n;
    const first = !out.some((r) => r.uid === `u${i}`);
    out.push({
      cluster: 'c', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'ns', name: `p${i}`, uid: `u${i}`,
      resourceVersion: String(rv), op: first ? 'ADDED' : 'MODIFIED', ts: T0 + n * 1000, observedAt: T0 + n * 1000, source: 'watch',
      object: pod(i, rv, rand),
    });
  }
  return out;
}

async function expectStored(store: LmdbHistoryStore, records: readonly ChangeRecord[]): Promise<void> {
  for (const name of new Set(records.map((r) => r.name))) {
    const want = records.filter((r) => r.name === name).sort((a, b) => a.ts - b.ts);
    const got = [];
    for await (const r of store.revisions({ key: { cluster: 'c', gk: 'Pod', namespace: 'ns', name }, order: 'asc' })) got.push(r);
    expect(got.map((r) => [r.resourceVersion, r.object])).toEqual(want.map((r) => [r.resourceVersion, r.object]));
  }
}

function shuffledBatches(records: readonly ChangeRecord[], rand: () => number): ChangeRecord[][] {
  const batches: ChangeRecord[][] = [];
  for (let i = 0; i < records.length;) {
    const n = 1 + Math.floor(rand() * 12);
    const batch = records.slice(i, i + n);
    i += n;
    // Some records twice, some swapped with their neighbour (out of order, possibly within one uid).
    if (rand() < 0.3 && batch.length) batch.push(batch[Math.floor(rand() * batch.length)]!);
    if (rand() < 0.3 && batch.length > 1) batch.unshift(batch.splice(1, 1)[0]!);
    batches.push(batch);
  }
  return batches;
}

describe('LmdbHistoryStore writer', () => {
  for (const [what, opts] of [
    ['with room for every object', {}],
    ['with a cache smaller than the objects', { latestCache: 1, latestPackedCache: 3 }],
    ['rebuilding objects outside a parsed tier of one from the store', { latestCache: 1, latestPackedCache: 64 }],
    ['with chains kept in memory and a cache smaller than the objects', { latestCache: 1, latestPackedCache: 3, keepChains: true }],
    ['with chains kept in memory for every object', { latestCache: 1, latestPackedCache: 64, keepChains: true }],
  ] as const) {
    it(`stores every revision exactly whatever the batching, duplicates and order, ${what}`, async () => {
      const store = open(opts);
      const records = history(1, 8, 300);
      const rand = prng(2);
      let inserted = 0;
      for (const batch of shuffledBatches(records, rand)) inserted += (await store.append(batch)).inserted;
      expect(inserted).toBe(records.length);
      await expectStored(store, records);
      await store.close();
    });
  }

  it('diffs against revisions of the same append not yet committed, beyond its parsed tier', async () => {
    const store = open({ latestCache: 1, latestPackedCache: 64 });
    const records = history(7, 8, 300);
    await store.append(records.slice(0, 20));
    expect((await store.append(records.slice(20))).inserted).toBe(280);
    await expectStored(store, records);
    await store.close();
  });

  it('takes concurrent appends one after another', async () => {
    const store = open({ latestCache: 2, latestPackedCache: 4 });
    const records = history(3, 6, 200);
    const results = await Promise.all(shuffledBatches(records, prng(4)).map((b) => store.append(b)));
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(records.length);
    await expectStored(store, records);
    await store.close();
  });

  it('continues every chain after a reopen, when it remembers nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-writer-'));
    const records = history(5, 5, 120);
    let store = open({}, dir);
    await store.append(records.slice(0, 60));
    await store.close();
    store = open({}, dir);
    for (const batch of shuffledBatches(records.slice(40), prng(6))) await store.append(batch);
    await expectStored(store, records);
    await store.close();
  });
});

describe('LmdbHistoryStore prune', () => {
  it('keeps the content of a revision stored after its uid\'s deletion when the horizon falls between them', async () => {
    const store = open();
    const rand = prng(8);
    const rec = (rv: number, s: number, op: ChangeRecord['op'], object: KubeObject | null): ChangeRecord => ({
      cluster: 'c', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'ns', name: 'p0', uid: 'u0',
      resourceVersion: rv ? String(rv) : '', op, ts: T0 + s * 1e6, observedAt: T0 + s * 1e6, source: 'watch', object,
    });
    // A deletion without a resourceVersion (watch-timed), then revisions of the uid after it: they chain on each other.
    await store.append([rec(1000, 1, 'ADDED', pod(0, 1000, rand)), rec(0, 2, 'DELETED', null), rec(1002, 3, 'MODIFIED', pod(0, 1002, rand))]);
    await store.append([rec(1004, 5, 'MODIFIED', pod(0, 1004, rand))]);
    const key = { cluster: 'c', gk: 'Pod', namespace: 'ns', name: 'p0' };
    const objects = async () => new Map((await all(store.revisions({ key, order: 'asc' }))).map((r) => [r.resourceVersion, r.object]));
    const before = await objects();
    // The uid is gone before the horizon: its revisions before it go, the one after keeps its object.
    expect((await store.prune({ cluster: 'c', before: T0 + 4e6 })).removed).toBe(3);
    const after = await objects();
    expect([...after.keys()]).toEqual(['1004']);
    expect(after.get('1004')).toEqual(before.get('1004'));
    expect(after.get('1004')).not.toBeNull();
    await store.close();
  });
});
