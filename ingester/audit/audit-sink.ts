/**
 * AuditSink: what `POST /v1/audit` and `kubetime import --audit-log` hand their events to.
 * Converts them (ingester/audit/audit.ts) and resolves only once the records are durable through the
 * ChangeWriter. Delivering the same batch twice changes nothing: the store's identity rules
 * (core/record.ts) make the second delivery a no-op.
 */
import type { ChangeWriter } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import type { Clock, Micros } from '../../core/time.ts';
import { convertAuditEvent, eventsOfList, type SkipReason } from './audit.ts';
import type { Attribution } from '../attribution/attributor.ts';
import type { AuditPlausibility } from './plausibility.ts';

/** Events converted between two turns of the event loop (a 100k-event batch must not freeze it). */
const CONVERT_CHUNK = 1000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
import { inSpan } from '../tracing.ts';

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
  /** Refuses audit times and scopes implausible for their revision (ingester/audit/plausibility.ts). */
  plausibility?: AuditPlausibility;
}

export interface AuditIngestResult {
  accepted: number;
  ignored: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Records and attributions refused as implausible (counted in `ignored` too). */
  refused?: number;
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

  /**
   * Ingests an EventList body; resolves when durable. Throws INVALID_ARGUMENT for a malformed body.
   * `receivedAt` (the webhook's receipt, µs) makes audit times far from it implausible.
   */
  async ingestList(body: unknown, cluster?: string, receivedAt?: Micros): Promise<AuditIngestResult> {
    return this.ingestEvents(eventsOfList(body), cluster, receivedAt);
  }

  /** Spans: kubetime.audit.batch > kubetime.audit.convert, kubetime.audit.attribute (> the durable write). */
  async ingestEvents(events: readonly unknown[], cluster?: string, receivedAt?: Micros): Promise<AuditIngestResult> {
    return inSpan('kubetime.audit.batch', { 'kubetime.events': events.length }, async (batch) => {
      const converted = await inSpan('kubetime.audit.convert', {}, () => this.#convertInTurns(events, cluster || this.#opts.cluster));
      const { result } = converted;
      let { records, attributions } = converted;
      if (this.#opts.plausibility) {
        const kept = await this.#opts.plausibility.filter(records, attributions, receivedAt);
        ({ records, attributions } = kept);
        if (kept.refused) {
          result.refused = kept.refused;
          result.accepted = Math.max(0, result.accepted - kept.refused);
          result.ignored += kept.refused;
        }
      }
      batch.setAttributes({ 'kubetime.accepted': result.accepted, 'kubetime.ignored': result.ignored, 'kubetime.records': records.length });
      const w = this.#opts.writer;
      await inSpan('kubetime.audit.attribute', { 'kubetime.attributions': attributions.length }, async () => {
        if (w.writeAudited) await w.writeAudited(records, attributions);
        else if (records.length) await w.write(records);
      });
      return result;
    });
  }

  /** `convert` in chunks, letting the event loop turn between them. */
  async #convertInTurns(events: readonly unknown[], cluster: string): Promise<ReturnType<AuditSink['convert']>> {
    if (events.length <= CONVERT_CHUNK) return this.convert(events, cluster);
    const all: ReturnType<AuditSink['convert']> = { records: [], attributions: [], result: { accepted: 0, ignored: 0, skipped: {} } };
    for (let i = 0; i < events.length; i += CONVERT_CHUNK) {
      if (i) await nextTurn();
      const part = this.convert(events.slice(i, i + CONVERT_CHUNK), cluster);
      for (const r of part.records) all.records.push(r);
      for (const a of part.attributions) all.attributions.push(a);
      all.result.accepted += part.result.accepted;
      all.result.ignored += part.result.ignored;
      for (const [k, n] of Object.entries(part.result.skipped) as [SkipReason, number][]) all.result.skipped[k] = (all.result.skipped[k] ?? 0) + n;
    }
    return all;
  }
}
