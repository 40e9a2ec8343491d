/**
 * InformerSource after a restart with a checkpoint: resumes the watch where everything was durable
 * (no list), and falls back to the list path when the server cannot replay from there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointKey, Checkpoints } from './checkpoints.ts';
import { KubeApiError, type KubeApi } from './kube-api.ts';
import type { FakeCluster } from '../testing/fake-cluster.ts';
import { MemoryStore } from '../testing/memory-store.ts';
import { settle, waitFor } from '../testing/fake-timing.ts';
import { expectAllTruth, expectNoDuplicateWrites, rig, stopSources, watching, type Rig } from '../testing/source-rig.ts';

const KEY = checkpointKey({ cluster: 'c1', path: '/api/v1/pods' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubetime-resume-'));
});
afterEach(async () => {
  await stopSources();
  await rm(dir, { recursive: true, force: true });
});

const open = (r: Rig) => Checkpoints.open({ path: join(dir, 'watch-checkpoints.json'), timing: r.timing });
/** The fake's API with its first `n` watches refused with `error`. */
function refuseWatches(fake: FakeCluster, n: number, error: KubeApiError): { api: KubeApi; refused: number } {
  const out = {
    refused: 0,
    api: {
      get: (p, q) => fake.get(p, q),
      watch: (p, q, signal) => {
        if (out.refused >= n) return fake.watch(p, q, signal);
        out.refused++;
        throw error;
      },
    } satisfies KubeApi as KubeApi,
  };
  return out;
}

const written = (r: Rig, from: number) => r.store.log.slice(from).map((x) => `${x.op} ${x.name}@${x.resourceVersion} ${x.source}${x.gap ? ' gap' : ''}`);

/** Runs a source with checkpoints until it watches and recorded a change, then stops it; returns the objects. */
async function firstRun(r: Rig) {
  const cps = await open(r);
  const a = r.fake.create('', 'pods', { name: 'a' });
  const b = r.fake.create('', 'pods', { name: 'b' });
  const c = r.fake.create('', 'pods', { name: 'c' });
  r.start({ checkpoints: cps });
  await watching(r);
  const a1 = r.fake.update('', 'pods', a.metadata.uid, { spec: { v: 1 } });
  await waitFor(() => r.store.byId.size === 4, 'watch record');
  await r.source.stop();
  expect(cps.get(KEY)?.resourceVersion).toBe(a1.metadata.resourceVersion);
  await cps.close();
  return { a, b, c };
}

