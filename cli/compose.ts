/**
 * The composition root (STYLE.md: only cli/ composes). Builds the store, the queries, the audit
 * sink and the HTTP server from the frozen configuration; every other module receives what it
 * needs from here.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { ChangeWriter, HistoryStore } from '../core/ports.ts';
import { createHistoryQueries } from '../core/queries.ts';
import type { HistoryQueries } from '../core/query-types.ts';
import { systemClock, type Clock } from '../core/time.ts';
import { buildServer, MetricsRegistry, type HistoryServer } from '../history-api/index.ts';
import { AuditSink } from '../ingester/audit-sink.ts';
import { AttributingWriter } from '../ingester/attributing-writer.ts';
import { AttributionJournal } from '../ingester/attribution-journal.ts';
import { Attributor, type Attribution } from '../ingester/attributor.ts';
import { IngestMetrics, SpoolingWriter, WritePipeline } from '../ingester/index.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { Compactor, directorySize, parseRetentionSpec, snapshotStoreFromUrl, DEFAULT_RETENTION } from '../compactor/index.ts';
import { horizonFor, type SnapshotStore } from '../core/snapshot.ts';
import { toMillis } from './config.ts';
import type { Config } from './config.ts';
import { instrumentStore, instrumentWriter, registerCompactorGauges } from './instrument.ts';
import { traceFields } from './telemetry.ts';

export interface App {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: HistoryStore;
  writer: ChangeWriter & { settled?(): Promise<void> };
  /** The same writer: what the audit sink and a restart tell the Attributor goes through it. */
  attributing: AttributingWriter;
  /** The journal of attributions waiting for their revision, and what it held at start (for `serve` to restore). */
  journal: AttributionJournal;
  journaled: Attribution[];
  ingestMetrics: IngestMetrics;
  queries: HistoryQueries;
  sink: AuditSink;
  metrics: MetricsRegistry;
  snapshots: SnapshotStore;
  /** Built with the app; `serve` starts its schedule, the ops commands run it once. */
  compactor: Compactor;
  /** The kind of a (group, resource), from the watched cluster's discovery when there is one. */
  kindForResource?: (group: string, resource: string) => string | undefined;
  /** The history API's URL once listening. */
  address?: string;
  /** Everything to stop on shutdown, last started first. */
  closers: (() => Promise<void>)[];
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  // Lines logged inside a span carry its trace_id and span_id (cli/telemetry.ts).
  return pino({ level: config.logLevel, base: { service: 'kubetime' }, mixin: traceFields }, pino.destination(2));
}

export async function openStore(config: Config, logger: Logger): Promise<HistoryStore> {
  if (config.store === 'cassandra') {
    const { CassandraHistoryStore, migrate } = await import('../store/cassandra/index.ts');
    const opts = {
      contactPoints: config.cassandra.contactPoints,
      localDataCenter: config.cassandra.localDataCenter,
      keyspace: config.cassandra.keyspace,
      replication: config.cassandra.replication,
      logger: logger.child({ component: 'cassandra' }),
    };
    if (config.cassandra.migrateOnStart) await migrate(opts);
    return CassandraHistoryStore.connect(opts);
  }
  const path = join(config.dataDir, 'store');
  mkdirSync(path, { recursive: true });
  return LmdbHistoryStore.open({ path });
}

/** Maps a (group, resource) to a kind from the kinds the store has seen (CRDs). */
function kindLookup(store: HistoryStore, cluster: string): (group: string, resource: string) => string | undefined {
  let cache = new Map<string, string>();
  const refresh = async () => {
    cache = new Map((await store.kinds(cluster)).map((k) => [`${k.group}/${k.resource}`, k.kind]));
  };
  void refresh().catch(() => undefined);
  return (group, resource) => {
    const hit = cache.get(`${group}/${resource}`);
    if (!hit) void refresh().catch(() => undefined);
    return hit;
  };
}

/**
 * Every record — watched, audited or imported — goes through one WritePipeline (batching,
 * backpressure) into one SpoolingWriter (the store, or the local spool while the store is
 * unavailable), so a write resolves only when durable and a store outage loses nothing.
 */
async function createWriter(config: Config, store: HistoryStore, logger: Logger, metrics: IngestMetrics) {
  const spool = await SpoolingWriter.open({ store, dir: join(config.dataDir, 'spool'), logger: logger.child({ component: 'spool' }), metrics });
  const pipeline = new WritePipeline({ sink: spool, metrics, logger: logger.child({ component: 'pipeline' }) });
  return { pipeline, close: async () => { await pipeline.close(); await spool.close(); } };
}

