/**
 * WritePipeline: batches the records of many concurrent writers (every watch source, the audit
 * sink) into few large appends, in arrival order, one batch in flight at a time (a second one in
 * flight was measured: no gain, as the store's append is CPU-bound on the same thread).
 *
 * - Batching: a batch closes at `maxBatchRecords`, or `lingerMs` after the first record arrived
 *   on an idle pipeline; while a batch is being written the next one fills up (group commit).
 * - Backpressure and bounded memory: at most `maxQueuedRecords` wait in the queue; a `write`
 *   beyond that waits (FIFO, so order holds) until a batch completes. Watch sources await their
 *   writes before reading more from the socket, so a slow store slows the reading, not memory.
 * - Durability: `write` resolves when the sink (normally a SpoolingWriter) has made the batch
 *   holding its records durable, and rejects if the sink fails.
 */
import type { Logger } from 'pino';
import { KubetimeError } from '../../core/errors.ts';
import type { ChangeWriter } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import type { IngestMetrics } from '../metrics.ts';
import { realTiming, type Timing } from '../timing.ts';

/** Options of WritePipeline; the defaults suit one process ingesting a cluster. */
export interface WritePipelineOptions {
  /** Where batches go: a SpoolingWriter in production. */
  sink: ChangeWriter & { settled?(): Promise<void> };
  /** Records per batch at most. Default 1000. */
  maxBatchRecords?: number;
  /** How long an idle pipeline waits for more records before writing, ms. Default 20. */
  lingerMs?: number;
  /** Records queued before `write` waits for room (backpressure). Default 2000. */
  maxQueuedRecords?: number;
  timing?: Timing;
  metrics?: IngestMetrics;
  logger?: Logger;
}

interface Entry {
  records: readonly ChangeRecord[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Batching, ordered, bounded ChangeWriter (module comment). */
export class WritePipeline implements ChangeWriter {
  readonly #sink: WritePipelineOptions['sink'];
  readonly #maxBatch: number;
  readonly #linger: number;
  readonly #maxQueued: number;
  readonly #timing: Timing;
  readonly #metrics: IngestMetrics | undefined;
  /** Admitted entries, in order. */
  #queue: Entry[] = [];
  #queued = 0;
  /** Entries waiting for room, in order. */
  #waiting: Entry[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  #last: Promise<void> = Promise.resolve();

  constructor(opts: WritePipelineOptions) {
    this.#sink = opts.sink;
    this.#maxBatch = opts.maxBatchRecords ?? 1000;
    this.#linger = opts.lingerMs ?? 20;
    this.#maxQueued = opts.maxQueuedRecords ?? 2000;
    this.#timing = opts.timing ?? realTiming;
    this.#metrics = opts.metrics;
  }

  /** Records queued or waiting for room. */
  get pending(): number {
    return this.#queued + this.#waiting.reduce((n, e) => n + e.records.length, 0);
  }

  write(records: readonly ChangeRecord[]): Promise<void> {
    if (this.#closed) return Promise.reject(new KubetimeError('STORE_UNAVAILABLE', 'write pipeline is closed'));
    if (records.length === 0) return Promise.resolve();
    if (records.length > this.#maxBatch) {
      // A huge write (a 100k-event audit batch) goes as several batches, so no single store
      // append holds the event loop for long; they stay in order, and it resolves with the last.
      const parts: Promise<void>[] = [];
      for (let i = 0; i < records.length; i += this.#maxBatch) parts.push(this.write(records.slice(i, i + this.#maxBatch)));
      return Promise.all(parts).then(() => undefined);
    }
    const done = new Promise<void>((resolve, reject) => {
      const entry: Entry = { records, resolve, reject };
      if (this.#waiting.length === 0 && (this.#queued + records.length <= this.#maxQueued || this.#queued === 0)) {
        this.#admit(entry);
      } else {
        this.#waiting.push(entry);
      }
      this.#kick();
    });
    // Batches complete in order, so the last write settling means every earlier one has.
    this.#last = done.catch(() => {});
    return done;
  }

  /**
   * Resolves when every record written before the call is durable in the sink and, when the sink
   * can tell (SpoolingWriter), in the store — not merely spooled.
   */
  async settled(): Promise<void> {
    await this.#last;
    await this.#sink.settled?.();
  }

  /** Refuses new writes and waits for queued ones. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running || this.#queue.length || this.#waiting.length) {
      this.#kick();
      await this.#running;
    }
  }

  #admit(entry: Entry): void {
    this.#queue.push(entry);
    this.#queued += entry.records.length;
    this.#metrics?.queueRecords.set({}, this.#queued);
  }

  #admitWaiting(): void {
    while (this.#waiting.length) {
      const next = this.#waiting[0]!;
      if (this.#queued + next.records.length > this.#maxQueued && this.#queued > 0) break;
      this.#admit(this.#waiting.shift()!);
    }
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#queue.length || this.#waiting.length) this.#kick();
    });
  }

  async #run(): Promise<void> {
    if (this.#queued < this.#maxBatch && this.#linger > 0 && !this.#closed) await this.#timing.delay(this.#linger);
    while (this.#queue.length) {
      const batch = this.#take();
      const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((e) => e.records);
      try {
        await this.#sink.write(records);
        for (const e of batch) e.resolve();
      } catch (err) {
        for (const e of batch) e.reject(err);
      }
      this.#queued -= records.length;
      this.#admitWaiting();
      this.#metrics?.queueRecords.set({}, this.#queued);
    }
  }

  /** Whole entries up to maxBatchRecords (at least one). */
  #take(): Entry[] {
    let n = 0;
    let i = 0;
    while (i < this.#queue.length && (i === 0 || n + this.#queue[i]!.records.length <= this.#maxBatch)) {
      n += this.#queue[i]!.records.length;
      i++;
    }
    return this.#queue.splice(0, i);
  }
}
