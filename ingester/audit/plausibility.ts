/**
 * Whether an audit event's time (and scope) is plausible for the revision it times. An audit
 * record's time and actor win over the watch's (core/record.ts `mergeRecords`), so a forged event
 * could otherwise move a revision to 2020 or give it another author. Refused, each counted in
 * `kubetime_audit_refused_total{reason}` and logged with the record's identity, while the rest
 * of the batch is stored:
 * - `skew`: the time is further than `maxSkewMs` (default 10 min) from when the batch was
 *   received (webhook only: an imported log is old by nature);
 * - `before-creation`: before the object's own `metadata.creationTimestamp` (second precision,
 *   truncated, so a true time is never before it);
 * - `before-previous`: more than PREVIOUS_TOLERANCE_MS before a stored, audit-timed revision of
 *   the same uid with a lower resourceVersion (etcd orders an object's revisions; an audit time is
 *   when the response completed, so two concurrent requests may finish in the other order by a
 *   few milliseconds; a watch time is only an upper bound, so only audit-timed revisions count);
 * - `scope`: the record's namespace contradicts its kind's scope as discovery tells it (a Pod
 *   without a namespace, a Node with one). The store also keeps each kind's scope from its first
 *   record (core/record-limits.ts); this catches a forged first record of a known kind.
 * Attributions (events naming a watched revision without carrying it) are checked for skew.
 */
import type { Logger } from 'pino';
import type { HistoryStore } from '../../core/ports.ts';
import { compareResourceVersions, objectKeyOf, type ChangeRecord } from '../../core/record.ts';
import { parseRfc3339, type Micros } from '../../core/time.ts';
import { pace } from '../../core/yield.ts';
import type { IngestMetrics } from '../metrics.ts';

/** Why an audit record was refused (module comment). */
export type Implausible = 'skew' | 'before-creation' | 'before-previous' | 'scope';

export const DEFAULT_MAX_SKEW_MS = 10 * 60 * 1000;
/** How much earlier than an audit-timed previous revision a record may be (concurrent requests). */
export const PREVIOUS_TOLERANCE_MS = 5000;
/** Later revisions of an object read to find one that contradicts a record's time. */
const LATER_REVISIONS = 16;

export interface PlausibilityOptions {
  /** Revisions already stored (for `before-previous`); absent = not checked. */
  store?: Pick<HistoryStore, 'revisions'>;
  /** Largest distance between an audit time and its receipt, ms (default 10 min). */
  maxSkewMs?: number;
  /** A kind's scope as discovery (or the built-in table) tells it; undefined = unknown. */
  namespaced?: (group: string, kind: string) => boolean | undefined;
  metrics?: IngestMetrics;
  logger?: Logger;
}

/** The audit plausibility check (module comment). */
export class AuditPlausibility {
  readonly #o: PlausibilityOptions;

  constructor(opts: PlausibilityOptions) {
    this.#o = opts;
  }

  /**
   * The records and attributions to keep. `receivedAt` (µs) is when the webhook received the
   * batch; absent (an import), times are not compared with it.
   */
  async filter<A extends { ts: Micros; cluster: string; uid: string }>(
    records: readonly ChangeRecord[], attributions: readonly A[], receivedAt?: Micros,
  ): Promise<{ records: ChangeRecord[]; attributions: A[]; refused: number }> {
    const keep: ChangeRecord[] = [];
    let refused = 0;
    for (const r of records) {
      await pace(); // a 100k-event batch must not hold the event loop
      const why = this.#skewed(r.ts, receivedAt) ?? this.#wrongScope(r) ?? beforeCreation(r) ?? await this.#beforePrevious(r);
      if (why) {
        refused++;
        this.#refuse(why, { cluster: r.cluster, kind: r.kind, namespace: r.namespace, name: r.name, uid: r.uid, resourceVersion: r.resourceVersion, auditID: r.auditID, actor: r.actor?.username, ts: r.ts, receivedAt });
      } else keep.push(r);
    }
    const kept = attributions.filter((a) => {
      const why = this.#skewed(a.ts, receivedAt);
      if (why) this.#refuse(why, { cluster: a.cluster, uid: a.uid, ts: a.ts, receivedAt, attribution: true });
      return !why;
    });
    return { records: keep, attributions: kept, refused: refused + attributions.length - kept.length };
  }

  #skewed(ts: Micros, receivedAt: Micros | undefined): Implausible | undefined {
    if (receivedAt === undefined) return undefined;
    const max = (this.#o.maxSkewMs ?? DEFAULT_MAX_SKEW_MS) * 1000;
    return Math.abs(ts - receivedAt) > max ? 'skew' : undefined;
  }

  #wrongScope(r: ChangeRecord): Implausible | undefined {
    const namespaced = this.#o.namespaced?.(r.group, r.kind);
    return namespaced !== undefined && namespaced !== (r.namespace !== '') ? 'scope' : undefined;
  }

  async #beforePrevious(r: ChangeRecord): Promise<Implausible | undefined> {
    if (!this.#o.store || !r.resourceVersion) return undefined;
    const from = r.ts + PREVIOUS_TOLERANCE_MS * 1000 + 1;
    const later = this.#o.store.revisions({ key: objectKeyOf(r), from, order: 'asc', limit: LATER_REVISIONS, objects: false });
    for await (const rev of later) {
      if (rev.uid === r.uid && rev.resourceVersion && rev.source.includes('audit') && compareResourceVersions(rev.resourceVersion, r.resourceVersion) < 0) return 'before-previous';
    }
    return undefined;
  }

  #refuse(reason: Implausible, fields: Record<string, unknown>): void {
    this.#o.metrics?.auditRefusedTotal.inc({ reason });
    this.#o.logger?.warn({ reason, ...fields }, 'audit event refused: its time or scope is implausible for the revision it names');
  }
}

function beforeCreation(r: ChangeRecord): Implausible | undefined {
  const created = r.object?.metadata?.creationTimestamp;
  const t = typeof created === 'string' ? parseRfc3339(created) : undefined;
  return t !== undefined && r.ts < t ? 'before-creation' : undefined;
}
