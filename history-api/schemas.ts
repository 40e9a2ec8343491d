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
  hopsParam,
  kindParam,
  limitParam,
  nameParam,
  namespaceParam,
  selectorParam,
  timeParam,
} from './params.ts';

const labelSelector = selectorParam('Label selector, as kubectl -l takes it (app=web,tier in (a,b))');
const fieldSelector = selectorParam('Field selector (metadata.name=web,status.phase!=Running)');

export const objectQuery = z.object({
  kind: kindParam,
  name: nameParam,
  namespace: namespaceParam.optional(),
  at: timeParam('The time to look at'),
  cluster: clusterParam.optional(),
});

export const objectsQuery = z.object({
  kind: kindParam,
  namespace: namespaceParam.optional(),
  labelSelector: labelSelector.optional(),
  fieldSelector: fieldSelector.optional(),
  at: timeParam('The time to look at'),
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
  objects: boolParam('Include every revision\'s full object (default false: only the first)').optional(),
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
  cluster: clusterParam.optional(),
});

export const graphQuery = z.object({
  kind: kindParam,
  name: nameParam,
  namespace: namespaceParam.optional(),
  at: timeParam('The time to look at'),
  hops: hopsParam.optional(),
  cluster: clusterParam.optional(),
});

export const changesQuery = z.object({
  from: timeParam('Start of the window (inclusive)'),
  to: timeParam('End of the window (inclusive)'),
  namespace: namespaceParam.optional(),
  kind: kindParam.optional(),
  name: nameParam.optional(),
  actor: actorParam.optional(),
  limit: limitParam.optional(),
  cluster: clusterParam.optional(),
});

export const eventsQuery = z.object({
  from: timeParam('Start of the window (inclusive)'),
  to: timeParam('End of the window (inclusive)'),
  namespace: namespaceParam.optional(),
  kind: kindParam.optional(),
  name: nameParam.optional(),
  limit: limitParam.optional(),
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

export const objectResponse = z.object({ cluster: z.string(), at: time, object: kubeObject, revision: z.object(revisionFields) });
export const objectsResponse = z.object({ cluster: z.string(), at: time, items: z.array(kubeObject), continue: z.string().optional() });
export const historyResponse = z.object({
  cluster: z.string(),
  items: z.array(z.object({ ...revisionFields, uid: z.string(), patch: z.array(patchOp), object: kubeObject.optional() })),
});
export const diffObjectResponse = z.object({
  cluster: z.string(),
  from: time,
  to: time,
  before: kubeObject.nullable(),
  after: kubeObject.nullable(),
  patch: z.array(patchOp),
  paths: z.array(z.string()),
});
export const diffScopeResponse = z.object({
  cluster: z.string(),
  from: time,
  to: time,
  added: z.array(ref),
  removed: z.array(ref),
  changed: z.array(z.object({ ref, patch: z.array(patchOp) })),
});
export const graphResponse = z.object({
  cluster: z.string(),
  at: time,
  nodes: z.array(ref.extend({ uid: z.string() })),
  edges: z.array(z.object({ from: ref, to: ref, type: z.enum(EDGE_TYPES) })),
});
export const changesResponse = z.object({
  cluster: z.string(),
  items: z.array(z.object({ ...revisionFields, kind: z.string(), namespace: z.string(), name: z.string(), uid: z.string() })),
});
export const eventsResponse = z.object({ cluster: z.string(), items: z.array(kubeObject) });
export const clustersResponse = z.object({
  items: z.array(z.object({ name: z.string(), firstSeen: time, lastSeen: time })),
});

/** Error responses every query route may give. */
export const queryErrors = {
  400: errorSchema.meta({ description: 'A parameter is invalid (the message names it), or a kind is ambiguous' }),
  404: errorSchema.meta({ description: 'Not found (for /v1/object: details.existed lists when the object existed)' }),
  410: errorSchema.meta({ description: 'The time asked for lies before the retained history' }),
  503: errorSchema.meta({ description: 'The store is unavailable; retry' }),
} as const;
