/**
 * Ports: what the domain needs from the outside world. Adapters live in store/ and are chosen
 * in cli/ (the composition root). One contract suite (test/contract/history-store.contract.ts)
 * runs against every HistoryStore adapter, so they give the same answers.
 */
import type { Actor, ChangeRecord, KubeObject, ObjectKey, Op } from './record.ts';
import type { Micros } from './time.ts';

/** A stored revision: a change record with its object reconstructed in full. */
export type Revision = ChangeRecord;

/** One uid's span under one name: from its first known revision to its deletion. */
export interface Lifetime {
  key: ObjectKey;
  uid: string;
  group: string;
  kind: string;
  apiVersion: string;
  resource: string;
  /** ts of the first revision stored for this uid. */
  from: Micros;
  /** ts of its DELETED revision; null while it exists. Existed at T iff from <= T < to. */
  to: Micros | null;
}

export interface RevisionQuery {
  key: ObjectKey;
  /** Inclusive bounds in µs; absent = unbounded. */
  from?: Micros;
  to?: Micros;
  order: 'asc' | 'desc';
  limit?: number;
  /** false: records come with `object: null` (cheaper; an adapter may still fill it). Default true. */
  objects?: boolean;
}

/** Where a revision stands, without its content: enough to choose the revision in force at T. */
export interface RevisionRef {
  ts: Micros;
  uid: string;
  resourceVersion: string;
  deleted: boolean;
}

/**
 * How objects are written as text for lists (core/present/view.ts VIEW_TEXTS, core/present/slim.ts
 * TABLE_ROW_TEXT): a store may cache the text of a revision under `name`, so one name stands for
 * one `text` for the process's life.
 */
export interface TextVariant {
  name: string;
  /** The object's text in this variant. */
  text(obj: KubeObject): string;
  /**
   * `text(obj)` is `JSON.stringify(obj)` when that contains none of these strings: a store may
   * then serve its stored JSON text as it is, unparsed. null: never.
   */
  changedOnlyWith: readonly string[] | null;
  /** What a label or field selector reads of a text of this variant; absent: JSON.parse of it. */
  parse?(text: string): KubeObject;
}

export interface LifetimeQuery {
  cluster: string;
  /** groupKind(); absent = every kind (for the graph and scope queries). */
  gk?: string;
  /** Absent = every namespace; "" = cluster-scoped objects only. */
  namespace?: string;
  name?: string;
  /** Keep only lifetimes that existed at this time (from <= T < to). */
  aliveAt?: Micros;
}

/** One entry of the change feed: a revision without its object. */
export interface FeedEntry {
  cluster: string;
  ts: Micros;
  op: Op;
  group: string;
  kind: string;
  gk: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  source: string;
  verb?: string;
  actor?: Actor;
  gap?: boolean;
}

export interface FeedQuery {
  cluster: string;
  /** Inclusive window in µs. */
  from: Micros;
  to: Micros;
  order: 'asc' | 'desc';
  gk?: string;
  namespace?: string;
  name?: string;
  limit?: number;
}

export interface ClusterInfo {
  name: string;
  firstSeen: Micros;
  lastSeen: Micros;
}

/** A kind seen in the data, so kinds the built-in table lacks (CRDs) still resolve. */
export interface SeenKind {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
}

export interface AppendResult {
  /** Records stored as new revisions. */
  inserted: number;
  /** Records that merged into an existing revision (e.g. audit + watch of one change). */
  merged: number;
  /** Records that changed nothing (the same delivery seen again). */
  duplicates: number;
}

export interface PruneRequest {
  cluster: string;
  /** Revisions older than this go, except each object's latest revision before it while the
   * object still existed at `before` (so the state at every time >= before stays answerable). */
  before: Micros;
  gk?: string;
  namespace?: string;
}

/**
 * The history store. Contract:
 * - `append` resolves only when every record is durable (a crash afterwards loses none).
 * - Appending is idempotent: a record whose identity (record.ts) is stored merges into it
 *   (mergeRecords) or changes nothing; it is never stored twice.
 * - Records of one object may arrive out of time order (late audit batches, relists); reads
 *   always return revisions in the order of `compareRevisions`.
 * - A DELETED record with `object: null` is stored with the object's previous state.
 * - Reads return objects in full, exactly as appended (after redaction, which happens before).
 * - Failures of the backing system reject with KubetimeError STORE_UNAVAILABLE.
 * - A batch holding a record the store cannot take (core/record-limits.ts: schema, object depth
 *   or size, a namespace contradicting its kind's scope as its first record fixed it) rejects
 *   with INVALID_ARGUMENT (`details.reason`, `details.index`) before anything of it is written;
 *   never with STORE_UNAVAILABLE, which would make writers retry it forever.
 */
export interface HistoryStore {
  append(records: readonly ChangeRecord[]): Promise<AppendResult>;
  /** Revisions of one object name (every uid that carried it), ordered by compareRevisions. */
  revisions(q: RevisionQuery): AsyncIterable<Revision>;
  /**
   * Optional fast path: the refs of what `revisions` would return (same bounds, order, limit),
   * read without the revisions' content. Absent = the queries use `revisions` instead.
   */
  revisionRefs?(q: RevisionQuery): AsyncIterable<RevisionRef>;
  /**
   * Optional fast path of "the revision in force at T" (core/scope.ts `revisionAt`): among the
   * last `window` revisions stored at or before `at`, the one `currentOf` picks, with its object,
   * read in one synchronous pass (a list as of T asks this for thousands of objects). It must
   * answer exactly what `revisionAt` composes from `revisionRefs`/`revisions`. Absent = composed.
   */
  revisionAt?(key: ObjectKey, at: Micros, window: number): Promise<Revision | undefined>;
  /**
   * Optional fast path of a summary list as of T: for each key, the slim object
   * (core/present/slim.ts `slimForSummary`) of the revision `revisionAt(key, at, window)` picks,
   * read without rebuilding the object: null when no object is in force there (no revision, a
   * deletion, an unknown object); 'full' when that revision has no slim object stored (a store
   * written before they were kept), which the caller then reads in full. Absent = all in full.
   */
  summaryStatesAt?(keys: readonly ObjectKey[], at: Micros, window: number): Promise<(KubeObject | null | 'full')[]>;
  /**
   * Optional fast path of a full list as of T: for each key, `variant.text(object)` for the object
   * of the revision `revisionAt(key, at, window)` picks; null when no object is in force there (no
   * revision, a deletion, an unknown object). A store may serve it from stored or cached text
   * without rebuilding the object. Absent = lists are presented from objects (core/queries.ts).
   */
  objectTextsAt?(keys: readonly ObjectKey[], at: Micros, window: number, variant: TextVariant): Promise<(string | null)[]>;
  /** Lifetimes matching the query, ordered by (gk, namespace, name, from). */
  lifetimes(q: LifetimeQuery): AsyncIterable<Lifetime>;
  /** The change feed within [from, to], by ts in the requested order. */
  feed(q: FeedQuery): AsyncIterable<FeedEntry>;
  clusters(): Promise<ClusterInfo[]>;
  kinds(cluster: string): Promise<SeenKind[]>;
  /** Retention: see PruneRequest. Returns how many revisions were removed. */
  prune(req: PruneRequest): Promise<{ removed: number }>;
  close(): Promise<void>;
}

export type { KubeObject };

/**
 * Where ingestion hands its records. `write` resolves only when every record is durable:
 * stored, or spooled on local disk to be drained into the store later (ingester/write/pipeline.ts).
 */
export interface ChangeWriter {
  write(records: readonly ChangeRecord[]): Promise<void>;
}
