import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryStore } from '../testing/memory-store.ts';
import { expectAllTruth, expectNoDuplicateWrites, PODS, rig, stopSources, watching } from '../testing/source-rig.ts';
import { settle, waitFor } from '../testing/fake-timing.ts';

const SECRETS = { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true };

afterEach(stopSources);

const revs = (store: MemoryStore) => store.all().map((x) => `${x.op} ${x.uid}@${x.resourceVersion} ${x.source}${x.gap ? ' gap' : ''}`);

describe('InformerSource', () => {
  it('lists in pages, then records every watch event with the object as served', async () => {
    const r = rig();
    const a = r.fake.create('', 'pods', { name: 'a' }, { spec: { x: 1 } });
    const b = r.fake.create('', 'pods', { name: 'b' });
    r.fake.create('', 'pods', { name: 'c', namespace: 'kube-system' });
    r.start();
    await watching(r);
    expect(r.fake.calls.filter((c) => c.startsWith('GET')).length).toBe(2); // 3 objects, pages of 2
    const listed = r.store.all();
    expect(listed).toHaveLength(3);
    expect(listed.every((x) => x.op === 'ADDED' && x.source === 'relist' && x.gap === true)).toBe(true);
    const rec = listed.find((x) => x.uid === a.metadata.uid)!;
    expect(rec).toMatchObject({ cluster: 'c1', apiVersion: 'v1', kind: 'Pod', group: '', resource: 'pods', namespace: 'default', name: 'a' });
    expect(rec.object).toMatchObject({ apiVersion: 'v1', kind: 'Pod', spec: { x: 1 } }); // list items lack apiVersion/kind

    r.fake.update('', 'pods', a.metadata.uid, { spec: { x: 2 } });
    r.fake.delete('', 'pods', b.metadata.uid);
    const d = r.fake.create('', 'pods', { name: 'd' });
    await waitFor(() => r.store.byId.size === 6, 'watch records');
    const watched = r.store.all().filter((x) => x.source === 'watch');
    expect(watched.map((x) => `${x.op} ${x.name}`).sort()).toEqual(['ADDED d', 'DELETED b', 'MODIFIED a']);
    expect(watched.every((x) => x.gap === undefined && x.ts === r.timing.now)).toBe(true);
    expect(watched.find((x) => x.op === 'DELETED')!.object).toMatchObject({ metadata: { name: 'b' } });
    expect(r.source.status()).toMatchObject({ state: 'watching', tracked: 3, resourceVersion: d.metadata.resourceVersion });
    expect(r.metrics.recordsTotal.get({ source: 'watch' })).toBe(3);
    expectAllTruth(r);
    expectNoDuplicateWrites(r.store);
  });

  it('stores Secret values only as digests', async () => {
    const r = rig(SECRETS);
    r.fake.create('', 'secrets', { name: 's' }, { data: { password: 'aHVudGVyMg==' } });
    r.start();
    await watching(r);
    const s = r.fake.create('', 'secrets', { name: 't' }, { data: { token: 'c2VjcmV0' } });
    await waitFor(() => r.store.byId.size === 2, 'records');
    const text = JSON.stringify(r.store.log);
    expect(text).not.toContain('aHVudGVyMg==');
    expect(text).not.toContain('c2VjcmV0');
    expect(r.store.all().find((x) => x.uid === s.metadata.uid)!.object!.data).toEqual({ token: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it('after a dropped connection resumes from the last resourceVersion without relisting or duplicates', async () => {
    const r = rig();
    const a = r.fake.create('', 'pods', { name: 'a' });
    r.start();
    await watching(r);
    r.fake.update('', 'pods', a.metadata.uid, { spec: { v: 1 } });
    await waitFor(() => r.store.byId.size === 2, 'first change');
    r.fake.endWatches('dropped');
    r.fake.update('', 'pods', a.metadata.uid, { spec: { v: 2 } }); // while disconnected
    r.fake.create('', 'pods', { name: 'b' });
    await waitFor(() => r.source.status().state === 'backoff', 'backoff after the error');
    await r.timing.advance(1_000);
    await waitFor(() => r.store.byId.size === 4, 'changes made while disconnected');
    expect(r.fake.calls.filter((c) => c.startsWith('GET')).length).toBe(1);
    expect(r.fake.calls.filter((c) => c.startsWith('WATCH')).at(-1)).toBe(`WATCH /api/v1/pods?rv=${Number(a.metadata.resourceVersion) + 1}`);
    expect(r.metrics.watchRestartsTotal.get({ reason: 'error' })).toBe(1);
    expectAllTruth(r);
    expectNoDuplicateWrites(r.store);
  });

  it('reconnects at once after a normal close, from the last bookmark', async () => {
    const r = rig();
    r.fake.create('', 'pods', { name: 'a' });
    r.start();
    await watching(r);
    r.fake.rv += 50; // other resources moved on
    r.fake.bookmark();
    await waitFor(() => r.source.status().resourceVersion === String(r.fake.rv), 'bookmark');
    r.fake.endWatches('closed');
    await waitFor(() => r.fake.calls.at(-1) === `WATCH /api/v1/pods?rv=${r.fake.rv}`, 'reconnect from the bookmark');
    expect(r.metrics.watchRestartsTotal.get({ reason: 'closed' })).toBe(1);
  });

  for (const goneAs of ['event', 'status'] as const) {
    it(`on 410 Gone (${goneAs}) relists and records what changed while unwatched as gaps`, async () => {
      const r = rig();
      r.fake.goneAs = goneAs;
      const keep = r.fake.create('', 'pods', { name: 'keep' });
      const change = r.fake.create('', 'pods', { name: 'change' });
      const gone = r.fake.create('', 'pods', { name: 'gone' });
      r.start();
      await watching(r);
      r.fake.endWatches('dropped');
      await waitFor(() => r.source.status().state === 'backoff', 'backoff');
      r.fake.update('', 'pods', change.metadata.uid, { spec: { v: 1 } });
      r.fake.update('', 'pods', change.metadata.uid, { spec: { v: 2 } });
      r.fake.delete('', 'pods', gone.metadata.uid);
      const born = r.fake.create('', 'pods', { name: 'born' });
      r.fake.compact();
      await r.timing.advance(5_000); // reconnect, 410, relist (each retry after a jittered backoff)
      await waitFor(() => r.source.status().state === 'watching' && r.fake.openWatches > 0, 'watching again');
      const after = r.store.all().filter((x) => x.observedAt > r.store.all()[0]!.observedAt);
      expect(after.map((x) => `${x.op} ${x.name}`).sort()).toEqual(['ADDED born', 'DELETED gone', 'MODIFIED change']);
      expect(after.every((x) => x.source === 'relist' && x.gap === true)).toBe(true);
      expect(after.find((x) => x.name === 'change')!.object).toMatchObject({ spec: { v: 2 } });
      expect(after.find((x) => x.op === 'DELETED')!.object).toBeNull(); // the store keeps the last state
      expect(r.store.all().filter((x) => x.uid === keep.metadata.uid)).toHaveLength(1);
      expect(r.metrics.relistsTotal.get({ reason: 'gone' })).toBe(1);
      expectNoDuplicateWrites(r.store);
      // and the watch goes on from the relist
      r.fake.update('', 'pods', born.metadata.uid, { spec: { v: 9 } });
      await waitFor(() => r.store.all().some((x) => x.uid === born.metadata.uid && x.source === 'watch'), 'watch after relist');
    });
  }

  it('restarts a watch that went silent, without sleeping, and loses nothing', async () => {
    const r = rig(PODS, { watchdogMs: 30_000 });
    const a = r.fake.create('', 'pods', { name: 'a' });
    r.start();
    await watching(r);
    r.fake.stallWatches();
    r.fake.update('', 'pods', a.metadata.uid, { spec: { v: 1 } });
    await settle();
    expect(r.store.byId.size).toBe(1); // stuck in the silent stream
    await r.timing.advance(20_000);
    expect(r.metrics.watchRestartsTotal.get({ reason: 'stalled' })).toBe(0);
    await r.timing.advance(20_000);
    await waitFor(() => r.store.byId.size === 2, 'change after the watchdog restart');
    expect(r.metrics.watchRestartsTotal.get({ reason: 'stalled' })).toBe(1);
    expectAllTruth(r);
    expectNoDuplicateWrites(r.store);
  });

  it('after a restart reconciles against the store: only what changed while down is written', async () => {
    const r = rig();
    const a = r.fake.create('', 'pods', { name: 'a' });
    const b = r.fake.create('', 'pods', { name: 'b' });
    const c = r.fake.create('', 'pods', { name: 'c' });
    r.start();
    await watching(r);
    r.fake.update('', 'pods', a.metadata.uid, { spec: { v: 1 } });
    await waitFor(() => r.store.byId.size === 4, 'watch record');
    await r.source.stop();
    r.fake.update('', 'pods', b.metadata.uid, { spec: { v: 1 } });
    r.fake.delete('', 'pods', c.metadata.uid);
    const logBefore = r.store.log.length;
    r.start();
    await watching(r);
    const written = r.store.log.slice(logBefore).map((x) => `${x.op} ${x.name} ${x.source}${x.gap ? ' gap' : ''}`).sort();
    expect(written).toEqual(['DELETED c relist gap', 'MODIFIED b relist gap']);
    expect(r.source.status().tracked).toBe(2);
    expectNoDuplicateWrites(r.store);
  });

  it('when a write fails, rebuilds its state from the store and relists', async () => {
    const r = rig();
    let failNext = false;
    const a = r.fake.create('', 'pods', { name: 'a' });
    r.start({
      writer: {
        write: async (recs) => {
          if (failNext) {
            failNext = false;
            throw new Error('disk full');
          }
          await r.store.append(recs);
        },
      },
    });
    await watching(r);
    failNext = true;
    r.fake.update('', 'pods', a.metadata.uid, { spec: { v: 1 } }); // this write fails
    await waitFor(() => r.metrics.watchRestartsTotal.get({ reason: 'write_failed' }) === 1, 'write failure noticed');
    await r.timing.advance(1_000);
    await watching(r);
    const last = r.store.all().filter((x) => x.uid === a.metadata.uid).at(-1)!;
    expect(last).toMatchObject({ op: 'MODIFIED', source: 'relist', gap: true, object: { spec: { v: 1 } } });
    expect(r.metrics.relistsTotal.get({ reason: 'error' })).toBe(1);
  });

  it('restarts a list whose continue token expired', async () => {
    const r = rig();
    for (let i = 0; i < 5; i++) r.fake.create('', 'pods', { name: `p${i}` });
    const api = r.fake;
    let pages = 0;
    r.start({
      api: {
        get: async (path, q, signal) => {
          if (q.continue && pages++ === 0) api.expireContinues();
          return api.get(path, q);
        },
        watch: (path, q, signal) => api.watch(path, q, signal),
      },
    });
    await watching(r);
    expect(r.store.byId.size).toBe(5);
    expectNoDuplicateWrites(r.store);
  });

  it('backs off with jitter when lists fail, then recovers', async () => {
    const r = rig();
    r.fake.create('', 'pods', { name: 'a' });
    r.fake.failLists = 3;
    r.start();
    await waitFor(() => r.source.status().state === 'backoff', 'first failure');
    await r.timing.advance(500); // 1st retry after 250..500 ms
    await r.timing.advance(1_000); // 2nd after 500..1000 ms
    expect(r.source.status().state).toBe('backoff');
    expect(r.fake.failLists).toBe(0);
    await r.timing.advance(2_000);
    await watching(r);
    expect(r.store.byId.size).toBe(1);
  });

  it('survives malformed and odd watch lines', async () => {
    const r = rig();
    const api = r.fake;
    let injected = false;
    r.start({
      api: {
        get: (p, q) => api.get(p, q),
        async *watch(path, q, signal) {
          if (!injected) {
            injected = true;
            yield [
              { type: 'MALFORMED', object: null },
              { type: 'ADDED', object: { metadata: { name: 'no-uid' } } },
              { type: 'WEIRD', object: { metadata: { uid: 'u', name: 'n', resourceVersion: '1' } } },
              { type: 'ADDED', object: 42 },
            ];
          }
          yield* api.watch(path, q, signal);
        },
      },
    });
    await watching(r);
    const a = r.fake.create('', 'pods', { name: 'a' });
    await waitFor(() => r.store.all().some((x) => x.uid === a.metadata.uid), 'valid event after junk');
    expect(r.metrics.droppedTotal.get({ reason: 'malformed' })).toBe(1);
    expect(r.metrics.droppedTotal.get({ reason: 'no_identity' })).toBe(2);
    expect(r.metrics.droppedTotal.get({ reason: 'unknown_type' })).toBe(1);
  });

  it('ignores objects outside the namespace scope, in lists and watches', async () => {
    const r = rig(PODS, { inScope: (ns) => ns !== 'kube-system' });
    r.fake.create('', 'pods', { name: 'a', namespace: 'kube-system' });
    r.fake.create('', 'pods', { name: 'b' });
    r.start();
    await watching(r);
    r.fake.create('', 'pods', { name: 'c', namespace: 'kube-system' });
    r.fake.create('', 'pods', { name: 'd' });
    await waitFor(() => r.store.byId.size === 2, 'in-scope records');
    await settle();
    expect(revs(r.store).length).toBe(2);
    expect(r.store.all().map((x) => x.name).sort()).toEqual(['b', 'd']);
  });
});
