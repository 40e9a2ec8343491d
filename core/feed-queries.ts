/**
 * The time-window queries: the change feed, Kubernetes Events, and the clusters. The feed and
 * Events keep only entries whose (kind, namespace) the viewer may `list` (core/visibility.ts).
 */
import type { Viewer } from './access.ts';
import { invalidArgument } from './errors.ts';
import type { FeedEntry } from './ports.ts';
import type * as Q from './query-types.ts';
import type { KubeObject } from './record.ts';
import { all, type Scope } from './scope.ts';
import { clustersVisibleTo } from './visible-clusters.ts';
import { ListVisibility, resourceLookup, visibleOnly } from './visibility.ts';

export const DEFAULT_FEED_LIMIT = 1000;

function checkWindow(from: number, to: number): void {
  if (from > to) throw invalidArgument('from', 'must not be after to');
}

/**
 * Whether a change was made by `actor` (its user or the user it impersonated): the full name, a
 * short name (`alice` for `alice@example.com`; `deployment-controller` for
 * `system:serviceaccount:kube-system:deployment-controller`, `n1` for `system:node:n1`), or a
 * prefix ending at a ':' (`system:serviceaccount:shop` for every account of that namespace).
 */
export function actorMatches(e: Pick<FeedEntry, 'actor'>, actor: string): boolean {
  return [e.actor?.username, e.actor?.impersonatedUser].some((user) => user !== undefined && userIs(user, actor));
}

function userIs(user: string, actor: string): boolean {
  if (!actor) return false;
  if (user === actor || user.startsWith(`${actor}@`) || user.startsWith(`${actor}:`) || user.endsWith(`:${actor}`)) return true;
  return /[:@]$/.test(actor) && user.startsWith(actor);
}

/** Whether the viewer may list a feed entry's (kind, namespace); one decision per pair. */
async function feedVisibility(scope: Scope, viewer: Viewer, cluster: string): Promise<(e: FeedEntry) => Promise<boolean>> {
  const visibility = new ListVisibility(viewer, cluster);
  const resourceOf = resourceLookup(await scope.store.kinds(cluster));
  return (e) => visibility.may({ group: e.group, resource: resourceOf(e.group, e.kind) }, e.namespace);
}

export function feedQueries(scope: Scope): Pick<Q.HistoryQueries, 'changes' | 'events' | 'clusters'> {
  return {
    async changes(r) {
      checkWindow(r.from, r.to);
      const cluster = await scope.cluster(r.cluster, r.viewer);
      // A category (`all`) filters the feed by its kinds; one kind, by the store.
      const kinds = r.kind ? await scope.kinds(cluster, r.kind) : undefined;
      const kind = kinds && !kinds.category ? kinds[0] : undefined;
      const inCategory = kinds?.category ? new Set(kinds.map((k) => k.gk)) : undefined;
      const namespace = kind ? scope.namespaceFor(kind, r.namespace, false) : r.namespace || undefined;
      await scope.checkHorizon(cluster, r.from, 'from', { gk: kind?.gk, namespace });
      const limit = r.limit ?? DEFAULT_FEED_LIMIT;
      const items: Q.ChangeItem[] = [];
      const visible = await feedVisibility(scope, r.viewer, cluster);
      for await (const e of visibleOnly(scope.store.feed({ cluster, from: r.from, to: r.to, order: 'desc', gk: kind?.gk, namespace, name: r.name || undefined }), visible)) {
        if (inCategory && !inCategory.has(e.gk)) continue;
        if (r.actor && !actorMatches(e, r.actor)) continue;
        items.push({
          ts: e.ts, op: e.op, kind: e.kind, namespace: e.namespace, name: e.name, uid: e.uid,
          resourceVersion: e.resourceVersion, source: e.source,
          ...(e.verb ? { verb: e.verb } : {}),
          ...(e.actor ? { actor: e.actor } : {}),
          ...(e.gap ? { gap: true } : {}),
        });
        if (items.length >= limit) break;
      }
      return { cluster, items };
    },

    async events(r) {
      checkWindow(r.from, r.to);
      const cluster = await scope.cluster(r.cluster, r.viewer);
      const about = r.kind ? await scope.kind(cluster, r.kind) : undefined;
      await scope.checkHorizon(cluster, r.from, 'from', { gk: 'Event', namespace: r.namespace || undefined });
      const latest = new Map<string, FeedEntry>();
      const visible = await feedVisibility(scope, r.viewer, cluster);
      for await (const e of visibleOnly(scope.store.feed({ cluster, from: r.from, to: r.to, order: 'asc', gk: 'Event', namespace: r.namespace || undefined }), visible)) {
        latest.set(e.uid, e); // the Event's last revision within the window
      }
      const items: KubeObject[] = [];
      for (const e of latest.values()) {
        const [rev] = await all(scope.store.revisions({ key: { cluster, gk: e.gk, namespace: e.namespace, name: e.name }, to: e.ts, order: 'desc', limit: 1 }));
        const ev = rev?.object;
        if (!ev) continue;
        const involved = (ev.involvedObject ?? ev.regarding ?? {}) as { kind?: string; name?: string };
        if (about && involved.kind !== about.kind) continue;
        if (r.name && involved.name !== r.name) continue;
        items.push(ev);
        if (r.limit !== undefined && items.length >= r.limit) break;
      }
      return { cluster, items };
    },

    async clusters(r) {
      const items = await clustersVisibleTo(scope.store, r.viewer);
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    },
  };
}
