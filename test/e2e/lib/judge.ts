/**
 * The verdict on one fidelity run, from what the prober recorded, what the audit log holds and
 * what kubetime answers once it has caught up. Every list it returns is a list of failures, each
 * a message precise enough to reproduce (object, resourceVersion, time, audit event).
 */
import type { AuditChange } from './audit-log.ts';
import type { Micros } from './clock.ts';
import {
  actorCoverage, changesIn, expectedRevisions, Histories, historyProblems, inRelistGaps, missingRevisions, mistimedRevisions, relistGapUids, type ActorCoverage,
} from './history-check.ts';
import type { KubeClient } from './kube.ts';
import { lifetimeProblems } from './lifetime-check.ts';
import type { KubetimeApi } from './kubetime.ts';
import { AmbiguityIndex, checkProbe, type Mismatch } from './probe-check.ts';
import type { Probe } from './prober.ts';
import { RESOURCES, apiPath, kindOfResource, type ResourceName } from './resources.ts';

export interface RunRecord {
  api: KubetimeApi;
  kube: KubeClient;
  namespace: string;
  /** The namespaced resources compared. */
  resources: readonly ResourceName[];
  /** Every audited change since the run began (all namespaces). */
  changes: readonly AuditChange[];
  /** The changes kubetime must hold: the namespace's, and the watched Nodes' during the run. */
  inRun: (c: AuditChange) => boolean;
  probes: readonly Probe[];
  from: Micros;
  to: Micros;
  /** Namespaces the run also changed (deleted whole): their changes count for the actors. */
  alsoNamespaces?: readonly string[];
}

export interface ProbeVerdict {
  total: number;
  unambiguous: number;
  ambiguous: number;
  mismatches: Mismatch[];
  /** Probes that differ only in objects whose revision then fell in a relist gap (relistGapUids): counted apart. */
  inRelistGap: Mismatch[];
  /** The final sweep (the present, after catching up). */
  swept: number;
  sweepMismatches: Mismatch[];
  /** The probes with their ambiguity, without bodies (for the report file). */
  index: (Omit<Probe, 'object' | 'items'> & { ambiguous: boolean })[];
}

/** Every unambiguous probe asked again of kubetime, as of its t1. */
export async function judgeProbes(r: RunRecord): Promise<ProbeVerdict> {
  const ambiguity = new AmbiguityIndex(r.changes);
  const random = r.probes.filter((p) => !p.sweep);
  const unambiguous = random.filter((p) => !ambiguity.isAmbiguous(p));
  const swept = r.probes.filter((p) => p.sweep && !ambiguity.isAmbiguous(p));
  const mismatches: Mismatch[] = [];
  const inRelistGap: Mismatch[] = [];
  const histories = new Histories(r.api);
  for (const p of unambiguous) {
    const m = await checkProbe(r.api, p);
    if (!m) continue;
    const gap = await relistGapUids(histories, RESOURCES[p.resource].kind, p.op === 'get' ? [p.object] : p.items ?? []);
    if (gap.size && !(await checkProbe(r.api, p, gap))) inRelistGap.push(m);
    else mismatches.push(m);
  }
  const sweepMismatches: Mismatch[] = [];
  for (const p of swept) {
    const m = await checkProbe(r.api, p);
    if (m) sweepMismatches.push(m);
  }
  return {
    total: random.length, unambiguous: unambiguous.length, ambiguous: random.length - unambiguous.length, mismatches, inRelistGap,
    swept: swept.length, sweepMismatches,
    index: r.probes.map(({ object, items, ...p }) => ({ ...p, ambiguous: ambiguity.isAmbiguous({ object, items, ...p }) })),
  };
}

export interface HistoryVerdict {
  /** Revisions and deletions the audit log shows, checked against /v1/history. */
  checked: number;
  /** Audited requests whose answer names no resulting revision (a Binding's Status). */
  uncheckable: number;
  objects: number;
  missing: string[];
  /** Audited revisions not at the time of the request that made them. */
  mistimed: string[];
  /** Lists as of T that disagree with the histories about when a uid lived (lifetime-check.ts). */
  lifetimes: string[];
  missedDeletions: string[];
  duplicates: string[];
  misordered: string[];
  actors: ActorCoverage & { share: number };
}

const baseKind = (kind: string) => kind.split('.')[0]!;

/** Nothing lost, nothing duplicated, no deletion missed, and who made each change. */
export async function judgeHistory(r: RunRecord): Promise<HistoryVerdict> {
  const histories = new Histories(r.api);
  const { expected: audited, uncheckable: answeredWithout } = expectedRevisions(r.changes, r.inRun);
  // A Scale's revision inside a relist gap is unknowable (history-check.ts inRelistGaps): counted apart.
  const { known: expected, inGap } = await inRelistGaps(histories, audited);
  const uncheckable = answeredWithout + inGap.length;
  const missing = await missingRevisions(histories, expected);
  const mistimed = await mistimedRevisions(histories, expected);
  const feed = await changesIn(r.api, r.namespace, r.from, r.to);
  const missedDeletions = await deletions(r, histories, feed);
  for (const i of feed) await histories.get(baseKind(i.kind), r.namespace, i.name);
  const lifetimes = await lifetimeProblems(r.api, histories);
  const duplicates: string[] = [];
  const misordered: string[] = [];
  for (const key of histories.keys()) {
    const [kind, namespace, name] = key.split('|') as [string, string, string];
    const p = historyProblems(`${kind} ${namespace ? `${namespace}/` : ''}${name}`, await histories.get(kind, namespace, name));
    duplicates.push(...p.duplicates);
    misordered.push(...p.misordered);
  }
  const others = await Promise.all((r.alsoNamespaces ?? []).map((n) => changesIn(r.api, n, r.from, r.to)));
  const cov = actorCoverage([...feed, ...others.flat()], r.changes);
  return {
    checked: expected.length, uncheckable, objects: histories.keys().length, missing, mistimed, lifetimes, missedDeletions, duplicates, misordered,
    actors: { ...cov, share: cov.counted ? cov.withActor / cov.counted : 1 },
  };
}

/**
 * Every uid the run ever had in the namespace (audit log and kubetime's feed): kubetime has a
 * DELETED for it exactly when the apiserver no longer has it.
 */
async function deletions(r: RunRecord, histories: Histories, feed: readonly { kind: string; name: string; uid: string }[]): Promise<string[]> {
  const compared = new Set(r.resources.map((x) => RESOURCES[x].kind as string));
  const live = new Set<string>();
  for (const res of r.resources) for (const o of (await r.kube.ok('GET', apiPath(RESOURCES[res], r.namespace))).items) live.add(o.metadata.uid);
  const ever = new Map<string, { kind: string; name: string }>();
  for (const c of r.changes) {
    const kind = kindOfResource(c.resource);
    const m = c.response?.metadata;
    if (kind && compared.has(kind) && c.namespace === r.namespace && c.response?.kind === kind && m?.uid) ever.set(m.uid, { kind, name: m.name });
  }
  for (const i of feed) if (compared.has(baseKind(i.kind))) ever.set(i.uid, { kind: baseKind(i.kind), name: i.name });
  const wrong: string[] = [];
  for (const [uid, o] of ever) {
    const del = (await histories.get(o.kind, r.namespace, o.name)).some((i) => i.uid === uid && i.op === 'DELETED');
    if (live.has(uid) === del) {
      wrong.push(`${o.kind} ${r.namespace}/${o.name} (uid ${uid}) ${del ? 'exists in the apiserver but kubetime recorded its deletion' : 'is gone from the apiserver but kubetime has no DELETED for it'}`);
    }
  }
  return wrong;
}
