/** The history API: what cli/ (the composition root) needs to serve it. */
export { buildServer } from './server.ts';
export type { HistoryServer, ServerDeps } from './server.ts';
export { DEFAULT_AUDIT_BODY_LIMIT } from './routes/audit.ts';
export type { AuditIngest } from './routes/audit.ts';
export { Counter, DEFAULT_BUCKETS, Gauge, Histogram, METRICS_CONTENT_TYPE, MetricsRegistry, Registry } from './metrics.ts';
export type { GaugeOptions, HistogramOptions, MetricOptions } from './metrics.ts';
export { HTTP_STATUS } from './errors.ts';
