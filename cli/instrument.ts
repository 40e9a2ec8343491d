/**
 * Spans and metrics around the ports, added by the composition root so that store/ and core/
 * stay unaware of them: a HistoryStore decorator (a span and a latency observation per store
 * call, iteration included), a ChangeWriter decorator (a span per durable write and the ingest
 * lag of every record), and scrape-time gauges over the compactor (snapshot age, retention
 * horizons, disk use against the budget). Metric names are listed in docs/observability.md.
 */
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { context, trace } from '@opentelemetry/api';
import type { ChangeWriter, HistoryStore } from '../core/ports.ts';
import type { ChangeRecord } from '../core/record.ts';
import type { Clock } from '../core/time.ts';
import type { Compactor } from '../compactor/index.ts';
import { Counter, type MetricsRegistry } from '../history-api/index.ts';
import type { TextCacheStats } from '../store/lmdb/lmdb-history-store.ts';
import { tracer, withSpan } from './telemetry.ts';

/** Store latency buckets, in seconds: 100 µs to 10 s. */
const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Ingest lag buckets, in seconds: 10 ms to 30 min. */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

type Observe = (operation: string, seconds: number) => void;

/** The store behind a span and a latency observation per call (`kubetime.store.<operation>`). */
export function instrumentStore(inner: HistoryStore, metrics: MetricsRegistry, storeName: string): HistoryStore {
  const latency = metrics.histogram({
    name: 'kubetime_store_operation_duration_seconds',
    help: 'Time of a store call (reads until their last row), by operation (append, revisions, lifetimes, feed, …).',
    labelNames: ['store', 'operation'], buckets: STORE_BUCKETS,
  });
  const observe: Observe = (operation, seconds) => latency.observe({ store: storeName, operation }, seconds);
  const call = <T>(op: string, attrs: Attributes, f: () => Promise<T>, size?: (r: T) => number): Promise<T> => {
    const t0 = performance.now();
    return withSpan(`kubetime.store.${op}`, { 'db.system.name': storeName, ...attrs }, async (span) => {
      try {
        const r = await f();
        if (size) span.setAttribute('kubetime.rows', size(r));
        return r;
      } finally {
        observe(op, (performance.now() - t0) / 1000);
      }
    });
  };
  const rows = <T>(op: string, attrs: Attributes, open: () => AsyncIterable<T>) => tracedRows(op, { 'db.system.name': storeName, ...attrs }, open, observe);
  const store: HistoryStore = {
    append: (records) => call('append', { 'kubetime.records': records.length }, () => inner.append(records)),
    revisions: (q) => rows('revisions', keyAttrs(q.key, { order: q.order, limit: q.limit }), () => inner.revisions(q)),
    lifetimes: (q) => rows('lifetimes', { 'kubetime.cluster': q.cluster, 'kubetime.gk': q.gk ?? '', 'kubetime.namespace': q.namespace ?? '' }, () => inner.lifetimes(q)),
    feed: (q) => rows('feed', { 'kubetime.cluster': q.cluster, 'kubetime.gk': q.gk ?? '', 'kubetime.namespace': q.namespace ?? '', 'kubetime.limit': q.limit ?? 0 }, () => inner.feed(q)),
    clusters: () => call('clusters', {}, () => inner.clusters(), (r) => r.length),
    kinds: (cluster) => call('kinds', { 'kubetime.cluster': cluster }, () => inner.kinds(cluster), (r) => r.length),
    prune: (req) => call('prune', { 'kubetime.cluster': req.cluster, 'kubetime.gk': req.gk ?? '' }, () => inner.prune(req), (r) => r.removed),
    close: () => inner.close(),
  };
  if (inner.revisionRefs) {
    const refs = inner.revisionRefs.bind(inner);
    store.revisionRefs = (q) => rows('revisionRefs', keyAttrs(q.key, { order: q.order, limit: q.limit }), () => refs(q));
  }
  if (inner.revisionAt) {
    const at = inner.revisionAt.bind(inner);
    store.revisionAt = (key, t, window) => call('revisionAt', keyAttrs(key, {}), () => at(key, t, window), (r) => (r ? 1 : 0));
  }
  if (inner.summaryStatesAt) {
    // Summary lists read slim objects through it; without it core/scope.ts rebuilds every object.
    const states = inner.summaryStatesAt.bind(inner);
    store.summaryStatesAt = (keys, t, window) => call('summaryStatesAt', { 'kubetime.keys': keys.length }, () => states(keys, t, window), (r) => r.length);
  }
  if (inner.objectTextsAt) {
    // Full lists read objects' JSON text through it; without it core/scope.ts rebuilds and stringifies every object.
    const texts = inner.objectTextsAt.bind(inner);
    store.objectTextsAt = (keys, t, window, variant) => call('objectTextsAt', { 'kubetime.keys': keys.length }, () => texts(keys, t, window, variant), (r) => r.length);
  }
  return store;
}

