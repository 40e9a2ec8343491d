/**
 * The ground truth: every revision the simulated cluster committed, in commit order, so tests
 * can compare what kubetime recorded with what really happened.
 */
import type { WatchEventType } from '../k8s/object.ts';
import type { Micros } from '../k8s/time.ts';
import type { Cluster, Mutation } from './cluster.ts';

/** One committed revision. */
export interface TruthRevision {
  /** When it happened (µs) — equals the audit stageTimestamp. */
  ts: Micros;
  resourceVersion: string;
  op: WatchEventType;
  group: string;
  version: string;
  kind: string;
  resource: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
  verb: string;
  subresource?: string;
  actor: { username: string; groups: string[]; userAgent: string };
  /** False for changes no API request made (expired Events): they have no audit event. */
  audited: boolean;
}

export class GroundTruth {
  private readonly revisions: TruthRevision[] = [];
  private readonly byUid = new Map<string, TruthRevision[]>();
  private readonly unsubscribe: () => void;

  constructor(cluster: Cluster) {
    this.unsubscribe = cluster.onMutation((m) => this.add(m));
  }

  private add(m: Mutation): void {
    const r: TruthRevision = {
      ts: m.ts,
      resourceVersion: String(m.rv),
      op: m.op,
      group: m.type.group,
      version: m.type.version,
      kind: m.type.kind,
      resource: m.type.resource,
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      verb: m.ctx.verb,
      actor: { username: m.ctx.user.username, groups: m.ctx.user.groups, userAgent: m.ctx.userAgent },
      audited: m.ctx.audited !== false,
    };
    if (m.ctx.subresource) r.subresource = m.ctx.subresource;
    this.revisions.push(r);
    let list = this.byUid.get(m.uid);
    if (!list) this.byUid.set(m.uid, (list = []));
    list.push(r);
  }

  /** Every revision, oldest first. */
  all(): readonly TruthRevision[] {
    return this.revisions;
  }

  /** Revisions of one object (by uid), oldest first. */
  forUid(uid: string): readonly TruthRevision[] {
    return this.byUid.get(uid) ?? [];
  }

  /** Revisions of every uid that carried a name (`kind` as Kind, e.g. "Pod"), oldest first. */
  forName(kind: string, namespace: string, name: string): TruthRevision[] {
    return this.revisions.filter((r) => r.kind === kind && r.namespace === namespace && r.name === name);
  }

  /** Stops recording. */
  stop(): void {
    this.unsubscribe();
  }
}
