/**
 * The read endpoints of API.md: each validates its query (schemas.ts; an unknown parameter is a
 * 400 naming it), resolves times against one `now` per request, calls HistoryQueries and
 * presents the result (present.ts, core/present) with RFC 3339 times and the `asOf` it is about.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { TRUSTED_VIEWER } from '../../core/access.ts';
import { invalidArgument } from '../../core/errors.ts';
import { hasBuiltinColumns, parseFields, printerColumnsOf, type PrinterColumn } from '../../core/present/index.ts';
import type { HistoryQueries } from '../../core/query-types.ts';
import type { KubeObject } from '../../core/record.ts';
import { formatTime, type Clock, type Micros } from '../../core/time.ts';
import { DEFAULT_HOPS, resolveAt, resolveWindow } from '../params.ts';
import {
  presentChanges,
  presentClusters,
  presentDiff,
  presentEvents,
  presentGraph,
  presentHistory,
  presentListAt,
  presentListAtText,
  presentObjectAt,
} from '../present.ts';
import { noteAnswer } from '../auth/read-auth.ts';
import * as s from '../schemas.ts';
import { z } from 'zod';

/** What the query routes need. */
export interface QueryRouteDeps {
  queries: HistoryQueries;
  clock: Clock;
}

const tags = ['history'];

/** Registers /v1/object, /v1/objects, /v1/history, /v1/diff, /v1/graph, /v1/changes, /v1/events, /v1/clusters. */
export function registerQueryRoutes(app: FastifyInstance, deps: QueryRouteDeps): void {
  app.addHook('preValidation', rejectUnknownParams);
  registerAtRoutes(app, deps);
  registerWindowRoutes(app, deps);
}

/** An unknown query parameter is a 400 naming it (a typo must not silently widen an answer). */
async function rejectUnknownParams(req: FastifyRequest): Promise<void> {
  const schema = req.routeOptions.schema?.querystring as { shape?: Record<string, unknown> } | undefined;
  if (!schema?.shape) return;
  const known = Object.keys(schema.shape);
  const unknown = Object.keys((req.query ?? {}) as object).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw invalidArgument(unknown[0]!, `unknown query parameter${unknown.length > 1 ? `s (${unknown.join(', ')})` : ''}; ${req.routeOptions.url} takes ${known.join(', ')}`, { unknown, known });
  }
}

/**
 * A custom resource's printer columns as of `at`, from its CRD in the store (summary rows of a
 * kind without built-in columns); undefined when the kind is built in or no CRD is found.
 */
export async function printerColumns(queries: HistoryQueries, cluster: string | undefined, obj: KubeObject | undefined, at: Micros): Promise<PrinterColumn[] | undefined> {
  if (!obj || hasBuiltinColumns(String(obj.kind))) return undefined;
  const [group, version] = String(obj.apiVersion ?? '').includes('/') ? String(obj.apiVersion).split('/') : ['', String(obj.apiVersion ?? '')];
  if (!group) return undefined;
  try {
    // A CRD's printer columns are how its kind is shown, not data of the reader's namespaces: the
    // lookup reads the definitions as a trusted caller; the objects themselves stay filtered.
    const crds = await queries.listAt({ viewer: TRUSTED_VIEWER, cluster, kind: 'customresourcedefinitions.apiextensions.k8s.io', at, limit: 5000 });
    const crd = crds.items.find((c) => {
      const spec = (c.spec ?? {}) as { group?: string; names?: { kind?: string } };
      return spec.group === group && spec.names?.kind === obj.kind;
    });
    return crd ? printerColumnsOf(crd, version) : undefined;
  } catch {
    return undefined; // no CRDs recorded: NAME and AGE
  }
}

const fieldsOf = (text: string | undefined) => (text === undefined ? undefined : parseFields(text));

