/**
 * One InformerSource against the in-process FakeCluster and a MemoryStore, on fake time, for the
 * source's unit tests; `start` may be called again (a restart on the same store).
 */
import { expect } from 'vitest';
import { revisionId, type ChangeRecord } from '../../core/record.ts';
import type { InformerSourceOptions } from '../watch/informer-options.ts';
import { InformerSource } from '../watch/informer-source.ts';
import { IngestMetrics } from '../metrics.ts';
import { resourceInfo } from '../records.ts';
import { FakeCluster, type FakeResourceDef } from './fake-cluster.ts';
import { FakeTiming, waitFor } from './fake-timing.ts';
import { MemoryStore } from './memory-store.ts';

export const PODS: FakeResourceDef = { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true };

export interface Rig {
  fake: FakeCluster;
  store: MemoryStore;
  timing: FakeTiming;
  metrics: IngestMetrics;
  source: InformerSource;
  start(extra?: Partial<InformerSourceOptions>): InformerSource;
}

const running: InformerSource[] = [];

/** Stops every source the rigs started (afterEach). */
export async function stopSources(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.stop()));
}

export function rig(def = PODS, opts: Partial<InformerSourceOptions> = {}): Rig {
  const fake = new FakeCluster();
  fake.addResource(def);
  const store = new MemoryStore();
  const timing = new FakeTiming();
  const metrics = new IngestMetrics();
  const r: Rig = {
    fake, store, timing, metrics, source: undefined as unknown as InformerSource,
    start(extra = {}) {
      const s = new InformerSource({
        api: fake, cluster: 'c1', resource: resourceInfo({ ...def, shortNames: [] }),
        writer: { write: async (recs) => void (await store.append(recs)) },
        store, timing, metrics, listPageSize: 2, watchdogMs: 60_000, ...opts, ...extra,
      });
      running.push(s);
      s.start();
      r.source = s;
      return s;
    },
  };
  return r;
}

export const watching = (r: Rig) => waitFor(() => r.source.status().state === 'watching' && r.fake.openWatches > 0, 'watch open');

/** No revision was handed to the store twice. */
export function expectNoDuplicateWrites(store: MemoryStore): void {
  const ids = store.log.map((r) => revisionId(r));
  expect(ids.length - new Set(ids).size).toBe(0);
}

/** Every change the fake served is in the store (for runs without a gap). */
export function expectAllTruth(r: Rig): void {
  for (const t of r.fake.truth) {
    const hit = r.store.all().find((x: ChangeRecord) => x.uid === t.uid && (t.type === 'DELETED' ? x.op === 'DELETED' : x.resourceVersion === t.rv && x.op !== 'DELETED'));
    expect(hit, `${t.type} ${t.uid}@${t.rv}`).toBeDefined();
  }
}
