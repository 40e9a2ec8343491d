/**
 * Watch and audit merged: the simulator's audit events (posted like kube-apiserver's batching
 * webhook, into the AuditSink) and the ingester's watch records of the same change end up as one
 * revision carrying the audit's actor and exact time — whichever arrives first, and when audit
 * batches arrive late.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEntry } from '../../core/ports.ts';
import { Harness, sleep } from '../../ingester/testing/sim-harness.ts';
import { storedFeed, type GapWindow } from '../../ingester/testing/truth.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function startCaughtUp(harness: Harness): Promise<GapWindow> {
  harness.pause();
  await harness.startIngester();
  await harness.allWatching();
  const initial = { fromRv: 0, toRv: harness.headRv() };
  harness.resume();
  return initial;
}

/**
 * Checks every audited change after `afterRv`: it is one stored revision with both sources, the
 * audit's time and actor. Left out by the audit policy or the sink's rules (ingester/audit/audit.ts):
 * Secrets (audited at Metadata level, no object) and subresources whose response is not the
 * object (binding, eviction, scale) — those are the watch's alone. Returns the deletions that did
 * not merge (see the last test) after asserting everything else.
 */
async function expectMerged(harness: Harness, afterRv: number): Promise<string[]> {
  harness.pause();
  const audited = harness.sim.groundTruth().filter((t) => t.audited && t.kind !== 'Secret' && (!t.subresource || t.subresource === 'status') && Number(t.resourceVersion) > afterRv);
  expect(audited.length).toBeGreaterThan(30);
  const key = (e: { uid: string; op: string; resourceVersion: string }) => `${e.uid}@${e.op === 'DELETED' ? 'DELETED' : e.resourceVersion}`;
  let problems: string[] = [];
  let deletions: string[] = [];
  const check = (feed: FeedEntry[]) => {
    const byKey = new Map<string, FeedEntry[]>();
    for (const e of feed) byKey.set(key(e), [...(byKey.get(key(e)) ?? []), e]);
    problems = [];
    deletions = [];
    for (const t of audited) {
      const got = byKey.get(key(t)) ?? [];
      const e = got[0];
      const what = `${t.op} ${t.kind} ${t.name} rv=${t.resourceVersion} (${t.verb})`;
      if (got.length !== 1) problems.push(`${what}: ${got.length} stored revisions`);
      else if (!e!.source.includes('watch') || !e!.source.includes('audit')) (t.op === 'DELETED' ? deletions : problems).push(`${what}: source ${e!.source}`);
      else if (e!.ts !== t.ts || e!.actor?.username !== t.actor.username) problems.push(`${what}: ts ${e!.ts} vs ${t.ts}, actor ${e!.actor?.username}`);
    }
  };
  const deadline = Date.now() + 20_000;
  do {
    await sleep(200);
    check(await storedFeed(harness.store.inner, 'sim'));
  } while (problems.length && Date.now() < deadline);
  expect(problems.slice(0, 10)).toEqual([]);
  return deletions;
}

describe('watch and audit of the same change', () => {
  it('become one revision with the audit actor and exact time', async () => {
    h = await Harness.start({ audit: {} });
    const initial = await startCaughtUp(h);
    await sleep(2000);
    await expectMerged(h, initial.toRv);
    expect(h.duplicates()).toEqual([]);
  });

  it('merge when audit batches arrive late', async () => {
    h = await Harness.start({ audit: { delayMs: 2500 } });
    const initial = await startCaughtUp(h);
    await sleep(1500);
    const before = await storedFeed(h.store.inner, 'sim');
    expect(before.some((e) => e.source === 'watch' && Number(e.resourceVersion) > initial.toRv)).toBe(true); // watch first
    await expectMerged(h, initial.toRv);
  });

  // The final delete of an object that was already terminating (a Pod after its grace period) is
  // answered with the object still carrying deletionTimestamp, with its grace period shortened to
  // 0: ingester/audit/audit.ts must read that as the deletion, so that it merges with the watch's DELETED.
  it('merges the final deletion of a terminating object', async () => {
    h = await Harness.start({ audit: {} });
    const initial = await startCaughtUp(h);
    await sleep(2000);
    expect(await expectMerged(h, initial.toRv)).toEqual([]);
  });

  it('merge when the audit arrives before the watch', async () => {
    h = await Harness.start({ audit: { batchMaxWaitMs: 50 } });
    const initial = await startCaughtUp(h);
    await sleep(300);
    h.sim.faults.stallWatches(1.5); // the watch lags; the watchdog (2 s) or the stall's end resumes it
    await sleep(1000);
    const early = await storedFeed(h.store.inner, 'sim');
    expect(early.some((e) => e.source === 'audit')).toBe(true); // audit first
    await expectMerged(h, initial.toRv);
  });
});