/** The SnapshotStore a URL names, with the S3 settings of the configuration. */
export function openSnapshots(config: Config, url: string): Promise<SnapshotStore> {
  return snapshotStoreFromUrl(url, { region: config.s3Region, ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}) });
}

export async function createApp(config: Config, opts: { logger?: Logger; clock?: Clock } = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  // One metrics registry for every component (history-api serves it at /metrics).
  const metrics = new MetricsRegistry().collectDefaults();
  const store = instrumentStore(await openStore(config, logger), metrics, config.store === 'cassandra' ? 'cassandra' : 'lmdb');
  const cluster = config.cluster ?? 'default';
  const ingestMetrics = new IngestMetrics(metrics.registry);
  const { pipeline: untraced, close } = await createWriter(config, store, logger, ingestMetrics);
  const pipeline = instrumentWriter(untraced, { span: 'kubetime.write', lag: { metrics, clock } });
  const attributor = new Attributor({ now: () => clock.now(), onOutcome: (outcome) => ingestMetrics.attributionsTotal.inc({ outcome }) });
  mkdirSync(config.dataDir, { recursive: true });
  const journaled = await AttributionJournal.open({ path: join(config.dataDir, 'attributions.ndjson'), waiting: () => attributor.waiting() });
  const writer = new AttributingWriter({
    inner: pipeline, attributor, journal: journaled.journal,
    onError: (e) => logger.warn({ err: e }, 'writing an audit attribution failed'),
  });
  const snapshots = await openSnapshots(config, config.snapshots);
  const compactor = new Compactor({
    store, snapshots, clock, logger: logger.child({ component: 'compactor' }),
    interval: config.snapshotInterval * 1000,
    retention: config.retention ? parseRetentionSpec(config.retention, 'KUBETIME_RETENTION') : DEFAULT_RETENTION,
    ...(config.diskBudget ? { diskBudget: { bytes: config.diskBudget, usage: () => directorySize(config.dataDir) } } : {}),
  });
  const queries = createHistoryQueries({
    store, defaultCluster: cluster,
    horizon: async (c, scope) => {
      const state = await compactor.catalog.retention(c);
      // The change feed across kinds is not cut short by the (shorter) retention of Events.
      if (state && scope.gk === undefined) return horizonFor({ ...state, horizons: state.horizons.filter((h) => !h.gk.startsWith('Event')) }, scope);
      return horizonFor(state, scope);
    },
  });
  const fromStore = kindLookup(store, cluster);
  registerCompactorGauges(metrics, {
    compactor, clock, intervalSeconds: config.snapshotInterval / 1000,
    ...(config.diskBudget ? { disk: { budget: config.diskBudget, usage: () => directorySize(config.dataDir) } } : {}),
  });
  const app: App = {
    config, logger, clock, store, writer, attributing: writer, journal: journaled.journal, journaled: journaled.restored,
    ingestMetrics, queries, metrics, snapshots, compactor,
    sink: undefined as unknown as AuditSink,
    closers: [() => store.close(), close, () => journaled.journal.close(), () => writer.settled(), () => compactor.stop()],
  };
  // CRD kinds for audit events: what the watched cluster serves, else what the store has seen.
  app.sink = new AuditSink({ writer, clock, cluster, kindForResource: (g, r) => app.kindForResource?.(g, r) ?? fromStore(g, r) });
  return app;
}

export function createServer(app: App): HistoryServer {
  return buildServer({
    queries: app.queries,
    clock: app.clock,
    logger: app.logger,
    metrics: app.metrics,
    auditToken: app.config.auditToken,
    ...(app.config.tlsCertFile && app.config.tlsKeyFile
      ? { https: { cert: readFileSync(app.config.tlsCertFile), key: readFileSync(app.config.tlsKeyFile) } }
      : {}),
    auditIngest: (body) => app.sink.ingestList(body),
    ready: async () => {
      try {
        await app.store.clusters();
        return true;
      } catch {
        return false;
      }
    },
  });
}

export async function shutdown(app: App): Promise<void> {
  for (const close of [...app.closers].reverse()) {
    try {
      await close();
    } catch (e) {
      app.logger.warn({ err: e }, 'error while stopping');
    }
  }
}
