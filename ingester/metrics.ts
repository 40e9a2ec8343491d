/**
 * The ingester's metrics. Each family keeps its values in plain fields (so code and tests read
 * them synchronously with `get`) and, given the process's prom-client `Registry` (cli/ passes
 * the one registry history-api serves at /metrics), is exposed there: a prom-client metric whose
 * `collect` copies the values at scrape time.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

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
  readonly labelNames: readonly string[];
  /** Brings computed values (an age) up to date before they are read. */
  readonly #refresh: (() => void) | undefined;
  readonly #values = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(name: string, help: string, type: MetricType, labelNames: readonly string[] = [], refresh?: () => void) {
    this.name = name;
    this.help = help;
    this.type = type;
    this.labelNames = labelNames;
    this.#refresh = refresh;
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
    this.#refresh?.();
    return { name: this.name, help: this.help, type: this.type, samples: [...this.#values.values()].map((e) => ({ labels: e.labels, value: e.value })) };
  }

  /**
   * Exposes this family on a prom-client registry (values copied at scrape time). Only label sets
   * within the declared `labelNames` are shown (prom-client refuses others, and /metrics must not
   * fail): declare every label a family is recorded with.
   */
  registerOn(registry: Registry): void {
    if (registry.getSingleMetric(this.name)) return;
    const declared = new Set(this.labelNames);
    const family = { snapshot: () => ({ samples: this.snapshot().samples.filter((s) => Object.keys(s.labels).every((k) => declared.has(k))) }) };
    const config = { name: this.name, help: this.help, labelNames: [...this.labelNames], registers: [registry] };
    if (this.type === 'counter') {
      new Counter({ ...config, collect(this: Counter) {
        this.reset();
        for (const s of family.snapshot().samples) this.inc(s.labels, s.value);
      } });
    } else {
      new Gauge({ ...config, collect(this: Gauge) {
        for (const s of family.snapshot().samples) this.set(s.labels, s.value);
      } });
    }
  }
}

/** Every metric the ingester, the write pipeline and the spool update. */
export class IngestMetrics {
  /** Records handed to the writer, by source (`watch`, `relist`). */
  readonly recordsTotal = new Family('kubetime_ingest_records_total', 'Change records handed to the write pipeline, by source.', 'counter', ['source']);
  /** Watch restarts by reason: gone (410), stalled (watchdog), error, closed (server ended it), write_failed. */
  readonly watchRestartsTotal = new Family('kubetime_watch_restarts_total', 'Watch restarts, by reason.', 'counter', ['reason']);
  /** Full lists, by reason: start, gone, error, new (a resource discovered later). */
  readonly relistsTotal = new Family('kubetime_relists_total', 'Full lists with reconciliation, by reason.', 'counter', ['reason']);
  /**
   * Watches resumed from a checkpoint at start, by result: resumed (the server replayed from it),
   * gone (410: relisted), failed (refused otherwise, e.g. a resourceVersion too large: relisted).
   */
  readonly watchResumesTotal = new Family('kubetime_watch_resumes_total', 'Watches resumed from a checkpoint after a restart, by result.', 'counter', ['result']);
  /** Watch lines or objects that could not be recorded (malformed JSON, no uid, …). */
  readonly droppedTotal = new Family('kubetime_ingest_dropped_total', 'Watch events or records dropped as unusable, by reason.', 'counter', ['reason']);
  readonly watchedResources = new Family('kubetime_watched_resources', 'Resources currently listed and watched.', 'gauge');
  readonly trackedObjects = new Family('kubetime_tracked_objects', 'Live objects tracked (uid and resourceVersion only).', 'gauge', ['gk', 'namespace']);
  readonly queueRecords = new Family('kubetime_write_queue_records', 'Records waiting in the write pipeline.', 'gauge');
  readonly batchesTotal = new Family('kubetime_write_batches_total', 'Batches written by the pipeline, by outcome (stored, spooled).', 'counter', ['outcome']);
  readonly spoolRecords = new Family('kubetime_spool_records', 'Records spooled on local disk, not yet in the store.', 'gauge');
  readonly spoolBytes = new Family('kubetime_spool_bytes', 'Bytes of spooled batches not yet in the store.', 'gauge');
  /** Records set aside in the quarantine file (ingester/write/quarantine.ts), by reason: invalid, depth, size, scope. */
  readonly quarantinedTotal = new Family('kubetime_ingest_quarantined_records_total', 'Records the store cannot take, set aside in the quarantine file, by reason.', 'counter', ['reason']);
  /** Audit records and attributions refused as implausible (ingester/audit/plausibility.ts), by reason. */
  readonly auditRefusedTotal = new Family('kubetime_audit_refused_total', 'Audit events refused because their time or scope is implausible for the revision they name, by reason.', 'counter', ['reason']);
  /** Seconds since the spool last went from empty to holding records (0 while empty); see `spoolPending`. */
  readonly spoolAgeSeconds = new Family('kubetime_spool_age_seconds', 'Seconds since the spool last became non-empty (0 when empty): how long the store has been behind.', 'gauge', [],
    () => this.spoolAgeSeconds.set({}, this.#spooledSince === undefined ? 0 : Math.max(0, (this.#now() - this.#spooledSince) / 1000)));
  readonly rejectedTotal = new Family('kubetime_store_rejected_records_total', 'Records the store refused as invalid (dropped after isolation).', 'counter', ['code']);
  /** Audit attributions (Scale, Binding, grace-0 delete, Eviction; ingester/attribution/attributor.ts) by outcome: merged, expired, overflow. */
  readonly attributionsTotal = new Family('kubetime_audit_attributions_total', 'Audit events naming a watched revision they do not carry, by outcome.', 'counter', ['outcome']);

  /** Wall-clock milliseconds when the spool last became non-empty. */
  #spooledSince: number | undefined;
  readonly #now: () => number;

  /**
   * @param registry the process's prom-client registry to expose these families on (none: values
   *   are only kept, e.g. in tests)
   * @param now wall-clock milliseconds (for the spool's age)
   */
  constructor(registry?: Registry, now: () => number = Date.now) {
    this.#now = now;
    if (registry) for (const f of this.#families()) f.registerOn(registry);
  }

  /** Tells whether records are spooled now (the spooling writer calls it whenever that may change). */
  spoolPending(pending: boolean): void {
    if (!pending) this.#spooledSince = undefined;
    else this.#spooledSince ??= this.#now();
  }

  #families(): Family[] {
    return Object.values(this).filter((v): v is Family => v instanceof Family);
  }

  /** Every family above, in declaration order. */
  collect(): MetricFamily[] {
    return this.#families().map((f) => f.snapshot());
  }
}
