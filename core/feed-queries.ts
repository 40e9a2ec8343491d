/** The time-window queries: the change feed, Kubernetes Events, and the clusters. */
import { invalidArgument } from './errors.ts';
import type { FeedEntry } from './ports.ts';
import type * as Q from './query-types.ts';
import type { KubeObject } from './record.ts';
import { all, type Scope } from './scope.ts';

export const DEFAULT_FEED_LIMIT = 1000;

function checkWindow(from: number, to: number): void {
  if (from > to) throw invalidArgument('from', 'must not be after to');
}

function actorMatches(e: FeedEntry, actor: string): boolean {
  return e.actor?.username === actor || e.actor?.impersonatedUser === actor;
}

export function feedQueries(scope: Scope): Pick<Q.HistoryQueries, 'changes' | 'events' | 'clusters'> {
  return {
    async changes(r) {
      checkWindow(r.from, r.to);
      const cluster = await scope.cluster(r.cluster);
      // A category (`all`) filters the feed by its kinds; one kind, by the store.
      const kinds = r.kind ? await scope.kinds(cluster, r.kind) : undefined;
      const kind = kinds && !kinds.category ? kinds[0] : undefined;
      const inCategory = kinds?.category ? new Set(kinds.map((k) => k.gk)) : undefined;
      const namespace = kind ? scope.namespaceFor(kind, r.namespace, false) : r.namespace || undefined;
      await scope.checkHorizon(cluster, r.from, 'from', { gk: kind?.gk, namespace });
      const limit = r.limit ?? DEFAULT_FEED_LIMIT;
      const items: Q.ChangeItem[] = [];
      for await (const e of scope.store.feed({ cluster, from: r.from, to: r.to, order: 'desc', gk: kind?.gk, namespace, name: r.name || undefined })) {
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
      const cluster = await scope.cluster(r.cluster);
      const about = r.kind ? await scope.kind(cluster, r.kind) : undefined;
      await scope.checkHorizon(cluster, r.from, 'from', { gk: 'Event', namespace: r.namespace || undefined });
      const latest = new Map<string, FeedEntry>();
      for await (const e of scope.store.feed({ cluster, from: r.from, to: r.to, order: 'asc', gk: 'Event', namespace: r.namespace || undefined })) {
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

    async clusters() {
      const items = await scope.store.clusters();
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    },
  };
}
