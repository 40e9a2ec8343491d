/**
 * GET on resource paths: get one object, list (resourceVersion, limit/continue, selectors),
 * and watch. Semantics follow the apiserver:
 * - list with resourceVersion "" or "0" (or NotOlderThan) serves the latest state; with
 *   resourceVersionMatch=Exact it serves the state at that revision (410 when compacted);
 * - a continue token pins the list's revision; once compacted, it gets HTTP 410 Expired;
 * - watch with resourceVersion "" or "0" first sends the current state as ADDED events; from a
 *   specific revision it replays what followed, or sends an ERROR 410 event when compacted.
 */
import type { ServerResponse } from 'node:http';
import { fieldSelector, parseLabelSelector, matchLabels, type Requirement, type Selector } from '../k8s/selectors.ts';
import { K8sInvalidError } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/object.ts';
import type { Cluster } from './cluster.ts';
import type { Faults } from './faults.ts';
import { sendJson, sendJsonText, sendStatus, streamList, type ApiTarget } from './http-util.ts';
import { objectKey, type Version } from './resource-table.ts';
import { apiError, failureStatus } from './status.ts';
import { scaleOf } from './scale.ts';
import { toTable, wantsTable } from './tables.ts';
import type { WatchHub } from './watch-hub.ts';

export interface ReadDeps {
  cluster: Cluster;
  hub: WatchHub;
  faults: Faults;
  defaultWatchTimeoutSeconds: number;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

const TOKEN_VERSION = 'meta.k8s.io/v1';

export function encodeContinue(rv: number, lastKey: string): string {
  const t: ContinueToken = { v: TOKEN_VERSION, rv, start: `${lastKey}\u0000` };
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v === TOKEN_VERSION && Number.isInteger(t.rv) && typeof t.start === 'string' && t.start.endsWith('\u0000')) return t;
  } catch {
    // fall through
  }
  throw apiError('BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function parseRv(text: string | null, param = 'resourceVersion'): number | undefined {
  if (text === null || text === '' || text === '0') return undefined;
  if (!/^\d{1,15}$/.test(text)) throw apiError('BadRequest', `${param}: Invalid value: "${text}": must be a non-negative integer`);
  return Number(text);
}

interface Selectors {
  labels: Requirement[];
  fields: Selector | undefined;
}

function selectorsOf(q: URLSearchParams, type: ApiTarget['type']): Selectors {
  try {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const f = q.get('fieldSelector') ?? '';
    return { labels, fields: f ? fieldSelector(f, 'fieldSelector', type) : undefined };
  } catch (e) {
    // The apiserver's message is the reason alone, without the parameter's name.
    throw apiError('BadRequest', e instanceof K8sInvalidError ? e.reason : String(e));
  }
}

function versionFilter(sel: Selectors): ((v: Version) => boolean) | undefined {
  if (!sel.labels.length && !sel.fields) return undefined;
  return (v) =>
    (!sel.labels.length || matchLabels(sel.labels, v.labels)) && (!sel.fields || sel.fields(v.obj ?? (JSON.parse(v.json!) as KubeObject)));
}

/** GET on a single object (or its status / scale subresource). */
export function handleGet(deps: ReadDeps, t: ApiTarget, res: ServerResponse, accept?: string): void {
  const cur = deps.cluster.table(t.type).current(objectKey(t.namespace ?? '', t.name!));
  if (!cur) {
    const group = t.type.group ? `.${t.type.group}` : '';
    sendStatus(res, failureStatus('NotFound', `${t.type.resource}${group} "${t.name}" not found`, { name: t.name, group: t.type.group, kind: t.type.resource }));
    return;
  }
  if (!t.subresource && wantsTable(accept)) return sendJson(res, 200, toTable(t.type.gk, [cur.obj], {}, deps.cluster.clock.now()));
  if (!t.subresource || t.subresource === 'status') return sendJsonText(res, 200, cur.json);
  if (t.subresource === 'scale' && t.type.subresources.scale) return sendJsonText(res, 200, JSON.stringify(scaleOf(cur.obj)));
  sendStatus(res, failureStatus('NotFound', 'the server could not find the requested resource'));
}

