/**
 * The time-window queries: the change feed, Kubernetes Events, and the clusters. The feed and
 * Events keep only entries whose (kind, namespace) the viewer may `list` (core/visibility.ts).
 */
import type { Viewer } from './access.ts';
import { invalidArgument } from './errors.ts';
import type { FeedEntry } from './ports.ts';
import type * as Q from './query-types.ts';
import type { KubeObject } from './record.ts';
import { clustersVisibleTo } from './visible-clusters.ts';
import { ListVisibility, resourceLookup, visibleOnly } from './visibility.ts';
import { mapLimit } from './concurrency.ts';
import { LIST_CONCURRENCY, type Scope } from './scope.ts';
import { aggregateEvents, eventMatches, eventSubject, eventTimes } from './present/events.ts';
import { decodeToken, encodeToken, pageAt, pageSize, PAGE_LIMITS } from './present/paging.ts';

/** The change feed's default page (core/present/paging.ts holds every query's). */
export const DEFAULT_FEED_LIMIT = PAGE_LIMITS.changes.default;

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

function changeItem(e: FeedEntry): Q.ChangeItem {
  return {
    ts: e.ts, op: e.op, kind: e.kind, namespace: e.namespace, name: e.name, uid: e.uid,
    resourceVersion: e.resourceVersion, source: e.source,
    ...(e.verb ? { verb: e.verb } : {}),
    ...(e.actor ? { actor: e.actor } : {}),
    ...(e.gap ? { gap: true } : {}),
  };
}

export function feedQueries(scope: Scope): Pick<Q.HistoryQueries, 'changes' | 'events' | 'clusters'> {
  return {
    /**
     * Newest first. A page's cursor is [ts, n]: the next page reads the feed from ts down and
     * skips the n entries at exactly ts that earlier pages returned.
     */
    async changes(r) {
      const cluster = await scope.cluster(r.cluster, r.viewer);
      // A category (`all`) filters the feed by its kinds; one kind, by the store.
      const kinds = r.kind ? await scope.kinds(cluster, r.kind) : undefined;
      const kind = kinds && !kinds.category ? kinds[0] : undefined;
      const inCategory = kinds?.category ? new Set(kinds.map((k) => k.gk)) : undefined;
      const namespace = kind ? scope.namespaceFor(kind, r.namespace, false) : r.namespace || undefined;
      const filters = { cluster, gk: kind?.gk, category: inCategory ? r.kind : undefined, namespace, name: r.name, actor: r.actor, xs: r.excludeSystem };
      const page = r.continue ? decodeToken(r.continue, 'changes', filters) : undefined;
      const [from, to] = page ? (page.times as [number, number]) : [r.from, r.to];
      checkWindow(from, to);
      await scope.checkHorizon(cluster, from, 'from', { gk: kind?.gk, namespace });
      const [top, skip] = (page?.cursor as [number, number] | undefined) ?? [to, 0];
      const size = pageSize('changes', r.limit);
      const items: Q.ChangeItem[] = [];
      const visible = await feedVisibility(scope, r.viewer, cluster);
      let skipped = 0;
      let more = false;
      for await (const e of visibleOnly(scope.store.feed({ cluster, from, to: top, order: 'desc', gk: kind?.gk, namespace, name: r.name || undefined }), visible)) {
        if (inCategory && !inCategory.has(e.gk)) continue;
        if (r.actor && !actorMatches(e, r.actor)) continue;
        if (r.excludeSystem && e.actor?.username.startsWith('system:')) continue;
        if (e.ts === top && skipped < skip) {
          skipped++;
          continue;
        }
        if (items.length === size) {
          more = true;
          break;
        }
        items.push(changeItem(e));
      }
      let token: string | undefined;
      if (more) {
        const last = items.at(-1)!.ts;
        const atLast = items.filter((i) => i.ts === last).length + (last === top ? skip : 0);
        token = encodeToken({ query: 'changes', times: [from, to], cursor: [last, atLast] }, filters);
      }
      return { cluster, from, to, items, ...(token ? { continue: token } : {}) };
    },

    /** Events whose last revision lies in the window, by their last time (newest first), filtered, optionally folded, paged. */
    async events(r) {
      const cluster = await scope.cluster(r.cluster, r.viewer);
      const about = r.kind ? await scope.kind(cluster, r.kind) : undefined;
      const order = r.order ?? 'desc';
      const filters = { cluster, namespace: r.namespace, kind: about?.kind, name: r.name, order, type: r.type, reason: r.reason, agg: r.aggregate };
      const page = r.continue ? decodeToken(r.continue, 'events', filters) : undefined;
      const [from, to] = page ? (page.times as [number, number]) : [r.from, r.to];
      checkWindow(from, to);
      await scope.checkHorizon(cluster, from, 'from', { gk: 'Event', namespace: r.namespace || undefined });
      const latest = new Map<string, FeedEntry>();
      const visible = await feedVisibility(scope, r.viewer, cluster);
      for await (const e of visibleOnly(scope.store.feed({ cluster, from, to, order: 'asc', gk: 'Event', namespace: r.namespace || undefined }), visible)) {
        latest.set(e.uid, e); // the Event's last revision within the window
      }
      const found: { ev: KubeObject; t: number }[] = [];
      const entries = [...latest.values()];
      // The Event as of its last revision in the window (the store's fast path, many at once).
      const revs = await mapLimit(entries, LIST_CONCURRENCY, (e) => scope.revisionAt({ cluster, gk: e.gk, namespace: e.namespace, name: e.name }, e.ts));
      for (const [i, e] of entries.entries()) {
        const ev = revs[i]?.object;
        if (!ev) continue;
        const subject = eventSubject(ev);
        if (about && subject.kind !== about.kind) continue;
        if (r.name && subject.name !== r.name) continue;
        if (!eventMatches(ev, r)) continue;
        found.push({ ev, t: eventTimes(ev).last ?? e.ts });
      }
      const sign = order === 'asc' ? 1 : -1;
      // Ties by name, reversed with the order, so asc is exactly desc backwards.
      const nameOf = (e: KubeObject) => String((e.metadata as { name?: string } | undefined)?.name);
      found.sort((a, b) => sign * (a.t - b.t || nameOf(a.ev).localeCompare(nameOf(b.ev))));
      const events = found.map((f) => f.ev);
      const list: KubeObject[] | ReturnType<typeof aggregateEvents> = r.aggregate ? aggregateEvents(events, order) : events;
      const { items, next } = pageAt<unknown>(list, (page?.cursor as number | undefined) ?? 0, pageSize('events', r.limit));
      const token = next === undefined ? undefined : encodeToken({ query: 'events', times: [from, to], cursor: next }, filters);
      return { cluster, from, to, items: items as Q.EventsResult['items'], ...(token ? { continue: token } : {}) };
    },

    async clusters(r) {
      const items = await clustersVisibleTo(scope.store, r.viewer);
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    },
  };
}
