/**
 * A committed mutation as kubetime stores it once the watch and the audit webhook have both seen
 * it (one revision with the audit's exact time, actor and verb): for tests and benchmarks that
 * need a store filled with the scenario's history without running the ingester.
 */
import type { ChangeRecord } from '../../../core/record.ts';
import type { Mutation } from '../../../simulator/mutation.ts';

export function storedRecord(m: Mutation, cluster: string): ChangeRecord {
  const t = m.type;
  return {
    cluster, apiVersion: t.group ? `${t.group}/${t.version}` : t.version, group: t.group, kind: t.kind, resource: t.resource,
    namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: String(m.rv), op: m.op, ts: m.ts, observedAt: m.ts,
    source: m.ctx.audited === false ? 'watch' : 'watch+audit',
    ...(m.ctx.audited === false ? {} : { actor: { username: m.ctx.user.username, groups: m.ctx.user.groups, userAgent: m.ctx.userAgent }, verb: m.ctx.verb }),
    object: m.object,
  };
}