describe('InformerSource resuming from a checkpoint', () => {
  it('replays every revision made while stopped, deletions included, as watch records, without listing', async () => {
    const r = rig();
    const { b, c } = await firstRun(r);
    r.fake.update('', 'pods', b.metadata.uid, { spec: { v: 1 } });
    r.fake.update('', 'pods', b.metadata.uid, { spec: { v: 2 } }); // an intermediate revision a relist would miss
    r.fake.delete('', 'pods', c.metadata.uid);
    const d = r.fake.create('', 'pods', { name: 'd' });
    r.fake.delete('', 'pods', d.metadata.uid); // born and gone while stopped
    const before = r.store.log.length;
    const cps = await open(r); // through the file
    r.start({ checkpoints: cps });
    await waitFor(() => r.store.log.length === before + 5, 'replayed records');
    expect(written(r, before)).toEqual(['MODIFIED b@105 watch', 'MODIFIED b@106 watch', 'DELETED c@107 watch', 'ADDED d@108 watch', 'DELETED d@109 watch']);
    expect(r.metrics.relistsTotal.get({ reason: 'start' })).toBe(1); // the first run's only
    expect(r.metrics.watchResumesTotal.get({ result: 'resumed' })).toBe(1);
    expect(r.source.status()).toMatchObject({ tracked: 2, resume: { resourceVersion: '104', result: 'resumed' } });
    expect(r.fake.calls.filter((x) => x.startsWith('WATCH')).at(-1)).toBe('WATCH /api/v1/pods?rv=104');
    expectAllTruth(r);
    expectNoDuplicateWrites(r.store);
    await waitFor(() => cps.get(KEY)?.resourceVersion === '109', 'checkpoint follows the replay');
  });

  it('after a crash with the checkpoint behind the store, writes nothing twice (deletions already stored included)', async () => {
    const r = rig();
    await firstRun(r);
    const cps = await open(r);
    const lagging = cps.get(KEY)!;
    r.start({ checkpoints: cps });
    await watching(r);
    const e = r.fake.create('', 'pods', { name: 'e' });
    r.fake.update('', 'pods', e.metadata.uid, { spec: { v: 1 } });
    r.fake.delete('', 'pods', e.metadata.uid);
    await waitFor(() => r.store.byId.size === 7, 'records before the crash');
    await r.source.stop();
    cps.set(KEY, lagging); // as if the process died before the checkpoint was written
    const before = r.store.log.length;
    r.start({ checkpoints: cps });
    await watching(r);
    await settle();
    expect(written(r, before)).toEqual([]);
    const f = r.fake.create('', 'pods', { name: 'f' });
    await waitFor(() => r.store.all().some((x) => x.uid === f.metadata.uid), 'a new change after the replay');
    expectAllTruth(r);
    expectNoDuplicateWrites(r.store);
  });

  it('records the revisions only the watch can tell even when audit records of later ones came first', async () => {
    // While kubetime was down: b changed twice (a scale, say: its audit event carries no object),
    // then d was created; kube-apiserver's retried audit batch stores b@106 and d@107 as audit
    // records before the source starts. b@105 exists only in the watch's replay.
    const r = rig();
    const { b } = await firstRun(r);
    r.fake.update('', 'pods', b.metadata.uid, { spec: { v: 1 } });
    const b2 = r.fake.update('', 'pods', b.metadata.uid, { spec: { v: 2 } });
    const d = r.fake.create('', 'pods', { name: 'd' });
    const template = r.store.all().find((x) => x.name === 'b')!;
    const audited = (o: typeof b, op: 'ADDED' | 'MODIFIED') => ({
      ...template, op, name: o.metadata.name, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion,
      object: structuredClone(o), source: 'audit', ts: template.ts + 1, observedAt: template.ts + 1, actor: { username: 'alice' },
    });
    await r.store.append([audited(b2, 'MODIFIED'), audited(d, 'ADDED')]);
    const before = r.store.log.length;
    const cps = await open(r);
    r.start({ checkpoints: cps });
    await waitFor(() => r.store.log.length === before + 1, 'the revision only the watch told');
    await settle();
    expect(written(r, before)).toEqual(['MODIFIED b@105 watch']);
    expect(r.metrics.watchResumesTotal.get({ result: 'resumed' })).toBe(1);
    expectAllTruth(r);
    expectNoDuplicateWrites(r.store);
  });

  it('never checkpoints a resourceVersion before its records are durable', async () => {
    const r = rig();
    await firstRun(r);
    const cps = await open(r);
    let gate: (() => void) | undefined;
    r.start({
      checkpoints: cps,
      writer: {
        write: async (recs) => {
          if (recs.some((x) => x.name === 'slow')) await new Promise<void>((res) => (gate = res));
          await r.store.append(recs);
        },
      },
    });
    await watching(r);
    r.fake.create('', 'pods', { name: 'slow' });
    await waitFor(() => gate !== undefined, 'write in flight');
    r.fake.rv += 10;
    r.fake.bookmark(); // a bookmark after it may not overtake it
    await settle();
    expect(cps.get(KEY)?.resourceVersion).toBe('104');
    gate!();
    await waitFor(() => cps.get(KEY)?.resourceVersion === String(r.fake.rv), 'checkpoint after the write');
  });

  it('on 410 relists and records what changed as gaps, as without a checkpoint', async () => {
    const r = rig();
    const { b } = await firstRun(r);
    r.fake.update('', 'pods', b.metadata.uid, { spec: { v: 1 } });
    r.fake.compact();
    const before = r.store.log.length;
    r.start({ checkpoints: await open(r) });
    await waitFor(() => r.metrics.watchResumesTotal.get({ result: 'gone' }) === 1, '410');
    await r.timing.advance(1_000); // the backoff after a watch that made no progress
    await watching(r);
    expect(r.metrics.relistsTotal.get({ reason: 'gone' })).toBe(1);
    expect(written(r, before)).toEqual(['MODIFIED b@105 relist gap']);
    expect(r.metrics.watchResumesTotal.get({ result: 'gone' })).toBe(1);
    expect(r.source.status().resume).toEqual({ resourceVersion: '104', result: 'gone' });
    expectNoDuplicateWrites(r.store);
  });

  it('falls back to a list when the server refuses the checkpoint otherwise (too large after an etcd restore)', async () => {
    const r = rig();
    await firstRun(r);
    const refusing = refuseWatches(r.fake, 1, new KubeApiError('Too large resource version', { status: 504, reason: 'Timeout' }));
    r.start({ checkpoints: await open(r), api: refusing.api });
    await waitFor(() => r.metrics.watchResumesTotal.get({ result: 'failed' }) === 1, 'refused');
    await r.timing.advance(1_000); // one backoff, then the list
    await watching(r);
    expect(r.metrics.relistsTotal.get({ reason: 'start' })).toBe(2);
    expect(refusing.refused).toBe(1); // the list's resourceVersion was fine
    expect(r.metrics.watchResumesTotal.get({ result: 'failed' })).toBe(1);
    expect(r.source.status().resume).toEqual({ resourceVersion: '104', result: 'failed' });
  });

  it('retries the checkpoint after a failure that says nothing about it (no answer)', async () => {
    const r = rig();
    const { b } = await firstRun(r);
    r.fake.update('', 'pods', b.metadata.uid, { spec: { v: 1 } });
    r.start({ checkpoints: await open(r), api: refuseWatches(r.fake, 2, new KubeApiError('connect ECONNREFUSED', { status: 0 })).api });
    await waitFor(() => r.source.status().state === 'backoff', 'backoff');
    await r.timing.advance(5_000);
    await watching(r);
    expect(r.metrics.watchResumesTotal.get({ result: 'resumed' })).toBe(1);
    expect(r.metrics.relistsTotal.get({ reason: 'start' })).toBe(1);
    expect(r.store.all().filter((x) => x.uid === b.metadata.uid).at(-1)).toMatchObject({ source: 'watch', resourceVersion: '105' });
  });

  it('lists instead when the server is behind the checkpoint, or the store holds nothing for the source', async () => {
    const r = rig();
    await firstRun(r);
    r.fake.rv = 50; // an etcd restored from an old backup: a watch from 104 could wait and skip
    r.start({ checkpoints: await open(r) });
    await watching(r);
    expect(r.metrics.watchResumesTotal.get({ result: 'failed' })).toBe(1);
    expect(r.metrics.relistsTotal.get({ reason: 'start' })).toBe(2);
    await r.source.stop();
    const wiped = new MemoryStore();
    r.start({ checkpoints: await open(r), store: wiped, writer: { write: async (recs) => void (await wiped.append(recs)) } });
    await watching(r);
    expect(wiped.all().map((x) => `${x.name} ${x.source}`).sort()).toEqual(['a relist', 'b relist', 'c relist']);
    expect(r.metrics.relistsTotal.get({ reason: 'start' })).toBe(3);
  });
});