function keyAttrs(key: { cluster: string; gk: string; namespace: string; name: string }, extra: { order?: string; limit?: number | undefined }): Attributes {
  return {
    'kubetime.cluster': key.cluster, 'kubetime.gk': key.gk, 'kubetime.namespace': key.namespace, 'kubetime.name': key.name,
    ...(extra.order ? { 'kubetime.order': extra.order } : {}), ...(extra.limit !== undefined ? { 'kubetime.limit': extra.limit } : {}),
  };
}

/**
 * A read's rows behind one span that lasts until the consumer stops iterating; every `next()`
 * runs in the span's context, so driver spans (Cassandra statements) nest under it.
 */
async function* tracedRows<T>(op: string, attrs: Attributes, open: () => AsyncIterable<T>, observe: Observe): AsyncIterable<T> {
  const t0 = performance.now();
  const span: Span = tracer.startSpan(`kubetime.store.${op}`, { attributes: attrs });
  const ctx: Context = trace.setSpan(context.active(), span);
  const it = context.with(ctx, () => open()[Symbol.asyncIterator]());
  let n = 0;
  let done = false;
  try {
    for (;;) {
      const r = await context.with(ctx, () => it.next());
      if (r.done) {
        done = true;
        return;
      }
      n++;
      yield r.value;
    }
  } catch (e) {
    span.recordException(e as Error);
    span.setStatus({ code: 2, message: (e as Error)?.message });
    throw e;
  } finally {
    if (!done) await it.return?.();
    span.setAttribute('kubetime.rows', n);
    span.end();
    observe(op, (performance.now() - t0) / 1000);
  }
}

/** Options of instrumentWriter. */
export interface WriterInstrumentation {
  /** The span of each `write` (it ends once the records are durable). */
  span: string;
  /** Observe each record's ingest lag (durable time minus the change's own time) on this registry. */
  lag?: { metrics: MetricsRegistry; clock: Clock };
}

