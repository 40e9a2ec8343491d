/**
 * WriteWindow: lets one source keep writes in flight (so reading the next watch chunk overlaps
 * with writing the last, and the pipeline can gather large batches) while bounding them: once
 * `maxRecords` records or `maxWrites` writes are pending, `push` waits for the oldest. A failed
 * write makes the next `push` or `drain` throw (and calls `onError` at once), so the source stops,
 * drops its tracked state and reconciles from the store.
 *
 * Writes may resolve out of order; `onDurable` may not. A push may carry a mark (the stream's
 * resourceVersion after its records); the mark is reported once that push and every earlier one
 * are durable, in push order, so a checkpoint taken from it is never ahead of the store. A push
 * without records (a bookmark) only waits for the earlier ones; nothing after a failed write is
 * ever reported.
 */
import type { ChangeWriter } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';

/** Where a stream stood after a push: its resourceVersion, and when the source got there (µs). */
export interface DurableMark {
  resourceVersion: string;
  at: Micros;
}

export interface WriteWindowOptions {
  writer: ChangeWriter;
  /** Records in flight before `push` waits. */
  maxRecords: number;
  /** Writes in flight before `push` waits. Default 256. */
  maxWrites?: number;
  /** Called once the records are durable. */
  onWritten?: (records: readonly ChangeRecord[]) => void;
  /** Called, in push order, with the latest mark whose push and every earlier one are durable. */
  onDurable?: (mark: DurableMark) => void;
  /** Called once, as soon as a write fails. */
  onError?: () => void;
  /** Wraps the writer's error into what push/drain throw. */
  failure?: (cause: unknown) => Error;
}

export class WriteWindow {
  readonly #o: WriteWindowOptions;
  readonly #inflight: { done: Promise<void>; n: number }[] = [];
  /** Pushes not yet reported to onDurable, oldest first. */
  readonly #unreported: { durable: boolean; mark: DurableMark | undefined }[] = [];
  #records = 0;
  #error: { cause: unknown } | undefined;

  constructor(opts: WriteWindowOptions) {
    this.#o = opts;
  }

  #check(): void {
    if (this.#error) throw this.#o.failure ? this.#o.failure(this.#error.cause) : this.#error.cause;
  }

  async #waitOldest(): Promise<void> {
    const oldest = this.#inflight.shift()!;
    await oldest.done;
    this.#records -= oldest.n;
  }

  /** Reports every leading durable push's mark (the latest one) to onDurable. */
  #report(): void {
    let last: DurableMark | undefined;
    while (this.#unreported[0]?.durable) last = this.#unreported.shift()!.mark ?? last;
    if (last) this.#o.onDurable?.(last);
  }

  /** Hands `records` to the writer (none for a bookmark); `mark` is reported once all is durable up to it. */
  async push(records: readonly ChangeRecord[], mark?: DurableMark): Promise<void> {
    this.#check();
    const entry = { durable: records.length === 0, mark };
    if (this.#o.onDurable && (mark || records.length)) this.#unreported.push(entry);
    if (records.length > 0) {
      const done = this.#o.writer.write(records).then(
        () => {
          this.#o.onWritten?.(records);
          entry.durable = true;
          this.#report();
        },
        (e: unknown) => {
          if (this.#error) return;
          this.#error = { cause: e };
          this.#o.onError?.();
        },
      );
      this.#inflight.push({ done, n: records.length });
      this.#records += records.length;
    } else {
      this.#report();
    }
    const maxWrites = this.#o.maxWrites ?? 256;
    while (this.#inflight.length && (this.#records > this.#o.maxRecords || this.#inflight.length > maxWrites)) await this.#waitOldest();
    this.#check();
  }

  /** Waits for every pending write; throws if any failed. */
  async drain(): Promise<void> {
    while (this.#inflight.length) await this.#waitOldest();
    this.#check();
  }
}
