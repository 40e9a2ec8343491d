import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it, vi } from 'vitest';
import { TRUSTED_VIEWER } from '../../core/access.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import type { ChangeRecord, KubeObject } from '../../core/record.ts';
import { at } from '../fixtures/two-namespaces.ts';
import { LMDB_FORMAT, LmdbHistoryStore, stampFormat } from '../../store/lmdb/lmdb-history-store.ts';
import { slimKey } from '../../store/lmdb/slim-rows.ts';
import { CHAIN_MAX } from '../../store/lmdb/keys.ts';
import { slimForSummary } from '../../core/present/slim.ts';
import { historyStoreContract, pod, rec } from './history-store.contract.ts';
import { expectSameSummaryLists, slimListRecords } from './summary-lists.ts';

// The default (one write transaction per append) and the write path before it (plain appends as asynchronous puts).
for (const asyncPuts of [false, true]) {
  historyStoreContract(asyncPuts ? 'LmdbHistoryStore (asyncPuts)' : 'LmdbHistoryStore', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-'));
    let store = LmdbHistoryStore.open({ path: dir, asyncPuts });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = LmdbHistoryStore.open({ path: dir, asyncPuts });
        return store;
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

describe('LmdbHistoryStore format', () => {
  it('stamps a new store and refuses one of another format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-format-'));
    try {
      const store = LmdbHistoryStore.open({ path: dir });
      await store.close();
      const raw = open({ path: dir, maxDbs: 16 });
      expect(raw.openDB({ name: 'meta' }).get(['format'])).toBe('kubetime.lmdb/v6');
      await raw.openDB({ name: 'meta' }).put(['format'], 'kubetime.lmdb/v0');
      await raw.close();
      expect(() => LmdbHistoryStore.open({ path: dir })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ param: 'data-dir', expected: LMDB_FORMAT }) }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs `check` on a store stamped with an older `format` before first opened; the stamp must stay. */
async function withOlderFormat(format: string, check: (store: LmdbHistoryStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-older-'));
  try {
    await stampFormat(dir, format);
    const store = LmdbHistoryStore.open({ path: dir });
    await check(store);
    await store.close();
    const again = open({ path: dir, maxDbs: 16 });
    expect(again.openDB({ name: 'meta' }).get(['format'])).toBe(format);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('LmdbHistoryStore format v5 (before order marks)', () => {
  it('still reads and writes a v5 store as v5, with slim rows and without order marks: revisions stored out of order are found by the window', async () => {
    await withOlderFormat('kubetime.lmdb/v5', async (store) => {
      // rv 3 is stored before rv 2, which an audit time puts later: rv 3 stays in force.
      const r3 = rec({ name: 'a', uid: 'u1', rv: '3', ts: 10, op: 'ADDED' });
      await store.append([r3]);
      await store.append([rec({ name: 'a', uid: 'u1', rv: '2', ts: 20, op: 'MODIFIED' })]);
      expect(store.dbs.ord).toBeUndefined();
      expect(store.dbs.sum).toBeDefined();
      const key = { cluster: r3.cluster, gk: 'Pod', namespace: r3.namespace, name: 'a' };
      expect((await store.revisionAt(key, 25, 8))?.resourceVersion).toBe('3');
      expect(await store.summaryStatesAt([key], 25, 8)).toEqual([slimForSummary(r3.object!)]);
    });
  });
});

describe('LmdbHistoryStore format v4 (before slim rows)', () => {
  it('still reads and writes a v4 store as v4, without slim rows: its summary lists read objects in full', async () => {
    await withOlderFormat('kubetime.lmdb/v4', async (store) => {
      const r = rec({ name: 'a', uid: 'u1', rv: '1', ts: 10, op: 'ADDED' });
      await store.append([r]);
      expect(store.dbs.sum).toBeUndefined();
      expect(await store.summaryStatesAt([{ cluster: r.cluster, gk: 'Pod', namespace: r.namespace, name: 'a' }], 20, 8)).toEqual(['full']);
      const q = createHistoryQueries({ store });
      const list = (summary: boolean) => q.listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: r.namespace, at: 20, summary });
      expect((await list(true)).items).toEqual((await list(false)).items);
    });
  });
});

describe('LmdbHistoryStore format v3 (values that describe their own records)', () => {
  it('still reads and writes a v3 store as v3, and a new store shares its record structures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-v3-'));
    const fresh = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-v4-'));
    try {
      await stampFormat(dir, 'kubetime.lmdb/v3');
      const records = [rec({ name: 'a', uid: 'u1', rv: '1', ts: 10, op: 'ADDED' }), rec({ name: 'a', uid: 'u1', rv: '2', ts: 20, op: 'MODIFIED', object: pod('a', 'u1', '2', { status: { phase: 'Running' } }) })];
      for (const path of [dir, fresh]) {
        const store = LmdbHistoryStore.open({ path });
        await store.append(records);
        await store.close();
        const again = LmdbHistoryStore.open({ path });
        const got = [];
        for await (const r of again.revisions({ key: { cluster: records[0]!.cluster, gk: 'Pod', namespace: records[0]!.namespace, name: 'a' }, order: 'asc' })) got.push(r);
        await again.close();
        expect(got.map((r) => r.object)).toEqual(records.map((r) => r.object));
        // Slim rows only in the current format: a v3 store's lists read objects in full.
        const reader = LmdbHistoryStore.open({ path });
        expect(await reader.summaryStatesAt([{ cluster: records[0]!.cluster, gk: 'Pod', namespace: records[0]!.namespace, name: 'a' }], 25, 8)).toEqual([path === dir ? 'full' : slimForSummary(records[1]!.object!)]);
        await reader.close();
      }
      // Opened without any shared structures (as v3 code does), the v3 store's values decode in
      // full; the new store's values need the structures stored beside them.
      const readRaw = async (path: string) => {
        const env = open({ path, maxDbs: 16 });
        try {
          return [...env.openDB<Record<string, unknown>>({ name: 'rev' }).getRange({})].map((e) => e.value);
        } finally {
          await env.close();
        }
      };
      expect((await readRaw(dir)).map((v) => v.op)).toEqual(['ADDED', 'MODIFIED']);
      await expect(readRaw(fresh)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});

describe('LmdbHistoryStore slim rows (summary lists as of T)', () => {
  const records = slimListRecords;

  async function withStore(run: (store: LmdbHistoryStore, dir: string) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-slim-'));
    const store = LmdbHistoryStore.open({ path: dir });
    try {
      await run(store, dir);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const expectSameLists = expectSameSummaryLists;

  it('answers every summary list exactly as from full objects, whoever asks, reading slim rows', async () => {
    await withStore(async (store) => {
      await store.append(records());
      const slim = vi.spyOn(store, 'summaryStatesAt');
      await expectSameLists(store);
      expect(slim).toHaveBeenCalled();
      // A custom resource (its CRD's columns read any field) stays on the full path.
      slim.mockClear();
      await createHistoryQueries({ store }).listAt({ viewer: TRUSTED_VIEWER, kind: 'widgets.example.com', at: at(3), summary: true });
      expect(slim).not.toHaveBeenCalled();
    });
  });

  it('keeps one slim row per revision but deletions, moved by merges and gone with pruned revisions', async () => {
    await withStore(async (store) => {
      const all = records();
      await store.append(all.filter((_, i) => i % 2 === 0));
      await store.append(all.filter((_, i) => i % 2 === 1)); // late arrivals land inside chains
      // Audit copies of watched revisions, earlier: each merge moves its revision's key.
      await store.append(all.filter((r) => r.kind === 'Pod' && r.op === 'MODIFIED').slice(0, 20).map((r) => ({ ...r, ts: r.ts - 20_000_000, source: 'audit', actor: { username: 'kubelet' } })));
      const rows = () => ({ rev: [...store.dbs.rev.getKeys({})].filter((k) => k[5] === 0).map((k) => String(slimKey(k))).sort(), sum: [...store.dbs.sum!.getKeys({})].map(String).sort() });
      let now = rows();
      expect(now.sum).toEqual(now.rev);
      await expectSameLists(store);
      expect((await store.prune({ cluster: 'kt', before: at(5) })).removed).toBeGreaterThan(0);
      now = rows();
      expect(now.sum).toEqual(now.rev);
      await expectSameLists(store);
    });
  });

  it('reads revisions stored before slim rows existed in full, with the same answers', async () => {
    await withStore(async (store) => {
      await store.append(records());
      const keys = [...store.dbs.sum!.getKeys({})];
      for (const k of keys.filter((_, i) => i % 3 !== 0)) await store.dbs.sum!.remove(k); // an old store: some rows, not all
      const states = await store.summaryStatesAt([{ cluster: 'kt', gk: 'Pod', namespace: 'a', name: 'orders-1' }, { cluster: 'kt', gk: 'Pod', namespace: 'b', name: 'orders-0' }], at(9), 8);
      expect(states).toContain('full');
      await expectSameLists(store);
    });
  });

  it('gives back odd values exactly (numbers, unicode, nulls, empty members, many shapes of labels)', async () => {
    await withStore(async (store) => {
      const odd = (i: number): KubeObject => ({
        apiVersion: 'v1', kind: i % 2 ? 'Pod' : 'Service',
        metadata: { name: `odd-${i}`, namespace: 'a', uid: `o${i}`, creationTimestamp: i % 3 ? '2026-03-01T10:00:00Z' : null, labels: { [`k${i}`]: 'v', 'ü/x': 'ß ✓', n: String(i) } },
        spec: { containers: i % 4 ? [] : [{}, null, 'x'], nodeName: i % 5 ? `n${i}` : 0, ports: [{ port: 80.5, nodePort: -1 }, { port: 2 ** 53 - 1 }], selector: i % 2 ? {} : { a: 'b' }, type: 'LoadBalancer' },
        status: { phase: i % 2 ? 'Running' : '', podIP: null, conditions: [{ type: 'Ready', status: 'True', reason: '' }], containerStatuses: [{ restartCount: 1e21, state: { running: {} }, lastState: {} }], loadBalancer: { ingress: [{ ip: '1.2.3.4' }, {}] } },
      });
      const objects = Array.from({ length: 60 }, (_, i) => odd(i));
      await store.append(objects.map((o, i) => rec({ cluster: 'kt', kind: String(o.kind), resource: o.kind === 'Pod' ? 'pods' : 'services', namespace: 'a', name: `odd-${i}`, uid: `o${i}`, rv: String(10 + i), ts: at(1), op: 'ADDED', object: o })));
      const keys = objects.map((o, i) => ({ cluster: 'kt', gk: String(o.kind), namespace: 'a', name: `odd-${i}` }));
      expect(await store.summaryStatesAt(keys, at(2), 8)).toEqual(objects.map(slimForSummary));
    });
  });

  it('stores an update that changes nothing a summary shows as SAME, and answers it exactly, within the keys read', async () => {
    await withStore(async (store) => {
      // A Node's heartbeats: 40 revisions whose slim objects are equal, one that is not, then more.
      const node = (rv: number, ready: string): KubeObject => ({
        apiVersion: 'v1', kind: 'Node', metadata: { name: 'n9', uid: 'n9', resourceVersion: String(rv), creationTimestamp: '2026-03-01T10:00:00Z' },
        status: { conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: `2026-03-01T10:${String(rv % 60).padStart(2, '0')}:00Z` }] },
      });
      const beats = (name: string) => Array.from({ length: 60 }, (_, i) => rec({ cluster: 'kt', kind: 'Node', resource: 'nodes', namespace: '', name, uid: name, rv: String(100 + i), ts: at(1 + i / 10), op: i ? 'MODIFIED' : 'ADDED', object: node(100 + i, i === 40 ? 'False' : 'True') }));
      const [inOrder, shuffled] = [beats('n9'), beats('n8')];
      await store.append(inOrder);
      await store.append(shuffled.filter((_, i) => i % 5 !== 2));
      await store.append(shuffled.filter((_, i) => i % 5 === 2)); // late ones land inside chains
      const rows = [...store.dbs.sum!.getRange({})].map((e) => e.value);
      expect(rows.filter((v) => v === 0).length).toBeGreaterThan(60);
      const check = async (recs: ChangeRecord[]) => {
        for (const r of recs) {
          const key = { cluster: 'kt', gk: 'Node', namespace: '', name: r.name };
          expect(await store.summaryStatesAt([key], r.ts, 8), `${r.name} at rv ${r.resourceVersion}`).toEqual([slimForSummary(r.object!)]);
        }
      };
      await check([...inOrder, ...shuffled]);
      expect((await store.prune({ cluster: 'kt', before: at(4.55) })).removed).toBeGreaterThan(0);
      await check([...inOrder.slice(36), ...shuffled.slice(36)]);
    });
  });

  it('stores SAME for every update that shows what the one before it shows, also after a change, appended one by one or together', async () => {
    await withStore(async (store) => {
      // Ready, then not ready from the 20th revision on, then a new condition from the 30th: SAME
      // everywhere but there and where a chain starts (every CHAIN_MAX revisions: SAME only within one).
      const node = (i: number): KubeObject => ({
        apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n1', resourceVersion: String(100 + i) },
        status: { conditions: [{ type: 'Ready', status: i < 20 ? 'True' : 'False', lastHeartbeatTime: `2026-03-01T10:${String(i).padStart(2, '0')}:00Z` }, ...(i >= 30 ? [{ type: 'DiskPressure', status: 'True' }] : [])] },
      });
      const recs = Array.from({ length: 40 }, (_, i) => rec({ cluster: 'kt', kind: 'Node', resource: 'nodes', namespace: '', name: 'n1', uid: 'n1', rv: String(100 + i), ts: at(1 + i / 10), op: i ? 'MODIFIED' : 'ADDED', object: node(i) }));
      for (const r of recs.slice(0, 25)) await store.append([r]);
      await store.append(recs.slice(25));
      const same = [...store.dbs.rev.getKeys({})].map((k) => store.dbs.sum!.get(slimKey(k)) === 0);
      expect(same).toEqual(recs.map((_, i) => i % CHAIN_MAX !== 0 && i !== 20 && i !== 30));
    });
  });

  it('writes no slim rows with slimRows: false, and answers the same lists in full', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-lmdb-noslim-'));
    const store = LmdbHistoryStore.open({ path: dir, slimRows: false });
    try {
      await store.append(records());
      expect(store.dbs.sum!.getKeysCount()).toBe(0);
      await expectSameLists(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens a store without any slim rows read-only (kubetime mcp beside an older writer): every object in full', async () => {
    await withStore(async (store, dir) => {
      await store.append(records());
      const raw = open({ path: dir, maxDbs: 16 });
      await raw.openDB({ name: 'sum' }).drop();
      await raw.close();
      const reader = LmdbHistoryStore.open({ path: dir, readOnly: true });
      try {
        expect(await reader.summaryStatesAt([{ cluster: 'kt', gk: 'Pod', namespace: 'a', name: 'orders-1' }], at(9), 8)).toEqual(['full']);
        await expectSameLists(reader);
      } finally {
        await reader.close();
      }
    });
  });
});
