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
 *
 * The parts: informer-options.ts (what a source is given, and its path, key and scope),
 * informer-list.ts (step 2), informer-watch.ts (step 3), informer-window.ts (writes, checkpoints).
 */
import { isGone, type WatchEvent } from './kube-api.ts';
import { recordsOfEvents } from './watch-events.ts';
import { loadKnown } from './known-state.ts';
import { isInScope, resourcePath, selectorQuery, storeScope, streamKey, type InformerSourceOptions } from './informer-options.ts';
import { listAndReconcile } from './informer-list.ts';
import { watchOnce, type BatchResult, type WatchOutcome } from './informer-watch.ts';
import { sourceWindow, WriteFailed } from './informer-window.ts';
import type { RecordContext, TrackedMap } from '../records.ts';
import { planResume, serverBehind, type Resumption, type ResumeResult } from './resume.ts';
import { backoffDelay, DEFAULT_BACKOFF, realTiming, type Timing } from '../timing.ts';
import type { WriteWindow } from '../write/write-window.ts';

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

type ListReason = 'start' | 'gone' | 'error';

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
    this.#key = streamKey(opts);
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
          const known = await loadKnown({ ...storeScope(this.#o), now: this.#t.clock.now(), intern: this.#intern });
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
    this.#setTracked(0);
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
    const r = await planResume({ checkpoint, known, store, metrics, logger, cluster: this.#o.cluster, gk: this.#o.resource.gk, namespace: storeScope(this.#o).namespace });
    const head = r && (await serverBehind(this.#o.api, resourcePath(this.#o), selectorQuery(this.#o), r.resourceVersion, this.#stop.signal));
    this.#resumePlanned = true;
    this.#resumption = r;
    if (head) r!.settle('failed', new Error(`the server is at resourceVersion ${head}, behind the checkpoint`));
    if (!r || head) return 'start';
    this.#rv = r.resourceVersion;
    return undefined;
  }

  #inScope = (ns: string): boolean => isInScope(this.#o, ns);

  /** What lists and watch events are reconciled against. */
  #tracking() {
    return { known: this.#known!, ctx: this.#ctx, inScope: this.#inScope, intern: this.#intern };
  }

  #setTracked(n: number): void {
    this.#o.metrics?.trackedObjects.set({ gk: this.#o.resource.gk, namespace: this.#o.namespace ?? '' }, n);
  }

  async #list(reason: ListReason): Promise<void> {
    const list = () => this.#listNow(reason);
    await (this.#o.listLimiter ? this.#o.listLimiter(list) : list());
  }

  async #listNow(reason: ListReason): Promise<void> {
    if (this.#stopped) return;
    this.#state = 'listing';
    this.#o.metrics?.relistsTotal.inc({ reason });
    const tracking = this.#tracking();
    const window = () => this.#window();
    const listed = await listAndReconcile({ source: this.#o, tracking, clock: this.#t.clock, signal: this.#stop.signal, window });
    if (!listed) return;
    this.#resumption?.listed();
    this.#o.logger?.info({ ...listed.stats, resourceVersion: listed.resourceVersion }, 'listed and reconciled');
    this.#rv = listed.resourceVersion;
    this.#setTracked(tracking.known.size);
  }

  #window(onError?: () => void): WriteWindow {
    return sourceWindow(this.#o, this.#key, onError);
  }

  async #watch(): Promise<WatchOutcome> {
    this.#state = 'watching';
    return watchOnce({
      source: this.#o, timing: this.#t, resourceVersion: this.#rv, signal: this.#stop.signal,
      window: (onError) => this.#window(onError),
      onBatch: (events, window) => this.#handle(events, window),
      onStalled: () => this.#o.logger?.warn({ resourceVersion: this.#rv }, 'watch went silent; restarting it'),
    });
  }

  /** Writes the records of one batch of watch events; reports whether the stream moved on. */
  async #handle(events: readonly WatchEvent[], window: WriteWindow): Promise<BatchResult> {
    const now = this.#t.clock.now();
    const before = this.#rv;
    const stored = this.#resumption?.stored;
    const r = recordsOfEvents(events, { ...this.#tracking(), rv: before, now, ...(stored ? { stored } : {}) });
    this.#rv = r.rv;
    this.#resumption?.reached(r.rv, r.progressed);
    if (r.records.length) this.#lastEventAt = now;
    for (const [reason, n] of Object.entries(r.dropped)) this.#o.metrics?.droppedTotal.inc({ reason }, n);
    await window.push(r.records, r.rv !== before ? { resourceVersion: r.rv, at: now } : undefined);
    this.#setTracked(this.#known!.size);
    if (r.error) throw r.error;
    return { progressed: r.progressed, gone: r.gone };
  }
}
