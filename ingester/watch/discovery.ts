/**
 * Discovery: walks /api and /apis for every resource that can be listed and watched (built-in
 * kinds, aggregated APIs and CRDs alike), one preferred version per group, and applies the
 * configured kind and Event filters. Re-run periodically (and after a CRD changes) by the
 * ingester, so a CRD added later is picked up without a restart.
 */
import type { KubeApi } from './kube-api.ts';
import { resourceInfo, type ResourceInfo } from '../records.ts';

/** What to record. Every list is optional; an absent include list means "everything". */
export interface IngestFilters {
  /** Kinds to record: Kind, plural or short name, optionally with `.group` (`deployments.apps`). */
  includeKinds?: readonly string[];
  /** Kinds never recorded (same syntax); wins over includeKinds. */
  excludeKinds?: readonly string[];
  /** Namespaces to record (namespaced kinds only; cluster-scoped kinds are unaffected). */
  includeNamespaces?: readonly string[];
  /** Namespaces never recorded; wins over includeNamespaces. */
  excludeNamespaces?: readonly string[];
  /** A label selector applied by the API server to every list and watch. */
  labelSelector?: string;
  /** Record Events (core/v1 and events.k8s.io/v1). Default true. */
  events?: boolean;
}

export interface DiscoveryResult {
  resources: ResourceInfo[];
  /** Group versions whose discovery failed (e.g. an aggregated API that is down). */
  failed: string[];
}

interface RawResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
  verbs?: unknown;
  shortNames?: unknown;
  singularName?: unknown;
  categories?: unknown;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s !== '') : []);

/** The names a user may give a kind besides Kind and plural: singular and categories, when declared. */
function extraNames(singular: unknown, categories: unknown): Pick<ResourceInfo, 'singular' | 'categories'> {
  const c = strings(categories);
  return { ...(typeof singular === 'string' && singular ? { singular } : {}), ...(c.length ? { categories: c } : {}) };
}

function parseResources(group: string, version: string, body: unknown): ResourceInfo[] {
  const list = (body as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(list)) return [];
  const out: ResourceInfo[] = [];
  for (const r of list as RawResource[]) {
    if (typeof r?.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string' || !r.kind) continue;
    const verbs = Array.isArray(r.verbs) ? r.verbs : [];
    if (!verbs.includes('list') || !verbs.includes('watch')) continue;
    out.push(resourceInfo({ group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced === true, shortNames: strings(r.shortNames), ...extraNames(r.singularName, r.categories) }));
  }
  return out;
}

interface GroupVersion {
  group: string;
  version: string;
  path: string;
}

function preferredVersions(core: unknown, apis: unknown): GroupVersion[] {
  const out: GroupVersion[] = [];
  const coreVersions = (core as { versions?: unknown } | null)?.versions;
  if (Array.isArray(coreVersions) && coreVersions.includes('v1')) out.push({ group: '', version: 'v1', path: '/api/v1' });
  const groups = (apis as { groups?: unknown } | null)?.groups;
  if (!Array.isArray(groups)) return out;
  for (const g of groups as { name?: unknown; preferredVersion?: { version?: unknown }; versions?: { version?: unknown }[] }[]) {
    if (typeof g?.name !== 'string' || !g.name) continue;
    const version = g.preferredVersion?.version ?? (Array.isArray(g.versions) ? g.versions[0]?.version : undefined);
    if (typeof version !== 'string' || !version) continue;
    out.push({ group: g.name, version, path: `/apis/${g.name}/${version}` });
  }
  return out;
}

/**
 * Every listable and watchable resource the server offers, preferred versions only.
 * Group versions that fail are reported, not thrown, so one broken aggregated API does not stop
 * the rest; a failure of /api or /apis itself throws.
 */
export async function discoverResources(api: KubeApi, signal?: AbortSignal, concurrency = 8): Promise<DiscoveryResult> {
  const [core, apis] = await Promise.all([api.get('/api', {}, signal), api.get('/apis', {}, signal)]);
  const gvs = preferredVersions(core, apis);
  const resources: ResourceInfo[] = [];
  const failed: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < gvs.length) {
      const gv = gvs[next++]!;
      try {
        resources.push(...parseResources(gv.group, gv.version, await api.get(gv.path, {}, signal)));
      } catch {
        failed.push(gv.group ? `${gv.group}/${gv.version}` : gv.version);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, gvs.length) }, worker));
  resources.sort((a, b) => (a.gk < b.gk ? -1 : a.gk > b.gk ? 1 : 0));
  return { resources, failed };
}