/** A ChangeWriter whose `write` is a span and, optionally, an ingest-lag observation per record. */
export function instrumentWriter<W extends ChangeWriter>(inner: W, o: WriterInstrumentation): W {
  const lag = o.lag?.metrics.histogram({
    name: 'kubetime_ingest_lag_seconds',
    help: 'Time from a change (its audit or watch time) until kubetime has it durably, by source (watch, relist, audit, import).',
    labelNames: ['source'], buckets: LAG_BUCKETS,
  });
  const write = (records: readonly ChangeRecord[]) => withSpan(o.span, { 'kubetime.records': records.length, 'kubetime.kind': records[0]?.kind ?? '' }, async () => {
    await inner.write(records);
    if (!lag || !o.lag) return;
    const now = o.lag.clock.now();
    for (const r of records) lag.observe({ source: r.source }, Math.max(0, now - r.ts) / 1e6);
  });
  // Every other member is the inner writer's own, bound to it (its private fields need the real `this`).
  return new Proxy(inner, {
    get: (target, prop) => {
      if (prop === 'write') return write;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** What the compactor gauges read. */
export interface CompactorGaugeDeps {
  compactor: Compactor;
  clock: Clock;
  /** Snapshot interval, in seconds. */
  intervalSeconds: number;
  /** The disk budget in bytes and how to measure use, when one is configured. */
  disk?: { budget: number; usage: () => Promise<number> };
}

/** Scrape-time gauges: snapshot age per cluster, retention horizon per kind, disk use and budget. */
export function registerCompactorGauges(metrics: MetricsRegistry, d: CompactorGaugeDeps): void {
  const ageOf = (micros: number) => Math.max(0, d.clock.now() - micros) / 1e6;
  metrics.gauge({ name: 'kubetime_snapshot_interval_seconds', help: 'The configured snapshot interval, in seconds.' }).set(d.intervalSeconds);
  metrics.gauge({
    name: 'kubetime_snapshot_age_seconds', help: 'Age of the newest snapshot of each cluster, in seconds.', labelNames: ['cluster'],
    collect: async (g) => {
      const newest = new Map<string, number>();
      for (const m of await d.compactor.catalog.manifests()) newest.set(m.cluster, Math.max(newest.get(m.cluster) ?? 0, m.at));
      g.reset();
      for (const [cluster, at] of newest) g.set({ cluster }, ageOf(at));
    },
  });
  metrics.gauge({
    name: 'kubetime_retention_horizon_seconds', labelNames: ['cluster', 'kind'],
    help: 'How far back the retained history of each kind reaches (now minus its retention horizon), in seconds.',
    collect: async (g) => {
      g.reset();
      for (const cluster of await d.compactor.catalog.clusters()) {
        for (const h of (await d.compactor.catalog.retention(cluster))?.horizons ?? []) {
          if (h.namespace === undefined) g.set({ cluster, kind: h.gk }, ageOf(h.horizon));
        }
      }
    },
  });
  metrics.gauge({
    name: 'kubetime_compactor_last_run_timestamp_seconds', help: 'When the last compactor run (snapshots, retention, disk check) ended, as a Unix time.',
    collect: (g) => { const t = d.compactor.lastRunEndedAt(); if (t !== undefined) g.set(t / 1e6); },
  });
  metrics.gauge({
    name: 'kubetime_compactor_last_run_failures', help: 'Failed snapshots and failed steps of the last compactor run.',
    collect: (g) => { const r = d.compactor.status(); if (r) g.set(r.failed.length + r.errors.length); },
  });
  if (d.disk) registerDiskGauges(metrics, d.disk);
}

function registerDiskGauges(metrics: MetricsRegistry, disk: { budget: number; usage: () => Promise<number> }): void {
  metrics.gauge({ name: 'kubetime_disk_budget_bytes', help: 'The configured disk budget of the data directory, in bytes.' }).set(disk.budget);
  let cached: { at: number; bytes: number } | undefined;
  metrics.gauge({
    name: 'kubetime_disk_usage_bytes', help: 'Bytes used by the data directory (measured at most once a minute).',
    collect: async (g) => {
      if (!cached || Date.now() - cached.at > 60_000) cached = { at: Date.now(), bytes: await disk.usage() };
      g.set(cached.bytes);
    },
  });
}

/**
 * Scrape-time metrics of the text cache full lists as of T are joined from: its size against its
 * cap, and its lookups (one per object of a full list) by result, so an operator sees whether
 * `--text-cache` holds what is asked again.
 */
export function registerTextCacheMetrics(metrics: MetricsRegistry, report: () => TextCacheStats | undefined): void {
  metrics.gauge({ name: 'kubetime_text_cache_bytes', help: 'JSON text held by the text cache of full lists as of T (characters: one byte each for ASCII).', collect: (g) => g.set(report()?.bytes ?? 0) });
  metrics.gauge({ name: 'kubetime_text_cache_max_bytes', help: 'The text cache\'s configured size (--text-cache), in bytes.', collect: (g) => g.set(report()?.maxBytes ?? 0) });
  const name = 'kubetime_text_cache_lookups_total';
  if (metrics.registry.getSingleMetric(name)) return;
  new Counter({
    name, help: 'Objects of full lists as of T looked up in the text cache, by result (hit: served without rebuilding).', labelNames: ['result'], registers: [metrics.registry],
    collect(this: Counter) {
      const r = report();
      this.reset();
      this.inc({ result: 'hit' }, r?.hits ?? 0);
      this.inc({ result: 'miss' }, r?.misses ?? 0);
    },
  });
}
