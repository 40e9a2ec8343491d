/**
 * Fault tests of the ingester against the simulator served over HTTP (configured only through
 * the kubeconfig it writes) and the embedded store. After each fault the recorded history equals
 * the simulator's ground truth: every revision a watch could have seen (all of them, except
 * inside a gap the fault forced: there each object's state at the gap's end), no deletion
 * missed, nothing invented, and no revision written twice.
 *
 * KUBETIME_TEST_STORE_OUTAGE_MS sets the store outage (default 3 s; the 30 s works too).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTORS, by } from '../../simulator/actors.ts';
import { Harness, sleep, until } from '../../ingester/testing/sim-harness.ts';
import { duplicateWrites, storedFeed, type Comparison, type GapWindow } from '../../ingester/testing/truth.ts';

const OUTAGE_MS = Number(process.env.KUBETIME_TEST_STORE_OUTAGE_MS ?? 3000);

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h?.close();
});

function expectExact(c: Comparison): void {
  expect(c.missing.slice(0, 10)).toEqual([]);
  expect(c.invented.slice(0, 10)).toEqual([]);
  expect(c.wrongFinal.slice(0, 10)).toEqual([]);
  expect(c.checked).toBeGreaterThan(50);
}

/** Starts the ingester with the scenario paused; what happened before is its initial list (a gap). */
async function startCaughtUp(): Promise<GapWindow> {
  h.pause();
  await h.startIngester();
  await h.allWatching();
  const initial = { fromRv: 0, toRv: h.headRv() };
  h.resume();
  return initial;
}

/** Pauses the scenario and waits until everything committed is recorded. */
async function settleExact(gaps: GapWindow[]): Promise<void> {
  h.pause();
  expectExact(await h.caughtUp(gaps));
  expect(h.duplicates()).toEqual([]);
}

