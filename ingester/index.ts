/**
 * The ingester: discovers what the cluster serves, runs one InformerSource per selected resource
 * (per namespace when namespaces are listed), and re-discovers periodically and soon after a
 * CustomResourceDefinition changes, so new CRDs are picked up and removed ones let go.
 *
 * cli/ composes it: `startIngester({ api, cluster, writer, store, checkpoints, … })`, where `writer`
 * is the WritePipeline in front of a SpoolingWriter (pipeline.ts, spooling-writer.ts) and
 * `checkpoints` the watch checkpoints in the data dir (checkpoints.ts): with them, a restarted
 * ingester resumes every watch where it was durable instead of relisting. Close them after `stop()`.
 */
import type { Logger } from 'pino';
import type { ChangeWriter } from '../core/ports.ts';
import { groupKind, type ChangeRecord } from '../core/record.ts';
import { discoverResources, namespaceFilter, selectResources, servedKindOfCrd, type IngestFilters } from './watch/discovery.ts';
import type { InformerSourceOptions } from './watch/informer-options.ts';
import { InformerSource, type SourceStatus } from './watch/informer-source.ts';
import type { KubeApi } from './watch/kube-api.ts';
import { IngestMetrics } from './metrics.ts';
import type { ResourceInfo } from './records.ts';
import type { Checkpoints } from './watch/checkpoints.ts';
import type { SourceStore } from './watch/resume.ts';
import pLimit, { type LimitFunction } from 'p-limit';
import { backoffDelay, DEFAULT_BACKOFF, realTiming, type Timing } from './timing.ts';

export type { IngestFilters } from './watch/discovery.ts';
export type { SourceStatus } from './watch/informer-source.ts';

/** Per-source tuning; the defaults suit a real cluster. */
export type SourceTuning = Pick<InformerSourceOptions, 'listPageSize' | 'watchdogMs' | 'watchTimeoutSeconds' | 'backoff' | 'maxInflightRecords'>;

export interface IngesterOptions {
  /** The cluster's API (ClientNodeKubeApi over a KubeConfig in production). */
  api: KubeApi;
  /** The configured cluster name every record carries. */
  cluster: string;
  /** Where records go; `settled()`, when present, is awaited before the first reconciliation. */
  writer: ChangeWriter & { settled?(): Promise<void> };
  store: SourceStore;
  /** Each watch's durable resourceVersion; without them every start lists. */
  checkpoints?: Checkpoints;
  filters?: IngestFilters;
  logger?: Logger;
  metrics?: IngestMetrics;
  timing?: Timing;
  /** Periodic re-discovery, ms. Default 60 s. */
  rediscoverEveryMs?: number;
  /** Sources listing at once. Default 4. */
  listConcurrency?: number;
  source?: SourceTuning;
}

export interface IngesterStatus {
  state: 'starting' | 'running' | 'stopped';
  /** µs of the last successful discovery. */
  discoveredAt?: number;
  /** Group versions whose discovery failed last time. */
  failedDiscovery: string[];
  sources: SourceStatus[];
}

export interface Ingester {
  /** Stops every watch; records already handed to the writer are its business. */
  stop(): Promise<void>;
  status(): IngesterStatus;
  /** The kind of a (group, plural resource) the cluster serves, e.g. for audit events of CRDs. */
  kindForResource(group: string, resource: string): string | undefined;
  /**
   * Every kind the cluster served while this process ran (discovery, and established CRDs from
   * their watch events), whether selected for recording or not: no longer served ones stay, so a
   * deleted CRD's kind still answers for its past.
   */
  servedKinds(): ResourceInfo[];
  /** Whether a (group, kind) the cluster serves is namespaced; undefined when discovery has not seen it. */
  kindNamespaced(group: string, kind: string): boolean | undefined;
  /** Runs discovery now (also done periodically). */
  rediscover(): Promise<void>;
}

const CRD_GK = 'CustomResourceDefinition.apiextensions.k8s.io';
/** Discoveries in a row that must miss a resource before its watch stops. */
const MISSES_TO_STOP = 2;

