/**
 * The history API server (API.md "HTTP API"). `buildServer` wires the routes, validation, error
 * mapping, metrics and OpenAPI docs onto a fastify instance and returns it without listening;
 * cli/ decides the port, and tests call `.inject()`.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { KubetimeError } from '../core/errors.ts';
import type { HistoryQueries } from '../core/query-types.ts';
import type { Clock } from '../core/time.ts';
import { logCall, VIA_HEADER } from './call-log.ts';
import { errorResponse, toKubetimeError } from './errors.ts';
import { MetricsRegistry } from './metrics.ts';
import { DEFAULT_AUDIT_BODY_LIMIT, registerAuditRoute } from './routes/audit.ts';
import type { AuditIngest } from './routes/audit.ts';
import { registerOpsRoutes } from './routes/ops.ts';
import { registerQueryRoutes } from './routes/queries.ts';
import { queryFacts, registerReadAuth, TRUSTED_READS, type ReadAuth } from './auth/read-auth.ts';
import { registerMcpRoute } from './mcp/http.ts';
import { DEFAULT_AUDIT_MAX_INFLIGHT_BYTES, timeoutOptions } from './limits.ts';
import { loggableUrl } from './log-url.ts';
import { registerFailuresRoute } from './routes/failures.ts';
import { registerKubeFace } from './kube-face/index.ts';
import { registerUiRoutes } from './ui/route.ts';

/** Everything the server needs; cli/ builds these from the configuration. */
export interface ServerDeps {
  queries: HistoryQueries;
  clock: Clock;
  /** A pino logger (fastify's logger type); the server logs through a child of it. */
  logger: FastifyBaseLogger;
  /** The audit sink's ingest function; absent = no POST /v1/audit (a read-only API). */
  auditIngest?: AuditIngest;
  /** When set, POST /v1/audit requires `Authorization: Bearer <auditToken>`. */
  auditToken?: string;
  /** PEM CA (with `https`): POST /v1/audit accepts a client certificate it signed (or the token). */
  auditClientCa?: string | Buffer;
  /** Largest audit body accepted, in bytes (default 64 MiB). */
  auditBodyLimit?: number;
  /** Readiness check for /readyz (e.g. the store answers); absent = always ready. */
  ready?: () => Promise<boolean>;
  /** Serve https with this PEM certificate and key (both file contents). */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** The process's metrics registry, shared with the other components; default: a new one. */
  metrics?: MetricsRegistry;
  /** Who may read (auth/read-auth.ts); default: every read trusted (tests, loopback). */
  readAuth?: ReadAuth;
  /** Serve MCP (streamable HTTP) at /mcp: the tools' answer budget in tokens, and the deep links' base URL. */
  mcp?: { budgetTokens?: number; linkBase?: string };
  /** A request's headers and body must arrive within this, ms (default 30 s; history-api/limits.ts). */
  requestTimeoutMs?: number;
  /** Bytes of audit bodies in flight at once before 429 (default 256 MiB; history-api/limits.ts). */
  auditMaxInflightBytes?: number;
}

/** The server as buildServer returns it. */
export type HistoryServer = FastifyInstance;

const OPS_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** Builds the history API on a new fastify instance (not listening). */
export function buildServer(deps: ServerDeps): HistoryServer {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const timeouts = timeoutOptions(deps.requestTimeoutMs);
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'history-api' }),
    // One line per request is logged by instrument(); fastify's own pair of lines is off.
    logController: new LogController({ disableRequestLogging: true }),
    // Keep the contract's error shape for errors raised before routing (e.g. a malformed URL).
    frameworkErrors: (err, req, reply) => sendError(err, req, reply),
    // A body sent slowly is cut (history-api/limits.ts).
    ...timeouts,
    // kube-apiserver sends the audit webhook's bearer token only over https.
    ...(deps.https ? { https: { ...deps.https, ...timeouts.http, ...clientCertOptions(deps.auditClientCa) } } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  // Responses are plain JSON; the zod response schemas document the API (see schemas.ts).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler((err: FastifyError, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!.slice(0, 200);
    sendError(new KubetimeError('NOT_FOUND', `no route ${req.method} ${path}`, { method: req.method, path }), req, reply);
  });
  instrument(app, metrics);
  registerReadAuth(app, deps.readAuth ?? TRUSTED_READS);

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'kubetime history API', version: '1', description: 'Time-travel history for Kubernetes objects (API.md).' },
    },
    transform: jsonSchemaTransform,
  });
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  // Routes go in a plugin so that they are added after swagger's onRoute hook is in place.
  app.register(async (scope) => {
    registerQueryRoutes(scope, deps);
    registerFailuresRoute(scope, deps);
    registerOpsRoutes(scope, { metrics, ready: deps.ready });
    registerKubeFace(scope, deps);
    registerUiRoutes(scope);
    if (deps.mcp) registerMcpRoute(scope, { app, ...deps.mcp });
    if (deps.auditIngest) {
      registerAuditRoute(scope, {
        auditIngest: deps.auditIngest,
        clock: deps.clock,
        metrics,
        auditToken: deps.auditToken,
        clientCertificates: !!(deps.https && deps.auditClientCa),
        bodyLimit: deps.auditBodyLimit ?? DEFAULT_AUDIT_BODY_LIMIT,
        maxInflightBytes: deps.auditMaxInflightBytes ?? DEFAULT_AUDIT_MAX_INFLIGHT_BYTES,
      });
    }
  });
  return app;
}

