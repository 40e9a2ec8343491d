/**
 * How each query command prints the server's answer. `-o json|yaml` print the answer (for `get`,
 * the object or a kubectl-style `List`); `table` (the default) prints kubectl-like columns.
 */
import { stringify as toYaml } from 'yaml';
import { parseRfc3339 } from '../../core/time.ts';
import { ageAt, formatTable, meta, rec, statusOf, str } from './table.ts';

/** Output formats of the query commands. */
export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

type Obj = Record<string, unknown>;
interface PatchOp { op: string; path: string; value?: unknown }
interface Ref { kind: string; namespace?: string; name: string }
interface Actor { username?: string; impersonatedUser?: string }

/** One table cell: text as is, anything else as compact JSON. */
function cell(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

/** Prints `value` as JSON or YAML. */
export function serialize(value: unknown, output: 'json' | 'yaml'): string {
  return output === 'json' ? JSON.stringify(value, null, 2) + '\n' : toYaml(value, { lineWidth: 0 });
}

/** `get KIND/NAME`: the object, or one table row. */
export function renderObject(body: Obj, output: Output): string {
  const object = rec(body['object']);
  if (output !== 'table') return serialize(object, output);
  // A summary row (the default) or a projection (--fields): its own columns; one named object
  // needs no NAMESPACE column (kubectl get prints none).
  if (!('metadata' in object)) {
    const { NAMESPACE: _ns, ...row } = object;
    return formatTable(Object.keys(row), [Object.values(row).map(cell)]);
  }
  const m = meta(object);
  return formatTable(['NAME', 'STATUS', 'AGE'], [[str(m['name']) ?? '', statusOf(object), ageAt(object, String(body['at']))]]);
}

/** `get KIND`: a kubectl-style List, or a table (NAMESPACE shown when listing across namespaces). */
export function renderList(body: Obj, output: Output, opts: { showNamespace: boolean }): string {
  const columns = body['columns'];
  if (Array.isArray(columns)) {
    // --view summary: the server's kubectl-like rows.
    const rows = arr<unknown[]>(body['items']);
    if (output !== 'table') return serialize({ columns, items: rows, ...(body['continue'] ? { continue: body['continue'] } : {}) }, output);
    return rows.length ? formatTable(columns.map(String), rows.map((r) => r.map(cell))) : '';
  }
  const items = arr<unknown>(body['items']).map(rec);
  if (output !== 'table') {
    const metadata = body['continue'] ? { continue: body['continue'] } : {};
    return serialize({ apiVersion: 'v1', kind: 'List', metadata, items }, output);
  }
  if (items.length === 0) return '';
  if (!('metadata' in (items[0] ?? {}))) {
    // --fields: one column per projected path.
    const keys = [...new Set(items.flatMap((o) => Object.keys(o)))];
    return formatTable(keys, items.map((o) => keys.map((k) => cell(o[k]))));
  }
  const at = String(body['at']);
  const headers = opts.showNamespace ? ['NAMESPACE', 'NAME', 'STATUS', 'AGE'] : ['NAME', 'STATUS', 'AGE'];
  const rows = items.map((o) => {
    const row = [str(meta(o)['name']) ?? '', statusOf(o), ageAt(o, at)];
    return opts.showNamespace ? [str(meta(o)['namespace']) ?? '', ...row] : row;
  });
  return formatTable(headers, rows);
}

/** `history`: TIME, OP, RV, SOURCE, ACTOR, CHANGED PATHS. */
export function renderHistory(body: Obj, output: Output): string {
  if (output !== 'table') return serialize(body, output);
  const items = arr<unknown>(body['items']).map(rec);
  const rows = items.map((i) => [
    String(i['ts']),
    String(i['op']),
    String(i['resourceVersion'] || '-'),
    String(i['source']),
    actorOf(i['actor']),
    changedPaths(arr<PatchOp>(i['patch'])),
  ]);
  return formatTable(['TIME', 'OP', 'RV', 'SOURCE', 'ACTOR', 'CHANGED PATHS'], rows);
}

/** `diff KIND/NAME`: one line per patch operation; `diff KIND`: added, removed and changed objects. */
export function renderDiff(body: Obj, output: Output): string {
  if (output !== 'table') return serialize(body, output);
  const header = `# ${String(body['from'])} → ${String(body['to'])}\n`;
  if (Array.isArray(body['added'])) {
    const lines = [
      ...arr<Ref>(body['added']).map((r) => `+ ${refText(r)}`),
      ...arr<Ref>(body['removed']).map((r) => `- ${refText(r)}`),
      ...arr<{ ref: Ref; patch: PatchOp[] }>(body['changed']).flatMap((c) => [`~ ${refText(c.ref)}`, ...arr<PatchOp>(c.patch).map((p) => `    ${patchLine(p)}`)]),
    ];
    return header + (lines.length ? lines.join('\n') + '\n' : 'no changes\n');
  }
  if (body['before'] === null && body['after'] === null) return header + 'the object did not exist at either time\n';
  if (body['before'] === null) return header + 'did not exist at the start; created in this window\n';
  if (body['after'] === null) return header + 'deleted in this window\n';
  const patch = arr<PatchOp>(body['patch']);
  return header + (patch.length ? patch.map(patchLine).join('\n') + '\n' : 'no changes\n');
}

/** `graph`: the edges as `Kind/ns/name --type--> Kind/ns/name`, then the nodes. */
export function renderGraph(body: Obj, output: Output): string {
  if (output !== 'table') return serialize(body, output);
  const nodes = arr<Ref & { uid: string }>(body['nodes']);
  const edges = arr<{ from: Ref; to: Ref; type: string }>(body['edges']);
  const table = formatTable(['KIND', 'NAMESPACE', 'NAME', 'UID'], nodes.map((n) => [n.kind, n.namespace || '-', n.name, n.uid]));
  const lines = edges.map((e) => `${refText(e.from)} --${e.type}--> ${refText(e.to)}`);
  return table + (lines.length ? '\n' + lines.join('\n') + '\n' : '');
}

/** `changes`: TIME, OP, KIND, NAMESPACE/NAME, ACTOR (newest first, as served). */
export function renderChanges(body: Obj, output: Output): string {
  if (output !== 'table') return serialize(body, output);
  const items = arr<unknown>(body['items']).map(rec);
  const rows = items.map((i) => [
    String(i['ts']),
    String(i['op']),
    String(i['kind']),
    i['namespace'] ? `${String(i['namespace'])}/${String(i['name'])}` : String(i['name']),
    actorOf(i['actor']),
  ]);
  return formatTable(['TIME', 'OP', 'KIND', 'NAMESPACE/NAME', 'ACTOR'], rows);
}

/** `events`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, like kubectl get events; NAMESPACE first across namespaces, oldest first. */
export function renderEvents(body: Obj, output: Output, opts: { type?: string; showNamespace?: boolean } = {}): string {
  const wanted = opts.type?.toLowerCase();
  const items = arr<unknown>(body['items']).map(rec).filter((e) => !wanted || (str(e['type']) ?? '').toLowerCase() === wanted);
  if (output !== 'table') return serialize({ ...body, items }, output);
  if (items.length === 0) return ''; // kubectl prints no header for nothing; the note says "No resources found"
  const when = (e: Obj) => str(e['lastTimestamp']) ?? str(e['eventTime']) ?? str(meta(e)['creationTimestamp']) ?? '';
  const sorted = items.map((e) => ({ e, t: parseRfc3339(when(e)) ?? Number.NEGATIVE_INFINITY })).sort((a, b) => a.t - b.t);
  const rows = sorted.map(({ e }) => {
    const involved = rec(e['involvedObject'] ?? e['regarding']);
    const object = `${(str(involved['kind']) ?? '').toLowerCase()}/${str(involved['name']) ?? ''}`;
    const row = [when(e) || '-', str(e['type']) ?? '', str(e['reason']) ?? '', object, (str(e['message']) ?? str(e['note']) ?? '').replace(/\s+/g, ' ')];
    return opts.showNamespace ? [str(meta(e)['namespace']) ?? '', ...row] : row;
  });
  const headers = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  return formatTable(opts.showNamespace ? ['NAMESPACE', ...headers] : headers, rows);
}

/** `clusters`: NAME, FIRST SEEN, LAST SEEN. */
export function renderClusters(body: Obj, output: Output): string {
  if (output !== 'table') return serialize(body, output);
  const items = arr<unknown>(body['items']).map(rec);
  return formatTable(['NAME', 'FIRST SEEN', 'LAST SEEN'], items.map((c) => [String(c['name']), String(c['firstSeen']), String(c['lastSeen'])]));
}

function arr<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

function actorOf(v: unknown): string {
  const a = rec(v) as Actor;
  if (!a.username) return '-';
  return a.impersonatedUser ? `${a.username} (as ${a.impersonatedUser})` : a.username;
}

const MAX_PATHS = 3;
const MAX_VALUE = 160;

function changedPaths(patch: PatchOp[]): string {
  if (patch.length === 0) return '-';
  const paths = [...new Set(patch.map((p) => p.path))];
  const shown = paths.slice(0, MAX_PATHS).join(', ');
  return paths.length > MAX_PATHS ? `${shown} (+${paths.length - MAX_PATHS} more)` : shown;
}

function refText(r: Ref): string {
  return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

function patchLine(p: PatchOp): string {
  const value = (v: unknown) => {
    const text = JSON.stringify(v) ?? 'undefined';
    return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
  };
  if (p.op === 'remove') return `- ${p.path}`;
  if (p.op === 'add') return `+ ${p.path}: ${value(p.value)}`;
  return `~ ${p.path}: ${value(p.value)}`;
}
