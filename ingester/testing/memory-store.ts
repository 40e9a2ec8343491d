/**
 * An in-memory HistoryStore subset for the ingester's unit tests: append with the identity and
 * merge rules of core/record.ts, lifetimes and revisions. `down = true` makes every call fail
 * with STORE_UNAVAILABLE, as a store outage does.
 */
import { KubetimeError } from '../../core/errors.ts';
import type { AppendResult, FeedEntry, FeedQuery, HistoryStore, Lifetime, LifetimeQuery, Revision, RevisionQuery } from '../../core/ports.ts';
import { compareRevisions, groupKind, mergeRecords, revisionId, type ChangeRecord } from '../../core/record.ts';

export class MemoryStore implements Pick<HistoryStore, 'append' | 'lifetimes' | 'revisions' | 'feed'> {
  readonly byId = new Map<string, ChangeRecord>();
  down = false;
  appends = 0;
  /** Every record appended, in order (duplicates included). */
  readonly log: ChangeRecord[] = [];
  /** Optional hook: throw to refuse a record. */
  validate?: (r: ChangeRecord) => void;

  #check(): void {
    if (this.down) throw new KubetimeError('STORE_UNAVAILABLE', 'memory store is down');
  }

  async append(records: readonly ChangeRecord[]): Promise<AppendResult> {
    this.#check();
    for (const r of records) this.validate?.(r);
    this.appends++;
    const result: AppendResult = { inserted: 0, merged: 0, duplicates: 0 };
    for (const r of records) {
      this.log.push(structuredClone(r));
      const id = revisionId(r);
      const existing = this.byId.get(id);
      if (!existing) {
        this.byId.set(id, structuredClone(r));
        result.inserted++;
        continue;
      }
      const merged = mergeRecords(existing, r);
      if (merged === existing) result.duplicates++;
      else {
        this.byId.set(id, merged);
        result.merged++;
      }
    }
    return result;
  }

  /** Every stored revision, ordered per object. */
  all(): ChangeRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : compareRevisions(a, b)));
  }

  async *revisions(q: RevisionQuery): AsyncIterable<Revision> {
    this.#check();
    const k = q.key;
    const rows = [...this.byId.values()]
      .filter((r) => r.cluster === k.cluster && groupKind(r.group, r.kind) === k.gk && r.namespace === k.namespace && r.name === k.name)
      .sort(compareRevisions);
    if (q.order === 'desc') rows.reverse();
    yield* rows.slice(0, q.limit ?? rows.length);
  }

  async *feed(q: FeedQuery): AsyncIterable<FeedEntry> {
    this.#check();
    const rows = [...this.byId.values()]
      .filter((r) => r.cluster === q.cluster && r.ts >= q.from && r.ts <= q.to && (q.gk === undefined || groupKind(r.group, r.kind) === q.gk))
      .filter((r) => q.namespace === undefined || r.namespace === q.namespace)
      .sort((a, b) => a.ts - b.ts);
    if (q.order === 'desc') rows.reverse();
    for (const r of rows.slice(0, q.limit ?? rows.length)) {
      const { cluster, ts, op, group, kind, namespace, name, uid, resourceVersion, source } = r;
      yield { cluster, ts, op, group, kind, gk: groupKind(group, kind), namespace, name, uid, resourceVersion, source };
    }
  }

  async *lifetimes(q: LifetimeQuery): AsyncIterable<Lifetime> {
    this.#check();
    const byUid = new Map<string, ChangeRecord[]>();
    for (const r of this.byId.values()) {
      if (r.cluster !== q.cluster || (q.gk !== undefined && groupKind(r.group, r.kind) !== q.gk)) continue;
      if (q.namespace !== undefined && r.namespace !== q.namespace) continue;
      byUid.set(r.uid, [...(byUid.get(r.uid) ?? []), r]);
    }
    for (const [uid, rs] of byUid) {
      rs.sort(compareRevisions);
      const first = rs[0]!;
      const del = rs.find((r) => r.op === 'DELETED');
      const lt: Lifetime = {
        key: { cluster: first.cluster, gk: groupKind(first.group, first.kind), namespace: first.namespace, name: first.name },
        uid, group: first.group, kind: first.kind, apiVersion: first.apiVersion, resource: first.resource,
        from: first.ts, to: del ? del.ts : null,
      };
      if (q.aliveAt !== undefined && !(lt.from <= q.aliveAt && (lt.to === null || lt.to > q.aliveAt))) continue;
      yield lt;
    }
  }
}