/** TLS options asking clients for a certificate signed by `ca`; the audit route decides (others ignore it). */
function clientCertOptions(ca: string | Buffer | undefined): { ca?: string | Buffer; requestCert?: boolean; rejectUnauthorized?: boolean } {
  return ca ? { ca, requestCert: true, rejectUnauthorized: false } : {};
}

function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const ke = toKubetimeError(err);
  const { status, body } = errorResponse(ke);
  if (status >= 500) req.log.error({ err: ke.cause ?? ke, code: ke.code }, 'request failed');
  else req.log.debug({ code: ke.code, message: ke.message }, 'request rejected');
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Request count and latency per route template; one log line per request (probes at debug). */
function instrument(app: FastifyInstance, metrics: MetricsRegistry): void {
  const requests = metrics.counter({
    name: 'kubetime_http_requests_total',
    help: 'HTTP requests served by the history API, by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
  });
  const duration = metrics.histogram({
    name: 'kubetime_http_request_duration_seconds',
    help: 'Time to serve an HTTP request of the history API, in seconds.',
    labelNames: ['method', 'route'],
  });
  const sizes = new WeakMap<FastifyRequest, number>();
  app.addHook('onSend', async (req, _reply, payload) => {
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) sizes.set(req, Buffer.byteLength(payload));
    return payload;
  });
  traceRequests(app);
  app.addHook('onResponse', async (req, reply) => {
    // Unmatched paths share one label value so that scanners cannot explode the series count.
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, seconds);
    if (route.startsWith('/v1/') && req.method === 'GET') {
      // The tool-call log (call-log.ts); a query made for an MCP tool call is logged there, so here at debug.
      const via = req.headers[VIA_HEADER];
      const { args, user, groups, asOf, items } = queryFacts(req);
      const caller = { user, ...(groups ? { groups } : {}), ip: req.ip, ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}), ...(via ? { via } : {}) };
      logCall(req.log, { surface: 'http', call: route, args, caller, ...(asOf !== undefined ? { asOf } : {}), ...(items !== undefined ? { items } : {}), status: reply.statusCode, bytes: sizes.get(req) ?? 0, ms: reply.elapsedTime }, via ? 'debug' : 'info');
      return;
    }
    if (route.startsWith('/k8s/')) return; // the Kubernetes face writes its own call line (kube-face/)
    const level = OPS_ROUTES.has(route) ? 'debug' : 'info';
    req.log[level]({ method: req.method, url: loggableUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
}

const tracer = trace.getTracer('kubetime.history-api');
/** The query parameters a request span carries as attributes (kubetime.<name>). */
const TRACED_PARAMS = ['kind', 'namespace', 'name', 'at', 'from', 'to', 'labelSelector', 'limit'];

/**
 * One server span per request (`GET /v1/object`, …), continuing a caller's `traceparent`; the
 * handler runs in its context, so the query's store spans are its children. It carries the
 * route, the status, the query's kind, namespace and times, and the result size in bytes. A
 * no-op unless cli/ started the tracing SDK.
 */
function traceRequests(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(`${req.method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.url.split('?')[0]!.slice(0, 200) },
    }, parent);
    spans.set(req, span);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('preHandler', async (req) => {
    const span = spans.get(req);
    const q = req.query as Record<string, unknown> | undefined;
    if (!span || !q || typeof q !== 'object') return;
    for (const p of TRACED_PARAMS) if (q[p] !== undefined) span.setAttribute(`kubetime.${p}`, String(q[p]));
  });
  app.addHook('onSend', async (req, _reply, payload) => {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : undefined;
    if (size !== undefined) spans.get(req)?.setAttribute('kubetime.result.bytes', size);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const span = spans.get(req);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  app.addHook('onRequestAbort', async (req) => {
    spans.get(req)?.setStatus({ code: SpanStatusCode.ERROR, message: 'client went away' });
    spans.get(req)?.end();
  });
}
