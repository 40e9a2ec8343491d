/**
 * The read endpoints of API.md: each validates its query (schemas.ts), resolves times against
 * one `now` per request, calls HistoryQueries and presents the result with RFC 3339 times.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HistoryQueries } from '../../core/query-types.ts';
import type { Clock } from '../../core/time.ts';
import { DEFAULT_HOPS, resolveTime, resolveWindow } from '../params.ts';
import {
  presentChanges,
  presentClusters,
  presentDiff,
  presentGraph,
  presentHistory,
  presentListAt,
  presentObjectAt,
} from '../present.ts';
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
  registerAtRoutes(app, deps);
  registerWindowRoutes(app, deps);
}

/** The queries about one time `at`. */
function registerAtRoutes(app: FastifyInstance, { queries, clock }: QueryRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/object', {
    schema: { tags, summary: 'One object as it was at a time', querystring: s.objectQuery, response: { 200: s.objectResponse, ...s.queryErrors } },
  }, async (req) => {
    const q = req.query;
    const at = resolveTime(q.at, 'at', clock.now());
    return presentObjectAt(await queries.objectAt({ viewer: req.viewer, cluster: q.cluster, kind: q.kind, namespace: q.namespace, name: q.name, at }));
  });

  r.get('/v1/objects', {
    schema: { tags, summary: 'The objects of a kind as they were at a time', querystring: s.objectsQuery, response: { 200: s.objectsResponse, ...s.queryErrors } },
  }, async (req) => {
    const { at, ...q } = req.query;
    return presentListAt(await queries.listAt({ viewer: req.viewer, ...q, at: resolveTime(at, 'at', clock.now()) }));
  });

  r.get('/v1/graph', {
    schema: { tags, summary: 'The objects related to one object at a time', querystring: s.graphQuery, response: { 200: s.graphResponse, ...s.queryErrors } },
  }, async (req) => {
    const { at, hops, ...q } = req.query;
    return presentGraph(await queries.graph({ viewer: req.viewer, ...q, at: resolveTime(at, 'at', clock.now()), hops: hops ?? DEFAULT_HOPS }));
  });
}

/** The queries about a window `from`..`to`, and the cluster list. */
function registerWindowRoutes(app: FastifyInstance, { queries, clock }: QueryRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/history', {
    schema: { tags, summary: 'Every revision of one object, oldest first', querystring: s.historyQuery, response: { 200: s.historyResponse, ...s.queryErrors } },
  }, async (req) => {
    const { from, to, ...q } = req.query;
    return presentHistory(await queries.history({ viewer: req.viewer, ...q, ...resolveWindow(from, to, clock.now()) }));
  });

  r.get('/v1/diff', {
    schema: {
      tags,
      summary: 'What changed between two times: one object (with name) or every object of a kind in scope',
      querystring: s.diffQuery,
      response: { 200: z.union([s.diffObjectResponse, s.diffScopeResponse]), ...s.queryErrors },
    },
  }, async (req) => {
    const { from, to, name, labelSelector, ...q } = req.query;
    const window = resolveWindow(from, to, clock.now());
    if (name !== undefined) return presentDiff(await queries.diffObject({ viewer: req.viewer, ...q, name, ...window }));
    return presentDiff(await queries.diffScope({ viewer: req.viewer, ...q, labelSelector, ...window }));
  });

  r.get('/v1/changes', {
    schema: { tags, summary: 'The change feed in a window, newest first', querystring: s.changesQuery, response: { 200: s.changesResponse, ...s.queryErrors } },
  }, async (req) => {
    const { from, to, ...q } = req.query;
    return presentChanges(await queries.changes({ viewer: req.viewer, ...q, ...resolveWindow(from, to, clock.now()) }));
  });

  r.get('/v1/events', {
    schema: { tags, summary: 'Kubernetes Events about an object or namespace in a window', querystring: s.eventsQuery, response: { 200: s.eventsResponse, ...s.queryErrors } },
  }, async (req) => {
    const { from, to, ...q } = req.query;
    return queries.events({ viewer: req.viewer, ...q, ...resolveWindow(from, to, clock.now()) });
  });

  r.get('/v1/clusters', {
    schema: { tags, summary: 'The clusters in the store', response: { 200: s.clustersResponse, 401: s.queryErrors[401], 503: s.queryErrors[503] } },
  }, async (req) => presentClusters(await queries.clusters({ viewer: req.viewer })));
}
