/**
 * Kind resolution, kubectl-style: `Deployment`, `deployments`, `deploy`, `deployments.apps`,
 * `Deployment.apps`, case-insensitive, from a built-in table plus the kinds seen in the data.
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

export const BUILTIN_KINDS: readonly KindInfo[] = BUILTIN_ROWS.map(([group, version, kind, resource, namespaced, short]) => ({
  group,
  version,
  kind,
  resource,
  namespaced,
  shortNames: short ? short.split(',') : [],
}));

const BUILTIN_BY_GK = new Map(BUILTIN_KINDS.map((k) => [groupKind(k.group, k.kind), k]));

/** Built-in metadata for a group+kind, when the table has it. */
export function builtinKind(group: string, kind: string): KindInfo | undefined {
  return BUILTIN_BY_GK.get(groupKind(group, kind));
}

function singular(kind: KindInfo): string {
  return kind.kind.toLowerCase();
}

function matches(k: KindInfo, name: string, group: string | undefined): boolean {
  if (group !== undefined && k.group.toLowerCase() !== group && !(group === 'core' && k.group === '')) return false;
  return name === singular(k) || name === k.resource || (group === undefined && k.shortNames.includes(name));
}

/** A guess at the plural resource of a kind the table lacks. */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/**
 * Resolves a user's kind string. `param` names the query parameter in errors.
 * @throws INVALID_ARGUMENT (unknown kind) or AMBIGUOUS (candidates listed).
 */
export function resolveKind(input: string, seen: readonly SeenKind[], param = 'kind'): ResolvedKind {
  const text = input.trim().toLowerCase();
  if (!text) throw invalidArgument(param, 'must not be empty');
  const dot = text.indexOf('.');
  const name = dot < 0 ? text : text.slice(0, dot);
  const group = dot < 0 ? undefined : text.slice(dot + 1);
  const seenInfos: KindInfo[] = seen
    .filter((s) => !BUILTIN_BY_GK.has(groupKind(s.group, s.kind)))
    .map((s) => ({ ...s, shortNames: [] }));
  const all = [...BUILTIN_KINDS, ...seenInfos];
  const found = all.filter((k) => matches(k, name, group));
  const unique = [...new Map(found.map((k) => [groupKind(k.group, k.kind), k])).values()];
  if (unique.length === 0) {
    throw invalidArgument(param, `unknown kind "${input}"; use a Kind, plural resource or short name (Deployment, deployments, deploy), optionally with a group (deployments.apps)`);
  }
  if (unique.length > 1) {
    const builtins = unique.filter((k) => BUILTIN_BY_GK.has(groupKind(k.group, k.kind)));
    // Like kubectl, a built-in kind wins over a CRD of the same name, and the core group wins among built-ins.
    if (builtins.length >= 1 && (builtins.length === 1 || builtins[0]!.group === '')) {
      const k = builtins[0]!;
      return { ...k, gk: groupKind(k.group, k.kind) };
    }
    const candidates = unique.map((k) => `${k.resource}${k.group ? '.' + k.group : ''}`);
    throw new KubetimeError('AMBIGUOUS', `${param}: "${input}" is ambiguous; one of ${candidates.join(', ')}`, { param, candidates });
  }
  const k = unique[0]!;
  return { ...k, gk: groupKind(k.group, k.kind) };
}

/** Splits `apiVersion` into group and version (`apps/v1` → apps, v1; `v1` → "", v1). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
