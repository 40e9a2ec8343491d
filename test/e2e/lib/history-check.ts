/**
 * Whole-run checks of kubetime's history against kube-apiserver's audit log:
 * - nothing lost: every revision the audit log shows (the resulting object's resourceVersion, or
 *   the Scale's, which is the Deployment's) is in `/v1/history`, and every deletion too;
 * - exact times: an audited revision carries the time of the request that made it;
 * - nothing duplicated: one revision per (uid, resourceVersion), at most one DELETED per uid,
 *   nothing after it, resourceVersions rising in history order;
 * - actors: the share of recorded changes that say who made them.
 */
import type { AuditChange } from './audit-log.ts';
import { succeeded } from './audit-log.ts';
import { formatMicros, parseMicros, type Micros } from './clock.ts';
import type { KubetimeApi } from './kubetime.ts';
import { kindOfResource } from './resources.ts';

export interface Expectation {
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  /** A revision with this resourceVersion must exist (any op). */
  rv?: string;
  /** A DELETED record for the uid must exist. */
  deleted?: boolean;
  /** The audit event it comes from, for messages. */
  why: string;
  /** When that request completed (its stageTimestamp): the revision's time if it made it. */
  at: Micros;
  /** The request answered without the object (a Scale): only the watch can bring its state. */
  bodyless?: boolean;
}

export interface HistoryItem {
  ts: string;
  op: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceVersion: string;
  source: string;
  uid: string;
  actor?: { username: string };
  verb?: string;
  gap?: boolean;
}

const ref = (e: { kind: string; namespace: string; name: string }) => `${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}`;

/**
 * What the audit log says must be in kubetime. Requests answered without a resulting
 * resourceVersion (a Binding's Status) cannot be checked this way and are counted apart.
 */
