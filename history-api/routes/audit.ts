/**
 * `POST /v1/audit`: the sink of kube-apiserver's audit webhook backend (API.md). The route only
 * authenticates, checks that the body is an audit EventList and hands it to `auditIngest`
 * (ingester/audit/audit.ts converts, deduplicates and writes it durably). The 200 is sent only after
 * `auditIngest` resolves, because a 2xx tells the apiserver it may forget the batch.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KubetimeError } from '../../core/errors.ts';
import type { Clock, Micros } from '../../core/time.ts';
import { errorResponse } from '../errors.ts';
import type { MetricsRegistry } from '../metrics.ts';
import { errorSchema } from '../schemas.ts';
import { InflightBytes } from '../limits.ts';

/**
 * Ingests one audit EventList as received. Resolves only once the accepted changes are durable;
 * rejects with KubetimeError (STORE_UNAVAILABLE → 503, so the apiserver retries; INVALID_ARGUMENT → 400).
 */
export type AuditIngest = (eventList: unknown, receivedAt: Micros) => Promise<{ accepted: number; ignored: number }>;

/** What the audit route needs. */
export interface AuditRouteDeps {
  auditIngest: AuditIngest;
  clock: Clock;
  metrics: MetricsRegistry;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  auditToken?: string;
  /** Accept a TLS client certificate the server's CA verified (instead of, or besides, the token). */
  clientCertificates?: boolean;
  /** Largest body accepted, in bytes. */
  bodyLimit: number;
  /** Bytes of audit bodies received or ingested at once; past it, 429 (history-api/limits.ts). */
  maxInflightBytes?: number;
}

/** Default audit body limit: a 400-event batch at level RequestResponse can be several MB. */
export const DEFAULT_AUDIT_BODY_LIMIT = 64 * 1024 * 1024;

export const AUDIT_API_VERSIONS = ['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'] as const;

const eventListSchema = z.looseObject({
  apiVersion: z.enum(AUDIT_API_VERSIONS, { error: `must be one of ${AUDIT_API_VERSIONS.join(', ')}` }),
  kind: z.literal('EventList', { error: 'must be EventList' }),
  // Go marshals an empty batch's nil slice as null.
  items: z.array(z.looseObject({}), { error: 'must be a list of audit events' }).nullable(),
}).meta({ description: 'An audit.k8s.io/v1 (or v1beta1) EventList, as the kube-apiserver webhook backend sends it' });

const ingestResponse = z.object({ accepted: z.number().int(), ignored: z.number().int() });

/** Registers POST /v1/audit. */
export function registerAuditRoute(app: FastifyInstance, deps: AuditRouteDeps): void {
  const batches = deps.metrics.counter({
    name: 'kubetime_audit_batches_total',
    help: 'Audit webhook requests by result (ok, invalid, unauthenticated, too_large, throttled, unavailable, error).',
    labelNames: ['result'],
  });
  const events = deps.metrics.counter({
    name: 'kubetime_audit_events_total',
    help: 'Audit events received by the webhook sink, by result (accepted: recorded a change; ignored: not a change or a duplicate).',
    labelNames: ['result'],
  });
  const expected = deps.auditToken ? digest(`Bearer ${deps.auditToken}`) : undefined;
  const inflight = deps.maxInflightBytes ? new InflightBytes(deps.maxInflightBytes, deps.bodyLimit) : undefined;

  app.withTypeProvider<ZodTypeProvider>().post('/v1/audit', {
    bodyLimit: deps.bodyLimit,
    schema: {
      tags: ['audit'],
      operationId: 'postAudit',
      summary: 'Kubernetes audit webhook sink',
      body: eventListSchema,
      response: {
        200: ingestResponse,
        400: errorSchema, 401: errorSchema, 413: errorSchema, 429: errorSchema, 503: errorSchema,
      },
    },
    // Authenticate before the (possibly large) body is read or parsed.
    onRequest: async (req, reply) => {
      const required = !!expected || !!deps.clientCertificates;
      if (required && !(expected && authorized(req, expected)) && !(deps.clientCertificates && certified(req))) return rejectUnauthenticated(reply);
      if (inflight && !inflight.admit(req, reply)) return reply;
    },
    onRequestAbort: async (req) => inflight?.release(req),
    onResponse: async (req, reply) => {
      inflight?.release(req);
      batches.inc({ result: resultOf(reply.statusCode) });
    },
  }, async (req) => {
    const receivedAt = deps.clock.now();
    const result = await deps.auditIngest(req.body, receivedAt);
    events.inc({ result: 'accepted' }, result.accepted);
    events.inc({ result: 'ignored' }, result.ignored);
    return { accepted: result.accepted, ignored: result.ignored };
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function authorized(req: FastifyRequest, expected: Buffer): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return false;
  const m = /^bearer\s+(.+)$/i.exec(header.trim());
  // Comparing digests keeps the comparison constant-time whatever the token's length.
  return m !== null && timingSafeEqual(digest(`Bearer ${m[1]}`), expected);
}

/** Whether the request came over TLS with a client certificate the server's CA verified. */
function certified(req: FastifyRequest): boolean {
  const socket = req.raw.socket as { authorized?: boolean; encrypted?: boolean };
  return socket.encrypted === true && socket.authorized === true;
}

function rejectUnauthenticated(reply: FastifyReply): FastifyReply {
  const { status, body } = errorResponse(new KubetimeError('UNAUTHENTICATED', 'Authorization: a valid bearer token is required', { param: 'Authorization' }));
  return reply.code(status).header('www-authenticate', 'Bearer realm="kubetime"').send(body);
}

function resultOf(status: number): string {
  if (status < 300) return 'ok';
  if (status === 401) return 'unauthenticated';
  if (status === 413) return 'too_large';
  if (status === 429) return 'throttled';
  if (status === 503) return 'unavailable';
  if (status < 500) return 'invalid';
  return 'error';
}
