/**
 * GET of one object and LIST, as of T: the object as recorded (`view=raw`), a `{Kind}List`, or a
 * Table when the client asks for one. labelSelector, fieldSelector, limit and continue go to the
 * queries; resourceVersion and the other watch-cache parameters mean nothing for the past and are
 * ignored. A LIST without a limit is answered whole (a client that did not ask for chunks reads none).
 */
import type { Viewer } from '../../core/access.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { KindInfo } from '../../core/kinds.ts';
import type { HistoryQueries } from '../../core/query-types.ts';
import type { KubeObject } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { tableRowOf } from '../../core/present/index.ts';
import { MAX_LIMIT } from '../params.ts';
import { withArrayTexts } from '../present.ts';
import { printerColumns } from '../routes/queries.ts';
import { kindOfPath } from './discovery.ts';
import type { KubePath } from './paths.ts';
import { kubeStatus, statusOf, type Target } from './status.ts';
import { includeObjectOf, kubeTable, kubeTableText, wantsTable, type TableOptions } from './table.ts';

/** What one request asks, besides its path. */
export interface Asked {
  viewer: Viewer;
  cluster?: string;
  at: Micros;
  query: Record<string, unknown>;
  accept?: string;
}

type ObjectsPath = Extract<KubePath, { type: 'objects' }>;
type Answer = { status: number; body: unknown };

/** A single-valued string parameter, or undefined. */
function param(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw invalidArgument(name, 'must be given once');
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function limitOf(q: Record<string, unknown>): number | undefined {
  const text = param(q, 'limit');
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw invalidArgument('limit', 'must be a non-negative integer');
  return n === 0 ? undefined : Math.min(n, MAX_LIMIT);
}

/** The user's kind string the queries resolve: `pods.core`, `deployments.apps`. */
const kindText = (k: KindInfo) => `${k.resource}.${k.group || 'core'}`;
const groupVersion = (k: KindInfo) => (k.group ? `${k.group}/${k.version}` : k.version);

/** Answers a GET or LIST path; every failure is a Status (404s say when the object existed). */
export async function serveObjects(queries: HistoryQueries, kinds: readonly KindInfo[], path: ObjectsPath, asked: Asked, atText: string): Promise<Answer> {
  const kind = kindOfPath(kinds, path.group, path.version, path.resource);
  const notFound = (msg = 'the server could not find the requested resource') => ({ status: 404, body: kubeStatus(404, msg) });
  if (!kind || (path.namespace !== undefined && !kind.namespaced)) return notFound();
  if (path.subresource) return notFound(`kubetime records objects, not the ${path.subresource} subresource of ${path.resource}`);
  const target: Target = { resource: kind.resource, group: kind.group, name: path.name, at: atText };
  try {
    const body = path.name ? await getOne(queries, kind, path, asked) : await list(queries, kind, path, asked);
    return { status: 200, body };
  } catch (e) {
    const status = statusOf(e, target);
    return { status: status.code, body: status };
  }
}

async function getOne(queries: HistoryQueries, kind: KindInfo, path: ObjectsPath, asked: Asked): Promise<unknown> {
  const answer = await queries.objectAt({ viewer: asked.viewer, cluster: asked.cluster, kind: kindText(kind), namespace: path.namespace, name: path.name!, at: asked.at });
  if (!wantsTable(asked.accept)) return answer.object;
  return table(queries, [answer.object], kind, answer.cluster, asked);
}

async function list(queries: HistoryQueries, kind: KindInfo, path: ObjectsPath, asked: Asked): Promise<unknown> {
  const q = asked.query;
  const limit = limitOf(q);
  const request = {
    viewer: asked.viewer, cluster: asked.cluster, kind: kindText(kind), namespace: path.namespace, at: asked.at,
    labelSelector: param(q, 'labelSelector'), fieldSelector: param(q, 'fieldSelector'),
  };
  // A {Kind}List shows objects as recorded: their JSON text where the queries answer it (ListAtResult `texts`);
  // a Table without whole objects reads each row's text (TABLE_ROW_TEXT: the slim object, parsed, and the metadata's text).
  const asTable = wantsTable(asked.accept);
  const text = !asTable ? { text: 'raw' as const } : includeObjectOf(q.includeObject) === 'Object' ? {} : { text: 'tableRow' as const };
  let page = await queries.listAt({ ...request, ...text, limit, continue: param(q, 'continue') });
  const items = [...page.items];
  const texts = page.texts && [...page.texts];
  // No limit asked: every page, so that a client that does not chunk still reads the whole list.
  while (limit === undefined && page.continue) {
    page = await queries.listAt({ ...request, ...(texts ? text : {}), continue: page.continue });
    items.push(...page.items);
    if (texts) texts.push(...page.texts!);
  }
  const next = limit === undefined ? undefined : page.continue;
  if (asTable && texts) return tableOfRows(queries, texts.map(tableRowOf), kind, page.cluster, asked, next);
  if (asTable) return table(queries, items, kind, page.cluster, asked, next);
  const list = {
    kind: `${kind.kind}List`, apiVersion: groupVersion(kind),
    metadata: { resourceVersion: '', ...(next ? { continue: next } : {}) },
    items,
  };
  return texts ? withArrayTexts(list, 'items', texts) : list;
}

async function table(queries: HistoryQueries, objects: KubeObject[], kind: KindInfo, cluster: string, asked: Asked, next?: string): Promise<unknown> {
  return kubeTable(objects, await tableOptions(queries, objects[0], kind, cluster, asked, next));
}

/** table() from rows read as TABLE_ROW_TEXT: the same Table's JSON text, each row's metadata spliced in. */
async function tableOfRows(queries: HistoryQueries, rows: { slim: KubeObject; metadataText: string }[], kind: KindInfo, cluster: string, asked: Asked, next?: string): Promise<string> {
  return kubeTableText(rows, await tableOptions(queries, rows[0]?.slim, kind, cluster, asked, next));
}

/** A Table's options: its columns (a CRD's printer columns, from the first object's kind), ages as of T, what a row carries. */
async function tableOptions(queries: HistoryQueries, first: KubeObject | undefined, kind: KindInfo, cluster: string, asked: Asked, next: string | undefined): Promise<TableOptions> {
  const sample = first ?? { apiVersion: groupVersion(kind), kind: kind.kind, metadata: { name: '' } };
  const columns = await printerColumns(queries, cluster, sample, asked.at);
  return { at: asked.at, kind: kind.kind, printerColumns: columns, includeObject: includeObjectOf(asked.query.includeObject), continue: next };
}
