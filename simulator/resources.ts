/**
 * The resource types the simulated API server serves: the built-in kind table from k8s/kinds
 * plus custom resources registered at runtime (a CRD added later shows up in discovery).
 */
import { BUILTIN_KINDS, type KindInfo } from '../k8s/kinds.ts';
import { groupKind } from '../k8s/object.ts';

/** One served resource: what discovery lists and what the list/watch paths address. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name used in paths (`pods`). */
  resource: string;
  namespaced: boolean;
  shortNames: readonly string[];
  /** `v1` or `apps/v1`. */
  apiVersion: string;
  /** `Pod`, `Deployment.apps`, `Widget.example.com` (k8s/object groupKind). */
  gk: string;
  /** `PodList`. */
  listKind: string;
  /** Subresources discovery advertises, with their verbs (`status: [get, patch, update]`). */
  subresources: Readonly<Record<string, readonly string[]>>;
  /** Whether objects of this type came from a CustomResourceDefinition. */
  custom: boolean;
}

/** What a caller supplies to register a custom resource. */
export interface CustomResourceSpec {
  group: string;
  version: string;
  kind: string;
  /** Plural; defaults to lower-case kind + "s". */
  resource?: string;
  namespaced?: boolean;
  shortNames?: string[];
}

const STATUS = ['get', 'patch', 'update'];
const SUBRESOURCES: Record<string, Record<string, readonly string[]>> = {
  Pod: { status: STATUS, binding: ['create'], eviction: ['create'], log: ['get'] },
  Node: { status: STATUS },
  Namespace: { status: STATUS, finalize: ['update'] },
  Service: { status: STATUS },
  PersistentVolume: { status: STATUS },
  PersistentVolumeClaim: { status: STATUS },
  'Deployment.apps': { status: STATUS, scale: STATUS },
  'ReplicaSet.apps': { status: STATUS, scale: STATUS },
  'StatefulSet.apps': { status: STATUS, scale: STATUS },
  'DaemonSet.apps': { status: STATUS },
  'HorizontalPodAutoscaler.autoscaling': { status: STATUS },
  'Ingress.networking.k8s.io': { status: STATUS },
  'Job.batch': { status: STATUS },
  'CronJob.batch': { status: STATUS },
  'CustomResourceDefinition.apiextensions.k8s.io': { status: STATUS },
};

/** Groups left out of the default set: events.k8s.io is a second view of core Events. */
const EXCLUDED_GROUPS = new Set(['events.k8s.io']);

/** The verbs every served resource advertises. */
export const RESOURCE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

function toResourceType(k: KindInfo, custom: boolean): ResourceType {
  const gk = groupKind(k.group, k.kind);
  return {
    group: k.group,
    version: k.version,
    kind: k.kind,
    resource: k.resource,
    namespaced: k.namespaced,
    shortNames: k.shortNames,
    apiVersion: k.group ? `${k.group}/${k.version}` : k.version,
    gk,
    listKind: `${k.kind}List`,
    subresources: SUBRESOURCES[gk] ?? (custom ? { status: STATUS } : {}),
    custom,
  };
}

/** The set of served resource types, addressable by path segments or by group+kind. */
export class ResourceRegistry {
  private readonly byGk = new Map<string, ResourceType>();
  private readonly byPath = new Map<string, ResourceType>();
  private readonly listeners = new Set<(t: ResourceType) => void>();

  constructor(kinds: readonly KindInfo[] = BUILTIN_KINDS.filter((k) => !EXCLUDED_GROUPS.has(k.group))) {
    for (const k of kinds) this.register(toResourceType(k, false));
  }

  private register(t: ResourceType): ResourceType {
    this.byGk.set(t.gk, t);
    this.byPath.set(`${t.group}/${t.version}/${t.resource}`, t);
    for (const l of this.listeners) l(t);
    return t;
  }

  /** Registers a custom resource (idempotent by group+kind). */
  addCustom(spec: CustomResourceSpec): ResourceType {
    const existing = this.byGk.get(groupKind(spec.group, spec.kind));
    if (existing) return existing;
    const info: KindInfo = {
      group: spec.group,
      version: spec.version,
      kind: spec.kind,
      resource: spec.resource ?? `${spec.kind.toLowerCase()}s`,
      namespaced: spec.namespaced ?? true,
      shortNames: spec.shortNames ?? [],
    };
    return this.register(toResourceType(info, true));
  }

  /** Calls `fn` for each type registered from now on. */
  onAdded(fn: (t: ResourceType) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  byPathSegments(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  /** By k8s/object groupKind (`Pod`, `Deployment.apps`). */
  get(gk: string): ResourceType | undefined {
    return this.byGk.get(gk);
  }

  /** Like get, but throws for an unknown kind (a programming error in the simulator). */
  require(gk: string): ResourceType {
    const t = this.byGk.get(gk);
    if (!t) throw new Error(`simulator: unknown resource type ${gk}`);
    return t;
  }

  all(): ResourceType[] {
    return [...this.byGk.values()];
  }

  /** Group names (excluding the core group) with their versions, in registration order. */
  groups(): { name: string; versions: string[] }[] {
    const out = new Map<string, Set<string>>();
    for (const t of this.byGk.values()) {
      if (!t.group) continue;
      if (!out.has(t.group)) out.set(t.group, new Set());
      out.get(t.group)!.add(t.version);
    }
    return [...out].map(([name, versions]) => ({ name, versions: [...versions] }));
  }

  /** Types served under one group/version. */
  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }
}
