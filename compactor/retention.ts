/**
 * Retention per kind and namespace, applied only behind a snapshot: for each scope the store is
 * pruned up to B = the newest snapshot at or before (now − maxAge), never further, so the state
 * at every time >= B stays answerable (PruneRequest keeps each live object's last revision before
 * B) and B itself is also held by a snapshot. B is recorded per scope (RetentionState, written
 * BEFORE pruning) so queries older than B fail with HISTORY_EXPIRED instead of answering wrongly.
 */
import type { Logger } from 'pino';
import { invalidArgument, KubetimeError } from '../core/errors.ts';
import { resolveKind } from '../core/kinds.ts';
import type { HistoryStore } from '../core/ports.ts';
import type { RetentionHorizon, RetentionState, SnapshotManifest } from '../core/snapshot.ts';
import type { Micros } from '../core/time.ts';
import { formatTime } from '../core/time.ts';
import type { SnapshotCatalog } from './catalog.ts';

/** One rule; the first rule matching a (kind, namespace) decides its retention. */
export interface RetentionRule {
  /** groupKind() (`Event`, `Deployment.apps`); absent = every kind. */
  gk?: string;
  /** Absent = every namespace; "" = cluster-scoped objects. */
  namespace?: string;
  /** How long history is kept; absent = forever. */
  maxAge?: Micros;
}

const DAY: Micros = 86_400_000_000;

/** Events 1 day (both Event APIs), everything else 30 days. */
export const DEFAULT_RETENTION: readonly RetentionRule[] = [
  { gk: 'Event', maxAge: DAY },
  { gk: 'Event.events.k8s.io', maxAge: DAY },
  { maxAge: 30 * DAY },
];

const UNIT: Record<string, Micros> = { s: 1e6, m: 60e6, h: 3600e6, d: DAY };

/**
 * Parses `selector=duration` pairs separated by commas, first match wins:
 * `events=1d,*\/kube-system=7d,deployments.apps/prod=90d,*=30d`. A selector is `*`, a kind (as
 * kubectl accepts it), `kind/namespace` or `*\/namespace`; a duration is `<n><s|m|h|d>` or `forever`.
 */
export function parseRetentionSpec(spec: string, param = 'retention'): RetentionRule[] {
  return spec.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const m = /^([^=/\s]+)(?:\/([^=\s]*))?=(\d+)([smhd])$|^([^=/\s]+)(?:\/([^=\s]*))?=forever$/.exec(item);
    if (!m) throw invalidArgument(param, `"${item}" is not selector=duration (e.g. events=1d, */kube-system=7d, *=30d)`);
    const kind = m[1] ?? m[5]!;
    const ns = m[1] ? m[2] : m[6];
    const rule: RetentionRule = {};
    if (kind !== '*') rule.gk = resolveGk(kind, param);
    if (ns !== undefined) rule.namespace = ns;
    if (m[3]) rule.maxAge = Number(m[3]) * UNIT[m[4]!]!;
    return rule;
  });
}

function resolveGk(kind: string, param: string): string {
  try {
    return resolveKind(kind, [], param).gk;
  } catch (e) {
    // A kind the built-in table lacks (a CRD): taken as written, `Kind.group`.
    if (e instanceof KubetimeError && e.code === 'INVALID_ARGUMENT' && /^[A-Z]/.test(kind)) return kind;
    throw e;
  }
}

/** The first rule matching (gk, namespace), if any. */
export function ruleFor(rules: readonly RetentionRule[], gk: string, namespace: string): RetentionRule | undefined {
  return rules.find((r) => (r.gk === undefined || r.gk === gk) && (r.namespace === undefined || r.namespace === namespace));
}

/** A prune scope: a kind, in every namespace or in one, with its rule. */
export interface RetentionScope {
  gk: string;
  namespace?: string;
  rule: RetentionRule;
}