export function expectedRevisions(changes: readonly AuditChange[], inScope: (c: AuditChange) => boolean): { expected: Expectation[]; uncheckable: number } {
  const expected: Expectation[] = [];
  let uncheckable = 0;
  for (const c of changes) {
    const kind = kindOfResource(c.resource);
    if (!kind || !succeeded(c) || !inScope(c)) continue;
    const resp = c.response;
    const why = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} by ${c.username} at ${formatMicros(c.completed)} (audit ${c.auditID})`;
    const at = c.completed;
    const meta = resp?.metadata;
    if (resp?.kind === kind && meta?.uid && meta?.resourceVersion) {
      const base = { kind, namespace: c.namespace, name: meta.name, uid: meta.uid, why, at };
      // A write to a subresource (a status patch) does not finish a deletion: its answer may show the
      // grace-0 state a concurrent delete made, with nothing left to remove it but that delete.
      if (c.verb === 'delete' ? removedByDelete(meta) : !c.subresource && finishedDeletion(meta)) expected.push({ ...base, deleted: true });
      else if (c.verb === 'delete' && markedBefore(meta, c.received)) uncheckable++;
      else expected.push({ ...base, rv: meta.resourceVersion });
    } else if (resp?.kind === 'Scale' && meta?.resourceVersion && c.name) {
      expected.push({ kind, namespace: c.namespace, name: c.name, ...(meta.uid ? { uid: meta.uid } : {}), rv: meta.resourceVersion, why, at, bodyless: true });
    } else if (c.verb === 'delete' && !c.subresource && c.name && (resp?.kind === 'Status' || (resp?.kind === kind && meta?.uid && !meta.resourceVersion))) {
      // A Status, or (kube-apiserver 1.34, a grace-0 delete) the object without its resourceVersion:
      // the object is gone; of two deletes that both answered 200, the earliest is taken as the maker.
      const uid = c.uid ?? resp.details?.uid ?? meta?.uid;
      expected.push({ kind, namespace: c.namespace, name: c.name, ...(uid ? { uid } : {}), deleted: true, why, at });
    } else {
      uncheckable++;
    }
  }
  return { expected, uncheckable };
}

/**
 * Whether a delete that answered with the object removed it. kube-apiserver removes an object at
 * once when it has no deletionTimestamp, and finishes a graceful deletion when no grace period
 * and no finalizer is left; its answer is then the object at the deletion's resourceVersion, with
 * the deletionTimestamp an earlier graceful delete gave it (a pod's final grace-0 delete).
 */
function removedByDelete(meta: DeletionMeta): boolean {
  return !meta.deletionTimestamp || finishedDeletion(meta);
}

/**
 * Whether a write answered with an object whose deletion it finished: no grace period and no
 * finalizer left (an update or patch removing the last finalizer; kube-apiserver then removes the
 * object and answers with its state before the removal, at the resourceVersion it had).
 */
function finishedDeletion(meta: DeletionMeta): boolean {
  return !!meta.deletionTimestamp && meta.deletionGracePeriodSeconds === 0 && !meta.finalizers?.length;
}

/**
 * Whether a graceful delete answered with a deletion mark an earlier request set: its
 * deletionTimestamp less the grace period (whole seconds) is more than a second before the delete
 * was received, so this delete changed nothing and its answer is the revision another request made
 * (an eviction, answered with a Status: the StatefulSet controller deleting the evicted pod 2 s later).
 */
function markedBefore(meta: DeletionMeta, received: Micros): boolean {
  const at = parseMicros(meta.deletionTimestamp ?? '');
  return Number.isFinite(at) && at - (meta.deletionGracePeriodSeconds ?? 0) * 1e6 + 1e6 <= received;
}

interface DeletionMeta { deletionTimestamp?: string; deletionGracePeriodSeconds?: number; finalizers?: string[] }

/** /v1/history of objects, fetched once each. */
export class Histories {
  readonly #api: KubetimeApi;
  readonly #cache = new Map<string, Promise<HistoryItem[]>>();

  constructor(api: KubetimeApi) {
    this.#api = api;
  }

  get(kind: string, namespace: string, name: string): Promise<HistoryItem[]> {
    const k = `${kind}|${namespace}|${name}`;
    let h = this.#cache.get(k);
    if (!h) {
      h = this.#api.ok('/v1/history', { kind, name, namespace: namespace || undefined, limit: 10_000 }).then((b) => b.items as HistoryItem[]);
      this.#cache.set(k, h);
    }
    return h;
  }

  keys(): string[] {
    return [...this.#cache.keys()];
  }
}

/**
 * Splits off the revisions no one could record: a request that answered without the object (a
 * Scale) made a revision the watch never delivered because it was relisting after 410 Gone — the
 * next revision kubetime holds of that object came from the relist (source `relist`), which shows
 * only the latest state. kubetime says so itself (the gap), and an audit event that carries no
 * object cannot fill it without inventing state.
 */
export async function inRelistGaps(histories: Histories, expected: readonly Expectation[]): Promise<{ known: Expectation[]; inGap: Expectation[] }> {
  const known: Expectation[] = [];
  const inGap: Expectation[] = [];
  for (const e of expected) {
    if (!e.bodyless || !e.rv) {
      known.push(e);
      continue;
    }
    (hiddenByRelist(await histories.get(e.kind, e.namespace, e.name), e.uid, e.rv) ? inGap : known).push(e);
  }
  return { known, inGap };
}

/**
 * Whether kubetime never held revision `rv` of `uid` (any uid when absent) because its watch was
 * relisting: it has no such revision, and the next one its watch side holds came from the relist.
 * Revisions held from the audit alone (source `audit`) are passed over: the watch never delivered
 * them either, so they lie in the same gap (a CI run: an apiserver restart answered the resumed
 * watch with 410; a Scale, then a controller's update with its object, then the relist). A DELETED
 * record may carry the resourceVersion of the state it removed: it does not hold that state.
 */
function hiddenByRelist(items: readonly HistoryItem[], uid: string | undefined, rv: string): boolean {
  const mine = items.filter((i) => (!uid || i.uid === uid) && /^\d+$/.test(i.resourceVersion));
  if (mine.some((i) => i.op !== 'DELETED' && i.resourceVersion === rv)) return false;
  const after = (i: HistoryItem) => BigInt(i.resourceVersion) > BigInt(rv) || (i.op === 'DELETED' && i.resourceVersion === rv);
  const watchSide = (i: HistoryItem) => i.source !== 'audit';
  const next = mine.filter((i) => after(i) && watchSide(i)).sort((a, b) => (BigInt(a.resourceVersion) < BigInt(b.resourceVersion) ? -1 : 1))[0];
  return next?.source.split('+').includes('relist') === true;
}

/**
 * The objects a probe read whose revision kubetime never held because its watch was relisting
 * after 410 Gone: kubetime's next revision of that uid came from the relist (as inRelistGaps,
 * for a probe that fell in the gap: a Scale changed the object while the watch was down, and
 * its answer carries no object). Their uids; the probe is compared without them.
 */
export async function relistGapUids(histories: Histories, kind: string, objects: readonly any[]): Promise<Set<string>> {
  const gap = new Set<string>();
  for (const o of objects) {
    const m = o?.metadata;
    if (!m?.uid || !/^\d+$/.test(m.resourceVersion ?? '')) continue;
    if (hiddenByRelist(await histories.get(kind, m.namespace ?? '', m.name), m.uid, m.resourceVersion)) gap.add(m.uid);
  }
  return gap;
}

/** Expectations kubetime's history does not meet, as messages. */
export async function missingRevisions(histories: Histories, expected: readonly Expectation[]): Promise<string[]> {
  const missing: string[] = [];
  for (const e of expected) {
    const items = await histories.get(e.kind, e.namespace, e.name);
    const mine = items.filter((i) => !e.uid || i.uid === e.uid);
    const ok = e.deleted ? mine.some((i) => i.op === 'DELETED') : mine.some((i) => i.resourceVersion === e.rv);
    if (!ok) {
      const have = mine.map((i) => `${i.op}@${i.resourceVersion || '-'}`).join(' ');
      missing.push(`${ref(e)} ${e.deleted ? 'DELETED' : `resourceVersion ${e.rv}`}${e.uid ? ` (uid ${e.uid})` : ''} from ${e.why}; kubetime has: ${have || 'nothing'}`);
    }
  }
  return missing;
}

/**
 * Audited revisions whose time is not the audited one, as messages. A revision kubetime says was
 * audited (it names an actor) must carry the time of the earliest request that answered with it:
 * the later ones changed nothing (a controller's update to the state already stored answers with
 * the current revision). Revisions without an actor are left to the actor coverage, lost ones to
 * missingRevisions.
 */
export async function mistimedRevisions(histories: Histories, expected: readonly Expectation[]): Promise<string[]> {
  const made = new Map<string, Expectation>();
  for (const e of expected) {
    if (!e.uid) continue;
    const k = `${e.kind}|${e.namespace}|${e.name}|${e.uid}|${e.deleted ? 'DELETED' : e.rv}`;
    const first = made.get(k);
    if (!first || e.at < first.at) made.set(k, e);
  }
  // A grace-0 delete writes twice (the object marked with grace 0, then its removal) and answers with
  // the removal; a request answering later with the marked revision changed nothing. kubetime dates
  // the marked revision with the delete (attributor `graceZeroBefore`): the delete's time is right.
  const deletedAt = new Map<string, number>();
  for (const e of expected) if (e.deleted && e.uid && !(deletedAt.get(e.uid)! <= e.at)) deletedAt.set(e.uid, e.at);
  const mistimed: string[] = [];
  for (const e of made.values()) {
    const item = (await histories.get(e.kind, e.namespace, e.name))
      .find((i) => i.uid === e.uid && (e.deleted ? i.op === 'DELETED' : i.resourceVersion === e.rv));
    if (!item?.actor || parseMicros(item.ts) === e.at) continue;
    const byDelete = item.op === 'MODIFIED' && item.verb === 'delete' && deletedAt.get(e.uid!) === parseMicros(item.ts) && parseMicros(item.ts) < e.at;
    // Two deletes of one uid that both answered 200 (kwok's concurrent grace-0 deletes): the removal
    // is the earliest's, whichever of them carried its resourceVersion.
    const earliestDelete = item.op === 'DELETED' && deletedAt.get(e.uid!) === parseMicros(item.ts) && parseMicros(item.ts) <= e.at;
    if (byDelete || earliestDelete) continue;
    mistimed.push(`${ref(e)} ${item.op}@${item.resourceVersion || '-'} (uid ${e.uid}) at ${item.ts} by ${item.actor.username}; made by ${e.why}`);
  }
  return mistimed;
}

/** Duplicated or misordered revisions in one object's history, as messages. */
export function historyProblems(label: string, items: readonly HistoryItem[]): { duplicates: string[]; misordered: string[] } {
  const duplicates: string[] = [];
  const misordered: string[] = [];
  const seen = new Set<string>();
  const lastRv = new Map<string, number>();
  const deleted = new Set<string>();
  for (const i of items) {
    const id = `${i.uid}|${i.op === 'DELETED' ? 'DELETED' : i.resourceVersion}`;
    if (seen.has(id)) duplicates.push(`${label}: ${i.op}@${i.resourceVersion || '-'} (uid ${i.uid}) recorded twice`);
    seen.add(id);
    if (deleted.has(i.uid)) misordered.push(`${label}: ${i.op}@${i.resourceVersion} at ${i.ts} after the DELETED of uid ${i.uid}`);
    if (i.op === 'DELETED') {
      deleted.add(i.uid);
      continue;
    }
    const rv = Number(i.resourceVersion);
    const prev = lastRv.get(i.uid);
    if (prev !== undefined && !(rv > prev)) misordered.push(`${label}: resourceVersion ${i.resourceVersion} at ${i.ts} comes after ${prev} (uid ${i.uid})`);
    lastRv.set(i.uid, rv);
  }
  return { duplicates, misordered };
}

export interface ChangeItem extends HistoryItem {
  kind: string;
  namespace: string;
  name: string;
  verb?: string;
}

/** The change feed of a namespace in [from, to], oldest first. */
export async function changesIn(api: KubetimeApi, namespace: string, from: Micros, to: Micros): Promise<ChangeItem[]> {
  const body = await api.ok('/v1/changes', { namespace, from: formatMicros(from), to: formatMicros(to), limit: 10_000 });
  const items = body.items as ChangeItem[];
  if (items.length >= 10_000) throw new Error('more than 10,000 changes in the window: the run is bigger than this check reads');
  return items.reverse();
}

/** Kinds the audit policy (test/infra/kube/audit-policy.yaml) does not record: no source can tell their actor. */
const UNAUDITED_KINDS = new Set(['Event', 'Lease']);

export interface ActorCoverage {
  counted: number;
  withActor: number;
  /** Relist gap records nothing else confirmed (source relist only). */
  gapRecords: number;
  /** DELETED records for which the audit log holds no successful delete of that object. */
  untoldDeletes: number;
  unaudited: number;
  /** Counted changes without an actor. */
  without: string[];
  /** Those, counted by `kind op source verb`. */
  withoutBy: Record<string, number>;
  /** Counted changes and those with an actor, by kind. */
  byKind: Record<string, { counted: number; withActor: number }>;
  /** The same by kind of change: `Kind op` (`Gizmo ADDED`, `ConfigMap DELETED`). */
  byChange: Record<string, { counted: number; withActor: number }>;
}

/** The plural resource of a kind the workload uses (deletecollection events name the resource only). */
const pluralOf = (kind: string): string => {
  const k = kind.toLowerCase();
  return k === 'endpoints' ? k : k.endsWith('s') ? `${k}es` : k.endsWith('y') ? `${k.slice(0, -1)}ies` : `${k}s`;
};

/**
 * Of kubetime's recorded changes in the namespace, the share carrying an actor. Not counted:
 * kinds the audit policy leaves out, relist gap records (source `relist` alone: the change was
 * found by a list after a gap, and its exact time and author are unknown to the watch), and
 * DELETED records for which the audit log has no successful delete request of that object.
 * A DELETED that the audit log does explain — e.g. kwok's final `delete` with gracePeriodSeconds
 * 0, answered with the object still carrying its deletionTimestamp — is counted: the audit told
 * who removed it.
 */
export function actorCoverage(changes: readonly ChangeItem[], audit: readonly AuditChange[]): ActorCoverage {
  const deletedBy = new Set<string>();
  for (const c of audit) {
    if (!succeeded(c) || (c.verb !== 'delete' && c.verb !== 'deletecollection') || c.subresource) continue;
    // A deletecollection (the namespace controller's) tells who deleted every object of its resource in its namespace.
    if (c.verb === 'deletecollection') deletedBy.add(`coll|${c.resource}|${c.namespace}`);
    if (c.name) deletedBy.add(`res|${c.resource}|${c.namespace}|${c.name}`); // custom resources: Metadata level, no uid
    const kind = kindOfResource(c.resource) ?? (c.resource === 'secrets' ? 'Secret' : undefined); // the workload's Secrets: Metadata level
    const uid = c.uid ?? c.response?.details?.uid;
    if (uid) deletedBy.add(`uid|${uid}`);
    else if (kind && c.name) deletedBy.add(`${kind}|${c.namespace}|${c.name}`);
  }
  const cov: ActorCoverage = { counted: 0, withActor: 0, gapRecords: 0, untoldDeletes: 0, unaudited: 0, without: [], withoutBy: {}, byKind: {}, byChange: {} };
  for (const i of changes) {
    const kind = i.kind.split('.')[0]!;
    if (UNAUDITED_KINDS.has(kind)) {
      cov.unaudited++;
      continue;
    }
    if (i.source === 'relist') {
      cov.gapRecords++;
      continue;
    }
    if (i.op === 'DELETED' && !deletedBy.has(`uid|${i.uid}`) && !deletedBy.has(`${kind}|${i.namespace}|${i.name}`) && !deletedBy.has(`coll|${pluralOf(kind)}|${i.namespace}`)
      && !deletedBy.has(`res|${pluralOf(kind)}|${i.namespace}|${i.name}`)) {
      cov.untoldDeletes++;
      continue;
    }
    cov.counted++;
    const k = (cov.byKind[kind] ??= { counted: 0, withActor: 0 });
    const c = (cov.byChange[`${kind} ${i.op}`] ??= { counted: 0, withActor: 0 });
    k.counted++;
    c.counted++;
    if (i.actor) {
      cov.withActor++;
      k.withActor++;
      c.withActor++;
      continue;
    }
    cov.without.push(`${i.kind} ${i.name} ${i.op}@${i.resourceVersion || '-'} at ${i.ts} source ${i.source}${i.verb ? ` verb ${i.verb}` : ''}`);
    const by = `${i.kind} ${i.op} ${i.source}${i.verb ? ` ${i.verb}` : ''}`;
    cov.withoutBy[by] = (cov.withoutBy[by] ?? 0) + 1;
  }
  return cov;
}

