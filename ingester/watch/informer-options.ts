/**
 * InformerSourceOptions: everything one InformerSource is given, and what follows from it alone:
 * the API path the source lists and watches, its label selector, the checkpoint key of its stream,
 * its namespace filter, and the slice of the store its tracked state is rebuilt from. Pure: no I/O.
 */
import type { Logger } from 'pino';
import type { ChangeWriter } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { checkpointKey, type Checkpoints } from './checkpoints.ts';
import type { KubeApi, Query } from './kube-api.ts';
import type { IngestMetrics } from '../metrics.ts';
import type { ResourceInfo } from '../records.ts';
import type { SourceStore } from './resume.ts';
import type { LimitFunction } from 'p-limit';
import type { BackoffPolicy, Timing } from '../timing.ts';

/** Everything one source needs; cli/ does not build these directly (startIngester does). */
export interface InformerSourceOptions {
  api: KubeApi;
  cluster: string;
  resource: ResourceInfo;
  /** Watch only this namespace (namespaced resources). */
  namespace?: string;
  writer: ChangeWriter;
  store: SourceStore;
  /** Client-side namespace filter (excluded namespaces); objects outside are ignored. */
  inScope?: (namespace: string) => boolean;
  /** Names the `inScope` filter in the checkpoint key (a changed filter must not resume). */
  scope?: string;
  /** Where the stream's durable resourceVersion is kept; at start the watch resumes from it. */
  checkpoints?: Checkpoints;
  labelSelector?: string;
  timing?: Timing;
  logger?: Logger;
  metrics?: IngestMetrics;
  /** Shared bound on concurrent lists (a relist storm hurts the API server). */
  listLimiter?: LimitFunction;
  listPageSize?: number;
  /** A watch that delivers no bytes (not even a bookmark) for this long is restarted. Default 180 s. */
  watchdogMs?: number;
  /** Server-side watch timeout, drawn uniformly from this range, s. Default [300, 600]. */
  watchTimeoutSeconds?: readonly [number, number];
  backoff?: BackoffPolicy;
  /** Records a source may have in flight (written, not yet durable) before it stops reading. Default 1000. */
  maxInflightRecords?: number;
  /** Called with every batch of records handed to the writer (the ingester watches CRDs with it). */
  onRecords?: (records: readonly ChangeRecord[]) => void;
}

/** The collection the source lists and watches: `/api/v1/namespaces/ns/pods`, `/apis/apps/v1/deployments`. */
export function resourcePath(o: InformerSourceOptions): string {
  const r = o.resource;
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = o.namespace !== undefined && r.namespaced ? `/namespaces/${encodeURIComponent(o.namespace)}` : '';
  return `${base}${ns}/${r.resource}`;
}

/** The checkpoint key of the source's stream: another path, selector or namespace filter is another stream. */
export function streamKey(o: InformerSourceOptions): string {
  const scope = o.resource.namespaced ? o.scope : undefined;
  return checkpointKey({ cluster: o.cluster, path: resourcePath(o), labelSelector: o.labelSelector, scope });
}

/** The query parameters every list and watch of the source carries. */
export function selectorQuery(o: InformerSourceOptions): Query {
  return { labelSelector: o.labelSelector || undefined };
}

/** Whether an object in `namespace` is the source's (always, for a cluster-scoped resource). */
export function isInScope(o: InformerSourceOptions, namespace: string): boolean {
  return !o.resource.namespaced || !o.inScope || o.inScope(namespace);
}

/** The part of the store the source's objects live in (known-state.ts, resume.ts). */
export function storeScope(o: InformerSourceOptions) {
  return {
    store: o.store, cluster: o.cluster, gk: o.resource.gk,
    ...(o.namespace !== undefined && o.resource.namespaced ? { namespace: o.namespace } : {}),
    ...(o.inScope && o.resource.namespaced ? { inScope: o.inScope } : {}),
  };
}
