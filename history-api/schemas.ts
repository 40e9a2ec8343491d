/**
 * Request and response schemas of every endpoint (API.md). Query schemas validate requests; the
 * response schemas document the API in /openapi.json and are checked against real responses in
 * the tests (responses are serialised with plain JSON.stringify, so a schema slip cannot turn a
 * good answer into a 500).
 */
import { z } from 'zod';
import { EDGE_TYPES } from '../core/query-types.ts';
import { OPS } from '../core/record.ts';
import {
  actorParam,
  boolParam,
  clusterParam,
  continueParam,
  eventTypeParam,
  fieldsParam,
  hopsParam,
  kindParam,
  limitParam,
  nameParam,
  namespaceParam,
  orderParam,
  reasonParam,
  selectorParam,
  timeParam,
  viewParam,
} from './params.ts';

const manifestView = viewParam('raw', 'raw: the manifest as returned; full: without managedFields and the last-applied annotation; summary: a kubectl-get-like row');

const wideParam = boolParam('With view=summary: also the columns kubectl prints with -o wide (a Pod\'s IP, a Node\'s addresses and OS, a workload\'s containers, images and selector); default false');

const labelSelector = selectorParam('Label selector, as kubectl -l takes it (app=web,tier in (a,b))');
const fieldSelector = selectorParam('Field selector (metadata.name=web,status.phase!=Running)');

export const objectQuery = z.object({
  kind: kindParam,
  name: nameParam,
  namespace: namespaceParam.optional(),
  at: timeParam('The time to look at (not later than now)'),
  view: manifestView.optional(),
  wide: wideParam.optional(),
  fields: fieldsParam.optional(),
  cluster: clusterParam.optional(),
});

export const objectsQuery = z.object({
  kind: kindParam,
  namespace: namespaceParam.optional(),
  labelSelector: labelSelector.optional(),
  fieldSelector: fieldSelector.optional(),
  at: timeParam('The time to look at (not later than now)'),
  view: manifestView.optional(),
  wide: wideParam.optional(),
  fields: fieldsParam.optional(),
  limit: limitParam.optional(),
  continue: continueParam.optional(),
  cluster: clusterParam.optional(),
});

export const historyQuery = z.object({
  kind: kindParam,
  name: nameParam,
  namespace: namespaceParam.optional(),
  from: timeParam('Start of the window (inclusive); default: the beginning').optional(),
  to: timeParam('End of the window (inclusive); default: now').optional(),
  limit: limitParam.optional(),
  continue: continueParam.optional(),
  objects: boolParam('Include every revision\'s full object (default false: only the first)').optional(),
  view: viewParam('raw', 'How the revisions\' objects are shown: raw, full (without managedFields and last-applied) or summary rows').optional(),
  cluster: clusterParam.optional(),
});

export const diffQuery = z.object({
  kind: kindParam,
  name: nameParam.optional().meta({ description: 'Object name; absent = diff every object of the kind in scope' }),
  namespace: namespaceParam.optional(),
  from: timeParam('The earlier time'),
  to: timeParam('The later time'),
  labelSelector: labelSelector.optional(),
  raw: boolParam('Keep metadata.managedFields, resourceVersion and generation in patches').optional(),
  view: viewParam('raw for one object, summary for a scope', 'How before/after (one object) or created and deleted objects (a scope) are shown').optional(),
  limit: limitParam.optional(),
  continue: continueParam.optional(),
  cluster: clusterParam.optional(),
});

export const graphQuery = z.object({
  kind: kindParam,
  name: nameParam,
  namespace: namespaceParam.optional(),
  at: timeParam('The time to look at (not later than now)'),
  hops: hopsParam.optional(),
  limit: limitParam.optional(),
  continue: continueParam.optional(),
  cluster: clusterParam.optional(),
});

export const changesQuery = z.object({
  from: timeParam('Start of the window (inclusive)'),
  to: timeParam('End of the window (inclusive)'),
  namespace: namespaceParam.optional(),
  kind: kindParam.optional(),
  name: nameParam.optional(),
  actor: actorParam.optional(),
  excludeSystem: boolParam('Leave out changes by system: users (controllers, kubelets, the scheduler); default false').optional(),
  limit: limitParam.optional(),
  continue: continueParam.optional(),
  cluster: clusterParam.optional(),
});

export const eventsQuery = z.object({
  from: timeParam('Start of the window (inclusive)'),
  to: timeParam('End of the window (inclusive)'),
  namespace: namespaceParam.optional(),
  kind: kindParam.optional(),
  name: nameParam.optional(),
  type: eventTypeParam.optional(),
  reason: reasonParam.optional(),
  order: orderParam.optional(),
  view: viewParam('raw', 'raw/full: Event objects; summary: Events folded by (object, reason, message) with count, first and last').optional(),
  limit: limitParam.optional(),
  continue: continueParam.optional(),
  cluster: clusterParam.optional(),
});

// ---- responses ----

