/**
 * Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/{group}/{version}`, `/version`) built
 * from the kind catalog (core/kinds.ts kindCatalog: built in, served, recorded), so that kubectl
 * maps `po`, `deploy`, `all` to resources exactly as against the cluster. Every resource has
 * the verbs `get` and `list` only: kubetime serves the past read-only.
 */
import type { KindInfo } from '../../core/kinds.ts';

const VERBS = ['get', 'list'];

export interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

const groupVersion = (group: string, version: string) => (group ? `${group}/${version}` : version);

/** The versions of each group, in catalog order (a group's first version is its preferred one). */
function groupVersions(kinds: readonly KindInfo[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const k of kinds) {
    const versions = out.get(k.group) ?? [];
    if (!versions.includes(k.version)) versions.push(k.version);
    out.set(k.group, versions);
  }
  return out;
}

/** `/api`: the core group's versions. */
export function apiVersions(): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] };
}

function apiGroup(group: string, versions: readonly string[]): Record<string, unknown> {
  const gvs = versions.map((version) => ({ groupVersion: groupVersion(group, version), version }));
  return { name: group, versions: gvs, preferredVersion: gvs[0] };
}

/** `/apis`: every named group of the catalog. */
export function apiGroupList(kinds: readonly KindInfo[]): Record<string, unknown> {
  const groups = [...groupVersions(kinds)].filter(([g]) => g !== '').map(([g, v]) => apiGroup(g, v));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `/apis/{group}`, or undefined when the catalog has no such group. */
export function apiGroupOf(kinds: readonly KindInfo[], group: string): Record<string, unknown> | undefined {
  const versions = groupVersions(kinds).get(group);
  return versions && group ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) } : undefined;
}

export function apiResource(k: KindInfo): ApiResource {
  return {
    name: k.resource,
    singularName: k.singular ?? k.kind.toLowerCase(),
    namespaced: k.namespaced,
    kind: k.kind,
    verbs: VERBS,
    ...(k.shortNames.length ? { shortNames: [...k.shortNames] } : {}),
    ...(k.categories?.length ? { categories: [...k.categories] } : {}),
  };
}

/** `/api/v1` or `/apis/{group}/{version}`, or undefined when the catalog has no such version. */
export function apiResourceList(kinds: readonly KindInfo[], group: string, version: string): Record<string, unknown> | undefined {
  const resources = kinds.filter((k) => k.group === group && k.version === version).map(apiResource);
  if (!resources.length && !(group === '' && version === 'v1')) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

/** `/version`: the face speaks the API of the Kubernetes release kubetime is tested against. */
export function versionInfo(): Record<string, unknown> {
  return {
    major: '1', minor: '34', gitVersion: 'v1.34.0-kubetime', gitCommit: '', gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z', goVersion: '', compiler: 'kubetime', platform: 'kubetime/history',
  };
}

/** The kind a path's group, version and resource name (`deployments`, or `status` … ) mean. */
export function kindOfPath(kinds: readonly KindInfo[], group: string, version: string, resource: string): KindInfo | undefined {
  return kinds.find((k) => k.group === group && k.version === version && k.resource === resource)
    ?? kinds.find((k) => k.group === group && k.resource === resource);
}
