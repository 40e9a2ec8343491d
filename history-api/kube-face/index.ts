/**
 * The Kubernetes face: a read-only Kubernetes API as of a time, so that kubectl and client
 * libraries can be pointed at the past (docs/kube-face.md):
 *
 *   kubectl --server http://127.0.0.1:8080/k8s/at/2026-12-07T09:00:00Z get pods -n shop
 *
 * `/k8s/at/{T}/…` (and `/k8s/clusters/{cluster}/at/{T}/…` for a store of several clusters)
 * answers discovery, GET of one object and LIST, as JSON or as a Table, from the same queries,
 * access rules (req.viewer) and presentation as every other surface. Failures are Kubernetes
 * `Status` bodies; writes and watches are 405.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isKubetimeError, KubetimeError, invalidArgument } from '../../core/errors.ts';
import { BUILTIN_KINDS, type KindInfo } from '../../core/kinds.ts';
import type { HistoryQueries } from '../../core/query-types.ts';
import { formatTime, type Clock } from '../../core/time.ts';
import { logCall } from '../call-log.ts';
import { resolveAt } from '../params.ts';
import { apiGroupList, apiGroupOf, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { parseKubePath } from './paths.ts';
import { serveObjects, type Asked } from './objects.ts';
import { kubeStatus, methodNotAllowed, statusOf, type KubeStatus } from './status.ts';

export interface KubeFaceDeps {
  queries: HistoryQueries;
  clock: Clock;
}

/** The response header that names the resolved as-of time of every answer. */
export const AS_OF_HEADER = 'x-kubetime-as-of';

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** `watch=true` (or `1`): a watch, which the past cannot serve. */
const isWatch = (q: Record<string, unknown>) => q.watch === 'true' || q.watch === '1';

function sendStatus(reply: FastifyReply, status: KubeStatus): FastifyReply {
  return reply.code(status.code).type('application/json').send(status);
}

/** Registers the Kubernetes face in its own scope (its own error handler: Status bodies). */
export function registerKubeFace(app: FastifyInstance, deps: KubeFaceDeps): void {
  app.register(async (scope) => {
    scope.setErrorHandler((err, req, reply) => {
      // A write is 405 whatever else is wrong with it (an unparsable patch body, an unknown media
      // type), once its caller is authenticated.
      const write = req.method !== 'GET' && req.method !== 'HEAD' && !(isKubetimeError(err) && err.code === 'UNAUTHENTICATED');
      const status = write ? methodNotAllowed(req.method) : statusOf(err);
      if (status.code >= 500) req.log.error({ err }, 'kube face request failed');
      return sendStatus(reply, status);
    });
    scope.addHook('onResponse', async (req, reply) => logKubeCall(req, reply));
    // Not in /openapi.json: this is the Kubernetes API's shape, documented in docs/kube-face.md.
    const schema = { hide: true };
    for (const url of ['/k8s/at/:at/*', '/k8s/clusters/:cluster/at/:at/*']) {
      scope.get(url, { schema }, (req, reply) => serve(req, reply, deps));
      scope.route({ method: [...WRITE_METHODS], url, schema, handler: (req, reply) => sendStatus(reply, methodNotAllowed(req.method)) });
    }
  });
}

/**
 * One request. Discovery does not depend on T (the catalog is every kind ever served or recorded),
 * so a bad or future T reaches kubectl as the objects request's readable 400, not as a discovery
 * failure. T is resolved once per request.
 */
async function serve(req: FastifyRequest, reply: FastifyReply, deps: KubeFaceDeps): Promise<FastifyReply> {
  const params = req.params as { at: string; cluster?: string; '*': string };
  const query = (req.query ?? {}) as Record<string, unknown>;
  if (isWatch(query)) return sendStatus(reply, methodNotAllowed('watch'));
  const path = parseKubePath(params['*']);
  const asked = { viewer: req.viewer, cluster: params.cluster };
  switch (path.type) {
    case 'version': return reply.send(versionInfo());
    case 'api': return reply.send(apiVersions());
    case 'apis': return reply.send(apiGroupList(await discoveryKinds(deps.queries, asked)));
    case 'group': return sendOr404(reply, apiGroupOf(await discoveryKinds(deps.queries, asked), path.group));
    case 'resources': return sendOr404(reply, apiResourceList(await discoveryKinds(deps.queries, asked), path.group, path.version));
    case 'openapi': return sendStatus(reply, kubeStatus(404, 'kubetime does not serve OpenAPI documents; kubectl works without them'));
    case 'unknown': return sendStatus(reply, kubeStatus(404, 'the server could not find the requested resource'));
    case 'objects': {
      const at = resolveAt(params.at, deps.clock.now(), 'at');
      void reply.header(AS_OF_HEADER, formatTime(at));
      const kinds = await kindsOf(deps.queries, asked);
      const { body, status } = await serveObjects(deps.queries, kinds, path, { ...asked, at, query, accept: req.headers.accept }, formatTime(at));
      // Spelled out: a {Kind}List may come as JSON text already (objects.ts), which fastify sends as it is.
      return reply.code(status).type('application/json; charset=utf-8').send(body);
    }
  }
}

function sendOr404(reply: FastifyReply, body: Record<string, unknown> | undefined): FastifyReply {
  return body ? reply.send(body) : sendStatus(reply, kubeStatus(404, 'the server could not find the requested resource'));
}

/**
 * Discovery's kinds: the built-in ones when the cluster cannot be resolved (unknown, or several
 * stored and none named), since kubectl shows a discovery failure without its message; the
 * objects request that follows then answers the readable 400.
 */
async function discoveryKinds(queries: HistoryQueries, asked: Pick<Asked, 'viewer' | 'cluster'>): Promise<readonly KindInfo[]> {
  try {
    return await kindsOf(queries, asked);
  } catch (e) {
    if (e instanceof KubetimeError && e.code === 'INVALID_ARGUMENT') return BUILTIN_KINDS;
    throw e;
  }
}

/** The kind catalog of the request's cluster; with several clusters stored, the error says how to name one. */
async function kindsOf(queries: HistoryQueries, asked: Pick<Asked, 'viewer' | 'cluster'>): Promise<readonly KindInfo[]> {
  try {
    return (await queries.kinds({ viewer: asked.viewer, cluster: asked.cluster })).items;
  } catch (e) {
    if (e instanceof KubetimeError && e.code === 'INVALID_ARGUMENT' && asked.cluster === undefined) {
      throw invalidArgument('cluster', `${e.message}; point kubectl at /k8s/clusters/{cluster}/at/{T}`, e.details);
    }
    throw e;
  }
}

/** The call log line (call-log.ts) of every Kubernetes-face request, with surface `kube`. */
function logKubeCall(req: FastifyRequest, reply: FastifyReply): void {
  const params = (req.params ?? {}) as { at?: string; '*'?: string };
  const asOf = reply.getHeader(AS_OF_HEADER);
  const subject = req.viewer?.subject;
  logCall(req.log, {
    surface: 'kube', call: `${req.method} /${params['*'] ?? ''}`, args: (req.query ?? {}) as Record<string, unknown>,
    caller: { user: subject?.user ?? null, ...(subject ? { groups: subject.groups } : {}), ip: req.ip, ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}) },
    ...(asOf !== undefined ? { asOf } : {}), status: reply.statusCode, bytes: Number(reply.getHeader('content-length') ?? 0), ms: reply.elapsedTime,
  });
}
