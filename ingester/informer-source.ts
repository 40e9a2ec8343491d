/**
 * InformerSource: one list+watch loop for one resource (optionally one namespace), turning what
 * the API server serves into ChangeRecords. Unlike client-node's informer it keeps no object
 * cache: per live object only uid → {resourceVersion, namespace, name} (records.ts).
 *
 * The loop:
 * 1. (start, or after a failed write) rebuild the tracked state from the store (known-state.ts);
 *    at start only, when the stream has a checkpoint (checkpoints.ts: the resourceVersion up to
 *    which everything it served is durable), skip 2 and resume the watch from it (resume.ts): the
 *    API server replays every event since, deletions included, so a restart loses no revision;
 * 2. list in pages and reconcile against the tracked state (reconcile.ts): relist records with
 *    `gap: true` for what changed or vanished while unwatched, nothing for what is recorded;
 * 3. watch from the list's (or the checkpoint's) resourceVersion with bookmarks, writing one record
 *    per event; a revision already tracked (same uid and resourceVersion) or, in a replay, already
 *    stored is never written again;
 * 4. on a normal close, reconnect from the last resourceVersion; on 410 Gone, go to 2; on an
 *    error, back off with jitter, then reconnect; a watchdog restarts a watch that went silent.
 *    A resumed watch refused before any progress with anything but 410 or a passing failure
 *    (e.g. "too large resource version" after an etcd restore) drops the checkpoint: go to 2.
 *
 * The checkpoint follows the write window: a resourceVersion (event, bookmark, or a completed
 * list+reconcile) is checkpointed once every record up to it is durable, never before.
 */
import type { Logger } from 'pino';
import type { ChangeWriter } from '../core/ports.ts';
import type { ChangeRecord } from '../core/record.ts';
import { checkpointKey, type Checkpoints } from './checkpoints.ts';
import { isGone, listPages, type KubeApi, type Query, type WatchEvent } from './kube-api.ts';
import { recordsOfEvents } from './watch-events.ts';
import { loadKnown } from './known-state.ts';
import type { IngestMetrics } from './metrics.ts';
import { Reconciler } from './reconcile.ts';
import type { RecordContext, ResourceInfo, TrackedMap } from './records.ts';
import { planResume, serverBehind, type Resumption, type ResumeResult, type SourceStore } from './resume.ts';
import type { Semaphore } from './semaphore.ts';
import { backoffDelay, DEFAULT_BACKOFF, realTiming, type BackoffPolicy, type Timing } from './timing.ts';
import { Watchdog } from './watchdog.ts';
import { WriteWindow, type DurableMark } from './write-window.ts';

/** Everything one source needs; cli/ does not build these directly (startIngester does). */
export interface InformerSourceOptions {
  api: KubeApi;
  cluster: string;
  resource: ResourceInfo;
  /** Watch only this namespace (namespaced resources). */
  namespace?: string;
  writer: ChangeWriter;
  store: SourceStore;
  /** Client-side namespace filter (excluded namespaces); objects outside are ignored. */
  inScope?: (namespace: string) => boolean;
  /** Names the `inScope` filter in the checkpoint key (a changed filter must not resume). */
  scope?: string;
  /** Where the stream's durable resourceVersion is kept; at start the watch resumes from it. */
  checkpoints?: Checkpoints;
  labelSelector?: string;
  timing?: Timing;
  logger?: Logger;
  metrics?: IngestMetrics;
  /** Shared bound on concurrent lists. */
  listLimiter?: Semaphore;
  listPageSize?: number;
  /** A watch that delivers no bytes (not even a bookmark) for this long is restarted. Default 180 s. */
  watchdogMs?: number;
  /** Server-side watch timeout, drawn uniformly from this range, s. Default [300, 600]. */
  watchTimeoutSeconds?: readonly [number, number];
  backoff?: BackoffPolicy;
  /** Records a source may have in flight (written, not yet durable) before it stops reading. Default 1000. */
  maxInflightRecords?: number;
  /** Called with every batch of records handed to the writer (the ingester watches CRDs with it). */
  onRecords?: (records: readonly ChangeRecord[]) => void;
}

/** Where a source's loop is. */
export type SourceState = 'starting' | 'listing' | 'watching' | 'backoff' | 'stopped';

