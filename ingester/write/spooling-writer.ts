/**
 * SpoolingWriter: the ChangeWriter in front of the store. While the store answers, a batch goes
 * straight to `store.append`. When it fails with STORE_UNAVAILABLE (or does not answer within
 * `appendTimeoutMs`), the batch — and every batch after it, to keep the order — is spooled to
 * local disk (SpoolFile) and `write` resolves once the spool has it on disk. A drain loop replays
 * the spool into the store oldest first, retrying with backoff, and switches back to direct
 * writes once the spool is empty. Append is idempotent, so a batch replayed twice (a crash
 * between store and cursor) is stored once.
 *
 * A store that refuses records with any other KubetimeError code is not having an outage: the
 * batch is split to isolate the offending records, which go to the quarantine (ingester/
 * quarantine.ts: a file, a metric, a log line) and are never retried. Before a batch is spooled,
 * records the store would refuse are quarantined too, so none can break the spool or its drain.
 * Errors that are not KubetimeErrors count as an outage (the port promises STORE_UNAVAILABLE).
 */
import type { Logger } from 'pino';
import { KubetimeError, isKubetimeError } from '../../core/errors.ts';
import type { ChangeWriter, HistoryStore } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import type { IngestMetrics } from '../metrics.ts';
import { partitionStorable, type RecordQuarantine } from './quarantine.ts';
import { SpoolFile } from './spool-file.ts';
import { inSpan } from '../tracing.ts';
import { backoffDelay, DEFAULT_BACKOFF, realTiming, type BackoffPolicy, type Timing } from '../timing.ts';

/** Options of SpoolingWriter.open. */
export interface SpoolingWriterOptions {
  store: Pick<HistoryStore, 'append'>;
  /** Spool directory, e.g. `<data-dir>/spool` (created when missing). */
  dir: string;
  logger?: Logger;
  metrics?: IngestMetrics;
  timing?: Timing;
  /** Drain retry backoff (default 500 ms doubling to 30 s, jittered). */
  retry?: BackoffPolicy;
  /** A store append that takes longer counts as unavailable. Default 30 s. */
  appendTimeoutMs?: number;
  segmentBytes?: number;
  /** Where records the store refuses go (default: logged and dropped). */
  quarantine?: RecordQuarantine;
}

/** Whether batches go to the store or the spool, and how much is spooled. */
export interface SpoolStatus {
  mode: 'direct' | 'spooling';
  spooledRecords: number;
  spooledBytes: number;
}

/** The store's ChangeWriter that spools on outages (module comment). */
export class SpoolingWriter implements ChangeWriter {
  readonly #store: Pick<HistoryStore, 'append'>;
  readonly #spool: SpoolFile;
  readonly #opts: SpoolingWriterOptions;
  readonly #timing: Timing;
  #mode: 'direct' | 'spooling' = 'direct';
  #draining: Promise<void> | undefined;
  #closed = new AbortController();
  #settledWaiters: (() => void)[] = [];

  private constructor(opts: SpoolingWriterOptions, spool: SpoolFile) {
    this.#opts = opts;
    this.#store = opts.store;
    this.#spool = spool;
    this.#timing = opts.timing ?? realTiming;
  }

  /** Opens the spool; batches left by a previous run are drained into the store first. */
  static async open(opts: SpoolingWriterOptions): Promise<SpoolingWriter> {
    const spool = await SpoolFile.open({ dir: opts.dir, ...(opts.segmentBytes ? { segmentBytes: opts.segmentBytes } : {}) });
    const w = new SpoolingWriter(opts, spool);
    if (!spool.isEmpty) {
      opts.logger?.info({ records: spool.pendingRecords, bytes: spool.pendingBytes }, 'draining spool left by a previous run');
      w.#mode = 'spooling';
      w.#startDrain();
    }
    w.#updateGauges();
    return w;
  }

