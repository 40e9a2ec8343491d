/**
 * Adapters of the Access port (core/access.ts): SubjectAccessReview against the cluster, a
 * policy file where there is no cluster, allow-all; and CachedAccess, the bounded decision cache
 * in front of any of them.
 */
import { readFileSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Access, ReadAttributes, Subject } from '../../core/access.ts';
import { KubetimeError } from '../../core/errors.ts';

/** Everyone may read everything: loopback-only deployments and tests. */
export const allowAllAccess: Access = Object.freeze({ allowed: async () => true });

/** What a SubjectAccessReview answers (authorization.k8s.io/v1 status), as the adapter needs it. */
export interface AccessReviewStatus { allowed: boolean; denied?: boolean; reason?: string }

/** A SubjectAccessReview's spec: the subject and one read's resourceAttributes. */
export interface AccessReviewSpec {
  user: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  resourceAttributes: { verb: string; group: string; resource: string; namespace: string; name?: string };
}

/**
 * SubjectAccessReview: the cluster's own authorizer (RBAC, webhooks) decides, so a reader may read
 * the past of what it may get/list there today. One review function per cluster kubetime can ask;
 * a cluster without one is refused (its data came from elsewhere, e.g. an import, and no
 * authorizer speaks for it).
 */
export class SubjectAccessReviewAccess implements Access {
  readonly #reviews: ReadonlyMap<string, (spec: AccessReviewSpec) => Promise<AccessReviewStatus>>;

  constructor(reviews: ReadonlyMap<string, (spec: AccessReviewSpec) => Promise<AccessReviewStatus>>) {
    this.#reviews = reviews;
  }

  async allowed(subject: Subject, a: ReadAttributes): Promise<boolean> {
    const review = this.#reviews.get(a.cluster);
    if (!review) return false;
    const status = await review({
      user: subject.user,
      groups: [...subject.groups],
      ...(subject.uid ? { uid: subject.uid } : {}),
      ...(subject.extra ? { extra: Object.fromEntries(Object.entries(subject.extra).map(([k, v]) => [k, [...v]])) } : {}),
      resourceAttributes: { verb: a.verb, group: a.group, resource: a.resource, namespace: a.namespace, ...(a.name ? { name: a.name } : {}) },
    });
    return status.allowed === true && status.denied !== true;
  }
}

const names = z.array(z.string().min(1)).default([]);
const policySchema = z.object({
  rules: z.array(z.object({
    users: names,
    groups: names,
    /** Cluster names; absent or `*` = every cluster. */
    clusters: z.array(z.string().min(1)).default(['*']),
    /** Namespaces; `*` = every namespace and the cluster-scoped kinds. */
    namespaces: z.array(z.string().min(1)).min(1),
    /** Plural resources (`pods`), with their group for non-core kinds (`deployments.apps`), or `*`. */
    resources: z.array(z.string().min(1)).default(['*']),
    verbs: z.array(z.enum(['get', 'list'])).default(['get', 'list']),
  }).refine((r) => r.users.length + r.groups.length > 0, 'a rule names at least one user or group')),
});

export type Policy = z.infer<typeof policySchema>;

/**
 * A policy file (YAML, docs/access.md): rules granting users or groups reads of resources in
 * namespaces. Anything no rule grants is refused.
 */
export class PolicyFileAccess implements Access {
  readonly #policy: Policy;

  constructor(policy: unknown, source = 'policy file') {
    const parsed = policySchema.safeParse(policy);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`);
      throw new KubetimeError('INVALID_ARGUMENT', `policyFile: ${source}: ${problems.join('; ')}`, { param: 'policyFile', problems });
    }
    this.#policy = parsed.data;
  }

  static fromFile(path: string): PolicyFileAccess {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new KubetimeError('INVALID_ARGUMENT', `policyFile: cannot read ${path} as YAML`, { param: 'policyFile' }, { cause: e });
    }
    return new PolicyFileAccess(doc, path);
  }

  async allowed(subject: Subject, a: ReadAttributes): Promise<boolean> {
    const resource = a.group ? `${a.resource}.${a.group}` : a.resource;
    return this.#policy.rules.some((r) =>
      (r.users.includes(subject.user) || r.groups.some((g) => subject.groups.includes(g)))
      && (r.clusters.includes('*') || r.clusters.includes(a.cluster))
      && (r.namespaces.includes('*') || (a.namespace !== '' && r.namespaces.includes(a.namespace)))
      && (r.resources.includes('*') || r.resources.includes(resource))
      && r.verbs.includes(a.verb));
  }
}

export interface CachedAccessOptions {
  /** How long an allowed decision is kept (ms); default 10 s. */
  ttlAllowed?: number;
  /** How long a refusal is kept (ms); default 2 s. */
  ttlDenied?: number;
  /** Most decisions kept; default 50,000. */
  max?: number;
  /** Milliseconds clock (tests); default performance.now. */
  now?: () => number;
  /** Told of every decision asked: answered from the cache (or a review in flight) or not. */
  onLookup?: (cached: boolean) => void;
}

/**
 * Decisions of an Access cached across requests, bounded in count and time. An allowed read is
 * kept 10 s: a burst of queries (an agent's loop, a UI's timeline) costs one review per (kind,
 * namespace), and a revoked permission stops within 10 s (kube-apiserver's own webhook authorizer
 * keeps an allow for 5 min). A refusal is kept 2 s: the usual next step after a 403 is to fix
 * the RoleBinding and retry, which should not wait. A failed review is not cached (fail closed
 * for this request, ask again on the next).
 */
export class CachedAccess implements Access {
  readonly #inner: Access;
  readonly #ttlDenied: number;
  readonly #cache: LRUCache<string, { allowed: boolean }>;
  readonly #inflight = new Map<string, Promise<boolean>>();
  readonly #onLookup: (cached: boolean) => void;
  hits = 0;
  misses = 0;

  constructor(inner: Access, o: CachedAccessOptions = {}) {
    this.#inner = inner;
    this.#onLookup = o.onLookup ?? (() => undefined);
    this.#ttlDenied = o.ttlDenied ?? 2_000;
    this.#cache = new LRUCache({ max: o.max ?? 50_000, ttl: o.ttlAllowed ?? 10_000, ...(o.now ? { perf: { now: o.now }, ttlResolution: 0 } : {}) });
  }

  async allowed(subject: Subject, a: ReadAttributes): Promise<boolean> {
    const key = cacheKey(subject, a);
    const hit = this.#cache.get(key);
    if (hit) {
      this.hits++;
      this.#onLookup(true);
      return hit.allowed;
    }
    const pending = this.#inflight.get(key);
    if (pending) {
      this.hits++;
      this.#onLookup(true);
      return pending;
    }
    this.misses++;
    this.#onLookup(false);
    const decision = this.#inner.allowed(subject, a).then((allowed) => {
      this.#cache.set(key, { allowed }, allowed ? {} : { ttl: this.#ttlDenied });
      return allowed;
    }).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, decision);
    return decision;
  }
}

/** Everything a decision depends on: the whole subject and the whole read. */
function cacheKey(s: Subject, a: ReadAttributes): string {
  return JSON.stringify([s.user, s.uid ?? '', [...s.groups].sort(), s.extra ?? {}, a.cluster, a.verb, a.group, a.resource, a.namespace, a.name ?? '']);
}
