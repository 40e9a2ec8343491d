/** The time-window queries: the change feed, Kubernetes Events, and the clusters. */
import { invalidArgument } from './errors.ts';
import type { FeedEntry } from './ports.ts';
import type * as Q from './query-types.ts';
import type { KubeObject } from './record.ts';
import { LIST_CONCURRENCY, mapConcurrently, type Scope } from './scope.ts';
import { aggregateEvents, eventMatches, eventSubject, eventTimes } from './present/events.ts';
import { decodeToken, encodeToken, pageAt, pageSize, PAGE_LIMITS } from './present/paging.ts';

/** The change feed's default page (core/present/paging.ts holds every query's). */
export const DEFAULT_FEED_LIMIT = PAGE_LIMITS.changes.default;

function checkWindow(from: number, to: number): void {
  if (from > to) throw invalidArgument('from', 'must not be after to');
}

function actorMatches(e: FeedEntry, actor: string): boolean {
  return e.actor?.username === actor || e.actor?.impersonatedUser === actor;
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
      const cluster = await scope.cluster(r.cluster);
      const kind = r.kind ? await scope.kind(cluster, r.kind) : undefined;
      const namespace = kind ? scope.namespaceFor(kind, r.namespace, false) : r.namespace || undefined;
      const filters = { cluster, gk: kind?.gk, namespace, name: r.name, actor: r.actor, xs: r.excludeSystem };
      const page = r.continue ? decodeToken(r.continue, 'changes', filters) : undefined;
      const [from, to] = page ? (page.times as [number, number]) : [r.from, r.to];
      checkWindow(from, to);
      await scope.checkHorizon(cluster, from, 'from', { gk: kind?.gk, namespace });
      const [top, skip] = (page?.cursor as [number, number] | undefined) ?? [to, 0];
      const size = pageSize('changes', r.limit);
      const items: Q.ChangeItem[] = [];
      let skipped = 0;
      let more = false;
      for await (const e of scope.store.feed({ cluster, from, to: top, order: 'desc', gk: kind?.gk, namespace, name: r.name || undefined })) {
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
      const cluster = await scope.cluster(r.cluster);
      const about = r.kind ? await scope.kind(cluster, r.kind) : undefined;
      const order = r.order ?? 'desc';
      const filters = { cluster, namespace: r.namespace, kind: about?.kind, name: r.name, order, type: r.type, reason: r.reason, agg: r.aggregate };
      const page = r.continue ? decodeToken(r.continue, 'events', filters) : undefined;
      const [from, to] = page ? (page.times as [number, number]) : [r.from, r.to];
      checkWindow(from, to);
      await scope.checkHorizon(cluster, from, 'from', { gk: 'Event', namespace: r.namespace || undefined });
      const latest = new Map<string, FeedEntry>();
      for await (const e of scope.store.feed({ cluster, from, to, order: 'asc', gk: 'Event', namespace: r.namespace || undefined })) {
        latest.set(e.uid, e); // the Event's last revision within the window
      }
      const found: { ev: KubeObject; t: number }[] = [];
      const entries = [...latest.values()];
      // The Event as of its last revision in the window (the store's fast path, many at once).
      const revs = await mapConcurrently(entries, LIST_CONCURRENCY, (e) => scope.revisionAt({ cluster, gk: e.gk, namespace: e.namespace, name: e.name }, e.ts));
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

    async clusters() {
      const items = await scope.store.clusters();
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    },
  };
}
