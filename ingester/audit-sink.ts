/**
 * AuditSink: what `POST /v1/audit` and `kubetime import --audit-log` hand their events to.
 * Converts them (ingester/audit.ts) and resolves only once the records are durable through the
 * ChangeWriter. Delivering the same batch twice changes nothing: the store's identity rules
 * (core/record.ts) make the second delivery a no-op.
 */
import type { ChangeWriter } from '../core/ports.ts';
import type { ChangeRecord } from '../core/record.ts';
import type { Clock } from '../core/time.ts';
import { convertAuditEvent, eventsOfList, type SkipReason } from './audit.ts';
import type { Attribution } from './attributor.ts';
import { inSpan } from './tracing.ts';

export interface AuditSinkOptions {
  /**
   * Where records go. With `writeAudited` (an AttributingWriter), attributions are joined to the
   * watched revisions they name; without it (an import, no watch) they are dropped.
   */
  writer: ChangeWriter & { writeAudited?(records: readonly ChangeRecord[], attributions: readonly Attribution[]): Promise<void> };
  clock: Clock;
  /** The cluster name records get unless a request names one. */
  cluster: string;
  kindForResource?: (group: string, resource: string) => string | undefined;
}

export interface AuditIngestResult {
  accepted: number;
  ignored: number;
  skipped: Partial<Record<SkipReason, number>>;
}

export class AuditSink {
  readonly #opts: AuditSinkOptions;

  constructor(opts: AuditSinkOptions) {
    this.#opts = opts;
  }

  /** Converts events without writing them. */
  convert(events: readonly unknown[], cluster = this.#opts.cluster): { records: ChangeRecord[]; attributions: Attribution[]; result: AuditIngestResult } {
    const observedAt = this.#opts.clock.now();
    const records: ChangeRecord[] = [];
    const attributions: Attribution[] = [];
    const result: AuditIngestResult = { accepted: 0, ignored: 0, skipped: {} };
    // Attributions count only where a watch's revisions can take them (not in an import).
    const attributes = !!this.#opts.writer.writeAudited;
    for (const event of events) {
      const c = convertAuditEvent(event, { cluster, observedAt, kindForResource: this.#opts.kindForResource });
      if (attributes && c.attributions) attributions.push(...c.attributions);
      if (c.records.length || (attributes && c.attributions?.length)) {
        records.push(...c.records);
        result.accepted++;
      } else {
        result.ignored++;
        if (c.skipped) result.skipped[c.skipped] = (result.skipped[c.skipped] ?? 0) + 1;
      }
    }
    return { records, attributions, result };
  }

  /** Ingests an EventList body; resolves when durable. Throws INVALID_ARGUMENT for a malformed body. */
  async ingestList(body: unknown, cluster?: string): Promise<AuditIngestResult> {
    return this.ingestEvents(eventsOfList(body), cluster);
  }

  /** Spans: kubetime.audit.batch > kubetime.audit.convert, kubetime.audit.attribute (> the durable write). */
  async ingestEvents(events: readonly unknown[], cluster?: string): Promise<AuditIngestResult> {
    return inSpan('kubetime.audit.batch', { 'kubetime.events': events.length }, async (batch) => {
      const { records, attributions, result } = await inSpan('kubetime.audit.convert', {}, async () => this.convert(events, cluster || this.#opts.cluster));
      batch.setAttributes({ 'kubetime.accepted': result.accepted, 'kubetime.ignored': result.ignored, 'kubetime.records': records.length });
      const w = this.#opts.writer;
      await inSpan('kubetime.audit.attribute', { 'kubetime.attributions': attributions.length }, async () => {
        if (w.writeAudited) await w.writeAudited(records, attributions);
        else if (records.length) await w.write(records);
      });
      return result;
    });
  }
}