export const time = z.string().meta({ description: 'RFC 3339 UTC', format: 'date-time' });
const kubeObject = z.record(z.string(), z.unknown()).meta({ description: 'A Kubernetes manifest as the API server returned it' });
export const actor = z.object({
  username: z.string(),
  groups: z.array(z.string()).optional(),
  userAgent: z.string().optional(),
  impersonatedUser: z.string().optional(),
});
const patchOp = z.object({ op: z.enum(['add', 'remove', 'replace']), path: z.string(), value: z.unknown().optional() });
export const ref = z.object({ kind: z.string(), namespace: z.string().optional(), name: z.string() });
const revisionFields = {
  ts: time,
  op: z.enum(OPS),
  resourceVersion: z.string(),
  source: z.string().meta({ description: 'watch, relist, audit, import, snapshot; merged sources joined with +' }),
  actor: actor.optional(),
  verb: z.string().optional(),
  gap: z.boolean().optional().meta({ description: 'True when the exact time is unknown (found by a relist)' }),
};

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});

const asOf = time.meta({ description: 'The moment the answer is about: `at`, or the end of the window (resolved once per request)' });
const cont = z.string().optional().meta({ description: 'Present when more items remain: pass it as `continue` for the next page' });
const summaryCells = z.array(z.union([z.string(), z.number()]));
const shown = z.union([kubeObject, z.record(z.string(), z.unknown())]).meta({ description: 'A manifest (view raw/full), a summary row (view=summary) or a projection (fields)' });
const valueChange = z.object({ path: z.string(), op: z.enum(['add', 'remove', 'replace']), old: z.unknown().optional(), new: z.unknown().optional() });

export const objectResponse = z.object({ cluster: z.string(), at: time, asOf, object: shown, revision: z.object(revisionFields) });
export const objectsResponse = z.object({
  cluster: z.string(), at: time, asOf,
  columns: z.array(z.string()).optional().meta({ description: 'view=summary: the column names; each item is then a row of cells' }),
  items: z.array(z.union([shown, summaryCells])),
  continue: cont,
});
export const historyResponse = z.object({
  cluster: z.string(),
  from: time.optional(),
  to: time.optional(),
  asOf,
  items: z.array(z.object({ ...revisionFields, uid: z.string(), patch: z.array(patchOp), object: shown.optional() })),
  continue: cont,
});
export const diffObjectResponse = z.object({
  cluster: z.string(),
  from: time,
  to: time,
  asOf,
  before: shown.nullable(),
  after: shown.nullable(),
  patch: z.array(patchOp),
  paths: z.array(z.string()),
  changes: z.array(valueChange).meta({ description: 'Each changed path with its old and new value (empty when the object was created or deleted within the window)' }),
  created: z.literal(true).optional().meta({ description: 'The object did not exist at `from`: `after` shows it' }),
  deleted: z.literal(true).optional().meta({ description: 'The object no longer existed at `to`: `before` shows it' }),
});
const scopeEntry = ref.extend({
  summary: z.record(z.string(), z.unknown()).optional().meta({ description: 'view=summary (default): the object as a summary row' }),
  object: kubeObject.optional().meta({ description: 'view=full or raw: the object (at `to` when added, at `from` when removed)' }),
});
export const diffScopeResponse = z.object({
  cluster: z.string(),
  from: time,
  to: time,
  asOf,
  added: z.array(scopeEntry),
  removed: z.array(scopeEntry),
  changed: z.array(z.object({ ref, patch: z.array(patchOp), changes: z.array(valueChange) })),
  continue: cont,
});
export const graphResponse = z.object({
  cluster: z.string(),
  at: time,
  nodes: z.array(ref.extend({ uid: z.string() })),
  edges: z.array(z.object({ from: ref, to: ref, type: z.enum(EDGE_TYPES) })),
  asOf,
  continue: cont,
  truncated: z.boolean().optional().meta({ description: 'Set when the graph reached its node or edge bound and was cut (docs/hardening.md)' }),
});
export const changesResponse = z.object({
  cluster: z.string(),
  from: time,
  to: time,
  asOf,
  items: z.array(z.object({ ...revisionFields, kind: z.string(), namespace: z.string(), name: z.string(), uid: z.string() })),
  continue: cont,
});
const eventGroup = z.object({
  type: z.string(), reason: z.string(), object: z.string(), namespace: z.string().optional(), message: z.string(),
  count: z.number(), first: time, last: time,
});
export const eventsResponse = z.object({
  cluster: z.string(), from: time, to: time, asOf,
  items: z.array(z.union([kubeObject, eventGroup])).meta({ description: 'Event objects, or with view=summary Events folded by (object, reason, message)' }),
  continue: cont,
});
export const clustersResponse = z.object({
  items: z.array(z.object({ name: z.string(), firstSeen: time, lastSeen: time })),
});

/** Error responses every query route may give. */
export const queryErrors = {
  400: errorSchema.meta({ description: 'A parameter is invalid (the message names it), or a kind is ambiguous' }),
  401: errorSchema.meta({ description: 'No bearer token, or one that was not accepted (docs/access.md)' }),
  403: errorSchema.meta({ description: 'The caller may not read this (details: verb, group, resource, namespace, cluster)' }),
  404: errorSchema.meta({ description: 'Not found (for /v1/object: details.existed lists when the object existed)' }),
  410: errorSchema.meta({ description: 'The time asked for lies before the retained history' }),
  503: errorSchema.meta({ description: 'The store is unavailable; retry' }),
} as const;