describe('ingester against the simulator', () => {
  it('records the history exactly under steady churn', async () => {
    const initial = await startCaughtUp();
    await sleep(2000);
    await settleExact([initial]);
  });

  it('loses nothing when connections drop mid-stream, repeatedly', async () => {
    const initial = await startCaughtUp();
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      expect(h.sim.faults.dropWatches()).toBeGreaterThan(10);
    }
    await sleep(1000);
    await settleExact([initial]);
    expect(h.run!.metrics.watchRestartsTotal.get({ reason: 'error' })).toBeGreaterThan(0);
    expect(h.run!.metrics.relistsTotal.get({ reason: 'gone' })).toBe(0); // resumed from resourceVersions
  });

  it('loses nothing while the API server is down and back on the same port', async () => {
    const initial = await startCaughtUp();
    await sleep(500);
    await h.sim.faults.stopServer();
    await sleep(1500); // the scenario keeps changing objects meanwhile
    await h.sim.faults.startServer();
    await h.allWatching();
    await sleep(500);
    await settleExact([initial]);
  });

  it('on 410 Gone relists and records what changed unwatched as gaps, without duplicates', async () => {
    const initial = await startCaughtUp();
    await sleep(500);
    h.pause();
    expectExact(await h.caughtUp([initial]));
    const fromRv = h.headRv();
    h.resume();
    await sleep(600); // changes the watches will not see
    h.sim.faults.compactNow();
    h.sim.faults.dropWatches();
    await until(() => h.run!.metrics.relistsTotal.get({ reason: 'gone' }) > 5, 'relists after 410');
    await h.allWatching();
    const gap = { fromRv, toRv: h.headRv() };
    await sleep(800);
    await settleExact([initial, gap]);
    const feed = await storedFeed(h.store.inner, 'sim');
    const relisted = feed.filter((e) => e.source === 'relist' && Number(e.resourceVersion) > fromRv);
    expect(relisted.length).toBeGreaterThan(0);
    expect(relisted.every((e) => e.gap === true)).toBe(true);
  });

  it('restarts a watch that went silent, long before the stall ends', async () => {
    const initial = await startCaughtUp();
    await sleep(300);
    h.sim.faults.stallWatches(60); // the connections stay open, silent, for a minute
    const stalledAt = Date.now();
    await sleep(300);
    await until(() => h.run!.metrics.watchRestartsTotal.get({ reason: 'stalled' }) > 5, 'watchdog restarts', 15_000);
    await settleExact([initial]);
    expect(Date.now() - stalledAt).toBeLessThan(30_000);
  });

  it('after a stop and restart records what changed meanwhile, once', async () => {
    const initial = await startCaughtUp();
    await sleep(800);
    h.pause();
    expectExact(await h.caughtUp([initial]));
    await h.stopIngester();
    const fromRv = h.headRv();
    h.resume();
    await sleep(1000); // changes while no ingester runs
    h.pause();
    await h.startIngester();
    await h.allWatching();
    const gap = { fromRv, toRv: h.headRv() };
    h.resume();
    await sleep(800);
    await settleExact([initial, gap]);
  });

  it('after being killed (SIGKILL) mid-churn and restarted, the history is consistent', async () => {
    h.pause();
    const child = spawn(process.execPath, ['ingester/testing/ingest-child.ts', h.sim.kubeconfigPath, h.dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    try {
      await until(() => out.includes('watching'), 'child ingester watching');
      const initial = { fromRv: 0, toRv: h.headRv() };
      h.resume();
      await sleep(1500);
      child.kill('SIGKILL');
      await exited;
      const killedAt = h.headRv();
      await sleep(800); // changes while nothing runs
      h.pause();
      await h.startIngester();
      await h.allWatching();
      const resumed = h.headRv();
      // The child's checkpoints lag its store by up to a second: the replay must not write twice.
      expect(h.run!.metrics.watchResumesTotal.get({ result: 'resumed' })).toBeGreaterThan(0);
      h.resume();
      await sleep(800);
      h.pause();
      // Records in flight when the process died are lost; the relist restores each object's
      // state. So the gap starts at the first lost revision, which must be just before the kill.
      await h.run!.pipeline.settled();
      const rough = await h.caughtUp([initial, { fromRv: killedAt, toRv: resumed }], 3000);
      const lost = rough.missing.map((m) => Number(/rv=(\d+)/.exec(m)![1]));
      expect(lost.every((rv) => rv <= killedAt)).toBe(true);
      const fromRv = lost.length ? Math.min(...lost) - 1 : killedAt;
      expect(killedAt - fromRv).toBeLessThan(100); // at most what was in flight
      expectExact(await h.caughtUp([initial, { fromRv, toRv: resumed }]));
      const childLog = (await readFile(join(h.dataDir, 'appended.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(childLog.length).toBeGreaterThan(50);
      expect(duplicateWrites([...childLog, ...h.store.appended])).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it(`rides out a ${OUTAGE_MS / 1000} s store outage by spooling, then drains exactly once`, async () => {
    const initial = await startCaughtUp();
    await sleep(300);
    h.store.down = true;
    let peak = 0;
    const deadline = Date.now() + OUTAGE_MS;
    while (Date.now() < deadline) {
      peak = Math.max(peak, h.run!.spool.status().spooledRecords);
      await sleep(50);
    }
    const restartsDuringOutage = h.run!.ingester.status().sources.reduce((n, s) => n + s.restarts, 0);
    h.store.down = false;
    await h.run!.pipeline.settled();
    await settleExact([initial]);
    expect(peak).toBeGreaterThan(20);
    expect(h.run!.spool.status()).toEqual({ mode: 'direct', spooledRecords: 0, spooledBytes: 0 });
    expect(h.run!.metrics.relistsTotal.get({ reason: 'error' })).toBe(0); // watches kept going, no write failed
    expect(restartsDuringOutage).toBe(0);
  });
});

/** One ConfigMap's revisions, made by hand (while the ingester is down). */
const probe = {
  create: (name: string) => h.sim.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v: '0' } }, by(ACTORS.alice, 'create')),
  set: (name: string, v: string) => h.sim.cluster.update('ConfigMap', 'default', name, (o) => void ((o.data as Record<string, string>).v = v), by(ACTORS.alice, 'update')),
  delete: (name: string) => h.sim.cluster.delete('ConfigMap', 'default', name, by(ACTORS.alice, 'delete')),
};

/** What the store holds of one uid, in order. */
async function storedOf(uid: unknown): Promise<string[]> {
  return (await storedFeed(h.store.inner, 'sim')).filter((e) => e.uid === uid).map((e) => `${e.op} ${e.source}${e.gap ? ' gap' : ''}`);
}

/** Runs caught up, then stops the ingester; returns the initial window and the head at the stop. */
async function runThenStop(): Promise<{ initial: GapWindow; stoppedAt: number; kept: unknown }> {
  const initial = await startCaughtUp();
  const kept = probe.create('resume-kept').metadata!.uid;
  await sleep(800);
  h.pause();
  expectExact(await h.caughtUp([initial]));
  await h.stopIngester();
  return { initial, stoppedAt: h.headRv(), kept };
}

describe('ingester restarted on the same data', () => {
  it('resumes every watch from its checkpoint: each revision made while down is recorded from the watch, once', async () => {
    const { initial, kept } = await runThenStop();
    h.resume(); // the scenario churns while nothing runs
    probe.set('resume-kept', '1');
    probe.set('resume-kept', '2'); // an intermediate revision a relist would never see
    probe.delete('resume-kept');
    const born = probe.create('resume-born').metadata!.uid;
    probe.set('resume-born', '1');
    await sleep(1000);
    h.pause();
    const appendedBefore = h.store.appended.length;
    await h.startIngester();
    await h.allWatching();
    h.resume();
    await sleep(800);
    await settleExact([initial]); // no gap window: every revision, also those made while down
    const m = h.run!.metrics;
    expect(m.watchResumesTotal.get({ result: 'resumed' })).toBeGreaterThan(5);
    expect(m.watchResumesTotal.get({ result: 'gone' }) + m.watchResumesTotal.get({ result: 'failed' })).toBe(0);
    expect(h.store.appended.slice(appendedBefore).filter((r) => r.source === 'relist')).toEqual([]);
    expect(await storedOf(kept)).toEqual(['ADDED watch', 'MODIFIED watch', 'MODIFIED watch', 'DELETED watch']);
    expect(await storedOf(born)).toEqual(['ADDED watch', 'MODIFIED watch']);
    expect(h.run!.ingester.status().sources.filter((s) => s.resume?.result === 'resumed').length).toBe(m.watchResumesTotal.get({ result: 'resumed' }));
  });

  it('when the compaction window passed while down, gets 410 and relists as before (gaps, no duplicates)', async () => {
    await h.close();
    h = await Harness.start({ compactionWindow: { revisions: 150 } });
    const { initial, stoppedAt, kept } = await runThenStop();
    for (let i = 1; i <= 200; i++) probe.set('resume-kept', String(i)); // the history since the stop is compacted
    h.resume();
    await sleep(500);
    h.pause();
    await h.startIngester();
    await h.allWatching();
    const gap = { fromRv: stoppedAt, toRv: h.headRv() };
    h.resume();
    await sleep(800);
    await settleExact([initial, gap]);
    const m = h.run!.metrics;
    expect(m.watchResumesTotal.get({ result: 'gone' })).toBeGreaterThan(0);
    expect(m.relistsTotal.get({ reason: 'gone' })).toBe(m.watchResumesTotal.get({ result: 'gone' }));
    expect(await storedOf(kept)).toEqual(['ADDED watch', 'MODIFIED relist gap']); // only the state at the relist
  });
});

