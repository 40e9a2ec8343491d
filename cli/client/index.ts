/**
 * The query commands of `kubetime` (get, history, diff, graph, changes, events, clusters): each
 * sends one request to a history API server and prints the answer kubectl-style.
 * cli/main.ts dispatches here and passes the I/O in, so the commands are tested with a fake fetch.
 */
import { UsageError, USAGE, parseCommand } from './args.ts';
import type { Invocation } from './args.ts';

export { CLIENT_COMMANDS, USAGE as CLIENT_USAGE } from './args.ts';

/** A stream (`process.stdout`) or a function that writes text. */
export type Writer = { write(text: string): unknown } | ((text: string) => unknown);

/** Where a client command writes and how it reaches the server. */
export interface ClientIO {
  stdout: Writer;
  stderr: Writer;
  /** The server URL unless --server is given (config: KUBETIME_SERVER); default DEFAULT_SERVER. */
  server?: string;
  /** Bearer token sent with every request (config: KUBETIME_TOKEN); absent = none. */
  token?: string;
  fetch: typeof globalThis.fetch;
}

/** The server the commands ask when neither --server nor KUBETIME_SERVER says otherwise. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** Exit codes: 0 success, 1 the server (or the network) said no, 2 the command was called wrongly. */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2 } as const;

/**
 * Runs one query command. `argv` starts with the command name (`['get', 'deploy/web', '-n', 'x']`).
 * Resolves to the process exit code; never throws for bad input or server errors.
 */
export async function runClientCommand(argv: readonly string[], clientIo: ClientIO): Promise<number> {
  const io = { stdout: writeTo(clientIo.stdout), stderr: writeTo(clientIo.stderr) };
  const [command = '', ...rest] = argv;
  let parsed;
  try {
    parsed = parseCommand(command, rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`error: ${err.message}\n`);
    if (USAGE[command]) io.stderr.write(`Usage: ${USAGE[command]}\n`);
    return EXIT.USAGE;
  }
  if ('help' in parsed) {
    io.stdout.write(parsed.help);
    return EXIT.OK;
  }
  const server = parsed.server ?? (clientIo.server || DEFAULT_SERVER);
  const url = requestUrl(server, parsed.invocation);
  if (!url) {
    io.stderr.write(`error: --server: "${server}" is not an http(s) URL\n`);
    return EXIT.USAGE;
  }
  const answer = await fetchJson(clientIo.fetch, url, clientIo.token);
  if ('error' in answer) {
    io.stderr.write(`error: ${answer.error}\n`);
    return EXIT.ERROR;
  }
  const why = await whyEmpty(clientIo, server, parsed.invocation, answer.body);
  if (why) {
    io.stderr.write(`error: ${why}\n`);
    return EXIT.ERROR;
  }
  io.stdout.write(parsed.invocation.render(answer.body));
  const note = parsed.invocation.note?.(answer.body);
  if (note) io.stderr.write(`${note}\n`);
  return EXIT.OK;
}

/** For an answer without items, the error the invocation's `whenEmpty` request gives (it never existed), if any. */
async function whyEmpty(clientIo: Pick<ClientIO, 'fetch' | 'token'>, server: string, inv: Invocation, body: Record<string, unknown>): Promise<string | undefined> {
  if (!inv.whenEmpty || !Array.isArray(body['items']) || body['items'].length > 0) return undefined;
  const url = requestUrl(server, inv.whenEmpty)!;
  const answer = await fetchJson(clientIo.fetch, url, clientIo.token);
  return 'error' in answer ? answer.error : undefined;
}

function writeTo(w: Writer): { write(text: string): void } {
  return { write: (text) => void (typeof w === 'function' ? w(text) : w.write(text)) };
}

function requestUrl(server: string, inv: Pick<Invocation, 'path' | 'query'>): URL | undefined {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    return undefined;
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return undefined;
  // Keep a path prefix (a server behind a proxy at /kubetime/).
  const url = new URL(base.pathname.replace(/\/+$/, '') + inv.path, base);
  for (const [k, v] of Object.entries(inv.query)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

type Answer = { body: Record<string, unknown> } | { error: string };

async function fetchJson(fetchFn: typeof globalThis.fetch, url: URL, token: string | undefined): Promise<Answer> {
  let res: Response;
  let text: string;
  try {
    res = await fetchFn(url, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    text = await res.text();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    return { error: `cannot reach ${url.origin}: ${cause}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: res.ok ? `${url.origin} answered with something that is not JSON` : `${url.origin} answered ${res.status} ${res.statusText}`.trim() };
  }
  const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!res.ok) {
    // The server's message is written for people (a NOT_FOUND one already says when the object existed).
    const message = (obj['error'] as { message?: unknown } | undefined)?.message;
    return { error: typeof message === 'string' ? message : `${url.origin} answered ${res.status} ${res.statusText}`.trim() };
  }
  return { body: obj };
}

