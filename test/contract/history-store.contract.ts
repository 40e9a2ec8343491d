/**
 * The HistoryStore contract (core/ports.ts), run against every adapter so the embedded store and
 * Cassandra give the same answers. Usage in an adapter's test file:
 *
 *   historyStoreContract('LmdbHistoryStore', async () => ({ store, reopen, cleanup }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryStore, Revision } from '../../core/ports.ts';
import { REORDER_WINDOW, Scope } from '../../core/scope.ts';
import { slimForSummary } from '../../core/present/slim.ts';
import type { ChangeRecord, KubeObject } from '../../core/record.ts';
import { invalidRecordsContract } from './invalid-records.contract.ts';

export interface ContractSubject {
  store: HistoryStore;
  /** Closes and reopens the same data (durability); optional for adapters that cannot. */
  reopen?: () => Promise<HistoryStore>;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000;
const SEC = 1_000_000;

export function pod(name: string, uid: string, rv: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'shop', uid, resourceVersion: rv, labels: { app: 'orders' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'orders:1', env: [{ name: 'A', value: 'x'.repeat(200) }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    ...extra,
  };
}

export function rec(over: Partial<ChangeRecord> & { name?: string; uid?: string; rv?: string }): ChangeRecord {
  const name = over.name ?? 'orders-1';
  const uid = over.uid ?? 'uid-1';
  const rv = over.rv ?? over.resourceVersion ?? '100';
  const { rv: _rv, ...rest } = over;
  return {
    cluster: 'c1', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'shop',
    name, uid, resourceVersion: rv, op: 'MODIFIED', ts: T0, observedAt: T0, source: 'watch',
    object: pod(name, uid, rv),
    ...rest,
  };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const KEY = { cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' };

export function historyStoreContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`HistoryStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: HistoryStore;
    beforeEach(async () => {
      subject = await make();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    const revs = (q: Partial<Parameters<HistoryStore['revisions']>[0]> = {}) =>
      all(store.revisions({ key: KEY, order: 'asc', ...q }));

    /**
     * Where the store keeps slim objects (summaryStatesAt): at every time around each stored
     * revision of these names, each answer is the slim object of the state in force, or null.
     */
    const sameSummaries = async (names: string[] = [KEY.name]) => {
      if (!store.summaryStatesAt) return;
      const scope = new Scope({ store });
      const keys = names.map((name) => ({ ...KEY, name }));
      const times = new Set<number>();
      for (const k of keys) for (const r of await all(store.revisions({ key: k, order: 'asc', objects: false }))) [r.ts - 1, r.ts, r.ts + 1].forEach((t) => times.add(t));
      for (const t of [...times].sort((a, b) => a - b)) {
        const got = await store.summaryStatesAt(keys, t, REORDER_WINDOW);
        const want = await Promise.all(keys.map(async (k) => {
          const state = await scope.stateAt(k, t);
          return state ? slimForSummary(state.object!) : null;
        }));
        expect(got, `at T0 + ${(t - T0) / SEC} s`).toEqual(want);
      }
      expect(times.size).toBeGreaterThan(0);
    };

    it('returns revisions in time order within inclusive bounds, both directions, with limit', async () => {
      const rs = [1, 2, 3, 4].map((i) => rec({ rv: String(100 + i), ts: T0 + i * SEC, op: i === 1 ? 'ADDED' : 'MODIFIED' }));
      await store.append([rs[2]!, rs[0]!, rs[3]!, rs[1]!]);
      expect((await revs()).map((r) => r.resourceVersion)).toEqual(['101', '102', '103', '104']);
      expect((await revs({ from: T0 + 2 * SEC, to: T0 + 3 * SEC })).map((r) => r.resourceVersion)).toEqual(['102', '103']);
      expect((await revs({ order: 'desc', to: T0 + 3 * SEC, limit: 1 })).map((r) => r.resourceVersion)).toEqual(['103']);
      expect(await revs({ to: T0 })).toEqual([]);
    });

    it('stores a record delivered twice once', async () => {
      const r = rec({ op: 'ADDED' });
      expect(await store.append([r])).toEqual({ inserted: 1, merged: 0, duplicates: 0 });
      expect(await store.append([r, r])).toEqual({ inserted: 0, merged: 0, duplicates: 2 });
      expect(await revs()).toHaveLength(1);
      expect(await all(store.feed({ cluster: 'c1', from: T0 - SEC, to: T0 + SEC, order: 'asc' }))).toHaveLength(1);
    });

    it('merges a watch record and an audit record of one revision: audit time and actor win', async () => {
      const watch = rec({ ts: T0 + 2 * SEC, source: 'watch' });
      const audit = rec({ ts: T0 + 1 * SEC + 123, source: 'audit', actor: { username: 'alice' }, verb: 'patch', auditID: 'a1' });
      await store.append([watch]);
      expect(await store.append([audit])).toEqual({ inserted: 0, merged: 1, duplicates: 0 });
      const [only, ...rest] = await revs();
      expect(rest).toEqual([]);
      expect(only).toMatchObject({ ts: T0 + SEC + 123, source: 'watch+audit', actor: { username: 'alice' }, verb: 'patch' });
      const feed = await all(store.feed({ cluster: 'c1', from: T0, to: T0 + 10 * SEC, order: 'asc' }));
      expect(feed.map((f) => [f.ts, f.source])).toEqual([[T0 + SEC + 123, 'watch+audit']]);
      // The other order gives the same revision.
      await store.append([rec({ uid: 'uid-2', name: 'orders-2', ...pick(audit) }), rec({ uid: 'uid-2', name: 'orders-2', ...pick(watch) })]);
      const two = await all(store.revisions({ key: { ...KEY, name: 'orders-2' }, order: 'asc' }));
      expect(two.map((r) => [r.ts, r.actor?.username])).toEqual([[T0 + SEC + 123, 'alice']]);
      await sameSummaries(['orders-1', 'orders-2']);
    });

    it('keeps the earliest audited request of a revision, whatever order the audit batches arrive in', async () => {
      // Seen against a real apiserver: a ReplicaSet scaled by the deployment controller, then a
      // status update by the replicaset controller that changed nothing and answered with the same
      // revision 0.27 s later. The revision existed from the first request's time.
      const made = rec({ rv: '2', ts: T0 + SEC, source: 'audit', actor: { username: 'deployment-controller' }, verb: 'update', auditID: 'made' });
      const noop = rec({ rv: '2', ts: T0 + SEC + 270_000, source: 'audit', actor: { username: 'replicaset-controller' }, verb: 'update', auditID: 'noop' });
      const watch = rec({ rv: '2', ts: T0 + 2 * SEC, source: 'watch' });
      for (const [name, order] of [['a', [watch, made, noop]], ['b', [watch, noop, made]], ['c', [noop, watch, made]], ['d', [noop, made, watch]]] as const) {
        const at = { uid: `uid-${name}`, name: `orders-${name}` };
        await store.append([rec({ ...at, op: 'ADDED', rv: '1', ts: T0 })]);
        for (const r of order) await store.append([rec({ ...at, rv: '2', ...pick(r) })]);
        const got = await all(store.revisions({ key: { ...KEY, name: at.name }, order: 'asc' }));
        expect(got.map((r) => [r.resourceVersion, r.ts, r.actor?.username, r.auditID]), `order ${name}`).toEqual([
          ['1', T0, undefined, undefined], ['2', T0 + SEC, 'deployment-controller', 'made'],
        ]);
        const stateAt = await all(store.revisions({ key: { ...KEY, name: at.name }, order: 'desc', to: T0 + SEC + 1, limit: 1 }));
        expect(stateAt.map((r) => r.resourceVersion), `order ${name}`).toEqual(['2']);
      }
      await sameSummaries(['orders-a', 'orders-b', 'orders-c', 'orders-d']);
    });

    it('merges an audit record without an object (an attribution) into the stored revision, keeping its object', async () => {
      await store.append([rec({ op: 'ADDED', rv: '1', ts: T0 }), rec({ rv: '2', ts: T0 + 2 * SEC, source: 'watch' })]);
      const attribution = rec({ rv: '2', ts: T0 + SEC + 7, source: 'audit', actor: { username: 'system:kube-scheduler' }, verb: 'create', auditID: 'b1', object: null });
      expect(await store.append([attribution])).toEqual({ inserted: 0, merged: 1, duplicates: 0 });
      const [, second, ...rest] = await revs();
      expect(rest).toEqual([]);
      expect(second).toMatchObject({ resourceVersion: '2', ts: T0 + SEC + 7, source: 'watch+audit', actor: { username: 'system:kube-scheduler' } });
      expect(second!.object).toEqual(pod('orders-1', 'uid-1', '2'));
      expect(await store.append([attribution])).toEqual({ inserted: 0, merged: 0, duplicates: 1 });
      await sameSummaries();
    });

    it('keeps the lifetime an audit time moved earlier when later revisions follow', async () => {
      // Seen after a restart: the watch's ADDED long after the create, then the retried audit batch
      // with the exact time, then the object's next revisions and its deletion. A list as of a
      // moment between the audit time and the watch time must hold the object.
      const audited = T0 + SEC;
      await store.append([rec({ op: 'ADDED', rv: '1', ts: T0 + 5 * SEC, source: 'watch' })]);
      await store.append([rec({ op: 'ADDED', rv: '1', ts: audited, source: 'audit', actor: { username: 'rs-controller' }, verb: 'create' })]);
      await store.append([rec({ rv: '2', ts: T0 + 6 * SEC })]);
      await store.append([rec({ rv: '3', ts: T0 + 7 * SEC })]);
      await store.append([rec({ op: 'DELETED', rv: '4', ts: T0 + 9 * SEC })]);
      const alive = (at: number) => all(store.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', aliveAt: at }));
      expect((await alive(audited + 1)).map((l) => [l.uid, l.from])).toEqual([['uid-1', audited]]);
      expect(await alive(audited - 1)).toEqual([]);
      const lives = await all(store.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' }));
      expect(lives.map((l) => [l.from, l.to])).toEqual([[audited, T0 + 9 * SEC]]);
      await sameSummaries();
    });

    it('moves the lifetime with a creation or deletion the audit time puts later than the watch saw it', async () => {
      // The watch may bring a change before the request's response completes (the audit's
      // stageTimestamp): the revision moves later, and a list as of T must agree with the history.
      const made = T0 + 400;
      const gone = T0 + 9 * SEC + 400;
      await store.append([rec({ op: 'ADDED', rv: '1', ts: T0 + 100, source: 'watch' }), rec({ rv: '2', ts: T0 + 5 * SEC, source: 'watch' })]);
      await store.append([rec({ op: 'DELETED', rv: '3', ts: T0 + 9 * SEC + 100, source: 'watch' })]);
      await store.append([rec({ op: 'ADDED', rv: '1', ts: made, source: 'audit', actor: { username: 'alice' }, verb: 'create' })]);
      await store.append([rec({ op: 'DELETED', rv: '', ts: gone, source: 'audit', actor: { username: 'alice' }, verb: 'delete', object: null })]);
      expect((await revs()).map((r) => [r.op, r.ts])).toEqual([['ADDED', made], ['MODIFIED', T0 + 5 * SEC], ['DELETED', gone]]);
      const alive = async (at: number) => (await all(store.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', aliveAt: at }))).map((l) => l.uid);
      expect(await alive(made - 1)).toEqual([]);
      expect(await alive(made)).toEqual(['uid-1']);
      expect(await alive(gone - 1)).toEqual(['uid-1']);
      expect(await alive(gone)).toEqual([]);
      const lives = await all(store.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' }));
      expect(lives.map((l) => [l.from, l.to])).toEqual([[made, gone]]);
      await sameSummaries();
    });

    it('keeps the previous state for a DELETED record without an object', async () => {
      await store.append([rec({ op: 'ADDED', rv: '1', ts: T0 }), rec({ op: 'DELETED', rv: '', ts: T0 + SEC, object: null, source: 'audit' })]);
      const [, del] = await revs();
      expect(del!.op).toBe('DELETED');
      expect(del!.object).toEqual(pod('orders-1', 'uid-1', '1'));
      await sameSummaries();
    });

    it('tracks lifetimes across delete and recreate under the same name', async () => {
      await store.append([
        rec({ op: 'ADDED', rv: '1', ts: T0 }),
        rec({ op: 'DELETED', rv: '5', ts: T0 + 10 * SEC }),
        rec({ op: 'ADDED', rv: '7', uid: 'uid-new', ts: T0 + 20 * SEC }),
      ]);
      const lives = await all(store.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' }));
      expect(lives.map((l) => [l.uid, l.from, l.to]).sort()).toEqual([
        ['uid-1', T0, T0 + 10 * SEC],
        ['uid-new', T0 + 20 * SEC, null],
      ]);
      const alive = (at: number) => all(store.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', aliveAt: at }));
      expect((await alive(T0 + 10 * SEC - 1)).map((l) => l.uid)).toEqual(['uid-1']);
      expect(await alive(T0 + 10 * SEC)).toEqual([]); // deleted at exactly T: gone at T
      expect((await alive(T0 + 20 * SEC)).map((l) => l.uid)).toEqual(['uid-new']);
      expect((await revs()).map((r) => r.uid)).toEqual(['uid-1', 'uid-1', 'uid-new']);
      await sameSummaries();
    });

    it('handles cluster-scoped objects and lists lifetimes by kind across namespaces', async () => {
      const node: ChangeRecord = rec({ kind: 'Node', resource: 'nodes', namespace: '', name: 'node-1', uid: 'n1', op: 'ADDED', object: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } } });
      await store.append([node, rec({ namespace: 'other', uid: 'o1' }), rec({})]);
      const nodes = await all(store.lifetimes({ cluster: 'c1', gk: 'Node', namespace: '' }));
      expect(nodes.map((l) => l.key)).toEqual([{ cluster: 'c1', gk: 'Node', namespace: '', name: 'node-1' }]);
      const pods = await all(store.lifetimes({ cluster: 'c1', gk: 'Pod' }));
      expect(pods.map((l) => l.key.namespace).sort()).toEqual(['other', 'shop']);
      const everything = await all(store.lifetimes({ cluster: 'c1' }));
      expect(everything).toHaveLength(3);
    });

    it('orders equal timestamps by resourceVersion numerically, DELETED last', async () => {
      await store.append([rec({ rv: '10', ts: T0 }), rec({ rv: '9', ts: T0 }), rec({ rv: '8', ts: T0, op: 'DELETED' })]);
      expect((await revs()).map((r) => `${r.op}:${r.resourceVersion}`)).toEqual(['MODIFIED:9', 'MODIFIED:10', 'DELETED:8']);
      await sameSummaries();
    });

    it('serves the change feed in a window, newest first, filtered and limited', async () => {
      await store.append([
        rec({ rv: '1', ts: T0, op: 'ADDED' }),
        rec({ rv: '2', ts: T0 + SEC, actor: { username: 'bob' }, source: 'audit', verb: 'update' }),
        rec({ rv: '3', ts: T0 + 2 * SEC, name: 'other', uid: 'u9' }),
        rec({ rv: '4', ts: T0 + 3 * SEC }),
      ]);
      const feed = (q: Partial<Parameters<HistoryStore['feed']>[0]>) =>
        all(store.feed({ cluster: 'c1', from: T0, to: T0 + 2 * SEC, order: 'desc', ...q }));
      expect((await feed({})).map((f) => f.resourceVersion)).toEqual(['3', '2', '1']);
      expect((await feed({ name: 'orders-1' })).map((f) => f.resourceVersion)).toEqual(['2', '1']);
      expect((await feed({ limit: 1, order: 'asc' })).map((f) => f.resourceVersion)).toEqual(['1']);
      expect((await feed({ gk: 'Deployment.apps' }))).toEqual([]);
      const [, second] = await feed({ order: 'asc' });
      expect(second).toMatchObject({ op: 'MODIFIED', kind: 'Pod', gk: 'Pod', group: '', namespace: 'shop', uid: 'uid-1', source: 'audit', verb: 'update', actor: { username: 'bob' } });
    });

    it('returns objects exactly as appended through many small changes and a large one', async () => {
      const records: ChangeRecord[] = [];
      let obj = pod('orders-1', 'uid-1', '1');
      for (let i = 1; i <= 40; i++) {
        obj = structuredClone(obj);
        (obj.metadata as Record<string, unknown>).resourceVersion = String(i);
        (obj.status as Record<string, unknown>).restarts = i;
        if (i === 20) (obj.spec as Record<string, unknown>).containers = [{ name: 'big', image: 'x', args: ['y'.repeat(5000)] }];
        if (i === 30) delete (obj.metadata as Record<string, unknown>).labels;
        records.push(rec({ rv: String(i), ts: T0 + i * SEC, object: obj }));
      }
      await store.append(records.slice(0, 25));
      await store.append(records.slice(25));
      const back = await revs();
      expect(back.map((r) => r.object)).toEqual(records.map((r) => r.object));
    });

    it('returns every object exactly whatever order its revisions arrive in', async () => {
      const records: ChangeRecord[] = [];
      let obj = pod('orders-1', 'uid-1', '1');
      for (let i = 1; i <= 60; i++) {
        obj = structuredClone(obj);
        (obj.metadata as Record<string, unknown>).resourceVersion = String(i);
        (obj.status as Record<string, unknown>).restarts = i;
        (obj.status as Record<string, unknown>).phase = i % 3 ? 'Running' : 'Pending';
        records.push(rec({ rv: String(i), ts: T0 + i * SEC, object: obj }));
      }
      // A fixed shuffle: late arrivals land inside existing chains and before their successors.
      const order = records.map((_, i) => (i * 37) % records.length);
      for (let i = 0; i < order.length; i += 7) await store.append(order.slice(i, i + 7).map((j) => records[j]!));
      await store.append([records[5]!, records[50]!]); // duplicates change nothing
      const back = await revs();
      expect(back.map((r) => r.resourceVersion)).toEqual(records.map((r) => r.resourceVersion));
      expect(back.map((r) => r.object)).toEqual(records.map((r) => r.object));
      await sameSummaries();
    });

    it('moves a revision when the audit time puts it before a watched predecessor', async () => {
      // The watch saw rv 2 late (observation time); the audit says rv 3 happened before that.
      const o = (rv: string, phase: string) => pod('orders-1', 'uid-1', rv, { status: { phase } });
      await store.append([
        rec({ rv: '1', ts: T0, op: 'ADDED', object: o('1', 'Pending') }),
        rec({ rv: '2', ts: T0 + 5 * SEC, object: o('2', 'Running') }),
        rec({ rv: '3', ts: T0 + 6 * SEC, object: o('3', 'Failed') }),
      ]);
      await store.append([rec({ rv: '2', ts: T0 + 1 * SEC, source: 'audit', object: o('2', 'Running'), actor: { username: 'kubelet' } })]);
      const back = await revs();
      expect(back.map((r) => [r.resourceVersion, r.ts, (r.object!.status as { phase: string }).phase])).toEqual([
        ['1', T0, 'Pending'], ['2', T0 + SEC, 'Running'], ['3', T0 + 6 * SEC, 'Failed'],
      ]);
      // A later audit record whose time precedes rv 1's changes the order of the chain itself.
      await store.append([rec({ rv: '3', ts: T0 - SEC, source: 'audit', object: o('3', 'Failed') })]);
      expect((await revs()).map((r) => [r.resourceVersion, (r.object!.status as { phase: string }).phase])).toEqual([
        ['3', 'Failed'], ['1', 'Pending'], ['2', 'Running'],
      ]);
      await sameSummaries();
    });

    it('gives the same refs as revisions when it offers revisionRefs', async () => {
      if (!store.revisionRefs) return;
      await store.append([
        rec({ rv: '1', ts: T0, op: 'ADDED' }), rec({ rv: '9', ts: T0 + SEC }), rec({ rv: '10', ts: T0 + SEC }),
        rec({ rv: '', ts: T0 + 2 * SEC, op: 'DELETED', object: null, source: 'audit' }),
        rec({ rv: '12', uid: 'uid-2', ts: T0 + 3 * SEC, op: 'ADDED' }),
      ]);
      for (const q of [{ order: 'desc' as const, limit: 3 }, { order: 'asc' as const, from: T0 + SEC, to: T0 + 2 * SEC }, { order: 'desc' as const, to: T0 + SEC }]) {
        const refs = await all(store.revisionRefs({ key: KEY, ...q }));
        const full = await revs(q);
        expect(refs).toEqual(full.map((r) => ({ ts: r.ts, uid: r.uid, resourceVersion: r.resourceVersion, deleted: r.op === 'DELETED' })));
      }
    });

    it('answers revisionAt exactly as composed from its revisions, when it offers the fast path', async () => {
      if (!store.revisionAt) return;
      const o = (rv: string, phase: string) => pod('orders-1', 'uid-1', rv, { status: { phase } });
      await store.append([
        rec({ rv: '1', ts: T0, op: 'ADDED', object: o('1', 'Pending') }),
        rec({ rv: '3', ts: T0 + 2 * SEC, source: 'audit', object: o('3', 'Failed') }),
        rec({ rv: '2', ts: T0 + 5 * SEC, object: o('2', 'Running') }), // watch-timed, after rv 3's audit time
        rec({ rv: '', ts: T0 + 7 * SEC, op: 'DELETED', object: null, source: 'audit' }),
        rec({ rv: '12', uid: 'uid-2', ts: T0 + 9 * SEC, op: 'ADDED' }),
      ]);
      const scope = new Scope({ store });
      const seen = new Set<string>();
      for (let t = T0 - SEC; t <= T0 + 10 * SEC; t += SEC / 2) {
        const fast = await scope.revisionAt(KEY, t);
        expect(fast).toEqual(await scope.composedRevisionAt(KEY, t));
        seen.add(fast ? `${fast.resourceVersion}/${fast.op}` : 'none');
      }
      // rv 3 stays in force after rv 2 is stored later; the deletion, then the new uid.
      expect([...seen]).toEqual(['none', '1/ADDED', '3/MODIFIED', '/DELETED', '12/ADDED']);
      await sameSummaries();
    });

    it('knows its clusters and the kinds seen', async () => {
      await store.append([rec({ ts: T0 }), rec({ ts: T0 + 5 * SEC, rv: '200', cluster: 'c2' }), rec({ ts: T0 + 9 * SEC, rv: '300' })]);
      const clusters = (await store.clusters()).sort((a, b) => a.name.localeCompare(b.name));
      expect(clusters).toEqual([
        { name: 'c1', firstSeen: T0, lastSeen: T0 + 9 * SEC },
        { name: 'c2', firstSeen: T0 + 5 * SEC, lastSeen: T0 + 5 * SEC },
      ]);
      expect(await store.kinds('c1')).toEqual([{ group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true }]);
    });

    it('prunes behind a horizon while the state at the horizon stays answerable', async () => {
      await store.append([
        rec({ rv: '1', ts: T0, op: 'ADDED' }),
        rec({ rv: '2', ts: T0 + SEC }),
        rec({ rv: '3', ts: T0 + 5 * SEC }),
        rec({ name: 'gone', uid: 'g', rv: '4', ts: T0, op: 'ADDED' }),
        rec({ name: 'gone', uid: 'g', rv: '5', ts: T0 + SEC, op: 'DELETED' }),
      ]);
      const { removed } = await store.prune({ cluster: 'c1', before: T0 + 3 * SEC });
      expect(removed).toBe(3);
      expect((await revs()).map((r) => r.resourceVersion)).toEqual(['2', '3']);
      const atHorizon = await revs({ to: T0 + 3 * SEC, order: 'desc', limit: 1 });
      expect(atHorizon[0]!.resourceVersion).toBe('2');
      expect(await all(store.lifetimes({ cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'gone' }))).toEqual([]);
      await sameSummaries(['orders-1', 'gone']);
    });

    it('keeps every acknowledged write across a reopen', async () => {
      if (!subject.reopen) return;
      const rs = Array.from({ length: 50 }, (_, i) => rec({ rv: String(i + 1), ts: T0 + i * SEC }));
      await store.append(rs);
      store = await subject.reopen();
      const back: Revision[] = await revs();
      expect(back.map((r) => r.resourceVersion)).toEqual(rs.map((r) => r.resourceVersion));
      expect(back.at(-1)!.object).toEqual(rs.at(-1)!.object);
    });

    invalidRecordsContract(() => store, rec, pod);
  });
}

function pick(r: ChangeRecord): Partial<ChangeRecord> {
  const { ts, source, actor, verb, auditID } = r;
  return { ts, source, ...(actor ? { actor } : {}), ...(verb ? { verb } : {}), ...(auditID ? { auditID } : {}) };
}
