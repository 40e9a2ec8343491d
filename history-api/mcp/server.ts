/**
 * The MCP server over the history: every tool of TOOLS registered with its zod input schema,
 * description and read-only annotations; every tool call — answered, refused or failed —
 * logged in the tool-call log's one line shape (call-log.ts), with its answer's size on the wire.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyBaseLogger } from 'fastify';
import { DEFAULT_BUDGET_TOKENS } from '../../core/present/index.ts';
import { logCall } from '../call-log.ts';
import type { HistoryGet } from './backend.ts';
import { TOOLS } from './tools.ts';
import type { ToolContext, ToolDef } from './tool-kit.ts';

export interface McpOptions {
  get: HistoryGet;
  /** Largest tool answer in tokens (bytes / 4); default DEFAULT_BUDGET_TOKENS. */
  budgetTokens?: number;
  /** Base URL of deep links; '' = paths only. */
  linkBase?: string;
  logger: Pick<FastifyBaseLogger, 'info' | 'debug'>;
  /** Who the transport's caller is, when the surface knows (e.g. the HTTP request's address). */
  caller?: Record<string, unknown>;
  /** Tools to serve (default TOOLS): another tool is one more entry. */
  tools?: readonly ToolDef[];
}

const VERSION = '1';

export const MCP_INSTRUCTIONS = 'kubetime answers questions about the past of a Kubernetes cluster: what an object looked like at a time, what changed, who changed it. Every answer names the moment it is about (asOf) and links the HTTP query with the full data. Times: RFC 3339, now, or now-<n><s|m|h|d>. Start with describe for "why is X failing", who_changed for "what changed before", related for "what served X then".';

/** A new MCP server with every tool registered (connect it to one transport). */
export function createMcpServer(opts: McpOptions): McpServer {
  const server = new McpServer({ name: 'kubetime', version: VERSION }, { instructions: MCP_INSTRUCTIONS });
  const ctx: ToolContext = { get: opts.get, budgetTokens: opts.budgetTokens ?? DEFAULT_BUDGET_TOKENS, linkBase: opts.linkBase ?? '' };
  for (const tool of opts.tools ?? TOOLS) {
    server.registerTool(tool.name, {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input,
      annotations: { title: tool.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    }, async (args: Record<string, unknown>) => {
      const answer = await tool.run(args as never, ctx);
      return { content: [{ type: 'text' as const, text: JSON.stringify(answer) }] };
    });
  }
  return server;
}

/**
 * Wraps a transport so that every tools/call request and its response are logged as one call
 * line (tool, arguments, caller, status, bytes, duration), whether the SDK refused the arguments,
 * the tool failed, or it answered.
 */
export function loggedTransport<T extends Transport>(transport: T, opts: Pick<McpOptions, 'logger' | 'caller'>, clientOf: () => { name: string; version: string } | undefined): T {
  const pending = new Map<string | number, { tool: string; args: Record<string, unknown>; started: number }>();
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]) => {
    const m = message as { id?: string | number; result?: { isError?: boolean }; error?: unknown };
    const call = m.id !== undefined ? pending.get(m.id) : undefined;
    if (call && m.id !== undefined) {
      pending.delete(m.id);
      const client = clientOf();
      logCall(opts.logger, {
        surface: 'mcp', call: call.tool, args: call.args,
        caller: { ...opts.caller, ...(client ? { client: `${client.name} ${client.version}` } : {}) },
        status: m.error || m.result?.isError ? 'error' : 'ok',
        bytes: Buffer.byteLength(JSON.stringify(message)), ms: performance.now() - call.started,
      });
    }
    return send(message, options);
  };
  const wrapIncoming = () => {
    const onmessage = transport.onmessage;
    if (!onmessage) return;
    transport.onmessage = (message, extra) => {
      const m = message as { id?: string | number; method?: string; params?: { name?: string; arguments?: Record<string, unknown> } };
      if (m.method === 'tools/call' && m.id !== undefined) {
        pending.set(m.id, { tool: String(m.params?.name ?? ''), args: m.params?.arguments ?? {}, started: performance.now() });
      }
      onmessage(message, extra);
    };
  };
  // The server sets onmessage when it connects; wrap it then.
  const start = transport.start.bind(transport);
  transport.start = async () => {
    wrapIncoming();
    return start();
  };
  return transport;
}

/** Connects a server to a transport with the tool-call log in between. */
export async function serveMcp(server: McpServer, transport: Transport, opts: Pick<McpOptions, 'logger' | 'caller'>): Promise<void> {
  await server.connect(loggedTransport(transport, opts, () => server.server.getClientVersion()));
}
