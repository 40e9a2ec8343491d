/**
 * Tracing: the OpenTelemetry Node SDK, configured by the standard `OTEL_*` variables and started
 * by `main` before anything else runs. It is off unless an exporter is configured
 * (`OTEL_TRACES_EXPORTER`, or `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`);
 * `OTEL_EXPORTER_OTLP_PROTOCOL=grpc|http/protobuf|http/json` picks the transport. Only traces
 * are exported this way: kubetime's metrics are Prometheus text at /metrics, so the SDK's metric
 * and log exporters default to `none` here.
 *
 * The spans themselves are made with `@opentelemetry/api` where the work happens (history-api,
 * the ingester's audit sink and spool, the compactor) and by cli/instrument.ts around the store
 * and the write pipeline; with the SDK off they are no-ops. docs/observability.md lists them.
 */
import { createRequire } from 'node:module';
import { context, isSpanContextValid, trace, type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api';

/** What `startTelemetry` started; `shutdown` flushes the spans still buffered. */
export interface Telemetry {
  enabled: boolean;
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** Whether the `OTEL_*` variables ask for trace export (the SDK's own default would be "always"). */
export function tracingRequested(env: Env): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((s) => s.trim()).filter((s) => s && s !== 'none');
  if (env['OTEL_TRACES_EXPORTER']?.split(',').some((s) => s.trim() === 'none') && exporters.length === 0) return false;
  return exporters.length > 0 || !!env['OTEL_EXPORTER_OTLP_ENDPOINT'] || !!env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
}

const OFF: Telemetry = { enabled: false, shutdown: async () => {} };
let running: Telemetry = OFF;

/**
 * Starts the SDK when `env` asks for traces (idempotent: a second call returns the first).
 * `env` is the process environment; the SDK reads its `OTEL_*` variables itself.
 */
export async function startTelemetry(env: Env): Promise<Telemetry> {
  if (running.enabled || !tracingRequested(env)) return running;
  env['OTEL_METRICS_EXPORTER'] ??= 'none';
  env['OTEL_LOGS_EXPORTER'] ??= 'none';
  env['OTEL_SERVICE_NAME'] ??= 'kubetime';
  const [{ NodeSDK }, { CassandraDriverInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-cassandra-driver'),
  ]);
  const sdk = new NodeSDK({ instrumentations: [new CassandraDriverInstrumentation({ enhancedDatabaseReporting: false })] });
  sdk.start();
  // The instrumentation patches the driver when it is require()d; store/cassandra import()s it
  // (ESM), which would bypass that hook. Requiring it once here patches the one shared module
  // (an ESM import of a CommonJS module already loaded reuses it), so statements get spans.
  createRequire(import.meta.url)('cassandra-driver');
  running = {
    enabled: true,
    shutdown: async () => {
      running = OFF;
      await sdk.shutdown();
    },
  };
  return running;
}

/** The tracer of cli/'s own spans (store, write pipeline, audit batch). */
export const tracer = trace.getTracer('kubetime');

/**
 * Runs `f` in a new active span named `name`; the span ends when `f` settles and records a
 * thrown error. `f` receives the span to add attributes (e.g. a result size).
 */
export function withSpan<T>(name: string, attributes: Attributes, f: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await f(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
      throw e;
    } finally {
      span.end();
    }
  });
}

/** Fields every log line gets (pino `mixin`): the active span's trace and span ids. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
