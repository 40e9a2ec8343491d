/**
 * Parses the query commands' arguments (node:util parseArgs) into one HTTP request plus how to
 * print its answer. Values are checked by the server (one source of truth for what is valid);
 * this file only checks the command's shape and fills kubectl's defaults.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { resolveKind } from '../../core/kinds.ts';
import { commandHelp } from './help.ts';
import { withoutManagedFields } from './managed-fields.ts';
import { OUTPUTS, renderChanges, renderClusters, renderDiff, renderEvents, renderGraph, renderHistory, renderList, renderObject } from './render.ts';
import type { Output } from './render.ts';
import { renderFailures } from './failures.ts';

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One HTTP GET and how to print its answer. */
export interface Invocation {
  path: string;
  query: Record<string, string | undefined>;
  render: (body: Record<string, unknown>) => string;
  /** Extra lines for stderr (e.g. how to get the next page). */
  note?: (body: Record<string, unknown>) => string | undefined;
  /**
   * Asked when the answer has no items: a 404 from this GET means the object never existed (or
   * not then), and its message is printed as the error, as `get` prints it.
   */
  whenEmpty?: { path: string; query: Record<string, string | undefined> };
}

export type ParsedCommand = { help: string } | { server?: string; invocation: Invocation };

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

const COMMON = {
  server: { type: 'string' },
  cluster: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;
const NS = { namespace: { type: 'string', short: 'n' } } as const satisfies Options;
const ALL_NS = { 'all-namespaces': { type: 'boolean', short: 'A' } } as const satisfies Options;
const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const MANAGED = { 'show-managed-fields': bool } as const satisfies Options;

/** The flags every query command takes. */
export const FLAGS = '[--server URL] [--cluster NAME] [-o table|json|yaml]';

/** Usage of every query command. */
export const USAGE: Record<string, string> = {
  get: `kubetime get KIND[/NAME] | KIND NAME [-n NS | -A] [-l SELECTOR] [--field-selector SELECTOR] [--at T] [-o table|wide|json|yaml] [--view full|raw|summary] [--fields PATHS] [--limit N] [--continue TOKEN] [--show-managed-fields] ${FLAGS}`,
  history: `kubetime history KIND/NAME [-n NS] [--from T] [--to T] [--limit N] [--objects] [--show-managed-fields] ${FLAGS}`,
  diff: `kubetime diff KIND[/NAME] [-n NS | -A] [-l SELECTOR] --from T [--to T] [--raw] [--show-managed-fields] ${FLAGS}`,
  graph: `kubetime graph KIND/NAME [-n NS] [--at T] [--hops N] ${FLAGS}`,
  changes: `kubetime changes --from T [--to T] [-n NS] [--kind K] [--name N] [--actor USER] [--limit N] ${FLAGS}`,
  events: `kubetime events [KIND[/NAME]] --from T [--to T] [-n NS | -A] [--kind K] [--name N] [--type TYPE] [--limit N] [--show-managed-fields] ${FLAGS}`,
  clusters: `kubetime clusters ${FLAGS}`,
  failures: `kubetime failures --from T [--to T] [-n NS] [--kind K] [--name N] [--suspect-window 15m] [--limit N] [--continue TOKEN] ${FLAGS}`,
};

const TIME_HELP = 'Times: RFC 3339 (2026-01-10T10:05:00Z), now, or now-<n><s|m|h|d>; --at and --to default to now.';

/** Parses `argv` (after the command name) of one query command. @throws UsageError */
export function parseCommand(command: string, argv: readonly string[]): ParsedCommand {
  const build = BUILDERS[command];
  if (!build) throw new UsageError(`unknown command "${command}"`);
  const { values, positionals } = parse(argv, build.options);
  if (values['help']) return { help: commandHelp(USAGE[command]!, { ...build.options, ...COMMON }, TIME_HELP) };
  if (values['output'] === 'wide' && command !== 'get') throw new UsageError('-o wide: only get prints wide columns');
  const output = outputOf(values);
  const invocation = build.invocation(values, positionals, output);
  if (!values['show-managed-fields']) {
    const render = invocation.render;
    invocation.render = (body) => render(withoutManagedFields(body));
  }
  return { server: values['server'] as string | undefined, invocation };
}

function parse(argv: readonly string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args: [...argv], options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function outputOf(values: Values): Output {
  const given = (values['output'] as string | undefined) ?? 'table';
  const o = given === 'wide' ? 'table' : given; // -o wide: a table with kubectl's wide columns (get)
  if (!(OUTPUTS as readonly string[]).includes(o)) throw new UsageError(`-o: must be one of ${OUTPUTS.join(', ')} (wide with get), not "${given}"`);
  return o as Output;
}

interface Target { kind: string; name?: string }

/** KIND, KIND/NAME or KIND NAME, as kubectl takes them. */
function target(positionals: string[], want: 'kind' | 'name' | 'optional-name' | 'none'): Target | undefined {
  if (want === 'none') {
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return undefined;
  }
  if (positionals.length === 0) {
    if (want === 'kind') return undefined;
    throw new UsageError(want === 'name' ? 'KIND/NAME is required' : 'KIND is required');
  }
  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  const [first, second] = positionals as [string, string?];
  const slash = first.indexOf('/');
  let t: Target;
  if (slash >= 0) {
    if (second !== undefined) throw new UsageError(`unexpected argument "${second}" after ${first}`);
    t = { kind: first.slice(0, slash), name: first.slice(slash + 1) };
    if (!t.kind || !t.name) throw new UsageError(`"${first}": use KIND/NAME`);
  } else {
    t = { kind: first, ...(second !== undefined ? { name: second } : {}) };
  }
  if (want === 'name' && t.name === undefined) throw new UsageError(`a name is required: ${first}/NAME`);
  return t;
}

/** Scope of a built-in kind, or undefined for kinds the built-in table lacks (CRDs). */
function namespacedKind(kind: string): boolean | undefined {
  try {
    return resolveKind(kind, []).namespaced;
  } catch {
    return undefined;
  }
}

/**
 * kubectl's namespace rules: -A = every namespace; -n is ignored for cluster-scoped kinds;
 * without either, a namespaced built-in kind means `default`; unknown kinds send none.
 */
function namespaceFor(kind: string | undefined, values: Values): string | undefined {
  if (values['all-namespaces']) return undefined;
  const scoped = kind === undefined ? undefined : namespacedKind(kind);
  if (scoped === false) return undefined;
  const n = values['namespace'] as string | undefined;
  if (n !== undefined) return n;
  return scoped ? 'default' : undefined;
}

function required(values: Values, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string') throw new UsageError(`--${flag} is required`);
  return v;
}

const s = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
const b = (v: string | boolean | undefined) => (v ? 'true' : undefined);

interface Builder {
  options: Options;
  invocation: (values: Values, positionals: string[], output: Output) => Invocation;
}

const BUILDERS: Record<string, Builder> = {
  get: {
    options: { ...NS, ...ALL_NS, selector: { type: 'string', short: 'l' }, 'field-selector': str, at: str, view: str, fields: str, limit: str, continue: str, ...MANAGED },
    invocation: (v, pos, output) => {
      const t = target(pos, 'optional-name')!;
      // The server shows the objects (core/present): a table is its kubectl-like summary rows (with
      // -o wide, kubectl's wide columns); json/yaml the manifests, full (no managedFields, no
      // last-applied) unless --show-managed-fields.
      const manifests = v['show-managed-fields'] ? 'raw' : 'full';
      const view = s(v['view']) ?? (output === 'table' && v['fields'] === undefined ? 'summary' : manifests);
      const base = {
        kind: t.kind, at: s(v['at']) ?? 'now', view, wide: v['output'] === 'wide' && view === 'summary' ? 'true' : undefined,
        fields: s(v['fields']), cluster: s(v['cluster']),
      };
      if (t.name !== undefined) {
        if (v['all-namespaces']) throw new UsageError('-A: an object cannot be retrieved by name across all namespaces');
        if (v['selector'] !== undefined || v['field-selector'] !== undefined) throw new UsageError('-l/--field-selector: cannot be combined with a name');
        const query = { ...base, name: t.name, namespace: namespaceFor(t.kind, v) };
        return { path: '/v1/object', query, render: (body) => renderObject(body, output) };
      }
      const namespace = namespaceFor(t.kind, v);
      const showNamespace = namespace === undefined && namespacedKind(t.kind) !== false;
      const query = { ...base, namespace, labelSelector: s(v['selector']), fieldSelector: s(v['field-selector']), limit: s(v['limit']), continue: s(v['continue']) };
      return {
        path: '/v1/objects',
        query,
        render: (body) => renderList(body, output, { showNamespace }),
        // The token is tied to the absolute `at` of this page, so the hint repeats it ("now" moves).
        note: (body) => {
          if (body['continue']) return `more items: add --at ${String(body['at'])} --continue ${String(body['continue'])}`;
          return output === 'table' ? noResources(body, namespace) : undefined;
        },
      };
    },
  },
  history: {
    options: { ...NS, from: str, to: str, limit: str, objects: bool, ...MANAGED },
    invocation: (v, pos, output) => {
      const t = target(pos, 'name')!;
      const query = { kind: t.kind, name: t.name, namespace: namespaceFor(t.kind, v), from: s(v['from']), to: s(v['to']), limit: s(v['limit']), objects: b(v['objects']), cluster: s(v['cluster']) };
      const at = query.to ?? 'now';
      const whenEmpty = { path: '/v1/object', query: { kind: query.kind, name: query.name, namespace: query.namespace, at, cluster: query.cluster } };
      return { path: '/v1/history', query, render: (body) => renderHistory(body, output), whenEmpty };
    },
  },
  diff: {
    options: { ...NS, ...ALL_NS, selector: { type: 'string', short: 'l' }, from: str, to: str, raw: bool, ...MANAGED },
    invocation: (v, pos, output) => {
      const t = target(pos, 'optional-name')!;
      if (t.name !== undefined && v['all-namespaces']) throw new UsageError('-A: cannot be combined with a name');
      const query = {
        kind: t.kind, name: t.name, namespace: namespaceFor(t.kind, v), from: required(v, 'from'), to: s(v['to']) ?? 'now',
        labelSelector: s(v['selector']), raw: b(v['raw']), cluster: s(v['cluster']),
      };
      return { path: '/v1/diff', query, render: (body) => renderDiff(body, output) };
    },
  },
  graph: {
    options: { ...NS, at: str, hops: str },
    invocation: (v, pos, output) => {
      const t = target(pos, 'name')!;
      const query = { kind: t.kind, name: t.name, namespace: namespaceFor(t.kind, v), at: s(v['at']) ?? 'now', hops: s(v['hops']), cluster: s(v['cluster']) };
      return { path: '/v1/graph', query, render: (body) => renderGraph(body, output) };
    },
  },
  changes: {
    options: { ...NS, ...ALL_NS, from: str, to: str, kind: str, name: str, actor: str, limit: str },
    invocation: (v, pos, output) => {
      target(pos, 'none');
      const namespace = v['all-namespaces'] ? undefined : s(v['namespace']);
      const query = {
        from: required(v, 'from'), to: s(v['to']) ?? 'now', namespace, kind: s(v['kind']), name: s(v['name']),
        actor: s(v['actor']), limit: s(v['limit']), cluster: s(v['cluster']),
      };
      return { path: '/v1/changes', query, render: (body) => renderChanges(body, output) };
    },
  },
  events: {
    options: { ...NS, ...ALL_NS, from: str, to: str, kind: str, name: str, type: str, limit: str, ...MANAGED },
    invocation: (v, pos, output) => {
      const t = target(pos, 'kind');
      if (t && (v['kind'] !== undefined || v['name'] !== undefined)) throw new UsageError('--kind/--name: give the object either as KIND/NAME or with flags');
      const kind = t?.kind ?? s(v['kind']);
      const name = t?.name ?? s(v['name']);
      // A named object gets kubectl's default namespace; a feed spans every namespace unless -n.
      const namespace = name !== undefined ? namespaceFor(kind, v) : v['all-namespaces'] ? undefined : s(v['namespace']);
      const type = s(v['type']);
      const query = { from: required(v, 'from'), to: s(v['to']) ?? 'now', namespace, kind, name, type, limit: s(v['limit']), cluster: s(v['cluster']) };
      // The type is filtered here too, for a server without the type filter.
      return {
        path: '/v1/events',
        query,
        render: (body) => renderEvents(body, output, { type, showNamespace: namespace === undefined }),
        note: (body) => (output === 'table' ? noResources(eventsOfType(body, type), namespace) : undefined),
      };
    },
  },
  failures: {
    options: { ...NS, ...ALL_NS, from: str, to: str, kind: str, name: str, 'suspect-window': str, limit: str, continue: str },
    invocation: (v, pos, output) => {
      target(pos, 'none');
      const namespace = v['all-namespaces'] ? undefined : s(v['namespace']);
      const query = {
        from: required(v, 'from'), to: s(v['to']) ?? 'now', namespace, kind: s(v['kind']), name: s(v['name']),
        suspectWindow: s(v['suspect-window']), limit: s(v['limit']), continue: s(v['continue']), cluster: s(v['cluster']),
      };
      return {
        path: '/v1/failures', query, render: (body) => renderFailures(body, output),
        note: (body) => (body['continue'] ? `more failures: add --continue ${String(body['continue'])}` : undefined),
      };
    },
  },
  clusters: {
    options: {},
    invocation: (_v, pos, output) => {
      target(pos, 'none');
      return { path: '/v1/clusters', query: {}, render: (body) => renderClusters(body, output) };
    },
  },
};

/** The answer's items, only those of `type` when given (as renderEvents shows them). */
function eventsOfType(body: Record<string, unknown>, type: string | undefined): Record<string, unknown> {
  const items = Array.isArray(body['items']) ? (body['items'] as { type?: unknown }[]) : [];
  return { items: type ? items.filter((e) => String(e?.type).toLowerCase() === type.toLowerCase()) : items };
}

/** kubectl's words for an empty list, on stderr: "No resources found in shop namespace." */
function noResources(body: Record<string, unknown>, namespace: string | undefined): string | undefined {
  if (Array.isArray(body['items']) && body['items'].length > 0) return undefined;
  return namespace === undefined ? 'No resources found' : `No resources found in ${namespace} namespace.`;
}

/** Every flag a query command accepts, long names without dashes (for help and its tests). */
export function commandFlags(command: string): { long: string; short?: string }[] {
  const options = { ...BUILDERS[command]?.options, ...COMMON } as Options;
  return Object.entries(options).map(([long, o]) => ({ long, ...(o.short ? { short: o.short } : {}) }));
}

/** The query commands runClientCommand serves. */
export const CLIENT_COMMANDS: readonly string[] = Object.keys(BUILDERS);
