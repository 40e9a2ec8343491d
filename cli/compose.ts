/**
 * The composition root (STYLE.md: only cli/ composes). Builds the store, the queries, the audit
 * sink and the HTTP server from the frozen configuration; every other module receives what it
 * needs from here.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ChangeWriter, HistoryStore } from '../core/ports.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { FailureIndex, observedStore } from '../core/failures/failure-index.ts';
import type { HistoryQueries } from '../core/query-types.ts';
import { systemClock, type Clock } from '../core/time.ts';
import { buildServer, MetricsRegistry, type HistoryServer } from '../history-api/index.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { AttributingWriter } from '../ingester/attribution/attributing-writer.ts';
import { AttributionJournal } from '../ingester/attribution/attribution-journal.ts';
import { Attributor, type Attribution } from '../ingester/attribution/attributor.ts';
import { IngestMetrics, SpoolingWriter, WritePipeline } from '../ingester/index.ts';
import { Quarantine } from '../ingester/write/quarantine.ts';
import { AuditPlausibility } from '../ingester/audit/plausibility.ts';
import { builtinKind } from '../core/kinds.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { Compactor, directorySize, parseRetentionSpec, DEFAULT_RETENTION } from '../compactor/index.ts';
import { snapshotStoreFromUrl } from './snapshot-store-url.ts';
import { horizonFor, type SnapshotStore } from '../core/snapshot.ts';
import type { KindInfo } from '../core/kinds.ts';
import { toMillis } from './config.ts';
import { kindLookup } from './kind-lookup.ts';
import { rootLogger } from './logger.ts';
import { loadSecretDigestKey, restrictDataDir } from './data-dir.ts';
import { useSecretDigestKey } from '../core/redact.ts';
import type { Config } from './config.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { createReadAuth } from './read-access.ts';
import { instrumentStore, instrumentWriter, registerCompactorGauges, registerTextCacheMetrics } from './instrument.ts';
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
  /** The kinds the watched cluster serves (discovery, established CRDs), for resolving kind names before any object is stored. */
  servedKinds?: (cluster: string) => readonly KindInfo[];
  /** Whether a (group, kind) is namespaced, from the watched cluster's discovery when there is one. */
  kindNamespaced?: (group: string, kind: string) => boolean | undefined;
  /** The history API's URL once listening. */
  address?: string;
  /** What `shutdown` stops, by phase (see SHUTDOWN_PHASES); register with `onShutdown`. */
  stops: Record<ShutdownPhase, (() => Promise<void>)[]>;
}

/**
 * The order `shutdown` stops things in: what feeds records in first (watches, the demo's
 * simulator, which still posts audit batches to a listening sink), then the HTTP server (the
 * audit sink), the compactor, the write path (attributions settle, the journal closes, the
 * pipeline and spool drain), and the store last. Within a phase, the last registered stops first.
 */