class IngesterImpl implements Ingester {
  readonly #o: IngesterOptions;
  readonly #t: Timing;
  readonly #metrics: IngestMetrics;
  readonly #stop = new AbortController();
  readonly #sources = new Map<string, { source: InformerSource; resource: ResourceInfo }>();
  /** Sources missing from the latest discoveries: how many in a row. */
  readonly #missing = new Map<string, number>();
  readonly #limiter: LimitFunction;
  #wake = new AbortController();
  #kinds = new Map<string, string>();
  /** groupKind → what discovery or an established CRD said of it last (never forgotten). */
  readonly #served = new Map<string, ResourceInfo>();
  #state: IngesterStatus['state'] = 'starting';
  #discoveredAt: number | undefined;
  #failed: string[] = [];
  #crdChangedAt = -Infinity;
  #loop: Promise<void>;
  #discovering: Promise<void> | undefined;

  constructor(opts: IngesterOptions) {
    this.#o = opts;
    this.#t = opts.timing ?? realTiming;
    this.#metrics = opts.metrics ?? new IngestMetrics();
    this.#limiter = pLimit(Math.max(1, opts.listConcurrency ?? 4));
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const settled = this.#o.writer.settled?.();
    if (settled) {
      this.#o.logger?.info('waiting for spooled records to reach the store before reconciling');
      await Promise.race([settled, new Promise((r) => this.#stop.signal.addEventListener('abort', r, { once: true }))]);
    }
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        await this.rediscover();
        failures = 0;
      } catch (e) {
        failures++;
        this.#o.logger?.warn({ err: e, failures }, 'discovery failed; keeping current watches');
      }
      const every = this.#o.rediscoverEveryMs ?? 60_000;
      const recentCrd = this.#t.clock.now() - this.#crdChangedAt < 10e6;
      const wait = failures ? Math.min(every, backoffDelay(failures, DEFAULT_BACKOFF, this.#t.random)) : recentCrd ? Math.min(every, 2000) : every;
      this.#wake = new AbortController();
      await this.#t.delay(wait, AbortSignal.any([this.#stop.signal, this.#wake.signal]));
      if (this.#wake.signal.aborted && !this.#stop.signal.aborted) await this.#t.delay(1000, this.#stop.signal);
    }
  }

  rediscover(): Promise<void> {
    this.#discovering ??= this.#discover().finally(() => {
      this.#discovering = undefined;
    });
    return this.#discovering;
  }

  async #discover(): Promise<void> {
    const { resources, failed } = await discoverResources(this.#o.api, this.#stop.signal);
    if (this.#stop.signal.aborted) return;
    this.#kinds = new Map(resources.map((r) => [`${r.group}/${r.resource}`, r.kind]));
    for (const r of resources) this.#served.set(r.gk, r);
    this.#failed = failed;
    const failedGvs = new Set(failed);
    const wanted = new Map<string, { resource: ResourceInfo; namespace?: string }>();
    const namespaces = this.#o.filters?.includeNamespaces?.length ? [...new Set(this.#o.filters.includeNamespaces)] : undefined;
    for (const resource of selectResources(resources, this.#o.filters)) {
      if (resource.namespaced && namespaces) {
        for (const namespace of namespaces) wanted.set(`${resource.apiVersion}|${resource.resource}|${namespace}`, { resource, namespace });
      } else {
        wanted.set(`${resource.apiVersion}|${resource.resource}|*`, { resource });
      }
    }
    const stopping: Promise<void>[] = [];
    for (const [key, { source, resource }] of this.#sources) {
      if (wanted.has(key) || failedGvs.has(resource.apiVersion)) {
        this.#missing.delete(key);
        continue;
      }
      // An API server coming up may serve discovery before every group is back: one miss is not
      // enough to stop a watch (and lose its place), two in a row are.
      const misses = (this.#missing.get(key) ?? 0) + 1;
      if (misses < MISSES_TO_STOP) {
        this.#missing.set(key, misses);
        continue;
      }
      this.#o.logger?.info({ gk: resource.gk, apiVersion: resource.apiVersion }, 'resource no longer served or selected; stopping its watch');
      this.#missing.delete(key);
      this.#sources.delete(key);
      stopping.push(source.stop());
    }
    for (const [key, w] of wanted) {
      if (!this.#sources.has(key)) this.#startSource(key, w.resource, w.namespace);
    }
    await Promise.all(stopping);
    this.#discoveredAt = this.#t.clock.now();
    this.#state = 'running';
    this.#metrics.watchedResources.set({}, this.#sources.size);
  }

  #startSource(key: string, resource: ResourceInfo, namespace: string | undefined): void {
    const o = this.#o;
    const logger = o.logger?.child({ component: 'informer', gk: resource.gk, apiVersion: resource.apiVersion, ...(namespace !== undefined ? { namespace } : {}) });
    const source = new InformerSource({
      ...o.source,
      api: o.api, cluster: o.cluster, resource, writer: o.writer, store: o.store,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(o.filters ? { inScope: namespaceFilter(o.filters) } : {}),
      ...(o.filters?.excludeNamespaces?.length ? { scope: `exclude=${[...o.filters.excludeNamespaces].sort().join(',')}` } : {}),
      ...(o.checkpoints ? { checkpoints: o.checkpoints } : {}),
      ...(o.filters?.labelSelector ? { labelSelector: o.filters.labelSelector } : {}),
      timing: this.#t, metrics: this.#metrics, listLimiter: this.#limiter,
      ...(logger ? { logger } : {}),
      ...(resource.gk === CRD_GK ? { onRecords: (records: readonly ChangeRecord[]) => this.#crdChanged(records) } : {}),
    });
    this.#sources.set(key, { source, resource });
    source.start();
  }

  #crdChanged(records: readonly ChangeRecord[]): void {
    if (records.length === 0) return;
    // Established: its kind resolves at once, before the discovery this wakes up.
    for (const r of records) {
      const served = r.op === 'DELETED' ? undefined : servedKindOfCrd(r.object);
      if (!served) continue;
      this.#served.set(served.gk, served);
      this.#kinds.set(`${served.group}/${served.resource}`, served.kind);
    }
    this.#crdChangedAt = this.#t.clock.now();
    this.#wake.abort();
  }

  kindForResource(group: string, resource: string): string | undefined {
    return this.#kinds.get(`${group}/${resource}`);
  }

  kindNamespaced(group: string, kind: string): boolean | undefined {
    return this.#served.get(groupKind(group, kind))?.namespaced;
  }

  servedKinds(): ResourceInfo[] {
    return [...this.#served.values()];
  }

  status(): IngesterStatus {
    return {
      state: this.#state,
      ...(this.#discoveredAt !== undefined ? { discoveredAt: this.#discoveredAt } : {}),
      failedDiscovery: [...this.#failed],
      sources: [...this.#sources.values()].map((s) => s.source.status()),
    };
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#discovering?.catch(() => {});
    await Promise.all([...this.#sources.values()].map((s) => s.source.stop()));
    this.#sources.clear();
    this.#metrics.watchedResources.set({}, 0);
    this.#state = 'stopped';
  }
}

/** Starts ingesting; returns at once (discovery and the first lists run in the background). */
export function startIngester(opts: IngesterOptions): Ingester {
  return new IngesterImpl(opts);
}

export { ClientNodeKubeApi, type ClientNodeKubeApiOptions } from './watch/client-node-kube-api.ts';
export { WritePipeline, type WritePipelineOptions } from './write/pipeline.ts';
export { SpoolingWriter, type SpoolingWriterOptions, type SpoolStatus } from './write/spooling-writer.ts';
export { IngestMetrics, type MetricFamily } from './metrics.ts';
export { Checkpoints, CHECKPOINTS_FILE, type CheckpointsOptions } from './watch/checkpoints.ts';
export { realTiming, type Timing } from './timing.ts';
export type { KubeApi } from './watch/kube-api.ts';
