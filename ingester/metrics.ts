/**
 * The ingester's metrics, kept as plain counters and gauges so ingester/ needs no metrics
 * library. The /metrics route (history-api) reads `collect()` and renders it into its registry,
 * or calls `toPrometheusText()` directly.
 */

/** Prometheus metric types used here. */
export type MetricType = 'counter' | 'gauge';

/** One labelled value. */
export interface MetricSample {
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** One metric with all its label sets, as `collect()` returns them. */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

class Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly #values = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(name: string, help: string, type: MetricType) {
    this.name = name;
    this.help = help;
    this.type = type;
  }

  #entry(labels: Record<string, string>) {
    const key = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
    let e = this.#values.get(key);
    if (!e) {
      e = { labels: { ...labels }, value: 0 };
      this.#values.set(key, e);
    }
    return e;
  }

  inc(labels: Record<string, string> = {}, by = 1): void {
    this.#entry(labels).value += by;
  }

  set(labels: Record<string, string>, value: number): void {
    this.#entry(labels).value = value;
  }

  get(labels: Record<string, string> = {}): number {
    return this.#entry(labels).value;
  }

  snapshot(): MetricFamily {
    return { name: this.name, help: this.help, type: this.type, samples: [...this.#values.values()].map((e) => ({ labels: e.labels, value: e.value })) };
  }
}

/** Every metric the ingester, the write pipeline and the spool update. */
export class IngestMetrics {
  /** Records handed to the writer, by source (`watch`, `relist`). */
  readonly recordsTotal = new Family('kubetime_ingest_records_total', 'Change records handed to the write pipeline, by source.', 'counter');
  /** Watch restarts by reason: gone (410), stalled (watchdog), error, closed (server ended it), write_failed. */
  readonly watchRestartsTotal = new Family('kubetime_watch_restarts_total', 'Watch restarts, by reason.', 'counter');
  /** Full lists, by reason: start, gone, error, new (a resource discovered later). */
  readonly relistsTotal = new Family('kubetime_relists_total', 'Full lists with reconciliation, by reason.', 'counter');
  /**
   * Watches resumed from a checkpoint at start, by result: resumed (the server replayed from it),
   * gone (410: relisted), failed (refused otherwise, e.g. a resourceVersion too large: relisted).
   */
  readonly watchResumesTotal = new Family('kubetime_watch_resumes_total', 'Watches resumed from a checkpoint after a restart, by result.', 'counter');
  /** Watch lines or objects that could not be recorded (malformed JSON, no uid, …). */
  readonly droppedTotal = new Family('kubetime_ingest_dropped_total', 'Watch events or records dropped as unusable, by reason.', 'counter');
  readonly watchedResources = new Family('kubetime_watched_resources', 'Resources currently listed and watched.', 'gauge');
  readonly trackedObjects = new Family('kubetime_tracked_objects', 'Live objects tracked (uid and resourceVersion only).', 'gauge');
  readonly queueRecords = new Family('kubetime_write_queue_records', 'Records waiting in the write pipeline.', 'gauge');
  readonly batchesTotal = new Family('kubetime_write_batches_total', 'Batches written by the pipeline, by outcome (stored, spooled).', 'counter');
  readonly spoolRecords = new Family('kubetime_spool_records', 'Records spooled on local disk, not yet in the store.', 'gauge');
  readonly spoolBytes = new Family('kubetime_spool_bytes', 'Bytes of spooled batches not yet in the store.', 'gauge');
  /** Records set aside in the quarantine file (ingester/quarantine.ts), by reason: invalid, depth, size, scope. */
  readonly quarantinedTotal = new Family('kubetime_ingest_quarantined_records_total', 'Records the store cannot take, set aside in the quarantine file, by reason.', 'counter');
  /** Audit records and attributions refused as implausible (ingester/plausibility.ts), by reason. */
  readonly auditRefusedTotal = new Family('kubetime_audit_refused_total', 'Audit events refused because their time or scope is implausible for the revision they name, by reason.', 'counter');
  readonly rejectedTotal = new Family('kubetime_store_rejected_records_total', 'Records the store refused as invalid (dropped after isolation).', 'counter');
  /** Audit attributions (Scale, Binding, grace-0 delete, Eviction; ingester/attributor.ts) by outcome: merged, expired, overflow. */
  readonly attributionsTotal = new Family('kubetime_audit_attributions_total', 'Audit events naming a watched revision they do not carry, by outcome.', 'counter');

  /** Every family above, in declaration order. */
  collect(): MetricFamily[] {
    return Object.values(this).filter((v): v is Family => v instanceof Family).map((f) => f.snapshot());
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Renders families in the Prometheus text exposition format. */
export function toPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      lines.push(`${f.name}${labels ? `{${labels}}` : ''} ${s.value}`);
    }
  }
  return lines.join('\n') + '\n';
}
