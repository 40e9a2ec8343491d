/**
 * WriteWindow: lets one source keep writes in flight (so reading the next watch chunk overlaps
 * with writing the last, and the pipeline can gather large batches) while bounding them: once
 * `maxRecords` records or `maxWrites` writes are pending, `push` waits for the oldest. A failed
 * write makes the next `push` or `drain` throw (and calls `onError` at once), so the source stops,
 * drops its tracked state and reconciles from the store.
 */
import type { ChangeWriter } from '../core/ports.ts';
import type { ChangeRecord } from '../core/record.ts';

export interface WriteWindowOptions {
  writer: ChangeWriter;
  /** Records in flight before `push` waits. */
  maxRecords: number;
  /** Writes in flight before `push` waits. Default 256. */
  maxWrites?: number;
  /** Called once the records are durable. */
  onWritten?: (records: readonly ChangeRecord[]) => void;
  /** Called once, as soon as a write fails. */
  onError?: () => void;
  /** Wraps the writer's error into what push/drain throw. */
  failure?: (cause: unknown) => Error;
}

export class WriteWindow {
  readonly #o: WriteWindowOptions;
  readonly #inflight: { done: Promise<void>; n: number }[] = [];
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

  async push(records: readonly ChangeRecord[]): Promise<void> {
    this.#check();
    if (records.length > 0) {
      const done = this.#o.writer.write(records).then(
        () => this.#o.onWritten?.(records),
        (e: unknown) => {
          if (this.#error) return;
          this.#error = { cause: e };
          this.#o.onError?.();
        },
      );
      this.#inflight.push({ done, n: records.length });
      this.#records += records.length;
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
