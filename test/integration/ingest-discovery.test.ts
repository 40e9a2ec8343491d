/**
 * Discovery and filters against the simulator: a CRD registered while the ingester runs is
 * picked up without a restart; kind, namespace and label filters hold.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTORS, by } from '../../simulator/actors.ts';
import { Harness, sleep, until } from '../../ingester/testing/sim-harness.ts';
import { storedFeed } from '../../ingester/testing/truth.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('discovery', () => {
  it('picks up a CRD added while running, without a restart, and records its objects', async () => {
    h = await Harness.start();
    await h.startIngester({ rediscoverEveryMs: 600_000 }); // only the CRD watch can trigger discovery here
    await h.allWatching();
    expect(h.run!.ingester.status().sources.some((s) => s.gk === 'Gadget.toys.example.com')).toBe(false);
    const ctx = by(ACTORS.alice, 'create');
    h.sim.cluster.addCustomResource({ group: 'toys.example.com', version: 'v1beta1', kind: 'Gadget', namespaced: true }, ctx);
    const g = h.sim.cluster.create({ apiVersion: 'toys.example.com/v1beta1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'default' }, spec: { size: 1 } }, ctx);
    await until(() => h!.run!.ingester.status().sources.some((s) => s.gk === 'Gadget.toys.example.com' && s.state === 'watching'), 'the Gadget watch', 10_000);
    h.sim.cluster.update('Gadget.toys.example.com', 'default', 'g1', (o) => void ((o.spec as { size: number }).size = 2), by(ACTORS.alice, 'update'));
    let feed = await storedFeed(h.store.inner, 'sim');
    for (let i = 0; i < 100 && feed.filter((e) => e.uid === (g.metadata as { uid: string }).uid).length < 2; i++) {
      await sleep(50);
      feed = await storedFeed(h.store.inner, 'sim');
    }
    const gadget = feed.filter((e) => e.uid === (g.metadata as { uid: string }).uid);
    expect(gadget.map((e) => `${e.op} ${e.source}`)).toEqual(['ADDED relist', 'MODIFIED watch']);
    expect(h.run!.ingester.kindForResource('toys.example.com', 'gadgets')).toBe('Gadget');
  });

  it('records only the selected kinds, namespaces and labels', async () => {
    h = await Harness.start();
    h.pause();
    const pods = h.sim.cluster.list('Pod');
    const ns = String((pods[0]!.metadata as { namespace: string }).namespace);
    const app = String((pods[0]!.metadata as { labels: Record<string, string> }).labels.app);
    await h.startIngester({ filters: { includeKinds: ['po', 'deploy'], includeNamespaces: [ns], labelSelector: `app=${app}` } });
    await h.allWatching();
    expect(h.run!.ingester.status().sources.map((s) => `${s.gk}/${s.namespace}`).sort()).toEqual([`Deployment.apps/${ns}`, `Pod/${ns}`]);
    h.resume();
    await sleep(1500);
    h.pause();
    await h.run!.pipeline.settled();
    const feed = await storedFeed(h.store.inner, 'sim');
    expect(feed.length).toBeGreaterThan(0);
    expect(feed.every((e) => (e.gk === 'Pod' || e.gk === 'Deployment.apps') && e.namespace === ns)).toBe(true);
    const expected = h.sim.cluster.list('Pod', ns, (o) => (o.metadata as { labels?: Record<string, string> }).labels?.app === app).map((o) => (o.metadata as { uid: string }).uid);
    const stored = new Set(feed.filter((e) => e.gk === 'Pod').map((e) => e.uid));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.filter((u) => !stored.has(u))).toEqual([]);
  });
});
