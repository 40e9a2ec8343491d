/**
 * The MCP tools (read-only). Each calls the HTTP API's routes (backend.ts), shapes the answer for
 * a model (compact, with the `asOf` it is about and a `link` to the HTTP query with the full
 * data) and stays within the token budget (tool-kit.ts). A new tool is one `defineTool` entry in
 * TOOLS (e.g. `failures` over GET /v1/failures).
 */
import { z } from 'zod';
import * as a from './args.ts';
import { describeTool } from './describe.ts';
import { call, defineTool, fits, link, pagedWithin, refText, revisionLine, type ToolDef } from './tool-kit.ts';

type Body = Record<string, unknown>;
const arr = (v: unknown) => (Array.isArray(v) ? (v as Body[]) : []);
const joined = (f: string[] | undefined) => f?.join(',');

export const getResource = defineTool({
  name: 'get_resource',
  title: 'Get one object as of a time',
  description: 'One Kubernetes object exactly as it was at a moment (default now), with the change that made it so (who, when, verb). Use view=summary for a kubectl-get row, fields for parts of a big object. A 404 says when the object did exist.',
  input: { kind: a.kind, name: a.name, namespace: a.namespace, at: a.at, view: a.view('full'), fields: a.fields, cluster: a.cluster },
  async run(x, ctx) {
    const q = { kind: x.kind, name: x.name, namespace: x.namespace, at: x.at, cluster: x.cluster };
    const body = await call(ctx, '/v1/object', { ...q, view: x.view, fields: joined(x.fields) });
    const rev = body['revision'] as Body;
    const answer = {
      asOf: body['asOf'], object: body['object'],
      revision: revisionLine(rev),
      link: link(ctx, '/v1/object', { ...q, at: body['asOf'] as string }),
    };
    if (fits(ctx, answer)) return answer;
    const row = await call(ctx, '/v1/object', { ...q, at: body['asOf'] as string, view: 'summary' });
    return { ...answer, object: row['object'], note: `the ${x.view} manifest is over the ${ctx.budgetTokens}-token budget: this is its summary row; ask again with fields=[…] for the parts you need, or follow link` };
  },
});

export const listResources = defineTool({
  name: 'list_resources',
  title: 'List objects as of a time',
  description: 'The objects of one kind as they were at a moment (default now), like kubectl get: summary rows by default (Pods: READY, STATUS, RESTARTS, AGE, NODE). Filter by namespace and label/field selectors; view=full for manifests, fields for chosen paths. Long lists come in pages.',
  input: { kind: a.kind, namespace: a.namespace, labelSelector: a.labelSelector, fieldSelector: a.fieldSelector, at: a.at, view: a.view('summary'), fields: a.fields, limit: a.limit, continue: a.cont, cluster: a.cluster },
  async run(x, ctx) {
    const q = { kind: x.kind, namespace: x.namespace, labelSelector: x.labelSelector, fieldSelector: x.fieldSelector, at: x.at, cluster: x.cluster };
    return pagedWithin(ctx, {
      tool: 'list_resources', path: '/v1/objects', limit: x.limit,
      query: { ...q, view: x.view, fields: joined(x.fields), continue: x.continue },
      items: (b) => arr(b['items']),
      shape: (b) => ({
        asOf: b['asOf'], ...(b['columns'] ? { columns: b['columns'] } : {}), items: b['items'],
        link: link(ctx, '/v1/objects', { ...q, at: b['asOf'] as string }),
      }),
    });
  },
});

export const getHistory = defineTool({
  name: 'get_history',
  title: 'Every revision of one object',
  description: 'The revisions of one object in a window, oldest first: when, what (op, verb, RFC 6902 patch from the previous revision) and who (actor). The first revision carries the object (summary row by default).',
  input: { kind: a.kind, name: a.name, namespace: a.namespace, from: a.from().optional(), to: a.to, view: a.view('summary'), limit: a.limit, continue: a.cont, cluster: a.cluster },
  async run(x, ctx) {
    const q = { kind: x.kind, name: x.name, namespace: x.namespace, from: x.from, to: x.to, cluster: x.cluster };
    return pagedWithin(ctx, {
      tool: 'get_history', path: '/v1/history', limit: x.limit,
      query: { ...q, view: x.view, continue: x.continue },
      items: (b) => arr(b['items']),
      shape: (b) => ({
        asOf: b['asOf'], ...(b['from'] ? { from: b['from'] } : {}), to: b['to'],
        items: arr(b['items']).map((i) => ({ ...revisionLine(i), patch: i['patch'], ...(i['object'] ? { object: i['object'] } : {}) })),
        link: link(ctx, '/v1/history', { ...q, to: b['to'] as string }),
      }),
    });
  },
});

