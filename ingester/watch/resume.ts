/**
 * Whether a starting source may resume its watch from its checkpoint (checkpoints.ts), and what
 * the replay must not write again.
 *
 * The checkpoint is never ahead of the store, but the store may be ahead of the checkpoint: writes
 * made durable in the last second before a crash, and audit records of changes made while
 * kubetime was down (kube-apiserver retries its webhook batches, which may land before the watch
 * replays). So the stored revisions since the checkpoint are read from the change feed and the
 * replay skips them by identity; an object the store knows at a revision after the checkpoint is
 * tracked at the checkpoint's resourceVersion instead (`replay`), since the audit sink may hold a
 * later revision of it while an earlier one only the watch can tell (a scale, a binding) is missing.
 */
import type { Logger } from 'pino';
import type { HistoryStore } from '../../core/ports.ts';
import { revisionId } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import type { Checkpoint } from './checkpoints.ts';
import { isGone, KubeApiError, listPages, type KubeApi, type Query } from './kube-api.ts';
import type { IngestMetrics } from '../metrics.ts';
import { isIntegerRv, isNewerRv, type TrackedMap } from '../records.ts';

/** What a source reads from the store; without `feed` a replay after a crash may rewrite a few revisions (the store absorbs them). */
export type SourceStore = Pick<HistoryStore, 'lifetimes' | 'revisions'> & Partial<Pick<HistoryStore, 'feed'>>;

/** Revisions already stored that a replay may serve again: revisionId()s, up to `maxRv`. */
export interface StoredSince {
  ids: ReadonlySet<string>;
  maxRv: string;
}

export interface PlanResumeOptions {
  checkpoint: Checkpoint | undefined;
  known: TrackedMap;
  store: SourceStore;
  cluster: string;
  gk: string;
  namespace?: string | undefined;
  metrics?: IngestMetrics | undefined;
  logger?: Logger | undefined;
}

// Records since the checkpoint were observed after it was reached; the margin covers a clock
// stepped back across the restart (beyond it the replay may rewrite revisions, which is harmless).
const CLOCK_MARGIN_MICROS = 60e6;
// ... and soon after: every durable write moves the checkpoint on (within the flush interval,
// or once a slow earlier write resolved), so an old checkpoint means no records followed it and
// the feed is not scanned all the way to now.
const LAG_BOUND_MICROS = 600e6;

/**
 * How to start from the checkpoint, or undefined to list. A checkpoint is not trusted when the store
 * holds no history at all for the source (a wiped or new store: resuming would never record what exists).
 */
export async function planResume(o: PlanResumeOptions): Promise<Resumption | undefined> {
  const cp = o.checkpoint;
  if (!cp) return undefined;
  const scope = { cluster: o.cluster, gk: o.gk, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}) };
  if (o.known.size === 0 && !(await hasHistory(o.store, scope))) {
    o.logger?.warn({ resourceVersion: cp.resourceVersion }, 'the store holds no history for this source; listing instead of resuming');
    return undefined;
  }
  const window = { from: cp.at - CLOCK_MARGIN_MICROS, to: cp.at + LAG_BOUND_MICROS };
  const stored = o.store.feed ? await storedSince(o.store as Pick<HistoryStore, 'feed'>, { ...scope, ...window }) : undefined;
  if (isIntegerRv(cp.resourceVersion)) {
    for (const [uid, t] of o.known) {
      if (isIntegerRv(t.rv) && isNewerRv(t.rv, cp.resourceVersion)) o.known.set(uid, { ...t, rv: cp.resourceVersion, replay: true });
    }
  }
  o.logger?.info({ resourceVersion: cp.resourceVersion, tracked: o.known.size, stored: stored?.ids.size ?? 0 }, 'resuming the watch from its checkpoint');
  return new Resumption(cp.resourceVersion, stored, o);
}

/**
 * Whether the server is behind `rv`, by its current resourceVersion (a one-item list): an etcd
 * restored from a backup, or another cluster. A watch from a future revision may simply wait
 * (the simulator, or an API server without watch cache) and then skip what it reuses.
 */
