/**
 * The process's one metrics registry: a prom-client `Registry` (text exposition format 0.0.4).
 * cli/ creates one, turns on prom-client's default process and event-loop metrics, and hands it
 * to every component that records metrics (history-api here; the ingester, the compactor's and
 * the store's metrics register on `registry` directly); history-api serves it at /metrics.
 *
 * Names follow Prometheus conventions with units (`kubetime_http_request_duration_seconds`,
 * `kubetime_ingest_records_total`); docs/observability.md lists them all. Registering the same
 * name twice with the same type and labels returns the existing metric, so components may
 * register idempotently.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/** Default histogram buckets, in seconds: 1 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What every metric is declared with. */
export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending; `+Inf` is added. */
  buckets?: readonly number[];
}

export interface GaugeOptions extends MetricOptions {
  /** Called at scrape time to refresh the gauge (e.g. a queue length); may be async. */
  collect?: (gauge: Gauge) => void | Promise<void>;
}

type AnyMetric = Counter | Gauge | Histogram;

/** Holds every metric of the process and renders them for /metrics. */
export class MetricsRegistry {
  /** The prom-client registry, for components that declare prom-client metrics themselves. */
  readonly registry: Registry;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
  }

  /** Adds prom-client's default metrics: process CPU, memory, file descriptors, GC, event-loop lag. */
  collectDefaults(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }

  counter(opts: MetricOptions): Counter {
    return this.register(opts, 'counter', () => new Counter({ ...base(opts), registers: [this.registry] }));
  }

  gauge(opts: GaugeOptions): Gauge {
    const refresh = opts.collect;
    const registry = this.registry;
    if (refresh) collectErrors(registry);
    return this.register(opts, 'gauge', () => new Gauge({
      ...base(opts), registers: [this.registry],
      // A refresh that fails (e.g. the snapshot store is unreachable) keeps the last values and
      // counts the failure: /metrics must answer whatever one source does.
      ...(refresh ? { collect: async function (this: Gauge) {
        try {
          await refresh(this);
        } catch {
          collectErrors(registry).inc({ metric: opts.name });
        }
      } } : {}),
    }));
  }

  histogram(opts: HistogramOptions): Histogram {
    const buckets = [...(opts.buckets ?? DEFAULT_BUCKETS)];
    return this.register(opts, 'histogram', () => new Histogram({ ...base(opts), buckets, registers: [this.registry] }));
  }

  /** The whole registry in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private register<M extends AnyMetric>(opts: MetricOptions, type: string, make: () => M): M {
    const existing = this.registry.getSingleMetric(opts.name) as (AnyMetric & { type?: string; labelNames?: string[] }) | undefined;
    if (existing) {
      const same = existing.type === type && (existing.labelNames ?? []).join(',') === (opts.labelNames ?? []).join(',');
      if (!same) throw new Error(`metric ${opts.name} is already registered as a ${existing.type} with other labels`);
      return existing as M;
    }
    return make();
  }
}

function collectErrors(registry: Registry): Counter {
  const name = 'kubetime_metrics_collect_errors_total';
  return (registry.getSingleMetric(name) as Counter | undefined)
    ?? new Counter({ name, help: 'Scrape-time refreshes of a gauge that failed (its last values were served), by metric.', labelNames: ['metric'], registers: [registry] });
}

function base(opts: MetricOptions): { name: string; help: string; labelNames: string[] } {
  return { name: opts.name, help: opts.help, labelNames: [...(opts.labelNames ?? [])] };
}

/** The Content-Type of `render()`'s output. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
