/**
 * AttributingWriter: a ChangeWriter that tells the Attributor which revisions became durable and
 * writes the attribution records that were waiting for them. Every writer of the process (watch
 * sources and the audit sink) must write through the same one, in front of the one pipeline, so
 * that attribution records follow their revisions. The audit sink's attributions that must wait
 * are journaled before `writeAudited` resolves (the sink's 2xx means durable).
 */
import type { ChangeWriter } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import type { AttributionJournal } from './attribution-journal.ts';
import type { Attribution, Attributor } from './attributor.ts';

export interface AttributingWriterOptions {
  inner: ChangeWriter & { settled?(): Promise<void> };
  attributor: Attributor;
  /** Where failures of attribution records written behind (`noteStored`) go. */
  onError: (e: unknown) => void;
  /** Where waiting attributions become durable; none: they are kept in memory only. */
  journal?: Pick<AttributionJournal, 'append'>;
}

export class AttributingWriter implements ChangeWriter {
  readonly #o: AttributingWriterOptions;
  readonly #inflight = new Set<Promise<void>>();

  constructor(opts: AttributingWriterOptions) {
    this.#o = opts;
  }

  async write(records: readonly ChangeRecord[]): Promise<void> {
    await this.#o.inner.write(records);
    this.noteStored(records);
  }

  /**
   * Tells the Attributor that `records` are durable (written here, or recalled from the store after
   * a restart) and writes the attribution records they complete, after them; `settled()` waits for
   * those, and their failures go to `onError`.
   */
  noteStored(records: readonly ChangeRecord[]): void {
    const follow = this.#o.attributor.noteDurable(records);
    if (!follow.length) return;
    // Not awaited by the writer of `records`: its records are durable; these follow them.
    const p = this.#o.inner.write(follow).catch(this.#o.onError).finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** Writes `records` (the audit sink's) together with attribution records; resolves when all is durable. */
  async writeAudited(records: readonly ChangeRecord[], attributions: readonly Attribution[]): Promise<void> {
    const waited: Attribution[] = [];
    // The batch's exact times date revisions the watch brought late, before its attributions are decided.
    this.#o.attributor.noteClock(records);
    const merged = attributions.length ? this.#o.attributor.attribute(attributions, waited) : [];
    await this.#writeWith(merged.length ? [...records, ...merged] : records, waited);
  }

  /**
   * Attributes what the journal held when the process started (after the latest stored revisions
   * were recalled): writes what merges now; the rest waits again. Returns how many merged.
   */
  async restore(attributions: readonly Attribution[]): Promise<number> {
    const merged = this.#o.attributor.restore(attributions);
    await this.#writeWith(merged, []);
    return merged.length;
  }

  async #writeWith(records: readonly ChangeRecord[], waited: readonly Attribution[]): Promise<void> {
    await Promise.all([
      records.length ? this.write(records) : undefined,
      waited.length && this.#o.journal ? this.#o.journal.append(waited) : undefined,
    ]);
  }

  /** Waits for attribution records in flight, then for the inner writer to settle. */
  async settled(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
    await this.#o.inner.settled?.();
  }
}