/** Splits a kind into scopes: one for all namespaces unless a namespace rule could decide first. */
export async function scopesOf(o: { store: HistoryStore; cluster: string; gk: string; rules: readonly RetentionRule[] }): Promise<RetentionScope[]> {
  const relevant = o.rules.filter((r) => r.gk === undefined || r.gk === o.gk);
  const firstWide = relevant.findIndex((r) => r.namespace === undefined);
  const nsRulesFirst = relevant.slice(0, firstWide < 0 ? relevant.length : firstWide).some((r) => r.namespace !== undefined);
  if (!nsRulesFirst) return firstWide < 0 ? [] : [{ gk: o.gk, rule: relevant[firstWide]! }];
  const namespaces = new Set<string>();
  for await (const l of o.store.lifetimes({ cluster: o.cluster, gk: o.gk })) namespaces.add(l.key.namespace);
  const scopes: RetentionScope[] = [];
  for (const ns of [...namespaces].sort()) {
    const rule = ruleFor(o.rules, o.gk, ns);
    if (rule) scopes.push({ gk: o.gk, namespace: ns, rule });
  }
  return scopes;
}

export interface ApplyRetentionOptions {
  store: HistoryStore;
  catalog: SnapshotCatalog;
  rules?: readonly RetentionRule[];
  now: Micros;
  /** Default: every cluster of the store. */
  clusters?: string[];
  logger?: Logger;
}

export interface RetentionReport {
  cluster: string;
  horizons: RetentionHorizon[];
  /** Revisions removed by this run. */
  removed: number;
  /** Scopes with a rule but no snapshot old enough to prune behind (nothing removed). */
  waiting: string[];
}

const scopeId = (h: { gk: string; namespace?: string }): string => `${h.gk}/${h.namespace ?? '*'}`;

/** Applies retention to every cluster (or the given ones). */
export async function applyRetention(o: ApplyRetentionOptions): Promise<RetentionReport[]> {
  const rules = o.rules ?? DEFAULT_RETENTION;
  const clusters = o.clusters ?? (await o.store.clusters()).map((c) => c.name);
  const reports: RetentionReport[] = [];
  for (const cluster of clusters) reports.push(await retainCluster({ ...o, rules, cluster }));
  return reports;
}

async function retainCluster(o: ApplyRetentionOptions & { rules: readonly RetentionRule[]; cluster: string }): Promise<RetentionReport> {
  const manifests = await o.catalog.manifests(o.cluster);
  const previous = new Map((await o.catalog.retention(o.cluster))?.horizons.map((h) => [scopeId(h), h]) ?? []);
  const horizons = new Map(previous);
  const toPrune: RetentionHorizon[] = [];
  const waiting: string[] = [];
  for (const kind of await o.store.kinds(o.cluster)) {
    const gk = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
    for (const scope of await scopesOf({ store: o.store, cluster: o.cluster, gk, rules: o.rules })) {
      if (scope.rule.maxAge === undefined) continue;
      const behind = newestAtOrBefore(manifests, o.now - scope.rule.maxAge);
      if (!behind) {
        waiting.push(scopeId(scope));
        continue;
      }
      const h: RetentionHorizon = { gk, ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}), horizon: behind.at, snapshotId: behind.id };
      if ((previous.get(scopeId(h))?.horizon ?? -Infinity) >= h.horizon) continue;
      horizons.set(scopeId(h), h);
      toPrune.push(h);
    }
  }
  // Record the horizons first: a query must never get a partial answer from pruned history.
  const state: RetentionState = { cluster: o.cluster, appliedAt: o.now, horizons: [...horizons.values()].sort((a, b) => (scopeId(a) < scopeId(b) ? -1 : 1)) };
  if (toPrune.length) await o.catalog.writeRetention(state);
  let removed = 0;
  for (const h of toPrune) {
    const r = await o.store.prune({ cluster: o.cluster, gk: h.gk, namespace: h.namespace, before: h.horizon });
    removed += r.removed;
    o.logger?.info({ cluster: o.cluster, scope: scopeId(h), before: formatTime(h.horizon), removed: r.removed }, 'retention applied');
  }
  return { cluster: o.cluster, horizons: state.horizons, removed, waiting };
}

function newestAtOrBefore(manifests: readonly SnapshotManifest[], t: Micros): SnapshotManifest | undefined {
  for (let i = manifests.length - 1; i >= 0; i--) if (manifests[i]!.at <= t) return manifests[i];
  return undefined;
}
