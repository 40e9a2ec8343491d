/**
 * An in-memory HistoryStore for tests of the compactor: implements the port contract of
 * core/ports.ts (idempotent append with merging, DELETED with a null object keeps the previous
 * state, out-of-order arrival, lifetimes, feed, prune) without any I/O.
 *
 * Layout: revisions by identity (`byId`), revisions per uid sorted by compareRevisions (`byUid`),
 * uids per name in nested sorted-on-read maps (`names`: cluster → gk → namespace → name → uids),
 * and per cluster a feed array kept sorted by ts lazily.
 */
import { KubetimeError } from '../../core/errors.ts';
import type {
  AppendResult, ClusterInfo, FeedEntry, FeedQuery, HistoryStore, Lifetime, LifetimeQuery, PruneRequest,
  Revision, RevisionQuery, SeenKind,
} from '../../core/ports.ts';
import { checkScopes, checkStorable } from '../../core/record-limits.ts';
import { compareRevisions, groupKind, mergeRecords, revisionId } from '../../core/record.ts';
import type { ChangeRecord } from '../../core/record.ts';

type Names = Map<string, Map<string, Map<string, Map<string, Set<string>>>>>;
type Level = Map<string, Map<string, Map<string, Set<string>>>>;

const uidKey = (cluster: string, uid: string): string => `${cluster}\u0000${uid}`;
const sorted = <T>(m: Map<string, T>): [string, T][] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function byFeedOrder(a: ChangeRecord, b: ChangeRecord): number {
  return compareRevisions(a, b) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);
}

export class MemoryHistoryStore implements HistoryStore {
  private readonly byId = new Map<string, ChangeRecord>();
  private readonly byUid = new Map<string, ChangeRecord[]>();
  private readonly names: Names = new Map();
  private readonly feeds = new Map<string, { list: ChangeRecord[]; dirty: boolean }>();
  /** Each kind's scope, by `${cluster}\0${gk}`, from its first record (core/record-limits.ts). */
  private readonly scopes = new Map<string, boolean>();
  /** Set to make every call reject with STORE_UNAVAILABLE (fault tests). */
  unavailable = false;

  private check(): void {
    if (this.unavailable) throw new KubetimeError('STORE_UNAVAILABLE', 'memory store is marked unavailable');
  }

  async append(records: readonly ChangeRecord[]): Promise<AppendResult> {
    this.check();
    checkStorable(records);
    const fresh = checkScopes(records, { namespaced: (cluster, gk) => this.scopes.get(`${cluster}\u0000${gk}`) });
    for (const [k, namespaced] of fresh) this.scopes.set(k, namespaced);
    const result: AppendResult = { inserted: 0, merged: 0, duplicates: 0 };
    for (const incoming of records) {
      const id = revisionId(incoming);
      const existing = this.byId.get(id);
      if (existing) {
        const merged = mergeRecords(existing, incoming);
        if (merged === existing) result.duplicates++;
        else {
          this.replace(existing, structuredClone(merged));
          result.merged++;
        }
        continue;
      }
      this.insert(structuredClone(incoming));
      result.inserted++;
    }
    return result;
  }

  private insert(r: ChangeRecord): void {
    const uk = uidKey(r.cluster, r.uid);
    const revs = this.byUid.get(uk) ?? [];
    if (r.op === 'DELETED' && r.object === null) {
      const before = revs.filter((x) => x.op !== 'DELETED' && compareRevisions(x, r) < 0).at(-1);
      r.object = before?.object ?? null;
    }
    revs.push(r);
    revs.sort(compareRevisions);
    this.byUid.set(uk, revs);
    this.byId.set(revisionId(r), r);
    const gk = groupKind(r.group, r.kind);
    const path = [r.cluster, gk, r.namespace] as const;
    let level: Map<string, unknown> = this.names;
    for (const seg of path) {
      if (!level.has(seg)) level.set(seg, new Map());
      level = level.get(seg) as Map<string, unknown>;
    }
    const uids = (level.get(r.name) as Set<string> | undefined) ?? new Set<string>();
    uids.add(uk);
    level.set(r.name, uids);
    const feed = this.feeds.get(r.cluster) ?? { list: [], dirty: false };
    feed.list.push(r);
    feed.dirty = true;
    this.feeds.set(r.cluster, feed);
  }

  private replace(old: ChangeRecord, next: ChangeRecord): void {
    const revs = this.byUid.get(uidKey(old.cluster, old.uid))!;
    revs[revs.indexOf(old)] = next;
    revs.sort(compareRevisions);
    this.byId.set(revisionId(next), next);
    const feed = this.feeds.get(old.cluster)!;
    feed.list[feed.list.indexOf(old)] = next;
    feed.dirty = true;
  }

  private uidsOf(cluster: string, gk: string, ns: string, name: string): string[] {
    return [...(this.names.get(cluster)?.get(gk)?.get(ns)?.get(name) ?? [])];
  }

  async *revisions(q: RevisionQuery): AsyncIterable<Revision> {
    this.check();
    const { cluster, gk, namespace, name } = q.key;
    const all = this.uidsOf(cluster, gk, namespace, name).flatMap((uk) => this.byUid.get(uk) ?? []);
    let list = all.filter((r) => (q.from === undefined || r.ts >= q.from) && (q.to === undefined || r.ts <= q.to)).sort(compareRevisions);
    if (q.order === 'desc') list.reverse();
    if (q.limit !== undefined) list = list.slice(0, q.limit);
    for (const r of list) yield { ...r };
  }