/** The queries about one time `at`. */
function registerAtRoutes(app: FastifyInstance, { queries, clock }: QueryRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/object', {
    schema: { tags, operationId: 'getObject', summary: 'One object as it was at a time', querystring: s.objectQuery, response: { 200: s.objectResponse, ...s.queryErrors } },
  }, async (req) => {
    const { at, view = 'raw', wide, fields, ...q } = req.query;
    const fieldPaths = fieldsOf(fields);
    const answer = await queries.objectAt({ viewer: req.viewer, ...q, at: resolveAt(at, clock.now()) });
    const columns = view === 'summary' ? await printerColumns(queries, answer.cluster, answer.object, answer.at) : undefined;
    return presentObjectAt(answer, { view, wide, fields: fieldPaths, printerColumns: columns });
  });

  r.get('/v1/objects', {
    schema: { tags, operationId: 'listObjects', summary: 'The objects of a kind as they were at a time', querystring: s.objectsQuery, response: { 200: s.objectsResponse, ...s.queryErrors } },
  }, async (req, reply) => {
    const { at, view = 'raw', wide, fields, ...q } = req.query;
    const fieldPaths = fieldsOf(fields);
    // Rows alone (no projection): the store may answer slim objects instead of rebuilding them.
    const summary = view === 'summary' && !fieldPaths?.length;
    // Manifests alone: the store may answer each object's JSON text, joined without a parse (presentListAtText).
    const text = view !== 'summary' && !fieldPaths?.length ? view : undefined;
    const answer = await queries.listAt({ viewer: req.viewer, ...q, at: resolveAt(at, clock.now()), ...(summary ? { summary } : {}), ...(text ? { text } : {}) });
    if (answer.texts) {
      noteAnswer(req, { items: answer.texts.length, asOf: formatTime(answer.at) });
      const body = presentListAtText({ ...answer, texts: answer.texts }, { view, wide, fields: fieldPaths }, q.namespace === undefined);
      // The text of an objectsResponse, serialized already (fastify sends a string with a JSON content type as it is).
      return reply.type('application/json; charset=utf-8').send(body as unknown as z.infer<typeof s.objectsResponse>);
    }
    const columns = view === 'summary' ? await printerColumns(queries, answer.cluster, answer.items[0], answer.at) : undefined;
    return presentListAt(answer, { view, wide, fields: fieldPaths, printerColumns: columns }, q.namespace === undefined);
  });

  r.get('/v1/graph', {
    schema: { tags, operationId: 'getGraph', summary: 'The objects related to one object at a time', querystring: s.graphQuery, response: { 200: s.graphResponse, ...s.queryErrors } },
  }, async (req) => {
    const { at, hops, ...q } = req.query;
    return presentGraph(await queries.graph({ viewer: req.viewer, ...q, at: resolveAt(at, clock.now()), hops: hops ?? DEFAULT_HOPS }));
  });
}

/** The queries about a window `from`..`to`, and the cluster list. */
function registerWindowRoutes(app: FastifyInstance, { queries, clock }: QueryRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/history', {
    schema: { tags, operationId: 'getHistory', summary: 'Every revision of one object, oldest first', querystring: s.historyQuery, response: { 200: s.historyResponse, ...s.queryErrors } },
  }, async (req) => {
    const { from, to, view = 'raw', ...q } = req.query;
    const now = clock.now();
    // An open end is resolved once (now), so every page reads the same window.
    const window = resolveWindow(from, to ?? 'now', now);
    return presentHistory(await queries.history({ viewer: req.viewer, ...q, ...window }), view, now);
  });

  r.get('/v1/diff', {
    schema: {
      tags,
      operationId: 'diff',
      summary: 'What changed between two times: one object (with name) or every object of a kind in scope',
      querystring: s.diffQuery,
      response: { 200: z.union([s.diffObjectResponse, s.diffScopeResponse]), ...s.queryErrors },
    },
  }, async (req) => {
    const { from, to, name, labelSelector, view, limit, continue: token, ...q } = req.query;
    const window = resolveWindow(from, to, clock.now());
    if (name !== undefined) {
      // One object's diff is one answer, never cut: limit and continue page only a scope.
      return presentDiff(await queries.diffObject({ viewer: req.viewer, ...q, name, ...window }), view ?? 'raw');
    }
    return presentDiff(await queries.diffScope({ viewer: req.viewer, ...q, labelSelector, limit, continue: token, ...window }), view ?? 'summary');
  });

  r.get('/v1/changes', {
    schema: { tags, operationId: 'listChanges', summary: 'The change feed in a window, newest first', querystring: s.changesQuery, response: { 200: s.changesResponse, ...s.queryErrors } },
  }, async (req) => {
    const { from, to, ...q } = req.query;
    return presentChanges(await queries.changes({ viewer: req.viewer, ...q, ...resolveWindow(from, to, clock.now()) }));
  });

  r.get('/v1/events', {
    schema: { tags, operationId: 'listEvents', summary: 'Kubernetes Events about an object or namespace in a window, newest first', querystring: s.eventsQuery, response: { 200: s.eventsResponse, ...s.queryErrors } },
  }, async (req) => {
    const { from, to, view = 'raw', ...q } = req.query;
    const answer = await queries.events({ viewer: req.viewer, ...q, aggregate: view === 'summary', ...resolveWindow(from, to, clock.now()) });
    return presentEvents(answer, view);
  });

  r.get('/v1/clusters', {
    schema: { tags, operationId: 'listClusters', summary: 'The clusters in the store', response: { 200: s.clustersResponse, 401: s.queryErrors[401], 503: s.queryErrors[503] } },
  }, async (req) => presentClusters(await queries.clusters({ viewer: req.viewer })));
}