/** A source's state for `status()` and /readyz-style reporting. `lastEventAt` is µs. */
export interface SourceStatus {
  gk: string;
  apiVersion: string;
  resource: string;
  namespace?: string;
  state: SourceState;
  resourceVersion: string;
  tracked: number;
  restarts: number;
  lastEventAt?: number;
  lastError?: string;
  /** Set when the source started from a checkpoint; `result` once the first watch told. */
  resume?: { resourceVersion: string; result?: ResumeResult };
}

type WatchEnd = 'closed' | 'stalled' | 'gone' | 'stopped';
type ListReason = 'start' | 'gone' | 'error';

/** Thrown inside the loop when a write failed: the tracked state is in doubt. */
class WriteFailed extends Error {}

/** One list+watch loop (module comment). */
export class InformerSource {
  readonly #o: InformerSourceOptions;
  readonly #t: Timing;
  readonly #ctx: RecordContext;
  readonly #stop = new AbortController();
  readonly #namespaces = new Map<string, string>();
  readonly #key: string;
  #known: TrackedMap | undefined;
  #rv = '';
  #state: SourceState = 'starting';
  #restarts = 0;
  #lastEventAt: number | undefined;
  #lastError: string | undefined;
  #loop: Promise<void> | undefined;
  #resumption: Resumption | undefined;
  #resumePlanned = false;

  constructor(opts: InformerSourceOptions) {
    this.#o = opts;
    this.#t = opts.timing ?? realTiming;
    this.#ctx = { cluster: opts.cluster, resource: opts.resource };
    const scope = opts.resource.namespaced ? opts.scope : undefined;
    this.#key = checkpointKey({ cluster: opts.cluster, path: this.#path(), labelSelector: opts.labelSelector, scope });
  }