export const diffTool = defineTool({
  name: 'diff',
  title: 'What changed between two times',
  description: 'With name: one object between two times, each changed path with its old and new value, before/after as summary rows by default. Without name: every object of the kind in scope (namespace, labelSelector): added and removed objects with their summary row, changed ones with their changes.',
  input: { kind: a.kind, name: a.name.optional(), namespace: a.namespace, from: a.from(), to: a.to, labelSelector: a.labelSelector, view: a.view('summary'), limit: a.limit, continue: a.cont, cluster: a.cluster },
  async run(x, ctx) {
    const q = { kind: x.kind, name: x.name, namespace: x.namespace, from: x.from, to: x.to, labelSelector: x.labelSelector, cluster: x.cluster };
    const linkOf = (b: Body) => link(ctx, '/v1/diff', { ...q, from: b['from'] as string, to: b['to'] as string });
    if (x.name !== undefined) {
      const b = await call(ctx, '/v1/diff', { ...q, view: x.view });
      return {
        asOf: b['asOf'], from: b['from'], to: b['to'], before: b['before'], after: b['after'],
        ...(b['created'] ? { created: true } : {}), ...(b['deleted'] ? { deleted: true } : {}),
        changes: b['changes'], link: linkOf(b),
      };
    }
    const count = (b: Body) => [...arr(b['added']), ...arr(b['removed']), ...arr(b['changed'])];
    return pagedWithin(ctx, {
      tool: 'diff', path: '/v1/diff', limit: x.limit, query: { ...q, view: x.view, continue: x.continue }, items: count,
      shape: (b) => ({
        asOf: b['asOf'], from: b['from'], to: b['to'], added: b['added'], removed: b['removed'],
        changed: arr(b['changed']).map((c) => ({ ref: refText(c['ref'] as Body), changes: c['changes'] })),
        link: linkOf(b),
      }),
    });
  },
});

export const related = defineTool({
  name: 'related',
  title: 'Objects related to one object at a time',
  description: 'The graph around one object as of a moment: owners and owned (Deployment → ReplicaSets → Pods), Services and workloads selecting Pods, the Node each Pod ran on (scheduled-on), volumes, ConfigMaps and Secrets mounted, Ingress routes. Answers "which Pods on which nodes served X then".',
  input: { kind: a.kind, name: a.name, namespace: a.namespace, at: a.at, hops: z.number().int().min(0).max(5).default(2).describe('Edges to follow from the object (0–5, default 2; 2 reaches a Deployment\'s Pods, 3 their Nodes)'), limit: a.limit, continue: a.cont, cluster: a.cluster },
  async run(x, ctx) {
    const q = { kind: x.kind, name: x.name, namespace: x.namespace, at: x.at, hops: x.hops, cluster: x.cluster };
    return pagedWithin(ctx, {
      tool: 'related', path: '/v1/graph', limit: x.limit, query: { ...q, continue: x.continue }, items: (b) => arr(b['nodes']),
      shape: (b) => ({
        asOf: b['asOf'],
        nodes: arr(b['nodes']).map(refText),
        edges: arr(b['edges']).map((e) => `${refText(e['from'] as Body)} ${String(e['type'])} ${refText(e['to'] as Body)}`),
        link: link(ctx, '/v1/graph', { ...q, at: b['asOf'] as string }),
      }),
    });
  },
});