  private lifetimeOf(uk: string): Lifetime | undefined {
    const revs = this.byUid.get(uk);
    const first = revs?.[0];
    if (!first) return undefined;
    const deleted = revs.find((r) => r.op === 'DELETED');
    const gk = groupKind(first.group, first.kind);
    return {
      key: { cluster: first.cluster, gk, namespace: first.namespace, name: first.name },
      uid: first.uid, group: first.group, kind: first.kind, apiVersion: first.apiVersion, resource: first.resource,
      from: first.ts, to: deleted ? deleted.ts : null,
    };
  }

  async *lifetimes(q: LifetimeQuery): AsyncIterable<Lifetime> {
    this.check();
    for (const [gk, namespaces] of sorted(this.names.get(q.cluster) ?? (new Map() as Level))) {
      if (q.gk !== undefined && gk !== q.gk) continue;
      for (const [ns, names] of sorted(namespaces)) {
        if (q.namespace !== undefined && ns !== q.namespace) continue;
        for (const [name, uids] of sorted(names)) {
          if (q.name !== undefined && name !== q.name) continue;
          const lives = [...uids].map((uk) => this.lifetimeOf(uk)).filter((l): l is Lifetime => !!l);
          lives.sort((a, b) => a.from - b.from);
          for (const l of lives) {
            if (q.aliveAt === undefined || (l.from <= q.aliveAt && (l.to === null || q.aliveAt < l.to))) yield l;
          }
        }
      }
    }
  }

  private feedList(cluster: string): ChangeRecord[] {
    const feed = this.feeds.get(cluster);
    if (!feed) return [];
    if (feed.dirty) {
      feed.list.sort(byFeedOrder);
      feed.dirty = false;
    }
    return feed.list;
  }

  async *feed(q: FeedQuery): AsyncIterable<FeedEntry> {
    this.check();
    const list = this.feedList(q.cluster);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.ts < q.from) lo = mid + 1;
      else hi = mid;
    }
    const window: ChangeRecord[] = [];
    for (let i = lo; i < list.length && list[i]!.ts <= q.to; i++) {
      const r = list[i]!;
      if (q.gk !== undefined && groupKind(r.group, r.kind) !== q.gk) continue;
      if (q.namespace !== undefined && r.namespace !== q.namespace) continue;
      if (q.name !== undefined && r.name !== q.name) continue;
      window.push(r);
    }
    if (q.order === 'desc') window.reverse();
    const limited = q.limit === undefined ? window : window.slice(0, q.limit);
    for (const r of limited) {
      yield {
        cluster: r.cluster, ts: r.ts, op: r.op, group: r.group, kind: r.kind, gk: groupKind(r.group, r.kind),
        namespace: r.namespace, name: r.name, uid: r.uid, resourceVersion: r.resourceVersion, source: r.source,
        ...(r.verb ? { verb: r.verb } : {}), ...(r.actor ? { actor: r.actor } : {}), ...(r.gap ? { gap: r.gap } : {}),
      };
    }
  }

  async clusters(): Promise<ClusterInfo[]> {
    this.check();
    return sorted(this.feeds)
      .filter(([, f]) => f.list.length > 0)
      .map(([name]) => {
        const list = this.feedList(name);
        return { name, firstSeen: list[0]!.ts, lastSeen: list.at(-1)!.ts };
      });
  }

  async kinds(cluster: string): Promise<SeenKind[]> {
    this.check();
    const seen = new Map<string, SeenKind>();
    for (const r of this.feedList(cluster)) {
      const gk = groupKind(r.group, r.kind);
      if (!seen.has(gk)) {
        const version = r.apiVersion.split('/').at(-1)!;
        seen.set(gk, { group: r.group, version, kind: r.kind, resource: r.resource, namespaced: r.namespace !== '' });
      }
    }
    return sorted(seen).map(([, k]) => k);
  }

  async prune(req: PruneRequest): Promise<{ removed: number }> {
    this.check();
    const doomed = new Set<ChangeRecord>();
    for (const [uk, revs] of this.byUid) {
      const first = revs[0];
      if (!first || first.cluster !== req.cluster) continue;
      if (req.gk !== undefined && groupKind(first.group, first.kind) !== req.gk) continue;
      if (req.namespace !== undefined && first.namespace !== req.namespace) continue;
      const older = revs.filter((r) => r.ts < req.before);
      if (!older.length) continue;
      const deleted = revs.find((r) => r.op === 'DELETED');
      const aliveAtBefore = !deleted || deleted.ts >= req.before;
      const go = aliveAtBefore ? older.slice(0, -1) : older;
      for (const r of go) doomed.add(r);
      const kept = revs.filter((r) => !doomed.has(r));
      if (kept.length) this.byUid.set(uk, kept);
      else {
        this.byUid.delete(uk);
        this.names.get(first.cluster)?.get(groupKind(first.group, first.kind))?.get(first.namespace)?.get(first.name)?.delete(uk);
      }
    }
    for (const r of doomed) this.byId.delete(revisionId(r));
    const feed = this.feeds.get(req.cluster);
    if (feed && doomed.size) feed.list = feed.list.filter((r) => !doomed.has(r));
    return { removed: doomed.size };
  }

  async close(): Promise<void> {}
}