  /** Starts the loop (idempotent). */
  start(): void {
    this.#loop ??= this.#run().catch((e: unknown) => {
      this.#o.logger?.error({ err: e }, 'informer source loop ended unexpectedly');
    });
  }

  /** Stops the loop and waits for in-flight writes to settle. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#state = 'stopped';
  }

  status(): SourceStatus {
    const r = this.#o.resource;
    return {
      gk: r.gk, apiVersion: r.apiVersion, resource: r.resource,
      ...(this.#o.namespace !== undefined ? { namespace: this.#o.namespace } : {}),
      state: this.#state, resourceVersion: this.#rv, tracked: this.#known?.size ?? 0, restarts: this.#restarts,
      ...(this.#lastEventAt !== undefined ? { lastEventAt: this.#lastEventAt } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      ...(this.#resumption ? { resume: this.#resumption.status() } : {}),
    };
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  #intern = (s: string): string => {
    let v = this.#namespaces.get(s);
    if (v === undefined) this.#namespaces.set(s, (v = s));
    return v;
  };

  #path(): string {
    const r = this.#o.resource;
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const ns = this.#o.namespace !== undefined && r.namespaced ? `/namespaces/${encodeURIComponent(this.#o.namespace)}` : '';
    return `${base}${ns}/${r.resource}`;
  }

  #restart(reason: string): void {
    this.#restarts++;
    this.#o.metrics?.watchRestartsTotal.inc({ reason });
  }

  async #run(): Promise<void> {
    let failures = 0;
    let list: ListReason | undefined = 'start';
    while (!this.#stopped) {
      try {
        if (!this.#known) {
          const known = await loadKnown({ ...this.#storeScope(), now: this.#t.clock.now(), intern: this.#intern });
          list ??= 'error';
          if (list === 'start' && !this.#resumePlanned) list = await this.#planResume(known);
          this.#known = known;
        }
        if (list) {
          await this.#list(list);
          list = undefined;
        }
        const { end, progressed } = await this.#watch();
        if (end === 'stopped') break;
        this.#restart(end);
        if (end === 'gone') list = 'gone';
        failures = progressed ? 0 : failures + 1;
        if (this.#resumption?.pending) {
          // The first resumed watch ended without an error: it resumed, or it was refused.
          this.#resumption.settle(end === 'gone' ? 'gone' : progressed ? 'resumed' : 'failed');
          if (end !== 'gone' && !progressed) [list, failures] = ['start', 0];
        }
      } catch (e) {
        if (this.#stopped) break;
        failures++;
        list = this.#failed(e) ?? list;
      }
      if (failures > 0 && !this.#stopped) {
        this.#state = 'backoff';
        await this.#t.delay(backoffDelay(failures, this.#o.backoff ?? DEFAULT_BACKOFF, this.#t.random), this.#stop.signal);
      }
    }
    this.#state = 'stopped';
    this.#o.metrics?.trackedObjects.set({ gk: this.#o.resource.gk, namespace: this.#o.namespace ?? '' }, 0);
  }

  /** Books a failure of the loop; returns the list it calls for, if any. */
  #failed(e: unknown): ListReason | undefined {
    this.#lastError = e instanceof Error ? e.message : String(e);
    if (!(e instanceof WriteFailed) && this.#resumption?.failedWith(e)) {
      if (this.#state === 'watching') this.#restart('error');
      return 'start';
    }
    if (e instanceof WriteFailed) {
      // The tracked state may claim revisions that never became durable: rebuild it from the store.
      this.#known = undefined;
      this.#restart('write_failed');
      return 'error';
    }
    if (isGone(e)) {
      this.#restart('gone');
      return 'gone';
    }
    if (this.#state === 'watching') this.#restart('error');
    this.#o.logger?.warn({ err: this.#lastError, state: this.#state }, 'list/watch failed; backing off');
    return undefined;
  }

  /** At start: resume from the checkpoint when there is one to trust (no list), else list. */
  async #planResume(known: TrackedMap): Promise<ListReason | undefined> {
    const { store, metrics, logger } = this.#o;
    const checkpoint = this.#o.checkpoints?.get(this.#key);
    const r = await planResume({ checkpoint, known, store, metrics, logger, cluster: this.#o.cluster, gk: this.#o.resource.gk, namespace: this.#storeScope().namespace });
    const head = r && (await serverBehind(this.#o.api, this.#path(), this.#selectors(), r.resourceVersion, this.#stop.signal));
    this.#resumePlanned = true;
    this.#resumption = r;
    if (head) r!.settle('failed', new Error(`the server is at resourceVersion ${head}, behind the checkpoint`));
    if (!r || head) return 'start';
    this.#rv = r.resourceVersion;
    return undefined;
  }

  #storeScope() {
    return {
      store: this.#o.store, cluster: this.#o.cluster, gk: this.#o.resource.gk,
      ...(this.#o.namespace !== undefined && this.#o.resource.namespaced ? { namespace: this.#o.namespace } : {}),
      ...(this.#o.inScope && this.#o.resource.namespaced ? { inScope: this.#o.inScope } : {}),
    };
  }

  #inScope = (ns: string): boolean => !this.#o.resource.namespaced || !this.#o.inScope || this.#o.inScope(ns);

  #selectors(): Query {
    return { labelSelector: this.#o.labelSelector || undefined };
  }

  async #list(reason: ListReason): Promise<void> {
    const release = await this.#o.listLimiter?.acquire();
    try {
      if (this.#stopped) return;
      this.#state = 'listing';
      this.#o.metrics?.relistsTotal.inc({ reason });
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#listOnce();
          return;
        } catch (e) {
          // An expired continue token (410 mid-pagination) restarts the list; anything else is the loop's.
          if (!isGone(e) || attempt >= 3) throw e;
        }
      }
    } finally {
      release?.();
    }
  }

  async #listOnce(): Promise<void> {
    const known = this.#known!;
    const reconciler = new Reconciler({ known, ctx: this.#ctx, inScope: this.#inScope, intern: this.#intern });
    const window = this.#window();
    let listRv = '';
    const query = { ...this.#selectors(), limit: this.#o.listPageSize ?? 250 };
    for await (const page of listPages(this.#o.api, this.#path(), query, this.#stop.signal)) {
      listRv = page.resourceVersion;
      await window.push(reconciler.page(page.items, this.#t.clock.now()));
    }
    if (this.#stopped) return window.drain();
    const now = this.#t.clock.now();
    await window.push(reconciler.finish(listRv, now), { resourceVersion: listRv, at: now });
    await window.drain();
    this.#resumption?.listed();
    this.#o.logger?.info({ ...reconciler.stats, resourceVersion: listRv }, 'listed and reconciled');
    this.#rv = listRv;
    this.#o.metrics?.trackedObjects.set({ gk: this.#o.resource.gk, namespace: this.#o.namespace ?? '' }, known.size);
  }

  #window(onError?: () => void): WriteWindow {
    return new WriteWindow({
      ...(onError ? { onError } : {}),
      writer: this.#o.writer,
      maxRecords: this.#o.maxInflightRecords ?? 1000,
      ...(this.#o.checkpoints ? { onDurable: (mark: DurableMark) => this.#o.checkpoints!.set(this.#key, mark) } : {}),
      onWritten: (records) => {
        const m = this.#o.metrics;
        if (m) {
          const relist = records.reduce((n, r) => n + (r.source === 'relist' ? 1 : 0), 0);
          if (relist) m.recordsTotal.inc({ source: 'relist' }, relist);
          if (records.length > relist) m.recordsTotal.inc({ source: 'watch' }, records.length - relist);
        }
        this.#o.onRecords?.(records);
      },
      failure: (e) => new WriteFailed(`write failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
    });
  }

  async #watch(): Promise<{ end: WatchEnd; progressed: boolean }> {
    this.#state = 'watching';
    const [lo, hi] = this.#o.watchTimeoutSeconds ?? [300, 600];
    const query: Query = {
      ...this.#selectors(),
      resourceVersion: this.#rv,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.round(lo + (hi - lo) * this.#t.random()),
    };
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    const startedAt = this.#t.clock.now();
    const dog = new Watchdog({ timing: this.#t, limitMs: this.#o.watchdogMs ?? 180_000, ctl });
    // A failed write ends the watch at once: the tracked state is in doubt until reconciled.
    const window = this.#window(() => ctl.abort());
    let progressed = false;
    let end: WatchEnd = 'closed';
    try {
      for await (const batch of this.#o.api.watch(this.#path(), query, ctl.signal)) {
        dog.busy();
        const r = await this.#handle(batch, window);
        progressed ||= r.progressed;
        dog.idle();
        if (r.gone) {
          end = 'gone';
          break;
        }
      }
      await window.drain();
    } catch (e) {
      await window.drain().catch((writeError: unknown) => {
        if (!this.#stopped) throw writeError;
      });
      if (e instanceof WriteFailed) throw e;
      if (this.#stopped) end = 'stopped';
      else if (dog.stalled) end = 'stalled';
      else throw e;
    } finally {
      this.#stop.signal.removeEventListener('abort', onStop);
      ctl.abort();
      await dog.done;
    }
    if (end === 'stalled') this.#o.logger?.warn({ resourceVersion: this.#rv }, 'watch went silent; restarting it');
    // A quiet resource whose watch simply ran its course is not failing.
    progressed ||= end === 'closed' && this.#t.clock.now() - startedAt >= 10e6;
    return { end: this.#stopped ? 'stopped' : end, progressed };
  }

  /** Writes the records of one batch of watch events; reports whether the stream moved on. */
  async #handle(events: readonly WatchEvent[], window: WriteWindow): Promise<{ progressed: boolean; gone: boolean }> {
    const now = this.#t.clock.now();
    const before = this.#rv;
    const stored = this.#resumption?.stored;
    const r = recordsOfEvents(events, { known: this.#known!, ctx: this.#ctx, rv: before, now, inScope: this.#inScope, intern: this.#intern, ...(stored ? { stored } : {}) });
    this.#rv = r.rv;
    this.#resumption?.reached(r.rv, r.progressed);
    if (r.records.length) this.#lastEventAt = now;
    for (const [reason, n] of Object.entries(r.dropped)) this.#o.metrics?.droppedTotal.inc({ reason }, n);
    await window.push(r.records, r.rv !== before ? { resourceVersion: r.rv, at: now } : undefined);
    this.#o.metrics?.trackedObjects.set({ gk: this.#o.resource.gk, namespace: this.#o.namespace ?? '' }, this.#known!.size);
    if (r.error) throw r.error;
    return { progressed: r.progressed, gone: r.gone };
  }
}
