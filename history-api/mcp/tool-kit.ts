/**
 * What every MCP tool shares: the context it runs in, calls to the HTTP API that turn its errors
 * into tool errors, deep links, and answers kept within the token budget by asking for smaller
 * pages (never by cutting a JSON document).
 */
import type { z } from 'zod';
import { limitWithin, tokensOf } from '../../core/present/index.ts';
import { pathWithQuery, type HistoryGet, type HttpAnswer } from './backend.ts';

export interface ToolContext {
  get: HistoryGet;
  /** Largest answer, in tokens (bytes / 4). */
  budgetTokens: number;
  /** Where deep links point (`http://127.0.0.1:8080`); '' = paths only (no server listening). */
  linkBase: string;
}

/** One MCP tool: adding a tool is adding one of these to TOOLS (tools.ts). */
export interface ToolDef<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: S;
  run(args: z.output<z.ZodObject<S>>, ctx: ToolContext): Promise<Record<string, unknown>>;
}

/** Declares a tool with its argument types inferred from its shape. */
export function defineTool<S extends z.ZodRawShape>(def: ToolDef<S>): ToolDef {
  return def as unknown as ToolDef;
}

/** A refusal of the HTTP API, as the tool error a model reads (the message names the argument). */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

type Query = Record<string, string | number | undefined>;

/** GET that throws a ToolError with the API's message on any error status. */
export async function call(ctx: ToolContext, path: string, query: Query): Promise<Record<string, unknown>> {
  const res: HttpAnswer = await ctx.get(path, query);
  if (res.status >= 400) {
    const err = res.body['error'] as { message?: string } | undefined;
    throw new ToolError(err?.message ?? `the history API answered ${res.status}`);
  }
  return res.body;
}

/** The deep link of an HTTP query giving the full data (raw manifests, every field). */
export function link(ctx: ToolContext, path: string, query: Query): string {
  return ctx.linkBase + pathWithQuery(path, query);
}

const tokens = (v: unknown) => tokensOf(JSON.stringify(v));

/**
 * A list answer within the budget: asks with the caller's `limit`; when the shaped answer is
 * over budget, asks again for fewer items (scaled by the measured size, at most 3 times). The
 * answer keeps the API's continue token and says how to get the next page.
 */
export async function pagedWithin(
  ctx: ToolContext,
  opts: { tool: string; path: string; query: Query; limit?: number; items: (body: Record<string, unknown>) => unknown[]; shape: (body: Record<string, unknown>) => Record<string, unknown> },
): Promise<Record<string, unknown>> {
  let limit = opts.limit;
  for (let attempt = 0; ; attempt++) {
    const body = await call(ctx, opts.path, { ...opts.query, limit });
    const n = opts.items(body).length;
    const token = body['continue'];
    const answer = typeof token !== 'string' ? opts.shape(body) : {
      ...opts.shape(body),
      continue: token,
      next: `more items remain: call ${opts.tool} again with the same arguments and continue="${token}"${limit !== opts.limit ? ` (this page holds ${n} items to stay within ${ctx.budgetTokens} tokens)` : ''}`,
    };
    const size = tokens(answer);
    if (size <= ctx.budgetTokens || attempt === 3) return answer;
    if (n <= 1) return { ...answer, note: `one item alone is ${size} tokens, over the ${ctx.budgetTokens}-token budget: ask for view=summary or fields=[…]` };
    limit = limitWithin(n, size, ctx.budgetTokens);
  }
}

/** Whether an answer fits the budget. */
export function fits(ctx: ToolContext, answer: unknown): boolean {
  return tokens(answer) <= ctx.budgetTokens;
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped): a compact reference for models. */
export function refText(r: { kind?: unknown; namespace?: unknown; name?: unknown }): string {
  return `${String(r.kind)} ${r.namespace ? `${String(r.namespace)}/` : ''}${String(r.name)}`;
}

/** A revision or change as a model reads it: when, what, the verb and who (the username). */
export function revisionLine(r: Record<string, unknown>): Record<string, unknown> {
  const actor = (r['actor'] as { username?: unknown } | undefined)?.username;
  return { ts: r['ts'], op: r['op'], ...(r['verb'] ? { verb: r['verb'] } : {}), ...(actor ? { actor } : {}) };
}
