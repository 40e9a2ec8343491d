/**
 * Kind resolution, kubectl-style: `Deployment`, `deployments`, `deployment` (singular), `deploy`,
 * `deployments.apps`, `Deployment.apps`, case-insensitive, and categories (`all`), from a built-in
 * table, the kinds the cluster serves (discovery and established CRDs: plain data the caller
 * passes, composed in cli/) and the kinds seen in the data (a kind no longer served still answers
 * for its past).
 */
import { BUILTIN_KINDS, builtinKind, type KindInfo } from '../k8s/kinds.ts';
import { groupKind } from '../k8s/object.ts';
import { KubetimeError, invalidArgument } from './errors.ts';
import type { SeenKind } from './ports.ts';

/** The built-in kinds table lives in k8s/kinds.ts; re-exported for kubetime's modules. */
export { BUILTIN_KINDS, builtinKind, guessResource, splitApiVersion, type KindInfo } from '../k8s/kinds.ts';

export interface ResolvedKind extends KindInfo {
  gk: string;
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
    const builtins = unique.filter((k) => builtinKind(k.group, k.kind));
    // Like kubectl, a built-in kind wins over a CRD of the same name, and the core group wins among built-ins.
    if (builtins.length >= 1 && (builtins.length === 1 || builtins[0]!.group === '')) return [resolved(builtins[0]!)];
    const candidates = unique.map((k) => `${k.resource}${k.group ? '.' + k.group : ''}`);
    throw new KubetimeError('AMBIGUOUS', `${param}: "${input}" is ambiguous; one of ${candidates.join(', ')}`, { param, candidates });
  }
  return [resolved(unique[0]!)];
}
