/**
 * Suspects: the changes shortly before a span's start to the objects related to the failing one
 * (itself and its owner chain, its Node, the ConfigMaps and Secrets it references), each with a
 * one-line diff, ranked; and the change a span ended after. Pure.
 *
 * Ranking, most likely first:
 * 1. who: a change by a person or a deploy tool to an object nobody controls (a Deployment, a
 *    Node, a ConfigMap) comes before a change a Kubernetes component made (an HPA scaling, the
 *    node controller's taint), which comes before a controller's change to an object it owns (a
 *    ReplicaSet or Pod created for a rollout — a consequence, not a cause);
 * 2. relation: the owner chain (and the object itself), then the Node, then config;
 * 3. time: the closest to the span's start first.
 * Changes that touch only status or noise fields (managedFields, resourceVersion, generation)
 * are not suspects.
 */
import { diff, type JsonPatchOp } from '../../k8s/json-patch.ts';
import { withoutNoise } from '../noise.ts';
import type { Revision } from '../ports.ts';
import type { Ref } from '../query-types.ts';
import type { Actor, KubeObject } from '../record.ts';
import type { Micros } from '../time.ts';
import type { Suspect, SuspectRelation } from './types.ts';

/** An object related to a failing one, with its revisions around the span (ascending, one before the window if any). */
export interface Candidate {
  ref: Ref;
  relation: SuspectRelation;
  revisions: readonly Revision[];
  /** Its changes count whenever they happened (a `template` candidate), not only within the window. */
  anyTime?: boolean;
}

export const MAX_SUSPECTS = 5;

const RELATION_RANK: Record<SuspectRelation, number> = { self: 0, owner: 0, template: 0, node: 1, config: 2 };
const NOISY_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];
/** Keys whose children read better with their parent's name (`data.password`, `nodeSelector.disk`). */
const MAP_PARENTS = new Set(['data', 'stringData', 'binaryData', 'labels', 'annotations', 'nodeSelector', 'limits', 'requests']);

/** Kubernetes' own components: kubelets, the scheduler, kube-controller-manager's controllers. */
export function isComponent(actor: Actor | undefined): boolean {
  const u = actor?.username ?? '';
  return u.startsWith('system:node:') || u.startsWith('system:kube-') || u.startsWith('system:serviceaccount:kube-system:');
}

function controlled(obj: KubeObject | null): boolean {
  const refs = (obj?.metadata as { ownerReferences?: { controller?: boolean }[] } | undefined)?.ownerReferences ?? [];
  return refs.some((r) => r.controller);
}

/** The object as a change to it is judged: without status and noise fields. */
function comparable(obj: KubeObject | null): KubeObject | null {
  const o = withoutNoise(obj);
  if (!o) return null;
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  const annotations = meta.annotations ? { ...(meta.annotations as Record<string, string>) } : undefined;
  for (const a of NOISY_ANNOTATIONS) if (annotations) delete annotations[a];
  return { ...o, status: undefined, metadata: { labels: meta.labels, annotations, deletionTimestamp: meta.deletionTimestamp } };
}

function valueAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const raw of path.split('/').slice(1)) {
    const t = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function label(path: string): string {
  const tokens = path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let i = tokens.length - 1;
  while (i > 0 && /^\d+$/.test(tokens[i]!)) i--;
  const parent = tokens[i - 1];
  return parent && MAP_PARENTS.has(parent) ? `${parent}.${tokens[i]}` : tokens[i] ?? '/';
}

/** `image: api:2.14.3 → api:2.15.0; replicas: 3 → 5 (+2 more)`; '' when nothing but status or noise changed. */
export function summarize(before: KubeObject | null, after: KubeObject | null): string {
  return summary(contentDiff(before, after), comparable(before));
}

function contentDiff(before: KubeObject | null, after: KubeObject | null): JsonPatchOp[] {
  return diff(comparable(before), comparable(after));
}

function summary(ops: readonly JsonPatchOp[], a: KubeObject | null): string {
  const parts = ops.slice(0, 3).map((op) => `${label(op.path)}: ${show(valueAt(a, op.path))} → ${op.op === 'remove' ? '(none)' : show(op.value)}`);
  return parts.join('; ') + (ops.length > 3 ? ` (+${ops.length - 3} more)` : '');
}

interface Change extends Suspect {
  tier: number;
  /** Only labels or annotations changed (a restart stamp, a rotation mark): ranks after a change of content. */
  cosmetic: boolean;
}

const COSMETIC = /^\/(metadata|spec\/template\/metadata)\//;

/** Every change of a candidate whose time lies in [from, to], with its diff; status-only changes left out. */
function changesOf(c: Candidate, from: Micros, to: Micros): Change[] {
  const out: Change[] = [];
  const prevByUid = new Map<string, Revision>();
  for (const rev of c.revisions) {
    const prev = prevByUid.get(rev.uid);
    prevByUid.set(rev.uid, rev);
    if (rev.ts < from || rev.ts > to) continue;
    const ops = prev && rev.op !== 'DELETED' ? contentDiff(prev.object, rev.object) : [];
    const text = rev.op === 'DELETED' ? 'deleted' : !prev ? (rev.op === 'ADDED' ? 'created' : '') : summary(ops, comparable(prev.object));
    if (!text) continue;
    const derived = controlled(rev.object ?? prev?.object ?? null);
    const component = isComponent(rev.actor);
    const tier = derived && (component || !rev.actor) ? 2 : derived || component ? 1 : 0;
    out.push({
      ref: c.ref, relation: c.relation, ts: rev.ts, op: rev.op, resourceVersion: rev.resourceVersion,
      ...(rev.verb ? { verb: rev.verb } : {}), ...(rev.actor ? { actor: rev.actor } : {}),
      diff: text, tier, cosmetic: ops.length > 0 && ops.every((o) => COSMETIC.test(o.path)),
    });
  }
  return out;
}

const strip = ({ tier: _t, cosmetic: _c, ...s }: Change): Suspect => s;
const byRank = (x: Change, y: Change) =>
  x.tier - y.tier || Number(x.cosmetic) - Number(y.cosmetic) || RELATION_RANK[x.relation] - RELATION_RANK[y.relation] || y.ts - x.ts;

/** Ranks the candidates' changes in [start - window, start]; `recoveredAfter` is the best change in (start, end]. */
export function rankSuspects(span: { start: Micros; end: Micros | null }, candidates: readonly Candidate[], window: Micros): { suspects: Suspect[]; recoveredAfter?: Suspect } {
  const before = candidates.flatMap((c) => changesOf(c, c.anyTime ? -Infinity : span.start - window, span.start));
  // A template change inside the window is already there as an owner change (candidates list owners first).
  const seen = new Set<string>();
  const unique = before.filter((c) => {
    const id = `${c.ref.kind}/${c.ref.name}/${c.resourceVersion}`;
    return !seen.has(id) && !!seen.add(id);
  });
  unique.sort(byRank);
  const result: { suspects: Suspect[]; recoveredAfter?: Suspect } = { suspects: unique.slice(0, MAX_SUSPECTS).map(strip) };
  if (span.end !== null) {
    const end = span.end;
    const during = candidates.filter((c) => !c.anyTime).flatMap((c) => changesOf(c, span.start + 1, end)).filter((c) => c.tier < 2);
    during.sort(byRank);
    if (during[0]) result.recoveredAfter = strip(during[0]);
  }
  return result;
}

function templateContent(obj: KubeObject | null): unknown {
  const tpl = (obj?.spec as { template?: { spec?: unknown } } | undefined)?.template;
  return tpl?.spec;
}

/**
 * The revision of a workload that last changed its Pod template's content (not its metadata: a
 * restart stamp), with the revision before it: `revs` newest first, all at or before the Pod's
 * creation. Undefined when the revisions read do not show it.
 */
export function templateChange(revs: readonly Revision[]): Revision[] | undefined {
  for (let i = 0; i + 1 < revs.length; i++) {
    const [rev, prev] = [revs[i]!, revs[i + 1]!];
    if (rev.uid !== prev.uid) return undefined;
    if (diff(templateContent(prev.object), templateContent(rev.object)).length) return [prev, rev];
  }
  return undefined;
}
