/** The resources the fidelity tests drive, probe and compare, with their API paths. */

export interface ResourceDef {
  /** Plural resource, as in API paths and audit objectRefs. */
  resource: 'pods' | 'configmaps' | 'deployments' | 'replicasets' | 'nodes';
  group: '' | 'apps';
  kind: 'Pod' | 'ConfigMap' | 'Deployment' | 'ReplicaSet' | 'Node';
  apiVersion: 'v1' | 'apps/v1';
  namespaced: boolean;
}

export const RESOURCES: Record<ResourceDef['resource'], ResourceDef> = {
  pods: { resource: 'pods', group: '', kind: 'Pod', apiVersion: 'v1', namespaced: true },
  configmaps: { resource: 'configmaps', group: '', kind: 'ConfigMap', apiVersion: 'v1', namespaced: true },
  deployments: { resource: 'deployments', group: 'apps', kind: 'Deployment', apiVersion: 'apps/v1', namespaced: true },
  replicasets: { resource: 'replicasets', group: 'apps', kind: 'ReplicaSet', apiVersion: 'apps/v1', namespaced: true },
  nodes: { resource: 'nodes', group: '', kind: 'Node', apiVersion: 'v1', namespaced: false },
};

export type ResourceName = keyof typeof RESOURCES;

/** The collection path, or the object path when `name` is given. */
export function apiPath(r: ResourceDef, namespace: string | undefined, name?: string): string {
  const base = r.group ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${encodeURIComponent(namespace!)}` : '';
  return `${base}${ns}/${r.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Resources the broadened workload changes (workload-kinds.ts): their audited revisions are checked too, not probed. */
const CHECKED_KINDS: Record<string, string> = {
  statefulsets: 'StatefulSet', jobs: 'Job', cronjobs: 'CronJob', endpointslices: 'EndpointSlice', services: 'Service',
  roles: 'Role', rolebindings: 'RoleBinding', horizontalpodautoscalers: 'HorizontalPodAutoscaler', persistentvolumeclaims: 'PersistentVolumeClaim',
};

/** The kind of an audited resource, or undefined for resources the tests do not check. */
export function kindOfResource(resource: string): string | undefined {
  return (RESOURCES as Record<string, ResourceDef>)[resource]?.kind ?? CHECKED_KINDS[resource];
}
