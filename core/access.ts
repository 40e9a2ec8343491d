/**
 * Who may read what: the Access port, and the Viewer every query takes.
 *
 * History is never wider than Kubernetes RBAC: a subject may read the past of what it may
 * `get`/`list` in the cluster today (today's permissions govern; a role granted or revoked
 * changes what the whole history shows). Every read surface — HTTP, MCP, the Kubernetes face,
 * the UI — authenticates its caller into a Subject, binds it to the process's Access in a
 * Viewer, and passes the Viewer to the queries. The queries filter their own answers through
 * it (lists, feeds, graphs, diffs, counts, 404 "existed" intervals), so no surface can forget a
 * filter. Adapters live outside core/ (a TokenReview + SubjectAccessReview one, a policy file,
 * allow-all on loopback); cli/ chooses one.
 */

/** An authenticated caller, in Kubernetes' user-info vocabulary. */
export interface Subject {
  /** e.g. `alice@example.com`, `system:serviceaccount:team-a:agent`. */
  user: string;
  groups: readonly string[];
  uid?: string;
  extra?: Readonly<Record<string, readonly string[]>>;
}

/** One read in Kubernetes' authorization vocabulary (a SubjectAccessReview's resourceAttributes). */
export interface ReadAttributes {
  cluster: string;
  verb: 'get' | 'list';
  /** API group, '' for the core group. */
  group: string;
  /** Plural resource, as in the API path (`pods`, `deployments`). */
  resource: string;
  /** The namespace read; '' = cluster-scoped objects, or every namespace for a `list`. */
  namespace: string;
  /** One object's name (`get`); absent = any. */
  name?: string;
}

/**
 * The Access port. Contract:
 * - `allowed` answers whether `subject` may make the read; a "no" is `false`, never a throw.
 * - A backing system that cannot answer rejects with KubetimeError STORE_UNAVAILABLE-like codes
 *   the adapter documents; callers deny on rejection (fail closed).
 * - Answers may be cached by the adapter for a bounded time and count.
 */
export interface Access {
  allowed(subject: Subject, attrs: ReadAttributes): Promise<boolean>;
}

/**
 * The reader behind one request: a subject bound to the Access that judges it. `subject` is
 * null for a trusted in-process caller (the compactor, the demo's own checks, a loopback
 * deployment without authentication), whose `may` always answers true.
 */
export interface Viewer {
  readonly subject: Subject | null;
  may(attrs: ReadAttributes): Promise<boolean>;
}

/** A Viewer that may read everything: in-process callers and loopback-only deployments. */
export const TRUSTED_VIEWER: Viewer = Object.freeze({
  subject: null,
  may: async () => true,
});

/**
 * Binds `subject` to `access`. Decisions are memoized for the Viewer's life (one request), so a
 * query that checks the same namespace a thousand times asks the Access once.
 */
export function viewerFor(access: Access, subject: Subject): Viewer {
  const memo = new Map<string, Promise<boolean>>();
  return {
    subject,
    may(a) {
      const key = `${a.cluster}\u0000${a.verb}\u0000${a.group}\u0000${a.resource}\u0000${a.namespace}\u0000${a.name ?? ''}`;
      let decision = memo.get(key);
      if (!decision) {
        decision = access.allowed(subject, a).catch(() => false);
        memo.set(key, decision);
      }
      return decision;
    },
  };
}
