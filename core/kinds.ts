/**
 * Kind resolution, kubectl-style: `Deployment`, `deployments`, `deployment` (singular), `deploy`,
 * `deployments.apps`, `Deployment.apps`, case-insensitive, and categories (`all`), from a built-in
 * table, the kinds the cluster serves (discovery and established CRDs: plain data the caller
 * passes, composed in cli/) and the kinds seen in the data (a kind no longer served still answers
 * for its past).
 */
import { KubetimeError, invalidArgument } from './errors.ts';
import { groupKind } from './record.ts';
import type { SeenKind } from './ports.ts';

export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, as in the API path. */
  resource: string;
  namespaced: boolean;
  shortNames: readonly string[];
  /** The singular resource name (discovery's singularName); the lowercased kind when absent. */
  singular?: string;
  /** Categories the kind belongs to (`all`), as discovery and CRDs declare them. */
  categories?: readonly string[];
}

export interface ResolvedKind extends KindInfo {
  gk: string;
}

type Row = [group: string, version: string, kind: string, resource: string, namespaced: boolean, short?: string];

// Order matters: on a tie, the earlier row wins (kubectl prefers the core group, e.g. for events).
const BUILTIN_ROWS: Row[] = [
  ['', 'v1', 'Pod', 'pods', true, 'po'],
  ['', 'v1', 'Service', 'services', true, 'svc'],
  ['', 'v1', 'Node', 'nodes', false, 'no'],
  ['', 'v1', 'Namespace', 'namespaces', false, 'ns'],
  ['', 'v1', 'ConfigMap', 'configmaps', true, 'cm'],
  ['', 'v1', 'Secret', 'secrets', true],
  ['', 'v1', 'Event', 'events', true, 'ev'],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, 'pvc'],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', false, 'pv'],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, 'sa'],
  ['', 'v1', 'Endpoints', 'endpoints', true, 'ep'],
  ['', 'v1', 'ReplicationController', 'replicationcontrollers', true, 'rc'],
  ['', 'v1', 'LimitRange', 'limitranges', true, 'limits'],
  ['', 'v1', 'ResourceQuota', 'resourcequotas', true, 'quota'],
  ['', 'v1', 'PodTemplate', 'podtemplates', true],
  ['apps', 'v1', 'Deployment', 'deployments', true, 'deploy'],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true, 'rs'],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true, 'sts'],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, 'ds'],
  ['apps', 'v1', 'ControllerRevision', 'controllerrevisions', true],
  ['batch', 'v1', 'Job', 'jobs', true],
  ['batch', 'v1', 'CronJob', 'cronjobs', true, 'cj'],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, 'ing'],
  ['networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, 'netpol'],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, 'pdb'],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, 'hpa'],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, 'sc'],
  ['storage.k8s.io', 'v1', 'CSIDriver', 'csidrivers', false],
  ['storage.k8s.io', 'v1', 'CSINode', 'csinodes', false],
  ['storage.k8s.io', 'v1', 'VolumeAttachment', 'volumeattachments', false],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', true],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true],
  ['events.k8s.io', 'v1', 'Event', 'events', true, 'ev'],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, 'crd,crds'],
  ['admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false],
  ['scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, 'pc'],
  ['node.k8s.io', 'v1', 'RuntimeClass', 'runtimeclasses', false],
  ['certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', false, 'csr'],
];

/** kubectl's `all` category, as the API server declares it for built-in kinds. */
const CATEGORY_ALL = new Set(['pods', 'services', 'replicationcontrollers', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'horizontalpodautoscalers']);

export const BUILTIN_KINDS: readonly KindInfo[] = BUILTIN_ROWS.map(([group, version, kind, resource, namespaced, short]) => ({
  group,
  version,
  kind,
  resource,
  namespaced,
  shortNames: short ? short.split(',') : [],
  ...(CATEGORY_ALL.has(resource) && group !== 'events.k8s.io' ? { categories: ['all'] } : {}),
}));

const BUILTIN_BY_GK = new Map(BUILTIN_KINDS.map((k) => [groupKind(k.group, k.kind), k]));

/** Built-in metadata for a group+kind, when the table has it. */
export function builtinKind(group: string, kind: string): KindInfo | undefined {
  return BUILTIN_BY_GK.get(groupKind(group, kind));
}

function inGroup(k: KindInfo, group: string | undefined): boolean {
  return group === undefined || k.group.toLowerCase() === group || (group === 'core' && k.group === '');
}

function matches(k: KindInfo, name: string, group: string | undefined): boolean {
  if (!inGroup(k, group)) return false;
  const short = group === undefined && k.shortNames.some((s) => s.toLowerCase() === name);
  return name === k.kind.toLowerCase() || name === k.singular?.toLowerCase() || name === k.resource.toLowerCase() || short;
}

/**
 * Every kind known, once per group-kind, built-ins first (their order breaks ties): a served kind
 * adds its short names, singular and categories to a built-in one of the same group-kind.
 */
export function kindCatalog(seen: readonly SeenKind[], served: readonly KindInfo[]): KindInfo[] {
  const byGk = new Map<string, KindInfo>(BUILTIN_KINDS.map((k) => [groupKind(k.group, k.kind), k]));
  for (const k of served) {
    const gk = groupKind(k.group, k.kind);
    const known = byGk.get(gk);
    byGk.set(gk, known ? {
      ...known,
      shortNames: [...new Set([...known.shortNames, ...k.shortNames])],
      ...(k.singular ? { singular: k.singular } : {}),
      categories: [...new Set([...(known.categories ?? []), ...(k.categories ?? [])])],
    } : k);
  }
  for (const s of seen) {
    const gk = groupKind(s.group, s.kind);
    if (!byGk.has(gk)) byGk.set(gk, { group: s.group, version: s.version, kind: s.kind, resource: s.resource, namespaced: s.namespaced, shortNames: [] });
  }
  return [...byGk.values()];
}

const resolved = (k: KindInfo): ResolvedKind => ({ ...k, gk: groupKind(k.group, k.kind) });

/** A guess at the plural resource of a kind the table lacks. */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/**
 * Resolves a user's kind string to one kind. `param` names the query parameter in errors;
 * `served` is what the cluster serves (discovery), `seen` what the store holds.
 * @throws INVALID_ARGUMENT (unknown kind, or a category where one kind is needed) or AMBIGUOUS (candidates listed).
 */
export function resolveKind(input: string, seen: readonly SeenKind[], param = 'kind', served: readonly KindInfo[] = []): ResolvedKind {
  const kinds = resolveKinds(input, seen, param, served);
  if (kinds.length !== 1 || kinds.category) {
    const members = kinds.map((k) => `${k.resource}${k.group ? '.' + k.group : ''}`);
    throw invalidArgument(param, `"${input}" is a category of ${kinds.length} kinds (${members.join(', ')}); ask for one of them here (the change feed takes a category)`, { category: input.trim().toLowerCase(), kinds: members });
  }
  return kinds[0]!;
}

/**
 * Resolves a user's kind string to one kind, or to every kind of a category (`all`) when no kind
 * has that name (kubectl's rule). The result says which (`category`).
 * @throws INVALID_ARGUMENT (unknown kind) or AMBIGUOUS (candidates listed).
 */
export function resolveKinds(input: string, seen: readonly SeenKind[], param = 'kind', served: readonly KindInfo[] = []): ResolvedKind[] & { category?: true } {
  const text = input.trim().toLowerCase();
  if (!text) throw invalidArgument(param, 'must not be empty');
  const dot = text.indexOf('.');
  const name = dot < 0 ? text : text.slice(0, dot);
  const group = dot < 0 ? undefined : text.slice(dot + 1);
  const all = kindCatalog(seen, served);
  const unique = all.filter((k) => matches(k, name, group));
  if (unique.length === 0) {
    const members = all.filter((k) => inGroup(k, group) && k.categories?.includes(name));
    if (members.length) return Object.assign(members.map(resolved), { category: true as const });
    throw invalidArgument(param, `unknown kind "${input}"; use a Kind, plural resource or short name (Deployment, deployments, deploy), optionally with a group (deployments.apps)`);
  }
  if (unique.length > 1) {
    const builtins = unique.filter((k) => BUILTIN_BY_GK.has(groupKind(k.group, k.kind)));
    // Like kubectl, a built-in kind wins over a CRD of the same name, and the core group wins among built-ins.
    if (builtins.length >= 1 && (builtins.length === 1 || builtins[0]!.group === '')) return [resolved(builtins[0]!)];
    const candidates = unique.map((k) => `${k.resource}${k.group ? '.' + k.group : ''}`);
    throw new KubetimeError('AMBIGUOUS', `${param}: "${input}" is ambiguous; one of ${candidates.join(', ')}`, { param, candidates });
  }
  return [resolved(unique[0]!)];
}

/** Splits `apiVersion` into group and version (`apps/v1` → apps, v1; `v1` → "", v1). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
