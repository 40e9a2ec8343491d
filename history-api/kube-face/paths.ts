/**
 * What a Kubernetes API path under `/k8s/at/{T}` asks for: a discovery document, or objects of a
 * resource (`/api/v1/namespaces/shop/pods/web-1`, `/apis/apps/v1/deployments`).
 */

export type KubePath =
  | { type: 'version' }
  | { type: 'api' }
  | { type: 'apis' }
  | { type: 'group'; group: string }
  | { type: 'resources'; group: string; version: string }
  | { type: 'objects'; group: string; version: string; resource: string; namespace?: string; name?: string; subresource?: string }
  | { type: 'openapi' }
  | { type: 'unknown' };

/** The resource part after `/api/v1` or `/apis/{group}/{version}`. */
function objectsPath(group: string, version: string, rest: string[]): KubePath {
  let namespace: string | undefined;
  // `/namespaces/{ns}` alone is the Namespace object; `/namespaces/{ns}/{resource}…` a namespaced resource.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3) return { type: 'unknown' };
  const [resource, name, subresource] = rest as [string, string?, string?];
  return { type: 'objects', group, version, resource, ...(namespace !== undefined ? { namespace } : {}), ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
}

/** Parses the path after the as-of prefix (no leading slash, no query). */
export function parseKubePath(path: string): KubePath {
  const s = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  if (s.length === 1 && s[0] === 'version') return { type: 'version' };
  if (s[0] === 'openapi') return { type: 'openapi' };
  if (s[0] === 'api') {
    if (s.length === 1) return { type: 'api' };
    if (s.length === 2) return { type: 'resources', group: '', version: s[1]! };
    return objectsPath('', s[1]!, s.slice(2));
  }
  if (s[0] === 'apis') {
    if (s.length === 1) return { type: 'apis' };
    if (s.length === 2) return { type: 'group', group: s[1]! };
    if (s.length === 3) return { type: 'resources', group: s[1]!, version: s[2]! };
    return objectsPath(s[1]!, s[2]!, s.slice(3));
  }
  return { type: 'unknown' };
}
