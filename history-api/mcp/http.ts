/**
 * MCP over streamable HTTP at `/mcp` (stateless: each POST is one JSON-RPC exchange on a fresh
 * server, answered as JSON). The tools call the same app's routes in process, forwarding the
 * request's Authorization header, so an MCP caller reads exactly what its HTTP queries would.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { injectGet } from './backend.ts';
import { createMcpServer, serveMcp } from './server.ts';

export interface McpRouteDeps {
  /** The app whose routes the tools call (the server itself). */
  app: Pick<FastifyInstance, 'inject'>;
  budgetTokens?: number;
  /** Base URL of deep links (the server's public address), '' = paths. */
  linkBase?: string;
}

function methodNotAllowed(reply: FastifyReply) {
  return reply.code(405).header('allow', 'POST').send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP endpoint is stateless; POST JSON-RPC requests' }, id: null });
}

export function registerMcpRoute(app: FastifyInstance, deps: McpRouteDeps): void {
  app.post('/mcp', { schema: { tags: ['mcp'], operationId: 'mcp', summary: 'MCP (streamable HTTP, stateless): the agent tools over the history' } }, async (req, reply) => {
    const auth = req.headers.authorization;
    const server = createMcpServer({
      get: injectGet(deps.app, auth ? { authorization: auth } : {}),
      budgetTokens: deps.budgetTokens,
      linkBase: deps.linkBase ?? `${req.protocol}://${req.host}`,
      logger: req.log,
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await serveMcp(server, transport, { logger: req.log, caller: { ip: req.ip, ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}) } });
      await transport.handleRequest(req.raw, reply.raw, req.body);
    } catch (err) {
      // The reply is hijacked: fastify's error handler cannot answer for us.
      req.log.error({ err }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error; see the server log' }, id: null }));
      }
    }
  });
  app.get('/mcp', { schema: { tags: ['mcp'], operationId: 'mcpGet', summary: 'Not served: the MCP endpoint is stateless (POST only)' } }, async (_req, reply) => methodNotAllowed(reply));
  app.delete('/mcp', { schema: { tags: ['mcp'], operationId: 'mcpDelete', summary: 'Not served: the MCP endpoint is stateless (POST only)' } }, async (_req, reply) => methodNotAllowed(reply));
}