  status(): SpoolStatus {
    return { mode: this.#mode, spooledRecords: this.#spool.pendingRecords, spooledBytes: this.#spool.pendingBytes };
  }

  async write(records: readonly ChangeRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.#closed.signal.aborted) throw new KubetimeError('STORE_UNAVAILABLE', 'writer is closed');
    if (this.#mode === 'direct') {
      try {
        await this.#appendIsolating(records);
        this.#opts.metrics?.batchesTotal.inc({ outcome: 'stored' });
        return;
      } catch (e) {
        if (this.#mode === 'direct') {
          this.#opts.logger?.warn({ err: e }, 'store unavailable; spooling to local disk');
          this.#mode = 'spooling';
        }
      }
    }
    const { storable, refused } = partitionStorable(records);
    await this.#opts.quarantine?.put(refused);
    if (!storable.length) return;
    await this.#spool.append(storable);
    this.#opts.metrics?.batchesTotal.inc({ outcome: 'spooled' });
    this.#updateGauges();
    this.#startDrain();
  }

  /** Resolves when nothing is spooled (every write so far is in the store). */
  settled(): Promise<void> {
    if (this.#mode === 'direct' && this.#spool.isEmpty) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /** Stops draining; spooled batches stay on disk for the next start. */
  async close(): Promise<void> {
    this.#closed.abort();
    await this.#draining;
    await this.#spool.close();
  }

  #updateGauges(): void {
    this.#opts.metrics?.spoolRecords.set({}, this.#spool.pendingRecords);
    this.#opts.metrics?.spoolBytes.set({}, this.#spool.pendingBytes);
    this.#opts.metrics?.spoolPending(!this.#spool.isEmpty);
  }

  /** store.append with a deadline; every failure but "invalid records" means unavailable. */
  async #append(records: readonly ChangeRecord[]): Promise<void> {
    const timeoutMs = this.#opts.appendTimeoutMs ?? 30_000;
    const done = new AbortController();
    const closed = this.#closed.signal;
    const timeout = this.#timing.delay(timeoutMs, AbortSignal.any([done.signal, closed])).then(() => {
      if (done.signal.aborted) return;
      throw new KubetimeError('STORE_UNAVAILABLE', closed.aborted ? 'writer closed during a store append' : `store append took longer than ${timeoutMs} ms`);
    });
    const append = this.#store.append(records);
    append.catch(() => {}); // may lose the race; its late failure is not news
    try {
      await Promise.race([append, timeout]);
    } finally {
      done.abort();
    }
  }

  async #appendIsolating(records: readonly ChangeRecord[]): Promise<void> {
    try {
      await this.#append(records);
    } catch (e) {
      if (!isKubetimeError(e) || e.code === 'STORE_UNAVAILABLE') throw e;
      if (records.length === 1) {
        const r = records[0]!;
        this.#opts.metrics?.rejectedTotal.inc({ code: e.code });
        const reason = typeof e.details.reason === 'string' ? e.details.reason : e.code;
        if (this.#opts.quarantine) return this.#opts.quarantine.put([{ record: r, reason, message: e.message }]);
        this.#opts.logger?.error({ code: e.code, err: e.message, cluster: r.cluster, kind: r.kind, namespace: r.namespace, name: r.name, uid: r.uid, resourceVersion: r.resourceVersion }, 'store refused a record; dropped');
        return;
      }
      const mid = records.length >> 1;
      await this.#appendIsolating(records.slice(0, mid));
      await this.#appendIsolating(records.slice(mid));
    }
  }

  #startDrain(): void {
    if (this.#draining || this.#closed.signal.aborted) return;
    this.#draining = this.#drainLoop().finally(() => {
      this.#draining = undefined;
      // Spooled again while the loop was finishing: keep going.
      if (this.#mode === 'spooling' && !this.#closed.signal.aborted) this.#startDrain();
    });
  }

  async #drainLoop(): Promise<void> {
    let attempt = 0;
    const signal = this.#closed.signal;
    while (!signal.aborted) {
      const batch = await this.#spool.peek();
      if (!batch) {
        if (!this.#spool.isEmpty) {
          await this.#spool.idle();
          continue;
        }
        this.#mode = 'direct';
        await this.#spool.resetIfDrained();
        this.#updateGauges();
        this.#opts.logger?.info('spool drained; writing to the store directly');
        for (const w of this.#settledWaiters.splice(0)) w();
        return;
      }
      try {
        if (batch.corrupt) this.#opts.logger?.error({ seq: batch.seq, end: batch.end, records: batch.count }, 'spooled batch is corrupt; skipped');
        else await inSpan('kubetime.spool.replay', { 'kubetime.records': batch.count, 'kubetime.attempt': attempt + 1 }, () => this.#appendIsolating(batch.records));
        await this.#spool.commit(batch);
        attempt = 0;
        this.#updateGauges();
      } catch (e) {
        attempt++;
        const ms = backoffDelay(attempt, this.#opts.retry ?? DEFAULT_BACKOFF, this.#timing.random);
        if (attempt === 1 || attempt % 10 === 0) this.#opts.logger?.warn({ err: e, attempt, retryInMs: ms }, 'spool drain: store still unavailable');
        await this.#timing.delay(ms, signal);
      }
    }
  }
}
