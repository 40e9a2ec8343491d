/**
 * The `describe` tool: what `kubectl describe` shows, as of a time, in one call — the describe
 * sheet (core/present/describe.ts), the owner chain up to the top controller, the object's
 * Events folded, and its last changes with who made them. Every part is read at the one `asOf`
 * the first read resolved.
 */
import { controllerOf, describeObject, summaryRow } from '../../core/present/index.ts';
import type { KubeObject } from '../../core/record.ts';
import { formatTime, parseRfc3339 } from '../../core/time.ts';
import * as a from './args.ts';
import { call, defineTool, fits, link, refText, revisionLine, ToolError, type ToolContext } from './tool-kit.ts';

type Body = Record<string, unknown>;
const HOUR = 3600e6;
const MAX_OWNERS = 4;

async function ownerChain(ctx: ToolContext, obj: KubeObject, at: string, base: { namespace?: string; cluster?: string }, atMicros: number) {
  const chain: Body[] = [];
  let cur = obj;
  for (let i = 0; i < MAX_OWNERS; i++) {
    const owner = controllerOf(cur);
    if (!owner) break;
    try {
      const b = await call(ctx, '/v1/object', { kind: owner.kind, name: owner.name, namespace: base.namespace, at, cluster: base.cluster });
      cur = b['object'] as KubeObject;
      chain.push({ ref: refText({ ...owner, namespace: base.namespace }), summary: summaryRow(cur, { at: atMicros }) });
    } catch (e) {
      chain.push({ ref: refText({ ...owner, namespace: base.namespace }), missing: e instanceof ToolError ? e.message : String(e) });
      break;
    }
  }
  return chain;
}

export const describeTool = defineTool({
  name: 'describe',
  title: 'Describe one object as of a time',
  description: 'What kubectl describe shows, as of a moment (default now), in one call: summary row, conditions, a Pod\'s containers (image, state, last state with reason and exit code, restarts) and node, a workload\'s replicas and images, the owner chain (Pod → ReplicaSet → Deployment), the object\'s Events of the hour before, and its last changes with who made them. Start here to ask why something is failing.',
  input: { kind: a.kind, name: a.name, namespace: a.namespace, at: a.at, cluster: a.cluster },
  async run(x, ctx) {
    const q = { kind: x.kind, name: x.name, namespace: x.namespace, cluster: x.cluster };
    const first = await call(ctx, '/v1/object', { ...q, at: x.at });
    const asOf = first['asOf'] as string;
    const at = parseRfc3339(asOf)!;
    const obj = first['object'] as KubeObject;
    const created = parseRfc3339(String((obj.metadata as Body | undefined)?.['creationTimestamp'] ?? '')) ?? at - 24 * HOUR;
    const kind = String(obj.kind ?? x.kind);
    const about = { kind, name: x.name, namespace: x.namespace, cluster: x.cluster };
    const eventsFrom = formatTime(Math.max(created, at - HOUR));
    const changesFrom = formatTime(Math.max(created - 1, at - 24 * HOUR));
    const [owners, evs, changes] = await Promise.all([
      ownerChain(ctx, obj, asOf, q, at),
      call(ctx, '/v1/events', { ...about, from: eventsFrom, to: asOf, view: 'summary', limit: 20 }).catch((e: Error) => ({ error: e.message })),
      call(ctx, '/v1/changes', { ...about, from: changesFrom, to: asOf, limit: 8 }).catch((e: Error) => ({ error: e.message })),
    ]);
    const rev = first['revision'] as Body;
    const sheet: Body = {
      asOf,
      ...describeObject(obj, { at }),
      lastRevision: revisionLine(rev),
      ...(owners.length ? { owners } : {}),
      events: 'error' in evs ? evs : { from: eventsFrom, items: evs['items'], ...(evs['continue'] ? { more: true } : {}) },
      lastChanges: 'error' in changes ? changes : ((changes['items'] as Body[]) ?? []).map(revisionLine),
      link: link(ctx, '/v1/object', { ...q, at: asOf }),
    };
    return withinBudget(ctx, sheet);
  },
});

/** A sheet past the budget keeps its head and says what it left out (never a cut document). */
function withinBudget(ctx: ToolContext, sheet: Body): Body {
  if (fits(ctx, sheet)) return sheet;
  const events = sheet['events'] as { items?: unknown[] } | undefined;
  const lean: Body = { ...sheet, labels: undefined, events: events?.items ? { ...events, items: events.items.slice(0, 5) } : events, lastChanges: (sheet['lastChanges'] as unknown[] | undefined)?.slice?.(0, 3) };
  if (fits(ctx, lean)) return { ...lean, note: 'labels, older Events and older changes left out to stay within the token budget; use events, who_changed or link for them' };
  return { asOf: sheet['asOf'], kind: sheet['kind'], name: sheet['name'], namespace: sheet['namespace'], summary: sheet['summary'], conditions: sheet['conditions'], link: sheet['link'], note: `the describe sheet is over the ${ctx.budgetTokens}-token budget: only its summary and conditions are here; use get_resource with fields, events and who_changed for the rest` };
}
