/**
 * A small Prometheus metrics registry (text exposition format 0.0.4): counters, gauges and
 * histograms with labels. It has no I/O; cli/ creates one registry, hands it to every component
 * that records metrics (history-api, ingester, compactor) and history-api serves it at /metrics.
 *
 * Names follow Prometheus conventions with units (`kubetime_http_request_duration_seconds`,
 * `kubetime_ingest_records_total`). Registering the same name twice with the same type and
 * labels returns the existing metric, so components may register idempotently.
 */

export type Labels = Record<string, string>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

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
  /** Called at scrape time to refresh the gauge (e.g. a queue length). */
  collect?: (gauge: Gauge) => void;
}

type MetricType = 'counter' | 'gauge' | 'histogram';

abstract class Metric<Series> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: MetricType;
  protected readonly series = new Map<string, { labels: Labels; value: Series }>();

  constructor(opts: MetricOptions) {
    if (!NAME.test(opts.name)) throw new Error(`metric name "${opts.name}" is not a valid Prometheus name`);
    for (const l of opts.labelNames ?? []) {
      if (!LABEL.test(l) || l.startsWith('__') || l === 'le') throw new Error(`metric ${opts.name}: label "${l}" is not allowed`);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = [...(opts.labelNames ?? [])];
  }

  protected abstract initial(): Series;

  private keyOf(labels: Labels): string {
    const keys = Object.keys(labels);
    if (keys.length !== this.labelNames.length || !this.labelNames.every((l) => typeof labels[l] === 'string')) {
      throw new Error(`metric ${this.name}: labels must be exactly [${this.labelNames.join(', ')}]`);
    }
    return this.labelNames.map((l) => labels[l]).join('\u0000');
  }

  /** The series for `labels` if it has been recorded. */
  protected peek(labels: Labels): Series | undefined {
    return this.series.get(this.keyOf(labels))?.value;
  }

  /** The series for `labels`, created on first use. Labels must be exactly the declared ones. */
  protected seriesFor(labels: Labels): Series {
    const key = this.keyOf(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, value: this.initial() };
      this.series.set(key, s);
    }
    return s.value;
  }

  /** Exposition lines for this metric's samples (without HELP/TYPE). */
  abstract samples(): string[];
}

/** A monotonically increasing count. */
export class Counter extends Metric<{ v: number }> {
  readonly type = 'counter';
  protected initial(): { v: number } {
    return { v: 0 };
  }
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name}: cannot increase by ${by}`);
    this.seriesFor(labels).v += by;
  }
  /** Current value (for tests and internal use). */
  get(labels: Labels = {}): number {
    return this.peek(labels)?.v ?? 0;
  }
  samples(): string[] {
    return [...this.series.values()].map((s) => sample(this.name, s.labels, s.value.v));
  }
}

/** A value that goes up and down. */
export class Gauge extends Metric<{ v: number }> {
  readonly type = 'gauge';
  readonly collect: ((gauge: Gauge) => void) | undefined;
  constructor(opts: GaugeOptions) {
    super(opts);
    this.collect = opts.collect;
  }
  protected initial(): { v: number } {
    return { v: 0 };
  }
  set(labels: Labels, value: number): void {
    this.seriesFor(labels).v = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.seriesFor(labels).v += by;
  }
  get(labels: Labels = {}): number {
    return this.peek(labels)?.v ?? 0;
  }
  samples(): string[] {
    this.collect?.(this);
    return [...this.series.values()].map((s) => sample(this.name, s.labels, s.value.v));
  }
}

interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram extends Metric<HistogramSeries> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  constructor(opts: HistogramOptions) {
    super(opts);
    const b = [...(opts.buckets ?? DEFAULT_BUCKETS)];
    if (b.some((x, i) => !Number.isFinite(x) || (i > 0 && x <= b[i - 1]!))) {
      throw new Error(`histogram ${opts.name}: buckets must be finite and strictly ascending`);
    }
    this.buckets = b;
  }
  protected initial(): HistogramSeries {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  observe(labels: Labels, value: number): void {
    const s = this.seriesFor(labels);
    // Buckets are stored non-cumulatively; samples() accumulates.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  samples(): string[] {
    const out: string[] = [];
    for (const { labels, value } of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((b, i) => {
        acc += value.counts[i]!;
        out.push(sample(`${this.name}_bucket`, { ...labels, le: formatNumber(b) }, acc));
      });
      out.push(sample(`${this.name}_bucket`, { ...labels, le: '+Inf' }, value.count));
      out.push(sample(`${this.name}_sum`, labels, value.sum));
      out.push(sample(`${this.name}_count`, labels, value.count));
    }
    return out;
  }
}

/** Holds every metric of the process and renders them for /metrics. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Counter | Gauge | Histogram>();
  private readonly sources: (() => string)[] = [];

  /** Adds metrics another component renders itself (Prometheus text, e.g. the ingester's). */
  addSource(render: () => string): void {
    this.sources.push(render);
  }

  counter(opts: MetricOptions): Counter {
    return this.register(opts, 'counter', () => new Counter(opts));
  }
  gauge(opts: GaugeOptions): Gauge {
    return this.register(opts, 'gauge', () => new Gauge(opts));
  }
  histogram(opts: HistogramOptions): Histogram {
    return this.register(opts, 'histogram', () => new Histogram(opts));
  }

  /** The whole registry in the Prometheus text format (ends with a newline). */
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics.values()) {
      lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.samples());
    }
    const own = lines.length ? lines.join('\n') + '\n' : '';
    return own + this.sources.map((render) => render()).filter(Boolean).map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
  }

  private register<M extends Counter | Gauge | Histogram>(opts: MetricOptions, type: MetricType, make: () => M): M {
    const existing = this.metrics.get(opts.name);
    if (existing) {
      const same = existing.type === type && existing.labelNames.join(',') === (opts.labelNames ?? []).join(',');
      if (!same) throw new Error(`metric ${opts.name} is already registered as a ${existing.type} with other labels`);
      return existing as M;
    }
    const m = make();
    this.metrics.set(opts.name, m);
    return m;
  }
}

/** The Content-Type of `render()`'s output. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function sample(name: string, labels: Labels, value: number): string {
  const entries = Object.entries(labels);
  const l = entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
  return `${name}${l} ${formatNumber(value)}`;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
