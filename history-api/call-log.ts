/**
 * The tool-call log (the design's safety section): one line per HTTP query and per MCP tool
 * call, in one shape, so that what agents and people asked, and what they got, can be audited
 * and measured from one stream.
 *
 * `{"msg":"call","surface":"http"|"mcp","call":"/v1/objects"|"list_resources","args":{…},
 *   "caller":{…},"status":"ok"|"error"|<HTTP status>,"bytes":1234,"ms":12}`
 */
import type { FastifyBaseLogger } from 'fastify';

export interface CallLogEntry {
  surface: 'http' | 'mcp' | 'kube';
  /** The route template (`/v1/objects`) or the tool name (`list_resources`). */
  call: string;
  /** The query parameters or the tool arguments as given. */
  args: Record<string, unknown>;
  /** Who asked, when known: the authenticated user, the MCP client, the address, the user agent. */
  caller?: Record<string, unknown>;
  /** The as-of time, or the window, the answer is about. */
  asOf?: unknown;
  /** How many things the answer held (items, nodes, a scope diff's entries). */
  items?: number;
  /** `ok`, `error`, or the HTTP status. */
  status: 'ok' | 'error' | number;
  /** Size of the answer in bytes. */
  bytes: number;
  ms: number;
}

/** Writes one call line; `level` debug for calls made on behalf of another logged call. */
export function logCall(logger: Pick<FastifyBaseLogger, 'info' | 'debug'>, entry: CallLogEntry, level: 'info' | 'debug' = 'info'): void {
  logger[level]({ ...entry, ms: Math.round(entry.ms * 10) / 10 }, 'call');
}

/** Header an in-process caller (the MCP surface) sets on the HTTP queries it makes for a tool call. */
export const VIA_HEADER = 'x-kubetime-via';
