/**
 * Operational endpoints: liveness (/healthz), readiness (/readyz), Prometheus metrics (/metrics)
 * and the OpenAPI document (/openapi.json).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { METRICS_CONTENT_TYPE } from '../metrics.ts';
import type { MetricsRegistry } from '../metrics.ts';

/** What the operational routes need. */
export interface OpsRouteDeps {
  metrics: MetricsRegistry;
  /** Readiness check (e.g. the store answers); absent = always ready. */
  ready?: () => Promise<boolean>;
}

const status = z.object({ status: z.string() });

/** Registers /healthz, /readyz, /metrics and /openapi.json. */
export function registerOpsRoutes(app: FastifyInstance, deps: OpsRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['operations'];

  r.get('/healthz', { schema: { tags, operationId: 'healthz', summary: 'Liveness: the process serves requests', response: { 200: status } } }, async () => ({ status: 'ok' }));

  r.get('/readyz', {
    schema: { tags, operationId: 'readyz', summary: 'Readiness: the store answers', response: { 200: status, 503: status } },
  }, async (req, reply) => {
    let ok = true;
    try {
      ok = deps.ready ? await deps.ready() : true;
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      ok = false;
    }
    return ok ? { status: 'ok' } : reply.code(503).send({ status: 'not ready' });
  });

  r.get('/metrics', {
    schema: { tags, operationId: 'metrics', summary: 'Prometheus metrics (text format 0.0.4)', response: { 200: z.string().meta({ description: 'Prometheus text' }) } },
  }, async (_req, reply) => reply.type(METRICS_CONTENT_TYPE).send(await deps.metrics.render()));

  r.get('/openapi.json', { schema: { tags, operationId: 'openapi', summary: 'This API as an OpenAPI 3 document' } }, async () => app.swagger());
}