/** Whether a kind spec (`Deployment`, `deploy`, `deployments.apps`, `widgets.example.com`) names `r`. */
export function kindMatches(spec: string, r: ResourceInfo): boolean {
  const text = spec.trim().toLowerCase();
  if (!text) return false;
  const dot = text.indexOf('.');
  const name = dot < 0 ? text : text.slice(0, dot);
  const group = dot < 0 ? undefined : text.slice(dot + 1);
  if (group !== undefined && group !== r.group.toLowerCase() && !(group === 'core' && r.group === '')) return false;
  return name === r.kind.toLowerCase() || name === r.resource.toLowerCase() || r.shortNames.some((s) => s.toLowerCase() === name);
}

/** True for both Event APIs. */
export function isEventResource(r: ResourceInfo): boolean {
  return r.kind === 'Event' && r.resource === 'events' && (r.group === '' || r.group === 'events.k8s.io');
}

/**
 * Applies the kind filters. Events: core/v1 and events.k8s.io/v1 serve the same stored objects
 * (same uid and resourceVersion), so recording both would collide on revision identity; the core
 * API is recorded when served, events.k8s.io only when it is the sole Event API.
 */
export function selectResources(all: readonly ResourceInfo[], filters: IngestFilters = {}): ResourceInfo[] {
  const core = all.find((r) => isEventResource(r) && r.group === '');
  const includes = (r: ResourceInfo) => !!filters.includeKinds?.some((k) => kindMatches(k, r));
  return all.filter((r) => {
    if (isEventResource(r)) {
      if (filters.events === false) return false;
      // The events.k8s.io view only when core Events are not served or it alone was asked for.
      if (r.group !== '' && core && !(includes(r) && !includes(core))) return false;
    }
    if (filters.excludeKinds?.some((k) => kindMatches(k, r))) return false;
    return !filters.includeKinds?.length || includes(r);
  });
}

/** The namespace predicate of the filters (namespaced objects only). */
export function namespaceFilter(filters: IngestFilters): (namespace: string) => boolean {
  const include = filters.includeNamespaces?.length ? new Set(filters.includeNamespaces) : undefined;
  const exclude = new Set(filters.excludeNamespaces ?? []);
  return (ns) => !exclude.has(ns) && (!include || include.has(ns));
}

interface CrdLike {
  spec?: { group?: unknown; scope?: unknown; names?: { kind?: unknown; plural?: unknown; singular?: unknown; shortNames?: unknown; categories?: unknown }; versions?: { name?: unknown; served?: unknown; storage?: unknown }[] };
  status?: { conditions?: { type?: unknown; status?: unknown }[] };
}

/**
 * The kind an established CustomResourceDefinition serves (its storage version, else the first
 * served one), or undefined while it is not established: known from the CRD's own watch event,
 * before the next discovery.
 */
export function servedKindOfCrd(obj: unknown): ResourceInfo | undefined {
  const crd = obj as CrdLike | null;
  const spec = crd?.spec;
  const names = spec?.names;
  const established = Array.isArray(crd?.status?.conditions) && crd.status.conditions.some((c) => c?.type === 'Established' && c.status === 'True');
  if (!established || typeof spec?.group !== 'string' || typeof names?.kind !== 'string' || typeof names.plural !== 'string') return undefined;
  const versions = Array.isArray(spec.versions) ? spec.versions.filter((v) => v?.served === true && typeof v.name === 'string') : [];
  const version = versions.find((v) => v.storage === true) ?? versions[0];
  if (!version) return undefined;
  return resourceInfo({
    group: spec.group, version: String(version.name), kind: names.kind, resource: names.plural, namespaced: spec.scope !== 'Cluster',
    shortNames: strings(names.shortNames), ...extraNames(names.singular, names.categories),
  });
}
