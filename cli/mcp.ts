/**
 * `kubetime mcp`: the MCP tools over stdio, for an agent that starts kubetime as its tool server.
 * With `--server URL` (or KUBETIME_SERVER) the tools ask a running kubetime over HTTP; otherwise
 * they read the data dir's embedded store, opened read-only (a `kubetime serve` may be writing
 * it), through the same HTTP routes in process. stdout carries the protocol; logs go to stderr.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { FastifyBaseLogger } from 'fastify';
import { KubetimeError } from '../core/errors.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { systemClock } from '../core/time.ts';
import { buildServer } from '../history-api/index.ts';
import { fetchGet, injectGet, type HistoryGet } from '../history-api/mcp/backend.ts';
import { createMcpServer, serveMcp } from '../history-api/mcp/server.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { createLogger } from './compose.ts';
import type { Config } from './config.ts';

export const MCP_USAGE = `Usage: kubetime mcp [--server URL | --data-dir DIR] [--cluster NAME] [--mcp-budget TOKENS] [--log-level L]

Serves kubetime's agent tools (get_resource, list_resources, get_history, diff, related,
who_changed, events, describe) over MCP on stdin/stdout.
  --server URL        ask a running kubetime (default: $KUBETIME_SERVER when set)
  --data-dir DIR      else read DIR's embedded store, read-only (default ./data)
  --mcp-budget N      largest answer in tokens, bytes/4 (default 16000; $KUBETIME_MCP_BUDGET)
`;

/** Where the tools' queries go, and what to close at the end. */
async function backend(config: Config, remote: boolean, logger: FastifyBaseLogger): Promise<{ get: HistoryGet; linkBase: string; close: () => Promise<void> }> {
  // Over --server the tools read as KUBETIME_TOKEN's subject; over a data dir, as whoever may read its files.
  if (remote) return { get: fetchGet(config.server, fetch, config.token ? { authorization: `Bearer ${config.token}` } : {}), linkBase: config.server.replace(/\/+$/, ''), close: async () => undefined };
  if (config.store === 'cassandra') throw new KubetimeError('INVALID_ARGUMENT', 'store: kubetime mcp reads the embedded store of a data dir; for Cassandra point it at a running kubetime with --server URL', { param: 'store' });
  const path = join(config.dataDir, 'store');
  if (!existsSync(path)) throw new KubetimeError('INVALID_ARGUMENT', `data-dir: no kubetime store in ${config.dataDir}; give --data-dir of a kubetime serve, or --server URL`, { param: 'data-dir' });
  const store = LmdbHistoryStore.open({ path, readOnly: true });
  const queries = createHistoryQueries({ store, defaultCluster: config.cluster ?? 'default' });
  const app = buildServer({ queries, clock: systemClock, logger });
  await app.ready();
  return { get: injectGet(app), linkBase: '', close: async () => { await app.close(); await store.close(); } };
}

/** Runs until the client closes stdin. */
export async function runMcpStdio(config: Config, remote: boolean): Promise<number> {
  const logger = createLogger(config) as unknown as FastifyBaseLogger; // stderr: stdout is the protocol
  const b = await backend(config, remote, logger);
  const server = createMcpServer({ get: b.get, budgetTokens: config.mcpBudget, linkBase: b.linkBase, logger });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await serveMcp(server, transport, { logger, caller: { transport: 'stdio' } });
  logger.info({ remote, server: remote ? config.server : undefined, dataDir: remote ? undefined : config.dataDir }, 'MCP server on stdio');
  await closed;
  await server.close();
  await b.close();
  return 0;
}
