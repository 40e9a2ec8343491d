/**
 * How the MCP tools reach the history: through the HTTP API's own routes, so a tool call runs
 * the same validation, queries, access checks and presentation as an HTTP query. In process
 * (`/mcp` on `kubetime serve`, `kubetime mcp` on a data dir) the routes are called with
 * fastify's inject; with `kubetime mcp --server URL` over the network.
 */
import type { FastifyInstance } from 'fastify';
import { VIA_HEADER } from '../call-log.ts';

/** An answer of the HTTP API: status, parsed JSON body. */
export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One GET against the history API, with the query parameters given (undefined ones left out). */
export type HistoryGet = (path: string, query: Record<string, string | number | undefined>) => Promise<HttpAnswer>;

/** `path?query` with undefined parameters left out. */
export function pathWithQuery(path: string, query: Record<string, string | number | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
  const text = qs.toString();
  return text ? `${path}?${text}` : path;
}

function parse(text: string, status: number): HttpAnswer {
  try {
    return { status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status, body: { error: { code: 'INTERNAL', message: `the history API answered ${status} with something that is not JSON` } } };
  }
}

/**
 * Calls the routes of `app` in process. `headers` are sent with every query (the MCP request's
 * Authorization, so the caller's identity governs what the tools read).
 */
export function injectGet(app: Pick<FastifyInstance, 'inject'>, headers: Record<string, string> = {}, via = 'mcp'): HistoryGet {
  return async (path, query) => {
    const res = await app.inject({ method: 'GET', url: pathWithQuery(path, query), headers: { ...headers, [VIA_HEADER]: via } });
    return parse(res.body, res.statusCode);
  };
}

/** Calls a kubetime server at `base` (http(s) URL, a path prefix kept). */
export function fetchGet(base: string, fetchFn: typeof globalThis.fetch = fetch, headers: Record<string, string> = {}): HistoryGet {
  const root = base.replace(/\/+$/, '');
  return async (path, query) => {
    let res: Response;
    try {
      res = await fetchFn(root + pathWithQuery(path, query), { headers: { accept: 'application/json', ...headers, [VIA_HEADER]: 'mcp' } });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      return { status: 503, body: { error: { code: 'STORE_UNAVAILABLE', message: `cannot reach ${root}: ${cause}` } } };
    }
    return parse(await res.text(), res.status);
  };
}
