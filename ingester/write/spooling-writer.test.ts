import { mkdtemp, readdir, readFile, appendFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubetimeError } from '../../core/errors.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { IngestMetrics } from '../metrics.ts';
import { SpoolingWriter } from './spooling-writer.ts';
import { FakeTiming, settle, waitFor } from '../testing/fake-timing.ts';
import { MemoryStore } from '../testing/memory-store.ts';

const rec = (i: number, extra: Partial<ChangeRecord> = {}): ChangeRecord => ({
  cluster: 'c', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'default', name: `p${i}`,
  uid: `u${i}`, resourceVersion: String(i), op: 'ADDED', ts: i, observedAt: i, source: 'watch', object: { spec: { i } }, ...extra,
});

let dir: string;
const open: SpoolingWriter[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubetime-spool-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
  await rm(dir, { recursive: true, force: true });
});

async function writer(store: MemoryStore, timing = new FakeTiming(), metrics = new IngestMetrics()) {
  const w = await SpoolingWriter.open({ store, dir, timing, metrics, retry: { baseMs: 1000, maxMs: 1000 }, appendTimeoutMs: 5000 });
  open.push(w);
  return { w, timing, metrics };
}

/** A writer that spooled two batches (u1, u2) while the store was down, then stopped; the store is still down. */
async function spooledTwoThenStopped(): Promise<MemoryStore> {
  const store = new MemoryStore();
  store.down = true;
  const first = await writer(store);
  await first.w.write([rec(1)]);
  await first.w.write([rec(2)]);
  await first.w.close();
  open.length = 0;
  return store;
}

describe('SpoolingWriter', () => {
  it('writes straight to a healthy store', async () => {
    const store = new MemoryStore();
    const { w } = await writer(store);
    await w.write([rec(1), rec(2)]);
    expect(store.byId.size).toBe(2);
    expect(w.status()).toEqual({ mode: 'direct', spooledRecords: 0, spooledBytes: 0 });
  });

  it('rides out a store outage on disk and drains in order, exactly once', async () => {
    const store = new MemoryStore();
    let wall = 1_000_000;
    const { w, timing, metrics } = await writer(store, new FakeTiming(), new IngestMetrics(undefined, () => wall));
    const spoolAge = () => metrics.collect().find((f) => f.name === 'kubetime_spool_age_seconds')!.samples[0]!.value;
    await w.write([rec(1)]);
    expect(spoolAge()).toBe(0);
    store.down = true;
    await w.write([rec(2), rec(3)]); // resolves: spooled
    wall += 42_000;
    await w.write([rec(4)]);
    expect(w.status()).toMatchObject({ mode: 'spooling', spooledRecords: 3 });
    expect(metrics.spoolRecords.get()).toBe(3);
    expect(spoolAge()).toBe(42); // since the first spooled batch, not the latest
    const files = await readdir(dir);
    expect(files.some((f) => f.startsWith('seg-'))).toBe(true);
    await timing.advance(30_000); // the outage lasts; retries keep failing
    expect(store.byId.size).toBe(1);
    store.down = false;
    const settled = w.settled();
    await timing.advance(1_000);
    await settled;
    expect(store.log.map((r) => r.uid)).toEqual(['u1', 'u2', 'u3', 'u4']);
    expect(w.status()).toEqual({ mode: 'direct', spooledRecords: 0, spooledBytes: 0 });
    expect(spoolAge()).toBe(0);
    expect((await readdir(dir)).filter((f) => f.startsWith('seg-'))).toEqual([]);
    await w.write([rec(5)]);
    expect(store.log.map((r) => r.uid)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
  });

  it('keeps spooled batches across a restart and drains them first', async () => {
    const store = await spooledTwoThenStopped();
    // a crash mid-append leaves a torn line behind
    const seg = (await readdir(dir)).find((f) => f.startsWith('seg-'))!;
    await appendFile(join(dir, seg), '1\t[{"cluster":"c","tor');
    store.down = false;
    const second = await writer(store);
    expect(second.w.status()).toMatchObject({ mode: 'spooling', spooledRecords: 2 });
    await second.w.settled();
    expect(store.log.map((r) => r.uid)).toEqual(['u1', 'u2']);
    expect(JSON.stringify(await readdir(dir))).not.toContain('seg-');
  });

  it('re-drains at most one batch after a crash between store and cursor, and the store absorbs it', async () => {
    const store = await spooledTwoThenStopped();
    store.down = false;
    await store.append([rec(1)]); // stored, but the cursor never moved
    const second = await writer(store);
    await second.w.settled();
    expect(store.log.map((r) => r.uid)).toEqual(['u1', 'u1', 'u2']);
    expect(store.byId.size).toBe(2);
  });

  it('treats an append that hangs as an outage', async () => {
    const store = new MemoryStore();
    const hang = { append: () => new Promise<never>(() => {}), lifetimes: store.lifetimes, revisions: store.revisions };
    const timing = new FakeTiming();
    const w = await SpoolingWriter.open({ store: hang, dir, timing, appendTimeoutMs: 5000 });
    open.push(w);
    const p = w.write([rec(1)]);
    await timing.advance(5000);
    await p;
    expect(w.status()).toMatchObject({ mode: 'spooling', spooledRecords: 1 });
  });

  it('isolates and drops only the records the store refuses as invalid', async () => {
    const store = new MemoryStore();
    store.validate = (r) => {
      if (r.name === 'p3') throw new KubetimeError('INVALID_ARGUMENT', 'bad record');
    };
    const { w, metrics } = await writer(store);
    await w.write([rec(1), rec(2), rec(3), rec(4), rec(5)]);
    expect([...store.byId.values()].map((r) => r.uid).sort()).toEqual(['u1', 'u2', 'u4', 'u5']);
    expect(metrics.rejectedTotal.get({ code: 'INVALID_ARGUMENT' })).toBe(1);
    expect(w.status().mode).toBe('direct');
  });

  it('rotates segments and deletes each one once drained', async () => {
    const store = new MemoryStore();
    store.down = true;
    const timing = new FakeTiming();
    const w = await SpoolingWriter.open({ store, dir, timing, segmentBytes: 300, retry: { baseMs: 1000, maxMs: 1000 } });
    open.push(w);
    for (let i = 0; i < 6; i++) await w.write([rec(i)]);
    const segs = (await readdir(dir)).filter((f) => f.startsWith('seg-'));
    expect(segs.length).toBeGreaterThanOrEqual(3);
    const text = await readFile(join(dir, segs[0]!), 'utf8');
    expect(text).toMatch(/^1\t\[\{"cluster":"c"/);
    store.down = false;
    const drained = w.settled();
    await timing.advance(1000);
    await drained;
    expect(store.log.map((r) => r.uid)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
    expect((await readdir(dir)).filter((f) => f.startsWith('seg-'))).toEqual([]);
    await settle();
  });
});
