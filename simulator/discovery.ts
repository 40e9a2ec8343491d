/** Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<g>/<v>`, `/version`) for the served types. */
import { RESOURCE_VERBS, type ResourceRegistry, type ResourceType } from './resources.ts';

/** The Kubernetes version the simulator reports. */
export const SIM_KUBE_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.4' };

export function versionInfo(): Record<string, string> {
  return {
    ...SIM_KUBE_VERSION,
    gitCommit: 'a78aa47129b8539636eb86a9d00e31b2720fe06b',
    gitTreeState: 'clean',
    buildDate: '2024-12-10T22:00:00Z',
    goVersion: 'go1.22.10',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(reg: ResourceRegistry): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: reg.groups().map((g) => groupDoc(g.name, g.versions)) };
}

export function apiGroup(reg: ResourceRegistry, name: string): Record<string, unknown> | undefined {
  const g = reg.groups().find((x) => x.name === name);
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.name, g.versions) };
}

function resourceEntries(t: ResourceType): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: t.resource,
    singularName: t.kind.toLowerCase(),
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: [...RESOURCE_VERBS],
  };
  if (t.shortNames.length) main.shortNames = [...t.shortNames];
  if (t.gk === 'Pod' || t.gk === 'Deployment.apps' || t.gk === 'Service' || t.gk === 'ReplicaSet.apps') main.categories = ['all'];
  const subs = Object.entries(t.subresources).map(([sub, verbs]) => {
    const kind = sub === 'scale' ? 'Scale' : sub === 'eviction' ? 'Eviction' : sub === 'binding' ? 'Binding' : t.kind;
    const e: Record<string, unknown> = { name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, kind, verbs: [...verbs] };
    if (sub === 'scale') Object.assign(e, { group: 'autoscaling', version: 'v1' });
    if (sub === 'eviction') Object.assign(e, { group: 'policy', version: 'v1' });
    return e;
  });
  return [main, ...subs];
}

/** The APIResourceList of one group/version, or undefined when nothing is served there. */
export function apiResourceList(reg: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const types = reg.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap(resourceEntries),
  };
}
