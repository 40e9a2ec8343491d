import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryStore } from '../core/ports.ts';
import type { ObjectKey } from '../core/record.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import type { ChangeRecord } from '../core/record.ts';
import { filledStore, ManualClock, T0 } from '../compactor/testing/fixtures.ts';
import { MemoryHistoryStore } from '../compactor/testing/memory-history-store.ts';
import { MetricsRegistry } from '../history-api/index.ts';
import { parsePrometheus } from '../history-api/testing/prometheus.ts';
import { instrumentStore, instrumentWriter, registerTextCacheMetrics } from './instrument.ts';
import { VIEW_TEXTS } from '../core/present/view.ts';
import { tracingRequested } from './telemetry.ts';

const count = async (m: MetricsRegistry, name: string, labels: Record<string, string>) =>
  parsePrometheus(await m.render()).samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('instrumentStore', () => {
  it('answers like the store it wraps and times each call, reads until their last row', async () => {
    const inner = await filledStore({ store: new MemoryHistoryStore(), objects: 20, changes: 60 });
    const metrics = new MetricsRegistry();
    const store = instrumentStore(inner, metrics, 'memory');
    const [cluster] = await inner.clusters();
    const q = { cluster: cluster!.name, from: 0, to: Number.MAX_SAFE_INTEGER, order: 'asc' as const };
    const rows = async (it: AsyncIterable<unknown>) => { const out = []; for await (const r of it) out.push(r); return out; };
    expect(await rows(store.feed(q))).toEqual(await rows(inner.feed(q)));
    expect(await store.clusters()).toEqual(await inner.clusters());
    expect(await count(metrics, 'kubetime_store_operation_duration_seconds_count', { store: 'memory', operation: 'feed' })).toBe(1);
    expect(await count(metrics, 'kubetime_store_operation_duration_seconds_count', { store: 'memory', operation: 'clusters' })).toBe(1);
  });

  it('keeps optional methods optional and ends a read the consumer stops early', async () => {
    const inner = await filledStore({ store: new MemoryHistoryStore(), objects: 20, changes: 60 });
    const metrics = new MetricsRegistry();
    const store = instrumentStore(inner, metrics, 'memory');
    expect(store.revisionAt === undefined).toBe(inner.revisionAt === undefined);
    expect(store.revisionRefs === undefined).toBe(inner.revisionRefs === undefined);
    const [cluster] = await inner.clusters();
    for await (const _ of store.feed({ cluster: cluster!.name, from: 0, to: Number.MAX_SAFE_INTEGER, order: 'asc' })) break;
    expect(await count(metrics, 'kubetime_store_operation_duration_seconds_count', { operation: 'feed' })).toBe(1);
  });
});

describe('instrumentStore over the embedded store', () => {
  it('offers every method the store offers (a summary list reads slim rows through it) and times them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-instrument-'));
    const inner = LmdbHistoryStore.open({ path: dir });
    try {
      await filledStore({ store: inner, objects: 10, changes: 30 });
      const metrics = new MetricsRegistry();
      const store = instrumentStore(inner, metrics, 'lmdb');
      // Every member of HistoryStore (a new one fails to compile here until it is listed).
      const members = { append: 1, revisions: 1, revisionRefs: 1, revisionAt: 1, summaryStatesAt: 1, objectTextsAt: 1, lifetimes: 1, feed: 1, clusters: 1, kinds: 1, prune: 1, close: 1 } satisfies Record<keyof HistoryStore, 1>;
      for (const m of Object.keys(members) as (keyof HistoryStore)[]) expect([m, typeof store[m]]).toEqual([m, typeof inner[m]]);
      const [cluster] = await inner.clusters();
      const keys: ObjectKey[] = [];
      for await (const l of inner.lifetimes({ cluster: cluster!.name })) keys.push(l.key);
      expect(keys.length).toBeGreaterThan(0);
      const at = T0 + 3_600_000_000;
      expect(await store.summaryStatesAt!(keys, at, 8)).toEqual(await inner.summaryStatesAt!(keys, at, 8));
      expect(await count(metrics, 'kubetime_store_operation_duration_seconds_count', { store: 'lmdb', operation: 'summaryStatesAt' })).toBe(1);
    } finally {
      await inner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('registerTextCacheMetrics', () => {
  it('reports the text cache\'s bytes against its cap and its lookups by result, as a full list fills it and is asked again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-instrument-'));
    const inner = LmdbHistoryStore.open({ path: dir, textCacheBytes: 1 << 20 });
    try {
      await filledStore({ store: inner, objects: 10, changes: 30 });
      const metrics = new MetricsRegistry();
      registerTextCacheMetrics(metrics, () => inner.textCache);
      registerTextCacheMetrics(metrics, () => inner.textCache); // idempotent, as every component's registration
      const [cluster] = await inner.clusters();
      const keys: ObjectKey[] = [];
      for await (const l of inner.lifetimes({ cluster: cluster!.name })) keys.push(l.key);
      const at = T0 + 3_600_000_000;
      const first = await inner.objectTextsAt!(keys, at, 8, VIEW_TEXTS.raw);
      const found = first.filter((t) => t !== null);
      expect(found.length).toBeGreaterThan(0);
      expect(await count(metrics, 'kubetime_text_cache_lookups_total', { result: 'miss' })).toBe(found.length);
      expect(await count(metrics, 'kubetime_text_cache_lookups_total', { result: 'hit' })).toBe(0);
      expect(await inner.objectTextsAt!(keys, at, 8, VIEW_TEXTS.raw)).toEqual(first);
      expect(await count(metrics, 'kubetime_text_cache_lookups_total', { result: 'hit' })).toBe(found.length);
      expect(await count(metrics, 'kubetime_text_cache_bytes', {})).toBe(found.reduce((n, t) => n + t!.length, 0));
      expect(await count(metrics, 'kubetime_text_cache_max_bytes', {})).toBe(1 << 20);
    } finally {
      await inner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('instrumentWriter', () => {
  it('observes each record\'s lag from its change time to durable, by source, and keeps the other members', async () => {
    const clock = new ManualClock(T0 + 5_000_000);
    const metrics = new MetricsRegistry();
    const written: ChangeRecord[][] = [];
    const inner = { write: async (r: readonly ChangeRecord[]) => void written.push([...r]), settled: async () => 'settled' };
    const w = instrumentWriter(inner, { span: 'kubetime.write', lag: { metrics, clock } });
    await w.write([{ ts: T0, source: 'audit' } as ChangeRecord, { ts: T0 + 4_000_000, source: 'watch' } as ChangeRecord]);
    expect(written).toHaveLength(1);
    expect(await w.settled()).toBe('settled');
    expect(await count(metrics, 'kubetime_ingest_lag_seconds_sum', { source: 'audit' })).toBe(5);
    expect(await count(metrics, 'kubetime_ingest_lag_seconds_sum', { source: 'watch' })).toBe(1);
  });
});

describe('tracingRequested', () => {
  it('is off unless an exporter or an OTLP endpoint is configured', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
  });
});
