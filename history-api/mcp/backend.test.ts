import { describe, expect, it } from 'vitest';
import { fetchGet, injectGet, pathWithQuery } from './backend.ts';
import { call, ToolError, type ToolContext } from './tool-kit.ts';

describe('how the tools reach the history API', () => {
  it('in process: the caller\'s Authorization goes with every query, marked as made for MCP', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const app = { inject: async (o: { url: string; headers: Record<string, string> }) => (seen.push(o), { statusCode: 200, body: '{"ok":true}' }) };
    const get = injectGet(app as never, { authorization: 'Bearer t0ken' });
    expect(await get('/v1/objects', { kind: 'pods', namespace: undefined, limit: 5 })).toEqual({ status: 200, body: { ok: true } });
    expect(seen[0]).toMatchObject({ url: '/v1/objects?kind=pods&limit=5', headers: { authorization: 'Bearer t0ken', 'x-kubetime-via': 'mcp' } });
  });

  it('over the network: an unreachable server is a 503 naming it, which a tool reports as its error', async () => {
    const get = fetchGet('http://127.0.0.1:9/prefix/', (async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { message: 'connect ECONNREFUSED' } }); }) as never);
    const res = await get('/v1/clusters', {});
    expect(res.status).toBe(503);
    const ctx: ToolContext = { get, budgetTokens: 1000, linkBase: '' };
    await expect(call(ctx, '/v1/clusters', {})).rejects.toThrow(new ToolError('cannot reach http://127.0.0.1:9/prefix: connect ECONNREFUSED'));
  });

  it('keeps a path prefix and leaves undefined parameters out', () => {
    expect(pathWithQuery('/v1/events', { from: 'now-1h', type: undefined, order: 'asc' })).toBe('/v1/events?from=now-1h&order=asc');
  });
});
