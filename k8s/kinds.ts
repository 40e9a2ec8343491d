/**
 * The kinds a Kubernetes cluster serves out of the box: group, version, kind, plural resource,
 * scope, short names and the `all` category, as kube-apiserver's discovery declares them.
 */
import { groupKind } from './object.ts';

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

/** A guess at the plural resource of a kind the table lacks. */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** Splits `apiVersion` into group and version (`apps/v1` → apps, v1; `v1` → "", v1). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