export const SHUTDOWN_PHASES = ['sources', 'api', 'compactor', 'writes', 'store'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

export function onShutdown(app: Pick<App, 'stops'>, phase: ShutdownPhase, stop: () => Promise<void>): void {
  app.stops[phase].push(stop);
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  // Lines logged inside a span carry its trace_id and span_id (cli/telemetry.ts).
  return rootLogger(config.logLevel, { mixin: traceFields });
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
  return LmdbHistoryStore.open({ path, textCacheBytes: config.textCache });
}

/**
 * Every record — watched, audited or imported — goes through one WritePipeline (batching,
 * backpressure) into one SpoolingWriter (the store, or the local spool while the store is
 * unavailable), so a write resolves only when durable and a store outage loses nothing.
 */
async function createWriter(config: Config, store: HistoryStore, logger: Logger, metrics: IngestMetrics) {
  const quarantine = new Quarantine({ dir: join(config.dataDir, 'quarantine'), logger: logger.child({ component: 'quarantine' }), metrics });
  const spool = await SpoolingWriter.open({ store, dir: join(config.dataDir, 'spool'), logger: logger.child({ component: 'spool' }), metrics, quarantine });
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
  restrictDataDir(config.dataDir);
  useSecretDigestKey(loadSecretDigestKey(config.dataDir, config.secretDigestKey));
  // One metrics registry for every component (history-api serves it at /metrics).
  const metrics = new MetricsRegistry().collectDefaults();
  const opened = await openStore(config, logger);
  if (opened instanceof LmdbHistoryStore) registerTextCacheMetrics(metrics, () => opened.textCache);
  const store = instrumentStore(opened, metrics, config.store === 'cassandra' ? 'cassandra' : 'lmdb');
  const cluster = config.cluster ?? 'default';
  const ingestMetrics = new IngestMetrics(metrics.registry);
  // The failure timeline's index sees every record once it is stored (core/failures/failure-index.ts).
  const failureIndex = new FailureIndex();
  const { pipeline: untraced, close } = await createWriter(config, observedStore(store, failureIndex), logger, ingestMetrics);
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
    store, defaultCluster: cluster, failures: { index: failureIndex },
    servedKinds: (c) => app.servedKinds?.(c) ?? [],
    horizon: async (c, scope) => {
      const state = await compactor.catalog.retention(c);
      // The change feed across kinds is not cut short by the (shorter) retention of Events.
      if (state && scope.gk === undefined) return horizonFor({ ...state, horizons: state.horizons.filter((h) => !h.gk.startsWith('Event')) }, scope);
      return horizonFor(state, scope);
    },
  });
  const fromStore = kindLookup(store, cluster, clock);
  registerCompactorGauges(metrics, {
    compactor, clock, intervalSeconds: config.snapshotInterval / 1000,
    ...(config.diskBudget ? { disk: { budget: config.diskBudget, usage: () => directorySize(config.dataDir) } } : {}),
  });
  const app: App = {
    config, logger, clock, store, writer, attributing: writer, journal: journaled.journal, journaled: journaled.restored,
    ingestMetrics, queries, metrics, snapshots, compactor,
    sink: undefined as unknown as AuditSink,
    stops: {
      sources: [], api: [], compactor: [() => compactor.stop()],
      writes: [close, () => journaled.journal.close(), () => writer.settled()],
      store: [() => store.close()],
    },
  };
  // CRD kinds for audit events: what the watched cluster serves, else what the store has seen.
  const plausibility = new AuditPlausibility({
    store, maxSkewMs: config.auditMaxSkew, metrics: ingestMetrics, logger: logger.child({ component: 'audit' }),
    // A kind's scope from discovery, else the built-in table (the store keeps the first record's).
    namespaced: (g, k) => app.kindNamespaced?.(g, k) ?? builtinKind(g, k)?.namespaced,
  });
  app.sink = new AuditSink({ writer, clock, cluster, plausibility, kindForResource: (g, r) => app.kindForResource?.(g, r) ?? fromStore(g, r) });
  return app;
}

/** The history API of `app`; `kubeconfig` (the watched cluster's) serves TokenReview and SubjectAccessReview. */
export function createServer(app: App, kubeconfig?: KubeConfig): HistoryServer {
  return buildServer({
    readAuth: createReadAuth(app.config, { logger: app.logger.child({ component: 'access' }), kubeconfig, metrics: app.metrics }),
    queries: app.queries,
    clock: app.clock,
    logger: app.logger,
    metrics: app.metrics,
    mcp: { budgetTokens: app.config.mcpBudget },
    auditToken: app.config.auditToken,
    requestTimeoutMs: app.config.requestTimeout,
    auditMaxInflightBytes: app.config.auditMaxInflight,
    ...(app.config.tlsCertFile && app.config.tlsKeyFile
      ? { https: { cert: readFileSync(app.config.tlsCertFile), key: readFileSync(app.config.tlsKeyFile) } }
      : {}),
    ...(app.config.auditSink ? { auditIngest: (body: unknown, receivedAt: number) => app.sink.ingestList(body, undefined, receivedAt) } : {}),
    ...(app.config.auditClientCaFile ? { auditClientCa: readFileSync(app.config.auditClientCaFile) } : {}),
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

/**
 * How long one stop may take before shutdown goes on without it: a Kubernetes Pod has 30 s
 * (terminationGracePeriodSeconds) from SIGTERM to SIGKILL, and a stop that waits for something that
 * will not come (a watch in flight, attributions waiting for revisions) must not use them all.
 */
export const STOP_TIMEOUT_MS = 5_000;

/**
 * Stops everything registered, phase by phase; a failing stop is logged and the rest still run,
 * and so does a stop that has not finished after `timeoutMs` (logged too).
 */
export async function shutdown(app: Pick<App, 'stops' | 'logger'>, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  for (const phase of SHUTDOWN_PHASES) {
    for (const stop of [...app.stops[phase]].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs); });
      try {
        if ((await Promise.race([stop(), late])) === 'late') app.logger.warn({ phase, timeoutMs }, 'a stop did not finish in time; shutdown goes on without it');
      } catch (e) {
        app.logger.warn({ err: e, phase }, 'error while stopping');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
