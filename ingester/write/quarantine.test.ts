import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../core/record.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { nested } from '../../test/contract/invalid-records.contract.ts';
import { IngestMetrics } from '../metrics.ts';
import { Quarantine } from './quarantine.ts';
import { SpoolingWriter } from './spooling-writer.ts';
import { FakeTiming, waitFor } from '../testing/fake-timing.ts';
import { MemoryStore } from '../testing/memory-store.ts';

const rec = (i: number, object: Record<string, unknown> = { spec: { i } }): ChangeRecord => ({
  cluster: 'c', apiVersion: 'v1', group: '', kind: 'ConfigMap', resource: 'configmaps', namespace: 'default', name: `cm${i}`,
  uid: `u${i}`, resourceVersion: String(i), op: 'ADDED', ts: i, observedAt: i, source: 'audit', object,
});

let dir: string;
const closers: (() => Promise<unknown>)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubetime-quarantine-'));
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

async function writerOver(store: Parameters<typeof SpoolingWriter.open>[0]['store']) {
  const metrics = new IngestMetrics();
  const quarantine = new Quarantine({ dir: join(dir, 'quarantine'), metrics });
  const timing = new FakeTiming();
  const w = await SpoolingWriter.open({ store, dir: join(dir, 'spool'), metrics, quarantine, timing, retry: { baseMs: 1000, maxMs: 1000 } });
  closers.push(() => w.close());
  return { w, metrics, quarantine, timing };
}

async function quarantined(q: Quarantine): Promise<Record<string, unknown>[]> {
  return (await readFile(q.path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('quarantine of records the store cannot take', () => {
  it('sets a ~6,000-deep object aside and stores the rest of its batch (the write resolves)', async () => {
    const store = LmdbHistoryStore.open({ path: join(dir, 'store') });
    closers.push(() => store.close());
    const { w, metrics, quarantine } = await writerOver(store);
    await w.write([rec(1), rec(2, { spec: nested(6000) }), rec(3)]);
    expect(w.status().mode).toBe('direct');
    const stored = [];
    for await (const l of store.lifetimes({ cluster: 'c' })) stored.push(l.key.name);
    expect(stored).toEqual(['cm1', 'cm3']);
    const [line, ...more] = await quarantined(quarantine);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ reason: 'depth', kind: 'ConfigMap', namespace: 'default', name: 'cm2', uid: 'u2', resourceVersion: '2' });
    expect(metrics.quarantinedTotal.get({ reason: 'depth' })).toBe(1);
    expect((await stat(quarantine.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'quarantine'))).mode & 0o777).toBe(0o700);
  });

  it('never lets such a record into the spool: the spool keeps the rest and drains', async () => {
    const store = new MemoryStore();
    store.down = true;
    const { w, metrics, timing } = await writerOver(store);
    await w.write([rec(1), rec(2, { spec: nested(6000) })]);
    expect(w.status()).toMatchObject({ mode: 'spooling', spooledRecords: 1 });
    expect(metrics.quarantinedTotal.get({ reason: 'depth' })).toBe(1);
    store.down = false;
    await timing.advance(1000);
    await waitFor(() => w.status().mode === 'direct', 'drained');
    expect([...store.byId.values()].map((r) => r.name)).toEqual(['cm1']);
  });

  it('quarantines a record the store refuses instead of retrying it', async () => {
    const lmdb = LmdbHistoryStore.open({ path: join(dir, 'store') });
    closers.push(() => lmdb.close());
    await lmdb.append([rec(1)]);
    const { w, metrics, quarantine } = await writerOver(lmdb);
    // ConfigMap is namespaced in this store: one without a namespace is refused, never stored.
    await w.write([rec(4), { ...rec(5), namespace: '' }]);
    expect(metrics.quarantinedTotal.get({ reason: 'scope' })).toBe(1);
    expect((await quarantined(quarantine)).map((l) => l.name)).toEqual(['cm5']);
    expect(w.status().mode).toBe('direct');
  });
});
