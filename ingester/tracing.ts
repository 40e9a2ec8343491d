/**
 * The ingester's spans (audit batches, spool replays), made with `@opentelemetry/api`: they are
 * no-ops unless cli/ started the tracing SDK (cli/telemetry.ts).
 */
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('kubetime.ingester');

/** Runs `f` in a new active span; a thrown error is recorded on the span and rethrown. */
export function inSpan<T>(name: string, attributes: Attributes, f: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await f(span);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
      throw e;
    } finally {
      span.end();
    }
  });
}