export const whoChanged = defineTool({
  name: 'who_changed',
  title: 'Who changed what in a window',
  description: 'The change feed, newest first: every create, update and delete in a window with who made it (actor: user or service account, from the audit log) and the verb. Filter by namespace, kind, name and actor (exact username). By default only changes made by people and non-system service accounts are listed (changes by controllers, kubelets and the scheduler, actors named system:…, are left out); include_system=true lists every change. Use it to find what changed shortly before a failure.',
  input: {
    from: a.from('now-1h'), to: a.to, namespace: a.namespace, kind: a.kind.optional(), name: a.name.optional(),
    actor: z.string().min(1).optional().describe('Only changes by this username (alice@example.com, system:serviceaccount:ns:sa)'),
    include_system: z.boolean().default(false).describe('Also list changes by system: actors (controllers, kubelets, scheduler); default false'),
    limit: a.limit, continue: a.cont, cluster: a.cluster,
  },
  async run(x, ctx) {
    // A named actor is shown even when it is a system one.
    const excludeSystem = !x.include_system && !x.actor ? 'true' : undefined;
    const q = { from: x.from, to: x.to, namespace: x.namespace, kind: x.kind, name: x.name, actor: x.actor, excludeSystem, cluster: x.cluster };
    return pagedWithin(ctx, {
      tool: 'who_changed', path: '/v1/changes', limit: x.limit ?? 200, query: { ...q, continue: x.continue }, items: (b) => arr(b['items']),
      shape: (b) => ({
        asOf: b['asOf'], from: b['from'], to: b['to'],
        items: arr(b['items']).map((i) => ({ ...revisionLine(i), object: refText(i) })),
        ...(excludeSystem ? { systemChanges: 'left out (include_system=true lists them)' } : {}),
        link: link(ctx, '/v1/changes', { ...q, from: b['from'] as string, to: b['to'] as string }),
      }),
    });
  },
});

export const events = defineTool({
  name: 'events',
  title: 'Kubernetes Events in a window',
  description: 'Kubernetes Events in a window, folded by (object, reason, message) with count, first and last time, newest first. Filter by namespace, the object (kind, name), type (Warning) and reason (BackOff, OOMKilling, FailedScheduling, Unhealthy…).',
  input: {
    from: a.from('now-1h'), to: a.to, namespace: a.namespace, kind: a.kind.optional(), name: a.name.optional(),
    type: z.enum(['Normal', 'Warning']).optional().describe('Only Events of this type'),
    reason: z.string().min(1).optional().describe('Only Events with this reason'),
    order: z.enum(['desc', 'asc']).default('desc').describe('desc: newest first (default); asc: oldest first'),
    limit: a.limit, continue: a.cont, cluster: a.cluster,
  },
  async run(x, ctx) {
    const q = { from: x.from, to: x.to, namespace: x.namespace, kind: x.kind, name: x.name, type: x.type, reason: x.reason, order: x.order, cluster: x.cluster };
    return pagedWithin(ctx, {
      tool: 'events', path: '/v1/events', limit: x.limit ?? 100, query: { ...q, view: 'summary', continue: x.continue }, items: (b) => arr(b['items']),
      shape: (b) => ({ asOf: b['asOf'], from: b['from'], to: b['to'], items: b['items'], link: link(ctx, '/v1/events', { ...q, from: b['from'] as string, to: b['to'] as string }) }),
    });
  },
});

export const failures = defineTool({
  name: 'failures',
  title: 'What was broken, since when, and what changed just before',
  description: 'Spans of broken state in a window: Pods crash-looping, OOM-killed (container, memory limit), failing to pull an image, unschedulable (the scheduler\'s reason), evicted, failing probes, stuck Pending/Terminating; Nodes NotReady, under pressure or cordoned (with the Pods they affected); Deployments/StatefulSets/DaemonSets with unavailable replicas or a stalled rollout; failed Jobs; HPAs at max; Pending PVCs. Each span has start, end (null = ongoing), evidence, and suspects: the changes shortly before it in the owner chain, on its node and in the ConfigMaps/Secrets it uses, ranked (first = most likely cause), each with actor and a one-line diff; recoveredAfter names the change after which it ended. Start an incident here.',
  input: {
    from: a.from('now-1h'), to: a.to, namespace: a.namespace, kind: a.kind.optional(), name: a.name.optional(),
    suspect_window: z.string().regex(/^\d+[smhd]$/).optional().describe('How far before a span\'s start to look for suspects (default 15m)'),
    limit: a.limit, continue: a.cont, cluster: a.cluster,
  },
  async run(x, ctx) {
    const q = { from: x.from, to: x.to, namespace: x.namespace, kind: x.kind, name: x.name, suspectWindow: x.suspect_window, cluster: x.cluster };
    return pagedWithin(ctx, {
      tool: 'failures', path: '/v1/failures', limit: x.limit ?? 50, query: { ...q, continue: x.continue }, items: (b) => arr(b['items']),
      shape: (b) => ({ asOf: b['asOf'], from: b['from'], to: b['to'], items: b['items'], link: link(ctx, '/v1/failures', { ...q, from: b['from'] as string, to: b['to'] as string }) }),
    });
  },
});

/** Every tool the MCP server serves, in the order it lists them. */
export const TOOLS: readonly ToolDef[] = [getResource, listResources, getHistory, diffTool, related, whoChanged, events, describeTool, failures];