/** GET on a collection: a list, or a watch when `watch=true|1`. */
export async function handleCollection(deps: ReadDeps, t: ApiTarget, res: ServerResponse, q: URLSearchParams, accept?: string): Promise<void> {
  const watch = q.get('watch');
  if (watch === 'true' || watch === '1') return handleWatch(deps, t, res, q);
  const failure = deps.faults.takeListFailure();
  if (failure) return sendFailure(res, failure.status, failure.retryAfterSeconds, 'list');
  const sel = selectorsOf(q, t.type);
  const table = deps.cluster.table(t.type);
  const limit = q.has('limit') ? Number(q.get('limit')) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw apiError('BadRequest', `limit: Invalid value: "${q.get('limit')}"`);
  let at: number | 'latest' = 'latest';
  let after: string | undefined;
  const cont = q.get('continue');
  if (cont) {
    const token = decodeContinue(cont);
    if (token.rv < deps.cluster.compactedRevision) {
      return sendStatus(res, failureStatus('Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'));
    }
    at = token.rv;
    after = token.start.slice(0, -1);
  } else if (q.get('resourceVersionMatch') === 'Exact') {
    const rv = parseRv(q.get('resourceVersion'));
    if (rv === undefined) throw apiError('BadRequest', 'resourceVersionMatch: Forbidden: resourceVersionMatch "Exact" is forbidden for resourceVersion "0" or ""');
    if (rv < deps.cluster.compactedRevision) {
      return sendStatus(res, failureStatus('Expired', `too old resource version: ${rv} (${deps.cluster.compactedRevision})`));
    }
    at = Math.min(rv, deps.cluster.resourceVersion);
  } else {
    parseRv(q.get('resourceVersion'));
  }
  const listRv = at === 'latest' ? deps.cluster.resourceVersion : at;
  const page = table.page({ at, namespace: t.namespace, after, limit: limit || undefined, filter: versionFilter(sel) });
  const meta: Record<string, string> = { resourceVersion: String(listRv) };
  if (page.lastKey !== undefined) meta.continue = encodeContinue(listRv, page.lastKey);
  if (wantsTable(accept)) {
    const objs = page.items.map((v) => v.obj ?? (JSON.parse(v.json!) as KubeObject));
    return sendJson(res, 200, toTable(t.type.gk, objs, meta, deps.cluster.clock.now()));
  }
  const head = `{"kind":"${t.type.listKind}","apiVersion":"${t.type.apiVersion}","metadata":${JSON.stringify(meta)},"items":[`;
  await streamList(res, head, page.items.map((v) => v.json!), ']}');
}

function sendFailure(res: ServerResponse, status: 429 | 500 | 503, retryAfterSeconds: number, what: string): void {
  if (status === 429) {
    const s = failureStatus('TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
    return sendStatus(res, s, { 'Retry-After': String(retryAfterSeconds) });
  }
  if (status === 503) return sendStatus(res, failureStatus('ServiceUnavailable', 'the server is currently unable to handle the request'));
  sendStatus(res, failureStatus('InternalError', `Internal error occurred: injected ${what} failure`));
}

function handleWatch(deps: ReadDeps, t: ApiTarget, res: ServerResponse, q: URLSearchParams): void {
  const failure = deps.faults.takeWatchFailure();
  if (failure) return sendFailure(res, failure.status, failure.retryAfterSeconds, 'watch');
  const sel = selectorsOf(q, t.type);
  const fromRv = parseRv(q.get('resourceVersion'));
  const timeoutText = q.get('timeoutSeconds');
  const timeoutSeconds = timeoutText ? Number(timeoutText) : deps.defaultWatchTimeoutSeconds;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) throw apiError('BadRequest', `timeoutSeconds: Invalid value: "${timeoutText}"`);
  const bookmarks = q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1';
  if (fromRv !== undefined && deps.faults.takeWatchExpiry()) {
    return deps.hub.expire(res, `too old resource version: ${fromRv} (${deps.cluster.resourceVersion})`);
  }
  deps.hub.open(res, {
    type: t.type,
    namespace: t.namespace,
    labels: sel.labels,
    fields: sel.fields,
    bookmarks,
    timeoutSeconds: timeoutSeconds || deps.defaultWatchTimeoutSeconds,
    fromRv,
  });
}