export async function serverBehind(api: KubeApi, path: string, query: Query, rv: string, signal: AbortSignal): Promise<string | undefined> {
  for await (const page of listPages(api, path, { ...query, limit: 1 }, signal)) {
    const head = page.resourceVersion;
    return isIntegerRv(head) && isIntegerRv(rv) && isNewerRv(rv, head) ? head : undefined;
  }
  return undefined;
}

async function hasHistory(store: SourceStore, scope: { cluster: string; gk: string; namespace?: string }): Promise<boolean> {
  for await (const _ of store.lifetimes(scope)) return true;
  return false;
}

async function storedSince(store: Pick<HistoryStore, 'feed'>, q: { cluster: string; gk: string; namespace?: string; from: Micros; to: Micros }): Promise<StoredSince | undefined> {
  const ids = new Set<string>();
  let maxRv = '';
  for await (const e of store.feed({ ...q, order: 'asc' })) {
    ids.add(revisionId(e));
    if (!maxRv || isNewerRv(e.resourceVersion, maxRv)) maxRv = e.resourceVersion;
  }
  return ids.size ? { ids, maxRv } : undefined;
}

/** How resuming from a checkpoint went: the server replayed from it, answered 410, or refused it otherwise. */
export type ResumeResult = 'resumed' | 'gone' | 'failed';

/** A resumed watch failing this often in a row without an answer is given up (the list path backs off). */
const MAX_PASSING_FAILURES = 5;

/** A failure that says nothing about the resourceVersion asked for: no answer, 429, 503. */
function isPassing(e: unknown): boolean {
  return e instanceof KubeApiError && (e.status === 0 || e.status === 429 || e.status === 503);
}

/** One source's resume from its checkpoint, until the first watch tells how it went. */
export class Resumption {
  readonly resourceVersion: string;
  #result: ResumeResult | undefined;
  #stored: StoredSince | undefined;
  #passing = 0;
  readonly #metrics: IngestMetrics | undefined;
  readonly #logger: Logger | undefined;

  constructor(resourceVersion: string, stored: StoredSince | undefined, opts: Pick<PlanResumeOptions, 'metrics' | 'logger'>) {
    this.resourceVersion = resourceVersion;
    this.#stored = stored;
    this.#metrics = opts.metrics;
    this.#logger = opts.logger;
  }

  /** The first resumed watch has not told yet. */
  get pending(): boolean {
    return this.#result === undefined;
  }

  /** Stored revisionId()s the replay must skip, until the stream passed them or the source listed. */
  get stored(): ReadonlySet<string> | undefined {
    return this.#stored?.ids;
  }

  /** The stream reached `rv`: past every stored revision, the set is let go. */
  reached(rv: string, progressed: boolean): void {
    if (progressed) this.settle('resumed');
    if (this.#stored && isIntegerRv(rv) && isNewerRv(rv, this.#stored.maxRv)) this.#stored = undefined;
  }

  /** The source listed: the tracked state covers everything now. */
  listed(): void {
    this.#stored = undefined;
  }

  settle(result: ResumeResult, err?: unknown): void {
    if (this.#result) return;
    this.#result = result;
    this.#metrics?.watchResumesTotal.inc({ result });
    const fields = { resourceVersion: this.resourceVersion, result, ...(err ? { err: err instanceof Error ? err.message : String(err) } : {}) };
    if (result === 'resumed') this.#logger?.info(fields, 'watch resumed from the checkpoint');
    else this.#logger?.warn(fields, 'watch could not resume from the checkpoint; listing');
  }

  /**
   * The first resumed watch failed before any progress: 410 settles `gone`; a passing failure is
   * retried (a few times); anything else (too large after an etcd restore, a bad request, …) settles
   * `failed`, and the source lists. Returns whether it just failed.
   */
  failedWith(e: unknown): boolean {
    if (!this.pending) return false;
    if (isGone(e)) this.settle('gone');
    else if (!isPassing(e) || ++this.#passing >= MAX_PASSING_FAILURES) this.settle('failed', e);
    return this.#result === 'failed';
  }

  status(): { resourceVersion: string; result?: ResumeResult } {
    return { resourceVersion: this.resourceVersion, ...(this.#result ? { result: this.#result } : {}) };
  }
}
